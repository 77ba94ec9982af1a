"""Writes audit records from a background thread, many requests per fsync (group commit).

Request handling only puts records on a queue, so the event loop never waits on the disk.
``drain()`` blocks until everything queued so far is on disk (used by the audit pages, at
shutdown and by tests). A crash can lose the records of the last few milliseconds; the chain
itself is never left half-written (each batch is one write under the file lock).
"""

from __future__ import annotations

import logging
import queue
import threading

from vru.privacy.audit import AuditLog, Entry

log = logging.getLogger(__name__)


class AuditWriter:
    def __init__(self, audit: AuditLog, max_batch: int = 500) -> None:
        self.audit = audit
        self.max_batch = max_batch
        self._q: queue.Queue[tuple[Entry, ...] | threading.Event] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="vru-audit", daemon=True)
        self._thread.start()

    def put(self, *entries: Entry) -> None:
        if entries:
            self._q.put(entries)

    def drain(self, timeout: float = 30.0) -> bool:
        done = threading.Event()
        self._q.put(done)
        return done.wait(timeout)

    def _run(self) -> None:
        while True:
            item = self._q.get()
            batch: list[Entry] = []
            events: list[threading.Event] = []
            while True:
                if isinstance(item, threading.Event):
                    events.append(item)
                else:
                    batch.extend(item)
                if len(batch) >= self.max_batch:
                    break
                try:
                    item = self._q.get_nowait()
                except queue.Empty:
                    break
            if batch:
                try:
                    self.audit.append(*batch)
                except Exception:  # noqa: BLE001 - keep serving; the failure is logged loudly
                    log.exception("could not write %d audit records", len(batch))
            for ev in events:
                ev.set()
