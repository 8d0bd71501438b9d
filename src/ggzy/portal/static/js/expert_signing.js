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

  // Hook for other holders of the member's enrolled key (e.g. the local assistant of issue 11): each entry of
  // window.ggzySigners offers holds(fingerprint) -> Promise<boolean> and sign(text) -> Promise<base64 P1363>.
  function externalSigner(fingerprint) {
    var signers = window.ggzySigners || [];
    return signers.reduce(function (found, signer) {
      return found.then(function (chosen) {
        return chosen || Promise.resolve(signer.holds(fingerprint)).then(function (yes) { return yes ? signer : null; });
      });
    }, Promise.resolve(null));
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

  function signOnSubmit(panel, key) {
    document.querySelectorAll("form[data-sign]").forEach(function (form) {
      var button = form.querySelector("button[type=submit]");
      if (button) { button.disabled = false; }
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        if (button) { button.disabled = true; }
        var text = form.dataset.sign === "report" ? reportMessage(form) : Promise.resolve(sheetMessage(form));
        text.then(function (message) {
          if (key.external) { return Promise.resolve(key.external.sign(message)); }
          return crypto.subtle.sign(SIGNING, key.privateKey, new TextEncoder().encode(message)).then(base64);
        }).then(function (signature) {
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
    var enrolled = panel.dataset.fingerprint;
    var lookup = enrolled ? withStore("readonly", function (store) { return store.get(enrolled); }) : Promise.resolve();
    lookup.then(function (key) {
      if (!(key && key.privateKey) && enrolled) {
        return externalSigner(enrolled).then(function (signer) {
          return signer ? { privateKey: true, external: signer } : key;
        });
      }
      return key;
    }).then(function (key) {
      if (key && key.privateKey) {
        show(panel, "ready");
        panel.dataset.ready = "true";
        signOnSubmit(panel, key);
      } else {
        if (enrolled) { show(panel, "elsewhere"); }
        enrolBox.hidden = false;
      }
    }).catch(function () { show(panel, "unsupported"); });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
