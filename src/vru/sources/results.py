"""What an import did, file by file: shared by every source adapter."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

ProgressFn = Callable[[str, int, int], None]  # (file name, files done, files total)


@dataclass
class FileResult:
    name: str
    kind: str
    status: str                # loaded | replaced | skipped (same content already loaded)
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_flagged: int = 0
    file_id: int | None = None
    replaced_file_ids: list[int] = field(default_factory=list)
    encoding: str | None = None     # text files: the encoding they were decoded with
    warnings: list[str] = field(default_factory=list)   # e.g. ignored columns, hidden sheets


@dataclass
class ImportSummary:
    source: str
    import_id: int | None
    files: list[FileResult]
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file found, why not imported)

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files)

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    def by_kind(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for f in self.files:
            d = out.setdefault(f.kind, {"files": 0, "read": 0, "loaded": 0, "rejected": 0, "flagged": 0})
            d["files"] += 1
            d["read"] += f.rows_read
            d["loaded"] += f.rows_loaded
            d["rejected"] += f.rows_rejected
            d["flagged"] += f.rows_flagged
        return out
