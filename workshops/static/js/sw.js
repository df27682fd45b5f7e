/* Service worker: pages answer from the network when it answers within a few seconds, and from
   the device's copy when it does not (no network, or a connection that accepts and never answers);
   the copy is then refreshed in the background. The API is never cached: sync must reach the
   server or fail visibly. A page in no pack answers, offline, with a page that says so.
   Personal files (a session's attendance sheet) are kept per account ("workshops-personal-<id>")
   and only that account's are answered: the account signed in on this device is in IndexedDB.
   The server (field.service_worker) fills in VERSION, SHELL_FILES (this deployment's fingerprinted
   files: a new deployment changes this script, so the browser installs it again), and the paths. */
"use strict";
var VERSION = /*VERSION*/"dev";
var SHELL_FILES = /*SHELL_FILES*/[];
var UNAVAILABLE = /*UNAVAILABLE*/"/field/unavailable";
var SWITCH = /*SWITCH*/"/language";
var SHELL_PREFIX = "workshops-shell-";
var SHELL = SHELL_PREFIX + VERSION;
var PACK = "workshops-pack";
var PERSONAL_PREFIX = "workshops-personal-";
var WAIT = 3000;  // how long the network may take before the device's copy answers

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL).then(function (cache) { return cache.addAll(SHELL_FILES); }));
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf(SHELL_PREFIX) === 0 && name !== SHELL;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

/* The account signed in on this device (field.js keeps it), or null: never creates the database. */
function account() {
  return new Promise(function (resolve) {
    var open = indexedDB.open("workshops-field");
    open.onupgradeneeded = function () { open.transaction.abort(); };
    open.onerror = function () { resolve(null); };
    open.onsuccess = function () {
      var db = open.result;
      if (!db.objectStoreNames.contains("meta")) { db.close(); resolve(null); return; }
      var get = db.transaction("meta").objectStore("meta").get("account");
      get.onsuccess = function () { db.close(); resolve(get.result && get.result.user ? get.result.user.id : null); };
      get.onerror = function () { db.close(); resolve(null); };
    };
  });
}
function cacheNames() {
  return account().then(function (id) {
    return id === null ? [SHELL, PACK] : [SHELL, PACK, PERSONAL_PREFIX + id];
  });
}
function firstMatch(names, request) {
  return names.reduce(function (found, name) {
    return found.then(function (hit) {
      if (hit) return hit;
      return caches.open(name).then(function (cache) { return cache.match(request, { ignoreVary: true }); });
    });
  }, Promise.resolve(undefined));
}

/* A static file of another deployment (a page kept in a pack before an update asks for
   app.css?v=<old>) is answered with the copy this device has, whatever its version. */
function fromCache(request, url) {
  return cacheNames().then(function (names) {
    return firstMatch(names, request).then(function (hit) {
      if (hit || url.pathname.indexOf("/static/") !== 0) return hit;
      return caches.match(url.pathname, { ignoreSearch: true, ignoreVary: true });
    });
  });
}

/* A media element's Range request, answered from a whole kept recording: the part asked for (206). */
function ranged(request, response) {
  var m = /^bytes=(\d*)-(\d*)$/.exec((request.headers.get("Range") || "").trim());
  if (!response || !m || response.status !== 200 || m[1] + m[2] === "") return response;
  return response.blob().then(function (blob) {
    var size = blob.size;
    var start = m[1] === "" ? Math.max(0, size - m[2]) : Number(m[1]);
    var end = m[1] === "" || m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (start >= size || start > end) return new Response(null, { status: 416, headers: { "Content-Range": "bytes */" + size } });
    var headers = new Headers(response.headers);
    headers.set("Content-Range", "bytes " + start + "-" + end + "/" + size);
    headers.set("Content-Length", String(end - start + 1));
    return new Response(blob.slice(start, end + 1), { status: 206, headers: headers });
  });
}

/* While online, a copy already on the device is replaced with the newer one (whole: not a 206), in its own cache. */
function refresh(request, response) {
  if (response.status !== 200 || response.redirected) return Promise.resolve();
  var copy = response.clone();  // now, before the page reads the body
  return cacheNames().then(function (names) {
    return names.reduce(function (done, name) {
      return done.then(function (stored) {
        if (stored) return true;
        return caches.open(name).then(function (cache) {
          return cache.match(request, { ignoreVary: true }).then(function (hit) {
            if (!hit) return false;
            return cache.put(request, copy).then(function () { return true; });
          });
        });
      });
    }, Promise.resolve(false));
  });
}

function offlineAnswer(request, url) {
  return fromCache(request, url).then(function (hit) {
    if (hit || request.mode !== "navigate") return hit ? ranged(request, hit) : Response.error();
    return caches.match(UNAVAILABLE, { ignoreVary: true }).then(function (page) { return page || Response.error(); });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.indexOf("/api/") === 0) return;
  if (request.method === "POST" && url.pathname === SWITCH) { event.respondWith(switchLanguage(request)); return; }
  if (request.method !== "GET") return;
  var network = fetch(request);
  event.waitUntil(network.then(function (response) { return refresh(request, response); }, function () {}));
  event.respondWith(new Promise(function (resolve) {
    var answered = false;
    function answer(response) { if (!answered) { answered = true; resolve(response); } }
    var timer = setTimeout(function () {
      // No answer yet: the device's copy, if there is one; otherwise keep waiting for the network.
      fromCache(request, url).then(function (hit) { if (hit) answer(ranged(request, hit)); });
    }, WAIT);
    network.then(function (response) {
      clearTimeout(timer);
      answer(response);
    }, function () {
      clearTimeout(timer);
      offlineAnswer(request, url).then(answer);
    });
  }));
});

/* The language switcher with no network: the page asked for, in that language (packed pages are
   kept with ?lang=<code>). With a network that answers, the server switches as usual. */
function switchLanguage(request) {
  var form = request.clone().formData();
  var network = fetch(request);
  var late = new Promise(function (resolve) { setTimeout(resolve, WAIT, null); });
  return Promise.race([network, late]).then(function (response) {
    if (response) return response;
    throw new Error("no answer");
  }).catch(function () {
    return form.then(function (data) {
      var target = new URL(String(data.get("next") || "/field/"), self.location.origin);
      if (target.origin !== self.location.origin) target = new URL("/field/", self.location.origin);
      target.searchParams.set("lang", String(data.get("language") || "es"));
      return Response.redirect(target.href, 303);
    });
  });
}
