// Compose and edit pages: live preview, per-platform character counts and rule findings as
// you type. The server does the checking (POST /compose/check with the CSRF header); this
// file only debounces the calls and draws the answer with DOM nodes (no HTML from strings).
// The platform previews (POST /compose/preview) are HTML the server renders and escapes.
"use strict";
(function () {
  var form = document.querySelector("form[data-check-url]");
  if (!form) return;
  var previewBox = document.getElementById("live-preview");
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

  // The ticked accounts on the compose page; the post's own account on the edit page.
  function chosen() {
    var fixed = form.getAttribute("data-accounts");
    if (fixed) return JSON.parse(fixed);
    return Array.prototype.map.call(
      form.querySelectorAll("input[name=accounts]:checked"), function (box) { return box.value; });
  }

  // The texts of their own that some accounts have (compose: "A different text for...").
  function variants() {
    var found = {};
    Array.prototype.forEach.call(form.querySelectorAll("textarea[name^='variant-']"), function (area) {
      if (area.value.trim()) found[area.name.slice("variant-".length)] = area.value;
    });
    return found;
  }

  function showVariants(accounts) {
    Array.prototype.forEach.call(form.querySelectorAll(".variant[data-account]"), function (box) {
      box.hidden = accounts.indexOf(box.getAttribute("data-account")) < 0;
    });
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
      card.appendChild(preview(r.text || value, r.findings));
      if (r.account_warning) card.appendChild(el("p", "quota-warning", r.account_warning));
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

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify(body)
    });
  }

  function refreshPreview(mine, body) {
    var url = form.getAttribute("data-preview-url");
    if (!url || !previewBox) return;
    post(url, body).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.text();
    }).then(function (html) {
      if (mine === sequence) previewBox.innerHTML = html;  // rendered and escaped by the server
    }).catch(function () { /* the checks above say when the server does not answer */ });
  }

  function check() {
    var accounts = chosen();
    showVariants(accounts);
    if (!accounts.length) {
      results.textContent = ""; if (previewBox) previewBox.textContent = ""; say("none"); return;
    }
    var mine = ++sequence;
    var value = text.value;
    say("busy");
    var body = {
      accounts: accounts, text: value, scheduled_at: when ? when.value : "", media: images(),
      variants: variants()
    };
    refreshPreview(mine, body);
    post(form.getAttribute("data-check-url"), body).then(function (response) {
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
