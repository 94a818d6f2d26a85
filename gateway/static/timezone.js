// A select marked data-browser-zone (the enrolment form's time zone) starts on the
// browser's own zone while nothing else is chosen; the person may pick another.
document.addEventListener('DOMContentLoaded', function () {
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  document.querySelectorAll('select[data-browser-zone]').forEach(function (select) {
    if (select.value || !zone) { return; }
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].value === zone) { select.value = zone; return; }
    }
  });
});
