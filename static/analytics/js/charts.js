/* Draws every <canvas data-chart="ID"> from the JSON in <script type="application/json" id="ID">.
   No inline code: the data comes through json_script, so the page works under a strict CSP. */
(function () {
  "use strict";
  var lang = document.documentElement.lang || "id";
  var money = new Intl.NumberFormat(lang === "en" ? "en-US" : "id-ID", { style: "currency", currency: "IDR", maximumFractionDigits: 0 });
  var number = new Intl.NumberFormat(lang === "en" ? "en-US" : "id-ID", { maximumFractionDigits: 2 });
  var palette = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#dc3545", "#20c997", "#0dcaf0", "#ffc107", "#6c757d", "#d63384"];

  function format(kind, value) {
    if (value === null || value === undefined) { return "–"; }
    if (kind === "money") { return money.format(value); }
    if (kind === "percent") { return number.format(value) + " %"; }
    return number.format(value);
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || typeof Chart === "undefined") { return; }
    var spec = JSON.parse(source.textContent);
    var pie = spec.type === "pie";
    var twoAxes = spec.datasets.some(function (d) { return d.yAxisID === "y1"; });
    spec.datasets.forEach(function (d, i) {
      var color = palette[i % palette.length];
      if (pie) {
        d.backgroundColor = spec.labels.map(function (_, j) { return palette[j % palette.length]; });
      } else {
        d.borderColor = color;
        d.backgroundColor = spec.type === "line" ? color + "33" : color;
        d.tension = 0.2;
        d.pointRadius = spec.labels.length > 60 ? 0 : 2;
      }
    });
    var scales = pie ? {} : {
      y: { beginAtZero: true, ticks: { callback: function (v) { return format(spec.kind, v); } } }
    };
    if (twoAxes) { scales.y1 = { beginAtZero: true, position: "right", grid: { drawOnChartArea: false } }; }
    new Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: spec.datasets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false, scales: scales,
        plugins: {
          legend: { display: pie || spec.datasets.length > 1 },
          tooltip: { callbacks: { label: function (ctx) {
            var kind = ctx.dataset.yAxisID === "y1" ? "number" : spec.kind;
            return (ctx.dataset.label || ctx.label) + ": " + format(kind, ctx.parsed.y !== undefined ? ctx.parsed.y : ctx.parsed);
          } } }
        }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  });
})();
