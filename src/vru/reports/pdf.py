"""PDF via WeasyPrint from the same HTML (charts and maps as PNG, so the PDF prints anywhere).

Every page carries a running header (the document's title, or its ``running_header``), its
classification and marking in the footer, and "Page N of M": CSS paged-media margin boxes,
which WeasyPrint draws itself.

The PDF is tagged and written as PDF/UA-1 (WeasyPrint's ``pdf_variant``): a structure tree with
the HTML's headings, lists, tables (header cells as TH) and figures (each with the image's alt
text), the document language and title; the margin boxes are artifacts, not content.
"""

from __future__ import annotations

import logging

from vru.reports.brand import brand_of
from vru.reports.document import Document
from vru.reports.html import render_html

PDF_VARIANT = "pdf/ua-1"  # tagged, accessible PDF (implies pdf_tags)


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def page_css(doc: Document) -> str:
    header = doc.meta.get("running_header") or doc.title
    footer = " ".join(x for x in (classification(doc) + ":", doc.marking) if x)
    box = f"font-family: {brand_of(doc).font}; font-size: 8pt; color: #444;"
    return f"""
@page {{ size: A4; margin: 20mm 14mm 18mm;
  @top-center {{ content: {_css_string(header)}; {box} }}
  @bottom-left {{ content: {_css_string(footer)}; {box} font-weight: bold; }}
  @bottom-right {{ content: "Page " counter(page) " of " counter(pages); {box} }} }}
"""


def classification(doc: Document) -> str:
    """The Government Security Classification shown on every page."""
    return doc.meta.get("classification") or ("OFFICIAL-SENSITIVE" if doc.privileged
                                              else "OFFICIAL")


def render_pdf(doc: Document) -> bytes:
    import weasyprint

    # WeasyPrint logs every CSS property it ignores at WARNING; those are not the user's concern.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    html = render_html(doc, images="png")
    return weasyprint.HTML(string=html, base_url=None).write_pdf(
        stylesheets=[weasyprint.CSS(string=page_css(doc))], pdf_variant=PDF_VARIANT)
