// Agreement drafting form: add and remove term rows (names terms-N-field, renumbered).
(function () {
  "use strict";
  var box = document.getElementById("term-rows");
  var add = document.getElementById("add-term");
  if (!box || !add) { return; }
  function renumber() {
    box.querySelectorAll("[data-term-row]").forEach(function (row, i) {
      row.querySelectorAll("[name^='terms-'], [id^='terms-'], label[for^='terms-']").forEach(function (el) {
        ["name", "id", "for"].forEach(function (attr) {
          var v = el.getAttribute(attr);
          if (v) { el.setAttribute(attr, v.replace(/^terms-\d+-/, "terms-" + i + "-")); }
        });
      });
    });
  }
  add.addEventListener("click", function () {
    var rows = box.querySelectorAll("[data-term-row]");
    var copy = rows[rows.length - 1].cloneNode(true);
    copy.querySelectorAll("input, textarea").forEach(function (el) { el.value = ""; });
    copy.querySelectorAll("select").forEach(function (el) { el.selectedIndex = 0; });
    copy.querySelectorAll(".field-error").forEach(function (el) { el.remove(); });
    copy.querySelectorAll(".has-error").forEach(function (el) { el.classList.remove("has-error"); });
    box.appendChild(copy);
    renumber();
  });
  box.addEventListener("click", function (ev) {
    var btn = ev.target.closest("[data-remove-term]");
    if (!btn) { return; }
    var rows = box.querySelectorAll("[data-term-row]");
    var row = btn.closest("[data-term-row]");
    if (rows.length > 1) { row.remove(); } else {
      row.querySelectorAll("input, textarea").forEach(function (el) { el.value = ""; });
    }
    renumber();
  });
})();
