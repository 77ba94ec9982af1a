"""A tagged person's trail map in a real browser (Debian's Chromium via Playwright, against
uvicorn): police and probation with the electronic-monitoring purpose see the map draw (the
trail's fixes and line and the exclusion zone, on Leaflet's canvas), with every asset served by
the app itself (any other request is blocked and fails the test); a viewer and a partner outside
the purpose are refused and see nothing of the person."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest

from tests.browser import chromium_browser, serve_workspace, sign_in  # noqa: F401 (a fixture)
from tests.tags.helpers import E0, N0, ORDER_ROW, PERSON, agree, put, square_wkt, walk
from tests.web.conftest import PASSWORD
from vru.privacy import agreements, users
from vru.testing import new_workspace

pytestmark = [pytest.mark.browser]

WHEN = datetime(2024, 6, 12, 9, 0)
TRAIL = f"/tags/people/{PERSON}/trail?start=2024-06-12T00:00&end=2024-06-12T23:59&reason=case+17"
ALLOWED = {"partner_police": ("partner", "Kingsmere Police"),
           "partner_probation": ("partner", "Probation Service")}
REFUSED = {"viewer_police": ("viewer", "Kingsmere Police"),
           "partner_nhs": ("partner", "Kingsmere NHS Trust")}
ZONE_RGB = (0xB2, 0x18, 0x2B)   # exclusion zone outline (static/js/tags.js)
TRAIL_RGB = (0x33, 0x33, 0x33)  # trail line; fixes are #555 circles


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    ws = new_workspace(tmp_path_factory.mktemp("tagbrowser") / "ws")
    agree(ws)
    with ws.transaction() as con:
        agreements.add(con, "istv", "Kingsmere NHS Trust", "Serious Violence Duty",
                       ["problem profile"], 36)
    # 13 fixes, 5 minutes apart, walking east 6 m a minute out of a 400 m exclusion square.
    put(ws, people=[ORDER_ROW], pings=walk(PERSON, WHEN, 60, 5, E0, N0, ve=6.0),
        zones=[(PERSON, "Z1", "EXCLUSION", square_wkt(E0, N0, 200), date(2024, 1, 1), None,
                "ALL", None, None)])
    for name, (role, agency) in {**ALLOWED, **REFUSED}.items():
        users.add_user(ws, name, PASSWORD, role, agency=agency)
    with serve_workspace(ws) as url:
        yield url


def _open(browser, base, user):
    """Sign in as ``user`` and open the trail page; every request that is not to the app is
    blocked and recorded."""
    ctx = browser.new_context(viewport={"width": 1100, "height": 800})
    outside: list[str] = []
    problems: list[str] = []

    def gate(route):
        if route.request.url.startswith(base + "/"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()
    ctx.route("**/*", gate)
    page = ctx.new_page()
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type == "error" else None)
    page.goto(base + TRAIL)
    sign_in(page, user, PASSWORD)
    return ctx, page, outside, problems


def _count(png: bytes, rgb: tuple[int, int, int], tol: int = 40) -> int:
    from PIL import Image

    img = Image.open(io.BytesIO(png)).convert("RGB")
    return sum(n for n, c in img.getcolors(maxcolors=1 << 22)
               if all(abs(a - b) <= tol for a, b in zip(c, rgb, strict=True)))


@pytest.mark.parametrize("user", sorted(ALLOWED))
def test_trail_map_draws_from_the_apps_own_assets(browser, server, user):
    ctx, page, outside, problems = _open(browser, server, user)
    try:
        assert page.url == server + TRAIL, page.url
        page.locator("#tag-map-status", has_text="fixes").wait_for(timeout=20_000)
        assert page.inner_text("#tag-map-status") == "13 fixes"
        # Leaflet drew on its canvas (preferCanvas): the zone outline and the trail are there.
        assert page.locator("#tag-map canvas").count() >= 1
        page.wait_for_timeout(300)  # let the fit-to-bounds animation settle
        png = page.locator("#tag-map").screenshot()
        blank = page.locator("h1").screenshot()  # same page, no map: nothing zone-red
        zone, trail = _count(png, ZONE_RGB), _count(png, TRAIL_RGB)
        assert zone > 400 and trail > 100, (zone, trail)
        assert _count(blank, ZONE_RGB) == 0
        # The map's data came from our API, under the reason given on the page.
        assert page.get_attribute("#tag-map", "data-reason") == "case 17"
        assert outside == [], f"requests outside the app: {outside}"
        assert problems == [], problems
    finally:
        ctx.close()


@pytest.mark.parametrize("user", sorted(REFUSED))
def test_outside_the_purpose_the_trail_is_refused(browser, server, user):
    ctx, page, outside, _ = _open(browser, server, user)
    try:
        r = page.goto(server + TRAIL)
        assert r is not None and r.status == 403
        html = page.content()
        assert PERSON not in html and "fixes" not in html
        assert page.locator("#tag-map").count() == 0
        api = page.request.get(f"{server}/api/tags/trail/{PERSON}?start=2024-06-12T00:00"
                               "&end=2024-06-12T23:59&reason=x")
        assert api.status == 403 and PERSON not in api.text()
        assert outside == []
    finally:
        ctx.close()
