"""View models for the programme and funding pages: numbers from ``vru.programme`` with
disclosure control applied at the exit (every count of people or referrals a non-privileged
user sees goes through ``Exit.count``; rates and costs derived from counts are computed from the
*published* values and withheld when one is suppressed). Money is not a count of people and is
shown exactly."""

from __future__ import annotations

import time
from typing import Any

from vru.programme import ledger, outcomes, reconcile, stats, toolkit
from vru.programme.model import gbp
from vru.programme.periods import fy_of, parse_fy
from vru.web.exit import Exit
from vru.workspace import Workspace

_VERSION: dict[int, tuple[float, tuple]] = {}
CHECK_S = 2.0


def bump(ws: Workspace) -> None:
    """Forget the cached data version (call after a write through this process)."""
    _VERSION.pop(id(ws), None)


def data_version(ws: Workspace) -> tuple:
    """Changes whenever programme or ledger data change (keys the page caches). Re-read at
    most every CHECK_S seconds (imports by other means show within that time); writes through
    the web forms call ``bump`` and show at once."""
    now = time.monotonic()
    hit = _VERSION.get(id(ws))
    if hit is not None and now - hit[0] < CHECK_S:
        return hit[1]
    v = _read_version(ws)
    _VERSION[id(ws)] = (now, v)
    return v


_TABLES = ("prog_referrals", "prog_attendance", "prog_reach", "prog_interventions",
           "prog_referral_events", "fund_spend", "fund_grants", "fund_commitments",
           "fund_carry_forward")


def _read_version(ws: Workspace) -> tuple:
    # Row counts from DuckDB's catalogue (no scan) catch inserts and deletes; the latest
    # referral update catches status moves; the latest import catches re-imports.
    names = ", ".join(f"'{t}'" for t in _TABLES)
    sizes, updated, imported = ws.sql(
        f"SELECT (SELECT list(estimated_size ORDER BY table_name) FROM duckdb_tables() "
        f"WHERE table_name IN ({names})), (SELECT max(updated_at) FROM prog_referrals), "
        "(SELECT max(import_id) FROM imports)")[0]
    return (tuple(sizes or ()), updated, imported)


def years(ws: Workspace) -> list[str]:
    rows = ws.sql("SELECT DISTINCT fy FROM fund_grants UNION SELECT DISTINCT fy FROM fund_spend "
                  "ORDER BY 1 DESC")
    found = [r[0] for r in rows]
    ref = ws.scalar("SELECT max(referral_date) FROM prog_referrals")
    if ref is not None and fy_of(ref) not in found:
        found.insert(0, fy_of(ref))
    return sorted(set(found), reverse=True)


def choose_fy(ws: Workspace, fy: str | None) -> str | None:
    if fy:
        return parse_fy(fy)
    ys = years(ws)
    return ys[0] if ys else None


def _pct(ex: Exit, num: Any, den: Any) -> float | None:
    n, d = Exit.numeric(num), Exit.numeric(den)
    if n is None or d is None or d == 0:
        return None
    return round(100.0 * n / d, 1)


def _per_person(ex: Exit, pence: int, people: Any) -> str:
    p = Exit.numeric(people)
    return gbp(int(pence // p)) if p else ""


def overview(ws: Workspace, ex: Exit, fy: str | None) -> dict[str, Any]:
    c = ex.count
    sets = stats.reach_sets(ws, ("theme", "area", "age_band", "sex"), fy)
    reach_by = {dim: [{"value": r[dim], "people": c(r["people"])} for r in sets[dim]]
                for dim in ("theme", "area", "age_band", "sex")}
    total = sets["total"][0]
    universal = stats.reach_universal(ws, (), fy)[0]["people"]
    f = stats.funnel(ws, fy)
    stages, prev = [], None
    for s in f["stages"]:
        shown = c(s["referrals"])
        stages.append({"stage": s["stage"], "referrals": shown,
                       "conversion_pct": _pct(ex, shown, prev) if prev is not None else None})
        prev = shown
    completed = next(s for s in stages if s["stage"] == "completed")["referrals"]
    dropped = c(f["dropped_out"])
    ended = (Exit.numeric(completed) or 0) + (Exit.numeric(dropped) or 0) \
        if Exit.numeric(completed) is not None and Exit.numeric(dropped) is not None else None
    ivs = []
    rows = stats.interventions(ws, fy)
    for r in rows:
        people = c(r["people"])
        ivs.append({**_iv_common(r), "referrals": c(r["referrals"]), "starts": c(r["starts"]),
                    "completions": c(r["completions"]), "exits": c(r["exits"]),
                    "people": people, "universal": c(r["universal_reach"]),
                    "completion_pct": _pct(ex, c(r["completions"]),
                                           _sum(c(r["completions"]), c(r["exits"]))),
                    "spent": gbp(r["spent_pence"]),
                    "per_person": _per_person(ex, r["spent_pence"],
                                              _sum(people, c(r["universal_reach"])))})
    spent = sum(r["spent_pence"] for r in rows)
    people_total = c(total["people"])
    return {
        "fy": fy, "people": people_total, "referrals_engaged": c(total["referrals"]),
        "universal": c(universal), "reach_by": reach_by, "funnel": stages,
        "declined": c(f["declined"]), "dropped_out": dropped,
        "completion_pct": _pct(ex, completed, ended),
        "median_days": f["median_days"] if ex.exact or (Exit.numeric(stages[3]["referrals"])
                                                       or 0) > 0 else {},
        "interventions": ivs, "spent": gbp(spent),
        "per_person": _per_person(ex, spent, _sum(people_total, c(universal))),
    }


def _sum(a: Any, b: Any) -> float | None:
    x, y = Exit.numeric(a), Exit.numeric(b)
    return None if x is None or y is None else x + y


def _iv_common(r: dict[str, Any]) -> dict[str, Any]:
    return {k: r[k] for k in ("code", "name", "theme", "prevention_level", "yef_strand",
                              "strand_title", "band", "impact_pct", "delivery", "provider",
                              "capacity")} | {
        "band_text": toolkit.BAND_TEXT.get(r["band"], r["band"]),
        "weak": r["band"] in toolkit.WARN_BANDS,
        "cost_per_place": gbp(r["cost_per_place_pence"]),
    }


def intervention(ws: Workspace, ex: Exit, code: str, fy: str | None) -> dict[str, Any] | None:
    rows = [r for r in stats.interventions(ws, fy) if r["code"] == code]
    if not rows:
        return None
    r = rows[0]
    c = ex.count
    iid = r["intervention_id"]
    people = c(r["people"])
    f = stats.funnel(ws, fy, iid)
    sets = stats.reach_sets(ws, ("age_band", "sex", "ethnicity", "area"), fy,
                            intervention_id=iid)
    out = [{**o, "participants": c(o["participants"]), "events": c(o["events"])}
           for o in outcomes.before_after(ws, iid)]
    for o in out:
        o["per_100"] = _pct(ex, o["events"], o["participants"])
    return {**_iv_common(r), "fy": fy, "referrals": c(r["referrals"]), "starts": c(r["starts"]),
            "completions": c(r["completions"]), "exits": c(r["exits"]), "people": people,
            "universal": c(r["universal_reach"]), "sessions": c(r["sessions"]),
            "attended": c(r["sessions_attended"]),
            "attendance_pct": _pct(ex, c(r["sessions_attended"]), c(r["sessions"])),
            "spent": gbp(r["spent_pence"]),
            "per_person": _per_person(ex, r["spent_pence"], _sum(people, c(r["universal_reach"]))),
            "funnel": [{"stage": s["stage"], "referrals": c(s["referrals"])} for s in f["stages"]],
            "reach_by": {dim: [{"value": x[dim], "people": c(x["people"])}
                               for x in sets[dim]]
                         for dim in ("age_band", "sex", "ethnicity", "area")},
            "outcomes": out}


def funding(ws: Workspace, fy: str | None) -> dict[str, Any]:
    """Allocated vs committed vs spent by quarter, theme, local authority and provider."""
    if fy is None:
        return {"fy": None, "grants": [], "by_quarter": [], "by_theme": [], "by_la": [],
                "by_provider": [], "findings": []}
    pos = ledger.positions(ws, fy)
    con = ws.reader()
    tree = con.execute("""
        WITH RECURSIVE tree(root, grant_id) AS (
            SELECT grant_id, grant_id FROM fund_grants WHERE fy = $fy
            UNION ALL
            SELECT t.root, g.grant_id FROM fund_grants g JOIN tree t
                ON g.parent_grant_id = t.grant_id)
        SELECT b.kind, b.name, sum(g.amount_pence)::BIGINT,
               (SELECT coalesce(sum(c.amount_pence), 0) FROM fund_commitments c
                WHERE c.grant_id IN (SELECT grant_id FROM tree t2 WHERE t2.root IN
                     (SELECT grant_id FROM fund_grants g3 WHERE g3.recipient_id = b.body_id
                      AND g3.fy = $fy)))::BIGINT,
               (SELECT coalesce(sum(s.amount_pence), 0) FROM fund_spend s
                WHERE s.grant_id IN (SELECT grant_id FROM tree t2 WHERE t2.root IN
                     (SELECT grant_id FROM fund_grants g3 WHERE g3.recipient_id = b.body_id
                      AND g3.fy = $fy)))::BIGINT
        FROM fund_grants g JOIN fund_bodies b ON b.body_id = g.recipient_id
        WHERE g.fy = $fy AND b.kind IN ('local_authority', 'provider')
        GROUP BY b.kind, b.name, b.body_id ORDER BY b.kind, b.name""", {"fy": fy}).fetchall()
    by_body: dict[str, list[dict[str, Any]]] = {"local_authority": [], "provider": []}
    for kind, name, alloc, committed, spent in tree:
        by_body[kind].append(_acs(name, alloc, committed, spent))
    theme = con.execute("""
        SELECT i.theme,
               sum(i.capacity * i.cost_per_place_pence)::BIGINT AS planned,
               (SELECT coalesce(sum(c.amount_pence), 0) FROM fund_commitments c JOIN
                prog_interventions j USING (intervention_id) JOIN fund_grants g USING (grant_id)
                WHERE j.theme = i.theme AND g.fy = $fy)::BIGINT,
               (SELECT coalesce(sum(s.amount_pence), 0) FROM fund_spend s JOIN prog_interventions j
                USING (intervention_id) WHERE j.theme = i.theme AND s.fy = $fy)::BIGINT
        FROM prog_interventions i GROUP BY i.theme ORDER BY i.theme""", {"fy": fy}).fetchall()
    roots = sum(p["received_pence"] for p in pos if p["parent_grant_id"] is None)
    quarters = []
    cum = 0
    for q in (1, 2, 3, 4):
        spent = con.execute("SELECT coalesce(sum(amount_pence), 0)::BIGINT FROM fund_spend "
                            "WHERE fy = ? AND quarter = ?", [fy, q]).fetchone()[0]
        committed = con.execute(
            "SELECT coalesce(sum(c.amount_pence), 0)::BIGINT FROM fund_commitments c JOIN "
            "fund_grants g USING (grant_id) WHERE g.fy = ? AND ((month(c.committed_on) + 8) % 12)"
            " // 3 + 1 = ?", [fy, q]).fetchone()[0]
        cum += spent
        quarters.append({"quarter": f"Q{q}", "committed": gbp(committed), "spent": gbp(spent),
                         "spent_to_date": gbp(cum),
                         "pct_of_allocation": round(100.0 * cum / roots, 1) if roots else None})
    findings = [f.as_dict() for f in reconcile.check(ws, fy)]
    for f in findings:
        f["amount"] = gbp(f["amount_pence"]) if f["amount_pence"] is not None else ""
    return {
        "fy": fy, "allocated": gbp(roots),
        "grants": [{"reference": p["reference"], "funder": p["funder"],
                    "recipient": p["recipient"], "stream": p["stream"],
                    **{k.replace("_pence", ""): gbp(p[k]) for k in (
                        "received_pence", "devolved_pence", "committed_pence", "spent_pence",
                        "carried_out_pence", "left_pence")},
                    "over": p["left_pence"] < 0} for p in pos],
        "by_quarter": quarters,
        "by_theme": [_acs(t, planned or 0, c, s) for t, planned, c, s in theme],
        "by_la": by_body["local_authority"], "by_provider": by_body["provider"],
        "findings": findings,
    }


def _acs(name: str, allocated: int, committed: int, spent: int) -> dict[str, Any]:
    return {"name": name, "allocated": gbp(allocated), "committed": gbp(committed),
            "spent": gbp(spent),
            "spent_pct": round(100.0 * spent / allocated, 1) if allocated else None}
