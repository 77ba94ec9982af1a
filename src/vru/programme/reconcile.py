"""Reconciliation: the ledger's rules checked over everything stored, and reported.

The ledger refuses entries that break a rule when they are recorded; this report checks the
stored ledger as a whole (money loaded by imports, older entries, edits made outside vru), so
that a finance officer sees every break, with the grant and the amount. Each finding has a
``rule`` (documented in docs/guide/funding.md) and a ``severity``: ``error`` (money is
misstated: must be fixed), ``flag`` (allowed but must be visible: flagged over-allocation) or
``warning`` (a condition or planning concern).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from vru.programme.ledger import POSITIONS_SQL
from vru.programme.model import gbp
from vru.programme.toolkit import WARN_BANDS
from vru.workspace import Workspace

RULES = {
    "devolved_over_received": "error",
    "devolution_broken": "error",
    "spend_over_allocation": "error",
    "spend_over_allocation_flagged": "flag",
    "spend_untraced": "error",
    "spend_outside_year": "error",
    "carry_over_not_allowed": "error",
    "commitment_over_allocation": "warning",
    "condition_match": "warning",
    "condition_evaluation": "warning",
    "condition_testing": "warning",
    "spend_on_weak_evidence": "warning",
}


@dataclass
class Finding:
    rule: str
    severity: str
    grant: str | None
    amount_pence: int | None
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _f(rule: str, grant: str | None, amount: int | None, detail: str) -> Finding:
    return Finding(rule, RULES[rule], grant, None if amount is None else int(amount), detail)


def check(ws: Workspace, fy: str | None = None) -> list[Finding]:
    con = ws.reader()
    out: list[Finding] = []
    fy_where = " WHERE fy = ?" if fy else ""
    fy_p = [fy] if fy else []
    pos = con.execute(f"SELECT * FROM ({POSITIONS_SQL}) {fy_where}", fy_p).fetchall()
    cols = [d[0] for d in con.description]
    positions = [dict(zip(cols, r, strict=True)) for r in pos]
    for p in positions:
        ref = p["reference"]
        if p["devolved_pence"] + p["carried_out_pence"] > p["received_pence"]:
            excess = p["devolved_pence"] + p["carried_out_pence"] - p["received_pence"]
            out.append(_f("devolved_over_received", ref, excess,
                          f"{ref} passed on {gbp(p['devolved_pence'] + p['carried_out_pence'])} "
                          f"but received {gbp(p['received_pence'])}"))
        if p["left_pence"] < 0:
            over = -p["left_pence"]
            flagged = p["flagged_spend_pence"]
            rule = "spend_over_allocation_flagged" if flagged > 0 else "spend_over_allocation"
            out.append(_f(rule, ref, over,
                          f"{ref} spent {gbp(p['spent_pence'])}, {gbp(over)} more than it had "
                          + ("(flagged with a reason)" if flagged else "(no flag or reason)")))
        available = p["received_pence"] - p["devolved_pence"] - p["carried_out_pence"]
        if p["committed_pence"] > max(available, 0):
            out.append(_f("commitment_over_allocation", ref,
                          p["committed_pence"] - max(available, 0),
                          f"{ref} has {gbp(p['committed_pence'])} committed against "
                          f"{gbp(available)} available"))
    # Devolution: the child's funder is the parent's recipient, same year, parent exists.
    for ref, parent, why in con.execute(f"""
            SELECT c.reference, c.parent_grant_id,
                   CASE WHEN p.grant_id IS NULL THEN 'its parent grant does not exist'
                        WHEN c.funder_id <> p.recipient_id THEN 'its funder is not the parent''s recipient'
                        ELSE 'its financial year differs from the parent''s' END
            FROM fund_grants c LEFT JOIN fund_grants p ON p.grant_id = c.parent_grant_id
            WHERE c.parent_grant_id IS NOT NULL
              AND (p.grant_id IS NULL OR c.funder_id <> p.recipient_id OR c.fy <> p.fy)
              {'AND c.fy = ?' if fy else ''}""", fy_p).fetchall():
        out.append(_f("devolution_broken", ref, None, f"{ref}: {why} (parent id {parent})"))
    # Every pound of spend traces to a grant.
    for sid, gid, amount in con.execute(f"""
            SELECT s.spend_id, s.grant_id, s.amount_pence FROM fund_spend s
            LEFT JOIN fund_grants g USING (grant_id) WHERE g.grant_id IS NULL
            {'AND s.fy = ?' if fy else ''}""", fy_p).fetchall():
        out.append(_f("spend_untraced", None, amount,
                      f"spend {sid} names grant id {gid}, which does not exist"))
    for sid, ref, sfy, gfy, amount in con.execute(f"""
            SELECT s.spend_id, g.reference, s.fy, g.fy, s.amount_pence FROM fund_spend s
            JOIN fund_grants g USING (grant_id) WHERE s.fy <> g.fy
            {'AND s.fy = ?' if fy else ''}""", fy_p).fetchall():
        out.append(_f("spend_outside_year", ref, amount,
                      f"spend {sid} is in {sfy} but {ref} is for {gfy}"))
    for ref, amount in con.execute(f"""
            SELECT g.reference, cf.amount_pence FROM fund_carry_forward cf
            JOIN fund_grants g USING (grant_id) WHERE NOT g.carry_over_allowed
            {'AND g.fy = ?' if fy else ''}""", fy_p).fetchall():
        out.append(_f("carry_over_not_allowed", ref, amount,
                      f"{gbp(amount)} carried forward from {ref}, which does not allow it"))
    out += _conditions(con, fy)
    bands = ", ".join(f"'{b}'" for b in WARN_BANDS)
    for code, band, amount in con.execute(f"""
            SELECT i.code, t.band, sum(s.amount_pence) FROM fund_spend s
            JOIN prog_interventions i USING (intervention_id)
            JOIN prog_toolkit t ON t.version = i.toolkit_version AND t.strand = i.yef_strand
            WHERE t.band IN ({bands}) {'AND s.fy = ?' if fy else ''} GROUP BY ALL""",
                                          fy_p).fetchall():
        out.append(_f("spend_on_weak_evidence", None, amount,
                      f"{gbp(amount)} spent on {code}, whose YEF Toolkit strand is "
                      f"{band.replace('_', ' ').lower()}"))
    return out


def _conditions(con, fy: str | None) -> list[Finding]:
    """Grant conditions over the grant and everything devolved from it."""
    out: list[Finding] = []
    rows = con.execute(f"""
        WITH RECURSIVE tree(root, grant_id) AS (
            SELECT grant_id, grant_id FROM fund_grants
            UNION ALL
            SELECT t.root, g.grant_id FROM fund_grants g JOIN tree t ON g.parent_grant_id = t.grant_id
        )
        SELECT g.reference, g.amount_pence, g.match_pence, g.conditions,
               coalesce(sum(s.amount_pence), 0)::BIGINT,
               coalesce(sum(s.amount_pence) FILTER (WHERE s.category = 'evaluation'), 0)::BIGINT,
               coalesce(sum(s.amount_pence) FILTER (WHERE s.category = 'testing'), 0)::BIGINT
        FROM fund_grants g JOIN tree t ON t.root = g.grant_id
        LEFT JOIN fund_spend s ON s.grant_id = t.grant_id
        WHERE json_array_length(g.conditions) > 0 {'AND g.fy = ?' if fy else ''}
        GROUP BY ALL""", [fy] if fy else []).fetchall()
    for ref, amount, match, conds, spent, evaluation, testing in rows:
        for c in json.loads(conds):
            kind, want = c["kind"], float(c["value"])
            if kind == "match_pct":
                have = 100.0 * match / amount if amount else 0.0
                if have + 1e-9 < want:
                    out.append(_f("condition_match", ref, None,
                                  f"{ref}: match funding is {have:.1f}% of the grant; the "
                                  f"condition is {want:g}%"))
            elif kind in ("evaluation_min_pct", "testing_pct"):
                part = evaluation if kind == "evaluation_min_pct" else testing
                label = "evaluation" if kind == "evaluation_min_pct" else "testing"
                have = 100.0 * part / spent if spent else 0.0
                if spent and have + 1e-9 < want:
                    out.append(_f(f"condition_{label}", ref, None,
                                  f"{ref}: {label} is {have:.1f}% of spend so far "
                                  f"({gbp(part)} of {gbp(spent)}); the condition is {want:g}%"))
    return out


def conservation(ws: Workspace, fy: str | None = None) -> dict[str, int]:
    """Where the money at the top of each tree went: root grants' receipts (not carried-in)
    = spent + left anywhere in the trees + carried out of them - carried into them."""
    con = ws.reader()
    where = " WHERE fy = ?" if fy else ""
    row = con.execute(f"""
        SELECT sum(received_pence) FILTER (WHERE parent_grant_id IS NULL AND grant_id NOT IN
                   (SELECT to_grant_id FROM fund_carry_forward))::BIGINT,
               sum(received_pence) FILTER (WHERE grant_id IN
                   (SELECT to_grant_id FROM fund_carry_forward))::BIGINT,
               sum(spent_pence)::BIGINT, sum(left_pence)::BIGINT, sum(carried_out_pence)::BIGINT
        FROM ({POSITIONS_SQL}) {where}""", [fy] if fy else []).fetchone()
    keys = ("received_from_funders_pence", "carried_in_pence", "spent_pence", "left_pence",
            "carried_out_pence")
    return {k: int(v or 0) for k, v in zip(keys, row, strict=True)}
