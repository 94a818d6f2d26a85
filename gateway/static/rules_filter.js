// Rules page: the banned terms filtered as you type (any case, accents kept). The search
// form still asks the server (?q=) without JavaScript, or when the button is pressed.
"use strict";
(function () {
  var input = document.getElementById("q");
  var section = document.getElementById("terms");
  if (!input || !section) return;
  var status = document.getElementById("terms-filter-status");
  function apply() {
    var wanted = input.value.trim().toLocaleLowerCase();
    var shown = 0;
    section.querySelectorAll("ul.terms > li").forEach(function (item) {
      var term = (item.getAttribute("data-term") || "").toLocaleLowerCase();
      var match = term.indexOf(wanted) !== -1;
      item.hidden = !match;
      if (match) shown += 1;
    });
    if (status) {
      status.textContent = status.getAttribute("data-template").replace("%(num)s", String(shown));
    }
  }
  input.addEventListener("input", apply);
})();
