"""Word documents with python-docx: native (editable) tables, charts and maps as PNG images.

A4 pages; a real table of contents (a Word TOC field over the heading styles, filled when Word
updates fields on opening); captions in Word's Caption style numbered by SEQ fields (so Word's
own table of figures and cross-references work); the running header, the classification and
marking and the page number (a PAGE field) on every page. The partnership's font, colour and logo
(``vru.reports.brand``) are set on the styles, so a Word user restyles the whole document at
once."""

from __future__ import annotations

import io
import re

from docx import Document as WordDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Inches, Mm, Pt, RGBColor

from vru.reports import charts
from vru.reports.brand import brand_of
from vru.reports.document import Chart, Document, FindingList, MapFigure, Paragraph, Table

NUMERIC = {"count", "rate", "ci", "percent", "number"}
SIG_FILL = {"higher": "F6C7C3", "lower": "C8E3C8", "similar": "FBEEA5"}


def render_docx(doc: Document) -> bytes:
    from vru.reports.pdf import classification

    brand = brand_of(doc)
    d = WordDocument()
    style = d.styles["Normal"]
    style.font.name = brand.first_font
    style.font.size = Pt(10)
    for name in ("Title", "Heading 1", "Heading 2", "Caption", "TOC Heading"):
        if name in [x.name for x in d.styles]:
            d.styles[name].font.color.rgb = RGBColor(*brand.rgb())
            d.styles[name].font.name = brand.first_font
    sec = d.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.left_margin = sec.right_margin = Mm(18)
    sec.top_margin = sec.bottom_margin = Mm(20)
    sec.header.paragraphs[0].text = doc.meta.get("running_header") or doc.title
    foot = sec.footer.paragraphs[0]
    foot.add_run(" ".join(x for x in (classification(doc) + ":", doc.marking) if x)).bold = True
    foot.add_run("\tPage ")
    _field(foot, "PAGE", "1")
    if brand.logo:
        _logo(d, brand, doc)
    if brand.organisation:
        d.add_paragraph().add_run(brand.organisation).bold = True
    d.add_heading(doc.title, level=0)
    p = d.add_paragraph(doc.subtitle)
    p.runs[0].font.size = Pt(13)
    if doc.marking:
        r = d.add_paragraph().add_run(doc.marking)
        r.bold = True
        r.font.color.rgb = RGBColor(0x9C, 0x40, 0x00)
    d.add_paragraph(f"Produced by vru at {doc.created:%Y-%m-%d %H:%M}.")
    d.add_paragraph("Contents", style="TOC Heading" if "TOC Heading" in
                    [x.name for x in d.styles] else None).runs[0].bold = True
    _field(d.add_paragraph(), 'TOC \\o "1-1" \\h \\z \\u',
           "Right-click and choose Update Field to show the table of contents.")
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
            # A real cross-reference: a REF field to the table caption's bookmark.
            p = d.add_paragraph(f"{f.text} (", style="List Bullet")
            _field(p, f"REF {_bookmark(f.table_id)} \\h", doc.table_ref(f.table_id))
            p.add_run(")")
    elif isinstance(b, Table):
        _table(d, b)
    elif isinstance(b, Chart):
        _picture(d, b.number, b.title, charts.to_png(b.spec), b.alt)
    elif isinstance(b, MapFigure):
        _picture(d, b.number, b.title, charts.svg_to_png(b.svg), b.alt)
    else:
        raise TypeError(f"unknown block {type(b).__name__}")


def _field(paragraph, instruction: str, shown: str) -> None:
    """A Word field (PAGE, TOC, SEQ...) with the text shown until Word updates it."""
    def run_with(el):
        r = paragraph.add_run()
        r._r.append(el)
        return r

    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    begin.set(qn("w:dirty"), "true")  # Word recomputes it on opening
    run_with(begin)
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run_with(instr)
    sep = OxmlElement("w:fldChar")
    sep.set(qn("w:fldCharType"), "separate")
    run_with(sep)
    paragraph.add_run(shown)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run_with(end)


def _bookmark(block_id: str) -> str:
    """Word bookmark names: letters, digits and underscores, starting with a letter."""
    return "_Ref_" + re.sub(r"[^A-Za-z0-9_]", "_", block_id)[:34]


def _caption(d, kind: str, number: int, title: str, block_id: str | None = None) -> None:
    """A real caption: Caption style, 'Table {SEQ Table}: title', with 'Table N' bookmarked
    (``block_id``) so that cross-references (REF fields) point at it."""
    cap = d.add_paragraph(style="Caption")
    if block_id:
        start = OxmlElement("w:bookmarkStart")
        start.set(qn("w:id"), str(number))
        start.set(qn("w:name"), _bookmark(block_id))
        cap._p.append(start)
    cap.add_run(f"{kind} ")
    _field(cap, f"SEQ {kind} \\* ARABIC", str(number))
    if block_id:
        end = OxmlElement("w:bookmarkEnd")
        end.set(qn("w:id"), str(number))
        cap._p.append(end)
    cap.add_run(f": {title}")


def _picture(d, number: int, title: str, png: bytes, alt: str) -> None:
    _caption(d, "Figure", number, title)
    d.add_picture(io.BytesIO(png), width=Inches(6.2))
    pic = d.inline_shapes[-1]
    pic._inline.docPr.set("descr", alt)


def _logo(d, brand, doc: Document) -> None:
    """The logo at the top right of the first page, with its alt text (SVG logos as PNG)."""
    data = brand.logo if brand.logo_mime != "image/svg+xml" else charts.svg_to_png(
        brand.logo.decode("utf-8"))
    p = d.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    p.add_run().add_picture(io.BytesIO(data), height=Mm(18))
    who = brand.organisation or doc.meta.get("area") or "The partnership"
    d.inline_shapes[-1]._inline.docPr.set("descr", f"{who} logo")


def _table(d, t: Table) -> None:
    _caption(d, "Table", t.number, t.title, t.id)
    if t.withheld:
        d.add_paragraph(t.withheld_text)
        return
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
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shd)
