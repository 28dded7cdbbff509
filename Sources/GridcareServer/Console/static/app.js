// Gridcare console: progressive enhancement only; every form works without this file.
"use strict";
document.addEventListener("click", function (event) {
  var back = event.target.closest("[data-back]");
  if (back && window.history.length > 1) {
    event.preventDefault();
    window.history.back();
  }
  // Paper pages: the print button opens the browser's print dialog.
  if (event.target.closest("[data-print]")) window.print();
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
// The unread badge, and the inbox's list, kept current by the service's event stream.
(function () {
  var badge = document.querySelector("[data-unread]");
  if (!badge || !window.EventSource) return;
  var latest = null;
  var source = new EventSource("/app/notifications/stream");
  source.addEventListener("unread", function (event) {
    var d = JSON.parse(event.data);
    badge.textContent = d.unread > 99 ? "99+" : String(d.unread);
    badge.hidden = d.unread === 0;
    var list = document.querySelector("[data-live-list]");
    if (list && latest !== null && d.latest !== latest) refresh(list);
    latest = d.latest;
  });
  function refresh(list) {
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-live-list]");
        if (fresh) list.replaceWith(fresh);
      });
  }
})();
