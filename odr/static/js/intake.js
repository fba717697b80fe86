// Intake wizard: show only the fields of the chosen party kind (person or organization).
// Without JavaScript every field shows, each labelled with the kind it belongs to.
(function () {
  "use strict";
  function apply(select) {
    var row = select.closest(".party-row");
    if (row) { row.setAttribute("data-kind", select.value); row.classList.add("js-kind"); }
  }
  document.querySelectorAll("select.party-kind").forEach(apply);
  document.addEventListener("change", function (ev) {
    if (ev.target.matches && ev.target.matches("select.party-kind")) { apply(ev.target); }
  });
})();
