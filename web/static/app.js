// Nguồn cooperative app: works without this script; with it, steps logged without signal are
// kept on the phone (IndexedDB) and sent when the signal returns. Each entry carries the event
// id the phone chose, and the server stores an id once, so resending is always safe.
(function () {
  "use strict";
  var root = document.documentElement.getAttribute("data-app") || "/app";
  var body = document.body;
  var words = {
    saved: body.getAttribute("data-offline-saved") || "",
    failed: body.getAttribute("data-sync-failed") || "",
    signIn: body.getAttribute("data-sync-sign-in") || ""
  };

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(root + "/sw.js", { scope: root + "/" }).catch(function () {});
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // --- the queue -------------------------------------------------------------------------
  function open() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open("nguon", 1);
      request.onupgradeneeded = function () { request.result.createObjectStore("queue", { keyPath: "id" }); };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }
  function tx(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction("queue", mode);
        var result = work(t.objectStore("queue"));
        t.oncomplete = function () { resolve(result && result.result !== undefined ? result.result : result); };
        t.onerror = function () { reject(t.error); };
      });
    });
  }
  function all() { return tx("readonly", function (s) { return s.getAll(); }); }
  function put(item) { return tx("readwrite", function (s) { s.put(item); }); }
  function remove(id) { return tx("readwrite", function (s) { s.delete(id); }); }

  // --- what the screen shows -------------------------------------------------------------
  var done = Number(sessionStorage.getItem("nguon-synced") || "0");
  function show() {
    var status = document.getElementById("sync-status");
    if (!status) return Promise.resolve();
    return all().then(function (items) {
      var pending = items.filter(function (i) { return !i.error; });
      var failed = items.filter(function (i) { return i.error; });
      document.getElementById("sync-pending").textContent = String(pending.length);
      document.getElementById("sync-done").textContent = String(done);
      var list = document.getElementById("sync-failed");
      list.textContent = "";
      failed.forEach(function (i) {
        var li = document.createElement("li");
        li.textContent = i.label + " — " + i.error;
        list.appendChild(li);
      });
      status.hidden = items.length === 0 && done === 0;
      // "Saved on this phone" is true only while something waits.
      var note = document.getElementById("offline-saved");
      if (note && pending.length === 0) note.hidden = true;
    }).catch(function () {});
  }

  // --- sending ---------------------------------------------------------------------------
  // The form as the server reads it (multipart, so a photo travels with its step).
  function formData(fields, photo) {
    var data = new FormData();
    Object.keys(fields).forEach(function (key) { data.append(key, fields[key]); });
    if (photo) data.append("photo", photo, photo.name || "photo.jpg");
    return data;
  }

  var sending = false;
  function send() {
    if (sending || !navigator.onLine) return Promise.resolve();
    sending = true;
    return all().then(function (items) {
      var chain = Promise.resolve();
      items.filter(function (i) { return !i.error; }).forEach(function (item) {
        chain = chain.then(function () {
          // The token of the session signed in now (the phone may have signed in again since).
          var token = document.querySelector("input[name=csrf]");
          var fields = Object.assign({}, item.fields, token ? { csrf: token.value } : {});
          return fetch(item.action, {
            method: "POST",
            credentials: "same-origin",
            headers: { "X-Nguon-Sync": "1" },
            body: formData(fields, item.photo)
          }).then(function (response) {
            if (response.status === 200 || response.status === 201) {
              done += 1;
              sessionStorage.setItem("nguon-synced", String(done));
              return remove(item.id);
            }
            if (response.status === 401) { item.error = words.signIn; return put(item); }
            if (response.status >= 400 && response.status < 500) {
              // The server refused it for good (e.g. the lot was recalled): keep it, say why.
              return response.json().then(function (answer) {
                item.error = (answer.errors || []).join(" ") || words.failed;
              }, function () { item.error = words.failed; }).then(function () { return put(item); });
            }
            // 5xx: try again later.
          });
        });
      });
      return chain;
    }).catch(function () {}).then(function () { sending = false; return show(); });
  }

  // --- the step form ---------------------------------------------------------------------
  var form = document.getElementById("step-form");
  if (form) {
    var idField = form.querySelector("input[name=id]");
    // A page kept by the service worker carries an old id: every load gets a fresh one.
    if (idField) idField.value = uuid();
    var queue = function (fields, photo) {
      var heading = document.querySelector("h1");
      var item = {
        id: fields.id,
        action: form.getAttribute("action"),
        fields: fields,
        photo: photo || null,
        label: (heading ? heading.textContent : "") + " " + (fields.amount || ""),
        at: new Date().toISOString()
      };
      return put(item).then(function () {
        idField.value = uuid();
        var note = document.getElementById("offline-saved");
        if (note) { note.hidden = false; note.textContent = words.saved; }
        return show();
      });
    };
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var fields = {};
      var photo = null;
      new FormData(form).forEach(function (value, key) {
        if (typeof value === "string") fields[key] = value;
        else if (value && value.size) photo = value; // the photo: a File, kept as it is
      });
      if (!navigator.onLine) { queue(fields, photo); return; }
      // With signal, send it now; if the signal drops on the way, keep it like an offline entry.
      fetch(form.getAttribute("action"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-Nguon-Sync": "page" },
        body: formData(fields, photo)
      }).then(function (response) {
        if (response.status === 200 || response.status === 201) {
          return response.json().then(function (answer) { window.location.assign(answer.redirect); });
        }
        // Refused (a field to fix, signed out …): let the server show its page for it; nothing
        // was stored, so posting the form the ordinary way is safe.
        form.submit();
      }, function () { queue(fields, photo); });
    });
  }

  // Signing out forgets the pages kept on this phone (they hold this member's data).
  var signOut = document.getElementById("sign-out");
  if (signOut && navigator.serviceWorker && navigator.serviceWorker.controller) {
    signOut.addEventListener("submit", function () { navigator.serviceWorker.controller.postMessage("signed-out"); });
  }

  window.addEventListener("online", send);
  window.addEventListener("offline", show);
  setInterval(send, 5000);
  show().then(send);
})();
