/* Field mode: packs kept on the device, attendance queued offline, sync applied once by the server.
   Plain JavaScript, no build step, no other origin. Data lives in IndexedDB ("workshops-field"),
   pages in Cache Storage ("workshops-pack"; a session's sheet, which names its people, in
   "workshops-personal-<account>"); sw.js answers from those caches when the network does not.

   Everything on the device belongs to the account that made it (owner): another account signed
   in on the same phone never sees, sends or removes it. A record the server refuses is never
   dropped: it stays, with the person's name and the reason, until its owner sends it again or
   discards it, or a coordinator takes it over. Signing out removes the account's packs and
   sheets (the materials stay); unsent records stay for their owner. Removing a pack, or taking
   its sessions again (which replaces it), removes the files that no other pack kept here lists.

   Loaded on every signed-in page (base.html) for the sign-out check and the retries; the field
   pages (#field) add packs and the offline session. */
(function () {
  "use strict";
  var root = document.getElementById("field");
  var logoutForm = document.getElementById("logout-form");
  if (!root && !logoutForm) return;
  var config = root || logoutForm;
  var words = {};
  if (logoutForm) Object.assign(words, JSON.parse(logoutForm.dataset.guardStrings));
  if (root) Object.assign(words, JSON.parse(root.dataset.strings));
  var PACK_CACHE = "workshops-pack";
  var PERSONAL_PREFIX = "workshops-personal-";
  var WAIT = 20000;       // a request that has not answered by then is given up (and retried)
  var FIRST_RETRY = 5000; // then twice as long after each failure, up to a minute
  var LAST_RETRY = 60000;
  var batchSize = 500;
  var pageAccount = logoutForm ? Number(logoutForm.dataset.account) : null;

  function say(key, values) {
    return (words[key] || key).replace(/%\((\w+)\)s/g, function (_m, name) { return String(values[name]); });
  }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;  // never innerHTML: names are user text
    return node;
  }
  function byId(id) { return document.getElementById(id); }
  function show(id, text) { var node = byId(id); if (node) node.textContent = text; }
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  /* fetch that gives up after `wait` ms: a connection that accepts and never answers is a failure. */
  function timedFetch(url, options, wait) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = setTimeout(function () { if (controller) controller.abort(); }, wait || WAIT);
    return fetch(url, Object.assign({ credentials: "same-origin", cache: "no-store" }, options || {},
      controller ? { signal: controller.signal } : {})).then(function (r) { clearTimeout(timer); return r; },
      function (error) { clearTimeout(timer); throw error; });
  }
  function Problem(kind, status) { this.kind = kind; this.status = status; }

  /* IndexedDB, wrapped in promises */
  var dbPromise = new Promise(function (resolve, reject) {
    if (!window.indexedDB) { reject(new Error(words.no_storage)); return; }
    var open = indexedDB.open("workshops-field", 2);
    open.onupgradeneeded = function () {
      var db = open.result;
      ["packs", "queue", "rejected"].forEach(function (name) {
        if (!db.objectStoreNames.contains(name)) db.createObjectStore(name, { keyPath: "id" });
      });
      if (!db.objectStoreNames.contains("meta")) db.createObjectStore("meta", { keyPath: "key" });
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
  /* What belongs to the account signed in (nothing when no one is). Items from before owners
     existed are nobody's: they are shown to no one and sent by no one. */
  function mine(name) {
    return all(name).then(function (items) {
      return account ? items.filter(function (item) { return item.owner === account.id; }) : [];
    });
  }

  /* The account signed in on this device: the server says when it answers, the device remembers. */
  var account = null;
  function remember(user) {
    account = user;
    return store("meta", "readwrite", function (s) {
      if (user) s.put({ key: "account", user: user }); else s.delete("account");
    }).then(function () { return user; });
  }
  function remembered() {
    return store("meta", "readonly", function (s) { return s.get("account"); }).then(function (meta) {
      account = meta ? meta.user : null;
      return account;
    });
  }
  /* Ask the server; with no answer (no network, a hanging one) the device's memory stands. */
  function whoami() {
    return timedFetch(config.dataset.tokenUrl, {}, 8000).then(function (r) {
      if (r.status === 401) return remember(null);
      if (!r.ok) throw new Problem("refused", r.status);
      return r.json().then(function (body) { return remember(body.user); });
    }).catch(function () { return account; });
  }

  /* Status lines */
  function showConnection() { show("connection", navigator.onLine ? words.online : words.offline); }
  var lastProblem = "";
  function showQueue(extra) {
    return mine("queue").then(function (items) {
      var text = !account ? words.signed_out
        : items.length ? say("saved_here", { count: items.length }) : words.nothing_queued;
      show("queue-status", text + (extra ? " " + extra : ""));
      var button = byId("send-now");
      if (button) button.hidden = !items.length;
      return items.length;
    });
  }
  function problemText(problem) {
    if (problem && problem.kind === "expired") return words.expired;
    if (problem && problem.kind === "other_account") return words.other_account;
    if (problem && problem.kind === "refused") return say("refused", { status: problem.status });
    return words.send_failed;
  }

  /* Sync: send what this account queued; remove only what the server answered for. */
  var sending = null;
  var failures = 0;
  var retryTimer = null;
  function retryLater() {
    clearTimeout(retryTimer);
    var wait = Math.min(LAST_RETRY, FIRST_RETRY * Math.pow(2, Math.max(0, failures - 1)));
    retryTimer = setTimeout(function () { retryTimer = null; send(); }, wait);
  }
  function freshToken() {
    return timedFetch(config.dataset.tokenUrl).then(function (r) {
      if (r.status === 401) throw new Problem("expired");
      if (!r.ok) throw new Problem("refused", r.status);
      return r.json();
    }).then(function (body) {
      // Someone else signed in on this browser since: this account's records wait for it.
      if (!account || body.user.id !== account.id) throw new Problem("other_account");
      return body.csrf_token;
    });
  }
  function postBatch(batch, csrf, totals) {
    return timedFetch(config.dataset.syncUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ records: batch.map(forServer) })
    }).then(function (r) {
      if (r.status === 413 && batch.length > 1) {
        batchSize = Math.max(1, Math.floor(batch.length / 2));  // too large for the server: halve it
        return postAll(batch, csrf, totals);
      }
      if (r.status === 401) throw new Problem("expired");
      if (!r.ok) throw new Problem("refused", r.status);
      return r.json().then(function (answer) { return settle(batch, answer.results, totals); });
    });
  }
  function postAll(items, csrf, totals) {
    var batches = [];
    for (var i = 0; i < items.length; i += batchSize) batches.push(items.slice(i, i + batchSize));
    return batches.reduce(function (chain, batch) {
      return chain.then(function () { return postBatch(batch, csrf, totals); });
    }, Promise.resolve());
  }
  function forServer(item) {
    var sent = { id: item.id, session_id: item.session_id, status: item.status, remark: item.remark,
      base_status: item.base_status, entered_at: item.entered_at };
    if (item.walk_in) sent.walk_in = item.walk_in; else sent.person_id = item.person_id;
    if (typeof item.base_remark === "string") sent.base_remark = item.base_remark;
    return sent;
  }
  function send() {
    if (sending) return sending;
    clearTimeout(retryTimer);
    var totals = { applied: 0, conflicts: 0, rejected: 0 };
    sending = mine("queue").then(function (items) {
      if (!items.length) return null;
      show("queue-status", words.sending);
      return freshToken().then(function (csrf) { return postAll(items, csrf, totals); }).then(function () {
        return refreshPacks();
      });
    }).then(function (done) {
      sending = null; failures = 0; lastProblem = "";
      return Promise.all([showRejected(), openSession()]).then(function () {
        return showQueue(done === null ? "" : say("sent", totals));
      });
    }, function (problem) {
      sending = null; failures += 1; lastProblem = problemText(problem);
      return showQueue(lastProblem).then(function (left) { if (left) retryLater(); });
    });
    return sending;
  }
  function settle(batch, results, totals) {
    var byKey = {};
    batch.forEach(function (item) { byKey[item.id] = item; });
    var answered = results.filter(function (r) { return byKey[r.id]; });
    return store("queue", "readwrite", function (queue) {
      answered.forEach(function (result) {
        if (result.outcome === "applied" || result.outcome === "already_applied") totals.applied += 1;
        else if (result.outcome === "conflict") totals.conflicts += 1;
        else totals.rejected += 1;
        queue.delete(result.id);  // applied, kept for a coordinator (conflict), or moved to "rejected" below
      });
    }).then(function () {
      return store("rejected", "readwrite", function (s) {
        answered.forEach(function (r) {
          if (r.outcome === "rejected") s.put(Object.assign({}, byKey[r.id], { reason: r.reason }));
        });
      });
    }).then(function () { return acknowledge(batch, answered); });
  }
  /* Keep what the server acknowledged as the device's base, in case the refresh below fails. */
  function acknowledge(batch, answered) {
    var seen = {};
    answered.forEach(function (r) {
      var item = batch.filter(function (b) { return b.id === r.id; })[0];
      if (r.server && item.person_id) seen[item.session_id + ":" + item.person_id] = r.server;
    });
    return mine("packs").then(function (packs) {
      return store("packs", "readwrite", function (s) {
        packs.forEach(function (pack) {
          pack.sessions.forEach(function (session) {
            session.roster.forEach(function (group) {
              group.persons.forEach(function (person) {
                var value = seen[session.id + ":" + person.id];
                if (value) { person.status = value.status; person.remark = value.remark; }
              });
            });
          });
          putBack(s, pack);
        });
      });
    });
  }
  /* Write back a pack read earlier, unless it was removed or replaced meanwhile (its files may be gone). */
  function putBack(packStore, pack) {
    var get = packStore.get(pack.id);
    get.onsuccess = function () { if (get.result) packStore.put(pack); };
  }
  /* After a sync the device holds the server's current marks (and new walk-ins) of its sessions. */
  function refreshPacks() {
    return mine("packs").then(function (packs) {
      return Promise.all(packs.map(function (pack) {
        var query = pack.sessions.map(function (s) { return "session=" + s.id; })
          .concat(pack.languages.map(function (code) { return "lang=" + encodeURIComponent(code); })).join("&");
        return timedFetch(config.dataset.packUrl + "?" + query).then(function (r) {
          if (!r.ok) return null;  // a session cancelled or reassigned since: keep what the device has
          return r.json().then(function (fresh) {
            var byKey = {};
            fresh.sessions.forEach(function (s) { byKey[s.id] = s; });
            pack.sessions.forEach(function (s) {
              if (byKey[s.id]) { s.roster = byKey[s.id].roster; s.revision = byKey[s.id].revision; }
            });
            pack.refreshed_at = fresh.taken_at;
            return store("packs", "readwrite", function (st) { putBack(st, pack); });
          });
        }).catch(function () { return null; });
      }));
    });
  }

  /* Refused records: shown with the person's name and the reason until someone acts on them. */
  function showRejected() {
    var list = byId("rejected-list");
    if (!list) return Promise.resolve();
    return all("rejected").then(function (items) {
      list.textContent = "";
      items.forEach(function (item) {
        var own = account && item.owner === account.id;
        if (!own && !(account && account.manager)) return;  // another account's: a coordinator may take it over
        var line = el("li", {}, (item.name || "#" + item.person_id) + " · " + say("rejected", { reason: item.reason }) +
          (own ? "" : " · " + say("by", { user: item.owner_name || "?" })) + " ");
        var again = el("button", { type: "button", "class": "link" }, own ? words.resend : words.take_over);
        again.addEventListener("click", function () { requeue(item); });
        line.appendChild(again);
        if (own) {
          var drop = el("button", { type: "button", "class": "link" }, words.discard);
          drop.addEventListener("click", function () {
            if (!window.confirm(words.discard_confirm)) return;
            store("rejected", "readwrite", function (s) { s.delete(item.id); }).then(showRejected);
          });
          line.appendChild(drop);
        }
        list.appendChild(line);
      });
    });
  }
  function requeue(item) {
    // A new id: the server remembers the refused one. A coordinator who takes it over sends it as theirs.
    var again = Object.assign({}, item, { id: uuid(), owner: account.id, owner_name: account.name });
    delete again.reason;
    return store("queue", "readwrite", function (s) { s.put(again); }).then(function () {
      return store("rejected", "readwrite", function (s) { s.delete(item.id); });
    }).then(function () { return Promise.all([showRejected(), showQueue()]); }).then(send);
  }

  /* Sign-out: offer to send first; then remove this account's packs and sheets from the device. */
  function forget(user) {
    return all("packs").then(function (packs) {
      return store("packs", "readwrite", function (s) {
        packs.forEach(function (pack) { if (pack.owner === user.id) s.delete(pack.id); });
      });
    }).then(function () {
      return window.caches ? caches.delete(PERSONAL_PREFIX + user.id) : null;
    }).then(function () { return remember(null); });
  }
  function signOut() {
    var leave = function () { HTMLFormElement.prototype.submit.call(logoutForm); };
    var user = account;
    if (!user) { leave(); return Promise.resolve(); }
    return mine("queue").then(function (items) {
      if (!items.length) return true;
      if (window.confirm(say("logout_unsent", { count: items.length }))) {
        return send().then(function () { return mine("queue"); }).then(function (left) {
          return !left.length || window.confirm(say("logout_failed", { count: left.length }));
        });
      }
      return window.confirm(words.logout_keep);
    }).then(function (go) {
      if (go) return forget(user).then(leave, leave);
    });
  }
  if (logoutForm) {
    logoutForm.addEventListener("submit", function (event) {
      event.preventDefault();
      // The page was served to the account signing out: its records and packs are the ones to check.
      var id = Number(logoutForm.dataset.account);
      if (!account || account.id !== id) account = { id: id, name: "" };
      dbPromise.then(signOut, function () { HTMLFormElement.prototype.submit.call(logoutForm); });
    });
  }

  /* Packs */
  function latestSession(id) {
    return mine("packs").then(function (packs) {
      packs.sort(function (a, b) { return a.taken_at < b.taken_at ? 1 : -1; });
      for (var i = 0; i < packs.length; i++) {
        var found = packs[i].sessions.filter(function (s) { return s.id === id; })[0];
        if (found) return { pack: packs[i], session: found };
      }
      return null;
    });
  }
  function showPacks() {
    var list = byId("device-packs");
    if (!list) return Promise.resolve();
    return mine("packs").then(function (packs) {
      list.textContent = "";
      if (!packs.length) list.appendChild(el("li", {}, account ? words.no_packs : words.signed_out));
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
        remove.addEventListener("click", function () { removePack(pack).then(showPacks); });
        item.appendChild(remove);
        list.appendChild(item);
      });
    });
  }
  function query(form) { return new URLSearchParams(new FormData(form)).toString(); }
  var measured = {};  // bytes of each file, measured once: ticking a box does not download the pack
  function headSize(url) {
    if (!(url in measured)) {
      measured[url] = timedFetch(url, { method: "HEAD", cache: "default" }).then(function (r) {
        return Number(r.headers.get("Content-Length") || 0);
      }, function () { delete measured[url]; return 0; });
    }
    return measured[url];
  }
  function measure(form, note) {
    if (!new FormData(form).getAll("session").length) { note.textContent = ""; return Promise.resolve(null); }
    note.textContent = words.measuring;
    return timedFetch(root.dataset.estimateUrl + "?" + query(form)).then(function (r) {
      return r.json().then(function (body) { if (!r.ok) throw new Error(body.error || r.status); return body; });
    }).then(function (estimate) {
      return Promise.all(estimate.files.map(headSize)).then(function (sizes) {
        var audio = estimate.recording_bytes || 0;  // the server knows it
        var bytes = estimate.roster_bytes + audio;
        sizes.forEach(function (n) { bytes += n; });
        note.textContent = estimate.recordings
          ? say("size_recordings", { size: Math.ceil(bytes / 1024), count: estimate.recordings, audio: Math.ceil(audio / 1024) })
          : say("size", { size: Math.ceil(bytes / 1024) });
      });
    }).catch(function (error) { note.textContent = say("pack_failed", { reason: error.message }); });
  }
  function keepFiles(cacheName, urls) {
    return caches.open(cacheName).then(function (cache) {
      var failed = null;  // every file settles before the failure is told: none lands after the clean-up
      return Promise.all(urls.map(function (url) {
        return fetch(url, { credentials: "same-origin" }).then(function (r) {
          if (!r.ok || r.redirected) throw new Error(url + " " + r.status);
          return cache.put(url, r);
        }).catch(function (error) { failed = failed || error; });
      })).then(function () { if (failed) throw failed; });
    });
  }
  function personalUrls(pack) {
    return pack.sessions.reduce(function (urls, s) { return urls.concat(s.personal_files || []); }, []);
  }
  /* Drop the files of packs no longer kept (removed, replaced, or never saved) that no pack kept on
     this device lists: shared files (one cache for every account on the phone) against every
     account's packs, a session's sheet against its own account's packs. Files that no pack
     listed before (the materials left at a sign-out) are not looked at. */
  function prune(gone) {
    if (!window.caches || !gone.length) return Promise.resolve();
    return all("packs").then(function (kept) {
      var used = {};
      kept.forEach(function (p) {
        (p.files || []).forEach(function (url) { used[PACK_CACHE + " " + url] = true; });
        personalUrls(p).forEach(function (url) { used[PERSONAL_PREFIX + p.owner + " " + url] = true; });
      });
      var drops = [];
      gone.forEach(function (p) {
        (p.files || []).forEach(function (url) { drops.push([PACK_CACHE, url]); });
        personalUrls(p).forEach(function (url) { drops.push([PERSONAL_PREFIX + p.owner, url]); });
      });
      return Promise.all(drops.filter(function (d) { return !used[d[0] + " " + d[1]]; }).map(function (d) {
        return caches.open(d[0]).then(function (cache) { return cache.delete(d[1], { ignoreVary: true }); });
      }));
    });
  }
  // Downloads and removals take turns: a removal never prunes a file a download has kept and not yet listed.
  var packWork = Promise.resolve();
  function inTurn(work) {
    var run = packWork.then(work);
    packWork = run.catch(function () { return null; });
    return run;
  }
  /* "Quitar del dispositivo": the pack and its files no other kept pack lists. Its unsent records
     stay in the queue: sync sends them without the pack. */
  function removePack(pack) {
    return inTurn(function () {
      return store("packs", "readwrite", function (s) { s.delete(pack.id); }).then(function () { return prune([pack]); });
    });
  }
  /* Keep a downloaded pack: every file first, then the record, in place of this account's older
     packs of none but its sessions (taking sessions again refreshes them: recordings approved
     since come, superseded ones go); then their files no kept pack lists. A download that fails
     leaves the older pack as it was, and drops the new files no kept pack lists. */
  function keep(pack) {
    var ids = pack.sessions.map(function (s) { return s.id; });
    pack.id = pack.owner + "-" + pack.taken_at + "-" + ids.join("-");
    return keepFiles(PACK_CACHE, pack.files).then(function () {
      return keepFiles(PERSONAL_PREFIX + pack.owner, personalUrls(pack));
    }).catch(function (error) {
      var fail = function () { throw error; };
      return prune([pack]).then(fail, fail);
    }).then(function () { return all("packs"); }).then(function (packs) {
      var older = packs.filter(function (p) {
        return p.owner === pack.owner && p.id !== pack.id &&
          p.sessions.every(function (s) { return ids.indexOf(s.id) > -1; });
      });
      return store("packs", "readwrite", function (s) {
        older.forEach(function (p) { s.delete(p.id); });
        s.put(pack);
      }).then(function () { return prune(older); });
    });
  }
  function askToKeep() {
    if (!navigator.storage || !navigator.storage.persist) return Promise.resolve();
    return navigator.storage.persist().then(showKept);
  }
  function showKept(granted) { show("storage-status", granted ? words.kept : words.not_kept); }
  function download(form, note) {
    if (!account) { note.textContent = words.signed_out; return Promise.resolve(); }
    note.textContent = words.downloading;
    return timedFetch(form.getAttribute("action") + "?" + query(form), {}, 60000).then(function (r) {
      return r.json().then(function (body) { if (!r.ok) throw new Error(body.error || r.status); return body; });
    }).then(function (pack) {
      if (pack.owner !== account.id) throw new Error(words.other_account);
      return inTurn(function () { return keep(pack); });
    }).then(function () {
      note.textContent = words.pack_saved;
      return Promise.all([showPacks(), askToKeep()]);
    }).catch(function (error) { note.textContent = say("pack_failed", { reason: error.message }); });
  }
  var packForm = byId("pack-form");
  if (packForm) {
    var note = byId("pack-size");
    var pending = null;
    packForm.addEventListener("change", function () {
      clearTimeout(pending);
      pending = setTimeout(function () { measure(packForm, note); }, 400);
    });
    packForm.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!new FormData(packForm).getAll("session").length) { note.textContent = words.choose_session; return; }
      download(packForm, note);
    });
  }

  /* A session from a pack: statuses, remarks and walk-ins saved on the device */
  var attendanceForm = byId("offline-attendance");
  function fileLabel(url) {
    var lang = /[?&]lang=(\w+)/.exec(url);
    var values = { lang: lang ? lang[1] : "" };
    var pdf = /\.pdf(\?|$)/.test(url) ? " · PDF" : "";
    if (url.indexOf("/sheet") > -1) return say("file_sheet", values) + pdf;
    if (url.indexOf("document=guide") > -1) return say("file_guide", values) + pdf;
    if (url.indexOf("document=handout") > -1) return say("file_handout", values) + pdf;
    if (url.indexOf("/terms") > -1) return say("file_terms", values);
    return say("file_module", values);
  }
  function showFiles(session) {
    var files = byId("session-files");
    files.textContent = "";
    session.files.concat(session.personal_files || []).forEach(function (url) {
      var item = el("li");
      item.appendChild(el("a", { href: url }, fileLabel(url)));
      files.appendChild(item);
    });
  }
  function openSession() {
    var match = /session=(\d+)/.exec(location.hash);
    if (!attendanceForm || !match) return Promise.resolve();
    var id = Number(match[1]);
    attendanceForm.hidden = true;
    if (!account) { show("session-facts", words.signed_out); return Promise.resolve(); }
    return Promise.all([latestSession(id), mine("queue")]).then(function (found) {
      var hit = found[0];
      if (!hit) { show("session-facts", words.no_session); return; }
      var session = hit.session;
      var queued = {};
      found[1].forEach(function (item) { if (item.session_id === id && item.person_id) queued[item.person_id] = item; });
      show("session-title", say("module", session.module));
      show("session-facts", session.date + " · " + session.community);
      showFiles(session);
      var body = byId("roster-body");
      body.textContent = "";
      session.roster.forEach(function (group) {
        group.persons.forEach(function (person) { body.appendChild(personRow(group, person, queued[person.id])); });
      });
      found[1].forEach(function (item) {
        if (item.session_id === id && item.walk_in) body.appendChild(walkInRow(item.walk_in, item.id));
      });
      if (window.WorkshopsEntry) window.WorkshopsEntry.enhance(body);  // big status buttons, as online
      attendanceForm.hidden = false;
      attendanceForm.dataset.session = String(id);
    });
  }
  function personRow(group, person, queuedItem) {
    // The same block as the online entry page (attendance/entry.html), made from the pack.
    // The base is what the device last saw from the server: an edit is sent as a change from it.
    var row = el("div", { "class": "mark", "data-person": person.id, "data-base": person.status || "",
      "data-base-remark": person.remark || "", "data-name": person.name });
    row.appendChild(el("span", { "class": "who", id: "n" + person.id },
      (group.household ? group.household + " · " : "") + person.name));
    var select = el("select", { "aria-labelledby": "n" + person.id, name: "status-" + person.id });
    select.appendChild(byId("status-options").content.cloneNode(true));
    select.value = queuedItem ? queuedItem.status : person.status || "";
    row.appendChild(select);
    var remark = el("input", { type: "text", maxlength: "500", "aria-labelledby": "rl n" + person.id,
      placeholder: words.remark, name: "remark-" + person.id });
    remark.value = queuedItem ? queuedItem.remark : person.remark || "";
    row.appendChild(remark);
    return row;
  }
  function walkInName(person) { return person.given_names + " " + person.family_names; }
  var editing = null;  // the walk-in row being corrected in the walk-in fields
  function walkInRow(person, queuedId) {
    var row = el("div", { "class": "mark walk-in", "data-queued": queuedId || "" });
    row.walkIn = person;
    row.appendChild(el("span", { "class": "who" }, walkInName(person) + " (" + words.walk_in + ")"));
    row.appendChild(el("span", {}, "✓ " + words.present));
    var actions = el("span");
    var edit = el("button", { type: "button", "class": "link" }, words.edit);
    edit.addEventListener("click", function () { editWalkIn(row); });
    var remove = el("button", { type: "button", "class": "link" }, words.remove_walk_in);
    remove.addEventListener("click", function () { removeWalkIn(row); });
    actions.appendChild(edit);
    actions.appendChild(document.createTextNode(" · "));
    actions.appendChild(remove);
    row.appendChild(actions);
    return row;
  }
  function editWalkIn(row) {
    editing = row;
    byId("walkin-given").value = row.walkIn.given_names;
    byId("walkin-family").value = row.walkIn.family_names;
    byId("walkin-sex").value = row.walkIn.sex;
    byId("walkin-year").value = row.walkIn.birth_year || "";
    byId("walkin-consent").checked = !!row.walkIn.consent;
    byId("walkin-given").focus();
  }
  function removeWalkIn(row) {
    var done = row.dataset.queued
      ? store("queue", "readwrite", function (s) { s.delete(row.dataset.queued); }) : Promise.resolve();
    return done.then(function () {
      if (editing === row) editing = null;
      row.remove();
      return showQueue();
    });
  }
  function readWalkIn() {
    var given = byId("walkin-given");
    if (!given.value.trim()) { show("queue-status", words.walk_in_name); given.focus(); return null; }
    var sex = byId("walkin-sex");
    if (!sex.value) { show("queue-status", words.walk_in_sex); sex.focus(); return null; }
    var year = byId("walkin-year");
    if (year.value && !/^\d{4}$/.test(year.value.trim())) { show("queue-status", words.walk_in_year); year.focus(); return null; }
    var person = { given_names: given.value.trim(), family_names: byId("walkin-family").value.trim(), sex: sex.value,
      birth_year: year.value ? Number(year.value) : null, consent: byId("walkin-consent").checked };
    given.value = ""; byId("walkin-family").value = ""; year.value = ""; sex.value = "";
    byId("walkin-consent").checked = false;
    return person;
  }
  function addWalkIn() {
    var person = readWalkIn();
    if (!person) return Promise.resolve();
    if (!editing) { byId("roster-body").appendChild(walkInRow(person)); return Promise.resolve(); }
    var row = editing;
    editing = null;
    row.walkIn = person;
    row.querySelector("th").textContent = walkInName(person) + " (" + words.walk_in + ")";
    if (!row.dataset.queued) return Promise.resolve();
    return store("queue", "readwrite", function (s) {
      var get = s.get(row.dataset.queued);
      get.onsuccess = function () {
        if (get.result) s.put(Object.assign(get.result, { walk_in: person, name: walkInName(person) }));
      };
    }).then(function () { return showQueue(words.saved); });
  }
  function entries(id, old, now) {
    var items = [];
    Array.prototype.forEach.call(document.querySelectorAll("#roster-body .mark"), function (row) {
      if (row.walkIn) {
        if (!row.dataset.queued) {
          row.dataset.queued = uuid();
          items.push({ id: row.dataset.queued, session_id: id, walk_in: row.walkIn, name: walkInName(row.walkIn),
            status: "present", remark: "", base_status: "", entered_at: now });
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
      items.push({ id: uuid(), replaces: before ? before.id : null, session_id: id, person_id: person,
        name: row.dataset.name, status: status, remark: remark, base_status: row.dataset.base,
        base_remark: row.dataset.baseRemark, entered_at: now });
    });
    return items;
  }
  function saveSession() {
    if (!account) { show("queue-status", words.signed_out); return Promise.resolve(); }
    var id = Number(attendanceForm.dataset.session);
    var now = new Date().toISOString();  // the device's clock: stored apart, never the session's date
    return mine("queue").then(function (items) {
      var old = {};
      items.forEach(function (item) { if (item.session_id === id && item.person_id) old[item.person_id] = item; });
      var fresh = entries(id, old, now);
      return store("queue", "readwrite", function (queue) {
        fresh.forEach(function (item) {
          if (item.replaces) queue.delete(item.replaces);  // not sent yet: the newer entry replaces it
          delete item.replaces;
          item.owner = account.id;
          item.owner_name = account.name;
          queue.put(item);
        });
      });
    }).then(function () { return showQueue(words.saved); }).then(send);
  }
  if (attendanceForm) {
    byId("add-walk-in").addEventListener("click", addWalkIn);
    byId("mark-all-present").addEventListener("click", function () {
      // Only the people without a mark yet: a mark already chosen is kept.
      if (window.WorkshopsEntry) { window.WorkshopsEntry.markAll(byId("roster-body")); return; }
      Array.prototype.forEach.call(document.querySelectorAll("#roster-body select"), function (select) {
        if (!select.value) select.value = "present";
      });
    });
    attendanceForm.addEventListener("submit", function (event) { event.preventDefault(); saveSession(); });
    window.addEventListener("hashchange", openSession);
  }

  var sendButton = byId("send-now");
  if (sendButton) sendButton.addEventListener("click", function () { failures = 0; send(); });
  window.addEventListener("online", function () { showConnection(); failures = 0; send(); });
  window.addEventListener("offline", showConnection);
  window.addEventListener("pageshow", function (event) { if (event.persisted) send(); });

  if (root && "serviceWorker" in navigator) navigator.serviceWorker.register(root.dataset.swUrl, { scope: "/" });
  if (root) showConnection();
  if (root && navigator.storage && navigator.storage.persisted) navigator.storage.persisted().then(showKept);
  function showAll() { return Promise.all([showQueue(), showPacks(), showRejected(), openSession()]); }
  // Elsewhere than the field pages, the server is asked only when this account has unsent records.
  if (!root) {
    dbPromise.then(remembered).then(function (before) {
      if (!before || before.id !== pageAccount) return null;
      return mine("queue").then(function (items) { if (items.length) return whoami().then(send); });
    }).catch(function () { return null; });
    return;
  }
  // What the device remembers shows at once; the server's answer may change the account after.
  // A page that names another account than the device remembers waits for the server's word.
  dbPromise.then(remembered).then(function (before) {
    var early = before && before.id === pageAccount ? showAll() : Promise.resolve();
    return early.then(whoami).then(function (now) {
      var same = before && before.id === pageAccount && now && now.id === before.id;
      return same ? null : showAll();
    });
  }).then(send, function (error) { show("queue-status", error.message); });
})();
