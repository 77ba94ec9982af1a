"""Reading a PDF's logical structure with pypdf (an independent reader, not our writer)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Structure:
    marked: bool
    lang: str | None
    title: str | None
    tags: Counter = field(default_factory=Counter)
    figure_alts: list[str | None] = field(default_factory=list)
    headings: list[str] = field(default_factory=list)
    tables_with_th: int = 0
    pages: int = 0


def pdf_structure(path: Path) -> Structure:
    from pypdf import PdfReader

    r = PdfReader(path)
    root = r.trailer["/Root"]
    mark = root.get("/MarkInfo")
    st = Structure(marked=bool(mark and mark.get_object().get("/Marked")),
                   lang=root.get("/Lang"), title=(r.metadata or {}).get("/Title"),
                   pages=len(r.pages))
    tree = root.get("/StructTreeRoot")
    if tree is None:
        return st

    def walk(node, in_table: list[bool]) -> None:
        node = node.get_object()
        if isinstance(node, list):
            for c in node:
                walk(c, in_table)
            return
        if not hasattr(node, "get"):
            return  # a marked-content id (an int): content, not structure
        tag = node.get("/S")
        if tag:
            st.tags[tag] += 1
        if tag == "/Figure":
            st.figure_alts.append(node.get("/Alt"))
        if tag in ("/H1", "/H2", "/H3"):
            st.headings.append(tag)
        if tag == "/Table":
            flag = [False]
            kids = node.get("/K")
            if kids is not None:
                walk(kids, flag)
            st.tables_with_th += flag[0]
            return
        if tag == "/TH" and in_table:
            in_table[0] = True
        kids = node.get("/K")
        if kids is not None:
            walk(kids, in_table)

    walk(tree.get_object().get("/K"), [])
    return st
