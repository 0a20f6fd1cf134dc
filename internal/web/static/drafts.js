// Drafts: what is typed in a post form marked data-draft is saved on the
// server (POST /drafts) every 10 seconds while it changes and when the
// page is left or hidden, so nothing typed is lost; the server puts it
// back in the form. Without this script the form's "Save draft" button
// does the same by hand.
(function () {
  'use strict';
  var box = document.querySelector('textarea[data-draft]');
  if (!box || !box.form || !window.URLSearchParams) return;
  var form = box.form, key = box.getAttribute('data-draft');
  var title = form.querySelector('input[name=title]');
  var status = form.querySelector('.draft-status');
  var submitting = false;
  function current() { return (title ? title.value : '') + '\u0000' + box.value; }
  var saved = current();
  function payload() {
    var data = new URLSearchParams();
    data.set('key', key);
    data.set('body', box.value);
    if (title) data.set('title', title.value);
    return data;
  }
  function save(leaving) {
    var now = current();
    if (submitting || now === saved) return;
    if (leaving && navigator.sendBeacon) {
      // The page is going: a beacon outlives it. Same-origin, so it
      // passes the forum's cross-origin check like a form would.
      if (navigator.sendBeacon('/drafts', payload())) saved = now;
      return;
    }
    if (!window.fetch) return;
    fetch('/drafts', { method: 'POST', body: payload(), keepalive: true, credentials: 'same-origin' })
      .then(function (r) {
        if (!r.ok) return;
        saved = now;
        if (status) status.textContent = 'Draft saved.';
      }, function () {});
  }
  // Posting deletes the draft on the server: nothing may save it again.
  form.addEventListener('submit', function (e) {
    var b = e.submitter;
    if (!b || b.value !== 'preview' && b.value !== 'draft') submitting = true;
  });
  setInterval(function () { save(false); }, 10000);
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'hidden') save(true);
  });
  window.addEventListener('pagehide', function () { save(true); });
})();
