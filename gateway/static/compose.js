// Compose page: live preview, per-platform character counts and rule findings as you type.
// The server does the checking (POST /compose/check with the CSRF header); this file only
// debounces the calls and draws the answer with DOM nodes (no HTML from strings).
"use strict";
(function () {
  var form = document.getElementById("compose-form");
  if (!form) return;
  var statusEl = document.getElementById("live-status");
  var results = document.getElementById("live-results");
  var token = document.querySelector("meta[name=csrf-token]").content;
  var text = form.querySelector("textarea[name=text]");
  var when = form.querySelector("input[name=scheduled_at]");
  var timer = null;
  var sequence = 0;

  function images() {
    var field = document.getElementById("media");
    try { return field && field.value ? JSON.parse(field.value) : []; } catch (e) { return []; }
  }

  function say(key) { statusEl.textContent = statusEl.getAttribute("data-" + key); }

  function chosen() {
    return Array.prototype.map.call(
      form.querySelectorAll("input[name=accounts]:checked"), function (box) { return box.value; });
  }

  function el(tag, className, content) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (content !== undefined) node.textContent = content;
    return node;
  }

  // The server sends each finding's message in the page's language as `display`.
  function shown(f) { return f.display || f.message; }

  function preview(value, findings) {
    var box = el("div", "post-text preview");
    var marks = findings.filter(function (f) { return f.span && !f.image; });
    var cuts = [0, value.length];
    marks.forEach(function (f) { cuts.push(f.span[0], f.span[1]); });
    cuts = cuts.filter(function (c, i) { return cuts.indexOf(c) === i; }).sort(function (a, b) { return a - b; });
    for (var i = 0; i + 1 < cuts.length; i++) {
      var start = cuts[i], end = cuts[i + 1], piece = value.slice(start, end);
      var covering = marks.filter(function (f) { return f.span[0] <= start && end <= f.span[1]; });
      if (!covering.length) { box.appendChild(document.createTextNode(piece)); continue; }
      var blocks = covering.some(function (f) { return f.severity === "block"; });
      var mark = el("mark", blocks ? "sev-block" : "sev-flag", piece);
      mark.title = covering.map(function (f) { return f.rule + ": " + shown(f); }).join(" · ");
      box.appendChild(mark);
    }
    return box;
  }

  function draw(value, answer) {
    results.textContent = "";
    answer.results.forEach(function (r) {
      var card = el("section", "live-account" + (r.blocked ? " is-blocked" : ""));
      var head = el("div", "live-head");
      head.appendChild(el("strong", "", r.account + " · " + r.platform));
      var over = r.used > r.limit;
      var counter = el("span", "counter" + (over ? " over" : ""),
        r.used + " / " + r.limit + " " + statusEl.getAttribute("data-chars"));
      head.appendChild(counter);
      card.appendChild(head);
      card.appendChild(preview(value, r.findings));
      if (r.quota) card.appendChild(el("p", "quota-warning", r.quota));
      if (!r.findings.length) {
        card.appendChild(el("p", "ok-text", statusEl.getAttribute("data-clean")));
      } else {
        var list = el("ul", "findings");
        r.findings.forEach(function (f) {
          var item = el("li", "finding sev-" + f.severity);
          item.appendChild(el("span", "sev", statusEl.getAttribute("data-" + f.severity)));
          item.appendChild(document.createTextNode(" "));
          item.appendChild(el("code", "", f.rule));
          if (f.image) item.appendChild(el("strong", "", " #" + f.image));
          item.appendChild(document.createTextNode(" " + shown(f)));
          if (f.image_text) item.appendChild(el("q", "image-text", f.image_text));
          list.appendChild(item);
        });
        card.appendChild(list);
      }
      results.appendChild(card);
    });
  }

  function check() {
    var accounts = chosen();
    if (!accounts.length) { results.textContent = ""; say("none"); return; }
    var mine = ++sequence;
    var value = text.value;
    say("busy");
    fetch(form.getAttribute("data-check-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify({
        accounts: accounts, text: value, scheduled_at: when ? when.value : "", media: images()
      })
    }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    }).then(function (answer) {
      if (mine !== sequence) return;
      draw(value, answer);
      say("idle");
    }).catch(function () { if (mine === sequence) say("failed"); });
  }

  function later() { window.clearTimeout(timer); timer = window.setTimeout(check, 300); }

  form.addEventListener("input", later);
  form.addEventListener("change", later);
  check();
})();
