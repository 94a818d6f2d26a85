// The team calendar: move one of your posts by dragging it to another day (month) or hour
// (week, day), or with its "Move…" control (the keyboard's and the phone's way: a link to the
// move page, which this turns into a button opening the same dialog as the drop). Moving is an
// edit, so the dialog says what it means before anything is sent; its date and time field is
// on the calendar's clock. The server (POST /calendar/move) answers in JSON, and the page shows
// the post where it is now, its "Move…" control focused. Without JavaScript the control leads
// to the move page, a plain form.
"use strict";
(function () {
  var root = document.getElementById("team-calendar");
  var dialog = document.getElementById("move-dialog");
  if (!root || !dialog) return;
  var csrf = document.querySelector("meta[name=csrf-token]").getAttribute("content");
  var form = document.getElementById("move-form");
  var field = document.getElementById("move-when");
  var fieldError = document.getElementById("move-when-error");
  var question = document.getElementById("move-question");
  var error = document.getElementById("move-error");
  var confirmButton = document.getElementById("move-confirm");
  var editLink = document.getElementById("move-edit");
  var lang = document.documentElement.lang || "en";
  var MOVED = "postgate-calendar-moved";
  var dragged = null;
  var pending = null;

  // The hour grid scrolls on its own: start it at the first hour with a post (else 08:00),
  // unless the address names an hour or a post ("+N more" of the week leads to #h-10).
  var grid = root.querySelector(".tcal-scroll");
  if (grid && !window.location.hash) {
    var busy = grid.querySelector("tbody tr .cal-entry");
    var row = busy ? busy.closest("tr") : document.getElementById("h-8");
    var head = grid.querySelector("thead");
    if (row) grid.scrollTop = row.offsetTop - (head ? head.offsetHeight : 0);
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function control(post) { return post.querySelector(".cal-reschedule"); }

  // "Move…" links act as buttons: they open the dialog (Enter or Space, a click, a tap).
  root.querySelectorAll("a.cal-reschedule").forEach(function (link) {
    link.setAttribute("role", "button");
    link.setAttribute("aria-haspopup", "dialog");
  });

  // Back from a move: the moved post's control has the focus, as the keyboard left it.
  try {
    var moved = window.sessionStorage.getItem(MOVED);
    window.sessionStorage.removeItem(MOVED);
    var again = moved && root.querySelector("[data-post='" + moved + "']");
    if (again && control(again)) {
      control(again).focus({ preventScroll: true });
      again.scrollIntoView({ block: "center" });
    }
  } catch (ignored) { /* storage refused: nothing to restore */ }

  // "2030-12-25T11:00" as "mercredi 25 décembre 2030 à 11:00", in the page's language.
  function spoken(when) {
    var parts = when.split("T");
    var day = parts[0].split("-");
    var date = new Date(Date.UTC(+day[0], +day[1] - 1, +day[2]));
    var label = new Intl.DateTimeFormat(lang, {
      weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: "UTC"
    }).format(date);
    return dialog.getAttribute("data-at").replace("{day}", label).replace("{time}", parts[1]);
  }

  function valid(when) { return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(when); }

  function describe() {
    var when = field.value.slice(0, 16);
    var post = pending && pending.post;
    if (!post) return;
    var label = post.getAttribute("data-label");
    question.textContent = valid(when) && when !== post.getAttribute("data-when")
      ? question.getAttribute("data-template").replace("{post}", label)
        .replace("{when}", spoken(when))
      : question.getAttribute("data-choose").replace("{post}", label);
    var edit = root.getAttribute("data-edit-url").replace("/0/", "/" + pending.id + "/");
    editLink.href = edit + (valid(when) ? "?scheduled_at=" + encodeURIComponent(when) +
      "&tz=" + encodeURIComponent(root.getAttribute("data-zone")) : "");
  }

  function showFieldError(text) {
    fieldError.textContent = text;
    fieldError.hidden = !text;
    if (text) {
      field.setAttribute("aria-invalid", "true");
      field.setAttribute("aria-describedby", "move-when-help move-when-error");
    } else {
      field.removeAttribute("aria-invalid");
      field.setAttribute("aria-describedby", "move-when-help");
    }
  }

  function showError(text) {
    error.textContent = text;
    error.hidden = !text;
  }

  // The dialog, from a drop or from a "Move…" control (``opener`` gets the focus back).
  function ask(post, when, opener) {
    pending = { id: parseInt(post.getAttribute("data-post"), 10), post: post, opener: opener };
    field.value = when;
    showFieldError("");
    showError("");
    confirmButton.disabled = false;
    describe();
    dialog.showModal();
    field.focus();
  }

  root.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a.cal-reschedule");
    if (!link) return;
    var post = link.closest("[data-post]");
    if (!post) return;
    event.preventDefault();
    ask(post, post.getAttribute("data-when"), link);
  });
  root.addEventListener("keydown", function (event) {
    var link = event.target.closest && event.target.closest("a.cal-reschedule");
    if (link && (event.key === " " || event.key === "Spacebar")) {
      event.preventDefault();
      link.click();
    }
  });
  // The day view's time field beside each post: its button opens the dialog at that time.
  root.addEventListener("submit", function (event) {
    var post = event.target.closest && event.target.closest("[data-post]");
    if (!post || !event.target.classList.contains("cal-move-form")) return;
    event.preventDefault();
    var typed = event.target.querySelector("input[name=scheduled_at]").value.slice(0, 16);
    ask(post, valid(typed) ? typed : post.getAttribute("data-when"), control(post));
  });

  function targetOf(node) {
    return node && node.closest ? node.closest("[data-drop-day]") : null;
  }

  function newTime(post, target) {
    var time = post.getAttribute("data-time");
    var hour = target.getAttribute("data-drop-hour");
    if (hour !== null) time = pad(parseInt(hour, 10)) + time.slice(2);
    return target.getAttribute("data-drop-day") + "T" + time;
  }

  root.addEventListener("dragstart", function (event) {
    var post = event.target.closest && event.target.closest("[data-post]");
    if (!post) return;
    dragged = post;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", post.getAttribute("data-post"));
    post.classList.add("dragging");
  });
  root.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    root.querySelectorAll(".drop-here").forEach(function (n) { n.classList.remove("drop-here"); });
  });
  root.addEventListener("dragover", function (event) {
    var target = targetOf(event.target);
    if (!dragged || !target) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    root.querySelectorAll(".drop-here").forEach(function (n) {
      if (n !== target) n.classList.remove("drop-here");
    });
    target.classList.add("drop-here");
  });
  root.addEventListener("drop", function (event) {
    var target = targetOf(event.target);
    if (!dragged || !target) return;
    event.preventDefault();
    var post = dragged;
    var when = newTime(post, target);
    target.classList.remove("drop-here");
    if (when === post.getAttribute("data-when")) return; // dropped where it already was
    ask(post, when, control(post));
  });

  field.addEventListener("input", function () {
    describe();
    showFieldError("");
  });

  document.getElementById("move-cancel").addEventListener("click", function () {
    dialog.close();
  });
  // Closed by Cancel or Escape (or after a refusal was read): focus goes back where it was.
  dialog.addEventListener("close", function () {
    var opener = pending && pending.opener;
    pending = null;
    if (opener && document.contains(opener)) opener.focus();
  });

  function where(when) {
    if (root.querySelector("[data-drop-day='" + when.slice(0, 10) + "']")) return null;
    var url = new URL(window.location.href);
    url.searchParams.set("start", when.slice(0, 10));
    url.hash = "";
    return url.toString();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!pending) return;
    var when = field.value.slice(0, 16);
    if (!valid(when)) {
      showFieldError(dialog.getAttribute("data-required"));
      field.focus();
      return;
    }
    var id = pending.id;
    confirmButton.disabled = true;
    showError("");
    fetch(root.getAttribute("data-move-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ post_id: id, scheduled_at: when, timezone: root.getAttribute("data-zone") })
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (answer) {
      if (answer.ok) {
        try { window.sessionStorage.setItem(MOVED, String(id)); } catch (ignored) { /* none */ }
        var elsewhere = where(when);
        if (elsewhere) window.location.assign(elsewhere);
        else window.location.reload();
        return;
      }
      confirmButton.disabled = false;
      var text = answer.body.display || answer.body.message;
      if (answer.body.field === "scheduled_at") {
        showFieldError(text);
        field.focus();
      } else {
        showError(text);
      }
    }).catch(function () {
      confirmButton.disabled = false;
      showError(dialog.getAttribute("data-offline") || "Network error");
    });
  });
})();
