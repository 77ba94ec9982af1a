"""Planted-identifier searches: the tests' proof that no raw identifier reaches disk.

A test plants values (names, dates of birth, postcodes, identifiers) in the files it imports,
then searches every byte under a folder (the workspace, its temp folder, exports) for them.
"""

from __future__ import annotations

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


def find(root: Path, planted: list[bytes]) -> list[tuple[str, str]]:
    """(file relative to ``root``, value) for every planted value found under ``root``."""
    hits = []
    for p in root.rglob("*"):
        if p.is_file():
            data = p.read_bytes()
            hits += [(str(p.relative_to(root)), n.decode("utf-8", "replace"))
                     for n in planted if n in data]
    return hits
