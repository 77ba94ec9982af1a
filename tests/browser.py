"""Shared pieces for the browser tests: Debian's Chromium with the offline launch flags, and an
ASGI app served by uvicorn on a free loopback port in a background thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(app) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 until the block ends; yields its base URL."""
    uvicorn = pytest.importorskip("uvicorn")
    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    t = threading.Thread(target=srv.run, daemon=True)
    t.start()
    deadline = time.time() + 20
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    assert srv.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        t.join(10)


@contextmanager
def chromium() -> Iterator:
    """A headless Chromium browser (Playwright); skips with the reason when it is absent."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium chromium-driver)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@contextmanager
def serve_workspace(ws) -> Iterator[str]:
    """Serve the web app over ``ws`` (audit not durable: tests); closes ``ws`` afterwards."""
    from vru.web.app import create_app

    try:
        with serve(create_app(ws, audit_durable=False)) as url:
            yield url
    finally:
        ws.close()


@pytest.fixture(scope="module", name="browser")
def chromium_browser():
    """``browser``: one Chromium per test module (import ``chromium_browser`` to use it)."""
    with chromium() as b:
        yield b


def sign_in(page, user: str, password: str) -> None:
    """On the login page the app sent us to: sign in and wait for the page we asked for."""
    assert "/login" in page.url, page.url
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("button[type=submit]")


AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"


def axe_violations(page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict]:
    """Run the vendored axe-core (WCAG 2.x A/AA rules and best practice) on the page loaded in
    ``page``; returns its violations of the given impacts, each with the offending nodes."""
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => n.html.slice(0, 160))}));
    }""")
    return [v for v in result if v["impact"] in impacts]
