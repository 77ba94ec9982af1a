"""Excel (.xlsx) partner files, read as a partner's spreadsheet really is.

openpyxl's read-only mode streams the sheet from the ZIP (no temp copies are written). What a
workbook can hide is made explicit, each with a message naming the sheet and the cell:
- the first *visible* sheet is read; hidden sheets and further sheets are listed as warnings;
- title rows above the header (a report title, a blank line) are skipped, with a warning naming
  the header's row;
- a formula cell whose result was never saved (a file written by a program, not by Excel)
  rejects its row, naming the cell, instead of reading as an empty value;
- a merged cell range rejects the rows it covers below or right of its first cell (only the
  first cell holds the value), naming the range; merged cells in the header refuse the file;
- a password-protected (encrypted) workbook, or an old .xls saved under an .xlsx name, is
  refused with that reason; Office lock files (``~$name.xlsx``) are skipped when discovered.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from vru.sources.files import ImportRefused, InputFile

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
TITLE_ROWS = 10  # the header is looked for in this many rows at the top of the sheet


@dataclass
class SheetLayout:
    sheet: str
    header_row: int                       # Excel row number of the header (1 = first row)
    header: list[str]
    merged: list[tuple[int, int, int, int, str]] = field(default_factory=list)  # c0,r0,c1,r1,ref
    warnings: list[str] = field(default_factory=list)


def _load(f: InputFile, data_only: bool):
    import openpyxl

    with f.open_binary() as fh:
        magic = fh.read(8)
    if magic == OLE_MAGIC:
        with f.open_binary() as fh:
            data = fh.read(64 << 20)
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise ImportRefused(f"{f.display}: the workbook is password-protected (encrypted); "
                                "save an unprotected copy and import that")
        raise ImportRefused(f"{f.display}: an Excel 97-2003 (.xls) workbook under an .xlsx name; "
                            "open it in Excel and save it as .xlsx")
    try:
        if f.member:
            with f.open_binary() as fh:
                source: Any = io.BytesIO(fh.read())
        else:
            source = f.path
        return openpyxl.load_workbook(source, read_only=True, data_only=data_only)
    except ImportRefused:
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for bad workbooks
        raise ImportRefused(f"{f.display}: not a readable Excel .xlsx workbook "
                            f"({type(exc).__name__})") from None


def _data_sheet(f: InputFile, wb) -> tuple[Any, list[str]]:
    visible = [ws for ws in wb.worksheets if ws.sheet_state == "visible"]
    hidden = [ws.title for ws in wb.worksheets if ws.sheet_state != "visible"]
    if not visible:
        raise ImportRefused(f"{f.display}: every sheet is hidden ({', '.join(hidden)}); "
                            "unhide the data sheet")
    warnings = [f"sheet '{t}' is hidden and was not read" for t in hidden]
    warnings += [f"sheet '{ws.title}' was not read (only the first visible sheet, "
                 f"'{visible[0].title}', is)" for ws in visible[1:] if ws.max_row and ws.max_row > 1]
    return visible[0], warnings


def _merged(wb, ws) -> list[tuple[int, int, int, int, str]]:
    """Merged ranges of a read-only sheet, from the sheet's XML (read-only mode does not parse
    them): a streaming parse that keeps nothing but the ``mergeCell`` references."""
    from lxml import etree

    path = getattr(ws, "_worksheet_path", None)
    archive = getattr(wb, "_archive", None)
    if path is None or archive is None:
        return []
    out = []
    with archive.open(path) as fh:
        for _ev, el in etree.iterparse(fh, events=("end",), resolve_entities=False,
                                       no_network=True, load_dtd=False):
            if etree.QName(el.tag).localname == "mergeCell":
                ref = el.get("ref", "")
                try:
                    from openpyxl.utils.cell import range_boundaries

                    c0, r0, c1, r1 = range_boundaries(ref)
                except (TypeError, ValueError):
                    continue
                out.append((c0, r0, c1, r1, ref))
            elif etree.QName(el.tag).localname == "row":
                el.clear()
    return out


def _trimmed(row: tuple) -> list[str]:
    header = [("" if v is None else str(v)) for v in row]
    while header and not header[-1].strip():
        header.pop()
    return header


def layout(f: InputFile, matches: Callable[[list[str]], bool]) -> SheetLayout:
    """The data sheet, its header row (title rows above it skipped) and merged ranges."""
    wb = _load(f, data_only=True)
    try:
        ws, warnings = _data_sheet(f, wb)
        top = [_trimmed(r) for r in ws.iter_rows(max_row=TITLE_ROWS, values_only=True)]
        merged = _merged(wb, ws)
    finally:
        wb.close()
    rows = [(i + 1, r) for i, r in enumerate(top) if any(c.strip() for c in r)]
    if not rows:
        raise ImportRefused(f"{f.display}: sheet '{ws.title}' is empty (no header row)")
    header_row, header = rows[0]
    if not matches(header):
        for r, cand in rows[1:]:
            if matches(cand):
                warnings.append(f"sheet '{ws.title}': the header is on row {r} (cell A{r}); "
                                f"{r - 1} title row(s) above it were skipped")
                header_row, header = r, cand
                break
    for c0, r0, _c1, r1, ref in merged:
        if r0 <= header_row <= r1 and c0 <= len(header):
            raise ImportRefused(f"{f.display}: sheet '{ws.title}' cells {ref} are merged in the "
                                "header row; unmerge them so each column has its own name")
    return SheetLayout(ws.title, header_row, header, merged, warnings)


def excel_text(v: Any, ctype: str) -> str | None:
    """An Excel cell as the text a CSV export would hold (dates ISO, whole numbers no '.0')."""
    if v is None:
        return None
    if isinstance(v, datetime):
        if ctype == "date":
            return v.date().isoformat()
        if ctype == "time":
            return v.strftime("%H:%M:%S")
        return v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, time):
        return v.strftime("%H:%M:%S")
    if isinstance(v, bool):
        return "Y" if v else "N"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    return str(v)


_FORMULA = re.compile(r"^=")


def iter_rows(f: InputFile, lay: SheetLayout, types: list[str], names: list[str]
              ) -> Iterator[tuple[int, list[str | None] | None, str | None, str | None]]:
    """(row number, values, field, reason): values None for a row that cannot be read as it
    stands (formula without a saved value, merged cells); row 1 = the first data row."""
    width = len(types)
    values_wb = _load(f, data_only=True)
    formulas_wb = _load(f, data_only=False)
    try:
        vs = values_wb[lay.sheet].iter_rows(min_row=lay.header_row + 1, values_only=True)
        fs = formulas_wb[lay.sheet].iter_rows(min_row=lay.header_row + 1, values_only=True)
        merged = [m for m in lay.merged if m[0] <= width and m[3] > lay.header_row]
        n = 0
        for excel_row, (row, frow) in enumerate(zip(vs, fs, strict=False), lay.header_row + 1):
            row = tuple(row or ())[:width]
            frow = tuple(frow or ())[:width]
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in row) and \
                    all(v is None or (isinstance(v, str) and not v.strip()) for v in frow):
                continue  # blank rows are not data
            n += 1
            problem = None
            for c0, r0, c1, r1, ref in merged:
                if r0 <= excel_row <= r1 and (excel_row > r0 or c1 > c0):
                    col = c0 if excel_row > r0 else c0 + 1
                    problem = (names[col - 1] if col - 1 < len(names) else None,
                               f"sheet '{lay.sheet}' cell {_column_letter(col)}{excel_row}: "
                               f"in merged cells {ref} (only {ref.split(':')[0]} holds a value; "
                               "unmerge and fill every row)")
                    break
            if problem is None:
                for i in range(width):
                    v = row[i] if i < len(row) else None
                    fv = frow[i] if i < len(frow) else None
                    if v is None and isinstance(fv, str) and _FORMULA.match(fv):
                        problem = (names[i],
                                   f"sheet '{lay.sheet}' cell {_column_letter(i + 1)}{excel_row}: "
                                   "formula with no saved value (open the workbook in Excel, let "
                                   "it calculate and save it, or paste values)")
                        break
            if problem is not None:
                yield n, None, problem[0], problem[1]
                continue
            yield n, [excel_text(row[i] if i < len(row) else None, types[i])
                      for i in range(width)], None, None
    finally:
        values_wb.close()
        formulas_wb.close()


def _column_letter(col: int) -> str:
    # openpyxl imported here, not at module level: importing it costs most of a second of
    # every `vru` command's start-up, and only Excel imports need it.
    from openpyxl.utils.cell import get_column_letter

    return get_column_letter(col)
