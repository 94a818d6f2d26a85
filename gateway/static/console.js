// Crisis console: live progress of a running takedown. Polls the page's JSON endpoint every
// second and updates the counts; reloads once when the takedown is done, to show the full
// evidence list. Without JavaScript, a <noscript> refresh does the same job.
"use strict";
(function () {
  var box = document.getElementById("takedown-live");
  if (!box || box.getAttribute("data-status") !== "running") return;
  var url = box.getAttribute("data-progress-url");
  var labels = JSON.parse(document.getElementById("takedown-labels").textContent);
  var failures = 0;

  function bind(name) { return box.querySelector('[data-bind="' + name + '"]'); }

  function setText(node, value) {
    if (node && node.textContent !== String(value)) node.textContent = String(value);
  }

  function fillRow(row, counts) {
    ["pending", "deleted", "not_found", "failed", "total"].forEach(function (key) {
      setText(row.querySelector('[data-count="' + key + '"]'), counts[key] || 0);
    });
  }

  function ensureRow(name) {
    var rows = box.querySelectorAll("tr[data-account]");
    for (var i = 0; i < rows.length; i++) {
      if (rows[i].getAttribute("data-account") === name) return rows[i];
    }
    var tbody = box.querySelector("table.counts tbody");
    var row = document.createElement("tr");
    row.setAttribute("data-account", name);
    var head = document.createElement("th");
    head.setAttribute("scope", "row");
    head.textContent = name;
    row.appendChild(head);
    ["pending", "deleted", "not_found", "failed", "total"].forEach(function (key) {
      var cell = document.createElement("td");
      cell.className = "num";
      cell.setAttribute("data-count", key);
      row.appendChild(cell);
    });
    tbody.appendChild(row);
    return row;
  }

  function show(data) {
    var p = data.progress;
    var finished = (p.deleted || 0) + (p.not_found || 0) + (p.failed || 0);
    setText(bind("status"), labels.status[data.status] || data.status);
    setText(bind("phase"), labels.phase[data.phase] || data.phase);
    setText(bind("finished"), finished);
    setText(bind("total"), p.total);
    var bar = document.getElementById("takedown-bar");
    bar.max = Math.max(p.total, 1);
    bar.value = p.total ? finished : 0;
    Object.keys(p.accounts).forEach(function (name) { fillRow(ensureRow(name), p.accounts[name]); });
    fillRow(box.querySelector('tr[data-account=""]'), p);
    box.setAttribute("data-phase", data.phase);
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (data) {
        failures = 0;
        show(data);
        if (data.status !== "running") {
          box.setAttribute("data-status", data.status);
          window.location.reload();
          return;
        }
        window.setTimeout(poll, 1000);
      })
      .catch(function () {
        failures += 1;
        if (failures === 3) setText(bind("announce"), labels.lost);
        window.setTimeout(poll, Math.min(1000 * failures, 5000));
      });
  }

  window.setTimeout(poll, 1000);
})();
