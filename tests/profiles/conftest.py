"""Fixtures for profile tests: the toy force area, built once per session, and text helpers."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from vru.testing import new_workspace, toy


@pytest.fixture(scope="session")
def toy_ws(tmp_path_factory):
    ws = new_workspace(tmp_path_factory.mktemp("toy") / "ws", area_name="Testshire")
    truth = toy.build(ws)
    yield ws, truth
    ws.close()


@pytest.fixture(scope="session")
def toy_docs(toy_ws):
    """The Alderton 2023/24 profile, non-privileged and privileged, rendered in all formats."""
    from vru.reports import render
    from vru.reports.profile import build_profile

    ws, truth = toy_ws
    out = {}
    root = Path(ws.path) / "exports"
    for priv in (False, True):
        doc = build_profile(ws, "Alderton", "2023/24", privileged=priv)
        paths = render(doc, ["html", "pdf", "docx"], root / ("priv" if priv else "public"))
        out[priv] = (doc, {p.suffix[1:]: p for p in paths})
    return out


# ----------------------------------------------------------------------------- text helpers
def html_text(path: Path) -> str:
    import lxml.html

    tree = lxml.html.fromstring(path.read_bytes())
    for bad in tree.xpath("//style|//script"):
        bad.drop_tree()
    return " ".join(tree.itertext())


def pdf_text(path: Path) -> str:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(path.read_bytes())
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in pdf)
    finally:
        pdf.close()


def docx_text(path: Path) -> str:
    import docx

    d = docx.Document(io.BytesIO(path.read_bytes()))
    parts = [p.text for p in d.paragraphs]
    for t in d.tables:
        for row in t.rows:
            parts.extend(c.text for c in row.cells)
    return "\n".join(parts)


def small_integers(text: str, upper: int) -> list[str]:
    """Standalone whole numbers from 1 to ``upper`` in running text, with context.

    Not counted: digits inside words or codes (E01990001, 1st, 150m), decimals (0.35),
    percentages (5.0%, 95%), money (£5: not a count), clock times (22:00), ISO timestamps, "2023/24", codes in quotes
    ('1' in a list of Home Office offence codes), and table/figure labels ("Table 3").
    Everything else that looks like a small number is reported.
    """
    t = re.sub(r"\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2})?", " ", text)
    t = re.sub(r"\b\d{1,2}:\d{2}\b", " ", t)
    t = re.sub(r"\b(?:Table|Figure)\s+\d+", " ", t)
    t = re.sub(r"\bPage\s+\d+\s+of\s+\d+", " ", t)  # the PDF's page numbers
    t = re.sub(r"\b\d{1,3}(?:,\d{3})+\b", lambda m: m.group(0).replace(",", ""), t)
    hits = []
    for m in re.finditer(r"(?<![\w./+\-−'‘£])(\d+)(?![\w.:%/'’]|\s*%)", t):
        if 1 <= int(m.group(1)) <= upper:
            hits.append(t[max(0, m.start() - 40):m.end() + 20].replace("\n", " "))
    return hits
