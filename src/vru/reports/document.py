"""The document model every report is built from, and every renderer reads.

A Document holds Sections; a Section holds blocks: paragraphs, findings (each naming the table
its numbers come from), tables (columns with a kind, rows of ready-to-publish values), charts
(a Vega-Lite spec) and maps (an SVG drawn from our own geometry). Values in tables are already
disclosure-controlled by whoever built the document: renderers never see raw small counts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Column kinds: how a value is formatted, and what the disclosure tests look for.
LABEL, COUNT, RATE, CI, PERCENT, TEXT, NUMBER = (
    "label", "count", "rate", "ci", "percent", "text", "number")
MISSING = "–"
NUMERIC = frozenset({COUNT, RATE, CI, PERCENT, NUMBER})


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

    @property
    def withheld(self) -> bool:
        """True when every number in the table is suppressed (a string, the disclosure symbol)
        or missing, and at least one is suppressed: renderers print a sentence instead of a
        table of symbols."""
        cells = [r[j] for r in self.rows for j, c in enumerate(self.columns) if c.kind in NUMERIC]
        return bool(cells) and all(isinstance(v, str) or v is None for v in cells) and any(
            isinstance(v, str) for v in cells)

    @property
    def withheld_text(self) -> str:
        return (f"{self.caption}: not shown, because every number in it is a small count "
                "withheld under the disclosure rule.")


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

    def shown_tables(self) -> list[Table]:
        """The tables rendered as tables (not withheld as a sentence)."""
        return [t for t in self.tables() if not t.withheld]

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
        return sig_figs(float(value))
    if kind == PERCENT:
        return f"{float(value):.1f}%"
    if kind == CI and isinstance(value, tuple):
        lo, hi = value
        if lo is None or hi is None:
            return MISSING
        return f"{sig_figs(lo)} to {sig_figs(hi)}"
    if kind == NUMBER:
        return sig_figs(float(value)) if isinstance(value, float) else f"{value:,}"
    return str(value)


def sig_figs(v: float, figures: int = 3) -> str:
    """A measured number to ``figures`` significant figures, without false precision and never
    dropping whole units: 72.3333 -> 72.3, 8.5432 -> 8.54, 0.12345 -> 0.123, 1234.5 -> 1,235."""
    if v == 0 or not math.isfinite(v):
        return "0" if v == 0 else str(v)
    digits = max(0, figures - 1 - math.floor(math.log10(abs(v))))
    r = round(v, digits)
    if r and math.floor(math.log10(abs(r))) > math.floor(math.log10(abs(v))):
        digits = max(0, digits - 1)  # 99.96 rounds up to 100: one figure fewer after the point
        r = round(v, digits)
    return f"{r:,.{digits}f}"
