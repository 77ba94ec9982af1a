/* Trends: monthly counts (or rates per 1,000 residents) drawn with uPlot (vendored). Suppressed
   values are gaps; partial months at either end are left out by the server and named. The chart
   exports as PNG (the plot with its title and legend) and SVG (drawn from the same data). */
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var chartEl = document.getElementById("chart");
  var statusEl = document.getElementById("trend-status");
  var table = document.getElementById("trend-table");
  var palette = ["#005ea5", "#d94801", "#1b7a3d", "#6a3d9a", "#b2182b", "#01665e", "#8c510a", "#c51b7d", "#4d4d4d", "#1f78b4", "#33a02c", "#e31a1c", "#ff7f00", "#cab2d6"];
  var plot = null, last = null, fmt = window.vruExports.fmt;

  function num(v) { return typeof v === "number" ? v : null; }
  function title(d) {
    var ct = form.querySelector("select[name=crime_type]"), area = form.querySelector("select[name=area]");
    var what = ct.options[ct.selectedIndex].text, where = area.options[area.selectedIndex].text;
    var span = d.months.length ? d.months[0] + " to " + d.months[d.months.length - 1] : "";
    return what + ", " + where + ", " + span + " (" + d.unit + ")";
  }
  function render(d) {
    if (plot) { plot.destroy(); plot = null; }
    last = d;
    var xs = d.months.map(function (m) { return Date.UTC(+m.slice(0, 4), +m.slice(5, 7) - 1, 1) / 1000; });
    var series = d.series.slice(0, 14);
    var data = [xs].concat(series.map(function (s) { return s.values.map(num); }));
    var opts = {
      title: title(d),
      width: Math.max(400, chartEl.clientWidth - 10), height: 380,
      series: [{}].concat(series.map(function (s, i) { return { label: s.name, stroke: palette[i % palette.length], width: 1.5, spanGaps: false, value: function (u, v) { return v === null ? "–" : fmt(v); } }; })),
      axes: [{}, { label: d.unit, size: 70, values: function (u, vals) { return vals.map(fmt); } }],
      scales: { x: { time: true } }
    };
    plot = new uPlot(opts, data, chartEl);
    chartEl.setAttribute("data-loaded", String(series.length));
    var head = "<tr><th>" + (d.by === "area" ? "Area" : "Crime type") + "</th><th class='num'>" + (d.measure === "rate" ? "Rate per 1,000 residents" : "Total") + "</th></tr>";
    table.tHead.innerHTML = head;
    table.tBodies[0].innerHTML = "";
    d.series.forEach(function (s) {
      var tr = document.createElement("tr");
      var a = document.createElement("td"); a.textContent = s.name;
      var b = document.createElement("td"); b.className = "num"; b.textContent = fmt(s.total);
      tr.appendChild(a); tr.appendChild(b); table.tBodies[0].appendChild(tr);
    });
    var msg = d.months.length + " months, " + d.series.length + " series.";
    if (d.partial_months && d.partial_months.length) msg += " Partial months left out of the chart: " + d.partial_months.join(", ") + ".";
    if (d.population_year) msg += " Rates use " + d.population_year + " population estimates.";
    if (d.note) msg += " " + d.note + ".";
    statusEl.textContent = msg;
  }
  function chartPng() {
    var c = chartEl.querySelector("canvas"), legendH = 22 * Math.ceil(Math.min(last.series.length, 14) / 3) + 30;
    var out = document.createElement("canvas");
    out.width = c.width; out.height = c.height + (22 + legendH) * (c.width / c.clientWidth);
    var g = out.getContext("2d"), k = c.width / c.clientWidth;
    g.fillStyle = "#fff"; g.fillRect(0, 0, out.width, out.height);
    g.scale(k, k);
    g.fillStyle = "#222"; g.font = "600 13px system-ui, sans-serif"; g.fillText(title(last), 8, 16);
    g.drawImage(c, 0, 22, c.clientWidth, c.clientHeight);
    g.font = "12px system-ui, sans-serif";
    last.series.slice(0, 14).forEach(function (s, i) {
      var x = 8 + (i % 3) * 260, y = c.clientHeight + 36 + Math.floor(i / 3) * 22;
      g.fillStyle = palette[i % palette.length]; g.fillRect(x, y - 9, 14, 4);
      g.fillStyle = "#222"; g.fillText(s.name + " (" + fmt(s.total) + ")", x + 20, y);
    });
    return out;
  }
  function esc(t) { return String(t).replace(/&/g, "&amp;").replace(/</g, "&lt;"); }
  function chartSvg() {
    var W = 900, H = 420, L = 70, R = 20, T = 36, B = 60, d = last;
    var series = d.series.slice(0, 14), n = d.months.length;
    var max = 0;
    series.forEach(function (s) { s.values.forEach(function (v) { if (typeof v === "number" && v > max) max = v; }); });
    max = max || 1;
    function x(i) { return L + (n > 1 ? i * (W - L - R) / (n - 1) : 0); }
    function y(v) { return T + (H - T - B) * (1 - v / max); }
    var out = ['<svg xmlns="http://www.w3.org/2000/svg" width="' + W + '" height="' + (H + 22 * Math.ceil(series.length / 3)) + '" font-family="sans-serif" font-size="11">',
      '<rect width="100%" height="100%" fill="#fff"/>',
      '<text x="8" y="18" font-size="13" font-weight="600">' + esc(title(d)) + '</text>',
      '<line x1="' + L + '" y1="' + y(0) + '" x2="' + (W - R) + '" y2="' + y(0) + '" stroke="#999"/>',
      '<line x1="' + L + '" y1="' + T + '" x2="' + L + '" y2="' + y(0) + '" stroke="#999"/>'];
    for (var t = 0; t <= 4; t++) {
      var v = max * t / 4;
      out.push('<text x="' + (L - 6) + '" y="' + (y(v) + 4) + '" text-anchor="end">' + esc(fmt(Math.round(v * 100) / 100)) + '</text>');
    }
    out.push('<text transform="translate(14 ' + ((T + H - B) / 2) + ') rotate(-90)" text-anchor="middle">' + esc(d.unit) + '</text>');
    for (var i = 0; i < n; i += Math.max(1, Math.ceil(n / 12))) {
      out.push('<text x="' + x(i) + '" y="' + (H - B + 16) + '" text-anchor="middle">' + d.months[i] + '</text>');
    }
    series.forEach(function (s, k) {
      var pts = [], paths = [];
      s.values.forEach(function (v, i) {
        if (typeof v === "number") pts.push(x(i).toFixed(1) + "," + y(v).toFixed(1));
        else if (pts.length) { paths.push(pts); pts = []; }
      });
      if (pts.length) paths.push(pts);
      paths.forEach(function (p) { out.push('<polyline fill="none" stroke="' + palette[k % palette.length] + '" stroke-width="1.5" points="' + p.join(" ") + '"/>'); });
      var lx = 8 + (k % 3) * 290, ly = H + 4 + Math.floor(k / 3) * 22;
      out.push('<rect x="' + lx + '" y="' + (ly - 8) + '" width="14" height="4" fill="' + palette[k % palette.length] + '"/><text x="' + (lx + 20) + '" y="' + ly + '">' + esc(s.name + " (" + fmt(s.total) + ")") + '</text>');
    });
    out.push("</svg>");
    return out.join("\n");
  }
  window.vruExports.exportBar(chartEl, [
    ["PNG", "png", function () { if (last) chartPng().toBlob(function (b) { window.vruExports.download(b, "trends.png"); }, "image/png"); }],
    ["SVG", "svg", function () { if (last) window.vruExports.download(new Blob([chartSvg()], { type: "image/svg+xml" }), "trends.svg"); }],
    ["Print", "print", function () { window.print(); }]
  ]);
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
