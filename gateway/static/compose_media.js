// Compose and edit pages: images. Each file chosen or dropped is uploaded at once (POST /media/upload
// with the CSRF header; the server judges its type from its bytes and removes its metadata),
// then shown with its preview, an alt text box and buttons to reorder or remove it. The
// hidden field `media` holds [{id, alt}] in order, which the form sends with the post.
"use strict";
(function () {
  var picker = document.getElementById("media-picker");
  if (!picker) return;
  var form = picker.closest("form");
  var field = document.getElementById("media");
  var input = document.getElementById("media-input");
  var zone = document.getElementById("drop-zone");
  var list = document.getElementById("media-list");
  var statusEl = document.getElementById("media-status");
  var token = document.querySelector("meta[name=csrf-token]").content;
  var items = [];

  function text(key) { return picker.getAttribute("data-" + key); }

  function el(tag, className, content) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (content !== undefined) node.textContent = content;
    return node;
  }

  function save() {
    field.value = JSON.stringify(items.map(function (m) { return { id: m.id, alt: m.alt }; }));
    form.dispatchEvent(new Event("input", { bubbles: true }));  // the live checks run again
  }

  function move(index, by) {
    var target = index + by;
    if (target < 0 || target >= items.length) return;
    var moved = items.splice(index, 1)[0];
    items.splice(target, 0, moved);
    draw();
    save();
  }

  function draw() {
    list.textContent = "";
    items.forEach(function (m, index) {
      var row = el("li", "media-item");
      var img = el("img", "media-thumb");
      img.src = m.url;
      img.alt = m.alt;
      row.appendChild(img);
      var label = el("label", "", text("alt-label"));
      var alt = el("textarea", "media-alt");
      alt.rows = 2;
      alt.maxLength = 1500;
      alt.value = m.alt;
      alt.id = "media-alt-" + m.id;
      label.htmlFor = alt.id;
      alt.addEventListener("input", function () { m.alt = alt.value; img.alt = alt.value; save(); });
      var box = el("div", "media-fields");
      box.appendChild(label);
      box.appendChild(alt);
      var buttons = el("div", "media-buttons");
      [["up", -1], ["down", 1]].forEach(function (pair) {
        var button = el("button", "small", text(pair[0]));
        button.type = "button";
        button.disabled = (pair[1] < 0 && index === 0) || (pair[1] > 0 && index === items.length - 1);
        button.addEventListener("click", function () { move(index, pair[1]); });
        buttons.appendChild(button);
      });
      var remove = el("button", "small danger", text("remove"));
      remove.type = "button";
      remove.addEventListener("click", function () { items.splice(index, 1); draw(); save(); });
      buttons.appendChild(remove);
      box.appendChild(buttons);
      row.appendChild(box);
      list.appendChild(row);
    });
  }

  function upload(file) {
    var data = new FormData();
    data.append("file", file);
    statusEl.textContent = text("busy");
    return fetch(picker.getAttribute("data-upload-url"), {
      method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": token }, body: data
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) throw new Error(body.message || String(response.status));
        items.push({ id: body.id, alt: "", url: body.url });
        draw();
        save();
        statusEl.textContent = "";
      });
    }).catch(function (error) {
      statusEl.textContent = text("failed") + " " + file.name + " (" + error.message + ")";
    });
  }

  function add(files) {
    Array.prototype.reduce.call(files, function (done, file) {
      return done.then(function () { return upload(file); });
    }, Promise.resolve());
  }

  input.addEventListener("change", function () { add(input.files); input.value = ""; });
  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function () { zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files) add(event.dataTransfer.files);
  });
  if (field.value) {  // the post's images (edit page), or the form came back with an error
    try {
      JSON.parse(field.value).forEach(function (m) {
        items.push({ id: m.id, alt: m.alt || "", url: picker.getAttribute("data-upload-url").replace(/upload$/, String(m.id)) });
      });
      draw();
    } catch (e) { field.value = ""; }
  }
})();
