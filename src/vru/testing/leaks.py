"""Planted-identifier searches: the tests' proof that no raw identifier reaches disk.

A test plants values (names, dates of birth, postcodes, identifiers) in the files it imports,
then searches every byte under a folder (the workspace, its temp folder, exports) for them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

ENCODINGS = ("utf-8", "utf-16-le", "utf-16-be")


def needles(values: Iterable[str]) -> list[bytes]:
    """Each value as it could land in a file: as given, upper- and lower-case, each in UTF-8 and
    UTF-16 of either byte order (in that order, so ``[::3]`` is the UTF-8 forms)."""
    out: list[bytes] = []
    for s in values:
        for form in dict.fromkeys((s, s.upper(), s.lower())):
            out += [form.encode(enc) for enc in ENCODINGS]
    return out


def _longest_zero_run(b: bytes) -> int:
    return max((len(m) for m in re.findall(b"\x00+", b)), default=0)


def squeeze_zeros(data: bytes, planted: list[bytes]) -> bytes:
    """``data`` with every run of NUL bytes longer than any in ``planted`` cut to that length + 1.

    Why: a DuckDB file is mostly NUL bytes (97% of a new workspace), and ``bytes.__contains__``
    crawls through them for a needle holding NULs (every UTF-16 form): 0.6 s per 6 MB file for 25
    needles, against 15 ms for this squeeze. It keeps the answer exact: with k the longest NUL run
    in any needle, a needle's inner NUL runs (shorter than k + 1, bounded by other bytes) match
    runs of the same length, which are left alone, and its leading or trailing NULs (at most k)
    fit in any run of k + 1 or more, which stays at least k + 1 long. So a needle occurs in the
    squeezed bytes exactly when it occurs in ``data``."""
    k = max(map(_longest_zero_run, planted), default=0) + 1
    return re.sub(b"\x00{%d,}" % (k + 1), b"\x00" * k, data)


def find(root: Path, planted: list[bytes]) -> list[tuple[str, str]]:
    """(file relative to ``root``, value) for every planted value found under ``root``."""
    hits = []
    for p in root.rglob("*"):
        if p.is_file():
            data = squeeze_zeros(p.read_bytes(), planted)
            hits += [(str(p.relative_to(root)), n.decode("utf-8", "replace"))
                     for n in planted if n in data]
    return hits
