"""Exports: the quarterly Home Office-style monitoring return and the board finance summary.

The exact Home Office template was not found (see the project's facts file, section 3.1); the
return carries the fields an auditor expects: spend by theme and intervention (quarter and
year to date), young people reached by age band, sex and ethnicity (distinct people; counts
below ``programme.return_suppress_below`` suppressed), and interventions delivered (referrals,
starts, completions, exits, reach, sessions, spend). Money is written as exact decimal pounds
from the ledger's pence, so the workbook's totals equal the ledger's to the penny.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from vru.programme import ledger, reconcile, stats
from vru.programme.model import age_band_sql, pounds
from vru.programme.people import person_key_sql
from vru.programme.periods import parse_fy, quarter_bounds
from vru.workspace import Workspace

SHEETS = ("Summary", "Spend by theme and intervention", "Young people reached",
          "Interventions delivered")
GBP_FORMAT = '"£"#,##0.00'
NOT_INTERVENTION = "(not an intervention)"


def spend_rows(ws: Workspace, fy: str, quarter: int) -> list[dict[str, Any]]:
    """Spend by theme and intervention: the quarter and the year to date, in pence."""
    cur = ws.reader()
    rows = cur.execute("""
        SELECT coalesce(i.theme, ?) AS theme, coalesce(i.code, s.category) AS code,
               coalesce(i.name, 'Spend on ' || s.category) AS name, i.yef_strand,
               t.band, i.prevention_level,
               coalesce(sum(s.amount_pence) FILTER (WHERE s.quarter = ?), 0)::BIGINT AS quarter_pence,
               sum(s.amount_pence)::BIGINT AS ytd_pence
        FROM fund_spend s LEFT JOIN prog_interventions i USING (intervention_id)
        LEFT JOIN prog_toolkit t ON t.version = i.toolkit_version AND t.strand = i.yef_strand
        WHERE s.fy = ? AND s.quarter <= ?
        GROUP BY ALL ORDER BY theme, code""", [NOT_INTERVENTION, quarter, fy, quarter]).fetchall()
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in rows]


def reach_rows(ws: Workspace, fy: str, quarter: int) -> tuple[list[dict[str, Any]], int]:
    """Distinct people engaged in the quarter by age band x sex x ethnicity (each person once,
    with the details of their latest referral), and the distinct total."""
    start, end = quarter_bounds(fy, quarter)
    con = ws.reader()
    base = f"""
        WITH p AS (
            SELECT k.person_key, arg_max({age_band_sql('r.age')}, r.referral_date) AS age_band,
                   arg_max(coalesce(r.sex, 'U'), r.referral_date) AS sex,
                   arg_max(coalesce(r.ethnicity, 'UNKNOWN'), r.referral_date) AS ethnicity
            FROM prog_referrals r JOIN ({person_key_sql(con)}) k USING (referral_id)
            WHERE r.engaged_date IS NOT NULL AND r.engaged_date <= ?
              AND (r.ended_date IS NULL OR r.ended_date >= ?)
            GROUP BY k.person_key)"""
    rows = con.execute(base + " SELECT age_band, sex, ethnicity, count(*) FROM p "
                       "GROUP BY ALL ORDER BY ALL", [end, start]).fetchall()
    total = con.execute(base + " SELECT count(*) FROM p", [end, start]).fetchone()[0]
    return ([{"age_band": a, "sex": s, "ethnicity": e, "people": int(n)} for a, s, e, n in rows],
            int(total))


def _suppress(n: int | None, below: int) -> int | str | None:
    if n is None:
        return None
    return f"<{below}" if 0 < n < below else int(n)


def _money_cell(cell, p: int) -> None:
    cell.value = pounds(p)
    cell.number_format = GBP_FORMAT


def _header(ws_, row: list[str]) -> None:
    from openpyxl.styles import Font

    ws_.append(row)
    for c in ws_[ws_.max_row]:
        c.font = Font(bold=True)


def quarterly_return(ws: Workspace, fy: str, quarter: int, path: Path | str) -> dict[str, Any]:
    """Write the quarterly monitoring return (XLSX); returns its totals (pence, people)."""
    from openpyxl import Workbook

    fy = parse_fy(fy)
    start, end = quarter_bounds(fy, quarter)
    below = ws.settings.programme.return_suppress_below
    wb = Workbook()
    summary = wb.active
    summary.title = SHEETS[0]

    # Spend
    sp = wb.create_sheet(SHEETS[1])
    _header(sp, ["Theme", "Intervention code", "Intervention", "YEF Toolkit strand",
                 "YEF impact band", "Prevention level", f"Spend Q{quarter} (£)",
                 "Spend year to date (£)"])
    srows = spend_rows(ws, fy, quarter)
    for r in srows:
        sp.append([r["theme"], r["code"], r["name"], r["yef_strand"], r["band"],
                   r["prevention_level"], None, None])
        _money_cell(sp.cell(sp.max_row, 7), r["quarter_pence"])
        _money_cell(sp.cell(sp.max_row, 8), r["ytd_pence"])
    q_total = sum(r["quarter_pence"] for r in srows)
    ytd_total = sum(r["ytd_pence"] for r in srows)
    sp.append(["Total", None, None, None, None, None, None, None])
    _money_cell(sp.cell(sp.max_row, 7), q_total)
    _money_cell(sp.cell(sp.max_row, 8), ytd_total)

    # Reach
    rp = wb.create_sheet(SHEETS[2])
    _header(rp, ["Age band", "Sex", "Ethnicity", "Young people (distinct)"])
    rrows, people = reach_rows(ws, fy, quarter)
    for r in rrows:
        rp.append([r["age_band"], r["sex"], r["ethnicity"], _suppress(r["people"], below)])
    rp.append(["Total (distinct people)", None, None, _suppress(people, below)])
    uni = stats.reach_universal(ws, ("age_band", "sex", "ethnicity"), fy, quarter)
    rp.append([])
    _header(rp, ["Universal and community activity (as reported, not distinct people)"])
    _header(rp, ["Age band", "Sex", "Ethnicity", "People reached"])
    uni_total = 0
    for r in uni:
        rp.append([r["age_band"], r["sex"], r["ethnicity"], _suppress(int(r["people"]), below)])
        uni_total += int(r["people"])
    rp.append(["Total (universal)", None, None, _suppress(uni_total, below)])
    rp.append([])
    rp.append([f"Counts from 1 to {below - 1} are shown as <{below}."])

    # Delivery
    dv = wb.create_sheet(SHEETS[3])
    _header(dv, ["Intervention code", "Intervention", "Theme", "Provider", "Delivery",
                 "Prevention level", "YEF Toolkit strand", "YEF impact band", "Capacity",
                 "Referrals received", "Starts", "Completions", "Exits before completion",
                 "Young people engaged", "Universal reach", "Sessions attended",
                 f"Spend Q{quarter} (£)"])
    ivs = _interventions_in_quarter(ws, fy, quarter)
    spend_q = {r["code"]: r["quarter_pence"] for r in srows}
    for r in ivs:
        dv.append([r["code"], r["name"], r["theme"], r["provider"], r["delivery"],
                   r["prevention_level"], r["yef_strand"], r["band"], r["capacity"],
                   _suppress(r["referrals"], below), _suppress(r["starts"], below),
                   _suppress(r["completions"], below), _suppress(r["exits"], below),
                   _suppress(r["people"], below), _suppress(r["universal_reach"], below),
                   r["sessions_attended"], None])
        _money_cell(dv.cell(dv.max_row, 17), spend_q.get(r["code"], 0))

    # Summary
    for row in (["Quarterly monitoring return"], ["Area", ws.settings.area_name],
                ["Financial year", fy], ["Quarter", f"Q{quarter} ({start} to {end})"],
                ["Generated", datetime.now().strftime("%Y-%m-%d %H:%M")], [],
                ["Spend in the quarter (£)", None], ["Spend year to date (£)", None],
                ["Young people engaged in the quarter (distinct)", _suppress(people, below)],
                ["Universal and community reach in the quarter", _suppress(uni_total, below)],
                ["Interventions delivered", sum(1 for r in ivs if r["starts"] or r["people"]
                                                or r["universal_reach"])]):
        summary.append(row)
    _money_cell(summary.cell(7, 2), q_total)
    _money_cell(summary.cell(8, 2), ytd_total)
    for sheet in wb.worksheets:
        for col in sheet.columns:
            width = max(len(str(c.value)) if c.value is not None else 0 for c in col)
            sheet.column_dimensions[col[0].column_letter].width = min(max(width + 2, 10), 60)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return {"quarter_pence": q_total, "ytd_pence": ytd_total, "people": people,
            "universal": uni_total, "path": str(path)}


def _interventions_in_quarter(ws: Workspace, fy: str, quarter: int) -> list[dict[str, Any]]:
    start, end = quarter_bounds(fy, quarter)
    con = ws.reader()
    cur = con.execute(f"""
        WITH keys AS ({person_key_sql(con)})
        SELECT i.code, i.name, i.theme, p.name AS provider, i.delivery, i.prevention_level,
               i.yef_strand, t.band, i.capacity,
               (SELECT count(*) FROM prog_referrals r WHERE r.intervention_id = i.intervention_id
                AND r.referral_date BETWEEN $s AND $e) AS referrals,
               (SELECT count(*) FROM prog_referrals r WHERE r.intervention_id = i.intervention_id
                AND r.engaged_date BETWEEN $s AND $e) AS starts,
               (SELECT count(*) FROM prog_referrals r WHERE r.intervention_id = i.intervention_id
                AND r.status = 'completed' AND r.ended_date BETWEEN $s AND $e) AS completions,
               (SELECT count(*) FROM prog_referrals r WHERE r.intervention_id = i.intervention_id
                AND r.status = 'disengaged' AND r.engaged_date IS NOT NULL
                AND r.ended_date BETWEEN $s AND $e) AS exits,
               (SELECT count(DISTINCT k.person_key) FROM prog_referrals r JOIN keys k
                USING (referral_id) WHERE r.intervention_id = i.intervention_id
                AND r.engaged_date <= $e AND (r.ended_date IS NULL OR r.ended_date >= $s))
                   AS people,
               (SELECT coalesce(sum(x.people), 0) FROM prog_reach x
                WHERE x.intervention_id = i.intervention_id AND x.month BETWEEN $s AND $e)
                   AS universal_reach,
               (SELECT count(*) FROM prog_attendance a JOIN prog_referrals r USING (referral_id)
                WHERE r.intervention_id = i.intervention_id AND a.attended
                AND a.session_date BETWEEN $s AND $e) AS sessions_attended
        FROM prog_interventions i JOIN prog_providers p ON p.provider_id = i.provider_id
        JOIN prog_toolkit t ON t.version = i.toolkit_version AND t.strand = i.yef_strand
        ORDER BY i.theme, i.code""", {"s": start, "e": end})
    cols = [d[0] for d in cur.description]
    return [{k: (int(v) if isinstance(v, int | Decimal) and k not in ("capacity",) else v)
             for k, v in zip(cols, r, strict=True)} for r in cur.fetchall()]


BOARD_SHEETS = ("Grants", "Spend by quarter and theme", "Reconciliation")


def board_summary(ws: Workspace, fy: str, path: Path | str) -> dict[str, Any]:
    """The board finance summary (XLSX): every grant's position (received, devolved,
    committed, spent, left), spend by quarter and theme, and the reconciliation findings."""
    from openpyxl import Workbook

    fy = parse_fy(fy)
    wb = Workbook()
    g = wb.active
    g.title = BOARD_SHEETS[0]
    _header(g, ["Grant", "Funder", "Recipient", "Stream", "Received (£)", "Devolved (£)",
                "Committed (£)", "Spent (£)", "Carried forward (£)", "Left (£)"])
    pos = ledger.positions(ws, fy)
    for p in pos:
        g.append([p["reference"], p["funder"], p["recipient"], p["stream"]])
        for j, k in enumerate(("received_pence", "devolved_pence", "committed_pence",
                               "spent_pence", "carried_out_pence", "left_pence"), start=5):
            _money_cell(g.cell(g.max_row, j), p[k])
    q = wb.create_sheet(BOARD_SHEETS[1])
    _header(q, ["Theme", "Q1 (£)", "Q2 (£)", "Q3 (£)", "Q4 (£)", "Year (£)"])
    rows = ws.sql("""
        SELECT coalesce(i.theme, ?), s.quarter, sum(s.amount_pence)::BIGINT
        FROM fund_spend s LEFT JOIN prog_interventions i USING (intervention_id)
        WHERE s.fy = ? GROUP BY ALL""", [NOT_INTERVENTION, fy])
    by_theme: dict[str, list[int]] = {}
    for theme, quarter, p in rows:
        by_theme.setdefault(theme, [0, 0, 0, 0])[quarter - 1] += int(p)
    total = 0
    for theme in sorted(by_theme):
        vals = by_theme[theme]
        q.append([theme])
        for j, v in enumerate([*vals, sum(vals)], start=2):
            _money_cell(q.cell(q.max_row, j), v)
        total += sum(vals)
    q.append(["Total"])
    _money_cell(q.cell(q.max_row, 6), total)
    r = wb.create_sheet(BOARD_SHEETS[2])
    _header(r, ["Rule", "Severity", "Grant", "Amount (£)", "Detail"])
    findings = reconcile.check(ws, fy)
    for f in findings:
        r.append([f.rule, f.severity, f.grant, None, f.detail])
        if f.amount_pence is not None:
            _money_cell(r.cell(r.max_row, 4), f.amount_pence)
    if not findings:
        r.append(["(none)", None, None, None, "every reconciliation rule holds"])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return {"grants": len(pos), "spent_pence": total, "findings": len(findings),
            "path": str(path)}
