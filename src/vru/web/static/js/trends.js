/* Trends: monthly counts drawn with uPlot (vendored). Suppressed values are gaps. */
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var chartEl = document.getElementById("chart");
  var statusEl = document.getElementById("trend-status");
  var table = document.getElementById("trend-table");
  var palette = ["#005ea5", "#d94801", "#1b7a3d", "#6a3d9a", "#b2182b", "#01665e", "#8c510a", "#c51b7d", "#4d4d4d", "#1f78b4", "#33a02c", "#e31a1c", "#ff7f00", "#cab2d6"];
  var plot = null;

  function num(v) { return typeof v === "number" ? v : null; }
  function render(d) {
    if (plot) { plot.destroy(); plot = null; }
    var xs = d.months.map(function (m) { return Date.UTC(+m.slice(0, 4), +m.slice(5, 7) - 1, 1) / 1000; });
    var series = d.series.slice(0, 14);
    var data = [xs].concat(series.map(function (s) { return s.values.map(num); }));
    var opts = {
      width: Math.max(400, chartEl.clientWidth - 10), height: 380,
      series: [{}].concat(series.map(function (s, i) { return { label: s.name, stroke: palette[i % palette.length], width: 1.5, spanGaps: false }; })),
      axes: [{}, { label: "records per month" }],
      scales: { x: { time: true } }
    };
    plot = new uPlot(opts, data, chartEl);
    chartEl.setAttribute("data-loaded", String(series.length));
    var head = "<tr><th>" + (d.by === "area" ? "Area" : "Crime type") + "</th><th class='num'>Total</th></tr>";
    table.tHead.innerHTML = head;
    table.tBodies[0].innerHTML = "";
    d.series.forEach(function (s) {
      var tr = document.createElement("tr");
      var a = document.createElement("td"); a.textContent = s.name;
      var b = document.createElement("td"); b.className = "num"; b.textContent = s.total;
      tr.appendChild(a); tr.appendChild(b); table.tBodies[0].appendChild(tr);
    });
    statusEl.textContent = d.months.length + " months, " + d.series.length + " series.";
  }
  function load(ev) {
    if (ev) ev.preventDefault();
    var p = new URLSearchParams();
    new FormData(form).forEach(function (v, k) { if (v !== "") p.set(k, v); });
    statusEl.textContent = "Loading…";
    fetch("/api/trends?" + p, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(render)
      .catch(function (e) { statusEl.textContent = "Could not load trends: " + e.message; });
  }
  form.addEventListener("submit", load);
  load();
})();
