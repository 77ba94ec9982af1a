"""Planning an import: find the files, read each header, pick the contract it matches.

Every file is checked before the workspace is touched; one unusable file refuses the whole
import, naming the file and its columns.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from vru.sources.contract.model import Contract, Source
from vru.sources.files import ImportRefused, InputFile, content_digest, discover


def normalise_header(name: str) -> str:
    out = "".join(ch if ch.isalnum() else "_" for ch in name.strip().lower())
    while "__" in out:
        out = out.replace("__", "_")
    return out.strip("_")


@dataclass
class Planned:
    f: InputFile
    contract: Contract
    header: list[str]          # contract column names, in file order
    sha256: str
    form: str                  # csv | xlsx | extra suffix
    size: int = 0              # bytes of (decompressed) content


def _form(f: InputFile, source: Source) -> str:
    n = f.name.lower()
    for suffix in source.extra_readers:
        if n.endswith(suffix):
            return suffix
    if n.endswith(".xlsx"):
        return "xlsx"
    return "csv"


def header_csv(f: InputFile) -> list[str]:
    # Decode the first line only: a bad byte further down is a row problem, not a file problem.
    try:
        with f.open_binary() as fh:
            first = fh.read(1 << 16).split(b"\n", 1)[0]
        row = next(csv.reader([first.decode("utf-8-sig").rstrip("\r")]), None)
    except UnicodeDecodeError:
        raise ImportRefused(f"{f.display}: not a UTF-8 text CSV file") from None
    except (OSError, EOFError, csv.Error, zipfile.BadZipFile) as exc:
        raise ImportRefused(f"{f.display}: cannot be read as CSV ({type(exc).__name__})") from None
    if not row or all(not c.strip() for c in row):
        raise ImportRefused(f"{f.display}: empty file (no header row)")
    return row


def open_xlsx(f: InputFile):
    import openpyxl  # read-only mode streams the sheet from the ZIP; no temp copies are written

    try:
        if f.member:
            with f.open_binary() as fh:
                data = io.BytesIO(fh.read())
            wb = openpyxl.load_workbook(data, read_only=True, data_only=True)
        else:
            wb = openpyxl.load_workbook(f.path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for bad workbooks
        raise ImportRefused(f"{f.display}: not a readable Excel .xlsx workbook "
                            f"({type(exc).__name__})") from None
    return wb


def header_xlsx(f: InputFile) -> list[str]:
    wb = open_xlsx(f)
    try:
        ws = wb.worksheets[0]
        row = next(ws.iter_rows(max_row=1, values_only=True), None)
    finally:
        wb.close()
    if not row or all(v is None or not str(v).strip() for v in row):
        raise ImportRefused(f"{f.display}: empty first sheet (no header row)")
    header = [("" if v is None else str(v)) for v in row]
    while header and not header[-1].strip():
        header.pop()
    return header


def choose_contract(f: InputFile, source: Source,
                    raw_header: list[str]) -> tuple[Contract, list[str]]:
    """Map a file's header to the source's contract whose columns it matches."""
    header = [normalise_header(h) for h in raw_header]
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise ImportRefused(f"{f.display}: duplicated columns: {', '.join(dupes)}")
    best: tuple[int, Contract, list[str], list[str]] | None = None
    for c in source.contracts:
        unknown = [h for h in header if h not in c.names]
        missing = sorted(c.required_names() - set(header))
        score = len(unknown) + len(missing)
        if score == 0:
            return c, header
        if best is None or score < best[0]:
            best = (score, c, unknown, missing)
    assert best is not None
    _, c, unknown, missing = best
    problems = []
    if missing:
        problems.append("missing required columns: " + ", ".join(missing))
    if unknown:
        problems.append("columns not in the contract: " + ", ".join(unknown))
    raise ImportRefused(
        f"{f.display}: columns do not match the {source.name} '{c.kind}' contract; "
        + "; ".join(problems) + f" (see docs/guide/hub-{source.name.replace('_', '-')}.md)"
    )


def plan(source: Source, paths: list[Path | str]) -> list[Planned]:
    files = discover(paths, source.suffixes)
    if not files:
        raise ImportRefused(
            f"no {', '.join(source.suffixes)} or ZIP files found in " + ", ".join(map(str, paths))
        )
    planned: list[Planned] = []
    errors: list[str] = []
    for f in files:
        try:
            form = _form(f, source)
            if form in source.extra_readers:
                kind, reader = source.extra_readers[form]
                contract = source.contract(kind)
                header, _rows = reader(f, contract)   # header only: the generator is not run
            else:
                raw = header_xlsx(f) if form == "xlsx" else header_csv(f)
                contract, header = choose_contract(f, source, raw)
            sha256, size = content_digest(f)
            planned.append(Planned(f, contract, header, sha256, form, size))
        except ImportRefused as exc:
            errors.append(str(exc))
    if errors:
        raise ImportRefused(
            f"{len(errors)} file(s) refused, nothing imported:\n  " + "\n  ".join(errors)
        )
    return planned

