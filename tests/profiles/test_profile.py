"""The problem profile built on the toy force area: numbers, sections, disclosure, formats."""

from __future__ import annotations

import io
from datetime import date

import numpy as np
import pytest

from vru.analysis import indicators as ind
from vru.privacy import disclosure
from vru.reports.document import COUNT
from vru.testing import new_workspace
from vru.testing.toy import LAD_POP_2023, LADS, SV_CATS

from .conftest import docx_text, html_text, pdf_text, small_integers

FY = (date(2023, 4, 1), date(2024, 3, 1))
PREV = (date(2022, 4, 1), date(2023, 3, 1))


def headline_row(doc, label_start: str) -> list:
    t = doc.table("t_headline")
    return next(r for r in t.rows if r[0].startswith(label_start))


def test_headline_numbers_match_the_generated_records(toy_ws, toy_docs):
    ws, truth = toy_ws
    doc, _ = toy_docs[True]
    sv = truth.count("Alderton", *FY, lambda c: c["type"] in SV_CATS and c["ho"] in
                     ws.settings.serious_violence.ho_offence_codes)
    # The toy's SV offence codes are all in the default definition, except burglary/drugs.
    assert sv == truth.count("Alderton", *FY, lambda c: c["type"] in SV_CATS)
    row = headline_row(doc, "Serious violence")
    assert row[1] == sv
    rate = 1000 * sv / LAD_POP_2023
    assert row[2] == pytest.approx(rate)
    lo, hi = (ind.byar_limits(sv) if sv >= 10 else ind.exact_limits(sv))
    assert row[3][0] == pytest.approx(float(lo) * 1000 / LAD_POP_2023)
    assert row[3][1] == pytest.approx(float(hi) * 1000 / LAD_POP_2023)
    force_sv = sum(truth.count(n, *FY, lambda c: c["type"] in SV_CATS) for _, n in LADS)
    force_rate = 1000 * force_sv / (LAD_POP_2023 * len(LADS))
    assert row[4] == pytest.approx(force_rate)
    # Alderton is generated at 1.6x the rate of its neighbours: clearly higher.
    assert row[5] == "higher"
    assert row[6] == truth.count("Alderton", *PREV, lambda c: c["type"] in SV_CATS)
    robbery = headline_row(doc, "Robbery")
    assert robbery[1] == truth.count("Alderton", *FY, lambda c: c["type"] == "Robbery")
    knife = headline_row(doc, "Knife")
    assert knife[1] == truth.count("Alderton", *FY, lambda c: c["knife"])


def test_controlled_rates_are_rates_of_the_published_count(toy_ws, toy_docs):
    """Rounding is never undone: a controlled rate (and its interval) times the population gives
    the published (rounded) count, not the exact one."""
    ws, truth = toy_ws
    doc, _ = toy_docs[False]
    vso = truth.count("Alderton", *FY, lambda c: c["type"] == "Violence and sexual offences")
    row = headline_row(doc, "Violence and sexual offences")
    published = disclosure.apply(vso, ws.settings.disclosure)
    assert row[1] == published
    assert published != vso  # the toy's count is not a multiple of the rounding base
    assert row[2] * LAD_POP_2023 / 1000 == pytest.approx(published)
    lo, hi = ind.byar_limits(published)
    assert row[3][0] == pytest.approx(float(lo) * 1000 / LAD_POP_2023)
    assert row[3][1] == pytest.approx(float(hi) * 1000 / LAD_POP_2023)


def test_partner_indicators_counted_by_lsoa(toy_ws, toy_docs):
    ws, truth = toy_ws
    doc, _ = toy_docs[True]
    ed = sum(1 for r in truth.partner["ed"] if r["lad"] == "Alderton"
             and FY[0] <= r["month"] <= FY[1])
    assert headline_row(doc, "Emergency department")[1] == ed
    adm = sum(1 for r in truth.partner["adm"] if r["lad"] == "Alderton"
              and FY[0] <= r["month"] <= FY[1] and r["age"] < 25)
    row = headline_row(doc, "Admissions for assault")
    assert row[1] == adm
    if adm:
        # Per 1,000 under-25s: two bands of 300 + 200 in each of the eight LSOAs.
        assert row[2] == pytest.approx(1000 * adm / (8 * 500))
    # Repeat victims where identifiers allow: every toy admission has its own patient.
    all_ages = sum(1 for r in truth.partner["adm"] if r["lad"] == "Alderton"
                   and FY[0] <= r["month"] <= FY[1])
    rep = {r[0]: r[1] for r in doc.table("t_repeat_adm").rows}
    assert rep["Patients admitted for assault"] == all_ages
    assert rep["Patients admitted more than once"] == 0
    fte = sum(1 for r in truth.partner["fte"] if r["lad"] == "Alderton"
              and FY[0] <= r["month"] <= FY[1])
    assert headline_row(doc, "Youth justice")[1] == fte
    if fte:  # every toy entrant is 15: one row, sex not recorded
        assert [r[0] for r in doc.table("t_fte").rows] == ["15 to 17"]
        assert doc.table("t_fte").rows[0][3] == fte
    cov = doc.table("t_coverage").rows
    ed_row = next(r for r in cov if r[0].startswith("Emergency department"))
    assert "without an LSOA" in ed_row[5]


def test_every_section_and_finding_is_traceable(toy_docs):
    doc, _ = toy_docs[False]
    titles = [s.title for s in doc.sections]
    for want in ("Key findings", "Headline indicators", "Trends", "People", "emergency "
                 "department", "Place", "Data coverage", "Methods"):
        assert any(want.lower() in t.lower() for t in titles), want
    ids = {t.id for t in doc.tables()}
    assert len(doc.findings()) >= 6
    for f in doc.findings():
        assert f.table_id in ids
    for want in ("t_headline", "t_peers", "t_fy", "t_season", "t_tod", "t_victims", "t_edgap",
                 "t_ed_lsoa",
                 "t_lsoa", "t_conc", "t_depr", "t_coverage", "t_quality"):
        assert want in ids, want
    assert {c.id for c in doc.charts()} >= {"c_monthly", "c_peers", "c_tod"}
    assert [m.id for m in doc.maps()] == ["m_lsoa"]


def _check_published(value, rule) -> None:
    if isinstance(value, int | np.integer):
        assert not (1 <= value <= rule.suppress_max), value
        assert value == 0 or value % rule.round_to == 0, value


def test_disclosure_applied_to_every_count_in_the_model(toy_ws, toy_docs):
    ws, _ = toy_ws
    rule = ws.settings.disclosure
    doc, _ = toy_docs[False]
    priv, _ = toy_docs[True]
    raw_small = 0
    for t, tp in zip(doc.tables(), priv.tables(), strict=True):
        for r, rp in zip(t.rows, tp.rows, strict=True):
            for v, vp, col in zip(r, rp, t.columns, strict=True):
                if col.kind == COUNT:
                    _check_published(v, rule)
                    if isinstance(vp, int) and 1 <= vp <= rule.suppress_max:
                        raw_small += 1
                        assert v == rule.symbol
    assert raw_small >= 3, "the toy data should contain small counts to suppress"
    for c in doc.charts():
        for data in c.spec.get("datasets", {}).values():
            for rec in data:
                for k in ("count", "value"):
                    if k in rec and rec[k] is not None:
                        _check_published(rec[k], rule)


def test_rates_from_suppressed_counts_are_suppressed(toy_docs):
    doc, _ = toy_docs[False]
    for t in doc.tables():
        kinds = [c.kind for c in t.columns]
        if "count" not in kinds or "rate" not in kinds:
            continue
        ci, ri = kinds.index("count"), kinds.index("rate")
        for r in t.rows:
            if r[ci] == "*":
                assert r[ri] == "*", (t.id, r)


@pytest.mark.parametrize("fmt,reader", [("html", html_text), ("pdf", pdf_text),
                                        ("docx", docx_text)])
def test_no_small_count_in_any_output(toy_ws, toy_docs, fmt, reader):
    ws, _ = toy_ws
    k = ws.settings.disclosure.suppress_max
    _, public = toy_docs[False]
    _, priv = toy_docs[True]
    assert small_integers(reader(public[fmt]), k) == []
    # The check can fail: the privileged version of the same profile shows small counts.
    assert len(small_integers(reader(priv[fmt]), k)) >= 3


def test_docx_tables_read_back_equal_the_document(toy_docs):
    import docx

    for priv in (False, True):
        doc, paths = toy_docs[priv]
        d = docx.Document(io.BytesIO(paths["docx"].read_bytes()))
        assert len(d.tables) == len(doc.shown_tables())
        for wt, t in zip(d.tables, doc.shown_tables(), strict=True):
            got = [[c.text for c in row.cells] for row in wt.rows]
            assert got[0] == [c.name for c in t.columns]
            assert got[1:] == t.text_rows()
        assert len(d.inline_shapes) == len(doc.charts()) + len(doc.maps())


def test_docx_headline_count_is_the_disclosed_source_count(toy_ws, toy_docs):
    import docx

    ws, truth = toy_ws
    sv = truth.count("Alderton", *FY, lambda c: c["type"] in SV_CATS)
    for priv in (False, True):
        _, paths = toy_docs[priv]
        d = docx.Document(io.BytesIO(paths["docx"].read_bytes()))
        first = d.tables[0]
        row = next(r for r in first.rows if r.cells[0].text.startswith("Serious violence"))
        expect = sv if priv else disclosure.apply(sv, ws.settings.disclosure)
        assert row.cells[1].text == f"{expect:,}"


def test_pdf_pages_render_and_are_not_blank(toy_docs):
    import pypdfium2 as pdfium

    _, paths = toy_docs[False]
    pdf = pdfium.PdfDocument(paths["pdf"].read_bytes())
    try:
        assert len(pdf) >= 4
        for i in range(len(pdf)):
            img = np.asarray(pdf[i].render(scale=0.5).to_pil().convert("L"))
            ink = (img < 200).mean()
            assert ink > 0.005, f"page {i + 1} looks blank ({ink:.4f} inked)"
    finally:
        pdf.close()
    text = pdf_text(paths["pdf"])
    assert "Alderton: serious violence problem profile" in text
    assert "Key findings" in text


def test_html_is_self_contained(toy_docs):
    import lxml.html

    _, paths = toy_docs[False]
    raw = paths["html"].read_text()
    tree = lxml.html.fromstring(raw)
    srcs = tree.xpath("//img/@src") + tree.xpath("//script/@src") + tree.xpath(
        "//link/@href")
    assert srcs and all(s.startswith("data:") for s in srcs)
    assert "http://" not in raw.replace('xmlns="http://www.w3.org/2000/svg"', "") or \
        all(u.startswith("http://www.w3.org/") for u in _urls(raw))
    assert "https://" not in raw


def _urls(raw: str) -> list[str]:
    import re

    return re.findall(r"http://[^\s\"'<>)]+", raw)


def test_profile_without_partners_or_population_says_so(tmp_path):
    from vru.reports.profile import build_profile
    from vru.testing.toy import build

    ws = new_workspace(tmp_path / "ws")
    try:
        build(ws, partners=False, population=False)
        doc = build_profile(ws, "E07999002", "2023-01..2023-12")
    finally:
        ws.close()
    row = headline_row(doc, "Serious violence")
    assert row[1] not in (None, 0) and row[2] is None and row[3] is None
    ed = headline_row(doc, "Emergency department")
    assert ed[1] == "no data supplied"
    text = " ".join(b.text for s in doc.sections for b in s.blocks if hasattr(b, "text"))
    assert "Rates per 1,000 residents are unavailable" in text
    assert "No data supplied" in text  # the ED-police gap section


def test_area_resolution_by_code_name_csp_and_force(toy_ws):
    from vru.reports.profile_data import AreaNotFound, resolve_area

    ws, _ = toy_ws
    assert resolve_area(ws, "e07999001").name == "Alderton"
    assert resolve_area(ws, "Brookfield CSP").level == "csp"
    f = resolve_area(ws, "Testshire")
    assert f.level == "force" and len(f.lad_codes) == 3
    with pytest.raises(AreaNotFound, match="Alderton"):
        resolve_area(ws, "Nowhere")


def test_force_profile_lists_its_local_authorities(toy_ws):
    from vru.reports.profile import build_profile

    ws, truth = toy_ws
    doc = build_profile(ws, "E23999001", "2023/24", privileged=True)
    peers = {r[0]: r[1] for r in doc.table("t_peers").rows}
    for _, name in LADS:
        assert peers[name] == truth.count(name, *FY, lambda c: c["type"] in SV_CATS)


def test_a_period_without_data_gives_a_clear_profile(toy_ws):
    from vru.reports.profile import build_profile

    ws, _ = toy_ws
    doc = build_profile(ws, "Alderton", "2019/20")
    assert doc.findings() == []
    text = " ".join(b.text for s in doc.sections for b in s.blocks if hasattr(b, "text"))
    assert "No police-recorded crime was found for this area and period" in text
    assert headline_row(doc, "Serious violence")[1] == 0


def test_the_workspace_rule_is_the_one_applied(toy_ws):
    """A stricter rule (suppress 1-10, no rounding) changes what is published."""
    from vru.reports.html import render_html
    from vru.reports.profile import build_profile
    from vru.settings import Disclosure

    ws, _ = toy_ws
    saved = ws.settings.disclosure
    ws.settings.disclosure = Disclosure(suppress_max=10, round_to=1, symbol="[c]")
    try:
        doc = build_profile(ws, "Alderton", "2023/24")
    finally:
        ws.settings.disclosure = saved
    seen_symbol = False
    for t in doc.tables():
        for r in t.rows:
            for v, col in zip(r, t.columns, strict=True):
                if col.kind == COUNT and isinstance(v, int):
                    assert not 1 <= v <= 10
                seen_symbol |= v == "[c]"
    assert seen_symbol
    import lxml.html

    text = " ".join(lxml.html.fromstring(render_html(doc)).itertext())
    assert small_integers(text, 10) == []


def test_police_sources_follow_the_canonical_view_month_by_month(tmp_path):
    """The profile counts each crime once, from the source serving its force-month (the
    canonical crime view): a month the force extract lacks is served by police.uk, and the
    Home Office code indicators need force extracts for every month."""
    from vru.periods import parse_period
    from vru.reports.profile import police_indicators
    from vru.reports.profile_data import police_sources, resolve_area
    from vru.testing.toy import build

    ws = new_workspace(tmp_path / "ws")
    try:
        build(ws, partners=False, population=False)
        area = resolve_area(ws, "Alderton")
        assert police_sources(ws, area, parse_period("2023/24")) == ["police_rms"]
        with ws.transaction() as con:  # a police.uk copy of one month, RMS loses March 2024
            con.execute("INSERT INTO crimes SELECT * REPLACE ('police_uk' AS source) FROM crimes "
                        "WHERE month = DATE '2024-03-01'")
            con.execute("DELETE FROM crimes WHERE source = 'police_rms' AND "
                        "month = DATE '2024-03-01'")
        assert police_sources(ws, area, parse_period("2023/24")) == ["police_rms", "police_uk"]
        assert police_sources(ws, area, parse_period("2023-04..2024-02")) == ["police_rms"]
        assert police_sources(ws, area, parse_period("2024-03..2024-03")) == ["police_uk"]
        mixed = {i.key: i.predicate for i in police_indicators(ws, "mixed")}
        assert mixed["sv"] == "c.serious_violence" and mixed["sv_ho"] is None
    finally:
        ws.close()
