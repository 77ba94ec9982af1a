"""The Workspace: one folder holding the DuckDB database, the settings and the logs.

Everything in vru receives a Workspace; nothing else opens DuckDB. One writer at a time (a lock
inside the process, DuckDB's file lock across processes); readers use cursors on the same
database and see only committed data.
"""

from __future__ import annotations

import contextvars
import getpass
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from vru import crime_view
from vru.errors import VruError
from vru.migrations import all_migrations
from vru.settings import Settings

DB_NAME = "vru.duckdb"
SETTINGS_NAME = "settings.toml"
ENV_VAR = "VRU_WORKSPACE"
DEFAULT_DIR = "vru-workspace"
# Tables that never leave the workspace in an export: the key check, web sessions and accounts,
# the migration log, and rejected rows (kept as read, so they may hold raw partner data).
NOT_EXPORTED = frozenset({"pseudonym_key", "web_sessions", "web_users", "schema_migrations",
                          "rejects"})


def sql_where(*filters: tuple[str, Any], always: tuple[str, ...] = ()) -> tuple[str, list]:
    """A WHERE clause and its parameters from optional filters, for the stores' readers: each
    ``(condition with one ?, value)`` is kept when its value is given (not None or ""), after
    the ``always`` conditions (no parameters); ``TRUE`` when none applies."""
    kept = [(c, v) for c, v in filters if v is not None and v != ""]
    return (" AND ".join([*always, *(c for c, _ in kept)]) or "TRUE"), [v for _, v in kept]


class WorkspaceError(VruError):
    """A problem with the workspace the user can act on (missing, locked, newer schema...)."""


# Who the current work is done for, when it is not this process's login (a job the server runs
# for a CLI user or a web user); recorded by everything that stamps ``user_name()``.
_acting: contextvars.ContextVar[str | None] = contextvars.ContextVar("vru_acting", default=None)


@contextmanager
def acting_as(user: str | None) -> Iterator[None]:
    token = _acting.set(user)
    try:
        yield
    finally:
        _acting.reset(token)


def _locked_message(path: Path, db: Path, exc: Exception) -> str:
    from vru.live.handle import HandleUnreadable, running_server

    try:
        server = running_server(path)
    except HandleUnreadable as unreadable:
        return f"cannot open {db}: {unreadable}"
    if server is not None:
        return (f"cannot open {db}: it is held by {server.describe()}. The `vru` commands hand "
                f"their work to it; from Python, stop the server first (kill {server.pid}) or "
                "work through it")
    return f"cannot open {db}: another vru process is writing to it ({exc})"


def default_path() -> Path:
    return Path(os.environ.get(ENV_VAR) or DEFAULT_DIR)


class Workspace:
    def __init__(self, path: Path, con: duckdb.DuckDBPyConnection, settings: Settings,
                 read_only: bool) -> None:
        self.path = path
        self.settings = settings
        self.read_only = read_only
        self._con = con
        self._write_lock = threading.RLock()

    # ----------------------------------------------------------------- lifecycle
    @classmethod
    def init(cls, path: Path | str | None = None, area_name: str | None = None,
             settings: Settings | None = None) -> Workspace:
        """Create a workspace folder (or open an existing one and bring its schema up to date)."""
        path = Path(path) if path is not None else default_path()
        path.mkdir(parents=True, exist_ok=True)
        settings_path = path / SETTINGS_NAME
        if not settings_path.exists():
            s = settings or Settings()
            if area_name:
                s.area_name = area_name
            s.save(settings_path)
        (path / "logs").mkdir(exist_ok=True)
        (path / "exports").mkdir(exist_ok=True)
        return cls.open(path)

    @classmethod
    def open(cls, path: Path | str | None = None, read_only: bool = False) -> Workspace:
        path = Path(path) if path is not None else default_path()
        settings_path = path / SETTINGS_NAME
        if not settings_path.exists():
            raise WorkspaceError(
                f"no workspace at {path} (no {SETTINGS_NAME}); create one with `vru init {path}`"
            )
        try:
            settings = Settings.load(settings_path)
        except ValueError as exc:
            raise WorkspaceError(str(exc)) from exc
        db = path / DB_NAME
        if read_only and not db.exists():
            raise WorkspaceError(f"{db} does not exist; run `vru init {path}`")
        try:
            con = duckdb.connect(str(db), read_only=read_only)
        except duckdb.IOException as exc:
            raise WorkspaceError(_locked_message(path, db, exc)) from exc
        # Progress bars belong to our CLI; DuckDB's own one slows queries when output is a pipe.
        con.execute("SET enable_progress_bar = false")
        if not read_only:
            # Spill to the workspace's own folder (never the system temp), so big imports and
            # analyses stay within memory and on the workspace's disk.
            (path / "tmp").mkdir(exist_ok=True)
            con.execute(f"SET temp_directory = '{(path / 'tmp' / 'duckdb').as_posix()}'")
        ws = cls(path, con, settings, read_only)
        if not read_only:
            ws._migrate()
        else:
            ws._check_schema()
        return ws

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- schema
    def _applied(self, con: duckdb.DuckDBPyConnection) -> set[str]:
        con.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (name VARCHAR PRIMARY KEY, "
            "applied_at TIMESTAMP NOT NULL)"
        ) if not self.read_only else None
        try:
            return {r[0] for r in con.execute("SELECT name FROM schema_migrations").fetchall()}
        except duckdb.CatalogException:
            return set()

    def _migrate(self) -> None:
        with self.transaction() as con:
            applied = self._applied(con)
            for name, up in all_migrations():
                if name not in applied:
                    up(con)
                    con.execute("INSERT INTO schema_migrations VALUES (?, ?)", [name, datetime.now()])
            # The canonical crime view's rules and definition follow the settings file.
            crime_view.sync(con, self.settings)

    def _check_schema(self) -> None:
        known = {n for n, _ in all_migrations()}
        applied = self._applied(self._con)
        newer = applied - known
        if newer:
            raise WorkspaceError(
                f"workspace schema is newer than this vru ({', '.join(sorted(newer))}); upgrade vru"
            )
        missing = known - applied
        if missing:
            raise WorkspaceError(
                "workspace schema is older than this vru; open it once for writing "
                "(e.g. `vru status`) to migrate"
            )

    @property
    def schema_version(self) -> str:
        rows = self._con.execute("SELECT max(name) FROM schema_migrations").fetchone()
        return rows[0] if rows else ""

    # ----------------------------------------------------------------- access
    def reader(self) -> duckdb.DuckDBPyConnection:
        """A cursor for reading. Safe to use from another thread; sees committed data."""
        return self._con.cursor()

    def sql(self, query: str, params: list | dict | None = None) -> list[tuple]:
        return self.reader().execute(query, params).fetchall()

    def df(self, query: str, params: list | dict | None = None):
        """Run a read query and return a pandas DataFrame."""
        return self.reader().execute(query, params).df()

    def scalar(self, query: str, params: list | dict | None = None) -> Any:
        row = self.reader().execute(query, params).fetchone()
        return row[0] if row else None

    def tables(self) -> set[str]:
        """The names of the workspace's tables and views."""
        return {r[0] for r in self.sql("SELECT table_name FROM information_schema.tables")}

    def table_exists(self, name: str) -> bool:
        """Whether a table or view of that name exists (the one place this is asked)."""
        return bool(self.scalar(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]))

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The single writer: an exclusive, atomic unit of work. Rolls back on any error."""
        if self.read_only:
            raise WorkspaceError(f"workspace {self.path} is open read-only")
        with self._write_lock:
            cur = self._con.cursor()
            cur.execute("BEGIN TRANSACTION")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            else:
                cur.execute("COMMIT")
            finally:
                cur.close()

    @contextmanager
    def memory_limit(self, limit: str) -> Iterator[None]:
        """Cap DuckDB's memory for a block (e.g. a big import), restoring the limit after."""
        with self._write_lock:
            previous = self._con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
            self._con.execute(f"SET memory_limit = '{limit}'")
            try:
                yield
            finally:
                self._con.execute(f"SET memory_limit = '{previous}'")

    def scratch(self, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
        """A separate in-memory DuckDB for engines that build many intermediate tables of their
        own (Splink's linkage): nothing it makes lands in the workspace file, and it spills to
        the workspace's own ``tmp/`` (never the system temp). The caller closes it."""
        con = duckdb.connect(":memory:")
        con.execute("SET enable_progress_bar = false")
        tmp = self.path / "tmp" / "scratch"
        tmp.mkdir(parents=True, exist_ok=True)
        con.execute(f"SET temp_directory = '{tmp.as_posix()}'")
        if memory_limit:
            con.execute(f"SET memory_limit = '{memory_limit}'")
        return con

    def checkpoint(self) -> None:
        with self._write_lock:
            self._con.execute("CHECKPOINT")

    # ----------------------------------------------------------------- settings
    def save_settings(self) -> None:
        self.settings.save(self.path / SETTINGS_NAME)
        with self.transaction() as con:
            crime_view.sync(con, self.settings)

    # ----------------------------------------------------------------- export
    def export_parquet(self, folder: Path | str, tables: list[str] | None = None) -> dict[str, int]:
        """Write canonical tables to ``folder/<table>.parquet`` (zstd) and a ``manifest.json``
        (tables, rows, schema version). Default: every base table except those that must not
        leave the workspace (``NOT_EXPORTED``: key check, sessions, accounts, raw rejects).
        Returns rows written per table."""
        import json

        from vru.engine import DUCKDB

        folder = Path(folder)
        have = {r[0] for r in self.sql(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'")}
        if tables is None:
            chosen = sorted(have - NOT_EXPORTED)
        else:
            unknown = [t for t in tables if t not in have]
            refused = [t for t in tables if t in NOT_EXPORTED]
            if unknown:
                raise WorkspaceError(f"no such table(s): {', '.join(unknown)}")
            if refused:
                raise WorkspaceError(f"table(s) never exported: {', '.join(refused)} "
                                     "(secrets, accounts or raw rejected rows)")
            chosen = list(dict.fromkeys(tables))
        folder.mkdir(parents=True, exist_ok=True)
        rows: dict[str, int] = {}
        cur = self.reader()
        for t in chosen:
            target = folder / f"{t}.parquet"
            cur.execute(DUCKDB.write_parquet(f'SELECT * FROM "{t}"', target.as_posix()))
            rows[t] = int(cur.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0])
        (folder / "manifest.json").write_text(json.dumps(
            {"schema_version": self.schema_version, "exported_at": datetime.now().isoformat(),
             "tables": rows}, indent=2) + "\n", encoding="utf-8")
        return rows

    # ----------------------------------------------------------------- provenance helpers
    def next_id(self, con: duckdb.DuckDBPyConnection, seq: str) -> int:
        return con.execute(f"SELECT nextval('{seq}')").fetchone()[0]

    @staticmethod
    def user_name() -> str:
        acting = _acting.get()
        if acting:
            return acting
        try:
            return getpass.getuser()
        except Exception:  # noqa: BLE001 - no login name in some containers
            return "unknown"

    def log_dir(self) -> Path:
        d = self.path / "logs"
        d.mkdir(exist_ok=True)
        return d
