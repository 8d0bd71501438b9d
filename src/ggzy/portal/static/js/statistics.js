// Draws the statistics charts from the JSON the page carries; the tables beside them hold the same numbers.
(function () {
  "use strict";
  function draw() {
    if (!window.echarts) return;
    var data = JSON.parse(document.getElementById("chart-data").textContent);
    var words = JSON.parse(document.getElementById("chart-words").textContent);
    document.querySelectorAll(".chart[data-dimension]").forEach(function (element) {
      var series = data[element.dataset.dimension];
      var chart = window.echarts.init(element);
      chart.setOption({
        tooltip: { trigger: "axis" },
        // the legend on its own line above the plot, the axis names below it: neither covers the labels of the
        // months, which turn 45° under the plot when there are many
        legend: { data: [words.amount, words.count], top: 0, left: "center" },
        grid: { left: 8, right: 8, top: 64, bottom: 8, containLabel: true },
        xAxis: { type: "category", data: series.labels, axisLabel: { interval: 0, rotate: series.labels.length > 6 ? 45 : 0 } },
        yAxis: [
          { type: "value", name: words.amount, nameGap: 12, nameTextStyle: { align: "left" } },
          { type: "value", name: words.count, minInterval: 1, nameGap: 12, nameTextStyle: { align: "right" } }
        ],
        series: [
          { name: words.amount, type: "bar", data: series.amounts },
          { name: words.count, type: "line", yAxisIndex: 1, data: series.counts }
        ]
      });
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
