"""Finding input files (folders, ZIPs, gzip) and reading them safely, for every source."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from vru.errors import VruError

DATA_SUFFIXES = (".csv", ".csv.gz")


class ImportRefused(VruError):
    """A whole file (or the whole import) is refused; the message names the file and why."""


class ImportFailed(ImportRefused):
    """The import stopped part-way (nothing was kept); the message names the files, never a
    value from them."""


@dataclass(frozen=True)
class Limits:
    """Limits on compressed input (see the ``imports.*`` workspace settings)."""

    max_bytes: int = 4096 << 20       # uncompressed bytes, per file and per archive
    max_ratio: float = 200.0          # uncompressed / compressed size of one member or .gz
    max_members: int = 10_000         # entries in one ZIP archive

    @classmethod
    def from_settings(cls, settings) -> Limits:
        imp = settings.imports
        return cls(imp.max_uncompressed_mb << 20, float(imp.max_compression_ratio),
                   imp.max_archive_members)


DEFAULT_LIMITS = Limits()
# Below this many uncompressed bytes the ratio is not checked (a tiny file of one repeated
# character compresses a thousand times and harms nobody).
RATIO_FLOOR = 1 << 20


@dataclass(frozen=True)
class InputFile:
    """One logical input file: a file on disk, a member of a ZIP archive, or a member of a ZIP
    inside a ZIP (one level of nesting is read)."""

    path: Path                 # the file on disk (the ZIP itself for members)
    member: str | None = None  # member name inside the ZIP
    inner: str | None = None   # member name inside the nested ZIP ``member``
    limits: Limits = DEFAULT_LIMITS

    @property
    def name(self) -> str:
        return Path(self.inner or self.member or self.path.name).name

    @property
    def display(self) -> str:
        if self.inner:
            return f"{self.path}!{self.member}!{self.inner}"
        return f"{self.path}!{self.member}" if self.member else str(self.path)

    @property
    def gzipped(self) -> bool:
        return (self.inner or self.member or self.path.name).lower().endswith(".gz")

    def open_binary(self):
        """A binary stream of the decompressed content, within the limits (a stream that would
        exceed them raises ImportRefused naming the file)."""
        if self.member:
            zf = zipfile.ZipFile(self.path)
            info = zf.getinfo(self.member)
            raw = zf.open(info)
            if self.inner:
                data = _Limited(raw, self.display, self.limits, info.compress_size).read()
                zf.close()
                inner_zf = zipfile.ZipFile(io.BytesIO(data))
                info = inner_zf.getinfo(self.inner)
                raw = inner_zf.open(info)
            stream = _Limited(raw, self.display, self.limits, info.compress_size)
            if self.gzipped:
                stream = _Limited(gzip.GzipFile(fileobj=stream), self.display, self.limits,
                                  info.compress_size)
            return io.BufferedReader(stream, 1 << 16)
        if self.gzipped:
            return io.BufferedReader(_Limited(gzip.open(self.path, "rb"), self.display,
                                              self.limits, self.path.stat().st_size), 1 << 16)
        return open(self.path, "rb")

    def open_text(self):
        return io.TextIOWrapper(self.open_binary(), encoding="utf-8-sig", newline="")

    @contextmanager
    def local_path(self, tmp_dir: Path | None = None) -> Iterator[Path]:
        """A path DuckDB can read: the file itself, or a ZIP member extracted to a temp file.

        DuckDB treats ``*``, ``?`` and ``[`` in a path as a glob pattern (which could match
        other files, or none); such a file is given to it through a symlink with a plain name.
        Only for files without personal identifiers (data.police.uk): a temp copy is on disk."""
        if not self.member:
            if not has_glob_chars(self.path):
                yield self.path
                return
            with tempfile.TemporaryDirectory(dir=tmp_dir) as d:
                link = Path(d) / ("file.csv.gz" if self.path.name.endswith(".gz") else "file.csv")
                link.symlink_to(self.path.resolve())
                yield link
            return
        with tempfile.TemporaryDirectory(dir=tmp_dir) as d:
            target = Path(d) / "member.csv"
            with self.open_binary() as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            yield target


class _Limited(io.RawIOBase):
    """A read-only stream that refuses to expand beyond the limits while it is read."""

    def __init__(self, raw, display: str, limits: Limits, compressed: int) -> None:
        self._raw, self._display, self._limits = raw, display, limits
        self._compressed = max(int(compressed), 1)
        self.count = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            chunks = []
            while block := self.read(1 << 20):
                chunks.append(block)
            return b"".join(chunks)
        try:
            data = self._raw.read(size)
        except EOFError:
            raise ImportRefused(f"{self._display}: truncated compressed data (the file ends "
                                "before its end marker: was the copy or download cut short?)"
                                ) from None
        except (zlib.error, gzip.BadGzipFile, zipfile.BadZipFile) as exc:
            raise ImportRefused(f"{self._display}: corrupt compressed data "
                                f"({type(exc).__name__})") from None
        self.count += len(data)
        lim = self._limits
        if self.count > lim.max_bytes:
            raise ImportRefused(f"{self._display}: expands beyond {lim.max_bytes >> 20} MB "
                                "(setting imports.max_uncompressed_mb); refused")
        if self.count > RATIO_FLOOR and self.count > lim.max_ratio * self._compressed:
            raise ImportRefused(f"{self._display}: expands more than {lim.max_ratio:g} times its "
                                "compressed size (setting imports.max_compression_ratio); "
                                "refused as a possible zip bomb")
        return data

    def readinto(self, b) -> int:
        data = self.read(len(b))
        b[:len(data)] = data
        return len(data)

    def close(self) -> None:
        with suppress(Exception):
            self._raw.close()
        super().close()


def has_glob_chars(path: Path | str) -> bool:
    """Whether DuckDB's file readers would take this path for a glob pattern."""
    return any(ch in str(path) for ch in "*?[{")


SYSTEM_FILES = {".ds_store", "thumbs.db", "desktop.ini", "ehthumbs.db", "icon\r"}


def skip_reason(name: str, suffixes: tuple[str, ...]) -> str | None:
    """Why a file found in a folder or archive is not imported (None: it is imported)."""
    base = Path(name).name
    low = base.lower()
    if base.startswith("~$"):
        return "Office lock file (the workbook is open in Excel), skipped"
    if low in SYSTEM_FILES or base.startswith("._") or "__macosx/" in name.lower():
        return "system file, skipped"
    if base.startswith("."):
        return "hidden file, skipped"
    if low.endswith(suffixes):
        return None
    if low.endswith(".xls"):
        return "Excel 97-2003 .xls workbook, not read: save it as .xlsx"
    suffix = Path(low).suffix or "(no suffix)"
    return f"not a supported file type ({suffix}; expected {', '.join(suffixes)})"


def discover(paths: list[Path | str], suffixes: tuple[str, ...] = DATA_SUFFIXES,
             limits: Limits = DEFAULT_LIMITS,
             skipped: list[tuple[str, str]] | None = None) -> list[InputFile]:
    """Expand folders (recursively) and ZIP archives (and ZIPs inside them, one level) into a
    sorted list of input files. Every file found but not imported is appended to ``skipped``
    as (where, why)."""
    found: list[InputFile] = []
    skipped = skipped if skipped is not None else []
    for p in map(Path, paths):
        if not p.exists():
            raise ImportRefused(f"{p}: no such file or folder")
        if p.is_dir():
            for child in sorted(p.rglob("*")):
                if child.is_file():
                    found.extend(_expand(child, suffixes, False, limits, skipped))
        else:
            found.extend(_expand(p, suffixes, True, limits, skipped))
    return found


def _expand(p: Path, suffixes: tuple[str, ...], explicit: bool, limits: Limits,
            skipped: list[tuple[str, str]]) -> list[InputFile]:
    name = p.name.lower()
    if name.endswith(".zip") and not p.name.startswith("~$"):
        try:
            with zipfile.ZipFile(p) as zf:
                return _members(p, zf, suffixes, limits, skipped)
        except zipfile.BadZipFile as exc:
            raise ImportRefused(f"{p}: not a readable ZIP archive ({exc})") from exc
    reason = skip_reason(p.name, suffixes)
    if reason is None:
        return [InputFile(p, limits=limits)]
    if explicit and not p.name.startswith("~$"):
        raise ImportRefused(
            f"{p}: unsupported file type; expected one of {', '.join(suffixes)} or .zip"
        )
    skipped.append((str(p), reason))
    return []


def _check_archive(where: str, infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    if len(infos) > limits.max_members:
        raise ImportRefused(f"{where}: {len(infos):,} entries, more than {limits.max_members:,} "
                            "(setting imports.max_archive_members); refused")
    total = sum(i.file_size for i in infos)
    if total > limits.max_bytes:
        raise ImportRefused(f"{where}: would expand to {total / 2**20:,.1f} MB, more than "
                            f"{limits.max_bytes >> 20} MB (setting imports.max_uncompressed_mb); "
                            "refused")
    for i in infos:
        if i.file_size > RATIO_FLOOR and i.file_size > limits.max_ratio * max(i.compress_size, 1):
            raise ImportRefused(f"{where}!{i.filename}: expands {i.file_size / max(i.compress_size, 1):,.0f} "
                                f"times, more than {limits.max_ratio:g} (setting "
                                "imports.max_compression_ratio); refused as a possible zip bomb")


def _members(p: Path, zf: zipfile.ZipFile, suffixes: tuple[str, ...], limits: Limits,
             skipped: list[tuple[str, str]]) -> list[InputFile]:
    infos = [i for i in zf.infolist() if not i.is_dir()]
    _check_archive(str(p), infos, limits)
    out: list[InputFile] = []
    for info in sorted(infos, key=lambda i: i.filename):
        m = info.filename
        where = f"{p}!{m}"
        if info.flag_bits & 0x1:
            raise ImportRefused(f"{where}: the member is password-protected (encrypted ZIP); "
                                "unzip it with its password and import the files")
        if m.lower().endswith(".zip") and skip_reason(m, (".zip",)) is None:
            out.extend(_nested(p, info, suffixes, limits, skipped))
            continue
        reason = skip_reason(m, suffixes)
        if reason is None:
            out.append(InputFile(p, m, limits=limits))
        else:
            skipped.append((where, reason))
    return out


def _nested(p: Path, info: zipfile.ZipInfo, suffixes: tuple[str, ...], limits: Limits,
            skipped: list[tuple[str, str]]) -> list[InputFile]:
    """A ZIP inside the ZIP: its members are read (one level); deeper archives are listed."""
    where = f"{p}!{info.filename}"
    outer = InputFile(p, info.filename, limits=limits)
    try:
        with outer.open_binary() as fh:
            data = fh.read()
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ImportRefused(f"{where}: nested ZIP is not a readable ZIP archive") from None
    out: list[InputFile] = []
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        _check_archive(where, infos, limits)
        for i in sorted(infos, key=lambda i: i.filename):
            w = f"{where}!{i.filename}"
            if i.filename.lower().endswith(".zip"):
                skipped.append((w, "ZIP nested more than one level deep, not read: extract it"))
                continue
            reason = skip_reason(i.filename, suffixes)
            if reason is None:
                out.append(InputFile(p, info.filename, i.filename, limits=limits))
            else:
                skipped.append((w, reason))
    return out


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
