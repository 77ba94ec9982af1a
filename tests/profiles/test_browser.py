"""The HTML profile in real headless Chromium, offline: everything loads, nothing is fetched."""

from __future__ import annotations

import pytest

from tests.browser import chromium

from .conftest import small_integers

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium_browser():
    with chromium() as b:
        yield b


def test_html_profile_renders_offline_in_chromium(chromium_browser, toy_ws, toy_docs, tmp_path):
    ws, _ = toy_ws
    doc, paths = toy_docs[False]
    page = chromium_browser.new_page(viewport={"width": 1100, "height": 900})
    external: list[str] = []
    errors: list[str] = []

    def route(r):
        url = r.request.url
        if url.startswith(("file:", "data:")):
            r.continue_()
        else:
            external.append(url)
            r.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(paths["html"].resolve().as_uri())
    page.wait_for_load_state("load")
    assert page.title() == doc.title
    assert page.locator("h1").inner_text() == doc.title
    assert page.locator("table").count() == len(doc.shown_tables())
    imgs = page.evaluate("Array.from(document.images).map(i => [i.complete, i.naturalWidth])")
    assert len(imgs) == len(doc.charts()) + len(doc.maps())
    assert all(done and width > 100 for done, width in imgs), imgs
    # The first finding links to its table, and the link works.
    link = page.locator("ul.findings a.ref").first
    target = link.get_attribute("href")
    assert target and page.locator(target).count() == 1
    text = page.inner_text("body")
    assert small_integers(text, ws.settings.disclosure.suppress_max) == []
    assert external == [] and errors == []
    shot = tmp_path / "profile.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 50_000
    page.close()
