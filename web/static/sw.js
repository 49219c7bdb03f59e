// Nguồn cooperative app service worker: keeps the app's pages and assets so the farmer can open
// them and log steps without signal.
// - Right after sign-in (and whenever a page asks, with signal) it fetches the list of what to
//   keep (/app/ngoai-tuyen.json: the home page, every open lot the member may log on and each
//   of its step forms, the assets) and keeps every page, so a form never opened before opens
//   without signal too. An unchanged list (same `version`) costs one small request.
// - Pages come from the network whenever it answers (so they are never stale with signal) and
//   from what was kept when it does not; a page never kept gets a short "not on this phone"
//   page instead of the browser's error.
// Form posts are never kept or replayed here; app.js keeps steps in its own queue.
"use strict";
var CACHE = "nguon-app-v2";
var VERSION_KEY = "precache-version";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (n) { return n.indexOf("nguon-app-") === 0 && n !== CACHE; })
        .map(function (n) { return caches.delete(n); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function keep(request, response) {
  // A page showing a one-time message ("Đã lưu …") is not one to show again without signal.
  if (response.ok && response.type === "basic" && !response.headers.get("X-Nguon-Flash")) {
    var copy = response.clone();
    return caches.open(CACHE).then(function (cache) { return cache.put(request, copy); }).then(function () { return response; });
  }
  return Promise.resolve(response);
}

function notKept(request) {
  var root = new URL(self.registration.scope).pathname.replace(/\/$/, "");
  var html = "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\">" +
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Chưa có trên máy</title></head>" +
    "<body><main><h1>Chưa có trang này trên máy</h1><p>Không có sóng, và trang này chưa được lưu trên điện thoại. " +
    "Các lô và mẫu ghi chép của bạn vẫn mở được.</p><p><a href=\"" + root + "\">Về trang chính</a></p></main></body></html>";
  return new Response(html, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith(
    fetch(request).then(function (response) { return keep(request, response); }, function () {
      return caches.match(request, { ignoreVary: true }).then(function (cached) {
        if (cached) return cached;
        return request.mode === "navigate" ? notKept(request) : Response.error();
      });
    })
  );
});

// Fetches the list of what to keep and keeps each page, a few at a time.
function precache(listUrl) {
  return fetch(listUrl, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
    if (!response.ok) throw new Error("list " + response.status);
    return response.json();
  }).then(function (list) {
    return caches.open(CACHE).then(function (cache) {
      return cache.match(VERSION_KEY).then(function (kept) {
        return kept ? kept.text() : "";
      }).then(function (version) {
        if (version === list.version) return list.urls.length;
        var queue = list.urls.slice();
        var count = 0;
        var worker = function () {
          var url = queue.shift();
          if (!url) return Promise.resolve();
          var ask = new Request(url, { credentials: "same-origin", cache: "no-store", headers: { "X-Nguon-Precache": "1" } });
          return fetch(ask).then(function (response) {
            if (response.ok) { count += 1; return cache.put(url, response); }
          }).catch(function () {}).then(worker);
        };
        return Promise.all([worker(), worker(), worker()]).then(function () {
          if (count !== list.urls.length) throw new Error("kept " + count + " of " + list.urls.length);
          return cache.put(VERSION_KEY, new Response(list.version)).then(function () { return count; });
        });
      });
    });
  });
}

var running = null;
self.addEventListener("message", function (event) {
  var data = event.data;
  if (data === "signed-out") { event.waitUntil(caches.delete(CACHE)); return; }
  if (data && data.type === "precache" && data.list) {
    running = running || precache(data.list).finally(function () { running = null; });
    var told = running.then(function (count) {
      if (event.source) event.source.postMessage({ type: "precached", count: count });
    }, function (error) {
      if (event.source) event.source.postMessage({ type: "precache-failed", error: String(error) });
    });
    event.waitUntil(told);
  }
});
