"""Rebranding from the workspace settings ([report]): a partnership's colour, font and logo reach
the HTML, the PDF and the DOCX; bad settings are refused with the key named."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from vru.settings import Report, Settings, contrast_on_white

COLOUR = "#7a1f5c"   # a plum no default uses (contrast 9:1 on white)
# A 60 x 30 logo in a green no default uses.
LOGO = ('<svg xmlns="http://www.w3.org/2000/svg" width="60" height="30">'
        '<rect width="60" height="30" fill="#00a651"/></svg>')


@pytest.fixture(scope="module")
def branded(toy_ws, tmp_path_factory):
    from vru.reports import render
    from vru.reports.charts import svg_to_png
    from vru.reports.profile import build_profile

    ws, _ = toy_ws
    logo = Path(ws.path) / "logo.png"
    logo.write_bytes(svg_to_png(LOGO, scale=2.0))
    before = ws.settings.report
    ws.settings.report = Report(organisation="Testshire Violence Reduction Unit", logo="logo.png",
                                colour=COLOUR, font="DejaVu Serif, serif")
    try:
        doc = build_profile(ws, "Alderton", "2023/24")
    finally:
        ws.settings.report = before
    paths = render(doc, ["html", "pdf", "docx"], tmp_path_factory.mktemp("brand"))
    return doc, {p.suffix[1:]: p for p in paths}, logo.read_bytes()


def test_brand_reaches_the_html(branded):
    import base64

    _, paths, logo = branded
    html = paths["html"].read_text()
    assert f"color: {COLOUR}" in html and "#1f5f8b" not in html
    assert "font-family: DejaVu Serif, serif" in html
    assert base64.b64encode(logo).decode() in html
    assert 'alt="Testshire Violence Reduction Unit logo"' in html
    # The charts are drawn in the partnership's colour too.
    assert COLOUR.encode().hex() in base64.b64decode(
        html.split('src="data:image/svg+xml;base64,')[1].split('"')[0]).hex()


def test_brand_reaches_the_pdf(branded):
    import pypdfium2 as pdfium
    from pypdf import PdfReader

    _, paths, _ = branded
    # The logo is an image on the first page, and the heading rule is drawn in the colour.
    first = PdfReader(paths["pdf"]).pages[0]
    sizes = {(im.image.width, im.image.height) for im in first.images}
    assert (120, 60) in sizes
    pdf = pdfium.PdfDocument(paths["pdf"].read_bytes())
    try:
        px = np.asarray(pdf[0].render(scale=2).to_pil().convert("RGB")).reshape(-1, 3)
    finally:
        pdf.close()
    want = np.array([int(COLOUR[i:i + 2], 16) for i in (1, 3, 5)])
    assert (np.abs(px.astype(int) - want).max(axis=1) <= 2).sum() > 500
    fonts = {str(f) for f in _pdf_fonts(paths["pdf"])}
    assert any("DejaVu-Serif" in f for f in fonts), fonts


def _pdf_fonts(path):
    from pypdf import PdfReader

    for page in PdfReader(path).pages[:1]:
        for f in page["/Resources"]["/Font"].values():
            yield f.get_object()["/BaseFont"]


def test_brand_reaches_the_docx(branded):
    import docx
    from docx.shared import RGBColor

    _, paths, logo = branded
    d = docx.Document(io.BytesIO(paths["docx"].read_bytes()))
    rgb = RGBColor.from_string(COLOUR[1:].upper())
    assert d.styles["Heading 1"].font.color.rgb == rgb
    assert d.styles["Normal"].font.name == "DejaVu Serif"
    blobs = [r.target_part.blob for r in d.part.rels.values() if "image" in r.reltype]
    assert logo in blobs
    assert any(p.text == "Testshire Violence Reduction Unit" for p in d.paragraphs[:4])


def test_default_look_is_unchanged(toy_docs):
    _, paths = toy_docs[False]
    assert "color: #1f5f8b" in paths["html"].read_text()


@pytest.mark.parametrize("report,key", [
    ({"colour": "plum"}, "report.colour"),
    ({"colour": "#ffcc00"}, "contrast"),      # yellow on white: unreadable headings
    ({"accent_colour": "#12345"}, "report.accent_colour"),
    ({"logo": "logo.gif"}, "report.logo"),
    ({"font": "Arial; } body { display: none"}, "report.font"),
])
def test_bad_brand_settings_are_refused(report, key):
    with pytest.raises(ValueError, match=key):
        Settings.from_dict({"report": report}).validate()


def test_contrast_formula_matches_wcag_examples():
    # WCAG 2.x: black on white is 21:1, white on white 1:1, #767676 is the lightest grey at 4.5.
    assert contrast_on_white("#000000") == pytest.approx(21.0)
    assert contrast_on_white("#ffffff") == pytest.approx(1.0)
    assert contrast_on_white("#767676") == pytest.approx(4.54, abs=0.01)


def test_missing_logo_is_an_error_naming_it(tmp_path):
    from vru.reports.brand import brand_from_settings

    with pytest.raises(ValueError, match="report.logo: cannot read .*nope.png"):
        brand_from_settings(Report(logo="nope.png"), tmp_path)
