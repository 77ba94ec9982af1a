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
from vru.testing import new_workspace
from vru.workspace import Workspace

pytestmark = pytest.mark.slow

# The synthetic world's Home Office codes of violence and sexual offences (its ground truth,
# vru.synth.crime_details.OFFENCES), written out here rather than read from our own code.
VSO_CODES = {"8N", "105A", "8L", "8R", "5D", "8Q", "17A", "19C", "3A", "2", "1"}
RR99 = {"1": 3_217_740, "8N": 14_050, "5D": 14_050, "2": 14_050, "105A": 5_930, "3A": 5_930,
        "19C": 39_360, "17A": 6_520, "34A": 11_320, "34B": 11_320}
UPLIFT = 106.96 / 80.54  # HM Treasury GDP deflator, 2023/24 over 2015/16
# Serious violence in the synthetic world: violence and sexual offences, robbery and weapons.
SV_CODES = VSO_CODES | {"34A", "34B", "10A", "10C", "10D"}
ETHNIC_LABELS = {"WHITE": "White", "MIXED": "Mixed or multiple ethnic groups",
                 "ASIAN": "Asian or Asian British",
                 "BLACK": "Black, Black British, Caribbean or African",
                 "OTHER": "Other ethnic group", "UNKNOWN": "Not known"}


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
    ws = new_workspace(tmp_path_factory.mktemp("sna-bed") / "ws", area_name="Bedfordshire")
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

    # Victims and suspects by ethnicity, and suspects by age and sex, against the source rows.
    sv = rows[rows["ho_offence_code"].isin(SV_CODES)]
    eth = {r[0]: r for r in exact.table("t_ethnicity").rows}
    assert set(eth) == set(ETHNIC_LABELS.values())
    vic, sus = sv["victim_ethnicity"].value_counts(), sv["suspect_ethnicity"].value_counts()
    assert vic.sum() > 100 and sus.sum() > 10
    for code, name in ETHNIC_LABELS.items():
        assert eth[name][1] == int(vic.get(code, 0)), code
        assert eth[name][3] == int(sus.get(code, 0)), code
    ages = pd.to_numeric(sv["suspect_age"])
    known = sv[ages.notna() | sv["suspect_sex"].notna()]
    band = {r[0]: r for r in exact.table("t_suspect_age").rows}
    young = known[pd.to_numeric(known["suspect_age"]).between(18, 24)]
    assert band["18 to 24"][3] == len(young) and band["18 to 24"][1] == int(
        (young["suspect_sex"] == "M").sum())
    assert sum(r[3] for r in band.values()) == len(known)
    controlled = {r[0]: r for r in doc.table("t_ethnicity").rows}
    assert all(isinstance(r[1], str) or r[1] == 0 or r[1] > 7 for r in controlled.values())

    # Weapon-enabled violence: the knife flag and the weapon codes of the source rows.
    knife = rows["knife_flag"] == "Y"
    wt = {r[0]: r for r in exact.table("t_weapons").rows}
    assert wt["Knife or sharp-instrument crime (flagged)"][1] == int(knife.sum()) > 0
    assert wt["of which robbery"][1] == int((knife & rows["ho_offence_code"].isin(
        ["34A", "34B"])).sum())
    assert wt["Possession of weapons"][1] == int(rows["ho_offence_code"].isin(
        ["10A", "10C", "10D"]).sum())
    assert wt["Firearms possession offences"][1] == int((rows["ho_offence_code"] == "10A").sum())

    # Vulnerable cohorts: exclusions of the LAD's resident pupils, from the education files.
    lsoas = set(pd.read_csv(data_dir / "geography" / "lsoa.csv").query(
        "lad_code == @code", local_dict={"code": ws.scalar(
            "SELECT lad_code FROM geo_lad WHERE lad_name = ?", [lad])})["lsoa_code"])
    edu = pd.concat([pd.read_csv(f, dtype=str) for f in (data_dir / "education").glob("*.csv")])
    edu = edu[edu["lsoa_code"].isin(lsoas) & (edu["event_date"] >= "2023-04-01")
              & (edu["event_date"] <= "2024-03-31")]
    coh = {r[0]: r[1] for r in exact.table("t_cohorts").rows}
    assert coh["Permanent exclusions"] == int((edu["exclusion_type"] == "PERMANENT").sum())
    assert coh["Suspensions"] == int((edu["exclusion_type"] == "SUSPENSION").sum()) > 0
    assert coh["Children in care"] is None  # named as a gap, never a made-up zero

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


# --------------------------------------------------------------------------- benchmarks
BED_LADS = ("E06000032", "E06000055", "E06000056")   # Luton, Bedford, Central Bedfordshire
COL_LAD = "E09000001"                                 # City of London


def _mid_year(codes, year: int) -> float:
    """ONS mid-year estimates read with pandas from the shared workbook (MYE4, header row 8)."""
    df = pd.read_excel(shared_path("geography", "population", "LAD23_Mid_Year_pop_2011_to_2023.xlsx"),
                       sheet_name="MYE4", header=7)
    return float(df.loc[df["Code"].isin(codes), f"Mid-{year}"].sum())


def _sv_count(files, lad_name: str | None = None) -> int:
    """Serious violence rows of the files (of one local authority: its LSOA names)."""
    df = pd.concat([pd.read_csv(f, usecols=["Crime type", "LSOA name"]) for f in files])
    if lad_name:
        df = df[df["LSOA name"].fillna("").str.match(rf"^{lad_name} \d{{3}}[A-Z]$")]
    return int(df["Crime type"].isin(["Violence and sexual offences", "Robbery",
                                      "Possession of weapons"]).sum())


@pytest.fixture(scope="module")
def comparators(tmp_path_factory):
    """Bedfordshire 2023/24 and City of London 2019/20 (real data.police.uk files), each the
    other's most similar group, with the ONS geography pack (no boundaries). City of London's
    2019/20 rows are also filed again as 2023/24 (month relabelled) so that the two forces
    overlap: that copy tests the pooling arithmetic, never a real comparison."""
    from vru.sources.geography import import_geography
    from vru.sources.police_uk import import_police
    from vru.testing import new_workspace

    bed_dir = shared_path("police-uk", "bedfordshire", "street")
    col_dir = shared_path("police-uk", "city-of-london", "street")
    fy = [f"2023-{i:02d}" for i in range(4, 13)] + [f"2024-{i:02d}" for i in (1, 2, 3)]
    fy19 = [f"2019-{i:02d}" for i in range(4, 13)] + [f"2020-{i:02d}" for i in (1, 2, 3)]
    bed = [bed_dir / f"{m}-bedfordshire-street.csv.gz" for m in fy]
    col = [col_dir / f"{m}-city-of-london-street.csv.gz" for m in fy19]
    if not all(f.exists() for f in bed + col):
        pytest.skip("Bedfordshire 2023/24 or City of London 2019/20 street files absent from "
                    "../shared/data")
    root = tmp_path_factory.mktemp("bench")
    relabelled = root / "col-relabelled"
    relabelled.mkdir()
    for src, m in zip(col, fy, strict=True):
        df = pd.read_csv(src, dtype=str, keep_default_na=False)
        df["Month"] = m
        df.to_csv(relabelled / f"{m}-city-of-london-street.csv", index=False)
    ws = new_workspace(root / "ws", area_name="Bedfordshire")
    ws.settings.benchmarks.most_similar_groups = {"Bedfordshire": ["City of London Police"],
                                                  "London, City of": ["Bedfordshire"]}
    ws.save_settings()
    import_police(ws, bed + col)
    import_geography(ws, shared_path("geography"), boundaries=False)
    yield ws, bed, col, sorted(relabelled.glob("*.csv"))
    ws.close()


def test_benchmarks_bedford_and_city_of_london(comparators, tmp_path):
    from vru.reports.sna import build_sna
    from vru.sources.police_uk import import_police

    ws, bed, col, relabelled = comparators
    # City of London in 2019/20: its group (Bedfordshire) has no data that year, and it is the
    # only force imported for the period: both said, no national figure invented.
    doc = build_sna(ws, "City of London", "2019/20", privileged=True)
    t = doc.table("t_benchmark")
    assert "Listed in the group but not imported for the whole period: Bedfordshire" in t.note
    assert not any(r[0].startswith("England and Wales") for r in t.rows)
    text = " ".join(b.text for b in doc.sections[2].blocks if hasattr(b, "text"))
    assert "covers only City of London Police" in text
    pop19 = _mid_year([COL_LAD], 2019)
    rows = {r[0]: r for r in t.rows}
    assert rows["City of London"][1] == _sv_count(col, "City of London")
    assert rows["City of London"][3] == pytest.approx(
        1000 * _sv_count(col, "City of London") / pop19)
    assert rows["City of London Police (the force)"][1] == _sv_count(col)

    # Bedford 2023/24 against City of London (the relabelled copy) and the two pooled.
    import_police(ws, relabelled)
    doc = build_sna(ws, "Bedford", "2023/24", privileged=True)
    t = doc.table("t_benchmark")
    rows = {r[0].strip(): r for r in t.rows}
    n_bed, n_col = _sv_count(bed), _sv_count(relabelled)
    p_bed, p_col = _mid_year(BED_LADS, 2023), _mid_year([COL_LAD], 2023)
    force = rows["Bedfordshire Police (the force)"]
    assert force[1] == n_bed and force[3] == pytest.approx(1000 * n_bed / p_bed)
    assert rows["City of London Police"][3] == pytest.approx(1000 * n_col / p_col)
    ew = rows["England and Wales (two imported forces)"]
    assert ew[1] == n_bed + n_col
    assert ew[3] == pytest.approx(1000 * (n_bed + n_col) / (p_bed + p_col))
    # City of London's rate is far the higher (few residents, many visitors): Bedfordshire second.
    assert 1000 * n_col / p_col > 1000 * n_bed / p_bed
    assert any(f.text.startswith("Bedfordshire Police had the 2nd highest serious violence rate "
                                 "of the two forces") for f in doc.findings())
    # The method is stated: pooled counts over pooled residents, population year, the forces.
    assert "sum of their counts over the sum of their residents" in t.note
    assert "ONS mid-year population estimate 2023" in t.note
    assert "Bedfordshire Police and City of London Police" in t.note
    # Controlled: the same section, with no small count, and the finding names the comparison.
    pub = build_sna(ws, "Bedford", "2023/24")
    assert any("England and Wales" in f.text for f in pub.findings())
    from vru.reports import render

    paths = {p.suffix[1:]: p for p in render(pub, "html", tmp_path)}
    assert "Comparison with England and Wales and similar forces" in html_text(paths["html"])
