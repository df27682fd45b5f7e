/* Service worker: pages answer from the network when there is one, and from the field pack's
   cache when there is not. The API is never cached: sync must reach the server or fail visibly. */
"use strict";
var SHELL = "workshops-shell-v1";
var SHELL_FILES = ["/static/css/app.css", "/static/js/field.js", "/manifest.webmanifest"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL).then(function (cache) { return cache.addAll(SHELL_FILES); }));
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim());
});

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
