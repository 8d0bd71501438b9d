// The pages' side of the local assistant (投标助手, `ggzy assistant serve`, ggzy.assistant, decision 0029).
//
// A request goes to the assistant on the user's own computer (data-assistant-url, 127.0.0.1), never to the platform.
// The assistant opens nothing by itself: the page opens a popup in the click (so that no popup blocker stops it),
// points it at the assistant's consent page once the assistant has taken the request, and waits for the user's
// answer there. The page never sees the consent page (another origin) and cannot answer it. Declined, cancelled or
// failed: the page says so and sends nothing to the platform.
//
// Markup (every button also carries data-assistant-url, and data-status: the id of the element that says, in words,
// what happens; the sentences come from _assistant_messages.html):
//   <button data-assistant="login" data-form="FORM-ID">  sign the login nonce, fill FORM and submit it
//   <button data-assistant="seal" data-inputs="ID" data-form="FORM-ID" data-tender-url="…">  seal the files and the
//        summary typed in the element ID (never a <form>: nothing in it can reach the platform), put the envelope
//        into FORM's file input and submit FORM (the platform's own upload)
//   <button data-assistant="decrypt" data-form="FORM-ID" data-tender-url="…" data-ciphertext="…">  unwrap the data
//        key, put it into FORM's data_key field and submit FORM (the platform's own decryption form)
//   <button data-assistant="share-release" data-form="FORM-ID" data-tender-url="…" data-suite="…" data-share-index="…"
//        data-encrypted-share="…">  a custodian's share: the assistant checks it against the tender's published
//        digest, decrypts and signs it; put share and signature into FORM and submit FORM (/workspace/custody)
(function () {
  "use strict";

  var POLL_MS = 400;

  // The sentences, in the page's language, from _assistant_messages.html: <div id="assistant-messages" data-…>.
  function say(name, values) {
    var holder = document.getElementById("assistant-messages");
    var text = (holder && holder.dataset[name]) || name;
    Object.keys(values || {}).forEach(function (key) { text = text.split("{" + key + "}").join(values[key]); });
    return text;
  }

  function problemText(problem) {
    if (!problem) { return ""; }
    return problem.message_zh || problem.detail || problem.code || "";
  }

  function AssistantError(message, code) {
    this.message = message;
    this.code = code || "assistant_error";
  }

  function status(button, text, kind) {
    var box = document.getElementById(button.dataset.status);
    if (!box) { return; }
    box.textContent = text;
    box.className = kind === "error" ? "notice-error" : kind === "ok" ? "notice-ok" : "muted";
    box.setAttribute("role", kind === "error" ? "alert" : "status");
  }

  // --- the pairing handshake (ggzy.assistant.pairing) ---------------------------------------------------------
  // The pairing code the assistant printed when it was paired with this portal, entered once on the /assistant page
  // and kept in this browser for this portal only. It never travels: the page and the assistant each prove they know
  // it (HMAC-SHA256), the assistant first, so that nothing is sent to a program that took its port.
  var CODE_KEY = "ggzy-assistant-pairing-code";
  var SESSION_KEY = "ggzy-assistant-session:";
  var encoder = new TextEncoder();

  function pairingCode() { return (window.localStorage.getItem(CODE_KEY) || "").trim(); }

  function base64url(buffer) {
    var text = "";
    new Uint8Array(buffer).forEach(function (byte) { text += String.fromCharCode(byte); });
    return window.btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function randomText() {
    var bytes = new Uint8Array(24);
    window.crypto.getRandomValues(bytes);
    return base64url(bytes.buffer);
  }

  function mac(code, label, assistantOrigin, challenge) {
    var text = [label, assistantOrigin, window.location.origin, challenge].join("\n");
    return window.crypto.subtle.importKey("raw", encoder.encode(code), { name: "HMAC", hash: "SHA-256" }, false,
      ["sign"]).then(function (key) {
      return window.crypto.subtle.sign("HMAC", key, encoder.encode(text));
    }).then(base64url);
  }

  function raw(base, method, path, options) {
    options = Object.assign({ method: method, mode: "cors", credentials: "omit", cache: "no-store" }, options || {});
    return fetch(base + path, options).catch(function () {
      throw new AssistantError(say("unreachable"), "assistant_unreachable");
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (json) {
        if (!response.ok) { throw new AssistantError(problemText(json) || say("failed"), json && json.code); }
        return json;
      });
    });
  }

  // A session with the assistant at ``base``: kept for this tab, made again when the assistant forgot it.
  function session(base, renew) {
    var stored = window.sessionStorage.getItem(SESSION_KEY + base);
    if (stored && !renew) { return Promise.resolve(stored); }
    var code = pairingCode();
    if (!code) { return Promise.reject(new AssistantError(say("notPaired"), "assistant_not_paired")); }
    if (!window.crypto || !window.crypto.subtle) {
      return Promise.reject(new AssistantError(say("insecure"), "assistant_insecure_page"));
    }
    var assistantOrigin = new URL(base).origin;
    var challenge = randomText();
    return raw(base, "GET", "/v1/hello?challenge=" + encodeURIComponent(challenge)).then(function (hello) {
      return mac(code, "ggzy-assistant-proof", assistantOrigin, challenge).then(function (expected) {
        if (!hello || hello.proof !== expected) {
          throw new AssistantError(say("notProven"), "assistant_not_proven");  // not one more byte is sent to it
        }
        return mac(code, "ggzy-assistant-page", assistantOrigin, hello.challenge);
      }).then(function (answer) {
        return raw(base, "POST", "/v1/session", {
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ challenge: hello.challenge, answer: answer })
        });
      });
    }).then(function (opened) {
      window.sessionStorage.setItem(SESSION_KEY + base, opened.session);
      return opened.session;
    });
  }

  function call(base, method, path, body, renewed) {
    return session(base, false).then(function (token) {
      return send(base, method, path, body, token);
    }).catch(function (error) {
      if (error.code !== "assistant_session_required" || renewed) { throw error; }
      window.sessionStorage.removeItem(SESSION_KEY + base);  // the assistant restarted: a new handshake, once
      return call(base, method, path, body, true);
    });
  }

  function send(base, method, path, body, token) {
    var options = { method: method, mode: "cors", credentials: "omit", cache: "no-store",
      headers: { "Authorization": "Bearer " + token } };
    if (body instanceof FormData) {
      options.body = body;
    } else if (body) {
      options.body = JSON.stringify(body);
      options.headers["Content-Type"] = "application/json";
    }
    return fetch(base + path, options).catch(function () {
      throw new AssistantError(say("unreachable"), "assistant_unreachable");
    }).then(function (response) {
      var type = response.headers.get("content-type") || "";
      if (type.indexOf("json") < 0) {
        if (!response.ok) { throw new AssistantError(say("failed"), "assistant_failed"); }
        return { response: response, body: null };
      }
      return response.json().then(function (json) {
        if (!response.ok) { throw new AssistantError(problemText(json), json.code); }
        return { response: response, body: json };
      });
    });
  }

  // Ask the assistant: POST /v1/<kind>, the user decides in the popup, resolve with the result.
  // Every request is preceded by a fresh handshake: the assistant proves the code again before the body (a bid's
  // files, its price) leaves the page, so a program that took the port after the assistant stopped gets nothing
  // (a security review's finding). The consent page's address is made here, on the address the proof was made for,
  // never taken from the answer.
  function ask(base, kind, body, popup) {
    return session(base, true).then(function (token) {
      return send(base, "POST", "/v1/" + kind, body, token);
    }).then(function (started) {
      var request = started.body;
      popup.location.href = base + "/consent/" + encodeURIComponent(request.id);
      return new Promise(function (resolve, reject) {
        function poll() {
          call(base, "GET", "/v1/requests/" + encodeURIComponent(request.id)).then(function (answer) {
            var state = answer.body;
            if (state.status === "done") {
              popup.close();
              resolve({ id: request.id, result: state.result });
            } else if (state.status === "pending" || state.status === "working") {
              if (state.status === "pending" && popup.closed) {
                call(base, "POST", "/v1/requests/" + encodeURIComponent(request.id) + "/cancel");
                reject(new AssistantError(say("cancelled"), "assistant_request_cancelled"));
                return;
              }
              window.setTimeout(poll, POLL_MS);
            } else {
              popup.close();
              reject(new AssistantError(problemText(state.problem) || say("failed"), state.problem && state.problem.code));
            }
          }, function (error) { popup.close(); reject(error); });
        }
        poll();
      });
    }, function (error) { popup.close(); throw error; });
  }

  // Opened blank (this page's own, so that it can always be closed again, whatever happens to the assistant), and
  // pointed at the assistant's consent page only once the assistant has taken the request.
  function openPopup() {
    var popup = window.open("", "ggzy-assistant", "popup,width=560,height=760");
    if (!popup) { throw new AssistantError(say("popupBlocked"), "popup_blocked"); }
    try {
      popup.document.title = "ggzy";
      popup.document.body.textContent = say("waiting");
    } catch (ignored) { /* a window of the assistant left open by an earlier request: it is reused as it is */ }
    return popup;
  }

  function takeEnvelope(base, requestId) {
    return call(base, "GET", "/v1/requests/" + encodeURIComponent(requestId) + "/envelope").then(function (answer) {
      return answer.response.blob();
    });
  }

  // The opening summary as the tender declares it (_bid_summary_fields.html): bid_summary.js checks it by the rules of
  // ggzy.tendering.summary_form and lists what is wrong in the page; nothing reaches the assistant until it is right.
  function summaryOf(container) {
    var problems = window.ggzyBidSummary.check(container);
    var fieldset = container.querySelector("[data-bid-summary]");
    window.ggzyBidSummary.show(fieldset, problems);
    if (problems.length) {
      problems[0].input.focus();
      throw new AssistantError(problems.map(function (p) { return p.message; }).join("；"), "summary_incomplete");
    }
    return window.ggzyBidSummary.summary(container);
  }

  function submitWithEnvelope(form, blob) {
    var input = form.querySelector('input[type="file"]');
    var transfer = new DataTransfer();
    transfer.items.add(new File([blob], "BID.ggzy", { type: "application/octet-stream" }));
    input.files = transfer.files;
    form.requestSubmit();
  }

  var actions = {
    login: function (button, base, popup) {
      var form = document.getElementById(button.dataset.form);
      return ask(base, "login", { nonce: form.elements.nonce.value }, popup).then(function (done) {
        form.elements.certificate_pem.value = done.result.certificate_pem;
        form.elements.signature.value = done.result.signature;
        status(button, say("signed"), "ok");
        form.requestSubmit();
      });
    },
    seal: function (button, base, popup, prepared) {
      var form = document.getElementById(button.dataset.form);
      return ask(base, "seal", prepared, popup).then(function (done) {
        button.dataset.sealedRequest = done.id;
        status(button, say("sealed", { sha256: done.result.ciphertext_sha256 }), "ok");
        return takeEnvelope(base, done.id).then(function (blob) { submitWithEnvelope(form, blob); });
      });
    },
    decrypt: function (button, base, popup) {
      var form = document.getElementById(button.dataset.form);
      var body = { tender_url: button.dataset.tenderUrl, tender_title: button.dataset.tenderTitle,
        ciphertext_sha256: button.dataset.ciphertext };
      return ask(base, "decrypt", body, popup).then(function (done) {
        form.elements.data_key.value = done.result.data_key;
        status(button, say("unwrapped"), "ok");
        form.requestSubmit();
      });
    },
    "share-release": function (button, base, popup) {
      var form = document.getElementById(button.dataset.form);
      var body = { tender_url: button.dataset.tenderUrl, suite: button.dataset.suite,
        share_index: Number(button.dataset.shareIndex), encrypted_share: button.dataset.encryptedShare };
      return ask(base, "share-release", body, popup).then(function (done) {
        form.elements.share.value = done.result.share;
        form.elements.signature.value = done.result.signature;
        status(button, say("shareSigned"), "ok");
        form.requestSubmit();
      });
    }
  };

  function prepareSeal(button) {
    var container = document.getElementById(button.dataset.inputs);
    var summary = summaryOf(container);
    var files = container.querySelector('input[type="file"]').files;
    if (!files.length) { throw new AssistantError(say("noFiles"), "no_files"); }
    var body = new FormData();
    body.append("tender_url", button.dataset.tenderUrl);
    body.append("tender_title", button.dataset.tenderTitle || "");
    body.append("summary", JSON.stringify(summary));
    Array.prototype.forEach.call(files, function (file) { body.append("files", file, file.name); });
    return body;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-assistant]");
    if (!button) { return; }
    event.preventDefault();
    var base = button.dataset.assistantUrl;
    var kind = button.dataset.assistant;
    var popup = null;
    try {
      var prepared = kind === "seal" ? prepareSeal(button) : null;  // checked before anything leaves the page
      popup = openPopup();
      button.disabled = true;
      status(button, say("waiting"), "info");
      actions[kind](button, base, popup, prepared).catch(function (error) {
        status(button, error.message || String(error), "error");
        button.disabled = false;
      });
    } catch (error) {
      if (popup) { popup.close(); }
      status(button, error.message || String(error), "error");
      button.disabled = false;
    }
  });

  // For other pages' scripts (static/js/expert_signing.js): what the assistant holds, and a request with its popup.
  // For a second tab, or a retry: the envelope of a finished seal, handed out once only by the assistant.
  window.ggzyAssistant = {
    status: function (base) {
      return call(base, "GET", "/v1/status").then(function (answer) { return answer.body; });
    },
    // The /assistant page: keep the code the user entered, and prove it with the assistant at once.
    pair: function (base, code) {
      window.localStorage.setItem(CODE_KEY, code.trim().toUpperCase());
      window.sessionStorage.removeItem(SESSION_KEY + base);
      return session(base, true).then(function () { return window.ggzyAssistant.status(base); });
    },
    unpair: function (base) {
      window.localStorage.removeItem(CODE_KEY);
      window.sessionStorage.removeItem(SESSION_KEY + base);
    },
    paired: function () { return pairingCode() !== ""; },
    ask: function (base, kind, body) {  // call it in the click (or submit) that the user made: it opens the popup
      var popup;
      try { popup = openPopup(); } catch (error) { return Promise.reject(error); }
      return ask(base, kind, body, popup).then(function (done) { return done.result; });
    },
    submitSealed: function (button, requestId) {
      var form = document.getElementById(button.dataset.form);
      return takeEnvelope(button.dataset.assistantUrl, requestId).then(function (blob) {
        submitWithEnvelope(form, blob);
      }, function (error) { status(button, error.message, "error"); throw error; });
    }
  };
})();
