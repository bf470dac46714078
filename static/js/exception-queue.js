// The exception queue's "select all on this page" box: ticks or clears every row's box of the bulk form.
// Delegated from the document, so it keeps working after htmx swaps the table in.
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("[data-select-all]")) { return; }
    var form = box.closest("form");
    if (!form) { return; }
    Array.prototype.forEach.call(form.querySelectorAll("input[name='ids']"), function (row) {
      row.checked = box.checked;
    });
  });
})();
