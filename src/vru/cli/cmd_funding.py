"""`vru funding ...`: the ledger from the Home Office to the front line, its reconciliation, the
quarterly monitoring return and the board finance summary (docs/guide/funding.md)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from vru.cli.cmd_programme import _date, _print, _ws, audit
from vru.cli.common import WorkspaceOption, console
from vru.programme.model import gbp

funding_app = typer.Typer(help="Funding ledger, reconciliation and returns.",
                          no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(funding_app, name="funding")


@funding_app.command("body")
def body(name: str, kind: str = typer.Option(..., "--kind", help="home_office | pcc | "
                                             "local_authority | provider | yef | other"),
         workspace: Path = WorkspaceOption) -> None:
    """Add a funder or recipient."""
    from vru.programme import ledger

    with _ws(workspace) as ws:
        bid = ledger.add_body(ws, name, kind)
        audit(ws, "funding.body.add", {"name": name, "kind": kind})
    console.print(f"{name} ({kind}) id {bid}.")


@funding_app.command("grant")
def grant(
    reference: str, funder: str = typer.Option(..., "--funder"),
    recipient: str = typer.Option(..., "--recipient"),
    stream: str = typer.Option("vru_core", "--stream"), fy: str = typer.Option(..., "--fy"),
    amount: str = typer.Option(..., "--amount", help="Pounds, e.g. 1160000.00"),
    parent: str = typer.Option(None, "--parent", help="Parent grant (money devolved from it)."),
    match: str = typer.Option("0", "--match", help="Match funding, pounds."),
    condition: list[str] = typer.Option([], "--condition", help="kind=percent, e.g. "
                                        "evaluation_min_pct=10 (repeat)."),
    carry_over: bool = typer.Option(False, "--carry-over/--no-carry-over"),
    signed: str = typer.Option(None, "--signed", help="Date the agreement was signed."),
    workspace: Path = WorkspaceOption,
) -> None:
    """Add a grant (or devolve part of one with --parent)."""
    from vru.programme.ledger import Grant, add_grant

    conds = []
    for c in condition:
        k, _, v = c.partition("=")
        conds.append({"kind": k.strip(), "value": v.strip()})
    with _ws(workspace) as ws:
        gid = add_grant(ws, Grant(reference, funder, recipient, stream, fy, amount, parent,
                                  match, conds, carry_over, _date(signed)))
        audit(ws, "funding.grant.add", {"reference": reference, "amount": amount,
                                        "parent": parent})
    console.print(f"Grant {reference} recorded (id {gid}).")


@funding_app.command("commit")
def commit(grant: str, amount: str, on: str = typer.Option(..., "--date"),
           intervention: str = typer.Option(None, "--intervention"),
           description: str = typer.Option(None, "--description"),
           workspace: Path = WorkspaceOption) -> None:
    """Record a commitment against a grant."""
    from vru.programme import ledger

    with _ws(workspace) as ws:
        ledger.commit(ws, grant, amount, _date(on), intervention, description)
        audit(ws, "funding.commit", {"grant": grant, "amount": amount})
    console.print(f"Committed £{amount} against {grant}.")


@funding_app.command("spend")
def spend(grant: str, amount: str, fy: str = typer.Option(..., "--fy"),
          quarter: int = typer.Option(..., "--quarter"),
          intervention: str = typer.Option(None, "--intervention"),
          category: str = typer.Option("delivery", "--category"),
          over_reason: str = typer.Option(None, "--over-allocation-reason"),
          description: str = typer.Option(None, "--description"),
          workspace: Path = WorkspaceOption) -> None:
    """Record spend against a grant for a quarter."""
    from vru.programme.ledger import Spend, record_spend

    with _ws(workspace) as ws:
        record_spend(ws, Spend(grant, fy, quarter, amount, intervention, category, over_reason,
                               description))
        audit(ws, "funding.spend", {"grant": grant, "amount": amount, "fy": fy,
                                    "quarter": quarter})
    console.print(f"Spend of £{amount} recorded against {grant}.")


@funding_app.command("carry-forward")
def carry_forward(grant: str, amount: str, reason: str = typer.Option(..., "--reason"),
                  approved_by: str = typer.Option(..., "--approved-by"),
                  workspace: Path = WorkspaceOption) -> None:
    """Carry underspend into the next financial year (only where the grant allows)."""
    from vru.programme import ledger

    with _ws(workspace) as ws:
        ledger.carry_forward(ws, grant, amount, reason, approved_by)
        audit(ws, "funding.carry_forward", {"grant": grant, "amount": amount})
    console.print(f"£{amount} carried forward from {grant} (new grant {grant}-CF).")


@funding_app.command("positions")
def positions(fy: str = typer.Option(None, "--fy"), as_json: bool = typer.Option(False, "--json"),
              workspace: Path = WorkspaceOption) -> None:
    """Every grant: received, devolved, committed, spent, carried forward, left."""
    from vru.programme import ledger

    with _ws(workspace, read_only=True) as ws:
        rows = ledger.positions(ws, fy)
    if not as_json:
        rows = [{"grant": r["reference"], "fy": r["fy"], "funder": r["funder"],
                 "recipient": r["recipient"],
                 **{k.replace("_pence", ""): gbp(r[k]) for k in (
                     "received_pence", "devolved_pence", "committed_pence", "spent_pence",
                     "carried_out_pence", "left_pence")}} for r in rows]
    _print(rows, as_json, "Grant positions")


@funding_app.command("check")
def check(fy: str = typer.Option(None, "--fy"), as_json: bool = typer.Option(False, "--json"),
          workspace: Path = WorkspaceOption) -> None:
    """Reconcile the ledger: every rule, every break. Exit 1 when there is an error."""
    from vru.programme import reconcile

    with _ws(workspace, read_only=True) as ws:
        found = reconcile.check(ws, fy)
        money = reconcile.conservation(ws, fy)
    if as_json:
        typer.echo(json.dumps({"findings": [f.as_dict() for f in found], "conservation": money},
                              indent=2))
    else:
        _print([f.as_dict() for f in found], False, "Reconciliation findings")
        console.print("money: " + ", ".join(f"{k.replace('_pence', '')} {gbp(v)}"
                                            for k, v in money.items()))
    if any(f.severity == "error" for f in found):
        raise typer.Exit(1)


@funding_app.command("return")
def return_(fy: str = typer.Option(..., "--fy"), quarter: int = typer.Option(..., "--quarter"),
            out: Path = typer.Option(None, "--out"), workspace: Path = WorkspaceOption) -> None:
    """Write the quarterly Home Office-style monitoring return (XLSX)."""
    from vru.programme import returns

    with _ws(workspace) as ws:
        path = out or ws.path / "exports" / f"monitoring-return-{fy}-Q{quarter}.xlsx"
        res = returns.quarterly_return(ws, fy, quarter, path)
        audit(ws, "funding.return", {"fy": fy, "quarter": quarter, "path": str(path)})
    console.print(f"Wrote {res['path']}: spend Q{quarter} {gbp(res['quarter_pence'])}, "
                  f"year to date {gbp(res['ytd_pence'])}, {res['people']} young people")


@funding_app.command("board")
def board(fy: str = typer.Option(..., "--fy"), out: Path = typer.Option(None, "--out"),
          workspace: Path = WorkspaceOption) -> None:
    """Write the board finance summary (XLSX)."""
    from vru.programme import returns

    with _ws(workspace) as ws:
        path = out or ws.path / "exports" / f"board-finance-{fy}.xlsx"
        res = returns.board_summary(ws, fy, path)
        audit(ws, "funding.board", {"fy": fy, "path": str(path)})
    console.print(f"Wrote {res['path']}: {res['grants']} grants, {res['findings']} findings")
