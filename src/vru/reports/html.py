"""Self-contained HTML: styles inline, charts and maps embedded as data URIs. Opens offline.

``images="svg"`` (the HTML output) embeds vector SVG; ``images="png"`` embeds PNG and is what the
PDF renderer feeds to WeasyPrint. Colours, fonts and the logo are the workspace's (``[report]``
settings, ``vru.reports.brand``).
"""

from __future__ import annotations

from html import escape

from vru.reports import charts
from vru.reports.brand import Brand, brand_of
from vru.reports.document import (
    Chart,
    Document,
    FindingList,
    MapFigure,
    Paragraph,
    Table,
)

CSS = """
body { font-family: FONT; color: #1b1b1b;
       max-width: 960px; margin: 0 auto; padding: 24px; line-height: 1.45; font-size: 15px; }
header { border-bottom: 4px solid #1f5f8b; margin-bottom: 16px; }
h1 { font-size: 28px; margin: 0 0 4px; color: #1f5f8b; }
h2 { font-size: 21px; margin-top: 32px; border-bottom: 1px solid #ccc; padding-bottom: 4px;
     color: #1f5f8b; }
.subtitle { font-size: 17px; color: #444; margin: 0 0 8px; }
.marking { display: inline-block; background: #fde0c5; padding: 2px 8px; font-size: 13px;
           font-weight: bold; }
.meta { font-size: 13px; color: #555; }
table { border-collapse: collapse; margin: 8px 0 4px; font-size: 13px; width: 100%; }
caption { text-align: left; font-weight: bold; padding: 4px 0; caption-side: top; }
th, td { border: 1px solid #c8c8c8; padding: 3px 6px; vertical-align: top; }
th { background: #eef3f7; text-align: left; }
td.count, td.rate, td.ci, td.percent, td.number { text-align: right; white-space: nowrap; }
td.sig-higher { background: #f6c7c3; } td.sig-lower { background: #c8e3c8; }
td.sig-similar { background: #fbeea5; }
.note { font-size: 12px; color: #555; margin: 0 0 12px; }
figure { margin: 12px 0; page-break-inside: avoid; }
figure img { max-width: 100%; }
figcaption { font-weight: bold; font-size: 13px; }
ul.findings li { margin-bottom: 6px; }
a.ref { color: #1f5f8b; }
header img.logo { float: right; max-height: 64px; max-width: 220px; margin-left: 16px; }
.organisation { font-size: 14px; font-weight: bold; color: #444; margin: 0 0 6px; }
@page { size: A4; margin: 16mm 14mm; }
@media print { body { max-width: none; padding: 0; font-size: 11pt; }
  h2 { page-break-after: avoid; }
  table { page-break-inside: auto; } tr { page-break-inside: avoid; } }
"""


def css(brand: Brand) -> str:
    """The stylesheet in the partnership's colour and fonts."""
    return CSS.replace("#1f5f8b", brand.colour).replace("FONT", brand.font)


def render_html(doc: Document, images: str = "svg") -> str:
    brand = brand_of(doc)
    out = [
        "<!DOCTYPE html>",
        '<html lang="en-GB"><head><meta charset="utf-8">',
        f"<title>{escape(doc.title)}</title>",
        f"<style>{css(brand)}</style></head><body>",
        "<header>",
    ]
    if brand.logo:
        who = brand.organisation or doc.meta.get("area") or "The partnership"
        out.append(f'<img class="logo" alt="{escape(who)} logo" '
                   f'src="{charts.data_uri(brand.logo, brand.logo_mime)}">')
    if brand.organisation:
        out.append(f'<p class="organisation">{escape(brand.organisation)}</p>')
    out += [
        f"<h1>{escape(doc.title)}</h1>",
        f'<p class="subtitle">{escape(doc.subtitle)}</p>',
    ]
    if doc.marking:
        out.append(f'<p class="marking">{escape(doc.marking)}</p>')
    out.append(f'<p class="meta">Produced by vru at {doc.created:%Y-%m-%d %H:%M}.</p>')
    out.append("</header>")
    out.append('<nav aria-label="Contents"><p><strong>Contents</strong></p><ul>')
    for s in doc.sections:
        out.append(f'<li><a href="#{escape(s.id)}">{escape(s.title)}</a></li>')
    out.append("</ul></nav><main>")
    for s in doc.sections:
        out.append(f'<section id="{escape(s.id)}"><h2>{escape(s.title)}</h2>')
        for b in s.blocks:
            out.append(_block(doc, b, images, brand))
        out.append("</section>")
    out.append("</main></body></html>")
    return "\n".join(out)


def _block(doc: Document, b, images: str, brand: Brand) -> str:
    if isinstance(b, Paragraph):
        return f"<p>{escape(b.text)}</p>"
    if isinstance(b, FindingList):
        items = []
        for f in b.findings:
            t = doc.table(f.table_id)
            items.append(f'<li>{escape(f.text)} <a class="ref" href="#{escape(t.id)}">'
                         f"(Table {t.number})</a></li>")
        return '<ul class="findings">' + "".join(items) + "</ul>"
    if isinstance(b, Table):
        return _table(b)
    if isinstance(b, Chart):
        spec = charts.themed(b.spec, brand)
        if images == "svg":
            src = charts.data_uri(charts.to_svg(spec), "image/svg+xml")
        else:
            src = charts.data_uri(charts.to_png(spec), "image/png")
        return _figure(b.id, b.number, b.title, b.alt, src)
    if isinstance(b, MapFigure):
        if images == "svg":
            src = charts.data_uri(b.svg, "image/svg+xml")
        else:
            src = charts.data_uri(charts.svg_to_png(b.svg), "image/png")
        return _figure(b.id, b.number, b.title, b.alt, src)
    raise TypeError(f"unknown block {type(b).__name__}")


def _figure(fid: str, number: int, title: str, alt: str, src: str) -> str:
    return (f'<figure id="{escape(fid)}"><figcaption>Figure {number}: {escape(title)}'
            f'</figcaption><img alt="{escape(alt)}" src="{src}"></figure>')


def _table(t: Table) -> str:
    if t.withheld:
        return f'<p id="{escape(t.id)}" class="withheld">{escape(t.withheld_text)}</p>'
    head = "".join(f'<th scope="col">{escape(c.name)}</th>' for c in t.columns)
    body = []
    for row in t.text_rows():
        cells = []
        for text, col in zip(row, t.columns, strict=True):
            cls = col.kind
            if col.kind == "text" and text in ("higher", "similar", "lower"):
                cls += f" sig-{text}"
            cells.append(f'<td class="{cls}">{escape(text)}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    note = f'<p class="note">{escape(t.note)}</p>' if t.note else ""
    return (f'<table id="{escape(t.id)}"><caption>{escape(t.caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{note}")
