/* Exports and print for every page: a CSV button on every data table, and shared helpers the
   map and chart scripts use to download GeoJSON, PNG and SVG. Everything is made in the
   browser from what the page already shows: nothing is fetched, nothing leaves the machine. */
(function () {
  "use strict";
  var pageName = (document.title.split("·")[0] || "vru").trim().toLowerCase().replace(/[^a-z0-9]+/g, "-");

  function download(blob, name) {
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }
  function csvCell(text) {
    var t = String(text).replace(/\s+/g, " ").trim();
    return /[",\n]/.test(t) ? '"' + t.replace(/"/g, '""') + '"' : t;
  }
  function tableCsv(table) {
    var lines = [];
    table.querySelectorAll("tr").forEach(function (tr) {
      var cells = [];
      tr.querySelectorAll("th, td").forEach(function (c) {
        if (c.classList.contains("no-export")) return;
        var t = c.getAttribute("data-value");
        if (t === null) {
          t = c.textContent;
          // numbers as numbers: drop thousands separators in numeric cells
          if (c.classList.contains("num") && /^[\s\d,.+\-%]+$/.test(t)) t = t.replace(/,/g, "");
        }
        cells.push(csvCell(t));
      });
      if (cells.length) lines.push(cells.join(","));
    });
    return lines.join("\r\n") + "\r\n";
  }
  function exportBar(target, buttons) {
    var bar = document.createElement("div");
    bar.className = "exports no-print";
    buttons.forEach(function (b) {
      var btn = document.createElement("button");
      btn.type = "button"; btn.textContent = b[0]; btn.className = "export " + b[1];
      btn.addEventListener("click", b[2]);
      bar.appendChild(btn);
    });
    target.parentNode.insertBefore(bar, target);
    return bar;
  }
  function addTableExports(root) {
    (root || document).querySelectorAll("table.data").forEach(function (t, i) {
      if (t.getAttribute("data-export") === "1") return;
      t.setAttribute("data-export", "1");
      var name = pageName + "-" + (t.id || "table-" + (i + 1)) + ".csv";
      var holder = t.parentNode.classList.contains("scroll") ? t.parentNode : t;
      exportBar(holder, [["CSV", "csv", function () {
        download(new Blob([tableCsv(t)], { type: "text/csv;charset=utf-8" }), name);
      }], ["Print", "print", function () { window.print(); }]]);
    });
  }
  function fmt(v) {
    if (typeof v !== "number") return v === null || v === undefined ? "" : String(v);
    return Number.isInteger(v) ? v.toLocaleString("en-GB") : v.toLocaleString("en-GB", { maximumFractionDigits: 2 });
  }
  window.vruExports = { download: download, tableCsv: tableCsv, exportBar: exportBar, addTableExports: addTableExports, fmt: fmt, pageName: pageName };
  document.addEventListener("DOMContentLoaded", function () { addTableExports(document); });
})();
