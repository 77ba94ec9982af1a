"""The quarterly return and the board summary open in openpyxl with the expected sheets, and
their totals equal the ledger (summed here in SQL from fund_spend, independently of the
export code) to the penny; reach is distinct people."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import openpyxl

from vru.programme import returns
from vru.programme.ledger import Spend, record_spend
from vru.programme.model import intervention_by_code
from vru.programme.people import PersonIds
from vru.programme.workflow import NewReferral, create_referral, get_referral, move

TODAY = date(2025, 3, 1)


def _engage(ws, code, pnc, when=date(2024, 5, 1), sex="F"):
    rid = create_referral(ws, NewReferral(intervention_by_code(ws, code), "School",
                                          when, ["exclusion risk"], PersonIds(pnc_id=pnc),
                                          age=14, sex=sex, ethnicity="WHITE"), "cw", today=TODAY)
    v = get_referral(ws, rid)["version"]
    for st in ("assessed", "accepted", "engaged"):
        v = move(ws, rid, st, when, "cw", v, today=TODAY)
    return rid


def _fill(ws):
    for q, amount, iv, grant in ((1, "1000.10", "MENT", "N-NYT-24"), (1, "2000.20", "SPORT",
                                                                     "E-ES-24"),
                                 (2, "333.33", "MENT", "N-NYT-24"), (1, "99.99", None, "HO-24")):
        record_spend(ws, Spend(grant, "2024-25", q, amount, iv,
                               "delivery" if iv else "evaluation"))
    # 12 distinct people, one of them referred twice (two interventions).
    for i in range(12):
        _engage(ws, "MENT", f"24/{100000 + i}A", sex="F" if i < 11 else "M")
    _engage(ws, "SPORT", "24/100000A")


def test_quarterly_return_sheets_and_totals(prog_ws, tmp_path):
    _fill(prog_ws)
    out = returns.quarterly_return(prog_ws, "2024-25", 1, tmp_path / "q1.xlsx")
    wb = openpyxl.load_workbook(out["path"])
    assert tuple(wb.sheetnames) == returns.SHEETS
    sp = wb["Spend by theme and intervention"]
    rows = list(sp.iter_rows(min_row=2, values_only=True))
    assert rows[-1][0] == "Total"
    ledger_q1 = prog_ws.scalar("SELECT sum(amount_pence) FROM fund_spend WHERE fy = '2024-25' "
                               "AND quarter = 1")
    ledger_ytd = prog_ws.scalar("SELECT sum(amount_pence) FROM fund_spend WHERE fy = '2024-25' "
                                "AND quarter <= 1")
    assert Decimal(str(rows[-1][6])) * 100 == ledger_q1 == 310029
    assert Decimal(str(rows[-1][7])) * 100 == ledger_ytd
    assert sum(Decimal(str(r[6])) for r in rows[:-1]) * 100 == ledger_q1
    summary = {r[0]: r[1] for r in wb["Summary"].iter_rows(values_only=True) if r and r[0]}
    assert Decimal(str(summary["Spend in the quarter (£)"])) * 100 == ledger_q1
    # Reach: 12 distinct people (13 referrals); the lone M cell is suppressed (<10).
    reach = list(wb["Young people reached"].iter_rows(values_only=True))
    total = next(r for r in reach if r[0] == "Total (distinct people)")
    assert total[3] == 12 == out["people"]
    cells = {(r[0], r[1], r[2]): r[3] for r in reach[1:] if r[1] in ("F", "M")}
    assert cells == {("14-17", "F", "WHITE"): 11, ("14-17", "M", "WHITE"): "<10"}
    delivered = {r[0]: r for r in wb["Interventions delivered"].iter_rows(min_row=2,
                                                                          values_only=True)}
    assert delivered["MENT"][10] == 12 and delivered["SPORT"][10] == "<10"


def test_board_summary(prog_ws, tmp_path):
    _fill(prog_ws)
    out = returns.board_summary(prog_ws, "2024-25", tmp_path / "board.xlsx")
    wb = openpyxl.load_workbook(out["path"])
    assert tuple(wb.sheetnames) == returns.BOARD_SHEETS
    grants = {r[0]: r for r in wb["Grants"].iter_rows(min_row=2, values_only=True)}
    assert Decimal(str(grants["HO-24"][4])) == Decimal("1000000.00")
    assert Decimal(str(grants["N-NYT-24"][7])) == Decimal("1333.43")
    theme_rows = list(wb["Spend by quarter and theme"].iter_rows(min_row=2, values_only=True))
    assert Decimal(str(theme_rows[-1][5])) * 100 == prog_ws.scalar(
        "SELECT sum(amount_pence) FROM fund_spend")
