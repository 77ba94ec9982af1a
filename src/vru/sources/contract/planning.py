"""Planning an import: find the files, read each header, pick the contract it matches.

Every file is checked before the workspace is touched; one unusable file refuses the whole
import, naming the file and its columns. Each file's form is decided here, once: for text,
its encoding, line endings and delimiter (``vru.sources.textfiles``); for Excel, its data sheet,
header row and merged ranges (``excel``). Files found but not imported (system and lock files,
unsupported types, archives nested too deep) are listed with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from vru.sources import textfiles
from vru.sources.contract import excel
from vru.sources.contract.model import Contract, Source
from vru.sources.files import DEFAULT_LIMITS, ImportRefused, InputFile, Limits, discover


def normalise_header(name: str) -> str:
    out = "".join(ch if ch.isalnum() else "_" for ch in name.strip().lower())
    while "__" in out:
        out = out.replace("__", "_")
    return out.strip("_")


@dataclass
class Planned:
    f: InputFile
    contract: Contract
    header: list[str]          # contract column names, in file order ("" = a column ignored)
    sha256: str
    form: str                  # csv | xlsx | extra suffix
    size: int = 0              # bytes of (decompressed) content
    encoding: str | None = None     # text files: the Python codec name used to decode
    delimiter: str = ","
    newline: str = "LF"             # LF | CRLF | CR | mixed (from the file's head)
    trailing: bool = False          # every line ends with a delimiter (an empty last column)
    clean_utf8: bool = False        # every byte is valid UTF-8 (DuckDB may decode it)
    sheet: excel.SheetLayout | None = None
    warnings: list[str] = field(default_factory=list)
    # Known from the file itself, before its rows are read (data.police.uk names its files
    # YYYY-MM-<force>-<kind>.csv): recorded in source_files; the key replaces an earlier file.
    partition_key: str | None = None
    force_slug: str | None = None
    month: date | None = None

    @property
    def fast(self) -> bool:
        """Whether DuckDB's CSV reader may read the file directly (plain UTF-8 on disk, LF or
        CRLF, no trailing delimiter): everything else goes through the Python reader."""
        from vru.sources.files import has_glob_chars

        return (self.form == "csv" and not self.f.member and not has_glob_chars(self.f.path)
                and self.encoding in ("utf-8", "utf-8-sig") and self.clean_utf8
                and self.newline in ("LF", "CRLF")
                and not self.trailing)


@dataclass
class Plan:
    files: list[Planned]
    skipped: list[tuple[str, str]]   # (where, why) for every file found but not imported


def form_of(f: InputFile, source: Source) -> str:
    n = f.name.lower()
    for suffix in source.extra_readers:
        if n.endswith(suffix):
            return suffix
    if n.endswith(".xlsx"):
        return "xlsx"
    return "csv"


def _fits(source: Source, raw: list[str]) -> bool:
    try:
        choose_contract(InputFile(Path("-")), source, raw)
    except ImportRefused:
        return False
    return True


def choose_contract(f: InputFile, source: Source, raw_header: list[str],
                    hint: str = "") -> tuple[Contract, list[str]]:
    """Map a file's header to the source's contract whose columns it matches.

    Columns outside the contract refuse the file, except for a contract that ignores them
    (``extra_columns='ignore'``): those columns are named "" in the returned header."""
    header = [normalise_header(h) for h in raw_header]
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise ImportRefused(f"{f.display}: duplicated columns: {', '.join(dupes)}")
    best: tuple[int, Contract, list[str], list[str]] | None = None
    for c in source.contracts:
        unknown = [h for h in header if h not in c.names]
        missing = sorted(c.required_names() - set(header))
        score = len(missing) + (0 if c.extra_columns == "ignore" else len(unknown))
        if score == 0:
            return c, [h if h in c.names else "" for h in header]
        if best is None or score < best[0]:
            best = (score, c, unknown, missing)
    assert best is not None
    _, c, unknown, missing = best
    problems = []
    if missing:
        problems.append("missing required columns: " + ", ".join(missing))
    if unknown and c.extra_columns != "ignore":
        problems.append("columns not in the contract: " + ", ".join(unknown))
    raise ImportRefused(
        f"{f.display}: columns do not match the {source.name} '{c.kind}' contract; "
        + "; ".join(problems) + hint + f" (see {c.guide or source.guide})"
    )


def _plan_text(f: InputFile, source: Source, encoding: str | None
               ) -> tuple[Contract, list[str], textfiles.TextDigest, str, str, str, bool]:
    d = textfiles.digest(f, text=True)
    if d.size == 0:
        raise ImportRefused(f"{f.display}: empty file (no header row)")
    enc = textfiles.choose_encoding(f, d, encoding)
    text = textfiles.decode_head(d.head, enc)
    newline = textfiles.line_endings(text)
    known = {n for c in source.contracts for n in c.names}
    delim, raw = textfiles.sniff_header(text, known, normalise_header)
    if not raw or all(not c.strip() for c in raw):
        raise ImportRefused(f"{f.display}: empty file (no header row)")
    if any("\udc80" <= ch <= "\udcff" for h in raw for ch in h):
        raise ImportRefused(f"{f.display}: the header row is not {textfiles.describe(enc)} text; "
                            "save the file as UTF-8 CSV or give its encoding (--encoding)")
    trailing = len(raw) > 1 and not raw[-1].strip()
    if trailing:
        raw = raw[:-1]
    hint = ""
    if len(raw) == 1:
        found = [name for ch, name in textfiles.DELIMITERS.items() if ch in raw[0]]
        hint = (f"; the header reads as one column ({textfiles.describe(enc)}, {newline} line "
                "endings" + (f", it holds {' and '.join(found)} characters" if found else "")
                + "); the contract expects columns separated by comma, semicolon, tab or pipe")
        if newline == "LF" and "\r" not in text and "\n" not in text:
            hint += ", one per line"
    contract, header = choose_contract(f, source, raw, hint)
    return contract, header, d, enc, delim, newline, trailing


def plan(source: Source, paths: list[Path | str], limits: Limits = DEFAULT_LIMITS,
         encoding: str | None = None) -> Plan:
    skipped: list[tuple[str, str]] = []
    files = discover(paths, source.suffixes, limits, skipped)
    if not files:
        where = ", ".join(map(str, paths))
        listed = "".join(f"\n  {w}: {why}" for w, why in skipped)
        raise ImportRefused(f"no {', '.join(source.suffixes)} or ZIP files found in {where}{listed}")
    planned: list[Planned] = []
    errors: list[str] = []
    for f in files:
        try:
            form = form_of(f, source)
            if form in source.extra_readers:
                kind, reader = source.extra_readers[form]
                contract = source.contract(kind)
                header, _rows = reader(f, contract)   # header only: the generator is not run
                d = textfiles.digest(f, text=False)
                planned.append(Planned(f, contract, header, d.sha256, form, d.size))
            elif form == "xlsx":
                lay = excel.layout(f, lambda raw: _fits(source, raw))
                contract, header = choose_contract(f, source, lay.header)
                d = textfiles.digest(f, text=False)
                planned.append(Planned(f, contract, header, d.sha256, form, d.size, sheet=lay,
                                       warnings=list(lay.warnings)))
            else:
                contract, header, d, enc, delim, newline, trailing = _plan_text(f, source,
                                                                                 encoding)
                p = Planned(f, contract, header, d.sha256, form, d.size, enc, delim, newline,
                            trailing, d.utf8 in ("ascii", "valid"))
                ignored = [n for n, h in zip(_raw_names(d, enc, delim), header, strict=False)
                           if not h]
                if ignored:
                    p.warnings.append("columns not in the contract, ignored: "
                                      + ", ".join(normalise_header(n) for n in ignored))
                if d.utf8 == "mixed" and enc == "utf-8":
                    p.warnings.append("mixes UTF-8 text with bytes that are not UTF-8: rows "
                                      "holding those bytes are rejected")
                planned.append(p)
        except ImportRefused as exc:
            errors.append(str(exc))
    if errors:
        raise ImportRefused(
            f"{len(errors)} file(s) refused, nothing imported:\n  " + "\n  ".join(errors)
        )
    return Plan(planned, skipped)


def _raw_names(d: textfiles.TextDigest, enc: str, delim: str) -> list[str]:
    return textfiles.first_record(textfiles.decode_head(d.head, enc), delim) or []
