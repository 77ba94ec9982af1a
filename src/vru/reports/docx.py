"""Word documents with python-docx: native (editable) tables, charts and maps as PNG images."""

from __future__ import annotations

import io

from docx import Document as WordDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Inches, Pt, RGBColor

from vru.reports import charts
from vru.reports.document import Chart, Document, FindingList, MapFigure, Paragraph, Table

NUMERIC = {"count", "rate", "ci", "percent", "number"}
SIG_FILL = {"higher": "F6C7C3", "lower": "C8E3C8", "similar": "FBEEA5"}


def render_docx(doc: Document) -> bytes:
    d = WordDocument()
    style = d.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(10)
    d.add_heading(doc.title, level=0)
    p = d.add_paragraph(doc.subtitle)
    p.runs[0].font.size = Pt(13)
    if doc.marking:
        r = d.add_paragraph().add_run(doc.marking)
        r.bold = True
        r.font.color.rgb = RGBColor(0x9C, 0x40, 0x00)
    d.add_paragraph(f"Produced by vru at {doc.created:%Y-%m-%d %H:%M}.")
    for s in doc.sections:
        d.add_heading(s.title, level=1)
        for b in s.blocks:
            _block(d, doc, b)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _block(d, doc: Document, b) -> None:
    if isinstance(b, Paragraph):
        d.add_paragraph(b.text)
    elif isinstance(b, FindingList):
        for f in b.findings:
            d.add_paragraph(f"{f.text} ({doc.table_ref(f.table_id)})", style="List Bullet")
    elif isinstance(b, Table):
        _table(d, b)
    elif isinstance(b, Chart):
        _picture(d, f"Figure {b.number}: {b.title}", charts.to_png(b.spec), b.alt)
    elif isinstance(b, MapFigure):
        _picture(d, f"Figure {b.number}: {b.title}", charts.svg_to_png(b.svg), b.alt)
    else:
        raise TypeError(f"unknown block {type(b).__name__}")


def _picture(d, caption: str, png: bytes, alt: str) -> None:
    cap = d.add_paragraph()
    cap.add_run(caption).bold = True
    d.add_picture(io.BytesIO(png), width=Inches(6.2))
    pic = d.inline_shapes[-1]
    pic._inline.docPr.set("descr", alt)


def _table(d, t: Table) -> None:
    cap = d.add_paragraph()
    cap.add_run(t.caption).bold = True
    rows = t.text_rows()
    table = d.add_table(rows=1 + len(rows), cols=len(t.columns))
    table.style = "Table Grid"
    for j, c in enumerate(t.columns):
        cell = table.rows[0].cells[j]
        cell.text = c.name
        cell.paragraphs[0].runs[0].bold = True
        _shade(cell, "EEF3F7")
    for i, row in enumerate(rows, start=1):
        cells = table.rows[i].cells
        for j, (text, col) in enumerate(zip(row, t.columns, strict=True)):
            cells[j].text = text
            if col.kind in NUMERIC:
                cells[j].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
            if text in SIG_FILL and col.kind == "text":
                _shade(cells[j], SIG_FILL[text])
    if t.note:
        n = d.add_paragraph(t.note)
        n.runs[0].font.size = Pt(8)
        n.runs[0].italic = True


def _shade(cell, fill: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shd)
