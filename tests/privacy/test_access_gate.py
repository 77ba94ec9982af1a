"""The one access question and the one disclosure gate (vru.privacy.access).

Expectations come from the access model as written in the issue (four roles; partners see their
own agency's records; purposes come from the data-sharing agreement) and from hand arithmetic on
the NHS rule (1-7 suppressed, round to 5), never from the gate's own output."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from vru.analysis.indicators import crude_rate
from vru.errors import VruError
from vru.privacy.access import (
    AccessDenied,
    Actor,
    Disclose,
    Permission,
    Resource,
    allowed,
    check,
    disclosure_for,
    register_action,
    why_not,
)
from vru.privacy.agreements import Agreement
from vru.privacy.roles import Role
from vru.reports.publish import Publisher
from vru.settings import Disclosure
from vru.web.exit import Exit

NHS = Disclosure(suppress_max=7, round_to=5, symbol="*")
ADMIN = Actor("a", Role.ADMIN)
ANALYST = Actor("an", Role.ANALYST)
PARTNER = Actor("p", Role.PARTNER, "Health")
VIEWER = Actor("v", Role.VIEWER)


@pytest.mark.parametrize(("actor", "aggregates", "records", "admin", "make_profile"), [
    (ADMIN, True, True, True, True),
    (ANALYST, True, True, False, True),
    (PARTNER, True, True, False, False),
    (VIEWER, True, False, False, False),
])
def test_roles_as_the_access_model_states(actor, aggregates, records, admin, make_profile):
    assert allowed("aggregates", None, actor) is aggregates
    assert allowed("records", None, actor) is records
    assert allowed("admin", None, actor) is admin
    assert allowed("profiles_make", None, actor) is make_profile


def test_anonymous_gets_public_only():
    assert allowed("public", None, None)
    assert not allowed("aggregates", None, None)
    assert why_not("aggregates", None, None) == "sign in first"


def test_partner_sees_record_level_rows_of_own_agency_only():
    own, other = Resource("table", "crimes", agency="Health"), Resource("table", "crimes", agency="Police")
    assert allowed("records", own, PARTNER)
    assert not allowed("records", other, PARTNER)
    assert allowed("records", other, ANALYST)


def _agreement(source: str, purposes: tuple[str, ...], valid_to: date | None = None) -> Agreement:
    return Agreement(1, source, "Health", "Serious Violence Duty", purposes, 24, None, None,
                     valid_to, datetime(2024, 1, 1), None)


def test_an_action_with_a_purpose_needs_an_agreement_listing_it():
    act = register_action("test.linkage", Permission.RECORDS, purpose="linkage", person_level=True)
    res = Resource("source", "admissions", source="admissions")
    ok = [_agreement("admissions", ("problem profile", "linkage"))]
    assert allowed(act, res, ANALYST, agreements=ok)
    assert not allowed(act, res, ANALYST, agreements=[_agreement("admissions", ("problem profile",))])
    assert not allowed(act, res, ANALYST, agreements=[])
    assert not allowed(act, res, ANALYST)  # agreements not consulted: refused, not assumed
    expired = [_agreement("admissions", ("linkage",), valid_to=date(2020, 1, 1))]
    assert not allowed(act, res, ANALYST, agreements=expired, on=date(2024, 6, 1))
    assert not allowed(act, res, VIEWER, agreements=ok)  # role first
    with pytest.raises(AccessDenied, match="does not list the purpose 'linkage'"):
        check(act, res, ANALYST, agreements=[_agreement("admissions", ("problem profile",))])
    assert issubclass(AccessDenied, VruError)


def test_actions_are_declared_once():
    register_action("test.same", Permission.AGGREGATES)
    register_action("test.same", Permission.AGGREGATES)  # identical: no-op
    with pytest.raises(ValueError, match="already declared"):
        register_action("test.same", Permission.RECORDS)
    with pytest.raises(AccessDenied, match="unknown action"):
        allowed("test.never-declared", None, ADMIN)


def test_counts_through_the_nhs_rule():
    g = disclosure_for(VIEWER, NHS)
    assert [g.count(v) for v in (0, 1, 7, 8, 12, 13, 101)] == [0, "*", "*", 10, 10, 15, 100]
    assert disclosure_for(ANALYST, NHS).count(13) == 13


def test_one_rule_for_derived_figures_from_published_counts():
    # 13 of 100 is published as 15 of 100: the share shown is 15%, never 13% (which would
    # reveal the unrounded count); a suppressed input withholds the figure.
    for gate in (Disclose(NHS, exact=False), Publisher(NHS, privileged=False),
                 Exit(_user(Role.VIEWER), NHS)):
        assert gate.share(13, 100) == pytest.approx(15.0)
        assert gate.share(5, 100) == "*"
        assert gate.change(20, 13) == pytest.approx(100 * (15 - 20) / 20)
        assert gate.change(5, 40) is None
        assert gate.ratio(13, 26) == pytest.approx(15 / 25)
        assert gate.rate_cells(5, crude_rate(5, 1000)) == ["*", "*"]
    exact = Disclose(NHS, exact=True)
    assert exact.share(13, 100) == pytest.approx(13.0)
    assert exact.change(20, 13) == pytest.approx(-35.0)


def _user(role: Role):
    from vru.privacy.users import User
    return User(1, "u", role, None, None, True)


def test_cli_reports_a_vru_error_once_without_traceback(tmp_path):
    from typer.testing import CliRunner

    from vru.cli import app
    runner = CliRunner()
    assert runner.invoke(app, ["init", str(tmp_path / "ws")]).exit_code == 0
    # AreaNotFound is raised inside the command and reaches the CLI's single VruError handler.
    result = runner.invoke(app, ["profile", "--area", "Nowhere-on-Sea", "--period", "2023/24",
                                 "-w", str(tmp_path / "ws"), "-o", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert "error:" in result.output and "Nowhere-on-Sea" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
