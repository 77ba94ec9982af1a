"""Upload in a real browser (Debian's Chromium via Playwright): a partner uploads its own
force's extract and sees the result; another agency's source is neither offered nor accepted."""

from __future__ import annotations

import pytest

from tests.browser import chromium, serve
from tests.web.conftest import PASSWORD
from tests.web.upload_fixtures import OTHER_AGENCY, rms_file, upload_workspace

pytestmark = [pytest.mark.browser]


@pytest.fixture(scope="module")
def upload_server(tmp_path_factory):
    from vru.web.app import create_app

    ws = upload_workspace(tmp_path_factory.mktemp("upbrowser") / "ws")
    try:
        with serve(create_app(ws, audit_durable=False)) as url:
            yield url, ws
    finally:
        ws.close()


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def _sign_in(browser, url: str, user: str):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type == "error" else None)
    page.goto(url + "/data-hub")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("h1")
    return ctx, page, problems


def test_partner_uploads_its_file_and_sees_the_result(browser, upload_server, tmp_path):
    url, ws = upload_server
    ctx, page, problems = _sign_in(browser, url, "partner")
    page.click("#upload-link")
    page.wait_for_selector("#upload-form")
    offered = page.eval_on_selector_all("select[name=source] option", "os => os.map(o => o.value)")
    assert offered == ["police_rms"]                 # its own force's extract, nothing else
    f = rms_file(tmp_path, "partner-extract.csv", bad=2)
    page.select_option("select[name=source]", "police_rms")
    page.set_input_files("input[name=files]", str(f))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#job-result", timeout=60_000)    # the page follows the job
    assert page.get_attribute("#job-status", "data-status") == "done"
    text = page.inner_text("#job-result")
    assert "read 5 = loaded 3 + rejected 2" in text
    row = page.locator("#job-files tbody tr").first.inner_text().split("\t")
    assert row[0] == "partner-extract.csv" and row[3:6] == ["5", "3", "2"]
    assert "crime_reference: required value missing" in page.inner_text("#job-reasons")
    page.click("#job-rejects-link")
    page.wait_for_selector("#rejected-rows")
    assert page.locator("#rejected-rows tbody tr").count() == 2
    assert problems == [], problems
    ctx.close()


def test_partner_cannot_upload_another_agencys_source(browser, upload_server, tmp_path):
    url, ws = upload_server
    ctx, page, problems = _sign_in(browser, url, "partner")
    page.goto(url + "/data-hub/upload")
    assert page.locator("select[name=source] option[value=istv]").count() == 0
    # the form forged to name ISTV (owned by the NHS trust) is refused by the server too
    page.evaluate("""() => { const o = document.createElement('option');
        o.value = 'istv'; o.textContent = 'istv'; document.querySelector('select[name=source]')
        .appendChild(o); }""")
    f = rms_file(tmp_path, "not-mine.csv")
    before = ws.scalar("SELECT count(*) FROM imports")
    page.select_option("select[name=source]", "istv")
    page.set_input_files("input[name=files]", str(f))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#upload-error")
    msg = page.inner_text("#upload-error")
    assert f"is owned by {OTHER_AGENCY}" in msg and "upload refused" in msg
    assert ws.scalar("SELECT count(*) FROM imports") == before
    ctx.close()
