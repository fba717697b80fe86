// Signing page: an optional drawn signature on a canvas (pointer events: mouse, pen,
// finger). On submit the drawing goes into the hidden field as a PNG data URL; an
// untouched or cleared canvas sends nothing. No inline script (CSP).
(function () {
  "use strict";
  var pad = document.querySelector("[data-signature-pad]");
  if (!pad) { return; }
  var canvas = pad.querySelector("[data-signature-canvas]");
  var input = pad.querySelector("[data-signature-input]");
  var clear = pad.querySelector("[data-signature-clear]");
  var form = pad.closest("form");
  if (!canvas || !input || !canvas.getContext) { return; }
  var ctx = canvas.getContext("2d");
  var drawing = false;
  var dirty = false;
  var last = null;

  function pen() {
    ctx.lineWidth = 3;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.strokeStyle = "#111";
  }
  pen();

  // Canvas pixels, whatever size CSS gives the canvas on this screen.
  function point(ev) {
    var box = canvas.getBoundingClientRect();
    return {
      x: (ev.clientX - box.left) * (canvas.width / box.width),
      y: (ev.clientY - box.top) * (canvas.height / box.height)
    };
  }

  canvas.addEventListener("pointerdown", function (ev) {
    if (ev.button !== undefined && ev.button > 0) { return; }
    ev.preventDefault();
    drawing = true;
    last = point(ev);
    if (canvas.setPointerCapture) { canvas.setPointerCapture(ev.pointerId); }
    ctx.beginPath();
    ctx.arc(last.x, last.y, ctx.lineWidth / 2, 0, 2 * Math.PI);
    ctx.fillStyle = ctx.strokeStyle;
    ctx.fill();
    dirty = true;
  });
  canvas.addEventListener("pointermove", function (ev) {
    if (!drawing) { return; }
    ev.preventDefault();
    var p = point(ev);
    ctx.beginPath();
    ctx.moveTo(last.x, last.y);
    ctx.lineTo(p.x, p.y);
    ctx.stroke();
    last = p;
  });
  function stop(ev) {
    if (!drawing) { return; }
    drawing = false;
    if (canvas.releasePointerCapture && ev && ev.pointerId !== undefined) {
      try { canvas.releasePointerCapture(ev.pointerId); } catch (e) { /* already released */ }
    }
  }
  canvas.addEventListener("pointerup", stop);
  canvas.addEventListener("pointercancel", stop);
  canvas.addEventListener("pointerleave", stop);

  if (clear) {
    clear.addEventListener("click", function () {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      pen();
      dirty = false;
      input.value = "";
    });
  }

  // A page sent back (wrong password, missing code) keeps what was drawn.
  if (input.value && input.value.indexOf("data:image/png;base64,") === 0) {
    var img = new Image();
    img.onload = function () { ctx.drawImage(img, 0, 0, canvas.width, canvas.height); dirty = true; };
    img.src = input.value;
  }

  if (form) {
    form.addEventListener("submit", function () {
      input.value = dirty ? canvas.toDataURL("image/png") : "";
    });
  }
})();
