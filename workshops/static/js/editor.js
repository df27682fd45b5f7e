// Translation editor enhancements. The page works without this file.
// 1. Drafts: every keystroke is kept in this browser (localStorage), so an
//    expired session or a dropped connection loses nothing; when the page
//    comes back with a different text, the draft is offered back.
// 2. Ctrl+Enter saves and goes to the next entry.
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
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      var next = form.querySelector("button[value=save_next]");
      if (next) { next.click(); }
    }
  });
  if (fields[0]) { fields[0].focus(); }
})();
