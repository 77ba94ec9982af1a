"""The published files are accessible: the PDF is tagged (read back with pypdf, not with the
library that wrote it), with headings, tables whose header cells are TH and figures with alt
text; every page carries its number and the marking."""

from __future__ import annotations

from .conftest import pdf_text
from .pdf_structure import pdf_structure


def test_pdf_is_tagged_with_headings_tables_and_alt_text(toy_docs):
    doc, paths = toy_docs[False]
    st = pdf_structure(paths["pdf"])
    assert st.marked and st.lang == "en-GB" and st.title == doc.title
    # One H1 (the title), an H2 per section, in the structure tree.
    assert st.tags["/H1"] == 1
    assert st.tags["/H2"] == len(doc.sections)
    # Every table is a Table with header cells (TH) (a table broken across pages is tagged once
    # per page, so there may be more Table elements than tables), every chart and map a Figure
    # with its alt text.
    shown = doc.shown_tables()
    assert st.tags["/Table"] >= len(shown) and st.tables_with_th >= len(shown)
    assert st.tags["/TH"] >= sum(len(t.columns) for t in shown)
    alts = [b.alt for b in doc.charts() + doc.maps()]
    assert sorted(a for a in st.figure_alts if a) == sorted(alts) and all(alts)
    assert len(st.figure_alts) == len(alts)


def test_every_pdf_page_has_its_number_and_marking(toy_docs):
    import pypdfium2 as pdfium

    from vru.reports.pdf import classification

    doc, paths = toy_docs[False]
    pdf = pdfium.PdfDocument(paths["pdf"].read_bytes())
    try:
        n = len(pdf)
        assert n >= 4
        for i, page in enumerate(pdf, start=1):
            text = page.get_textpage().get_text_range().replace("\r\n", " ")
            assert f"Page {i} of {n}" in text, i
            assert classification(doc) in text, i
            if doc.marking:
                assert doc.marking in text, i
    finally:
        pdf.close()
    assert doc.title in pdf_text(paths["pdf"])
