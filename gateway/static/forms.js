// Long operations show progress: a submitted form marks itself busy and its button says so.
// The button is disabled only after the submit event, so its name/value is still sent.
"use strict";
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.matches || !form.matches("form[data-busy]") || event.defaultPrevented) return;
  var button = form.querySelector("button[type=submit], button:not([type])");
  form.setAttribute("aria-busy", "true");
  if (button) {
    window.setTimeout(function () {
      button.disabled = true;
      button.classList.add("busy");
      button.textContent = form.getAttribute("data-busy");
    }, 0);
  }
});
