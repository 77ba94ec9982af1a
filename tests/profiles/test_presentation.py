"""Presentation rules every renderer follows: a sentence instead of a table of suppression
symbols, significant figures instead of false precision (checked against Python's own 'g'
formatting), and the hour-by-day heat map with every hour and suppressed cells in grey."""

from __future__ import annotations

import io

import pytest

from vru.reports.document import COUNT, LABEL, RATE, Column, Document, Table, sig_figs


def _doc() -> Document:
    doc = Document("Title", "Subtitle", marking="Controlled")
    s = doc.section("s", "A section")
    s.add(Table("t_all", "Offences by ward", [Column("Ward", LABEL), Column("Count", COUNT),
                                             Column("Rate", RATE)],
                [["North", "*", "*"], ["South", "*", None]]))
    s.add(Table("t_some", "Offences by day", [Column("Day", LABEL), Column("Count", COUNT)],
                [["Monday", "*"], ["Tuesday", 40]]))
    return doc.finalise()


def test_an_all_suppressed_table_becomes_a_sentence(tmp_path):
    import docx

    from vru.reports import render

    doc = _doc()
    assert doc.table("t_all").withheld and not doc.table("t_some").withheld
    assert doc.shown_tables() == [doc.table("t_some")]
    paths = {p.suffix[1:]: p for p in render(doc, "html,docx", tmp_path)}
    html = paths["html"].read_text()
    assert html.count("<table") == 1
    assert '<p id="t_all" class="withheld">Table 1: Offences by ward: not shown, because ' in html
    d = docx.Document(io.BytesIO(paths["docx"].read_bytes()))
    assert len(d.tables) == 1
    texts = [p.text for p in d.paragraphs]
    assert any(t.startswith("Table 1: Offences by ward: not shown") for t in texts)
    # Its caption is still a numbered caption, so Table 2 stays Table 2.
    assert [p.text for p in d.paragraphs if p.style.name == "Caption"] == [
        "Table 1: Offences by ward", "Table 2: Offences by day"]


@pytest.mark.parametrize("v", [72.3333, 8.5432, 0.12345, 0.0123456, 1.005, 3.14159, 45.678,
                               0.5, 999.4, 12.0, 150.25])
def test_significant_figures_match_g_formatting(v):
    # Python's own %g to three significant figures is the reference below 1,000 (above, %g
    # switches to exponent notation; we keep whole units instead).
    expect = float(f"{v:.3g}")
    assert float(sig_figs(v).replace(",", "")) == pytest.approx(expect, rel=1e-12)
    assert len(sig_figs(v).replace(",", "").replace(".", "").lstrip("0")) == 3


def test_significant_figures_keep_whole_units():
    assert sig_figs(72.3333) == "72.3" and sig_figs(1234.56) == "1,235"
    assert sig_figs(99.96) == "100" and sig_figs(0) == "0"


def test_heat_map_has_every_hour_and_grey_suppressed_cells():
    from vru.reports import charts

    grid = [[0] * 24 for _ in range(7)]
    grid[4][22] = 30
    grid[5][23] = None   # suppressed
    svg = charts.to_svg(charts.heatmap(grid, "Heat map"))
    # Every hour label 0..23 is drawn on the axis, even hours with no offence at all.
    for h in range(24):
        assert f">{h}</text>" in svg, h
    assert "Suppressed (small number)" in svg
    assert charts.SUPPRESSED_GREY in svg
    # Zero cells are drawn (in the scale's lightest colour), not left out.
    assert svg.count(charts.SUPPRESSED_GREY) >= 2  # the cell and its legend swatch
    no_supp = [[0] * 24 for _ in range(7)]
    assert "Suppressed" not in charts.to_svg(charts.heatmap(no_supp, "Heat map"))


def test_docx_findings_cross_reference_their_table_caption(tmp_path):
    import docx

    from vru.reports import render
    from vru.reports.document import Finding, FindingList

    doc = _doc()
    doc.sections[0].blocks.insert(0, FindingList([Finding("Mondays were busy.", "t_some")]))
    doc.finalise()
    path = render(doc, "docx", tmp_path)[0]
    d = docx.Document(io.BytesIO(path.read_bytes()))
    xml = d.element.xml
    # The caption of Table 2 carries a bookmark, and the finding a REF field to it.
    assert 'w:name="_Ref_t_some"' in xml
    assert "REF _Ref_t_some \\h" in xml
    bullet = next(p for p in d.paragraphs if p.text.startswith("Mondays were busy."))
    assert bullet.text == "Mondays were busy. (Table 2)"
