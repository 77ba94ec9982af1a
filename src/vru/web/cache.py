"""A small result cache for the JSON API, keyed by what was asked and the data's version.

Dashboards ask the same questions many times (every board member opens the same overview);
results are computed once per (question, data version) and served as ready-made JSON bytes.
The data version (row counts and latest import) is re-read at most every ``check_s`` seconds,
so an import done through this process shows within that time. Written here because the
caching must key on our data version and run the computation once under a per-key lock, which
``functools.lru_cache`` cannot do.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import date, datetime
from typing import Any

from fastapi.responses import Response

from vru.workspace import Workspace


def _default(o: Any) -> Any:
    if isinstance(o, datetime | date):
        return o.isoformat()
    if hasattr(o, "item"):  # numpy scalars
        return o.item()
    return str(o)


def dumps(data: Any) -> bytes:
    return json.dumps(data, default=_default, separators=(",", ":"),
                      ensure_ascii=False).encode()


class JSONBytes(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return content if isinstance(content, bytes) else dumps(content)


GZIP_MIN_BYTES = 2048

Entry = tuple[bytes, bytes | None, int | None]  # body, gzipped body (if worth it), rows


def _entry(data: Any) -> Entry:
    body = dumps(data)
    rows = len(data["features"]) if isinstance(data, dict) and isinstance(
        data.get("features"), list) else None
    # Compressed once per cached answer (map layers shrink ~5x), not once per request.
    zipped = gzip.compress(body, compresslevel=6, mtime=0) if len(body) >= GZIP_MIN_BYTES \
        else None
    return body, zipped, rows


def _response(hit: Entry, gzip_ok: bool, fresh: bool = False) -> JSONBytes:
    """The cached body; ``X-Rows`` says how many features a GeoJSON answer holds and
    ``X-Cache`` whether it was computed for this request (miss) or reused (hit)."""
    headers = {"Vary": "Accept-Encoding", "X-Cache": "miss" if fresh else "hit"}
    if hit[2] is not None:
        headers["X-Rows"] = str(hit[2])
    if gzip_ok and hit[1] is not None:
        headers["Content-Encoding"] = "gzip"
        return JSONBytes(hit[1], headers=headers)
    return JSONBytes(hit[0], headers=headers)


def accepts_gzip(request: Any) -> bool:
    return "gzip" in request.headers.get("accept-encoding", "") if request is not None else False


class ResultCache:
    def __init__(self, ws: Workspace, max_entries: int = 256, check_s: float = 2.0) -> None:
        self.ws = ws
        self.max_entries = max_entries
        self.check_s = check_s
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, Entry] = OrderedDict()
        self._key_locks: dict[Hashable, threading.Lock] = {}
        self._version: tuple | None = None
        self._checked = 0.0
        self._computes: dict[Hashable, Callable[[], Any]] = {}
        self._pinned = 0

    def _data_version(self) -> tuple:
        now = time.monotonic()
        if self._pinned and self._version is not None:
            return self._version  # a writing job runs: answers stay as they were until it ends
        if self._version is None or now - self._checked > self.check_s:
            from vru.web.queries import data_version

            v = data_version(self.ws)
            with self._lock:
                if v != self._version:
                    self._entries.clear()
                    self._version = v
                self._checked = now
        return self._version

    # ------------------------------------------------------------------ writing jobs
    # A writing job (an import) changes the data under the cached answers. Rather than drop them
    # all when it commits (every user's next click would then wait for a cold computation, all
    # at once), the job runner pins the current answers while the job runs and, when it ends,
    # recomputes the answers people were using, on the job's thread, before switching to them.
    def pin(self) -> None:
        with self._lock:
            self._pinned += 1

    def refresh_and_unpin(self, max_keys: int = 64) -> None:
        """After a writing job: recompute recently used answers for the new data (if the data
        changed), switch to them, and resume normal version checks."""
        from vru.web.queries import data_version

        try:
            v = data_version(self.ws)
            with self._lock:
                changed = v != self._version
                keys = [k for (_, k) in reversed(self._entries)][:max_keys] if changed else []
                computes = [(k, self._computes.get(k)) for k in keys]
            if changed:
                fresh: OrderedDict[Hashable, Entry] = OrderedDict()
                for k, compute in reversed(computes):  # least recent first, as LRU order wants
                    if compute is None:
                        continue
                    try:
                        fresh[(v, k)] = _entry(compute())
                    except Exception:  # noqa: BLE001, S112 - recomputed on demand instead
                        continue
                with self._lock:
                    self._entries = fresh
                    self._version = v
                    self._checked = time.monotonic()
                    self._computes = {k: c for k, c in computes if c is not None}
        finally:
            with self._lock:
                self._pinned = max(0, self._pinned - 1)

    def json(self, key: Hashable, compute: Callable[[], Any], request: Any = None) -> JSONBytes:
        """The answer as a JSON response (gzipped when ``request`` accepts it)."""
        hit, fresh = self._lookup(key, compute)
        return _response(hit, accepts_gzip(request), fresh)

    def _get(self, key: Hashable, compute: Callable[[], Any]) -> Entry:
        return self._lookup(key, compute)[0]

    def _lookup(self, key: Hashable, compute: Callable[[], Any]) -> tuple[Entry, bool]:
        version = self._data_version()
        full = (version, key)
        with self._lock:
            hit = self._entries.get(full)
            if hit is not None:
                self._entries.move_to_end(full)
                return hit, False
            klock = self._key_locks.setdefault(full, threading.Lock())
        fresh = False
        with klock:  # one computation per key; concurrent askers wait for it
            with self._lock:
                hit = self._entries.get(full)
            if hit is None:
                fresh = True
                hit = _entry(compute())
                with self._lock:
                    self._entries[full] = hit
                    self._computes[key] = compute
                    while len(self._entries) > self.max_entries:
                        (_, old), _ = self._entries.popitem(last=False)
                        if not any(k == old for _, k in self._entries):
                            self._computes.pop(old, None)
                    self._key_locks.pop(full, None)
        return hit, fresh

    def value(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """Cached Python value (for server-rendered pages), via its JSON form."""
        return json.loads(self._get(key, compute)[0])
