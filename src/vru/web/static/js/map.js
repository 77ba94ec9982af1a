/* Map explorer: Leaflet over our own GeoJSON (no basemap tiles: none are reachable offline). */
(function () {
  "use strict";
  var el = document.getElementById("map");
  var statusEl = document.getElementById("map-status");
  var legendEl = document.getElementById("legend");
  var form = document.getElementById("filters");
  var map = L.map(el, { preferCanvas: true, zoomSnap: 0.25 }).setView([52.1, -0.45], 10);
  var layers = [];
  var ramp = ["#fed976", "#feb24c", "#fd8d3c", "#e31a1c", "#800026"];
  var hotColours = { 3: "#b2182b", 2: "#ef8a62", 1: "#fddbc7", "-1": "#d1e5f0", "-2": "#67a9cf", "-3": "#2166ac" };

  function params() {
    var p = new URLSearchParams();
    new FormData(form).forEach(function (v, k) { if (v !== "" && k !== "layer" && k !== "points") p.set(k, v); });
    return p;
  }
  function breaks(values) {
    var v = values.filter(function (x) { return x !== null; }).sort(function (a, b) { return a - b; });
    if (!v.length) return [];
    var out = [];
    for (var i = 1; i < ramp.length; i++) {
      var b = v[Math.min(v.length - 1, Math.floor(i * v.length / ramp.length))];
      if (!out.length || b > out[out.length - 1]) out.push(b);  // quantile breaks, no repeats
    }
    return out;
  }
  function colour(value, br) {
    if (value === null) return "#bbbbbb";
    var i = 0; while (i < br.length && value > br[i]) i++;
    return ramp[i];
  }
  function legend(items) {
    legendEl.innerHTML = "";
    items.forEach(function (it) {
      var s = document.createElement("span");
      var i = document.createElement("i"); i.style.background = it[0];
      s.appendChild(i); s.appendChild(document.createTextNode(it[1])); legendEl.appendChild(s);
    });
  }
  function clear() { layers.forEach(function (l) { map.removeLayer(l); }); layers = []; }
  function get(url) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(url + ": HTTP " + r.status); return r.json(); });
  }
  function choropleth(fc) {
    var br = breaks(fc.features.map(function (f) { return f.properties.value; }));
    var layer = L.geoJSON(fc, {
      style: function (f) { return { color: "#555", weight: 0.3, fillOpacity: 0.8, fillColor: colour(f.properties.value, br) }; },
      pointToLayer: function (f, ll) { return L.circleMarker(ll, { radius: 6 }); },
      onEachFeature: function (f, l) { l.bindTooltip((f.properties.name || f.properties.id) + ": " + f.properties.count); }
    });
    var items = [], lo = 0;
    br.forEach(function (b, i) { items.push([ramp[i], (i ? "> " + lo + " " : "") + "≤ " + b]); lo = b; });
    items.push([ramp[ramp.length - 1], "> " + lo]);
    if (fc.features.some(function (f) { return f.properties.suppressed; })) items.push(["#bbbbbb", "suppressed"]);
    legend(items);
    return layer;
  }
  var categoryColours = {
    "new": "#fdae61", "consecutive": "#f46d43", "intensifying": "#a50026", "persistent": "#d73027",
    "diminishing": "#fee090", "sporadic": "#f4a582", "oscillating": "#c994c7", "historical": "#bababa"
  };
  function categoryColour(cat) {
    var kind = cat.split(" ")[0], base = categoryColours[kind] || "#999999";
    return cat.indexOf("cold") >= 0 ? (kind === "persistent" || kind === "intensifying" ? "#2166ac" : "#92c5de") : base;
  }
  function hotLayer(fc) {
    var emerging = fc.features.length && fc.features[0].properties.category !== undefined;
    var layer = L.geoJSON(fc, {
      style: function (f) {
        var p = f.properties, c = p.bin !== undefined ? hotColours[String(p.bin)] : categoryColour(p.category);
        return { color: "#333", weight: 0.3, fillOpacity: 0.8, fillColor: c };
      },
      onEachFeature: function (f, l) {
        var p = f.properties;
        l.bindTooltip(p.category ? p.category : (p.kind + " spot, " + p.confidence + (p.z !== undefined ? " (z " + p.z + ")" : "")));
      }
    });
    if (emerging) {
      var seen = {};
      fc.features.forEach(function (f) { seen[f.properties.category] = (seen[f.properties.category] || 0) + 1; });
      legend(Object.keys(seen).sort().map(function (c) { return [categoryColour(c), c + " (" + seen[c] + ")"]; }));
    } else {
      legend([[hotColours[3], "hot 99%"], [hotColours[2], "hot 95%"], [hotColours[1], "hot 90%"], [hotColours[-1], "cold 90%"], [hotColours[-2], "cold 95%"], [hotColours[-3], "cold 99%"]]);
    }
    return layer;
  }
  function planLayer(fc) {
    var layer = L.geoJSON(fc, {
      style: function () { return { color: "#0b2239", weight: 2, fillColor: "#2b8cbe", fillOpacity: 0.6 }; },
      pointToLayer: function (f, ll) { return L.circleMarker(ll, { radius: 7 }); },
      onEachFeature: function (f, l) {
        var p = f.properties;
        l.bindTooltip("Spot " + (p.rank !== undefined ? p.rank : "") + (p.share_pct !== undefined ? ": " + p.share_pct.toFixed(1) + "% of harm" : ""));
      }
    });
    legend([["#2b8cbe", "patrol spot"]]);
    return layer;
  }
  function load(ev) {
    if (ev) ev.preventDefault();
    var data = new FormData(form), kind = data.get("layer") || "grid";
    var p = params(), url;
    if (kind === "hotspots") url = "/api/map/hotspots?" + p + "&method=gi_star";
    else if (kind === "emerging") url = "/api/map/hotspots?" + p + "&method=emerging";
    else if (kind.indexOf("plan:") === 0) url = "/api/patrol-plans/" + kind.slice(5);
    else url = "/api/map/" + kind + "?" + p;
    statusEl.textContent = "Loading…";
    var jobs = [get(url)];
    if (data.get("points")) jobs.push(get("/api/map/points?" + p));
    Promise.all(jobs).then(function (res) {
      clear();
      var fc = res[0];
      var layer = (kind === "hotspots" || kind === "emerging") ? hotLayer(fc)
        : kind.indexOf("plan:") === 0 ? planLayer(fc) : choropleth(fc);
      layer.addTo(map); layers.push(layer);
      var msg = fc.features.length + " " + (kind === "lsoa" ? "areas" : "cells") + " shown";
      // every hot-spot map carries its backtested accuracy (and any missing months)
      if (fc.meta && fc.meta.accuracy_label) msg += "; " + fc.meta.accuracy_label;
      if (fc.meta && fc.meta.missing_months && fc.meta.missing_months.length) msg += "; missing months (not zero): " + fc.meta.missing_months.join(", ");
      if (res[1]) {
        var pts = L.geoJSON(res[1], {
          pointToLayer: function (f, ll) { return L.circleMarker(ll, { radius: 3, color: "#0b2239", weight: 1, fillOpacity: 0.7 }); },
          onEachFeature: function (f, l) { l.bindTooltip(f.properties.month + " " + f.properties.crime_type + " – " + (f.properties.location || "")); }
        });
        pts.addTo(map); layers.push(pts);
        msg += "; " + res[1].features.length + " points" + (res[1].meta.truncated ? " (first " + res[1].meta.limit + ")" : "");
      }
      if (fc.features.length) map.fitBounds(layer.getBounds(), { padding: [10, 10] });
      el.setAttribute("data-loaded", String(fc.features.length));
      statusEl.textContent = msg + ".";
    }).catch(function (e) { statusEl.textContent = "Could not load the map: " + e.message; el.setAttribute("data-loaded", "error"); });
  }
  form.addEventListener("submit", load);
  load();
})();
