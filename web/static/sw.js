// Nguồn cooperative app service worker: keeps the app's pages and assets that were opened with
// signal, so the farmer can open them and log steps without signal. Pages come from the network
// whenever it answers (so they are never stale with signal) and from the cache when it does not.
// Form posts are never cached or replayed here; app.js queues them itself.
"use strict";
var CACHE = "nguon-app-v1";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith(
    fetch(request).then(function (response) {
      if (response.ok && response.type === "basic") {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
      }
      return response;
    }, function () {
      return caches.match(request, { ignoreVary: true }).then(function (cached) {
        return cached || Response.error();
      });
    })
  );
});

self.addEventListener("message", function (event) {
  if (event.data === "signed-out") { event.waitUntil(caches.delete(CACHE)); }
});
