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

// A form sent back with an error (a failed approval): bring its first error into view and
// focus it, so a phone's user sees it and a screen reader reads it.
document.addEventListener("DOMContentLoaded", function () {
  var error = document.querySelector("form[data-focus-error] .error, [data-focus-error].error");
  if (!error) return;
  if (!error.hasAttribute("tabindex")) error.setAttribute("tabindex", "-1");
  error.scrollIntoView({block: "center"});
  error.focus({preventScroll: true});
});
