// The live opening hall (开标大厅): countdown in server time, then the opening as it happens, from Server-Sent
// Events. Each event is an HTML fragment rendered by the server (templates/live_event.html) whose elements name
// where they go (data-target). The EventSource reconnects by itself, sending the last ledger index it saw as
// Last-Event-ID, so the server resumes exactly after it: no line is lost or repeated.
(function () {
  "use strict";
  var hall = document.getElementById("hall");
  if (!hall) return;
  var deadline = Date.parse(hall.dataset.deadline);
  var skew = Date.parse(hall.dataset.now) - Date.now(); // server clock minus this clock
  var pace = parseInt(hall.dataset.pace, 10) || 0;
  var countdown = document.getElementById("countdown");
  var status = document.getElementById("status");
  var reading = []; // record lines waiting to be read out (唱标), one every `pace` ms
  var timer = null;

  function two(n) { return (n < 10 ? "0" : "") + n; }

  function tick() {
    var waiting = hall.dataset.stage === "published" || hall.dataset.stage === "closed";
    var left = waiting ? Math.max(0, Math.floor((deadline - (Date.now() + skew)) / 1000)) : 0;
    var days = Math.floor(left / 86400);
    var text = two(Math.floor(left % 86400 / 3600)) + ":" + two(Math.floor(left % 3600 / 60)) + ":" + two(left % 60);
    countdown.textContent = (days > 0 ? days + " " + hall.dataset.daysText + " " : "") + text;
    var current = status.querySelector("[data-stage]");
    if (left === 0 && current && current.dataset.stage === "published") {
      status.innerHTML = "<p data-stage=\"closed\"></p>";
      status.firstChild.textContent = hall.dataset.closedText;
    }
  }

  function readOut() {
    var line = reading.shift();
    if (!line) { timer = null; return; }
    document.getElementById("record").appendChild(line);
    timer = setTimeout(readOut, pace);
  }

  function place(html, paced) {
    var template = document.createElement("template");
    template.innerHTML = html;
    Array.prototype.slice.call(template.content.children).forEach(function (element) {
      var target = element.dataset.target;
      if (target === "status") {
        status.replaceChildren(element);
        if (element.dataset.total) document.getElementById("total").textContent = element.dataset.total;
        hall.dataset.stage = element.dataset.stage || hall.dataset.stage;
        tick();
      } else if (target === "record" && paced && pace > 0) {
        reading.push(element);
        if (!timer) timer = setTimeout(readOut, pace);
      } else if (target) {
        document.getElementById(target).appendChild(element);
        if (element.dataset.counts) {
          var done = document.getElementById("decrypted");
          done.textContent = String(parseInt(done.textContent, 10) + 1);
        }
      }
    });
  }

  // What the ledger held when the page was made is in the page; the stream continues after it.
  var history = document.getElementById("history");
  if (history) {
    place(history.innerHTML, false);
    document.getElementById("decrypted").textContent = String(document.querySelectorAll("#progress [data-counts]").length);
  }
  tick();
  setInterval(tick, 1000);

  if (!window.EventSource) return;
  var source = new EventSource(hall.dataset.stream);
  source.addEventListener("clock", function (event) { skew = Date.parse(event.data) - Date.now(); });
  source.addEventListener("hall", function (event) { place(event.data, true); });
  source.addEventListener("open", function () { hall.dataset.connected = "true"; });
  source.addEventListener("error", function () { hall.dataset.connected = "false"; });
})();
