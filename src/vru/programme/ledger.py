"""The funding ledger: funders, grants devolved down a tree, commitments, spend, carry-forward.

A grant is money from a funder to a recipient for one financial year. Money passed on is a
child grant whose funder is the parent's recipient (Home Office -> PCC -> local authority ->
provider). The rules are enforced when money is recorded, and ``vru.programme.reconcile``
reports them over whatever is stored (imports included):

- nothing devolved exceeds what was received: the children of a grant never add up to more
  than the grant (plus anything carried into it);
- spend never exceeds what a grant has left (received - devolved - carried out) unless it is
  flagged with a reason;
- every pound of spend traces to a grant (spend names its grant; grants chain to a root);
- spend falls in the grant's financial year; underspend moves to the next year only by a
  carry-forward, and only where the grant allows it.

All amounts are whole pence (int).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from vru.programme.model import ProgrammeError, gbp, in_transaction, pence
from vru.programme.periods import next_fy, parse_fy
from vru.workspace import Workspace

BODY_KINDS = ("home_office", "pcc", "local_authority", "provider", "yef", "other")
STREAMS = ("vru_core", "svd", "grip", "hotspot", "yef", "other")
CONDITION_KINDS = ("match_pct", "evaluation_min_pct", "testing_pct")
SPEND_CATEGORIES = ("delivery", "evaluation", "testing", "coordination")


class LedgerError(ProgrammeError):
    """A ledger entry refused by a reconciliation rule."""


Money = Decimal | int | str



def body_id(con, name: str, kind: str | None = None) -> int:
    """The body's id; created when ``kind`` is given and it does not exist."""
    name = (name or "").strip()
    row = con.execute("SELECT body_id FROM fund_bodies WHERE name = ?", [name]).fetchone()
    if row:
        return int(row[0])
    if kind is None:
        raise LedgerError(f"unknown funder or recipient {name!r} (add it first)")
    if not name:
        raise LedgerError("a funder or recipient needs a name")
    if kind not in BODY_KINDS:
        raise LedgerError(f"kind must be one of {', '.join(BODY_KINDS)}")
    bid = int(con.execute("SELECT nextval('fund_body_seq')").fetchone()[0])
    con.execute("INSERT INTO fund_bodies VALUES (?, ?, ?, ?)", [bid, name, kind, datetime.now()])
    return bid


def add_body(ws: Workspace, name: str, kind: str) -> int:
    with ws.transaction() as con:
        return body_id(con, name, kind)


@dataclass
class Grant:
    reference: str
    funder: str
    recipient: str
    stream: str
    fy: str
    amount: Money                          # pounds
    parent: str | None = None              # parent grant's reference (devolved money)
    match: Money = 0                       # match funding the recipient adds (pounds)
    conditions: list[dict[str, Any]] = field(default_factory=list)
    carry_over_allowed: bool = False
    agreement_signed: date | None = None


def _grant_row(con, reference: str) -> dict[str, Any]:
    row = con.execute("SELECT grant_id, parent_grant_id, funder_id, recipient_id, stream, fy, "
                      "amount_pence, carry_over_allowed FROM fund_grants WHERE reference = ?",
                      [reference]).fetchone()
    if row is None:
        raise LedgerError(f"no grant with reference {reference!r}")
    return dict(zip(("grant_id", "parent_grant_id", "funder_id", "recipient_id", "stream", "fy",
                     "amount_pence", "carry_over_allowed"), row, strict=True))


def _position(con, grant_id: int) -> dict[str, int]:
    """received (amount + carried in), devolved, spent, committed, carried out, left."""
    # One grant's figures by direct lookups (the all-grants POSITIONS_SQL aggregates everything).
    r = con.execute("""
        SELECT (SELECT amount_pence FROM fund_grants WHERE grant_id = $g),
               (SELECT coalesce(sum(amount_pence), 0) FROM fund_grants
                WHERE parent_grant_id = $g)::BIGINT,
               (SELECT coalesce(sum(amount_pence), 0) FROM fund_commitments
                WHERE grant_id = $g)::BIGINT,
               (SELECT coalesce(sum(amount_pence), 0) FROM fund_spend WHERE grant_id = $g)::BIGINT,
               (SELECT coalesce(sum(amount_pence), 0) FROM fund_carry_forward
                WHERE grant_id = $g)::BIGINT""", {"g": grant_id}).fetchone()
    received, devolved, committed, spent, carried = (int(x) for x in r)
    return {"received_pence": received, "devolved_pence": devolved,
            "committed_pence": committed, "spent_pence": spent, "carried_out_pence": carried,
            "left_pence": received - devolved - carried - spent}


def add_grant(ws: Workspace, g: Grant, actor: str | None = None, con=None) -> int:
    return in_transaction(ws, con, lambda c: _add_grant(c, g, actor or ws.user_name()))


def _check_conditions(conditions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for cond in conditions:
        kind, value = cond.get("kind"), cond.get("value")
        if kind not in CONDITION_KINDS:
            raise LedgerError(f"condition kind must be one of {', '.join(CONDITION_KINDS)}, "
                              f"not {kind!r}")
        try:
            v = float(value)  # a percentage, not money
        except (TypeError, ValueError):
            raise LedgerError(f"condition {kind}: value must be a percentage") from None
        if not 0 <= v <= 100:
            raise LedgerError(f"condition {kind}: {v} is not a percentage (0-100)")
        out.append({"kind": kind, "value": v})
    return out


def _add_grant(con, g: Grant, actor: str) -> int:
    fy = parse_fy(g.fy)
    amount, match = pence(g.amount), pence(g.match)
    if amount <= 0:
        raise LedgerError(f"grant {g.reference}: amount must be positive")
    if match < 0:
        raise LedgerError(f"grant {g.reference}: match funding cannot be negative")
    if g.stream not in STREAMS:
        raise LedgerError(f"grant {g.reference}: stream must be one of {', '.join(STREAMS)}")
    if con.execute("SELECT 1 FROM fund_grants WHERE reference = ?", [g.reference]).fetchone():
        raise LedgerError(f"a grant with reference {g.reference!r} already exists")
    conditions = _check_conditions(g.conditions)
    funder = body_id(con, g.funder)
    recipient = body_id(con, g.recipient)
    if funder == recipient:
        raise LedgerError(f"grant {g.reference}: funder and recipient are the same body")
    parent_id = None
    if g.parent:
        parent = _grant_row(con, g.parent)
        parent_id = parent["grant_id"]
        if parent["recipient_id"] != funder:
            raise LedgerError(f"grant {g.reference}: devolved money must come from the parent "
                              f"grant's recipient (the funder of {g.parent})")
        if parent["fy"] != fy:
            raise LedgerError(f"grant {g.reference}: financial year {fy} differs from its parent "
                              f"{g.parent} ({parent['fy']})")
        pos = _position(con, parent_id)
        room = pos["received_pence"] - pos["devolved_pence"] - pos["carried_out_pence"]
        if amount > room:
            raise LedgerError(
                f"grant {g.reference}: devolving {gbp(amount)} would exceed what {g.parent} "
                f"received ({gbp(pos['received_pence'])}, of which {gbp(pos['devolved_pence'])} "
                f"is already devolved); nothing devolved may exceed what was received")
    gid = int(con.execute("SELECT nextval('fund_grant_seq')").fetchone()[0])
    con.execute("INSERT INTO fund_grants VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [gid, parent_id, g.reference, funder, recipient, g.stream, fy, amount, match,
                 bool(g.carry_over_allowed), json.dumps(conditions), g.agreement_signed,
                 datetime.now(), actor])
    return gid


def commit(ws: Workspace, grant: str, amount: Money, committed_on: date,
           intervention_code: str | None = None, description: str | None = None,
           actor: str | None = None) -> int:
    """Record a commitment (money promised, e.g. a signed contract) against a grant."""
    p = pence(amount)
    if p <= 0:
        raise LedgerError("a commitment must be positive")
    with ws.transaction() as con:
        g = _grant_row(con, grant)
        iv = _intervention(con, intervention_code)
        pos = _position(con, g["grant_id"])
        available = pos["received_pence"] - pos["devolved_pence"] - pos["carried_out_pence"]
        if pos["committed_pence"] + p > available:
            raise LedgerError(
                f"committing {gbp(p)} to {grant} would exceed what it has left to commit "
                f"({gbp(available - pos['committed_pence'])})")
        cid = int(con.execute("SELECT nextval('fund_commitment_seq')").fetchone()[0])
        con.execute("INSERT INTO fund_commitments VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [cid, g["grant_id"], iv, p, committed_on, description, datetime.now(),
                     actor or ws.user_name()])
    return cid


def _intervention(con, code: str | None) -> int | None:
    if not code:
        return None
    row = con.execute("SELECT intervention_id FROM prog_interventions WHERE code = ?",
                      [code]).fetchone()
    if row is None:
        raise LedgerError(f"no intervention with code {code!r}")
    return int(row[0])


@dataclass
class Spend:
    grant: str
    fy: str
    quarter: int
    amount: Money
    intervention: str | None = None        # intervention code
    category: str = "delivery"
    over_allocation_reason: str | None = None
    description: str | None = None


def record_spend(ws: Workspace, s: Spend, actor: str | None = None, con=None) -> int:
    return in_transaction(ws, con, lambda c: _record_spend(c, s, actor or ws.user_name()))


def _record_spend(con, s: Spend, actor: str) -> int:
    p = pence(s.amount)
    fy = parse_fy(s.fy)
    if s.quarter not in (1, 2, 3, 4):
        raise LedgerError("quarter must be 1, 2, 3 or 4")
    if s.category not in SPEND_CATEGORIES:
        raise LedgerError(f"category must be one of {', '.join(SPEND_CATEGORIES)}")
    if p == 0:
        raise LedgerError("spend of zero is not recorded")
    g = _grant_row(con, s.grant)
    if fy != g["fy"]:
        raise LedgerError(
            f"spend in {fy} cannot be charged to {s.grant} (financial year {g['fy']}): money "
            "cannot be spent after 31 March of its year; carry the underspend forward "
            "(where the grant allows) and charge the new grant")
    iv = _intervention(con, s.intervention)
    if s.category == "delivery" and iv is None:
        raise LedgerError("delivery spend must name its intervention")
    pos = _position(con, g["grant_id"])
    reason = (s.over_allocation_reason or "").strip() or None
    if p > pos["left_pence"] and reason is None:
        raise LedgerError(
            f"spend of {gbp(p)} would take {s.grant} over its allocation (left: "
            f"{gbp(pos['left_pence'])}); give a reason to record it as flagged over-allocation")
    sid = int(con.execute("SELECT nextval('fund_spend_seq')").fetchone()[0])
    con.execute("INSERT INTO fund_spend VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, "
                "NULL)", [sid, g["grant_id"], iv, s.category, fy, s.quarter, p, reason,
                          s.description, datetime.now(), actor])
    return sid


def carry_forward(ws: Workspace, grant: str, amount: Money, reason: str, approved_by: str,
                  reference: str | None = None) -> int:
    """Move underspend of ``grant`` into a new grant for the next financial year (same funder,
    recipient and stream). Refused unless the grant allows carry-over."""
    p = pence(amount)
    if p <= 0:
        raise LedgerError("carry-forward must be positive")
    if not reason or not reason.strip() or not approved_by or not approved_by.strip():
        raise LedgerError("carry-forward needs a reason and who approved it")
    with ws.transaction() as con:
        g = _grant_row(con, grant)
        if not g["carry_over_allowed"]:
            raise LedgerError(f"{grant} does not allow carry-over: underspend cannot move into "
                              "the next financial year")
        pos = _position(con, g["grant_id"])
        if p > pos["left_pence"]:
            raise LedgerError(f"cannot carry {gbp(p)} forward: {grant} has {gbp(pos['left_pence'])}"
                              " left")
        ref = reference or f"{grant}-CF"
        fy = next_fy(g["fy"])
        conds = con.execute("SELECT conditions FROM fund_grants WHERE grant_id = ?",
                            [g["grant_id"]]).fetchone()[0]
        names = dict(con.execute("SELECT body_id, name FROM fund_bodies").fetchall())
        new = _add_grant(con, Grant(ref, names[g["funder_id"]], names[g["recipient_id"]],
                                    g["stream"], fy, Decimal(p) / 100,
                                    conditions=json.loads(conds)), approved_by)
        # A carried-in grant is not devolved from a parent: it traces through this record.
        con.execute("INSERT INTO fund_carry_forward VALUES (?, ?, ?, ?, ?, ?)",
                    [g["grant_id"], new, p, reason.strip(), approved_by.strip(), datetime.now()])
    return new


# Every grant's position. received = amount (carried-in grants hold what was carried); left =
# received - devolved - carried out - spent (negative = over allocation).
POSITIONS_SQL = """
SELECT g.grant_id, g.reference, g.parent_grant_id, g.fy, g.stream,
       f.name AS funder, r.name AS recipient, r.kind AS recipient_kind,
       g.amount_pence AS received_pence, g.match_pence,
       coalesce(d.devolved, 0)::BIGINT AS devolved_pence,
       coalesce(c.committed, 0)::BIGINT AS committed_pence,
       coalesce(s.spent, 0)::BIGINT AS spent_pence,
       coalesce(s.flagged, 0)::BIGINT AS flagged_spend_pence,
       coalesce(o.carried, 0)::BIGINT AS carried_out_pence,
       (g.amount_pence - coalesce(d.devolved, 0) - coalesce(o.carried, 0)
        - coalesce(s.spent, 0))::BIGINT AS left_pence
FROM fund_grants g
JOIN fund_bodies f ON f.body_id = g.funder_id
JOIN fund_bodies r ON r.body_id = g.recipient_id
LEFT JOIN (SELECT parent_grant_id AS grant_id, sum(amount_pence) AS devolved FROM fund_grants
           WHERE parent_grant_id IS NOT NULL GROUP BY 1) d USING (grant_id)
LEFT JOIN (SELECT grant_id, sum(amount_pence) AS committed FROM fund_commitments GROUP BY 1) c
       USING (grant_id)
LEFT JOIN (SELECT grant_id, sum(amount_pence) AS spent,
                  sum(amount_pence) FILTER (WHERE over_allocation_reason IS NOT NULL) AS flagged
           FROM fund_spend GROUP BY 1) s USING (grant_id)
LEFT JOIN (SELECT grant_id, sum(amount_pence) AS carried FROM fund_carry_forward GROUP BY 1) o
       USING (grant_id)
"""


def positions(ws: Workspace, fy: str | None = None) -> list[dict[str, Any]]:
    sql = POSITIONS_SQL + (" WHERE g.fy = ?" if fy else "") + " ORDER BY g.fy, g.grant_id"
    cur = ws.reader()
    rows = cur.execute(sql, [parse_fy(fy)] if fy else []).fetchall()
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in rows]
