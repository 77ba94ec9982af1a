"""The document model every report is built from, and every renderer reads.

A Document holds Sections; a Section holds blocks: paragraphs, findings (each naming the table
its numbers come from), tables (columns with a kind, rows of ready-to-publish values), charts
(a Vega-Lite spec) and maps (an SVG drawn from our own geometry). Values in tables are already
disclosure-controlled by whoever built the document: renderers never see raw small counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Column kinds: how a value is formatted, and what the disclosure tests look for.
LABEL, COUNT, RATE, CI, PERCENT, TEXT, NUMBER = (
    "label", "count", "rate", "ci", "percent", "text", "number")
MISSING = "–"


@dataclass
class Column:
    name: str
    kind: str = TEXT


@dataclass
class Table:
    id: str
    title: str
    columns: list[Column]
    rows: list[list[Any]]
    note: str = ""
    number: int = 0  # assigned by Document.finalise()

    def text_rows(self) -> list[list[str]]:
        """Every cell as the text a reader sees (the same in HTML, PDF and DOCX)."""
        return [[format_cell(v, c.kind) for v, c in zip(r, self.columns, strict=True)]
                for r in self.rows]

    @property
    def caption(self) -> str:
        return f"Table {self.number}: {self.title}"


@dataclass
class Paragraph:
    text: str


@dataclass
class Finding:
    text: str
    table_id: str


@dataclass
class FindingList:
    findings: list[Finding]


@dataclass
class Chart:
    id: str
    title: str
    spec: dict  # Vega-Lite, data inline
    alt: str
    table_id: str | None = None
    number: int = 0


@dataclass
class MapFigure:
    id: str
    title: str
    svg: str
    alt: str
    table_id: str | None = None
    number: int = 0


Block = Paragraph | FindingList | Table | Chart | MapFigure


@dataclass
class Section:
    id: str
    title: str
    blocks: list[Block] = field(default_factory=list)

    def add(self, block: Block) -> Block:
        self.blocks.append(block)
        return block


@dataclass
class Document:
    title: str
    subtitle: str
    sections: list[Section] = field(default_factory=list)
    privileged: bool = False
    marking: str = ""
    created: datetime = field(default_factory=datetime.now)
    meta: dict[str, Any] = field(default_factory=dict)

    def section(self, id: str, title: str) -> Section:
        s = Section(id, title)
        self.sections.append(s)
        return s

    def tables(self) -> list[Table]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Table)]

    def table(self, table_id: str) -> Table:
        for t in self.tables():
            if t.id == table_id:
                return t
        raise KeyError(table_id)

    def charts(self) -> list[Chart]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Chart)]

    def maps(self) -> list[MapFigure]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, MapFigure)]

    def findings(self) -> list[Finding]:
        return [f for s in self.sections for b in s.blocks if isinstance(b, FindingList)
                for f in b.findings]

    def finalise(self) -> Document:
        """Number tables and figures in reading order; check every finding names a table."""
        t = f = 0
        for s in self.sections:
            for b in s.blocks:
                if isinstance(b, Table):
                    t += 1
                    b.number = t
                elif isinstance(b, Chart | MapFigure):
                    f += 1
                    b.number = f
        ids = {x.id for x in self.tables()}
        for fd in self.findings():
            if fd.table_id not in ids:
                raise ValueError(f"finding refers to unknown table {fd.table_id!r}: {fd.text}")
        return self

    def table_ref(self, table_id: str) -> str:
        return f"Table {self.table(table_id).number}"


def format_cell(value: Any, kind: str) -> str:
    """The text of one cell. Counts may already be the suppression symbol (a str)."""
    if value is None:
        return MISSING
    if isinstance(value, str):
        return value
    if kind == COUNT:
        return f"{int(value):,}"
    if kind == RATE:
        return f"{float(value):,.2f}"
    if kind == PERCENT:
        return f"{float(value):.1f}%"
    if kind == CI and isinstance(value, tuple):
        lo, hi = value
        if lo is None or hi is None:
            return MISSING
        return f"{lo:,.2f} to {hi:,.2f}"
    if kind == NUMBER:
        return f"{float(value):,.2f}" if isinstance(value, float) else f"{value:,}"
    return str(value)
