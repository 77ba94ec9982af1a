"""Finding input files (folders, ZIPs, gzip) and reading them safely, for every source."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

DATA_SUFFIXES = (".csv", ".csv.gz")


class ImportRefused(Exception):
    """A whole file (or the whole import) is refused; the message names the file and why."""


@dataclass(frozen=True)
class InputFile:
    """One logical input file: a file on disk, or a member of a ZIP archive."""

    path: Path                 # the file on disk (the ZIP itself for members)
    member: str | None = None  # member name inside the ZIP

    @property
    def name(self) -> str:
        return Path(self.member).name if self.member else self.path.name

    @property
    def display(self) -> str:
        return f"{self.path}!{self.member}" if self.member else str(self.path)

    def open_binary(self):
        """A binary stream of the decompressed content."""
        if self.member:
            zf = zipfile.ZipFile(self.path)
            raw = zf.open(self.member)
            return gzip.GzipFile(fileobj=raw) if self.member.endswith(".gz") else raw
        if self.path.name.endswith(".gz"):
            return gzip.open(self.path, "rb")
        return open(self.path, "rb")

    def open_text(self):
        return io.TextIOWrapper(self.open_binary(), encoding="utf-8-sig", newline="")

    @contextmanager
    def local_path(self, tmp_dir: Path | None = None) -> Iterator[Path]:
        """A path DuckDB can read: the file itself, or a ZIP member extracted to a temp file.

        DuckDB treats ``*``, ``?`` and ``[`` in a path as a glob pattern (which could match
        other files, or none); such a file is given to it through a symlink with a plain name."""
        if not self.member:
            if not has_glob_chars(self.path):
                yield self.path
                return
            with tempfile.TemporaryDirectory(dir=tmp_dir) as d:
                link = Path(d) / ("file.csv.gz" if self.path.name.endswith(".gz") else "file.csv")
                link.symlink_to(self.path.resolve())
                yield link
            return
        suffix = ".csv.gz" if self.member.endswith(".gz") else ".csv"
        with tempfile.TemporaryDirectory(dir=tmp_dir) as d:
            target = Path(d) / f"member{suffix}"
            with zipfile.ZipFile(self.path) as zf, zf.open(self.member) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            yield target


def has_glob_chars(path: Path | str) -> bool:
    """Whether DuckDB's file readers would take this path for a glob pattern."""
    return any(ch in str(path) for ch in "*?[{")


def discover(paths: list[Path | str], suffixes: tuple[str, ...] = DATA_SUFFIXES) -> list[InputFile]:
    """Expand folders (recursively) and ZIP archives into a sorted list of input files."""
    found: list[InputFile] = []
    for p in map(Path, paths):
        if not p.exists():
            raise ImportRefused(f"{p}: no such file or folder")
        if p.is_dir():
            for child in sorted(p.rglob("*")):
                if child.is_file():
                    found.extend(_expand(child, suffixes, explicit=False))
        else:
            found.extend(_expand(p, suffixes, explicit=True))
    return found


def _expand(p: Path, suffixes: tuple[str, ...], explicit: bool) -> list[InputFile]:
    name = p.name.lower()
    if name.endswith(".zip"):
        try:
            with zipfile.ZipFile(p) as zf:
                members = sorted(
                    m for m in zf.namelist()
                    if not m.endswith("/") and m.lower().endswith(suffixes)
                    and not Path(m).name.startswith(".")
                )
        except zipfile.BadZipFile as exc:
            raise ImportRefused(f"{p}: not a readable ZIP archive ({exc})") from exc
        return [InputFile(p, m) for m in members]
    if name.endswith(suffixes):
        return [InputFile(p)]
    if explicit:
        raise ImportRefused(
            f"{p}: unsupported file type; expected one of {', '.join(suffixes)} or .zip"
        )
    return []


def content_sha256(f: InputFile) -> str:
    """Checksum of the decompressed content, so a .csv, its .csv.gz and a ZIP member agree."""
    return content_digest(f)[0]


def content_digest(f: InputFile) -> tuple[str, int]:
    """(sha256 of the decompressed content, its size in bytes)."""
    h = hashlib.sha256()
    size = 0
    try:
        with f.open_binary() as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
                size += len(block)
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise ImportRefused(f"{f.display}: cannot be read ({exc})") from exc
    return h.hexdigest(), size


def read_header(f: InputFile) -> list[str]:
    """The header row (BOM and surrounding spaces removed). Refuses empty or binary files."""
    try:
        with f.open_binary() as fh:
            line = fh.readline(1 << 20).decode("utf-8-sig")
        row = next(csv.reader([line]), None)
    except UnicodeDecodeError as exc:
        raise ImportRefused(f"{f.display}: not a UTF-8 text CSV file ({exc.reason})") from exc
    except (OSError, EOFError, csv.Error) as exc:
        raise ImportRefused(f"{f.display}: cannot be read as CSV ({exc})") from exc
    if not row or all(not c.strip() for c in row):
        raise ImportRefused(f"{f.display}: empty file (no header row)")
    return [c.strip() for c in row]


def check_columns(f: InputFile, header: list[str], expected: list[str]) -> None:
    """Refuse a file whose columns are not exactly the expected set (any order)."""
    missing = [c for c in expected if c not in header]
    extra = [c for c in header if c not in expected]
    dupes = sorted({c for c in header if header.count(c) > 1})
    problems = []
    if missing:
        problems.append("missing columns: " + ", ".join(repr(c) for c in missing))
    if extra:
        problems.append("unexpected columns: " + ", ".join(repr(c) for c in extra))
    if dupes:
        problems.append("duplicated columns: " + ", ".join(repr(c) for c in dupes))
    if problems:
        raise ImportRefused(f"{f.display}: wrong columns; " + "; ".join(problems))
