// Fills the time zone fields (registration, mail settings) with the
// browser's, so mail shows times as the member reads them. Without
// JavaScript the forum uses UTC, or what the member chose.
document.addEventListener("DOMContentLoaded", function () {
  var tz = "";
  try { tz = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { return; }
  var el = document.getElementById("tz");
  if (!el || !tz) return;
  if (el.tagName === "INPUT" && !el.value) el.value = tz;
});
