"""Reports: one document model (``vru.reports.document``) rendered to HTML, PDF and DOCX.

``render(doc, formats, out_dir)`` writes the requested formats and returns their paths;
``vru.reports.profile.build_profile`` builds the problem profile / SNA document.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from vru.reports.document import Document

FORMATS = ("html", "pdf", "docx")


def parse_formats(text: str | Iterable[str]) -> list[str]:
    items = text.split(",") if isinstance(text, str) else list(text)
    out = []
    for f in (x.strip().lower() for x in items):
        if not f:
            continue
        if f not in FORMATS:
            raise ValueError(f"unknown format {f!r}: choose from {', '.join(FORMATS)}")
        if f not in out:
            out.append(f)
    if not out:
        raise ValueError("no output format given")
    return out


def file_stem(doc: Document) -> str:
    stem = doc.meta.get("file_stem") or doc.title
    return re.sub(r"[^A-Za-z0-9]+", "-", stem).strip("-").lower() or "report"


def render_one(doc: Document, fmt: str) -> bytes:
    if fmt == "html":
        from vru.reports.html import render_html

        return render_html(doc).encode("utf-8")
    if fmt == "pdf":
        from vru.reports.pdf import render_pdf

        return render_pdf(doc)
    if fmt == "docx":
        from vru.reports.docx import render_docx

        return render_docx(doc)
    raise ValueError(f"unknown format {fmt!r}")


def render(doc: Document, formats: str | Iterable[str], out_dir: Path | str) -> list[Path]:
    """Write ``doc`` in each format to ``out_dir``; returns the paths in the order asked."""
    fmts = parse_formats(formats)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in fmts:
        data = render_one(doc, fmt)
        path = out / f"{file_stem(doc)}.{fmt}"
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
        paths.append(path)
    return paths
