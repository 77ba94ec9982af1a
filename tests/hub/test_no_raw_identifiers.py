"""Raw identifiers never reach the workspace: plant them, import, search every byte.

Known identifiers (NHS numbers, pupil numbers, PNC IDs, a name + date of birth) are written into
partner files of every identifier-carrying source, in CSV, .csv.gz, XLSX and ZIP form, in good
rows, rows rejected by validation, structurally broken rows and a file refused outright. After
importing (through the library and the CLI) every byte of the workspace folder (database, WAL,
DuckDB temp files, logs, exports) and of the temp folder is searched for each identifier in
UTF-8, UTF-16 and its normalised forms. A control string planted in a free-text field is found,
so the search can see what is there.
"""

from __future__ import annotations

import gzip
import tempfile
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.hub.samples import NAME, NHS, NHS_BAD_CHECK, PNC, SAMPLES, UPN, write_csv, write_xlsx
from vru.cli import app
from vru.sources.contract import import_source
from vru.sources.files import ImportRefused
from vru.sources.registry import SOURCES
from vru.testing import leaks

CONTROL = "CTRLMARKER7731QX"
EXTRA_NHS = "4010232137"
RAGGED_NHS = "9434765870"
PLANTED = [*NHS, NHS_BAD_CHECK, *UPN, *PNC, "2023/0123456A", "99/4455667B", NAME[0], NAME[1],
           "Quixotic", "Smythe", "quixoticsmythe", "zebedee", NAME[2], "943 476 5919",
           "A12345678901X", "7654321Z", "1234567X"]


def _files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def _hits(root: Path) -> list[tuple[str, str]]:
    return leaks.find(root, leaks.needles(PLANTED))


def _partner_files(d: Path) -> dict[str, list[Path]]:
    """Partner files full of identifiers, in every form, with good and bad rows."""
    files: dict[str, list[Path]] = {}
    adm = [dict(r) for r in SAMPLES["admissions"]["admissions"]]
    adm.append(dict(adm[0], nhs_number=NHS_BAD_CHECK))                     # bad check digit
    adm.append(dict(adm[0], nhs_number="943 476 5919", admission_date="2024-02-30"))
    adm.append(dict(adm[0], nhs_number="A12345678901X"))                   # not an NHS number
    p = write_csv(d / "adm" / "admissions.csv", adm)
    # A structurally broken row carrying an NHS number (one field too many).
    with open(p, "a", encoding="utf-8") as fh:
        fh.write(f"{RAGGED_NHS},2024-01-01,,,X99,20,M,E01017525,extra\n")
    gz = d / "adm" / "admissions2.csv.gz"
    gz.write_bytes(gzip.compress(
        write_csv(d / "tmp-adm2.csv", [dict(adm[0], nhs_number=EXTRA_NHS,
                                            admission_date="2024-05-05")]).read_bytes()))
    (d / "tmp-adm2.csv").unlink()
    files["admissions"] = [d / "adm"]

    edu = [dict(r) for r in SAMPLES["education"]["exclusions"]]
    edu.append(dict(edu[0], upn="A12345678901X", school_urn="12"))         # rejected row
    write_xlsx(d / "edu" / "exclusions.xlsx", edu)
    files["education"] = [d / "edu"]

    yj = [dict(r) for r in SAMPLES["youth_justice"]["events"]]
    yj.append(dict(yj[1], age="99"))                                        # rejected, with name
    yj.append(dict(yj[0], pnc_id="99/4455667B", event_type="NOPE"))        # rejected, with PNC
    src = write_csv(d / "tmp-yj.csv", yj)
    with zipfile.ZipFile(d / "yj.zip", "w") as zf:
        zf.write(src, "yj/events.csv")
    src.unlink()
    files["youth_justice"] = [d / "yj.zip"]

    rms = [dict(r) for r in SAMPLES["police_rms"]["crimes"]]
    rms[0]["location"] = CONTROL
    rms.append(dict(rms[1], crime_reference="BD/X", suspect_id="2019/7654321Z", victim_age="x"))
    files["police_rms"] = [write_csv(d / "rms.csv", rms)]

    em = d / "em"
    write_csv(em / "people.csv", SAMPLES["em_gps"]["people"])
    pings = [dict(r) for r in SAMPLES["em_gps"]["pings"]]
    pings.append(dict(pings[0], ping_time="bad"))
    write_csv(em / "pings.csv", pings)
    write_xlsx(em / "zones.xlsx", SAMPLES["em_gps"]["zones"])
    files["em_gps"] = [em]
    return files


def test_no_raw_identifier_reaches_the_workspace(hub_ws, tmp_path, monkeypatch, key_env):
    private_tmp = tmp_path / "systemp"
    private_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(private_tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    files = _partner_files(tmp_path / "partner")
    ws_path = hub_ws.path

    loaded = 0
    for source, paths in files.items():
        if source == "police_rms":
            continue  # through the CLI below
        s = import_source(hub_ws, SOURCES[source], paths)
        assert s.rows_read == s.rows_loaded + s.rows_rejected
        assert s.rows_rejected > 0  # identifiers were planted in rejected rows too
        loaded += s.rows_loaded
    assert loaded > 10

    # A file refused outright (a column outside the contract) must not echo its content.
    bad = write_csv(tmp_path / "refused" / "adm.csv",
                    [dict(SAMPLES["admissions"]["admissions"][0], maiden_name=NAME[1])])
    with pytest.raises(ImportRefused) as exc:
        import_source(hub_ws, SOURCES["admissions"], [bad])
    assert not any(s in str(exc.value) for s in PLANTED)

    # Rejects keep pseudonyms or nothing, never the raw value.
    raws = [r[0] for r in hub_ws.sql("SELECT raw FROM rejects WHERE raw IS NOT NULL")]
    assert raws and not any(s in r for r in raws for s in PLANTED)
    assert hub_ws.scalar("SELECT count(*) FROM rejects WHERE raw IS NULL") >= 1  # ragged row

    # While the workspace is open (WAL not yet checkpointed) ...
    assert _hits(ws_path) == []
    hub_ws.close()

    # ... and through the CLI, which also writes logs and prints results.
    result = CliRunner().invoke(app, ["import", "police-rms", "-w", str(ws_path),
                                      str(files["police_rms"][0])])
    assert result.exit_code == 0, result.output
    assert "rejected" in result.output
    assert not any(s in result.output for s in PLANTED)
    assert (ws_path / "logs" / "imports.log").read_text().count("\n") >= 5

    # The control string in a free-text field is there to be found.
    assert any(CONTROL.encode() in p.read_bytes() for p in _files_under(ws_path))
    assert _hits(ws_path) == []
    assert _hits(private_tmp) == []
    # The key is not stored with the data either.
    assert not any(key_env.encode() in p.read_bytes() for p in _files_under(ws_path))


def test_spilling_is_forbidden_only_while_identifiers_are_processed(hub_ws, tmp_path):
    import vru.sources.contract.sql as sqlgen

    default = hub_ws.scalar("SELECT current_setting('max_temp_directory_size')")
    seen: list[str] = []
    original = sqlgen.validate

    def spy(con, c, *args):
        seen.append(hub_ws.scalar("SELECT current_setting('max_temp_directory_size')"))
        if len(seen) == 2:
            raise RuntimeError("boom")  # a failure mid-validation
        return original(con, c, *args)

    adm = SAMPLES["admissions"]["admissions"]
    sqlgen.validate = spy
    try:
        import_source(hub_ws, SOURCES["admissions"], [write_csv(tmp_path / "a.csv", adm)])
        with pytest.raises(RuntimeError, match="boom"):
            import_source(hub_ws, SOURCES["admissions"], [write_csv(tmp_path / "b.csv", adm[:1])])
        assert hub_ws.scalar("SELECT current_setting('max_temp_directory_size')") == default
        import_source(hub_ws, SOURCES["patrols"],
                      [write_csv(tmp_path / "p.csv", SAMPLES["patrols"]["pings"])])
    finally:
        sqlgen.validate = original
    # admissions (identifiers) twice, then patrols (none)
    assert seen == ["0 bytes", "0 bytes", default]
    assert hub_ws.scalar("SELECT current_setting('max_temp_directory_size')") == default
