"""PDF via WeasyPrint from the same HTML (charts and maps as PNG, so the PDF prints anywhere)."""

from __future__ import annotations

import logging

from vru.reports.document import Document
from vru.reports.html import render_html


def render_pdf(doc: Document) -> bytes:
    import weasyprint

    # WeasyPrint logs every CSS property it ignores at WARNING; those are not the user's concern.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    html = render_html(doc, images="png")
    return weasyprint.HTML(string=html, base_url=None).write_pdf()
