// The mapping editor's field pickers: a click (or Enter) on a listed field fills the input it belongs
// to; ArrowDown from the input enters the list, arrows move through it, Escape closes it. The list
// itself comes from the server (htmx, field_choices); nothing here knows about fields.
(function () {
  "use strict";

  function pickerOf(element) {
    return element.closest(".picker");
  }

  function close(picker) {
    var list = picker.querySelector(".picker-choices");
    if (list) { list.innerHTML = ""; }
  }

  function options(picker) {
    return Array.prototype.slice.call(picker.querySelectorAll(".picker-option"));
  }

  document.addEventListener("click", function (event) {
    var option = event.target.closest(".picker-option");
    if (!option) { return; }
    var picker = pickerOf(option);
    var input = picker.querySelector(".picker-input");
    input.value = option.getAttribute("data-pick");
    close(picker);
    input.setAttribute("data-picked", "1");
    input.focus();
    // The row check listens for change on the row's inputs.
    input.dispatchEvent(new Event("change", { bubbles: true }));
  });

  document.addEventListener("keydown", function (event) {
    var picker = event.target.closest && event.target.closest(".picker");
    if (!picker) { return; }
    var all = options(picker);
    var input = picker.querySelector(".picker-input");
    var at = all.indexOf(event.target);
    if (event.key === "Escape") {
      close(picker);
      input.focus();
      event.preventDefault();
    } else if (event.key === "ArrowDown" && all.length) {
      all[Math.min(at + 1, all.length - 1)].focus();
      event.preventDefault();
    } else if (event.key === "ArrowUp" && at >= 0) {
      (at === 0 ? input : all[at - 1]).focus();
      event.preventDefault();
    }
  });

  // Focusing the input again after a pick must not reopen the list it was picked from.
  document.addEventListener("htmx:confirm", function (event) {
    var input = event.target;
    if (input.classList && input.classList.contains("picker-input") && input.getAttribute("data-picked")) {
      input.removeAttribute("data-picked");
      event.preventDefault();
    }
  });

  // A list answering an older text than the input now holds (a slow answer overtaken) is not shown.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var config = event.detail.requestConfig;
    var input = config && config.elt;
    if (!input || !input.classList || !input.classList.contains("picker-input")) { return; }
    var answered = event.detail.xhr.getResponseHeader("X-Picker-Query");
    if (answered === null) { return; }
    answered = decodeURIComponent(answered);
    var box = event.detail.target;
    // An older text's answer, or the same list again (which would take the focus from an option).
    if (answered !== input.value.slice(0, 200) ||
        (box.getAttribute("data-query") === answered && box.children.length)) {
      event.detail.shouldSwap = false;
    } else {
      box.setAttribute("data-query", answered);
    }
  });

  // "Value from" decides which of the kind-specific inputs the row form shows (concord.css hides the rest).
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select.name !== "kind" || !select.closest) { return; }
    var fields = select.closest(".row-fields");
    if (fields) { fields.setAttribute("data-kind", select.value); }
  });

  // Leaving the picker (Tab past it, a click elsewhere) closes its list.
  document.addEventListener("focusout", function (event) {
    var picker = event.target.closest && event.target.closest(".picker");
    if (!picker) { return; }
    window.setTimeout(function () {
      if (!picker.contains(document.activeElement)) { close(picker); }
    }, 150);
  });
})();
