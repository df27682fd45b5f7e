/* Field mode: packs kept on the device, attendance queued offline, sync applied once by the server.
   Plain JavaScript, no build step, no other origin. Data lives in IndexedDB ("workshops-field"),
   pages in Cache Storage ("workshops-pack"); sw.js answers from that cache with no network. */
(function () {
  "use strict";
  var root = document.getElementById("field");
  if (!root) return;
  var words = JSON.parse(root.dataset.strings);
  var PACK_CACHE = "workshops-pack";
  var BATCH = 500;

  function say(key, values) {
    return words[key].replace(/%\((\w+)\)s/g, function (_m, name) { return String(values[name]); });
  }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;  // never innerHTML: names are user text
    return node;
  }
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  /* IndexedDB, wrapped in promises */
  var dbPromise = new Promise(function (resolve, reject) {
    if (!window.indexedDB) { reject(new Error(words.no_storage)); return; }
    var open = indexedDB.open("workshops-field", 1);
    open.onupgradeneeded = function () {
      var db = open.result;
      db.createObjectStore("packs", { keyPath: "id" });
      db.createObjectStore("queue", { keyPath: "id" });
      db.createObjectStore("rejected", { keyPath: "id" });
    };
    open.onsuccess = function () { resolve(open.result); };
    open.onerror = function () { reject(open.error); };
  });
  function store(name, mode, work) {
    return dbPromise.then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(name, mode);
        var result = work(tx.objectStore(name));
        tx.oncomplete = function () { resolve(result && "result" in result ? result.result : result); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
      });
    });
  }
  function all(name) { return store(name, "readonly", function (s) { return s.getAll(); }); }

  /* Connection and queue status */
  var queueStatus = document.getElementById("queue-status");
  var sendButton = document.getElementById("send-now");
  function showConnection() {
    var node = document.getElementById("connection");
    if (node) node.textContent = navigator.onLine ? words.online : words.offline;
  }
  function showQueue(extra) {
    return all("queue").then(function (items) {
      queueStatus.textContent = items.length ? say("saved_here", { count: items.length }) : words.nothing_queued;
      if (extra) queueStatus.textContent += " " + extra;
      sendButton.hidden = !items.length;
      return items.length;
    });
  }

  /* Sync: send what is queued; remove only what the server confirmed */
  var sending = false;
  function send() {
    if (sending || !navigator.onLine) return Promise.resolve();
    sending = true;
    queueStatus.textContent = words.sending;
    var totals = { applied: 0, conflicts: 0, rejected: 0 };
    return all("queue").then(function (items) {
      if (!items.length) return null;
      return fetch(root.dataset.tokenUrl, { credentials: "same-origin", cache: "no-store" })
        .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
        .then(function (token) {
          var batches = [];
          for (var i = 0; i < items.length; i += BATCH) batches.push(items.slice(i, i + BATCH));
          return batches.reduce(function (chain, batch) {
            return chain.then(function () {
              return fetch(root.dataset.syncUrl, {
                method: "POST", credentials: "same-origin", cache: "no-store",
                headers: { "Content-Type": "application/json", "X-CSRFToken": token.csrf_token },
                body: JSON.stringify({ records: batch })
              }).then(function (r) {
                if (!r.ok) throw new Error(String(r.status));
                return r.json();
              }).then(function (answer) { return settle(batch, answer.results, totals); });
            });
          }, Promise.resolve());
        });
    }).then(function (done) {
      sending = false;
      showRejected();
      return showQueue(done === null ? "" : say("sent", totals));
    }, function () {
      sending = false;
      return showQueue(words.send_failed);
    });
  }
  function settle(batch, results, totals) {
    var byId = {};
    batch.forEach(function (item) { byId[item.id] = item; });
    return store("queue", "readwrite", function (queue) {
      results.forEach(function (result) {
        var item = byId[result.id];
        if (!item) return;
        if (result.outcome === "applied" || result.outcome === "already_applied") totals.applied += 1;
        else if (result.outcome === "conflict") totals.conflicts += 1;
        else totals.rejected += 1;
        queue.delete(result.id);  // applied, kept for review (conflict), or refused for good
      });
    }).then(function () {
      var refused = results.filter(function (r) { return r.outcome === "rejected" && byId[r.id]; });
      if (!refused.length) return;
      return store("rejected", "readwrite", function (s) {
        refused.forEach(function (r) { s.put(Object.assign({}, byId[r.id], { reason: r.reason })); });
      });
    });
  }
  sendButton.addEventListener("click", send);
  window.addEventListener("online", function () { showConnection(); send(); });
  window.addEventListener("offline", showConnection);

  /* Packs */
  function latestSession(id) {
    return all("packs").then(function (packs) {
      packs.sort(function (a, b) { return a.taken_at < b.taken_at ? 1 : -1; });
      for (var i = 0; i < packs.length; i++) {
        var found = packs[i].sessions.filter(function (s) { return s.id === id; })[0];
        if (found) return { pack: packs[i], session: found };
      }
      return null;
    });
  }
  function showRejected() {
    var list = document.getElementById("rejected-list");
    if (!list) return Promise.resolve();
    return all("rejected").then(function (items) {
      list.textContent = "";
      items.forEach(function (item) {
        var who = item.walk_in ? item.walk_in.given_names : "#" + item.person_id;
        list.appendChild(el("li", {}, who + " · " + say("rejected", { reason: item.reason })));
      });
    });
  }
  function showPacks() {
    var list = document.getElementById("device-packs");
    if (!list) return Promise.resolve();
    return all("packs").then(function (packs) {
      list.textContent = "";
      if (!packs.length) list.appendChild(el("li", {}, words.no_packs));
      packs.forEach(function (pack) {
        var item = el("li", { "class": "pack" });
        item.appendChild(el("p", { "class": "meta" }, say("taken", { when: new Date(pack.taken_at).toLocaleString() })));
        pack.sessions.forEach(function (s) {
          var line = el("p");
          line.appendChild(el("a", { href: root.dataset.offlineUrl + "#session=" + s.id },
            s.date + " · " + s.community + " · " + say("module", s.module)));
          item.appendChild(line);
        });
        var remove = el("button", { type: "button", "class": "link" }, words.remove);
        remove.addEventListener("click", function () {
          store("packs", "readwrite", function (st) { st.delete(pack.id); }).then(showPacks);
        });
        item.appendChild(remove);
        list.appendChild(item);
      });
    });
  }
  function packUrl(form) {
    var query = new URLSearchParams(new FormData(form)).toString();
    return form.getAttribute("action") + "?" + query;
  }
  function measure(form, note) {
    if (!new FormData(form).getAll("session").length) { note.textContent = ""; return Promise.resolve(null); }
    note.textContent = words.measuring;
    return fetch(packUrl(form), { credentials: "same-origin", cache: "no-store" }).then(function (r) {
      return r.json().then(function (body) { if (!r.ok) throw new Error(body.error || r.status); return body; });
    }).then(function (pack) {
      var bytes = JSON.stringify(pack).length;
      return Promise.all(pack.files.map(function (url) {
        return fetch(url, { method: "HEAD", credentials: "same-origin" }).then(function (r) {
          return Number(r.headers.get("Content-Length") || 0);
        });
      })).then(function (sizes) {
        sizes.forEach(function (n) { bytes += n; });
        note.textContent = say("size", { size: Math.ceil(bytes / 1024) });
        return pack;
      });
    }).catch(function (error) { note.textContent = say("pack_failed", { reason: error.message }); return null; });
  }
  var form = document.getElementById("pack-form");
  if (form) {
    var note = document.getElementById("pack-size");
    form.addEventListener("change", function () { measure(form, note); });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!new FormData(form).getAll("session").length) { note.textContent = words.choose_session; return; }
      note.textContent = words.downloading;
      fetch(packUrl(form), { credentials: "same-origin", cache: "no-store" }).then(function (r) {
        return r.json().then(function (body) { if (!r.ok) throw new Error(body.error || r.status); return body; });
      }).then(function (pack) {
        return caches.open(PACK_CACHE).then(function (cache) {
          return Promise.all(pack.files.map(function (url) {
            return fetch(url, { credentials: "same-origin" }).then(function (r) {
              if (!r.ok || r.redirected) throw new Error(url + " " + r.status);
              return cache.put(url, r);
            });
          }));
        }).then(function () {
          pack.id = pack.taken_at + "-" + pack.sessions.map(function (s) { return s.id; }).join("-");
          return store("packs", "readwrite", function (s) { s.put(pack); });
        });
      }).then(function () {
        note.textContent = words.pack_saved;
        return showPacks();
      }).catch(function (error) { note.textContent = say("pack_failed", { reason: error.message }); });
    });
  }

  /* A session from a pack: statuses, remarks and walk-ins saved on the device */
  var attendanceForm = document.getElementById("offline-attendance");
  function openSession() {
    var match = /session=(\d+)/.exec(location.hash);
    if (!match) return Promise.resolve();
    var id = Number(match[1]);
    return Promise.all([latestSession(id), all("queue")]).then(function (found) {
      var hit = found[0];
      if (!hit) { document.getElementById("session-facts").textContent = words.no_session; return; }
      var session = hit.session;
      var queued = {};
      found[1].forEach(function (item) { if (item.session_id === id && item.person_id) queued[item.person_id] = item; });
      document.getElementById("session-title").textContent = say("module", session.module);
      document.getElementById("session-facts").textContent = session.date + " · " + session.community;
      var files = document.getElementById("session-files");
      files.textContent = "";
      session.files.forEach(function (url) {
        var item = el("li");
        item.appendChild(el("a", { href: url }, decodeURIComponent(url.split("?")[0].split("/").pop() || url) +
          (url.indexOf("lang=") > -1 ? " (" + /lang=(\w+)/.exec(url)[1] + ")" : "")));
        files.appendChild(item);
      });
      var body = document.getElementById("roster-body");
      body.textContent = "";
      var options = document.getElementById("status-options");
      session.roster.forEach(function (group) {
        group.persons.forEach(function (person) {
          var mine = queued[person.id];
          var row = el("tr", { "data-person": person.id, "data-base": person.status || "",
            "data-base-remark": person.remark || "" });
          row.appendChild(el("th", { scope: "row" }, (group.household ? group.household + " · " : "") + person.name));
          var cell = el("td");
          var select = el("select", { "aria-label": person.name, name: "status-" + person.id });
          select.appendChild(options.content.cloneNode(true));
          select.value = mine ? mine.status : person.status || "";
          cell.appendChild(select);
          row.appendChild(cell);
          var remark = el("input", { type: "text", maxlength: "500", "aria-label": person.name, name: "remark-" + person.id });
          remark.value = mine ? mine.remark : person.remark || "";
          var remarkCell = el("td");
          remarkCell.appendChild(remark);
          row.appendChild(remarkCell);
          body.appendChild(row);
        });
      });
      found[1].forEach(function (item) {
        if (item.session_id === id && item.walk_in) body.appendChild(walkInRow(item.walk_in, item.id));
      });
      attendanceForm.hidden = false;
      attendanceForm.dataset.session = String(id);
    });
  }
  function walkInRow(person, queuedId) {
    var row = el("tr", { "class": "walk-in", "data-queued": queuedId || "" });
    row.walkIn = person;
    row.appendChild(el("th", { scope: "row" }, person.given_names + " " + person.family_names + " (" + words.walk_in + ")"));
    row.appendChild(el("td", {}, "✓"));
    row.appendChild(el("td"));
    return row;
  }
  if (attendanceForm) {
    document.getElementById("add-walk-in").addEventListener("click", function () {
      var given = document.getElementById("walkin-given");
      if (!given.value.trim()) { queueStatus.textContent = words.walk_in_name; given.focus(); return; }
      var sex = document.getElementById("walkin-sex");
      if (!sex.value) { queueStatus.textContent = words.walk_in_sex; sex.focus(); return; }
      var year = document.getElementById("walkin-year");
      if (year.value && !/^\d{4}$/.test(year.value.trim())) { queueStatus.textContent = words.walk_in_year; year.focus(); return; }
      var consent = document.getElementById("walkin-consent");
      document.getElementById("roster-body").appendChild(walkInRow({
        given_names: given.value.trim(),
        family_names: document.getElementById("walkin-family").value.trim(),
        sex: sex.value,
        birth_year: year.value ? Number(year.value) : null,
        consent: consent.checked
      }));
      given.value = ""; document.getElementById("walkin-family").value = ""; year.value = "";
      sex.value = ""; consent.checked = false;
    });
    attendanceForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var id = Number(attendanceForm.dataset.session);
      var now = new Date().toISOString();  // the device's clock: stored apart, never the session's date
      all("queue").then(function (items) {
        var old = {};
        items.forEach(function (item) { if (item.session_id === id && item.person_id) old[item.person_id] = item; });
        return store("queue", "readwrite", function (queue) {
          Array.prototype.forEach.call(document.querySelectorAll("#roster-body tr"), function (row) {
            if (row.walkIn) {
              if (!row.dataset.queued) {
                row.dataset.queued = uuid();
                queue.put({ id: row.dataset.queued, session_id: id, walk_in: row.walkIn, status: "present",
                  remark: "", base_status: "", entered_at: now });
              }
              return;
            }
            var person = Number(row.dataset.person);
            var status = row.querySelector("select").value;
            var remark = row.querySelector("input").value.trim();
            var before = old[person];
            var unchanged = before ? before.status === status && before.remark === remark
              : status === row.dataset.base && remark === row.dataset.baseRemark;
            if (!status || unchanged) return;
            if (before) queue.delete(before.id);  // not sent yet: the newer entry replaces it
            queue.put({ id: uuid(), session_id: id, person_id: person, status: status, remark: remark,
              base_status: row.dataset.base, entered_at: now });
          });
        });
      }).then(function () { return showQueue(words.saved); }).then(function () { if (navigator.onLine) send(); });
    });
    window.addEventListener("hashchange", openSession);
  }

  if ("serviceWorker" in navigator) navigator.serviceWorker.register(root.dataset.swUrl, { scope: "/" });
  showConnection();
  dbPromise.then(function () {
    return Promise.all([showQueue(), showPacks(), showRejected(), openSession()]);
  }).then(function () { if (navigator.onLine) send(); }, function (error) {
    queueStatus.textContent = error.message;
  });
})();
