// Small progressive enhancements shared by every page (no inline scripts: CSP).
(function () {
  "use strict";
  // Confirm dangerous actions: <button data-confirm="...">
  document.addEventListener("click", function (ev) {
    var el = ev.target.closest("[data-confirm]");
    if (el && !window.confirm(el.getAttribute("data-confirm"))) { ev.preventDefault(); }
  });
  // Live countdowns: <span class="countdown" data-due="ISO"></span>
  function tick() {
    var lang = document.documentElement.lang === "en" ? "en" : "zh";
    document.querySelectorAll(".countdown[data-due]").forEach(function (el) {
      var ms = new Date(el.getAttribute("data-due")).getTime() - Date.now();
      var overdue = ms < 0; ms = Math.abs(ms);
      var d = Math.floor(ms / 86400000), h = Math.floor(ms % 86400000 / 3600000), m = Math.floor(ms % 3600000 / 60000);
      var text = lang === "en" ? (d + "d " + h + "h " + m + "m") : (d + "天" + h + "小时" + m + "分");
      el.textContent = overdue ? (lang === "en" ? "overdue by " + text : "已超期" + text) : (lang === "en" ? text + " left" : "剩余" + text);
      el.classList.toggle("overdue", overdue);
      el.classList.toggle("soon", !overdue && ms < 2 * 86400000);
    });
  }
  tick(); setInterval(tick, 30000);
})();
