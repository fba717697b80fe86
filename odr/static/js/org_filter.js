// Organization search inside a larger form (the court's diversion form): Enter in the search
// field presses its own "Search" button, not the form's first button (which would submit the
// whole diversion). Without JavaScript the "Search" button works the same when clicked.
(function () {
  "use strict";
  document.addEventListener("keydown", function (ev) {
    var field = ev.target;
    if (ev.key !== "Enter" || !field.matches || !field.matches("input[data-org-filter]")) { return; }
    var box = field.closest(".org-filter");
    var button = box && box.querySelector("button[data-org-filter-button]");
    if (button) { ev.preventDefault(); button.click(); }
  });
})();
