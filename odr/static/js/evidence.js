// Evidence upload: every chosen file is posted on its own (XMLHttpRequest, so each has
// a progress bar and its own result). The server streams the body; the CSRF token goes
// in the X-CSRFToken header because the server does not parse the form for it.
(function () {
  "use strict";
  var form = document.getElementById("evidence-upload");
  if (!form || !window.FormData || !window.XMLHttpRequest) { return; }
  var input = form.querySelector("input[type=file]");
  var results = form.querySelector(".upload-results");
  input.multiple = true;
  var msg = function (name) { return form.getAttribute("data-msg-" + name) || ""; };

  function row(file) {
    var li = document.createElement("li");
    var name = document.createElement("span");
    name.className = "upload-name";
    name.textContent = file.name;
    var bar = document.createElement("progress");
    bar.max = 100; bar.value = 0;
    var out = document.createElement("span");
    out.className = "upload-out";
    li.appendChild(name); li.appendChild(bar); li.appendChild(out);
    results.appendChild(li);
    return { li: li, bar: bar, out: out };
  }

  function errorText(xhr) {
    try {
      var body = JSON.parse(xhr.responseText);
      if (body && body.error && body.error.message) { return body.error.message; }
    } catch (e) { /* not JSON */ }
    return msg("failed") + " (" + xhr.status + ")";
  }

  function send(file, index, total, done) {
    var ui = row(file);
    var data = new FormData();
    var title = form.elements.title.value.trim();
    data.append("title", title && total > 1 ? title + " (" + (index + 1) + "/" + total + ")" : title);
    data.append("description", form.elements.description.value);
    data.append("visibility", form.elements.visibility.value);
    data.append("file", file, file.name);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-CSRFToken", form.getAttribute("data-csrf"));
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (ev) {
      if (ev.lengthComputable) { ui.bar.value = Math.round(ev.loaded / ev.total * 100); }
    });
    xhr.addEventListener("load", function () {
      if (xhr.status === 201) {
        var ev = JSON.parse(xhr.responseText);
        ui.bar.value = 100;
        ui.li.className = "ok";
        ui.out.textContent = msg("done") + " · SHA-256 " + ev.sha256 + (ev.duplicate ? " · " + msg("duplicate") : "");
        done(true);
      } else {
        ui.li.className = "failed";
        ui.out.textContent = errorText(xhr);
        done(false);
      }
    });
    xhr.addEventListener("error", function () {
      ui.li.className = "failed";
      ui.out.textContent = msg("network");
      done(false);
    });
    xhr.send(data);
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var files = Array.prototype.slice.call(input.files || []);
    if (!files.length) { window.alert(msg("choose")); return; }
    results.textContent = "";
    var left = files.length, uploaded = 0;
    // One after another: a phone's uplink is shared, and the quota is checked per file.
    (function next(i) {
      if (i >= files.length) { return; }
      send(files[i], i, files.length, function (ok) {
        left -= 1; if (ok) { uploaded += 1; }
        if (left === 0 && uploaded > 0) {
          var li = document.createElement("li");
          var a = document.createElement("a");
          a.href = window.location.pathname + "#evidence";
          a.textContent = msg("reload");
          a.addEventListener("click", function (e) { e.preventDefault(); window.location.reload(); });
          li.appendChild(a); results.appendChild(li);
        }
        next(i + 1);
      });
    })(0);
    input.value = "";
  });
})();
