"""The funding ledger: money conserved through HO -> PCC -> LA -> provider, rules enforced at
entry and reported over the stored ledger. Expected figures are worked out by hand from the
amounts in the fixture (conftest.add_funding), not read back from the ledger."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from vru.programme import ledger, reconcile
from vru.programme.ledger import Grant, LedgerError, Spend, add_grant, record_spend
from vru.programme.model import ProgrammeError, gbp, pence


def _spend_everything(ws):
    for grant, q, amount, iv, cat in (
            ("N-NYT-24", 1, "40000.00", "MENT", "delivery"),
            ("N-NYT-24", 2, "45000.25", "MENT", "delivery"),
            ("E-ES-24", 1, "60000.00", "SPORT", "delivery"),
            ("E-ES-24", 3, "20000.00", "KNIFE", "delivery"),
            ("HO-24", 4, "50000.00", None, "evaluation"),
            ("PCC-N-24", 2, "10000.00", None, "coordination")):
        record_spend(ws, Spend(grant, "2024-25", q, amount, iv, cat))


def test_money_is_whole_pence_and_floats_are_refused():
    assert pence("1,250.50") == 125050
    assert pence("£0.07") == 7
    assert pence(Decimal("19.99")) == 1999
    assert pence(3) == 300
    assert gbp(-123456) == "-£1,234.56"
    for bad in (0.1, "1.005", "ten", "1e3"):
        with pytest.raises(ProgrammeError):
            pence(bad)


def test_money_is_conserved_through_the_flow(prog_ws):
    _spend_everything(prog_ws)
    pos = {p["reference"]: p for p in ledger.positions(prog_ws)}
    # By hand: HO-24 received 1,000,000.00, devolved 300,000.00 + 250,000.50, spent 50,000.
    assert pos["HO-24"]["devolved_pence"] == 55_000_050
    assert pos["HO-24"]["left_pence"] == 100_000_000 - 55_000_050 - 5_000_000
    assert pos["PCC-N-24"]["left_pence"] == 30_000_000 - 20_000_000 - 1_000_000
    assert pos["N-NYT-24"]["spent_pence"] == 8_500_025
    assert pos["E-ES-24"]["left_pence"] == 25_000_050 - 8_000_000
    assert pos["PCC-E-24"]["left_pence"] == 0
    total_spent = 4_000_000 + 4_500_025 + 6_000_000 + 2_000_000 + 5_000_000 + 1_000_000
    c = reconcile.conservation(prog_ws)
    assert c["received_from_funders_pence"] == 100_000_000
    assert c["spent_pence"] == total_spent
    # Every pound is either spent or left somewhere in the tree.
    assert c["spent_pence"] + c["left_pence"] == c["received_from_funders_pence"]
    assert [f for f in reconcile.check(prog_ws) if f.severity == "error"] == []


def test_devolving_more_than_received_is_refused(prog_ws):
    with pytest.raises(LedgerError, match="exceed what HO-24 received"):
        add_grant(prog_ws, Grant("PCC-X", "Testshire PCC", "Eastfield Council", "vru_core",
                                 "2024-25", "449999.51", parent="HO-24"))
    # Exactly what is left is fine.
    add_grant(prog_ws, Grant("PCC-X", "Testshire PCC", "Eastfield Council", "vru_core",
                             "2024-25", "449999.50", parent="HO-24"))
    assert ledger.positions(prog_ws)[0]["left_pence"] == 0


def test_devolution_must_follow_the_tree(prog_ws):
    with pytest.raises(LedgerError, match="parent grant's recipient"):
        add_grant(prog_ws, Grant("BAD", "Northside Council", "Eastfield Sports", "vru_core",
                                 "2024-25", "10", parent="HO-24"))
    with pytest.raises(LedgerError, match="financial year"):
        add_grant(prog_ws, Grant("BAD", "Testshire PCC", "Eastfield Council", "vru_core",
                                 "2025-26", "10", parent="HO-24"))


def test_spend_over_allocation_needs_a_flag_and_is_reported(prog_ws):
    record_spend(prog_ws, Spend("N-NYT-24", "2024-25", 1, "200000.00", "MENT"))
    with pytest.raises(LedgerError, match="over its allocation"):
        record_spend(prog_ws, Spend("N-NYT-24", "2024-25", 2, "0.01", "MENT"))
    record_spend(prog_ws, Spend("N-NYT-24", "2024-25", 2, "500.00", "MENT",
                                over_allocation_reason="agreed by board 3 Feb"))
    found = [f for f in reconcile.check(prog_ws) if f.grant == "N-NYT-24"]
    assert [(f.rule, f.severity, f.amount_pence) for f in found] == [
        ("spend_over_allocation_flagged", "flag", 50_000)]


def test_stored_breaks_are_reported(prog_ws):
    """Rows that bypass the ledger (e.g. edited in the database) are still found."""
    with prog_ws.transaction() as con:
        gid = con.execute("SELECT grant_id FROM fund_grants WHERE reference = 'PCC-E-24'").fetchone()[0]
        con.execute("UPDATE fund_grants SET amount_pence = amount_pence + 1 WHERE reference = "
                    "'E-ES-24'")
        con.execute("INSERT INTO fund_spend VALUES (900, 12345, NULL, 'coordination', '2024-25', "
                    "1, 777, NULL, NULL, now(), 'x', NULL, NULL, NULL)")
        con.execute("INSERT INTO fund_spend VALUES (901, ?, NULL, 'coordination', '2025-26', "
                    "1, 5, NULL, NULL, now(), 'x', NULL, NULL, NULL)", [gid])
    rules = {(f.rule, f.grant, f.amount_pence) for f in reconcile.check(prog_ws)}
    assert ("devolved_over_received", "PCC-E-24", 1) in rules
    assert ("spend_untraced", None, 777) in rules
    assert ("spend_outside_year", "PCC-E-24", 5) in rules


def test_spend_after_the_year_and_carry_forward(prog_ws):
    with pytest.raises(LedgerError, match="after 31 March"):
        record_spend(prog_ws, Spend("N-NYT-24", "2025-26", 1, "10.00", "MENT"))
    with pytest.raises(LedgerError, match="does not allow carry-over"):
        ledger.carry_forward(prog_ws, "N-NYT-24", "1000", "late start", "treasurer")
    new = ledger.carry_forward(prog_ws, "HO-24", "20000.00", "contracts started late",
                               "PCC chief finance officer")
    assert new
    record_spend(prog_ws, Spend("HO-24-CF", "2025-26", 1, "15000.00", None, "coordination"))
    pos = {p["reference"]: p for p in ledger.positions(prog_ws)}
    assert pos["HO-24"]["carried_out_pence"] == 2_000_000
    assert pos["HO-24-CF"]["fy"] == "2025-26" and pos["HO-24-CF"]["left_pence"] == 500_000
    c = reconcile.conservation(prog_ws)
    assert c["received_from_funders_pence"] == 100_000_000
    assert c["carried_in_pence"] == c["carried_out_pence"] == 2_000_000
    assert c["spent_pence"] + c["left_pence"] + c["carried_out_pence"] - c["carried_in_pence"] \
        == c["received_from_funders_pence"]


def test_conditions_and_weak_evidence_are_warned(prog_ws):
    record_spend(prog_ws, Spend("E-ES-24", "2024-25", 1, "90000.00", "KNIFE"))
    record_spend(prog_ws, Spend("HO-24", "2024-25", 1, "5000.00", None, "evaluation"))
    found = {f.rule: f for f in reconcile.check(prog_ws)}
    # evaluation 5,000 of 95,000 = 5.3% < 10%; match 100,000 / 1,000,000 = 10% meets 10%.
    assert "5.3%" in found["condition_evaluation"].detail
    assert "condition_match" not in found
    assert found["spend_on_weak_evidence"].amount_pence == 9_000_000


def test_commitments(prog_ws):
    ledger.commit(prog_ws, "N-NYT-24", "150000", date(2024, 4, 10), "MENT", "contract")
    with pytest.raises(LedgerError, match="left to commit"):
        ledger.commit(prog_ws, "N-NYT-24", "50000.01", date(2024, 4, 10), "MENT")
    pos = {p["reference"]: p for p in ledger.positions(prog_ws)}
    assert pos["N-NYT-24"]["committed_pence"] == 15_000_000
