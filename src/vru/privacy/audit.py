"""The audit log: an append-only, hash-chained record of every request and data access.

One JSON object per line in ``<workspace>/logs/audit.log``. Each record carries ``seq`` (1, 2,
...), ``prev`` (the previous record's hash; 64 zeros for the first) and ``hash`` = SHA-256 of the
canonical JSON of the record without its ``hash``. Editing, inserting, re-ordering or deleting a
record breaks the chain. Deleting records from the *end* leaves a valid shorter chain, so after
every append the latest ``seq``/``hash`` is also written to ``logs/audit.head`` (the anchor):
``verify`` reports a log that is shorter than its anchor. Someone able to rewrite both files can
forge a consistent log; copy ``vru audit show --head`` off the machine regularly and check it with
``vru audit verify --expect SEQ:HASH`` to close that gap.

It is a plain file rather than a DuckDB table on purpose: the server holds the workspace's only
writer, and the log must stay appendable (CLI user changes) and verifiable while it runs. Appends
from several processes are serialised with an advisory ``flock``.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

GENESIS = "0" * 64
LOG_NAME = "audit.log"
HEAD_NAME = "audit.head"


def canonical(record: dict[str, Any]) -> bytes:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str).encode()


def record_hash(record: dict[str, Any]) -> str:
    body = {k: v for k, v in record.items() if k != "hash"}
    return hashlib.sha256(canonical(body)).hexdigest()


@dataclass
class Entry:
    """What to record; ``AuditLog.append`` adds seq, ts, prev and hash."""

    kind: str                     # request | access | login | logout | user_admin | ...
    actor: str | None             # user name, or None for anonymous
    action: str                   # e.g. "GET /api/map/grid" or "crimes.points"
    role: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


class AuditLog:
    def __init__(self, log_dir: Path | str, durable: bool = True) -> None:
        self.dir = Path(log_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.path = self.dir / LOG_NAME
        self.head_path = self.dir / HEAD_NAME
        self.durable = durable
        self._lock = threading.Lock()
        self._end = -1            # file size after our last write (-1: unknown)
        self._seq = 0
        self._hash = GENESIS

    @classmethod
    def for_workspace(cls, ws, durable: bool = True) -> AuditLog:
        return cls(ws.log_dir(), durable=durable)

    def append(self, *entries: Entry) -> list[dict[str, Any]]:
        """Append entries atomically (one lock, one fsync); returns the written records."""
        if not entries:
            return []
        out: list[dict[str, Any]] = []
        with self._lock, open(self.path, "a+b") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                size = fh.seek(0, os.SEEK_END)
                if size != self._end:  # first use, or another process appended since
                    last = _last_record(self.path)
                    self._seq, self._hash = (last["seq"], last["hash"]) if last else (0, GENESIS)
                lines = []
                for e in entries:
                    rec = {
                        "seq": self._seq + 1,
                        "ts": datetime.now(UTC).isoformat(timespec="microseconds"),
                        "kind": e.kind, "actor": e.actor, "role": e.role, "action": e.action,
                        "detail": e.detail, "prev": self._hash,
                    }
                    rec["hash"] = record_hash(rec)
                    self._seq, self._hash = rec["seq"], rec["hash"]
                    lines.append(canonical(rec) + b"\n")
                    out.append(rec)
                fh.write(b"".join(lines))
                fh.flush()
                if self.durable:
                    os.fsync(fh.fileno())
                self._end = fh.tell()
                _write_head(self.head_path, self._seq, self._hash)
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
        return out

    def head(self) -> tuple[int, str]:
        last = _last_record(self.path)
        return (last["seq"], last["hash"]) if last else (0, GENESIS)


def _write_head(path: Path, seq: int, digest: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"seq": seq, "hash": digest}) + "\n")
    tmp.replace(path)


def _last_record(path: Path) -> dict[str, Any] | None:
    """The last complete line of the log, read from the end (the log can be large)."""
    if not path.exists():
        return None
    with open(path, "rb") as fh:
        end = fh.seek(0, os.SEEK_END)
        if end == 0:
            return None
        block = 4096
        pos, buf = end, b""
        while pos > 0:
            step = min(block, pos)
            pos -= step
            fh.seek(pos)
            buf = fh.read(step) + buf
            lines = buf.rstrip(b"\n").split(b"\n")
            if len(lines) > 1 or pos == 0:
                return json.loads(lines[-1])
            block *= 2
    return None


def iter_records(path: Path | str) -> Iterator[tuple[int, dict[str, Any] | None, str]]:
    """(line number, parsed record or None, raw text) for each line of a log file."""
    with open(path, "rb") as fh:
        for i, raw in enumerate(fh, start=1):
            text = raw.decode("utf-8", errors="replace").rstrip("\n")
            try:
                rec = json.loads(text)
                if not isinstance(rec, dict):
                    rec = None
            except json.JSONDecodeError:
                rec = None
            yield i, rec, text


@dataclass
class VerifyResult:
    ok: bool
    records: int
    head_seq: int
    head_hash: str
    problems: list[str]


def verify(log_dir: Path | str, expect: tuple[int, str] | None = None,
           max_problems: int = 20) -> VerifyResult:
    """Check the whole chain, the head anchor and (optionally) an externally kept (seq, hash)."""
    log_dir = Path(log_dir)
    path, head_path = log_dir / LOG_NAME, log_dir / HEAD_NAME
    problems: list[str] = []
    prev, seq, hashes_at = GENESIS, 0, {}
    n = 0
    if path.exists():
        for line_no, rec, _text in iter_records(path):
            n += 1
            if rec is None:
                problems.append(
                    f"{path.name} line {line_no}: not a JSON record (edited or damaged)"
                )
                prev = None  # chain cannot be followed past a broken line
                continue
            expected_seq = seq + 1
            if rec.get("seq") != expected_seq:
                problems.append(
                    f"{path.name} line {line_no}: seq {rec.get('seq')} where {expected_seq} was "
                    "expected (records deleted, inserted or re-ordered)"
                )
            if prev is not None and rec.get("prev") != prev:
                problems.append(
                    f"{path.name} line {line_no} (seq {rec.get('seq')}): 'prev' does not match the "
                    "hash of the record before it (a record before it was deleted or changed)"
                )
            if record_hash(rec) != rec.get("hash"):
                problems.append(
                    f"{path.name} line {line_no} (seq {rec.get('seq')}): contents do not match its "
                    "hash (the record was edited)"
                )
            seq = rec.get("seq") if isinstance(rec.get("seq"), int) else expected_seq
            prev = rec.get("hash")
            hashes_at[seq] = prev
    elif head_path.exists():
        problems.append(f"{path} is missing but its head anchor exists (log deleted)")

    head_seq, head_hash = seq, prev or ""
    if head_path.exists():
        try:
            anchor = json.loads(head_path.read_text())
            a_seq, a_hash = int(anchor["seq"]), str(anchor["hash"])
        except (ValueError, KeyError, TypeError):
            problems.append(f"{head_path.name}: unreadable head anchor")
        else:
            problems += _check_anchor("head anchor", a_seq, a_hash, seq, hashes_at)
    elif n:
        problems.append(f"{head_path.name} is missing (cannot rule out deleted final records)")
    if expect is not None:
        problems += _check_anchor("expected head", expect[0], expect[1], seq, hashes_at)
    shown = problems[:max_problems]
    if len(problems) > max_problems:
        shown.append(f"... and {len(problems) - max_problems} more problems")
    return VerifyResult(not problems, n, head_seq, head_hash, shown)


def _check_anchor(label: str, a_seq: int, a_hash: str, last_seq: int,
                  hashes_at: dict[int, str]) -> list[str]:
    if a_seq > last_seq:
        return [f"{label} is at seq {a_seq} but the log ends at seq {last_seq} "
                f"({a_seq - last_seq} final records deleted)"]
    if a_seq > 0 and hashes_at.get(a_seq) != a_hash:
        return [f"{label} hash for seq {a_seq} does not match the log (log rewritten)"]
    return []


def tail(log_dir: Path | str, limit: int = 50, actor: str | None = None,
         kind: str | None = None) -> list[dict[str, Any]]:
    """The last ``limit`` records (optionally filtered), newest first."""
    path = Path(log_dir) / LOG_NAME
    if not path.exists():
        return []
    from collections import deque

    keep: deque = deque(maxlen=max(limit, 0))
    for _i, rec, _t in iter_records(path):
        if rec is None:
            continue
        if actor and rec.get("actor") != actor:
            continue
        if kind and rec.get("kind") != kind:
            continue
        keep.append(rec)
    return list(reversed(keep))
