/* Map explorer: Leaflet over our own GeoJSON. The basemap is drawn from the workspace's
   geography pack (force and local authority outlines, LSOA boundaries from zoom 12, place
   labels); a deployment may add a tile server (settings map.tile_url). Every layer exports as
   GeoJSON and the map as PNG (basemap, layer, labels and legend drawn into one image). */
(function () {
  "use strict";
  var el = document.getElementById("map");
  var statusEl = document.getElementById("map-status");
  var legendEl = document.getElementById("legend");
  var form = document.getElementById("filters");
  var map = L.map(el, { preferCanvas: true, zoomSnap: 0.25 }).setView([52.1, -0.45], 10);
  // The basemap's own pane, under the overlays (Leaflet's overlay pane is at 400): the grid,
  // LSOA and hot-spot layers are drawn semi-transparent over the outlines.
  map.createPane("base"); map.getPane("base").style.zIndex = 250;
  map.getPane("base").style.pointerEvents = "none";
  var baseRenderer = L.canvas({ pane: "base" }), lineRenderer = baseRenderer;
  var layers = [], current = null, currentName = "map", legendTitle = "";
  var base = { lsoa: null, outlines: null, laLabels: [], lsoaLabels: [] };
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
    if (legendTitle) { var t = document.createElement("span"); t.className = "title"; t.textContent = legendTitle; legendEl.appendChild(t); }
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
  function period() {
    var d = new FormData(form), ct = form.querySelector("select[name=crime_type]");
    var what = ct ? ct.options[ct.selectedIndex].text : "";
    return what + ", " + (d.get("from") || "") + " to " + (d.get("to") || "");
  }
  function choropleth(fc, rate) {
    var key = rate ? "rate_per_1000" : "value";
    var fmt = window.vruExports.fmt;
    fc.features.forEach(function (f) { f.properties.shown = f.properties[key] === undefined ? null : f.properties[key]; });
    var br = breaks(fc.features.map(function (f) { return f.properties.shown; }));
    var layer = L.geoJSON(fc, {
      style: function (f) { return { color: "#555", weight: 0.3, fillOpacity: 0.75, fillColor: colour(f.properties.shown, br) }; },
      pointToLayer: function (f, ll) { return L.circleMarker(ll, { radius: 6 }); },
      onEachFeature: function (f, l) {
        var p = f.properties;
        l.bindTooltip((p.name || p.id) + ": " + fmt(p.count) + (p.rate_per_1000 !== undefined && p.rate_per_1000 !== null ? " (" + fmt(p.rate_per_1000) + " per 1,000 residents)" : ""));
      }
    });
    legendTitle = (rate ? "Rate per 1,000 residents" : "Crimes (count)") + " – " + period() + ":";
    var items = [], lo = 0;
    br.forEach(function (b, i) { items.push([ramp[i], (i ? "> " + fmt(lo) + " " : "") + "≤ " + fmt(b)]); lo = b; });
    items.push([ramp[ramp.length - 1], "> " + fmt(lo)]);
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
    legendTitle = "Hot spots – " + period() + ":";
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
      // the neighbourhood (distance band) and how it was chosen
      if (fc.meta && fc.meta.distance_label) legendTitle = "Emerging hot spots – " + period() + " (" + fc.meta.distance_label + "):";
      legend(Object.keys(seen).sort().map(function (c) { return [categoryColour(c), c + " (" + seen[c] + ")"]; }));
    } else {
      // how the confidence levels were reached (FDR correction, p by randomisation or normal)
      // and the neighbourhood (distance band) and how it was chosen
      if (fc.meta && fc.meta.significance) legendTitle = "Hot spots – " + period() + " (" + fc.meta.significance + (fc.meta.distance_label ? "; " + fc.meta.distance_label : "") + "):";
      legend([[hotColours[3], "hot 99%"], [hotColours[2], "hot 95%"], [hotColours[1], "hot 90%"], [hotColours[-1], "cold 90%"], [hotColours[-2], "cold 95%"], [hotColours[-3], "cold 99%"]]);
    }
    return layer;
  }
  function planLayer(fc) {
    legendTitle = "Patrol plan:";
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
    var rate = data.get("measure") === "rate" && kind === "lsoa";
    var p = params(), url;
    p.delete("measure");
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
      current = fc; currentName = kind.replace(":", "-");
      var layer = (kind === "hotspots" || kind === "emerging") ? hotLayer(fc)
        : kind.indexOf("plan:") === 0 ? planLayer(fc) : choropleth(fc, rate);
      layer.addTo(map); layers.push(layer);
      var msg = fc.features.length + " " + (kind === "lsoa" ? "areas" : "cells") + " shown";
      if (data.get("measure") === "rate" && kind !== "lsoa") msg += "; rates per 1,000 residents are shown on LSOAs (grid cells have no residents' count), counts here";
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
  /* ---- basemap from the geography pack ---- */
  function labelMarker(f, cls) {
    var ll = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
    var m = L.circleMarker(ll, { radius: 0, opacity: 0, fillOpacity: 0, interactive: false, renderer: lineRenderer });
    m.bindTooltip(f.properties.name, { permanent: true, direction: "center", className: "place " + cls });
    m.labelText = f.properties.name; m.labelClass = cls;
    return m;
  }
  function updateBase() {
    var z = map.getZoom();
    if (base.lsoa) { if (z >= 12) base.lsoa.addTo(map); else map.removeLayer(base.lsoa); }
    base.laLabels.forEach(function (m) { m.addTo(map); });
    base.lsoaLabels.forEach(function (m) { if (z >= 14) m.addTo(map); else map.removeLayer(m); });
  }
  function loadBase() {
    return get("/api/map/basemap").then(function (fc) {
      var meta = fc.meta || {};
      if (meta.tile_url) {
        L.tileLayer(meta.tile_url, { attribution: meta.tile_attribution || "", pane: "tilePane", crossOrigin: "anonymous" }).addTo(map);
      }
      var lsoa = [], outl = [];
      fc.features.forEach(function (f) {
        var k = f.properties.kind;
        if (k === "lsoa") lsoa.push(f);
        else if (k === "la" || k === "force") outl.push(f);
        else if (k === "la_label") base.laLabels.push(labelMarker(f, "la"));
        else if (k === "lsoa_label") base.lsoaLabels.push(labelMarker(f, "lsoa"));
      });
      base.lsoa = L.geoJSON({ type: "FeatureCollection", features: lsoa }, {
        renderer: baseRenderer, interactive: false,
        style: function () { return { color: "#9aa5ae", weight: 0.6, fill: false }; }
      });
      base.outlines = L.geoJSON({ type: "FeatureCollection", features: outl }, {
        renderer: lineRenderer, interactive: false,
        style: function (f) { return f.properties.kind === "force" ? { color: "#222", weight: 2.5, fill: false } : { color: "#555", weight: 1.4, dashArray: "5 3", fill: false }; }
      });
      // local authority areas as a land fill at every zoom, their outlines over it
      L.geoJSON({ type: "FeatureCollection", features: outl.filter(function (f) { return f.properties.kind === "la"; }) }, {
        renderer: baseRenderer, interactive: false, style: function () { return { stroke: false, fillColor: "#f4f1ea", fillOpacity: 1 }; }
      }).addTo(map);
      base.outlines.addTo(map);
      map.on("zoomend", updateBase);
      updateBase();
      el.setAttribute("data-basemap", String(outl.length));
    }).catch(function (e) { el.setAttribute("data-basemap", "error"); statusEl.textContent = "Basemap: " + e.message; });
  }

  /* ---- exports: GeoJSON of the layer shown, PNG of the whole map ---- */
  function mapPng() {
    var size = map.getSize(), rect = el.getBoundingClientRect(), scale = window.devicePixelRatio || 1;
    var legendH = 28, out = document.createElement("canvas");
    out.width = size.x * scale; out.height = (size.y + legendH) * scale;
    var g = out.getContext("2d");
    g.scale(scale, scale);
    g.fillStyle = "#e8ecef"; g.fillRect(0, 0, size.x, size.y + legendH);
    var panes = ["tilePane", "base", "overlayPane", "markerPane"];
    panes.forEach(function (name) {
      var pane = map.getPane(name);
      if (!pane) return;
      pane.querySelectorAll("canvas, img").forEach(function (c) {
        var r = c.getBoundingClientRect();
        try { g.drawImage(c, r.left - rect.left, r.top - rect.top, r.width, r.height); } catch (e) { /* a tile server without CORS */ }
      });
    });
    g.font = "600 11px system-ui, sans-serif"; g.fillStyle = "#222"; g.textAlign = "center";
    base.laLabels.concat(base.lsoaLabels).forEach(function (m) {
      if (!map.hasLayer(m)) return;
      var pt = map.latLngToContainerPoint(m.getLatLng());
      g.fillText(m.labelText, pt.x, pt.y);
    });
    g.textAlign = "left"; g.font = "11px system-ui, sans-serif";
    var x = 6, y = size.y + 18;
    legendEl.querySelectorAll("span").forEach(function (s) {
      var sw = s.querySelector("i");
      if (sw) { g.fillStyle = sw.style.background; g.fillRect(x, y - 10, 12, 12); x += 16; }
      g.fillStyle = "#222"; g.fillText(s.textContent, x, y); x += g.measureText(s.textContent).width + 10;
    });
    return out;
  }
  window.vruExports.exportBar(el, [
    ["GeoJSON", "geojson", function () {
      if (!current) return;
      window.vruExports.download(new Blob([JSON.stringify(current)], { type: "application/geo+json" }),
        window.vruExports.pageName + "-" + currentName + ".geojson");
    }],
    ["PNG", "png", function () {
      mapPng().toBlob(function (b) { window.vruExports.download(b, window.vruExports.pageName + "-" + currentName + ".png"); }, "image/png");
    }],
    ["Print", "print", function () { window.print(); }]
  ]);
  window.vruMap = { map: map, png: mapPng };

  form.addEventListener("submit", load);
  loadBase().then(function () { load(); });
})();
