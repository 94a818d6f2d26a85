// The team calendar: drag one of your posts to another day (month) or hour (week, day).
// Moving is an edit, so a dialog says what it means before anything is sent; the server
// (POST /calendar/move) answers in JSON, and the page reloads to show the post where it is now.
// Without JavaScript each movable post links to its edit page instead.
"use strict";
(function () {
  var root = document.getElementById("team-calendar");
  var dialog = document.getElementById("move-dialog");
  if (!root || !dialog) return;
  var csrf = document.querySelector("meta[name=csrf-token]").getAttribute("content");
  var question = document.getElementById("move-question");
  var error = document.getElementById("move-error");
  var confirmButton = document.getElementById("move-confirm");
  var editLink = document.getElementById("move-edit");
  var dragged = null;
  var pending = null;

  // The hour grid scrolls on its own: start it at the first hour with a post (else 08:00),
  // unless the address names an hour ("+N more" of the week leads to #h-10).
  var grid = root.querySelector(".tcal-scroll");
  if (grid && !window.location.hash) {
    var busy = grid.querySelector("tbody tr .cal-entry");
    var row = busy ? busy.closest("tr") : document.getElementById("h-8");
    var head = grid.querySelector("thead");
    if (row) grid.scrollTop = row.offsetTop - (head ? head.offsetHeight : 0);
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

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
    if (when.slice(11) === post.getAttribute("data-time") &&
        target.contains(post) && target.getAttribute("data-drop-day") === when.slice(0, 10)) {
      return; // dropped where it already was
    }
    ask(post, when, dialog.getAttribute("data-at")
      .replace("{day}", target.getAttribute("data-day-label")).replace("{time}", when.slice(11)));
  });

  function ask(post, when, shown) {
    var id = post.getAttribute("data-post");
    pending = { id: parseInt(id, 10), when: when };
    question.textContent = question.getAttribute("data-template")
      .replace("{post}", post.getAttribute("data-label")).replace("{when}", shown);
    error.hidden = true;
    error.textContent = "";
    confirmButton.disabled = false;
    var edit = root.getAttribute("data-edit-url").replace("/0/", "/" + id + "/");
    editLink.href = edit + "?scheduled_at=" + encodeURIComponent(when) +
      "&tz=" + encodeURIComponent(root.getAttribute("data-zone"));
    dialog.showModal();
  }

  document.getElementById("move-cancel").addEventListener("click", function () {
    pending = null;
    dialog.close();
  });

  confirmButton.addEventListener("click", function () {
    if (!pending) return;
    confirmButton.disabled = true;
    fetch(root.getAttribute("data-move-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ post_id: pending.id, scheduled_at: pending.when, timezone: root.getAttribute("data-zone") })
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (answer) {
      if (answer.ok) {
        window.location.reload();
        return;
      }
      error.textContent = answer.body.display || answer.body.message;
      error.hidden = false;
      confirmButton.disabled = false;
    }).catch(function () {
      error.textContent = dialog.getAttribute("data-offline") || "Network error";
      error.hidden = false;
      confirmButton.disabled = false;
    });
  });
})();
