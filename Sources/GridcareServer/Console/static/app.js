// Gridcare console: progressive enhancement only; every form works without this file.
"use strict";
document.addEventListener("click", function (event) {
  var back = event.target.closest("[data-back]");
  if (back && window.history.length > 1) {
    event.preventDefault();
    window.history.back();
  }
});
// A form is sent once: a second tap on a slow connection would raise the same flag twice.
document.addEventListener("submit", function (event) {
  var form = event.target;
  // A consequential step asks first (without this script it is sent as it stands).
  if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) { event.preventDefault(); return; }
  if (form.dataset.sent) { event.preventDefault(); return; }
  form.dataset.sent = "1";
  window.setTimeout(function () { delete form.dataset.sent; }, 4000);
});
