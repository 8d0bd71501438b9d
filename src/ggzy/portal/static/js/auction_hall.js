// The live auction hall (拍卖大厅): price, plate of the highest bid, countdown and bids, pushed by the server as
// Server-Sent Events. The countdown counts to the SERVER's end (data-ends-at, and each bid's new end) by the
// SERVER's clock (data-now, and the "clock" event sent before every event): this browser only ticks it down.
// Each event is an HTML fragment rendered by the server (templates/auction_event.html) whose elements name where
// they go (data-target). The EventSource reconnects by itself with the last ledger index it saw (Last-Event-ID),
// so the server resumes exactly after it: no bid is lost or shown twice.
(function () {
  "use strict";
  var hall = document.getElementById("hall");
  if (!hall || !hall.classList.contains("auction-hall")) return;
  var labels = JSON.parse(hall.dataset.phaseLabels || "{}");
  var endsAt = hall.dataset.endsAt ? Date.parse(hall.dataset.endsAt) : NaN;
  var skew = Date.parse(hall.dataset.now) - Date.now(); // server clock minus this clock
  var warning = parseInt(hall.dataset.warning, 10) || 60;
  var countdown = document.getElementById("countdown");
  var bids = document.getElementById("bids");
  var asking = false;

  function two(n) { return (n < 10 ? "0" : "") + n; }
  function open() { return hall.dataset.phase === "bidding" || hall.dataset.phase === "timed"; }

  // A moment in Beijing time, to the second, as the page writes it (+08:00 in the datetime attribute).
  function showEnd(ms) {
    var shown = document.getElementById("ends-at");
    if (isNaN(ms) || !shown) return;
    var d = new Date(ms + 8 * 3600 * 1000);
    var day = d.getUTCFullYear() + "-" + two(d.getUTCMonth() + 1) + "-" + two(d.getUTCDate());
    var clock = two(d.getUTCHours()) + ":" + two(d.getUTCMinutes()) + ":" + two(d.getUTCSeconds());
    shown.setAttribute("datetime", day + "T" + clock + "+08:00");
    shown.textContent = document.documentElement.lang === "en" ? day + " " + clock + " CST"
      : d.getUTCFullYear() + "年" + (d.getUTCMonth() + 1) + "月" + d.getUTCDate() + "日 " + clock;
  }

  function setPhase(phase) {
    hall.dataset.phase = phase;
    document.getElementById("phase").textContent = labels[phase] || phase;
  }

  // At zero the phase may have moved (notice → bidding, listing → timed bidding or ended): ask the server.
  function refresh() {
    if (asking || !window.fetch) return;
    asking = true;
    fetch(hall.dataset.state, { headers: { accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) {
        if (!state) return;
        skew = Date.parse(state.server_time) - Date.now();
        setPhase(state.phase);
        if (state.phase === "notice") endsAt = Date.parse(state.bidding_start);
        else if (state.phase === "bidding" || state.phase === "timed") {
          endsAt = Date.parse(state.ends_at);
          showEnd(endsAt);
        } else endsAt = NaN;
      })
      .catch(function () {})
      .then(function () { setTimeout(function () { asking = false; }, 2000); });
  }

  function tick() {
    var counting = !isNaN(endsAt) && (open() || hall.dataset.phase === "notice");
    var left = counting ? Math.max(0, Math.ceil((endsAt - (Date.now() + skew)) / 1000)) : 0;
    var days = Math.floor(left / 86400);
    var text = two(Math.floor(left % 86400 / 3600)) + ":" + two(Math.floor(left % 3600 / 60)) + ":" + two(left % 60);
    countdown.textContent = (days > 0 ? days + " " + hall.dataset.daysText + " " : "") + text;
    var last = open() && counting && left <= warning;
    document.getElementById("warning").hidden = !last;
    hall.classList.toggle("last-minute", last);
    if (counting && left === 0) refresh();
  }

  // The bidder's form (when the hall is on the bidder's page) follows the price: the lowest bid now acceptable.
  function nextMinimum(fen) {
    var input = document.getElementById("amount_yuan");
    var shown = document.getElementById("minimum");
    if (isNaN(fen)) return;
    var yuan = (fen / 100).toFixed(2);
    if (input && !(parseFloat(input.value) >= fen / 100)) input.value = yuan;
    if (shown) {
      var text = (fen / 100).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
      shown.textContent = document.documentElement.lang === "en" ? "CNY " + text : text + " 元";
    }
  }

  function place(html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    Array.prototype.slice.call(template.content.children).forEach(function (element) {
      var target = element.dataset.target;
      if (target === "bids") {
        var sequence = parseInt(element.dataset.sequence, 10);
        if (bids.querySelector("tr[data-sequence='" + sequence + "']")) return; // shown already
        bids.insertBefore(element, bids.firstChild); // the latest first
        document.getElementById("no-bids").hidden = true;
        var top = bids.firstElementChild;
        // a bid that only accepts the price cap (decision 0052) moves neither the price, the plate nor the end
        if (parseInt(top.dataset.sequence, 10) === sequence && element.dataset.capAcceptance !== "true") {
          document.getElementById("price").textContent = element.dataset.price;
          document.getElementById("plate").textContent = element.dataset.plate;
          endsAt = Date.parse(element.dataset.endsAt);
          showEnd(endsAt);
          if (element.dataset.phase && (hall.dataset.phase === "bidding" || hall.dataset.phase === "timed"))
            setPhase(element.dataset.phase);
          hall.dataset.sequence = String(sequence);
          nextMinimum(parseInt(element.dataset.amountFen, 10) + parseInt(hall.dataset.incrementFen, 10));
        }
      } else if (target === "status") {
        document.getElementById("status").replaceChildren(element);
        if (element.dataset.resumed) { asking = false; refresh(); } // the server gives the phase and the new end
        else if (element.dataset.phase) { setPhase(element.dataset.phase); endsAt = NaN; }
      } else if (target) {
        document.getElementById(target).appendChild(element);
      }
    });
    tick();
  }

  // What the ledger held when the page was made is in the page (one template per event); the stream continues.
  Array.prototype.slice.call(document.querySelectorAll("#history > template")).forEach(function (line) {
    place(line.innerHTML);
  });
  tick();
  setInterval(tick, 1000);

  if (!window.EventSource) return;
  var source = new EventSource(hall.dataset.stream);
  source.addEventListener("clock", function (event) { skew = Date.parse(event.data) - Date.now(); });
  source.addEventListener("hall", function (event) { place(event.data); });
  source.addEventListener("open", function () { hall.dataset.connected = "true"; });
  source.addEventListener("error", function () { hall.dataset.connected = "false"; });
})();
