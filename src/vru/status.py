"""What the workspace holds: sources, row counts, month coverage, rejects, geography.

``workspace_status`` returns plain JSON-able data; its shape is documented in
docs/guide/status.md and kept stable (a test checks the documented keys).
"""

from __future__ import annotations

from datetime import date

from rich.console import Console
from rich.table import Table

from vru import crime_view
from vru.periods import month_key, month_range
from vru.workspace import Workspace

STATUS_VERSION = 1


def _month_coverage(ws: Workspace, table: str, where: str = "TRUE") -> dict:
    months = [r[0] for r in ws.sql(
        f"SELECT DISTINCT strftime(month, '%Y-%m') FROM {table} WHERE {where} ORDER BY 1"
    )]
    if not months:
        return {"first_month": None, "last_month": None, "months": 0, "missing_months": []}
    first = date.fromisoformat(months[0] + "-01")
    last = date.fromisoformat(months[-1] + "-01")
    missing = sorted(set(map(month_key, month_range(first, last))) - set(months))
    return {"first_month": months[0], "last_month": months[-1], "months": len(months),
            "missing_months": missing}


def crime_view_status(ws: Workspace) -> dict:
    """The canonical crime view: precedence, per force which source serves how many months and
    which months are gaps, and where the two police sources disagree on serious violence in the
    months both hold (docs/guide/crime-view.md)."""
    cs = ws.settings.crime_sources
    cov = crime_view.coverage_rows(ws)
    forces: dict[str, dict] = {}
    disagreements = []
    for r in cov:
        f = forces.setdefault(r["force_name"], {
            "force": r["force_name"], "first_month": r["month"], "last_month": r["month"],
            "months": 0, "served_by": {}, "missing_months": [], "partial_months": [],
            "overlap_months": 0,
            "sv_police_uk": 0, "sv_police_rms": 0, "sv_police_rms_ho_codes": 0})
        f["last_month"] = r["month"]
        f["months"] += 1
        if r["source"] is None:
            f["missing_months"].append(r["month"])
        elif r["status"] == "partial":
            f["partial_months"].append(r["month"])
        else:
            f["served_by"][r["source"]] = f["served_by"].get(r["source"], 0) + 1
        if r["police_uk_rows"] and r["police_rms_rows"]:
            f["overlap_months"] += 1
            f["sv_police_uk"] += r["police_uk_sv"]
            f["sv_police_rms"] += r["police_rms_sv"]
            f["sv_police_rms_ho_codes"] += r["police_rms_sv_ho"]
            if r["police_uk_sv"] != r["police_rms_sv"]:
                disagreements.append({
                    "force": r["force_name"], "month": r["month"], "served_by": r["source"],
                    "sv_police_uk": r["police_uk_sv"], "sv_police_rms": r["police_rms_sv"],
                    "difference": r["police_rms_sv"] - r["police_uk_sv"]})
    for f in forces.values():
        f["sv_difference"] = f["sv_police_rms"] - f["sv_police_uk"]
        f["sv_difference_pct"] = (round(100.0 * f["sv_difference"] / f["sv_police_uk"], 1)
                                  if f["sv_police_uk"] else None)
    disagreements.sort(key=lambda d: (-abs(d["difference"]), d["force"], d["month"]))
    return {
        "precedence": list(cs.precedence),
        "overrides": [dict(o) for o in cs.overrides],
        "serious_violence_categories": list(ws.settings.serious_violence.police_uk_categories),
        "forces": list(forces.values()),
        "disagreements": disagreements[:24],
    }


def workspace_status(ws: Workspace) -> dict:
    s = ws.settings
    sources = []
    for source, kind, files, read, loaded, rejected, flagged in ws.sql(
        """SELECT source, kind, count(*), sum(rows_read), sum(rows_loaded), sum(rows_rejected),
                  sum(rows_flagged)
           FROM source_files WHERE status = 'active' GROUP BY 1, 2 ORDER BY 1, 2"""
    ):
        entry = {"source": source, "kind": kind, "files": files, "rows_read": int(read),
                 "rows_loaded": int(loaded), "rows_rejected": int(rejected),
                 "rows_flagged": int(flagged)}
        table = {"street": "crimes", "outcomes": "outcomes", "stop_search": "stop_search"}.get(kind)
        if source == "police_uk" and table:
            entry.update(_month_coverage(
                ws, table, "file_id IN (SELECT file_id FROM source_files "
                f"WHERE source = 'police_uk' AND kind = '{kind}' AND status = 'active')"))
        sources.append(entry)

    geo_rows = {t: ws.scalar(f"SELECT count(*) FROM {t}") for t in
                ("geo_lsoa", "geo_lad", "geo_lsoa_boundary", "geo_population", "geo_deprivation")}
    pack = ws.sql("SELECT max(loaded_at), list(DISTINCT component ORDER BY component) "
                  "FROM geo_packs WHERE loaded_at = (SELECT max(loaded_at) FROM geo_packs)")[0]
    geo_loaded = geo_rows["geo_lsoa"] > 0
    methods = dict(ws.sql("SELECT geo_method, count(*) FROM crimes_geo GROUP BY 1"))
    geography = {
        "loaded": geo_loaded,
        "loaded_at": pack[0].isoformat(timespec="seconds") if pack[0] else None,
        "components": pack[1] or [],
        "rows": geo_rows,
        "crimes_by_method": {k: int(v) for k, v in methods.items()},
        "note": None if geo_loaded else (
            "No geography pack loaded: local authority is taken from the police.uk LSOA name "
            "(no codes, CSP or force); run `vru geo import PATH`."
        ),
    }

    coverage = []
    fy = "CASE WHEN month(month) >= 4 THEN year(month) ELSE year(month) - 1 END"
    per_fy: dict[tuple, dict] = {}
    for src, code, name, year, rows, sv in ws.sql(
        f"""SELECT source, lad_code, coalesce(lad_name, '(no location)'), {fy}, count(*),
                   count(*) FILTER (WHERE serious_violence)
            FROM canonical_crimes GROUP BY ALL"""
    ):
        per_fy.setdefault((src, code, name), {})[f"{year}/{(year + 1) % 100:02d}"] = {
            "crimes": int(rows), "serious_violence": int(sv)}
    for src, code, name, rows, sv, first, last, months in ws.sql(
        """SELECT source, lad_code, coalesce(lad_name, '(no location)'), count(*),
                  count(*) FILTER (WHERE serious_violence),
                  strftime(min(month), '%Y-%m'), strftime(max(month), '%Y-%m'),
                  count(DISTINCT month)
           FROM canonical_crimes GROUP BY ALL ORDER BY 4 DESC"""
    ):
        coverage.append({"source": src, "area_code": code, "area_name": name, "rows": int(rows),
                         "serious_violence": int(sv), "first_month": first, "last_month": last,
                         "months": int(months),
                         "by_financial_year": dict(sorted(per_fy[(src, code, name)].items()))})

    by_reason = [
        {"source": a, "kind": b, "reason": c, "rows": int(d)}
        for a, b, c, d in ws.sql(
            """SELECT source, kind, regexp_replace(reason, ': .*', ''), count(*) FROM rejects
               GROUP BY ALL ORDER BY 4 DESC LIMIT 50"""
        )
    ]
    imports = [
        {"import_id": i, "source": src, "started_at": st.isoformat(timespec="seconds"),
         "files_loaded": fl, "files_skipped": fs, "files_replaced": fr, "rows_read": rr,
         "rows_loaded": rl, "rows_rejected": rj}
        for i, src, st, fl, fs, fr, rr, rl, rj in ws.sql(
            """SELECT import_id, source, started_at, files_loaded, files_skipped, files_replaced,
                      rows_read, rows_loaded, rows_rejected
               FROM imports ORDER BY import_id DESC LIMIT 10"""
        )
    ]
    return {
        "status_version": STATUS_VERSION,
        "workspace": {"path": str(ws.path), "area_name": s.area_name,
                      "schema_version": ws.schema_version,
                      "grid_cell_size_m": s.grid.cell_size_m},
        "sources": sources,
        "coverage": coverage,
        "crime_view": crime_view_status(ws),
        "geography": geography,
        "rejects": {"total": int(ws.scalar("SELECT count(*) FROM rejects")), "by_reason": by_reason},
        "replacements": int(ws.scalar("SELECT count(*) FROM file_replacements")),
        "imports": imports,
    }


def render_status(st: dict, console: Console) -> None:
    w = st["workspace"]
    console.print(f"[bold]{w['area_name']}[/]  {w['path']}  (schema {w['schema_version']}, "
                  f"grid {w['grid_cell_size_m']} m)")
    t = Table(title="Sources", title_justify="left")
    for col in ("source", "kind", "files", "read", "loaded", "rejected", "flagged", "months",
                "first", "last", "missing"):
        t.add_column(col, justify="right" if col not in ("source", "kind") else "left")
    for s in st["sources"]:
        missing = s.get("missing_months") or []
        t.add_row(s["source"], s["kind"], str(s["files"]), f"{s['rows_read']:,}",
                  f"{s['rows_loaded']:,}", f"{s['rows_rejected']:,}", f"{s['rows_flagged']:,}",
                  str(s.get("months", "")), s.get("first_month") or "", s.get("last_month") or "",
                  ", ".join(missing[:6]) + (" ..." if len(missing) > 6 else ""))
    console.print(t if st["sources"] else "No data imported yet: `vru import police PATH`.")
    if st["coverage"]:
        c = Table(title="Crimes by local authority and serving source (canonical view, top 15)",
                  title_justify="left")
        for col in ("area", "code", "source", "rows", "serious violence", "months", "first",
                    "last"):
            c.add_column(col)
        for row in st["coverage"][:15]:
            c.add_row(row["area_name"], row["area_code"] or "", row["source"], f"{row['rows']:,}",
                      f"{row['serious_violence']:,}", str(row["months"]), row["first_month"],
                      row["last_month"])
        console.print(c)
    _render_crime_view(st["crime_view"], console)
    g = st["geography"]
    if g["loaded"]:
        console.print(f"Geography: {g['rows']['geo_lsoa']:,} LSOAs, {g['rows']['geo_lad']} LADs "
                      f"(loaded {g['loaded_at']}). Crimes by method: {g['crimes_by_method']}")
    else:
        console.print(f"[yellow]Geography:[/] {g['note']}")
    r = st["rejects"]
    console.print(f"Rejects: {r['total']:,} rows" + ("" if not r["total"] else " (top reasons:)"))
    for row in r["by_reason"][:8]:
        console.print(f"  {row['rows']:>8,}  {row['source']}/{row['kind']}: {row['reason']}")
    if st["replacements"]:
        console.print(f"Re-issued files replaced: {st['replacements']}")


def _render_crime_view(cv: dict, console: Console) -> None:
    if not cv["forces"]:
        return
    t = Table(title="Canonical crime view: which source serves each force-month "
                    f"(precedence {' > '.join(cv['precedence'])}"
                    + (f", {len(cv['overrides'])} override(s)" if cv["overrides"] else "") + ")",
              title_justify="left")
    for col in ("force", "first", "last", "served by", "gaps", "overlap months",
                "SV police.uk", "SV force extract", "difference"):
        t.add_column(col, justify="left" if col in ("force", "served by", "gaps") else "right")
    for f in cv["forces"]:
        served = ", ".join(f"{k} {v}" for k, v in sorted(f["served_by"].items()))
        gaps = f["missing_months"]
        pct = f" ({f['sv_difference_pct']:+.1f}%)" if f["sv_difference_pct"] is not None else ""
        t.add_row(f["force"], f["first_month"], f["last_month"], served,
                  (", ".join(gaps[:6]) + (" ..." if len(gaps) > 6 else "")) or "none",
                  str(f["overlap_months"]), f"{f['sv_police_uk']:,}", f"{f['sv_police_rms']:,}",
                  f"{f['sv_difference']:+,}{pct}" if f["overlap_months"] else "")
    console.print(t)
    if cv["disagreements"]:
        worst = ", ".join(f"{d['month']} {d['difference']:+,}" for d in cv["disagreements"][:6])
        console.print(f"Serious violence ({', '.join(cv['serious_violence_categories'])}): "
                      f"months where the sources disagree, largest first: {worst}")
