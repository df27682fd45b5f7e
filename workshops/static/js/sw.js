/* Service worker: pages answer from the network when there is one, and from the field pack's
   cache when there is not. The API is never cached: sync must reach the server or fail visibly.
   The server (field.service_worker) fills in VERSION and SHELL_FILES, the fingerprinted URLs
   of this deployment's files: a new deployment changes this script, so the browser installs
   it again, caches the new files and drops the old shell cache. */
"use strict";
var VERSION = /*VERSION*/"dev";
var SHELL_FILES = /*SHELL_FILES*/[];
var SHELL_PREFIX = "workshops-shell-";
var SHELL = SHELL_PREFIX + VERSION;

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

/* Offline, a static file of another deployment (a page kept in a pack before an update asks
   for app.css?v=<old>) is answered with the copy this device has, whatever its version. */
function cachedStatic(url) {
  if (url.pathname.indexOf("/static/") !== 0) return Promise.resolve(undefined);
  return caches.match(url.pathname, { ignoreSearch: true, ignoreVary: true });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || url.pathname.indexOf("/api/") === 0) {
    return;
  }
  event.respondWith(
    fetch(request).then(function (response) {
      // Keep the copies on the device fresh while online.
      if (response.ok && !response.redirected) {
        var copy = response.clone();
        caches.match(request, { ignoreVary: true }).then(function (hit) {
          if (hit) caches.open("workshops-pack").then(function (cache) { cache.put(request, copy); });
        });
      }
      return response;
    }).catch(function () {
      return caches.match(request, { ignoreVary: true }).then(function (hit) {
        return hit || cachedStatic(url);
      }).then(function (hit) {
        if (hit) return hit;
        if (request.mode === "navigate") {
          return caches.match(url.pathname, { ignoreVary: true }).then(function (page) {
            return page || caches.match("/field/", { ignoreVary: true }).then(function (home) { return home || Response.error(); });
          });
        }
        return Response.error();
      });
    })
  );
});
