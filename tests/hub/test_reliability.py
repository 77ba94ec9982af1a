"""The reliability table (tests/hub/reliability.py), case by case, through the CLI.

Each case runs on a copy of a workspace that already holds a file of the same source. Checked:
the exit code and message (refused) or the counts, every reject's row, field and reason, the
encoding recorded, warnings and files not imported (loaded); read = loaded + rejected per file,
in the tables as well as in source_files; nothing already loaded changed (row hashes of the
earlier import's rows in every table it touched); and no planted identifier in the terminal
output, the logs, or any byte of the workspace or the temp folder (in UTF-8, UTF-16 and upper and
lower case), nor the damaged rows' marker text in the output or logs.
"""

from __future__ import annotations

import gzip
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.hub.reliability import CASES, CLI, IDENTIFIERS, MARKER, Case, csv_bytes, rows
from tests.hub.samples import SAMPLES, write_csv
from vru.cli import app
from vru.privacy import agreements
from vru.privacy.pseudonymise import KEY_ENV, KEY_FILE_ENV
from vru.settings import Settings
from vru.sources.contract import import_source
from vru.sources.registry import SOURCES
from vru.testing import leaks, new_workspace
from vru.workspace import Workspace

KEY = "reliability-key-not-a-secret-4411"


def test_the_table_is_broad():
    assert len(CASES) >= 60
    assert len({c.id for c in CASES}) == len(CASES)
    assert {c.source for c in CASES} >= {"admissions", "istv", "youth_justice", "em_gps",
                                         "police_rms", "education"}


@pytest.fixture(scope="module")
def env():
    saved = {k: os.environ.get(k) for k in (KEY_ENV, KEY_FILE_ENV, "COLUMNS")}
    os.environ.pop(KEY_FILE_ENV, None)
    os.environ[KEY_ENV] = KEY
    os.environ["COLUMNS"] = "2000"
    yield
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="module")
def base(tmp_path_factory, env) -> dict[str, Path]:
    """A workspace per source that already holds one imported file (the sample rows)."""
    out = {}
    root = tmp_path_factory.mktemp("base")
    for source in {c.source for c in CASES}:
        ws = new_workspace(root / source)
        with ws.transaction() as con:
            agreements.add(con, source, "agency", "Serious Violence Duty", ["profile"], 36)
        kind, data = next(iter(SAMPLES[source].items()))
        s = import_source(ws, SOURCES[source], [write_csv(root / f"{source}-{kind}.csv", data)])
        assert s.rows_loaded > 0
        ws.close()
        out[source] = root / source
    return out


def _tables(source: str) -> list[str]:
    return sorted({r.table for c in SOURCES[source].contracts for r in c.retention})


def _snapshot(path: Path, source: str, file_ids: list[int] | None = None,
              import_ids: list[int] | None = None) -> dict[str, tuple]:
    """Count and order-free hash of every row (or of the rows of the given files/imports)."""
    ws = Workspace.open(path, read_only=True)
    try:
        out = {}
        fids = ",".join(map(str, file_ids)) if file_ids is not None else None
        for t in [*_tables(source), "rejects", "source_files"]:
            where = f"WHERE file_id IN ({fids})" if fids is not None else ""
            out[t] = tuple(ws.sql(f"SELECT count(*), bit_xor(hash(CAST(t AS VARCHAR))) "
                                  f"FROM {t} t {where}")[0])
        iw = (f"WHERE import_id IN ({','.join(map(str, import_ids))})"
              if import_ids is not None else "")
        out["imports"] = tuple(ws.sql("SELECT count(*), bit_xor(hash(import_id || source || "
                                      f"rows_loaded)) FROM imports {iw}")[0])
        return out
    finally:
        ws.close()


NEEDLES = leaks.needles(IDENTIFIERS)


def _leaks(root: Path) -> list[tuple[str, str]]:
    return leaks.find(root, NEEDLES)


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case, base, tmp_path, monkeypatch):
    ws_path = tmp_path / "ws"
    shutil.copytree(base[case.source], ws_path)
    if case.settings:
        s = Settings.load(ws_path / "settings.toml")
        for k, v in case.settings.items():
            setattr(s.imports, k, v)
        s.save(ws_path / "settings.toml")
    before = _snapshot(ws_path, case.source)
    old = Workspace.open(ws_path, read_only=True)
    old_files = [r[0] for r in old.sql("SELECT file_id FROM source_files")]
    old_imports = [r[0] for r in old.sql("SELECT import_id FROM imports")]
    old.close()
    private_tmp = tmp_path / "systemp"
    private_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(private_tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))

    paths = case.build(tmp_path / "in")
    result = CliRunner().invoke(app, ["import", CLI[case.source], *map(str, paths),
                                      "-w", str(ws_path), *case.args])
    out = _flat(result.output)
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), \
        f"crashed: {type(result.exception).__name__}"
    for frag in case.message:
        assert _flat(frag) in out, out

    if case.refused:
        assert result.exit_code == 2, out
        assert "Traceback" not in out
        assert _snapshot(ws_path, case.source) == before
    else:
        assert result.exit_code == 0, out
        _check_loaded(case, ws_path, old_imports, out)
        assert _snapshot(ws_path, case.source, old_files, old_imports) == before

    # Nothing planted reaches the terminal, the logs, the workspace or the temp folder.
    assert not [s for s in IDENTIFIERS if s.lower() in out.lower()]
    assert MARKER not in out
    logs = "".join(p.read_text(errors="replace") for p in (ws_path / "logs").glob("*"))
    assert not [s for s in [*IDENTIFIERS, MARKER] if s.lower() in logs.lower()]
    assert _leaks(ws_path) == []
    assert _leaks(private_tmp) == []


def _check_loaded(case: Case, ws_path: Path, old_imports: list[int], out: str) -> None:
    ws = Workspace.open(ws_path, read_only=True)
    try:
        (import_id, not_imported), = ws.sql(
            f"SELECT import_id, not_imported FROM imports WHERE import_id NOT IN "
            f"({','.join(map(str, old_imports))})")
        files = ws.sql("SELECT file_id, rows_read, rows_loaded, rows_rejected, encoding, warnings "
                       "FROM source_files WHERE import_id = ? ORDER BY file_id", [import_id])
        assert len(files) == case.files
        tables = _tables(case.source)
        for fid, read, loaded, rejected, encoding, _w in files:
            assert read == loaded + rejected
            stored = sum(ws.scalar(f"SELECT count(*) FROM {t} WHERE file_id = ?", [fid])
                         for t in tables)
            assert stored == loaded
            assert ws.scalar("SELECT count(*) FROM rejects WHERE file_id = ?", [fid]) == rejected
            if case.encoding is not None:
                assert encoding == case.encoding
        got = tuple(sum(f[i] for f in files) for i in (1, 2, 3))
        assert got == case.counts
        assert f"read {got[0]} = loaded {got[1]} + rejected {got[2]}" in out
        rejects = ws.sql("SELECT row_number, field, reason FROM rejects WHERE import_id = ? "
                         "ORDER BY file_id, row_number", [import_id])
        assert len(rejects) == len(case.rejects), rejects
        for (row, fld, reason), (e_row, e_field, e_reason) in zip(rejects, case.rejects,
                                                                   strict=True):
            assert (row, fld) == (e_row, e_field), (row, fld, reason)
            assert reason.startswith(e_reason), reason
        warnings = " | ".join(w for f in files for w in (f[5] or []))
        for frag in case.warnings:
            assert frag in warnings, warnings
            assert _flat(frag) in out
        listed = " | ".join(not_imported or [])
        for frag in case.not_imported:
            assert frag in listed, listed
            assert _flat(frag) in out
        if not case.not_imported:
            assert not not_imported
    finally:
        ws.close()


def test_zip_gz_and_plain_give_the_same_result(base, tmp_path, env):
    """The same content, damaged in the same ways, as .csv, .csv.gz and a ZIP member."""
    data = rows("youth_justice", 12)
    data[3]["age"] = "200"
    data[4]["offence_description"] = "caf\xe9 \u2013 \xa3"   # Windows-1252 bytes below
    text = csv_bytes(data).decode().splitlines()
    text[6] = text[6].replace("2024-", '"2024-', 1)   # an unclosed quote
    text[9] += ",extra"                                # a ragged row
    content = ("\n".join(text) + "\n").encode("cp1252")
    forms = {"plain": lambda d: _put(d / "yj.csv", content),
             "gz": lambda d: _put(d / "yj.csv.gz", gzip.compress(content)),
             "zip": lambda d: _zip(d / "yj.zip", "inner/yj.csv", content)}
    outcomes = {}
    for name, make in forms.items():
        ws_path = tmp_path / name
        shutil.copytree(base["youth_justice"], ws_path)
        ws = Workspace.open(ws_path)
        try:
            s = import_source(ws, SOURCES["youth_justice"], [make(tmp_path / f"in-{name}")])
            (f,) = s.files
            outcomes[name] = (f.rows_read, f.rows_loaded, f.rows_rejected, f.encoding,
                              ws.sql("SELECT row_number, field, reason, CAST(raw AS VARCHAR) "
                                     "FROM rejects WHERE file_id = ? ORDER BY row_number",
                                     [f.file_id]),
                              ws.sql("SELECT * EXCLUDE (file_id, import_id) FROM youth_justice_events "
                                     "WHERE file_id = ? ORDER BY row_number", [f.file_id]))
        finally:
            ws.close()
    assert outcomes["plain"][:4] == (12, 9, 3, "cp1252")
    assert outcomes["plain"] == outcomes["gz"] == outcomes["zip"]


def _put(p: Path, content: bytes) -> Path:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(content)
    return p


def _zip(p: Path, member: str, content: bytes) -> Path:
    p.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(member, content)
    return p
