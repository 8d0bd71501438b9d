// The /assistant page: the user enters the pairing code the assistant printed; the page proves it with the
// assistant (static/js/assistant.js, window.ggzyAssistant.pair) and shows the certificate the assistant holds.
(function () {
  "use strict";
  var form = document.getElementById("assistant-pairing");
  if (!form) { return; }
  var box = document.getElementById("assistant-pairing-status");
  var table = document.getElementById("assistant-certificate");
  var base = form.dataset.assistantUrl;

  function say(name) {
    var holder = document.getElementById("assistant-messages");
    return (holder && holder.dataset[name]) || name;
  }

  function show(text, kind) {
    box.textContent = text;
    box.className = kind === "error" ? "notice-error" : kind === "ok" ? "notice-ok" : "muted";
    box.setAttribute("role", kind === "error" ? "alert" : "status");
  }

  function showCertificate(status) {
    ["subject", "fingerprint"].forEach(function (name) {
      table.querySelector('[data-field="' + name + '"]').textContent = status[name] || "";
    });
    var suite = status.suite === "gm" ? say("suiteGm") : status.suite === "intl" ? say("suiteIntl") : status.suite;
    table.querySelector('[data-field="suite"]').textContent = suite || "";
    table.hidden = false;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    table.hidden = true;
    show(say("checking"), "info");
    window.ggzyAssistant.pair(base, form.elements.code.value).then(function (status) {
      form.elements.code.value = "";
      show(say("paired"), "ok");
      showCertificate(status);
    }, function (error) {
      show(error.message || String(error), "error");
    });
  });

  document.getElementById("assistant-unpair").addEventListener("click", function () {
    window.ggzyAssistant.unpair(base);
    table.hidden = true;
    show(say("unpaired"), "ok");
  });

  if (window.ggzyAssistant && window.ggzyAssistant.paired()) {
    window.ggzyAssistant.status(base).then(function (status) {
      show(say("paired"), "ok");
      showCertificate(status);
    }, function (error) { show(error.message || String(error), "error"); });
  }
})();
