// Small page behaviours declared with data attributes, so templates need no inline script
// (the Content-Security-Policy allows scripts from this site only):
//   <select data-autosubmit>          submits its form when changed (language switchers, filters)
//   <button data-print>               prints the page
//   <button data-copy-target="ID">    copies the value of #ID to the clipboard and shows a tick
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var field = event.target.closest("[data-autosubmit]");
    if (field && field.form) { field.form.submit(); }
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) { window.print(); return; }
    var copy = event.target.closest("[data-copy-target]");
    if (copy) {
      var source = document.getElementById(copy.dataset.copyTarget);
      if (source && navigator.clipboard) {
        navigator.clipboard.writeText(source.value).then(function () { copy.textContent = "\u2713"; });
      }
    }
  });
})();
