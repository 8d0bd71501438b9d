// The committee member's signing key and signed score sheets (ggzy.evaluation.signing; no library, no build step).
//
// Enrolment: WebCrypto generates an ECDSA P-256 key pair whose private key is NOT extractable; the pair (CryptoKey
// objects, which IndexedDB stores as they are) is kept in this browser's IndexedDB under the SHA-256 fingerprint of
// the public key's SubjectPublicKeyInfo, and the public key is posted to /workspace/expert/signing-key.
// Signing: on submit of a score form, the message below is signed (ECDSA with SHA-256; WebCrypto gives IEEE P1363
// r||s, which the server converts to DER) and the signature sent in the hidden "signature" field. The message must
// stay byte for byte the one of ggzy.evaluation.signing.sheet_message:
//   "ggzy score sheet v1\ntender=<id>\nbid=<id>\nmember=<id>\n" + "<criterion>=<score as typed>\n" per criterion,
//   criteria in ascending order of their keys ([a-z][a-z0-9_]*: JavaScript's sort and Python's agree).
(function () {
  "use strict";

  var DB_NAME = "ggzy-signing-keys";
  var STORE = "keys";
  var ALGORITHM = { name: "ECDSA", namedCurve: "P-256" };
  var SIGNING = { name: "ECDSA", hash: "SHA-256" };

  function openStore() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () { request.result.createObjectStore(STORE); };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function withStore(mode, action) {
    return openStore().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(STORE, mode);
        var request = action(transaction.objectStore(STORE));
        transaction.oncomplete = function () { db.close(); resolve(request.result); };
        transaction.onerror = function () { db.close(); reject(transaction.error); };
        transaction.onabort = function () { db.close(); reject(transaction.error); };
      });
    });
  }

  function base64(buffer) {
    var bytes = new Uint8Array(buffer);
    var text = "";
    for (var i = 0; i < bytes.length; i += 1) { text += String.fromCharCode(bytes[i]); }
    return btoa(text);
  }

  function fingerprint(spki) {
    return crypto.subtle.digest("SHA-256", spki).then(function (digest) {
      return Array.from(new Uint8Array(digest), function (b) { return b.toString(16).padStart(2, "0"); }).join("");
    });
  }

  function sheetMessage(form) {
    var prefix = form.dataset.prefix;
    var scores = {};
    Array.prototype.forEach.call(form.elements, function (field) {
      if (field.name && field.name.indexOf(prefix) === 0) { scores[field.name.slice(prefix.length)] = field.value.trim(); }
    });
    var lines = ["ggzy score sheet v1", "tender=" + form.dataset.tender, "bid=" + form.elements.bid_id.value,
      "member=" + form.dataset.member];
    Object.keys(scores).sort().forEach(function (key) { lines.push(key + "=" + scores[key]); });
    return lines.map(function (line) { return line + "\n"; }).join("");
  }

  // The report (ggzy.evaluation.report_signing.report_message): the report's digest, the opinion and the SHA-256
  // of the reasons (CR LF made LF, blanks around stripped; empty when agreeing).
  function reportMessage(form) {
    var opinion = form.querySelector("input[name=opinion]:checked");
    var reasons = form.elements.reasons.value.replace(/\r\n/g, "\n").trim();
    var digest = reasons ? crypto.subtle.digest("SHA-256", new TextEncoder().encode(reasons)) : Promise.resolve(null);
    return digest.then(function (buffer) {
      var hex = buffer ? Array.from(new Uint8Array(buffer), function (b) { return b.toString(16).padStart(2, "0"); }).join("") : "";
      var lines = ["ggzy evaluation report v1", "tender=" + form.dataset.tender, "member=" + form.dataset.member,
        "report=" + form.dataset.report, "opinion=" + (opinion ? opinion.value : ""), "reasons=" + hex];
      return lines.map(function (line) { return line + "\n"; }).join("");
    });
  }

  // What a form signs: a score sheet (data-sign="score-sheet") or the evaluation report (data-sign="report").
  function messageOf(form) {
    return form.dataset.sign === "report" ? reportMessage(form) : Promise.resolve(sheetMessage(form));
  }

  function show(panel, state) {
    panel.querySelectorAll("[data-state]").forEach(function (node) { node.hidden = node.dataset.state !== state; });
  }

  function enrol(panel, form) {
    var pair;
    var spki;
    return crypto.subtle.generateKey(ALGORITHM, false, ["sign", "verify"])
      .then(function (generated) { pair = generated; return crypto.subtle.exportKey("spki", pair.publicKey); })
      .then(function (exported) { spki = exported; return fingerprint(spki); })
      .then(function (print) {
        var record = { privateKey: pair.privateKey, publicKey: pair.publicKey, user: panel.dataset.user };
        return withStore("readwrite", function (store) { return store.put(record, print); });
      })
      .then(function () {
        form.elements.public_key.value = base64(spki);
        form.submit();
      });
  }

  // sign(text) -> Promise of the base64 P1363 signature: by the browser's key, or by the local assistant (assistant.js,
  // decision 0029), which asks the member in its own window; either way the same message and the same form.
  function browserSigner(key) {
    return function (text, kind) {
      return crypto.subtle.sign(SIGNING, key.privateKey, new TextEncoder().encode(text)).then(base64);
    };
  }

  // kind: "score-sheet", or "report" for the evaluation report (ggzy.evaluation.report_signing; the assistant's
  // /v1/report: the same key, the opinion shown to the member on its consent page).
  function assistantSigner(base) {
    return function (text, kind) {
      return window.ggzyAssistant.ask(base, kind, { message: text }).then(function (result) {
        return result.signature;
      });
    };
  }

  function signOnSubmit(panel, sign) {
    document.querySelectorAll("form[data-sign]").forEach(function (form) {
      var button = form.querySelector("button[type=submit]");
      if (button) { button.disabled = false; }
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        if (button) { button.disabled = true; }
        messageOf(form).then(function (text) { return sign(text, form.dataset.sign); }).then(function (signature) {
          form.elements.signature.value = signature;
          form.submit();
        }).catch(function () {
          show(panel, "failed");
          if (button) { button.disabled = false; }
        });
      });
    });
  }

  function start() {
    var panel = document.getElementById("signing-key");
    if (!panel) { return; }
    var enrolForm = panel.querySelector("form[data-role=enrol]");
    var enrolBox = panel.querySelector("[data-role=enrol-box]");
    if (!(window.crypto && crypto.subtle && window.indexedDB)) { show(panel, "unsupported"); return; }
    enrolForm.addEventListener("submit", function (event) {
      event.preventDefault();
      enrolBox.hidden = true;
      enrol(panel, enrolForm).catch(function () { show(panel, "failed"); enrolBox.hidden = false; });
    });
    var assistant = panel.dataset.assistantUrl;
    var byAssistant = panel.querySelector("[data-role=enrol-assistant]");
    if (byAssistant && window.ggzyAssistant) {
      byAssistant.addEventListener("click", function () {  // the certificate's P-256 key the assistant holds
        enrolBox.hidden = true;
        window.ggzyAssistant.status(assistant).then(function (held) {
          if (!held.score_sheet_key) { throw new Error("not a P-256 certificate"); }
          enrolForm.elements.public_key.value = held.score_sheet_key;
          enrolForm.submit();
        }).catch(function () { show(panel, "assistant-failed"); enrolBox.hidden = false; });
      });
    }
    function heldByAssistant() {
      if (!enrolled || !assistant || !window.ggzyAssistant) { return Promise.resolve(false); }
      return window.ggzyAssistant.status(assistant).then(function (held) { return held.fingerprint === enrolled; },
        function () { return false; });
    }
    var enrolled = panel.dataset.fingerprint;
    var lookup = enrolled ? withStore("readonly", function (store) { return store.get(enrolled); }) : Promise.resolve();
    lookup.then(function (key) {
      if (key && key.privateKey) {
        show(panel, "ready");
        panel.dataset.ready = "true";
        signOnSubmit(panel, browserSigner(key));
        return;
      }
      return heldByAssistant().then(function (held) {
        if (held) {
          show(panel, "assistant");
          panel.dataset.ready = "true";
          signOnSubmit(panel, assistantSigner(assistant));
          return;
        }
        if (enrolled) { show(panel, "elsewhere"); }
        enrolBox.hidden = false;
      });
    }).catch(function () { show(panel, "unsupported"); });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
