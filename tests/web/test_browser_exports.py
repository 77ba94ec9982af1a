"""#12 item 4 in a real browser (Chromium): every table, chart and map exports and the file
opens (CSV parses, PNG is not blank, SVG is an SVG with lines, GeoJSON loads), and the basemap
drawn from the geography pack puts force and local-authority outlines under the grid."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest

from tests.browser import serve
from tests.profiles.toy import LADS, build
from tests.web.conftest import PASSWORD
from tests.web.test_browser import _pixel_spread, _signed_in_page, chromium_browser
from vru.privacy import users
from vru.testing import new_workspace
from vru.web.app import create_app

pytestmark = [pytest.mark.browser]
__all__ = ["chromium_browser"]


@pytest.fixture(scope="module")
def toy_server(tmp_path_factory):
    ws = new_workspace(tmp_path_factory.mktemp("toyweb") / "ws", area_name="Testshire")
    build(ws, partners=False)
    users.add_user(ws, "analyst", PASSWORD, "analyst")
    with serve(create_app(ws, audit_durable=False)) as url:
        yield url
    ws.close()


def _download(page, selector: str):
    with page.expect_download(timeout=30_000) as dl:
        page.click(selector)
    return dl.value.suggested_filename, open(dl.value.path(), "rb").read()


def test_map_basemap_under_the_grid_and_map_exports(chromium_browser, toy_server):
    ctx, page, problems = _signed_in_page(chromium_browser, toy_server, "analyst", "/map")
    page.wait_for_selector("#map[data-loaded]", timeout=30_000)
    page.wait_for_selector("#map[data-basemap]", timeout=30_000)
    # one force outline and an outline per local authority, from the geography pack
    assert page.get_attribute("#map", "data-basemap") == str(1 + len(LADS))
    drawn = page.evaluate("""() => {
        const m = window.vruMap.map, base = m.getPane('base'), over = m.getPane('overlayPane');
        const c = base.querySelector('canvas'), g = c.getContext('2d');
        const px = g.getImageData(0, 0, c.width, c.height).data;
        let dark = 0, land = 0;
        for (let i = 0; i < px.length; i += 4) {
          if (px[i + 3] > 200 && px[i] < 120 && px[i + 1] < 120 && px[i + 2] < 120) dark++;
          if (px[i] === 244 && px[i + 1] === 241 && px[i + 2] === 234) land++;
        }
        return {baseZ: +getComputedStyle(base).zIndex, overZ: +getComputedStyle(over).zIndex,
                dark, land, overlayCanvases: over.querySelectorAll('canvas').length};
    }""")
    assert drawn["baseZ"] < drawn["overZ"], drawn            # the basemap is under the grid
    assert drawn["dark"] > 200 and drawn["land"] > 1000, drawn  # outlines and land drawn
    assert drawn["overlayCanvases"] >= 1, drawn
    assert page.locator(".leaflet-tooltip.place.la").count() == len(LADS)  # LA labels
    assert "Crimes (count)" in page.inner_text("#legend")

    name, body = _download(page, ".exports button.geojson")
    fc = json.loads(body)
    assert name.endswith(".geojson") and fc["type"] == "FeatureCollection" and fc["features"]
    assert all(f["geometry"]["type"] == "Polygon" for f in fc["features"])
    name, body = _download(page, ".exports button.png")
    stddev, colours = _pixel_spread(body)
    assert name.endswith(".png") and stddev > 5 and colours > 20, (stddev, colours)

    # rates per 1,000 residents on LSOAs, with a legend that says so
    page.select_option("select[name=layer]", "lsoa")
    page.select_option("select[name=measure]", "rate")
    page.click("#filters button[type=submit]")
    from playwright.sync_api import expect

    expect(page.locator("#legend")).to_contain_text("per 1,000", timeout=30_000)
    name, body = _download(page, ".exports button.geojson")
    props = [f["properties"] for f in json.loads(body)["features"]]
    assert props and all(p["rate_per_1000"] is not None for p in props)
    p = props[0]
    assert p["rate_per_1000"] == pytest.approx(1000 * p["value"] / p["population"], abs=1e-3)
    assert problems == [], problems
    ctx.close()


def test_tables_and_chart_export(chromium_browser, toy_server):
    ctx, page, problems = _signed_in_page(chromium_browser, toy_server, "analyst", "/trends")
    page.wait_for_selector("#chart[data-loaded] canvas", timeout=30_000)
    name, body = _download(page, ".exports button.png")
    stddev, colours = _pixel_spread(body)
    assert name == "trends.png" and stddev > 5 and colours > 10, (stddev, colours)
    name, body = _download(page, ".exports button.svg")
    svg = ET.fromstring(body)
    assert svg.tag.endswith("svg") and len(svg.findall("{http://www.w3.org/2000/svg}polyline")) > 0
    assert b"records per month" in body
    name, body = _download(
        page, "xpath=//table[@id='trend-table']/preceding-sibling::div[1]/button[1]")
    rows = list(csv.reader(io.StringIO(body.decode())))
    assert rows[0] == ["Crime type", "Total"] and len(rows) > 3
    assert all(r[1].replace(".", "").isdigit() for r in rows[1:]), rows  # no thousands commas

    page.goto(toy_server + "/?from=2023-04&to=2024-03")
    page.wait_for_selector("#headline")
    name, body = _download(page, "xpath=//table[@id='headline']/preceding-sibling::div[1]/button[1]")
    rows = list(csv.reader(io.StringIO(body.decode())))
    assert name.endswith("headline.csv") and rows[0][0] == "Area"
    shown = page.inner_text("#headline tbody tr:first-child td:nth-child(2)")
    assert int(rows[1][1]) == int(shown.replace(",", ""))
    assert "," in shown or int(rows[1][1]) < 1000                 # thousands separators on screen
    assert "2023-04 to 2024-03" in page.inner_text("main")         # the date filter applied
    assert problems == [], problems
    ctx.close()
