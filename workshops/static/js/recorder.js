// The recording page with a microphone: record, listen back, record again, save.
// Without JavaScript (or MediaRecorder) the page's file field does the same job:
// a phone offers its own recorder for it. The take is sent as that form's file.
// Until the server has it, the take is kept in IndexedDB (one per text and
// language): a dropped connection or a closed page loses nothing, and the page
// offers it again, as the translation editor does with text drafts. A save that
// failed for want of a connection is tried again by itself when the connection returns.
(function () {
  "use strict";
  var box = document.getElementById("recorder");
  var form = document.getElementById("recording-form");
  if (!box || !form || !window.MediaRecorder || !navigator.mediaDevices) return;
  var labels = box.dataset;
  var chunks = [];
  var recorder = null;
  var take = null;
  var pendingKey = labels.pendingKey;

  // IndexedDB: one store of unsent takes, keyed by "language:text id". Without it, nothing is kept.
  function withStore(mode, work) {
    return new Promise(function (resolve) {
      if (!window.indexedDB) { resolve(null); return; }
      var open = indexedDB.open("workshops-recordings", 1);
      open.onupgradeneeded = function () { open.result.createObjectStore("pending"); };
      open.onerror = function () { resolve(null); };
      open.onsuccess = function () {
        var db = open.result;
        var transaction = db.transaction("pending", mode);
        var request = work(transaction.objectStore("pending"));
        transaction.oncomplete = function () { db.close(); resolve(request.result); };
        transaction.onerror = transaction.onabort = function () { db.close(); resolve(null); };
      };
    });
  }
  function keep(blob) { return withStore("readwrite", function (store) { return store.put(blob, pendingKey); }); }
  function forget() { return withStore("readwrite", function (store) { return store.delete(pendingKey); }); }
  function pending() { return withStore("readonly", function (store) { return store.get(pendingKey); }); }

  function button(label, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "button big";
    b.textContent = label;
    b.addEventListener("click", onClick);
    return b;
  }

  var status = document.createElement("p");
  status.setAttribute("role", "status");
  var player = document.createElement("audio");
  player.controls = true;
  player.hidden = true;
  var start = button(labels.startLabel, begin);
  var stop = button(labels.stopLabel, end);
  var save = button(labels.saveLabel, send);
  stop.hidden = true;
  save.hidden = true;
  box.append(start, stop, player, save, status);
  box.hidden = false;

  function show(blob) {
    take = blob;
    if (player.src) URL.revokeObjectURL(player.src);
    player.src = URL.createObjectURL(take);
    player.hidden = false;
    save.hidden = false;
    save.disabled = false;
    start.textContent = labels.againLabel;
    start.hidden = false;
  }

  pending().then(function (blob) {
    if (blob && !take) {
      show(blob);
      status.textContent = labels.pendingLabel;
    }
  });

  function begin() {
    navigator.mediaDevices.getUserMedia({ audio: true }).then(function (stream) {
      chunks = [];
      recorder = new MediaRecorder(stream);
      recorder.ondataavailable = function (event) { if (event.data.size) chunks.push(event.data); };
      recorder.onstop = function () {
        stream.getTracks().forEach(function (track) { track.stop(); });
        show(new Blob(chunks, { type: recorder.mimeType || "audio/webm" }));
        keep(take);
        stop.hidden = true;
      };
      recorder.start();
      start.hidden = true;
      save.hidden = true;
      stop.hidden = false;
      status.textContent = "";
    }, function () {
      status.textContent = labels.deniedLabel;
    });
  }

  function end() {
    if (recorder && recorder.state !== "inactive") recorder.stop();
  }

  function send() {
    if (!take) return;
    var data = new FormData(form);
    var extension = take.type.indexOf("ogg") >= 0 ? "ogg" : "webm";
    data.set("audio", take, "grabacion." + extension);
    save.disabled = true;
    status.textContent = labels.savingLabel;
    fetch(form.action || window.location.href, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    }).then(function (response) {
      return response.json();
    }).then(function (answer) {
      // The server took it, or refused it for good (a file it cannot use): either way it is not kept.
      forget().then(function () {
        if (answer.ok) {
          window.location.assign(answer.location);
        } else {
          status.textContent = answer.message;
          save.disabled = false;
        }
      });
    }, function () {
      status.textContent = labels.failedLabel;
      save.disabled = false;
      window.addEventListener("online", retry, { once: true });
    });
  }

  function retry() {
    if (take && !save.disabled) send();
  }
})();
