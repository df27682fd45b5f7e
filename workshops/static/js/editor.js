// Translation editor enhancements. The page works without this file.
// 1. Drafts: every keystroke is kept in this browser (localStorage), so an
//    expired session or a dropped connection loses nothing; when the page
//    comes back with a different text, the draft is offered back.
// 2. Ctrl+Enter saves and goes to the next entry.
// 3. (below) More shortcuts and placeholders copied with a click.
(function () {
  "use strict";
  var editor = document.getElementById("editor");
  if (!editor) { return; }
  var form = editor.querySelector("form.translation-form");
  var fields = Array.prototype.slice.call(form.querySelectorAll("textarea[name=translation]"));
  var note = form.querySelector(".draft-note");
  var key = editor.getAttribute("data-draft-key");
  var current = JSON.parse(editor.getAttribute("data-current") || "[]");
  var storage;
  try { storage = window.localStorage; } catch (e) { storage = null; }
  if (!storage) { return; }

  function values() { return fields.map(function (f) { return f.value; }); }
  function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

  var saved = null;
  try { saved = JSON.parse(storage.getItem(key) || "null"); } catch (e) { saved = null; }
  if (saved && (same(saved.forms, current) || same(saved.forms, values()))) {
    storage.removeItem(key);  // the server has it now
  } else if (saved && saved.forms) {
    note.hidden = false;
    note.textContent = note.getAttribute("data-text") || "";
    var restore = document.createElement("button");
    restore.type = "button";
    restore.className = "button secondary";
    restore.textContent = editor.getAttribute("data-restore-label") || "↺";
    restore.addEventListener("click", function () {
      saved.forms.forEach(function (v, i) { if (fields[i]) { fields[i].value = v; } });
      note.hidden = true;
    });
    var discard = document.createElement("button");
    discard.type = "button";
    discard.className = "link";
    discard.textContent = editor.getAttribute("data-discard-label") || "×";
    discard.addEventListener("click", function () { storage.removeItem(key); note.hidden = true; });
    note.appendChild(document.createTextNode(" "));
    note.appendChild(restore);
    note.appendChild(document.createTextNode(" "));
    note.appendChild(discard);
  }

  fields.forEach(function (field) {
    field.addEventListener("input", function () {
      storage.setItem(key, JSON.stringify({ forms: values(), at: Date.now() }));
    });
  });

  form.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && !event.altKey) {
      event.preventDefault();
      var next = form.querySelector("button[value=save_next]");
      if (next) { next.click(); }
    }
  });
  if (fields[0]) { fields[0].focus(); }
})();

// Shortcuts (listed on the page): Alt+Left/Right previous/next entry,
//    Alt+Insert copies the source into the translation, Ctrl+Alt+Enter approves
//    and goes on; a click on a placeholder in the source inserts it at the cursor.
(function () {
  "use strict";
  var editor = document.getElementById("editor");
  if (!editor) { return; }
  var form = editor.querySelector("form.translation-form");
  var fields = Array.prototype.slice.call(form.querySelectorAll("textarea[name=translation]"));
  var source = editor.querySelector(".source-box .source");
  var lastField = fields[0];
  fields.forEach(function (field) {
    field.addEventListener("focus", function () { lastField = field; });
  });

  function insert(text) {
    var field = lastField || fields[0];
    if (!field) { return; }
    var start = field.selectionStart || 0;
    var end = field.selectionEnd || 0;
    field.value = field.value.slice(0, start) + text + field.value.slice(end);
    field.focus();
    field.selectionStart = field.selectionEnd = start + text.length;
    field.dispatchEvent(new Event("input"));
  }

  Array.prototype.forEach.call(editor.querySelectorAll("code.placeholder"), function (code) {
    code.setAttribute("role", "button");
    code.setAttribute("tabindex", "0");
    code.addEventListener("click", function () { insert(code.textContent); });
    code.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); insert(code.textContent); }
    });
  });

  document.addEventListener("keydown", function (event) {
    var link;
    if (event.altKey && !event.ctrlKey && event.key === "ArrowRight") {
      link = editor.querySelector("a[data-shortcut=next]");
    } else if (event.altKey && !event.ctrlKey && event.key === "ArrowLeft") {
      link = editor.querySelector("a[data-shortcut=previous]");
    } else if (event.altKey && event.key === "Insert" && source) {
      event.preventDefault();
      var field = lastField || fields[0];
      if (field) { field.value = source.textContent; field.focus(); field.dispatchEvent(new Event("input")); }
      return;
    } else if (event.altKey && event.ctrlKey && event.key === "Enter") {
      var approve = form.querySelector("button[value=approve_next]");
      if (approve) { event.preventDefault(); approve.click(); }
      return;
    }
    if (link) { event.preventDefault(); window.location.href = link.href; }
  });
})();
