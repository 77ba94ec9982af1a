/* GPS tagging maps: a person's trail and zones, or a crime scene with the matching stretches.
   Leaflet over our own GeoJSON (no basemap tiles: none are reachable offline). */
(function () {
  "use strict";
  var el = document.getElementById("tag-map");
  if (!el) return;
  var statusEl = document.getElementById("tag-map-status");
  var map = L.map(el, { preferCanvas: true }).setView([52.1, -0.45], 12);
  function say(t) { if (statusEl) statusEl.textContent = t; }
  function get(url) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); });
  }
  var reason = encodeURIComponent(el.dataset.reason || "");
  if (el.dataset.person) {
    var url = "/api/tags/trail/" + encodeURIComponent(el.dataset.person) + "?start=" +
      encodeURIComponent(el.dataset.start) + "&end=" + encodeURIComponent(el.dataset.end) + "&reason=" + reason;
    get(url).then(function (fc) {
      var layer = L.geoJSON(fc, {
        style: function (f) {
          if (f.properties.zone_type === "EXCLUSION") return { color: "#b2182b", weight: 2, fillOpacity: 0.15 };
          if (f.properties.zone_type === "INCLUSION") return { color: "#2166ac", weight: 2, fillOpacity: 0.15 };
          return { color: "#333", weight: 2 };
        },
        pointToLayer: function (f, ll) { return L.circleMarker(ll, { radius: 3, color: "#555" }); },
        onEachFeature: function (f, l) {
          var p = f.properties;
          l.bindTooltip(p.zone_id ? p.zone_id + " (" + p.zone_type + ", " + p.hours + ")" :
            (p.time ? p.time + (p.accuracy_m !== null ? " ±" + p.accuracy_m + " m" : "") : "trail"));
        }
      }).addTo(map);
      var n = fc.features.filter(function (f) { return f.geometry.type === "Point"; }).length;
      say(n + " fixes");
      if (layer.getBounds().isValid()) map.fitBounds(layer.getBounds(), { padding: [20, 20] });
    }).catch(function (e) { say("Could not load the trail: " + e.message); });
  } else if (el.dataset.crime) {
    get("/api/tags/crime?ref=" + encodeURIComponent(el.dataset.crime) + "&reason=" + reason).then(function (d) {
      var group = L.featureGroup().addTo(map);
      d.matches.forEach(function (m) {
        L.circleMarker(m.scene, { radius: 7, color: "#b2182b" }).bindTooltip("scene").addTo(group);
        m.evidence.forEach(function (e) {
          L.polyline([e.fix0_at, e.fix1_at], { color: "#333", weight: 2 }).addTo(group);
          L.circleMarker(e.fix0_at, { radius: 3 }).bindTooltip(m.person_id + " " + e.fix0).addTo(group);
          L.circleMarker(e.fix1_at, { radius: 3 }).bindTooltip(m.person_id + " " + e.fix1).addTo(group);
          L.circleMarker(e.closest_at, { radius: 4, color: "#ef8a62" })
            .bindTooltip(m.person_id + " closest " + e.closest_m + " m at " + e.closest).addTo(group);
        });
      });
      if (group.getBounds().isValid()) map.fitBounds(group.getBounds(), { padding: [30, 30], maxZoom: 17 });
    }).catch(function (e) { say("Could not load the matches: " + e.message); });
  }
})();
