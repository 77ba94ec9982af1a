"""The Strategic Needs Assessment: every section present (generated or "not yet written"), human
labels only, disclosure control, domestic abuse and cost of violence against hand computations
from the source files, and the rendered files (PDF page numbers and marking, DOCX A4 with a TOC
field and captions)."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest

from tests.conftest import shared_path
from tests.profiles.conftest import html_text, small_integers
from vru.workspace import Workspace

pytestmark = pytest.mark.slow

# The synthetic world's Home Office codes of violence and sexual offences (its ground truth,
# vru.synth.crime_details.OFFENCES), written out here rather than read from our own code.
VSO_CODES = {"8N", "105A", "8L", "8R", "5D", "8Q", "17A", "19C", "3A", "2", "1"}
RR99 = {"1": 3_217_740, "8N": 14_050, "5D": 14_050, "2": 14_050, "105A": 5_930, "3A": 5_930,
        "19C": 39_360, "17A": 6_520, "34A": 11_320, "34B": 11_320}
UPLIFT = 106.96 / 80.54  # HM Treasury GDP deflator, 2023/24 over 2015/16


@pytest.fixture(scope="module")
def demo(demo_run, tmp_path_factory):
    """A copy of the session's demo workspace (tests/conftest.py `demo_run`, which no test
    writes to): this test writes narratives and sign-offs."""
    import shutil

    assert demo_run.result.exit_code == 0, demo_run.result.output
    copy = tmp_path_factory.mktemp("sna") / "ws"
    shutil.copytree(demo_run.workspace, copy, ignore=shutil.ignore_patterns("exports", "*.lock"))
    ws = Workspace.open(copy)
    yield ws, demo_run.data
    ws.close()


@pytest.fixture(scope="module")
def bedford(tmp_path_factory):
    from vru.sources.police_uk import import_police

    street = shared_path("police-uk", "bedfordshire", "street")
    files = [street / f"{m}-bedfordshire-street.csv.gz" for m in
             [f"2023-{i:02d}" for i in range(4, 13)] + [f"2024-{i:02d}" for i in (1, 2, 3)]]
    if not all(f.exists() for f in files):
        pytest.skip("Bedfordshire street files for 2023/24 not all present in ../shared/data")
    ws = Workspace.init(tmp_path_factory.mktemp("sna-bed") / "ws", area_name="Bedfordshire")
    import_police(ws, files)
    yield ws
    ws.close()


def _texts(paths) -> dict[str, str]:
    import docx
    import pypdfium2 as pdfium

    out = {"html": html_text(paths["html"])}
    d = docx.Document(io.BytesIO(paths["docx"].read_bytes()))
    out["docx"] = "\n".join([p.text for p in d.paragraphs]
                            + [c.text for t in d.tables for r in t.rows for c in r.cells])
    pdf = pdfium.PdfDocument(paths["pdf"].read_bytes())
    try:
        out["pdf"] = "\n".join(pg.get_textpage().get_text_range() for pg in pdf)
    finally:
        pdf.close()
    return out


def _check_sna(ws, doc, paths) -> None:
    from vru.reports.document import COUNT
    from vru.reports.labels import raw_codes
    from vru.reports.sna import NOT_YET_WRITTEN, SECTIONS

    # Every section, in the SNA's order, each generated or saying it is not yet written.
    assert [s.id for s in doc.sections] == [s.id for s in SECTIONS]
    for spec, s in zip(SECTIONS, doc.sections, strict=True):
        assert s.blocks, spec.id
        if spec.narrative and spec.id != "summary":
            assert any(getattr(b, "text", "").startswith(NOT_YET_WRITTEN) for b in s.blocks) or \
                any(getattr(b, "text", "").startswith("Written by ") for b in s.blocks), spec.id
    texts = _texts(paths)
    tables = {t for t in ws.tables() if "_" in t} | {"police_uk", "police_rms"}
    codes = raw_codes()
    for fmt, text in texts.items():
        for c in codes:
            assert not re.search(rf"\b{re.escape(c)}\b", text), (fmt, c)
        for t in tables:
            assert not re.search(rf"\b{re.escape(t)}\b", text), (fmt, t)
        assert "serious violence" in text.lower()
        if not doc.privileged:
            assert small_integers(text, ws.settings.disclosure.suppress_max) == [], fmt
    defn = " ".join(b.text for b in doc.sections[1].blocks if hasattr(b, "text"))
    assert "proxy" in defn or "Home Office offence codes" in defn
    # No count from one to seven anywhere in a count column of the controlled document.
    small = set(range(1, ws.settings.disclosure.suppress_max + 1))
    for t in doc.tables():
        for j, c in enumerate(t.columns):
            if c.kind == COUNT:
                vals = [r[j] for r in t.rows if isinstance(r[j], int | float)]
                assert not small & set(vals), (t.id, c.name)
    # Every heading and table reaches the DOCX; A4, a TOC field and SEQ captions.
    import docx

    d = docx.Document(io.BytesIO(paths["docx"].read_bytes()))
    heads = [p.text for p in d.paragraphs if p.style.name == "Heading 1"]
    assert heads == [s.title for s in doc.sections]
    assert len(d.tables) == len(doc.shown_tables())
    sec = d.sections[0]
    assert (round(sec.page_width.mm), round(sec.page_height.mm)) == (210, 297)
    xml = d.element.xml
    assert re.search(r"<w:instrText[^>]*>\s*TOC \\o", xml)
    caps = [p for p in d.paragraphs if p.style.name == "Caption"]
    assert len(caps) == len(doc.tables()) + len(doc.charts()) + len(doc.maps())
    assert xml.count("SEQ Table") == len(doc.tables())
    # Every PDF page has its number (of the total) and the classification marking.
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(paths["pdf"].read_bytes())
    try:
        n = len(pdf)
        assert n > 3
        for i, page in enumerate(pdf, start=1):
            text = page.get_textpage().get_text_range()
            assert f"Page {i} of {n}" in text, i
            assert "OFFICIAL" in text and doc.marking in text.replace("\r\n", " "), i
            assert doc.meta["running_header"] in text.replace("\r\n", " "), i
    finally:
        pdf.close()


def _hand_rows(data_dir, lad_name: str) -> pd.DataFrame:
    """The force extract rows of the LAD in 2023/24, read from the CSVs with pandas."""
    geo = data_dir / "geography"
    lad = pd.read_csv(geo / "lad.csv")
    code = lad.loc[lad["lad_name"] == lad_name, "lad_code"].item()
    lsoa = pd.read_csv(geo / "lsoa.csv")
    lsoas = set(lsoa.loc[lsoa["lad_code"] == code, "lsoa_code"])
    df = pd.concat([pd.read_csv(p, dtype=str) for p in sorted((data_dir / "police-rms").glob(
        "*.csv"))])
    df = df.drop_duplicates("crime_reference", keep="first")
    month = df["committed_from"].str[:7]
    return df[df["lsoa_code"].isin(lsoas) & (month >= "2023-04") & (month <= "2024-03")]


@pytest.mark.timeout(1800)  # may be the test whose setup builds the session's demo
def test_demo_sna(demo, tmp_path):
    from vru.reports import render
    from vru.reports.profile_data import resolve_area
    from vru.reports.sna import NARRATIVE_SECTIONS, build_sna
    from vru.reports.sna_store import area_key, sign_off, write_narrative

    ws, data_dir = demo
    lad = ws.scalar("SELECT lad_name FROM geo_lad ORDER BY lad_code LIMIT 1")
    key = area_key(resolve_area(ws, lad))
    write_narrative(ws, key, "2023/24", "drivers", "Deprivation drives it.\n\nSo does "
                    "school exclusion.", "A. Analyst", NARRATIVE_SECTIONS)
    v2 = write_narrative(ws, key, "2023/24", "drivers", "Deprivation and exclusion drive it.",
                         "B. Lead", NARRATIVE_SECTIONS)
    assert v2.version == 2
    with pytest.raises(ValueError):
        write_narrative(ws, key, "2023/24", "cost", "x", "A", NARRATIVE_SECTIONS)
    sign_off(ws, key, "2023/24", "1.0", "C. Chair", "Chair, VRU board")

    doc = build_sna(ws, lad, "2023/24")
    # The demo's own step wrote the priorities and signed version 0.1 off.
    summary = [b.text for b in doc.sections[0].blocks if hasattr(b, "text")]
    assert summary[0].startswith("Priorities: night-time economy violence")
    paths = {p.suffix[1:]: p for p in render(doc, "html,pdf,docx", tmp_path)}
    _check_sna(ws, doc, paths)
    drivers = [b.text for b in doc.sections[[s.id for s in doc.sections].index("drivers")].blocks
               if hasattr(b, "text")]
    assert drivers[0] == "Deprivation and exclusion drive it."
    assert drivers[1].startswith("Written by B. Lead, version v2")
    gov = {r[0]: r[1] for r in doc.table("t_governance").rows}
    assert gov["Signed off by"] == "C. Chair, Chair, VRU board"
    assert gov["Version"] == "1.0" and gov["Status"] == "Signed off"
    assert [r[0] for r in doc.table("t_signoffs").rows] == ["0.1", "1.0"]

    # Domestic abuse and the cost of violence against the source rows (privileged: exact).
    rows = _hand_rows(data_dir, lad)
    exact = build_sna(ws, lad, "2023/24", privileged=True)
    vso = rows[rows["ho_offence_code"].isin(VSO_CODES)]
    da = vso[vso["domestic_flag"] == "Y"]
    t = {r[0]: r for r in exact.table("t_domestic").rows}
    assert t["Domestic abuse-related violence and sexual offences"][1] == len(da) > 0
    assert t["All domestic abuse-related offences"][1] == int((rows["domestic_flag"] == "Y").sum())
    assert t["Domestic abuse-related violence with a female victim"][1] == int(
        (da["victim_sex"] == "F").sum())
    costed = rows[rows["ho_offence_code"].isin(RR99)]
    hand = float(sum(RR99[c] * UPLIFT for c in costed["ho_offence_code"]))
    total = exact.table("t_cost").rows[-1][4]
    assert hand >= 1e6 and total == f"£{hand / 1e6:,.1f} million"
    counts = {r[0]: r[1] for r in exact.table("t_cost").rows[:-1]}
    assert counts["Robbery"] == int(rows["ho_offence_code"].isin(["34A", "34B"]).sum())
    assert counts["Rape"] == int((rows["ho_offence_code"] == "19C").sum())

    # The force area over a custom period, and a community safety partnership: the same sections.
    from vru.reports.sna import SECTIONS

    for area, period in (("Kingsmere Police", "2023-05..2024-04"),
                         ("Kingsmere Community Safety Partnership", "2023/24")):
        d = build_sna(ws, area, period)
        assert [s.id for s in d.sections] == [s.id for s in SECTIONS], area
        assert d.table("t_cost").rows[-1][4].endswith("million"), area


def test_bedford_sna(bedford, tmp_path):
    from vru.reports import render
    from vru.reports.sna import build_sna

    doc = build_sna(bedford, "Bedford", "2023/24")
    paths = {p.suffix[1:]: p for p in render(doc, "html,pdf,docx", tmp_path)}
    _check_sna(bedford, doc, paths)
    defn = " ".join(b.text for b in doc.sections[1].blocks if hasattr(b, "text"))
    assert "proxy" in defn and "all violence and sexual offences plus robbery and possession of " \
        "weapons" in defn
    # police.uk: no domestic flag; violence costed as a lower bound.
    dom = " ".join(b.text for b in doc.sections[[s.id for s in doc.sections].index(
        "domestic")].blocks if hasattr(b, "text"))
    assert "no domestic abuse flag" in dom
    names = [r[0] for r in doc.table("t_cost").rows]
    assert names == ["Violence and sexual offences (lower bound)", "Robbery", "Total"]
