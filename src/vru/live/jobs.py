"""The server's job runner: heavy and writing work off the request path.

One runner per server. Write jobs (imports, user changes, hot-spot runs...) run one at a time on
a single worker thread, in submission order, through the Workspace's single writer; read jobs
(status, profiles) run on a small pool beside it, so reading never waits behind a long import.
Request handlers only submit and poll, so a page never stalls for the length of a job.

A job keeps an ordered list of events (progress, output lines, the end) that a terminal
(``vru.cli.handover``) or a web page follows; ``Job.wait_events`` blocks until there is news.
Jobs live in memory: what they changed is in the workspace, and who ran each one is in the
audit log. Written here rather than with a task-queue library because the work must run inside
the process that holds the DuckDB file, on its one writer; a queue and two kinds of worker
thread are all that takes.
"""

from __future__ import annotations

import contextlib
import contextvars
import io
import multiprocessing
import os
import queue
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from vru.workspace import Workspace, acting_as

MAX_EVENTS = 20_000      # per job; a runaway printer cannot exhaust the server's memory
KEEP_FINISHED = 200      # finished jobs remembered for their followers

_current: contextvars.ContextVar[Job | None] = contextvars.ContextVar("vru_job", default=None)


def current_job() -> Job | None:
    """The job the calling code runs in (None outside the server's job runner)."""
    return _current.get()


@dataclass
class Job:
    job_id: int
    kind: str                      # cli | upload | ...
    title: str                     # what a person would call it ("vru import istv a.csv")
    actor: str                     # who asked (OS account for the CLI, user name on the web)
    writes: bool
    status: str = "queued"         # queued | running | done | failed
    created_at: datetime = field(default_factory=datetime.now)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    progress: str = ""
    result: Any = None
    error: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    _cond: threading.Condition = field(default_factory=threading.Condition, repr=False)

    # ------------------------------------------------------------------ producing
    def emit(self, kind: str, text: str = "", **extra: Any) -> None:
        with self._cond:
            if len(self.events) < MAX_EVENTS or kind == "end":
                self.events.append({"seq": len(self.events), "t": kind, "s": text, **extra})
            if kind == "progress":
                self.progress = text
            self._cond.notify_all()

    def report(self, text: str) -> None:
        """Progress, as a person reads it ("file 2 of 5 crimes-2024-01.csv")."""
        self.emit("progress", text)

    # ------------------------------------------------------------------ following
    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")

    def wait_events(self, after: int, timeout: float) -> list[dict[str, Any]]:
        """Events numbered ``after`` and later; waits up to ``timeout`` s when there are none."""
        with self._cond:
            if len(self.events) <= after and not self.finished:
                self._cond.wait(timeout)
            return self.events[after:]

    def as_dict(self) -> dict[str, Any]:
        return {"job_id": self.job_id, "kind": self.kind, "title": self.title,
                "actor": self.actor, "writes": self.writes, "status": self.status,
                "progress": self.progress, "error": self.error,
                "created_at": self.created_at.isoformat(timespec="seconds"),
                "started_at": self.started_at.isoformat(timespec="seconds")
                if self.started_at else None,
                "finished_at": self.finished_at.isoformat(timespec="seconds")
                if self.finished_at else None}


class JobRunner:
    def __init__(self, ws: Workspace, readers: int = 2) -> None:
        self.ws = ws
        # Called around every writing job (e.g. the web's result cache pins its answers while
        # the job runs and refreshes them before the job is reported finished).
        self.before_write: list[Callable[[], None]] = []
        self.after_write: list[Callable[[], None]] = []
        self._jobs: OrderedDict[int, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._next = 1
        self._queue: queue.Queue[tuple[Job, Callable[[Job], Any]] | None] = queue.Queue()
        self._readers = ThreadPoolExecutor(readers, thread_name_prefix="vru-job-read")
        self._writer = threading.Thread(target=self._write_loop, name="vru-job-write",
                                        daemon=True)
        self._writer.start()
        install_stream_router()
        _serving.set()

    def submit(self, fn: Callable[[Job], Any], *, kind: str, title: str, actor: str,
               writes: bool = True) -> Job:
        """Queue ``fn(job)``; returns at once. Its return value becomes ``job.result``."""
        with self._lock:
            job = Job(self._next, kind, title, actor, writes)
            self._next += 1
            self._jobs[job.job_id] = job
            finished = [j for j in self._jobs.values() if j.finished]
            for old in finished[:max(0, len(finished) - KEEP_FINISHED)]:
                self._jobs.pop(old.job_id, None)
        if writes:
            ahead = self._queue.qsize() + (1 if self.busy() else 0)
            if ahead:
                job.report(f"queued behind {ahead} writing job(s)")
            self._queue.put((job, fn))
        else:
            self._readers.submit(self._run, job, fn)
        return job

    def get(self, job_id: int) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def list(self) -> list[Job]:
        with self._lock:
            return list(self._jobs.values())

    def busy(self) -> bool:
        with self._lock:
            return any(j.status == "running" and j.writes for j in self._jobs.values())

    def shutdown(self, wait: bool = False) -> None:
        self._queue.put(None)
        self._readers.shutdown(wait=wait, cancel_futures=True)
        _stop_renderer()
        if wait:
            self._writer.join()

    # ------------------------------------------------------------------ running
    def _write_loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            self._run(*item)

    def _run(self, job: Job, fn: Callable[[Job], Any]) -> None:
        job.status, job.started_at = "running", datetime.now()
        token = _current.set(job)
        t0 = time.perf_counter()
        if job.writes:
            for hook in self.before_write:
                with contextlib.suppress(Exception):
                    hook()
        status, error, result = "done", None, None
        try:
            with acting_as(job.actor):
                result = fn(job)
        except BaseException as exc:  # noqa: BLE001 - a job's failure is reported, never raised
            status, error = "failed", str(exc) or exc.__class__.__name__
        finally:
            _current.reset(token)
            if job.writes:
                job.report("refreshing the workbench's answers")
                for hook in self.after_write:
                    with contextlib.suppress(Exception):  # a cache hook must not kill the runner
                        hook()
            # result, finished (status set) and the end event in one step: a follower that sees
            # the result sees the job finished (the page used to show a result while "running"
            # as the after-write hooks ran), and one that sees it finished also finds its end
            with job._cond:
                job.finished_at = datetime.now()
                job.result, job.status, job.error = result, status, error
                job.emit("end", status, seconds=round(time.perf_counter() - t0, 2), error=error)


# ---------------------------------------------------------------------- CPU-heavy work
# Rendering a profile (WeasyPrint PDF, charts) is seconds of pure-Python work that holds the
# GIL: run inside the server's process it would slow every request. In a server (a process with
# a job runner) such work goes to one worker process, started on first use with a lower CPU
# priority, so requests keep the CPU they need; elsewhere (the CLI) it runs inline.
_serving = threading.Event()
_renderer: ProcessPoolExecutor | None = None
_renderer_lock = threading.Lock()


def _worker_start(server_pid: int) -> None:
    """In the worker process: a lower CPU priority, and an end when the server ends (killed
    or not), so no worker outlives it."""
    with contextlib.suppress(OSError):
        os.nice(10)

    def watch() -> None:
        while os.getppid() == server_pid:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="vru-worker-watch", daemon=True).start()


def offload(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` in the server's worker process (inline outside a server).
    ``fn`` must be a module-level function and its arguments picklable; it must not open the
    workspace (the server holds it), so pass absolute paths and finished data."""
    global _renderer
    if not _serving.is_set():
        return fn(*args, **kwargs)
    with _renderer_lock:
        if _renderer is None:
            _renderer = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=_worker_start,
                                            initargs=(os.getpid(),))
        pool = _renderer
    return pool.submit(fn, *args, **kwargs).result()


def _stop_renderer() -> None:
    global _renderer
    with _renderer_lock:
        if _renderer is not None:
            _renderer.shutdown(wait=False, cancel_futures=True)
            _renderer = None


# ---------------------------------------------------------------------- per-thread streams
class _Router(io.TextIOBase):
    """sys.stdout/err/in stand-in: a job's thread writes to (reads from) its own stream,
    every other thread to the process's real one. Lets a handed-over command print exactly as
    it would in a terminal while the server keeps its own output."""

    def __init__(self, real: Any, local: threading.local, name: str) -> None:
        self._real = real
        self._local = local
        self._name = name

    def _target(self) -> Any:
        return getattr(self._local, self._name, None) or self._real

    def write(self, s: str) -> int:
        return self._target().write(s)

    def read(self, size: int | None = -1) -> str:
        return self._target().read(size)

    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
        return self._target().readline(size)

    def flush(self) -> None:
        self._target().flush()

    def isatty(self) -> bool:
        return self._target().isatty()

    def fileno(self) -> int:
        return self._target().fileno()

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return self._name == "stdin"

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._target(), "encoding", "utf-8") or "utf-8"

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target(), name)


class JobStream(io.TextIOBase):
    """A job's stdout or stderr: every write becomes an event of the job."""

    def __init__(self, job: Job, kind: str) -> None:
        self.job = job
        self.kind = kind

    def write(self, s: str) -> int:
        if not isinstance(s, str):  # as a real text stream does (click probes with b"")
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        if s:
            self.job.emit(self.kind, s)
        return len(s)

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        raise io.UnsupportedOperation("a job's output has no file descriptor")

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"


_streams = threading.local()
_installed = threading.Lock()


def install_stream_router() -> None:
    with _installed:
        if not isinstance(sys.stdout, _Router):
            sys.stdout = _Router(sys.stdout, _streams, "stdout")
            sys.stderr = _Router(sys.stderr, _streams, "stderr")
            sys.stdin = _Router(sys.stdin, _streams, "stdin")


class job_streams:  # noqa: N801 - used as a context manager, like contextlib's helpers
    """Within the block, this thread's stdout/stderr go to ``job`` and stdin reads ``stdin``."""

    def __init__(self, job: Job, stdin: str = "") -> None:
        self.job = job
        self.stdin = stdin

    def __enter__(self) -> job_streams:
        install_stream_router()
        _streams.stdout = JobStream(self.job, "out")
        _streams.stderr = JobStream(self.job, "err")
        _streams.stdin = io.StringIO(self.stdin)
        return self

    def __exit__(self, *exc: object) -> None:
        _streams.stdout = _streams.stderr = _streams.stdin = None
