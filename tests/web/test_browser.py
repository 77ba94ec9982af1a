"""The workbench in a real browser: Debian's Chromium driven by Playwright against uvicorn.

Signs in, opens every page (no script errors, no CSP violations), checks the map really draws
(a screenshot with real pixel variation), and downloads a generated profile.
"""

from __future__ import annotations

import io

import pytest

from tests.browser import CHROMIUM, LAUNCH_ARGS, chromium, free_port, serve  # noqa: F401

pytestmark = [pytest.mark.browser]

_free_port = free_port  # older name, imported by other browser modules


@pytest.fixture(scope="session")
def server(app):
    with serve(app) as url:
        yield url


@pytest.fixture(scope="module")
def chromium_browser():
    with chromium() as b:
        yield b


def _signed_in_page(browser, server, user, path="/"):
    from tests.web.conftest import PASSWORD

    ctx = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type == "error" else None)
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}")
            if r.status >= 400 and user != "viewer" else None)
    page.goto(server + path)
    assert "/login" in page.url  # anonymous: sent to sign in first
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.url == server + path, page.url
    return ctx, page, problems


def _pixel_spread(png: bytes) -> tuple[float, int]:
    from PIL import Image, ImageStat

    img = Image.open(io.BytesIO(png)).convert("RGB")
    stddev = sum(ImageStat.Stat(img.convert("L")).stddev)
    colours = len(img.getcolors(maxcolors=1 << 20) or [])
    return stddev, colours


def test_analyst_session_all_pages_and_map(chromium_browser, server, tmp_path):
    from playwright.sync_api import expect

    ctx, page, problems = _signed_in_page(chromium_browser, server, "analyst", "/map")
    # the map: grid layer drawn into Leaflet's canvas
    page.wait_for_selector("#map[data-loaded]", timeout=30_000)
    assert page.get_attribute("#map", "data-loaded") not in ("0", "error")
    shot = page.locator("#map").screenshot()
    (tmp_path / "map.png").write_bytes(shot)
    stddev, colours = _pixel_spread(shot)
    assert stddev > 5 and colours > 5, f"map screenshot looks blank ({stddev=}, {colours=})"
    # switch to the hot-spot layer plus points, then LSOAs
    if page.locator("select[name=layer] option[value=hotspots]").count():
        page.select_option("select[name=layer]", "hotspots")
        page.check("input[name=points]")
        page.click("#filters button[type=submit]")
        expect(page.locator("#map-status")).to_contain_text("points", timeout=60_000)
        assert "cells shown" in page.inner_text("#map-status")
        # the legend says how the confidence levels were reached (FDR, p from the values)
        expect(page.locator("#legend")).to_contain_text("FDR-corrected")
    page.select_option("select[name=layer]", "lsoa")
    page.click("#filters button[type=submit]")
    expect(page.locator("#map-status")).to_contain_text("areas", timeout=30_000)

    for path, marker in [("/", "#headline"), ("/trends", "#chart[data-loaded]"),
                         ("/profiles", "h1"), ("/data-hub", "#coverage"),
                         ("/data-hub/rejects", "h1"), ("/patrol", "h1"), ("/api/docs", "h1")]:
        page.goto(server + path)
        page.wait_for_selector(marker, timeout=30_000)
        assert page.locator("h1").count() == 1, path
    page.goto(server + "/trends")
    page.wait_for_selector("#chart[data-loaded] canvas", timeout=30_000)
    trend_shot = page.locator("#chart canvas").first.screenshot()
    assert _pixel_spread(trend_shot)[1] > 3, "trend chart looks blank"
    assert problems == [], problems
    ctx.close()


def test_profile_generate_and_download(chromium_browser, server, tmp_path):
    from vru.web.optional import profiles_available

    assert profiles_available(), "profiles module (vru.reports.profile) not importable"
    ctx, page, problems = _signed_in_page(chromium_browser, server, "analyst", "/profiles")
    page.select_option("select[name=area]", "Bedford")
    page.click("#make-profile button[type=submit]")
    # generated as a background job: the page follows it until the files are listed (newest
    # first)
    page.wait_for_selector("p.ok[role=status]", timeout=180_000)
    assert "Generated: controlled--" in page.inner_text("p.ok[role=status]")
    with page.expect_download(timeout=60_000) as dl:
        page.locator("#profile-list a").first.click()
    target = tmp_path / dl.value.suggested_filename
    dl.value.save_as(target)
    body = target.read_text(errors="replace")
    assert target.suffix == ".html" and "<html" in body.lower() and "Bedford" in body
    ctx.close()


def test_viewer_sees_no_points_and_no_admin(chromium_browser, server):
    ctx, page, problems = _signed_in_page(chromium_browser, server, "viewer", "/map")
    page.wait_for_selector("#map[data-loaded]", timeout=30_000)
    assert page.locator("input[name=points]").count() == 0
    assert "Users" not in page.inner_text("header nav")
    resp = page.goto(server + "/admin/users")
    assert resp.status == 403
    assert "may not" in page.inner_text("main")
    ctx.close()


def test_admin_pages(chromium_browser, server):
    ctx, page, problems = _signed_in_page(chromium_browser, server, "admin", "/admin/audit")
    assert "Chain intact" in page.inner_text("#audit-check")
    page.goto(server + "/admin/users")
    assert page.locator("#users tbody tr").count() >= 4
    assert problems == [], problems
    ctx.close()
