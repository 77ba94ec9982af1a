"""The published HTML passes axe-core (vendored, tests/vendor) in real Chromium with no serious or
critical violation: the profile and the Strategic Needs Assessment. Offline: the page is a
file, and every request that is not a file or data URI is refused and recorded."""

from __future__ import annotations

import pytest

from tests.browser import axe_violations, chromium

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def check_html(browser, path) -> None:
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    external: list[str] = []

    def route(r):
        if r.request.url.startswith(("file:", "data:")):
            r.continue_()
        else:
            external.append(r.request.url)
            r.abort()

    try:
        page.route("**/*", route)
        page.goto(path.resolve().as_uri())
        page.wait_for_load_state("load")
        assert axe_violations(page) == []
        assert external == []
    finally:
        page.close()


def test_profile_html_passes_axe(browser, toy_docs):
    _, paths = toy_docs[False]
    check_html(browser, paths["html"])


def test_sna_html_passes_axe(browser, toy_ws, tmp_path):
    from vru.reports import render
    from vru.reports.sna import build_sna

    ws, _ = toy_ws
    doc = build_sna(ws, "Alderton", "2023/24")
    paths = {p.suffix[1:]: p for p in render(doc, "html", tmp_path)}
    check_html(browser, paths["html"])


def test_axe_finds_what_it_should(browser, tmp_path):
    """Positive control: a page with an image without alt text and a grey-on-grey paragraph."""
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html lang="en"><head><title>x</title></head><body><main>'
                   '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
                   '<p style="color:#bbb;background:#ccc">faint</p></main></body></html>')
    page = browser.new_page()
    try:
        page.goto(bad.as_uri())
        ids = {v["id"] for v in axe_violations(page)}
    finally:
        page.close()
    assert {"image-alt", "color-contrast"} <= ids


@pytest.mark.slow
@pytest.mark.timeout(1800)  # may be the test whose setup builds the session's demo
def test_demo_sna_html_passes_axe(browser, demo_run, tmp_path):
    from vru.reports import render
    from vru.reports.sna import build_sna
    from vru.workspace import Workspace

    assert demo_run.result.exit_code == 0, demo_run.result.output
    ws = Workspace.open(demo_run.workspace, read_only=True)
    try:
        lad = ws.scalar("SELECT lad_name FROM geo_lad ORDER BY lad_code LIMIT 1")
        doc = build_sna(ws, lad, "2023/24")
    finally:
        ws.close()
    assert doc.charts() and doc.maps()
    paths = {p.suffix[1:]: p for p in render(doc, "html", tmp_path)}
    check_html(browser, paths["html"])
