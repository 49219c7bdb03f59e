// Nguồn cooperative app. Every screen works without this script; with it:
// - the phone keeps the app's pages for use without signal (the service worker, told what to
//   keep right after sign-in: every step form of every lot the member may log on);
// - a step is kept on the phone (IndexedDB) before it is sent, under the event id the phone
//   chose, so nothing is lost without signal or when the farmer leaves mid-upload, and nothing
//   is doubled (the server stores an id once); one tap saves one step;
// - photos are made smaller on the phone before they travel (≤1600 px JPEG), with progress;
// - the spraying form recomputes the earliest harvest day and the dose from the tanks, and
//   amounts far from an input's usual rate are questioned before saving (as the server does);
// - feed links get copy buttons, and the members list filters as you type.
(function () {
  "use strict";
  var root = document.documentElement.getAttribute("data-app") || "/app";
  var body = document.body;
  var say = function (name) { return body.getAttribute("data-" + name) || ""; };
  var fill = function (template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, key) { return key in values ? values[key] : all; });
  };

  if ("serviceWorker" in navigator) {
    // Scoped to the app's start page too (`/app`, not only `/app/…`): the server allows it.
    navigator.serviceWorker.register(root + "/sw.js", { scope: root }).catch(function () {});
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

  // Vietnam's wall clock (+07:00, no daylight saving), whatever zone the phone is set to.
  var VN = 7 * 3600 * 1000;
  function vnNow() { return new Date(Date.now() + VN).toISOString().slice(0, 16); }
  function parseVn(text) {
    var m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(text || "");
    return m ? Date.UTC(+m[1], m[2] - 1, +m[3], +m[4], +m[5]) : null;
  }
  function showDay(ms) {
    var d = new Date(ms);
    var two = function (n) { return (n < 10 ? "0" : "") + n; };
    return two(d.getUTCDate()) + "/" + two(d.getUTCMonth() + 1) + "/" + d.getUTCFullYear();
  }

  // Numbers as the page's language types them: in Vietnamese "1.500" is fifteen hundred and
  // "1,5" one and a half (farm_log::quantity::typed_number_vi); in English commas group.
  var lang = document.documentElement.getAttribute("lang") || "vi";
  function typedNumber(text) {
    var t = String(text || "").replace(/[\s\u00a0]/g, "");
    if (lang !== "vi") return parseFloat(t.replace(/,/g, ""));
    if (t.indexOf(",") >= 0) return parseFloat(t.replace(/\./g, "").replace(",", "."));
    if (/^[1-9]\d{0,2}(\.\d{3})+$/.test(t)) return parseFloat(t.replace(/\./g, ""));
    return parseFloat(t);
  }
  function showNumber(n) {
    var places = Math.abs(n) < 10 ? 2 : Math.abs(n) < 100 ? 1 : 0;
    var text = (Math.round(n * Math.pow(10, places)) / Math.pow(10, places)).toFixed(places);
    text = text.replace(/\.?0+$/, "") || "0";
    var parts = text.split(".");
    var group = lang === "vi" ? "." : ",";
    parts[0] = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, group);
    return parts.join(lang === "vi" ? "," : ".");
  }
  function editableNumber(n) {
    var text = String(Math.round(n * 1e6) / 1e6);
    return lang === "vi" ? text.replace(".", ",") : text;
  }
  // UN/ECE Rec 20 units: what one is in its dimension's base unit (kg, L, piece).
  var UNITS = { GRM: ["m", 0.001], KGM: ["m", 1], DTN: ["m", 100], TNE: ["m", 1000], MLT: ["v", 0.001], LTR: ["v", 1], H87: ["c", 1] };

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
        t.oncomplete = function () { db.close(); resolve(result && result.result !== undefined ? result.result : result); };
        t.onerror = function () { db.close(); reject(t.error); };
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
      // The lot page lists what waits on this phone for this lot.
      var here = document.getElementById("pending-here");
      if (here) {
        var mine = pending.filter(function (i) { return i.lot === here.getAttribute("data-lot"); });
        var ul = document.getElementById("pending-list");
        ul.textContent = "";
        mine.forEach(function (i) {
          var li = document.createElement("li");
          li.textContent = i.label;
          ul.appendChild(li);
        });
        here.hidden = mine.length === 0;
      }
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
  function csrfNow() {
    // The token of the session signed in now (the phone may have signed in again since).
    var token = document.querySelector("input[name=csrf]");
    return token ? token.value : null;
  }
  // Posts one kept step with XMLHttpRequest (fetch cannot report upload progress). Resolves
  // with {status, answer}; rejects when the request never got an answer (no signal).
  function post(item, mode, onProgress) {
    return new Promise(function (resolve, reject) {
      var request = new XMLHttpRequest();
      request.open("POST", item.action);
      request.withCredentials = true;
      request.setRequestHeader("X-Nguon-Sync", mode);
      request.responseType = "text";
      if (onProgress && request.upload) {
        request.upload.onprogress = function (event) {
          if (event.lengthComputable) onProgress(Math.floor((100 * event.loaded) / event.total));
        };
      }
      request.onload = function () {
        var answer = null;
        try { answer = JSON.parse(request.responseText); } catch (e) { answer = null; }
        resolve({ status: request.status, answer: answer });
      };
      request.onerror = function () { reject(new Error("network")); };
      request.ontimeout = request.onerror;
      request.onabort = request.onerror;
      var token = csrfNow();
      var fields = Object.assign({}, item.fields, token ? { csrf: token } : {});
      request.send(formData(fields, item.photo));
    });
  }

  var inflight = {};
  var sending = false;
  function send() {
    if (sending || !navigator.onLine) return Promise.resolve();
    sending = true;
    return all().then(function (items) {
      var chain = Promise.resolve();
      items.filter(function (i) { return !i.error && !inflight[i.id]; }).forEach(function (item) {
        chain = chain.then(function () {
          inflight[item.id] = true;
          return post(item, "1").then(function (result) {
            delete inflight[item.id];
            if (result.status === 200 || result.status === 201) {
              done += 1;
              sessionStorage.setItem("nguon-synced", String(done));
              return remove(item.id);
            }
            if (result.status === 401) { item.error = say("sync-sign-in"); return put(item); }
            if (result.status >= 400 && result.status < 500) {
              // The server refused it for good (e.g. the lot was recalled): keep it, say why.
              item.error = ((result.answer && result.answer.errors) || []).join(" ") || say("sync-failed");
              return put(item);
            }
            // 5xx: try again later.
          }, function () { delete inflight[item.id]; });
        });
      });
      return chain;
    }).catch(function () {}).then(function () { sending = false; return show(); });
  }

  // --- photos: smaller on the phone before they travel -----------------------------------
  var MAX_SIDE = 1600;
  function shrink(file) {
    if (!file || !window.createImageBitmap) return Promise.resolve(file);
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      if (bitmap.close) bitmap.close();
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          if (!blob || blob.size >= file.size) { resolve(file); return; }
          var name = (file.name || "photo").replace(/\.\w+$/, "") + ".jpg";
          var shrunk = new File([blob], name, { type: "image/jpeg" });
          shrunk.width = canvas.width;
          shrunk.height = canvas.height;
          resolve(shrunk);
        }, "image/jpeg", 0.82);
      });
    }).catch(function () { return file; });
  }

  // --- the step form ---------------------------------------------------------------------
  var form = document.getElementById("step-form");
  if (form) {
    var idField = form.querySelector("input[name=id]");
    var when = document.getElementById("occurred_at");
    var product = document.getElementById("input_product_id");
    var amount = document.getElementById("amount");
    var unit = document.getElementById("unit");
    var tanks = document.getElementById("tanks");
    var perTank = document.getElementById("per_tank");
    var photoInput = document.getElementById("photo");
    var save = document.getElementById("save");
    var data = function (name) { return form.getAttribute("data-" + name) || ""; };
    var fresh = function () {
      // A page kept by the service worker carries an old id and an old time.
      if (idField) idField.value = uuid();
      if (when && form.getAttribute("data-fresh")) when.value = vnNow();
    };
    fresh();

    var chosen = function () { return product ? product.options[product.selectedIndex] : null; };
    var opt = function (name) { var o = chosen(); return o ? o.getAttribute("data-" + name) || "" : ""; };

    // Spraying: the earliest harvest day, as soon as the product or the time changes.
    var earliest = document.getElementById("earliest-harvest");
    var recomputeHarvest = function () {
      if (!earliest || !product) return;
      var phi = opt("phi");
      if (phi === "") { earliest.textContent = data("earliest-none"); return; }
      var at = parseVn(when && when.value) || parseVn(vnNow());
      earliest.textContent = fill(data("earliest"), { date: showDay(at + Number(phi) * 86400000) });
    };
    // Spraying: the label's dose per tank, and the total from the number of tanks.
    var tankBlock = document.getElementById("tank-block");
    var recomputeTank = function (fromProduct) {
      if (!tankBlock) return;
      var dose = opt("tank-dose");
      tankBlock.hidden = dose === "";
      if (dose === "") return;
      document.getElementById("tank-label").textContent = fill(data("tank-label"), { dose: opt("tank-text"), litres: opt("tank-litres") });
      document.getElementById("per-tank-unit").textContent = opt("tank-unit-name");
      form.querySelector("input[name=per_tank_unit]").value = opt("tank-unit");
      if (fromProduct) perTank.value = opt("tank-dose-text");
      var n = typedNumber(tanks.value);
      var each = typedNumber(perTank.value);
      if (n > 0 && each > 0) {
        amount.value = editableNumber(n * each);
        unit.value = opt("tank-unit");
      }
    };
    if (product) {
      product.addEventListener("change", function () { recomputeHarvest(); recomputeTank(true); check(); });
    }
    if (when) when.addEventListener("input", recomputeHarvest);
    if (tanks) {
      tanks.addEventListener("input", function () { recomputeTank(false); check(); });
      perTank.addEventListener("input", function () { recomputeTank(false); check(); });
    }
    recomputeHarvest();
    recomputeTank(false);

    // Amounts far from the usual rate are questioned (the server asks the same).
    var checkBox = document.getElementById("amount-check");
    var question = document.getElementById("amount-question");
    var confirm = document.getElementById("confirm_amount");
    var questions = function () {
      var out = [];
      if (!amount || !product) return out;
      var far = Number(data("far-factor")) || 2;
      var typed = typedNumber(amount.value);
      var u = UNITS[unit.value];
      if (!(typed > 0) || !u) return out;
      var low = Number(opt("rate-low")), high = Number(opt("rate-high")), rateUnit = UNITS[opt("rate-unit")];
      var area = Number(data("area-m2"));
      if (low > 0 && high > 0 && rateUnit && rateUnit[0] === u[0] && area > 0) {
        var perHa = (typed * u[1] * 10000) / area;
        var local = Number(data("local-area-m2"));
        var values = {
          amount: showNumber(typed) + " " + unit.options[unit.selectedIndex].text,
          area: data("area-text"),
          rate: showNumber((perHa * local) / 10000) + " " + opt("rate-unit-name") + "/" + data("local-area-name"),
          product: opt("name"),
          usual: opt("usual")
        };
        if (perHa > high * far) { values.times = Math.max(2, Math.round(perHa / high)); out.push(fill(data("far-high"), values)); }
        else if (perHa * far < low) { values.times = Math.max(2, Math.round(low / perHa)); out.push(fill(data("far-low"), values)); }
      }
      var label = Number(opt("tank-dose"));
      var mixed = perTank ? typedNumber(perTank.value) : NaN;
      if (label > 0 && mixed > 0 && tanks && typedNumber(tanks.value) > 0) {
        var tv = { dose: showNumber(mixed) + " " + opt("tank-unit-name"), label: opt("tank-text"), litres: opt("tank-litres"), product: opt("name") };
        if (mixed > label * far) { tv.times = Math.max(2, Math.round(mixed / label)); out.push(fill(data("tank-high"), tv)); }
        else if (mixed * far < label) { tv.times = Math.max(2, Math.round(label / mixed)); out.push(fill(data("tank-low"), tv)); }
      }
      return out;
    };
    var check = function () {
      if (!checkBox) return [];
      var asked = questions();
      if (asked.length) {
        question.textContent = asked.join(" ");
        checkBox.hidden = false;
      } else if (!checkBox.getAttribute("data-server")) {
        checkBox.hidden = true;
        if (confirm) confirm.checked = false;
      }
      return asked;
    };
    if (checkBox && !checkBox.hidden) checkBox.setAttribute("data-server", "1");
    if (amount) amount.addEventListener("change", check);
    if (unit) unit.addEventListener("change", check);

    // Photos are made smaller as soon as they are chosen.
    var photo = null;
    var photoInfo = document.getElementById("photo-info");
    var shrinking = Promise.resolve();
    if (photoInput) {
      photoInput.addEventListener("change", function () {
        var file = photoInput.files && photoInput.files[0];
        photo = null;
        if (!file) return;
        shrinking = shrink(file).then(function (small) {
          photo = small;
          if (photoInfo && small.width) {
            photoInfo.textContent = fill(say("photo-ready"), { width: small.width, height: small.height, size: Math.round(small.size / 1024) });
          }
        });
      });
    }

    var sendingBox = document.getElementById("sending");
    var sendingText = document.getElementById("sending-text");
    var progress = document.getElementById("upload-progress");
    var savedBox = document.getElementById("offline-saved");
    var busy = false;
    var setBusy = function (on) {
      busy = on;
      save.disabled = on;
      save.setAttribute("aria-busy", on ? "true" : "false");
      sendingBox.hidden = !on;
    };
    // Saved on the phone: the form closes, so a second tap cannot log the step twice.
    var closeSaved = function () {
      setBusy(false);
      form.hidden = true;
      document.getElementById("offline-saved-text").textContent = say("offline-saved");
      savedBox.hidden = false;
      savedBox.setAttribute("tabindex", "-1");
      savedBox.focus();
      return show();
    };
    var again = document.getElementById("log-again");
    if (again) {
      again.addEventListener("click", function () {
        form.reset();
        photo = null;
        if (photoInfo) photoInfo.textContent = "";
        form.setAttribute("data-fresh", "1");
        fresh();
        recomputeHarvest();
        savedBox.hidden = true;
        form.hidden = false;
        if (amount) amount.focus();
      });
    }
    var showErrors = function (answer) {
      var box = document.getElementById("errors");
      if (!box) {
        box = document.createElement("div");
        box.id = "errors";
        box.className = "errors";
        box.setAttribute("role", "alert");
        form.parentNode.insertBefore(box, form);
      }
      box.textContent = "";
      var ul = document.createElement("ul");
      ((answer && answer.errors) || [say("sync-failed")]).forEach(function (text) {
        var li = document.createElement("li");
        li.textContent = text;
        ul.appendChild(li);
      });
      box.appendChild(ul);
      form.querySelectorAll("[aria-invalid]").forEach(function (e) { e.removeAttribute("aria-invalid"); });
      ((answer && answer.fields) || []).forEach(function (name) {
        var field = name && document.getElementById(name);
        if (field) field.setAttribute("aria-invalid", "true");
      });
      if (answer && answer.confirm && checkBox) {
        question.textContent = answer.errors.join(" ");
        checkBox.hidden = false;
        checkBox.setAttribute("data-server", "1");
      }
      box.scrollIntoView && box.scrollIntoView();
    };

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (busy) return; // one tap, one step
      if (!form.reportValidity()) return;
      var asked = check();
      if (asked.length && !(confirm && confirm.checked)) {
        if (confirm) confirm.focus();
        return;
      }
      setBusy(true);
      sendingText.textContent = say("saving");
      progress.value = 0;
      shrinking.then(function () {
        var fields = {};
        new FormData(form).forEach(function (value, key) {
          if (typeof value === "string") fields[key] = value;
        });
        var heading = document.querySelector("h1");
        var unitName = unit ? " " + unit.options[unit.selectedIndex].text : "";
        var item = {
          id: fields.id,
          lot: form.getAttribute("data-lot") || "",
          action: form.getAttribute("action"),
          fields: fields,
          photo: photo || (photoInput && photoInput.files && photoInput.files[0]) || null,
          label: (heading ? heading.textContent : "") + (fields.amount ? " · " + fields.amount + unitName : ""),
          at: new Date().toISOString()
        };
        // Kept on the phone first: leaving the page, losing signal or a failed upload loses
        // nothing; the queue sends it later under the same id.
        return put(item).then(function () {
          if (!navigator.onLine) return closeSaved();
          inflight[item.id] = true;
          if (item.photo) sendingText.textContent = fill(say("sending-photo"), { percent: 0 });
          return post(item, "page", function (percent) {
            progress.value = percent;
            if (item.photo) sendingText.textContent = fill(say("sending-photo"), { percent: percent });
          }).then(function (result) {
            delete inflight[item.id];
            if (result.status === 200 || result.status === 201) {
              return remove(item.id).then(function () {
                window.location.assign((result.answer && result.answer.redirect) || form.getAttribute("action").replace(/\/ghi\/.*$|\/sua\/.*$/, ""));
              });
            }
            if (result.status >= 500) return closeSaved();
            if (result.status === 401) {
              // Signed out meanwhile: the step stays on the phone until the farmer signs in.
              item.error = say("sync-sign-in");
              return put(item).then(function () {
                setBusy(false);
                showErrors({ errors: [item.error] });
                return show();
              });
            }
            // Refused: nothing was stored; take it off the phone and say why on the form.
            return remove(item.id).then(function () {
              setBusy(false);
              if (result.status === 409 && idField) idField.value = uuid();
              showErrors(result.answer);
              return show();
            });
          }, function () {
            delete inflight[item.id];
            return closeSaved();
          });
        });
      }).catch(function () { setBusy(false); });
    });
  }

  // --- keeping the app on the phone ------------------------------------------------------
  var listUrl = body.getAttribute("data-precache");
  if (listUrl && navigator.serviceWorker && navigator.onLine) {
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "precache-failed") {
        // Kept for the next visit with signal; said on the page for whoever looks.
        body.setAttribute("data-offline-error", event.data.error);
        return;
      }
      if (!event.data || event.data.type !== "precached") return;
      body.setAttribute("data-offline-ready", String(event.data.count));
      var ready = document.getElementById("offline-ready");
      if (ready) ready.hidden = false;
    });
    // Messages from the worker wait until the page says it listens.
    if (navigator.serviceWorker.startMessages) navigator.serviceWorker.startMessages();
    // Asked on the start page (where sign-in lands) and otherwise at most every 15 minutes:
    // the list is small, but a leader clicking through many screens need not ask each time.
    var home = location.pathname === root || location.pathname === root + "/";
    var last = Number(localStorage.getItem("nguon-precache-at") || "0");
    if (home || Date.now() - last > 15 * 60 * 1000) {
      localStorage.setItem("nguon-precache-at", String(Date.now()));
      navigator.serviceWorker.ready.then(function (registration) {
        if (registration.active) registration.active.postMessage({ type: "precache", list: listUrl });
      }).catch(function () {});
    }
  }

  // Signing out forgets the pages kept on this phone (they hold this member's data).
  var signOut = document.getElementById("sign-out");
  if (signOut && navigator.serviceWorker && navigator.serviceWorker.controller) {
    signOut.addEventListener("submit", function () {
      localStorage.removeItem("nguon-precache-at");
      navigator.serviceWorker.controller.postMessage("signed-out");
    });
  }

  // --- copy buttons (feed links) ---------------------------------------------------------
  Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var field = document.getElementById(button.getAttribute("data-copy"));
      var status = document.getElementById("copy-status");
      var told = function () { if (status) status.textContent = button.getAttribute("data-done"); };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(field.value).then(told, function () { field.select(); document.execCommand("copy"); told(); });
      } else {
        field.select();
        document.execCommand("copy");
        told();
      }
    });
  });

  // --- the members list filters as you type ----------------------------------------------
  var search = document.getElementById("member-search");
  if (search) {
    var fold = function (text) {
      return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[đĐ]/g, "d").toLowerCase();
    };
    search.addEventListener("input", function () {
      var wanted = fold(search.value.trim());
      var shown = 0;
      Array.prototype.forEach.call(document.querySelectorAll(".member-row"), function (row) {
        var hit = !wanted || (row.getAttribute("data-search") || "").indexOf(wanted) >= 0;
        row.hidden = !hit;
        if (hit) shown += 1;
      });
      var none = document.getElementById("no-match");
      if (none) none.hidden = shown > 0;
    });
  }

  // The diary import: a large Excel file on 3G takes a while, so it is sent with a progress
  // bar; the answer (the lot with its message, or the rows to fix) replaces the page as a plain
  // form post would. Nothing is written unless the whole file arrives and every row is right.
  (function () {
    var form = document.getElementById("import-diary");
    var box = document.getElementById("import-sending");
    if (!form || !box || !window.FormData || !window.XMLHttpRequest) return;
    var text = document.getElementById("import-sending-text");
    var bar = document.getElementById("import-progress");
    var button = form.querySelector("button[type=submit]");
    var tell = function (what, percent) {
      text.textContent = fill(box.getAttribute("data-" + what) || "", { percent: percent });
    };
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (button.disabled) return;
      var request = new XMLHttpRequest();
      request.open("POST", form.getAttribute("action"));
      request.withCredentials = true;
      request.responseType = "text";
      request.upload.onprogress = function (progress) {
        if (!progress.lengthComputable) return;
        var percent = Math.floor((100 * progress.loaded) / progress.total);
        bar.value = percent;
        tell("uploading", percent);
      };
      request.upload.onload = function () { bar.value = 100; tell("reading", 100); };
      request.onload = function () {
        var shown = request.responseURL || window.location.href;
        if (shown !== window.location.href) history.replaceState(null, "", shown);
        document.open();
        document.write(request.responseText);
        document.close();
      };
      request.onerror = function () {
        button.disabled = false;
        tell("failed", 0);
      };
      request.onabort = request.onerror;
      request.ontimeout = request.onerror;
      button.disabled = true;
      bar.value = 0;
      tell("uploading", 0);
      box.hidden = false;
      request.send(new FormData(form));
    });
  })();

  window.addEventListener("online", send);
  window.addEventListener("offline", show);
  setInterval(send, 5000);
  show().then(send);
})();
