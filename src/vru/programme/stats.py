"""Programme figures: reach (distinct people), the referral funnel, waiting times, completion,
delivery counts and cost per young person. Pure queries through the Workspace; the caller
applies disclosure control at the exit (every count here is exact).

Reach counts *people*, not referrals: a young person referred twice, or to two interventions,
is one person (``vru.programme.people.person_key_sql``; linked records count once when record
linkage is present). A person is *reached* in a period when they were engaged at any time in
it (engaged on or before its end and not ended before its start). Universal and community
activity is added from the aggregate reach returns (``prog_reach``), which have no person-level
data and are summed as reported.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from vru.programme.model import age_band_sql
from vru.programme.people import person_key_sql
from vru.programme.periods import fy_bounds, quarter_bounds
from vru.workspace import Workspace

DIMENSIONS = {
    "theme": "i.theme",
    "intervention": "i.code",
    "provider": "p.name",
    "area": "coalesce(r.area, 'unknown')",
    "age_band": age_band_sql("r.age"),
    "sex": "coalesce(r.sex, 'U')",
    "ethnicity": "coalesce(r.ethnicity, 'UNKNOWN')",
}
REACH_DIMS = {"area": "area", "age_band": "age_band", "sex": "sex", "ethnicity": "ethnicity",
              "theme": "i.theme", "intervention": "i.code", "provider": "p.name"}


def period(fy: str | None = None, quarter: int | None = None) -> tuple[date | None, date | None]:
    if fy is None:
        return None, None
    return quarter_bounds(fy, quarter) if quarter else fy_bounds(fy)


def _rows(con, sql: str, params: list) -> list[dict[str, Any]]:
    cur = con.execute(sql, params)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def _engaged_where(start: date | None, end: date | None) -> tuple[str, list]:
    where = "r.engaged_date IS NOT NULL"
    params: list = []
    if end is not None:
        where += " AND r.engaged_date <= ?"
        params.append(end)
    if start is not None:
        where += " AND (r.ended_date IS NULL OR r.ended_date >= ?)"
        params.append(start)
    return where, params


def _reach_where(dims: tuple[str, ...], fy: str | None, quarter: int | None,
                 intervention_id: int | None) -> tuple[str, list]:
    """The WHERE clause (and its parameters) of a reach query; refuses an unknown dimension."""
    for b in dims:
        if b not in DIMENSIONS:
            raise ValueError(f"unknown dimension {b!r}; choose from {', '.join(DIMENSIONS)}")
    where, params = _engaged_where(*period(fy, quarter))
    if intervention_id is not None:
        where += " AND r.intervention_id = ?"
        params.append(intervention_id)
    return where, params


def reach(ws: Workspace, by: tuple[str, ...] = (), fy: str | None = None,
          quarter: int | None = None, intervention_id: int | None = None) -> list[dict[str, Any]]:
    """Distinct people engaged in the period, by the given dimensions (``people``), with the
    number of referrals behind them (``referrals``)."""
    con = ws.reader()
    where, params = _reach_where(by, fy, quarter, intervention_id)
    cols = [f"{DIMENSIONS[b]} AS {b}" for b in by]
    group = f"GROUP BY {', '.join(str(i + 1) for i in range(len(by)))}" if by else ""
    order = f"ORDER BY {', '.join(str(i + 1) for i in range(len(by)))}" if by else ""
    return _rows(con, f"""
        SELECT {', '.join([*cols, ''])} count(DISTINCT k.person_key) AS people,
               count(*) AS referrals
        FROM prog_referrals r JOIN ({person_key_sql(con)}) k USING (referral_id)
        JOIN prog_interventions i USING (intervention_id)
        JOIN prog_providers p ON p.provider_id = i.provider_id
        WHERE {where} {group} {order}""", params)


def reach_sets(ws: Workspace, dims: tuple[str, ...], fy: str | None = None,
               quarter: int | None = None, intervention_id: int | None = None
               ) -> dict[str, list[dict[str, Any]]]:
    """``reach`` by each dimension on its own and in total, in one scan (GROUPING SETS):
    {dim: [{dim: value, people, referrals}], "total": [{people, referrals}]}."""
    con = ws.reader()
    where, params = _reach_where(dims, fy, quarter, intervention_id)
    cols = ", ".join(f"{DIMENSIONS[b]} AS {b}" for b in dims)
    flags = ", ".join(f"GROUPING({b}) AS g_{b}" for b in dims)
    sets = ", ".join([*(f"({b})" for b in dims), "()"])
    rows = _rows(con, f"""
        SELECT {cols}, {flags}, count(DISTINCT k.person_key) AS people, count(*) AS referrals
        FROM prog_referrals r JOIN ({person_key_sql(con)}) k USING (referral_id)
        JOIN prog_interventions i USING (intervention_id)
        JOIN prog_providers p ON p.provider_id = i.provider_id
        WHERE {where} GROUP BY GROUPING SETS ({sets})""", params)
    out: dict[str, list[dict[str, Any]]] = {b: [] for b in dims}
    out["total"] = []
    for r in rows:
        live = [b for b in dims if r[f"g_{b}"] == 0]
        if not live:
            out["total"].append({"people": r["people"], "referrals": r["referrals"]})
        else:
            b = live[0]
            out[b].append({b: r[b], "people": r["people"], "referrals": r["referrals"]})
    for b in dims:
        out[b].sort(key=lambda x: (x[b] is None, str(x[b])))
    if not out["total"]:
        out["total"] = [{"people": 0, "referrals": 0}]
    return out


def reach_universal(ws: Workspace, by: tuple[str, ...] = (), fy: str | None = None,
                    quarter: int | None = None) -> list[dict[str, Any]]:
    """People reached by universal / community activity, as reported in aggregate."""
    con = ws.reader()
    start, end = period(fy, quarter)
    where, params = "TRUE", []
    if start is not None:
        where = "x.month BETWEEN ? AND ?"
        params = [start, end]
    cols = [f"{REACH_DIMS[b]} AS {b}" for b in by]
    keys = ", ".join(str(i + 1) for i in range(len(by)))
    # ordered by the groups, so the return's rows come in the same order every run
    group = f"GROUP BY {keys} ORDER BY {keys}" if by else ""
    return _rows(con, f"""
        SELECT {', '.join([*cols, ''])} coalesce(sum(x.people), 0)::BIGINT AS people
        FROM prog_reach x JOIN prog_interventions i USING (intervention_id)
        JOIN prog_providers p ON p.provider_id = i.provider_id
        WHERE {where} {group}""", params)


STAGES = ("received", "assessed", "accepted", "engaged", "completed")


def funnel(ws: Workspace, fy: str | None = None, intervention_id: int | None = None,
           provider: str | None = None) -> dict[str, Any]:
    """Referrals received in the period and how far they got: counts reaching each stage,
    conversion from the stage before, declined / disengaged, and median days from referral to
    each stage."""
    con = ws.reader()
    where, params = "TRUE", []
    if fy is not None:
        s, e = fy_bounds(fy)
        where += " AND r.referral_date BETWEEN ? AND ?"
        params += [s, e]
    if intervention_id is not None:
        where += " AND r.intervention_id = ?"
        params.append(intervention_id)
    if provider is not None:
        where += (" AND r.intervention_id IN (SELECT intervention_id FROM prog_interventions "
                  "JOIN prog_providers USING (provider_id) WHERE name = ?)")
        params.append(provider)
    row = con.execute(f"""
        WITH ev AS (
            SELECT r.referral_id, r.referral_date,
                   min(e.event_date) FILTER (WHERE e.to_status = 'assessed') AS assessed,
                   min(e.event_date) FILTER (WHERE e.to_status = 'accepted') AS accepted,
                   min(e.event_date) FILTER (WHERE e.to_status = 'engaged') AS engaged,
                   min(e.event_date) FILTER (WHERE e.to_status = 'completed') AS completed,
                   bool_or(e.to_status = 'declined') AS declined,
                   bool_or(e.to_status = 'disengaged') AS disengaged,
                   bool_or(e.to_status = 'disengaged' AND e.from_status = 'engaged')
                       AS dropped_out
            FROM prog_referrals r JOIN prog_referral_events e USING (referral_id)
            WHERE {where} GROUP BY ALL)
        SELECT count(*), count(assessed), count(accepted), count(engaged), count(completed),
               count(*) FILTER (WHERE declined), count(*) FILTER (WHERE disengaged),
               count(*) FILTER (WHERE dropped_out),
               median(assessed - referral_date), median(accepted - referral_date),
               median(engaged - referral_date), median(completed - engaged)
        FROM ev""", params).fetchone()
    counts = dict(zip(STAGES, row[:5], strict=True))
    out: dict[str, Any] = {"stages": []}
    prev = None
    for st in STAGES:
        n = int(counts[st])
        out["stages"].append({"stage": st, "referrals": n,
                              "conversion_pct": None if prev in (None, 0)
                              else round(100.0 * n / prev, 1)})
        prev = n
    out["declined"], out["disengaged"], out["dropped_out"] = (int(x) for x in row[5:8])
    ended = counts["completed"] + out["dropped_out"]
    out["completion_pct"] = round(100.0 * counts["completed"] / ended, 1) if ended else None
    out["median_days"] = {"to_assessed": _days(row[8]), "to_accepted": _days(row[9]),
                          "to_engaged": _days(row[10]), "engaged_to_completed": _days(row[11])}
    return out


def _days(v) -> float | None:
    if v is None:
        return None
    return float(v) if not hasattr(v, "days") else float(v.days)


def interventions(ws: Workspace, fy: str | None = None) -> list[dict[str, Any]]:
    """Per intervention: toolkit band, capacity, referrals, starts, completions, exits, people
    reached, attendance, spend and cost per young person engaged (spend / people engaged)."""
    con = ws.reader()
    start, end = period(fy)
    ref_where, ref_p = "TRUE", []
    eng_where, eng_p = _engaged_where(start, end)
    spend_where, spend_p = "TRUE", []
    if fy is not None:
        ref_where, ref_p = "r.referral_date BETWEEN ? AND ?", [start, end]
        spend_where, spend_p = "fy = ?", [fy]
    in_p = "BETWEEN ? AND ?" if fy else "IS NOT NULL"
    in_params = [start, end] if fy else []
    return _rows(con, f"""
        WITH keys AS ({person_key_sql(con)}),
        refs AS (SELECT intervention_id, count(*) AS referrals FROM prog_referrals r
                 WHERE {ref_where} GROUP BY 1),
        eng AS (SELECT r.intervention_id, count(DISTINCT k.person_key) AS people
                FROM prog_referrals r JOIN keys k USING (referral_id) WHERE {eng_where}
                GROUP BY 1),
        flows AS (SELECT intervention_id,
                         count(*) FILTER (WHERE engaged_date {in_p}) AS starts,
                         count(*) FILTER (WHERE status = 'completed' AND ended_date {in_p})
                             AS completions,
                         count(*) FILTER (WHERE status = 'disengaged' AND engaged_date IS NOT NULL
                                          AND ended_date {in_p}) AS exits
                  FROM prog_referrals GROUP BY 1),
        att AS (SELECT r.intervention_id, count(*) AS sessions,
                       count(*) FILTER (WHERE a.attended) AS attended
                FROM prog_attendance a JOIN prog_referrals r USING (referral_id)
                {'WHERE a.session_date BETWEEN ? AND ?' if fy else ''} GROUP BY 1),
        uni AS (SELECT intervention_id, sum(people) AS universal FROM prog_reach
                {'WHERE month BETWEEN ? AND ?' if fy else ''} GROUP BY 1),
        sp AS (SELECT intervention_id, sum(amount_pence) AS spent FROM fund_spend
               WHERE {spend_where} AND intervention_id IS NOT NULL GROUP BY 1)
        SELECT i.intervention_id, i.code, i.name, i.theme, i.prevention_level, i.yef_strand,
               t.title AS strand_title, t.band, t.impact_pct, i.delivery, p.name AS provider,
               i.capacity, i.cost_per_place_pence, i.start_date, i.end_date,
               coalesce(refs.referrals, 0)::BIGINT AS referrals,
               coalesce(flows.starts, 0)::BIGINT AS starts,
               coalesce(flows.completions, 0)::BIGINT AS completions,
               coalesce(flows.exits, 0)::BIGINT AS exits,
               coalesce(eng.people, 0)::BIGINT AS people,
               coalesce(uni.universal, 0)::BIGINT AS universal_reach,
               coalesce(att.sessions, 0)::BIGINT AS sessions,
               coalesce(att.attended, 0)::BIGINT AS sessions_attended,
               coalesce(sp.spent, 0)::BIGINT AS spent_pence,
               CASE WHEN coalesce(eng.people, 0) + coalesce(uni.universal, 0) > 0
                    THEN (coalesce(sp.spent, 0) / (coalesce(eng.people, 0)
                          + coalesce(uni.universal, 0)))::BIGINT END AS cost_per_person_pence
        FROM prog_interventions i JOIN prog_providers p ON p.provider_id = i.provider_id
        JOIN prog_toolkit t ON t.version = i.toolkit_version AND t.strand = i.yef_strand
        LEFT JOIN refs USING (intervention_id) LEFT JOIN eng USING (intervention_id)
        LEFT JOIN flows USING (intervention_id) LEFT JOIN att USING (intervention_id)
        LEFT JOIN uni USING (intervention_id) LEFT JOIN sp USING (intervention_id)
        ORDER BY i.theme, i.code""",
        [*ref_p, *eng_p, *in_params, *in_params, *in_params, *in_params, *in_params,
         *spend_p])
