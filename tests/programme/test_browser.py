"""Caseworkers in a real browser (Debian's Chromium via Playwright, against uvicorn): create a
referral and move it through the workflow; a provider cannot see another provider's referrals;
a concurrent edit is refused with a clear message."""

from __future__ import annotations

import time

import pytest

from tests.browser import chromium, serve
from tests.programme import webapp

pytestmark = [pytest.mark.browser]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    saved = webapp.set_key()
    ws = webapp.build(tmp_path_factory.mktemp("progbrowser") / "ws")
    try:
        with serve(webapp.app_for(ws)) as url:
            yield url, ws
    finally:
        ws.close()
        webapp.restore_key(saved)


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def _sign_in(browser, base, user, path="/referrals"):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type == "error" else None)
    page.goto(base + path)
    assert "/login" in page.url
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", webapp.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.url == base + path, page.url
    return ctx, page, problems


def _move(page, status, reason=""):
    page.select_option("#move-form select[name=to_status]", status)
    if reason:
        page.fill("#move-form input[name=reason]", reason)
    page.click("#move-form button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_caseworker_creates_a_referral_and_moves_it_through_the_workflow(browser, server):
    base, ws = server
    ctx, page, problems = _sign_in(browser, base, "nyt")
    page.click("#new-referral")
    page.wait_for_selector("#referral-form")
    page.select_option("select[name=intervention_id]", label="MENT: Mentoring for 10-17s "
                       "(Northside Youth Trust)")
    page.fill("input[name=referring_agency]", "Northside Academy")
    page.fill("input[name=referral_date]", time.strftime("%Y-%m-%d"))
    page.fill("input[name=reasons]", "carrying a knife; exclusion risk")
    page.fill("input[name=pnc_id]", "24/654321Q")
    page.fill("input[name=age]", "15")
    page.select_option("select[name=sex]", "F")
    page.click("#referral-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.inner_text("#status") == "received"
    rid = int(page.url.split("/referrals/")[1].split("?")[0])
    for st in ("assessed", "accepted", "engaged"):
        _move(page, st)
        assert page.inner_text("#status") == st
    # A session, then completion.
    page.fill("#attendance-form input[name=minutes]", "45")
    page.click("#attendance-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "45" in page.inner_text("#sessions")
    _move(page, "completed")
    assert page.inner_text("#status") == "completed"
    assert page.locator("#move-form").count() == 0  # closed: no further moves offered
    history = page.inner_text("#history")
    for st in ("received", "assessed", "accepted", "engaged", "completed"):
        assert st in history
    assert ws.scalar("SELECT status FROM prog_referrals WHERE referral_id = ?",
                     [rid]) == "completed"
    assert "654321" not in repr(ws.sql("SELECT * FROM prog_referrals"))
    assert problems == [], problems
    ctx.close()


def test_provider_cannot_see_another_providers_referrals(browser, server):
    base, ws = server
    sport = ws.scalar("SELECT min(referral_id) FROM prog_referrals JOIN prog_interventions "
                      "USING (intervention_id) WHERE code = 'SPORT'")
    ctx, page, _ = _sign_in(browser, base, "nyt")
    listing = page.inner_text("#referrals")
    assert "Midnight football" not in listing and "Mentoring" in listing
    resp = page.goto(f"{base}/referrals/{sport}")
    assert resp.status == 404
    assert "Midnight football" not in page.content()
    ctx.close()
    ctx, page, _ = _sign_in(browser, base, "es")
    assert "Midnight football" in page.inner_text("#referrals")
    assert "Mentoring" not in page.inner_text("#referrals")
    ctx.close()


def test_concurrent_edit_is_refused_with_a_clear_message(browser, server):
    base, ws = server
    rid = ws.scalar("SELECT max(referral_id) FROM prog_referrals JOIN prog_interventions "
                    "USING (intervention_id) WHERE code = 'MENT' AND status = 'engaged'")
    ctx_a, a, _ = _sign_in(browser, base, "nyt", f"/referrals/{rid}")
    ctx_b, b, _ = _sign_in(browser, base, "analyst", f"/referrals/{rid}")
    before = int(b.inner_text("#version"))
    _move(a, "disengaged", "moved out of the area")
    assert a.inner_text("#status") == "disengaged"
    # B still shows the old version and tries to complete the referral.
    _move(b, "completed")
    err = b.inner_text("#error")
    assert "changed by nyt" in err and "Nothing was saved" in err
    assert f"you had version {before}" in err
    assert ws.scalar("SELECT status FROM prog_referrals WHERE referral_id = ?",
                     [rid]) == "disengaged"
    ctx_a.close()
    ctx_b.close()
