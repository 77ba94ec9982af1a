"""Governance at the door: agreements, the pseudonymisation key, pseudonyms, retention."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta

import pytest

from tests.hub.conftest import TEST_KEY
from tests.hub.samples import PNC, PNC_SAME_AS_FIRST, SAMPLES, write_csv
from vru.privacy import agreements
from vru.privacy.pseudonymise import (
    KEY_ENV,
    KEY_FILE_ENV,
    IdentifierError,
    Pseudonymiser,
    PseudonymKeyError,
    load_key,
    nhs_check_digit_ok,
    normalise,
)
from vru.sources.contract import import_source
from vru.sources.registry import SOURCES
from vru.sources.retention import apply_retention, months_before
from vru.testing import new_workspace
from vru.testing.crimes import insert_crimes


# ----------------------------------------------------------------------------- agreements
def test_import_without_agreement_is_refused_and_writes_nothing(tmp_path, key_env):
    ws = new_workspace(tmp_path / "ws")
    path = write_csv(tmp_path / "a.csv", SAMPLES["admissions"]["admissions"])
    with pytest.raises(agreements.AgreementMissing, match="no data-sharing agreement.*admissions"):
        import_source(ws, SOURCES["admissions"], [path])
    assert ws.scalar("SELECT count(*) FROM imports") == 0
    assert ws.scalar("SELECT count(*) FROM hospital_admissions") == 0
    # An agreement for another source does not count.
    with ws.transaction() as con:
        agreements.add(con, "istv", "Hospital", "SV Duty", ["profile"], 12)
    with pytest.raises(agreements.AgreementMissing):
        import_source(ws, SOURCES["admissions"], [path])
    ws.close()


def test_agreement_not_in_force_is_refused(tmp_path, key_env):
    ws = new_workspace(tmp_path / "ws")
    today = date.today()
    with ws.transaction() as con:
        agreements.add(con, "admissions", "ICB", "SV Duty", ["profile"], 12,
                       valid_from=today - timedelta(days=400), valid_to=today - timedelta(days=1))
    path = write_csv(tmp_path / "a.csv", SAMPLES["admissions"]["admissions"])
    with pytest.raises(agreements.AgreementMissing, match="not in force"):
        import_source(ws, SOURCES["admissions"], [path])
    with ws.transaction() as con:
        agreements.add(con, "admissions", "ICB", "SV Duty", ["profile"], 12,
                       valid_from=today - timedelta(days=1))
    assert import_source(ws, SOURCES["admissions"], [path]).rows_loaded == 3
    ws.close()


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"source": "twitter"}, "unknown source"),
    ({"owning_agency": " "}, "owning agency"),
    ({"legal_basis": ""}, "legal basis"),
    ({"purposes": []}, "purpose"),
    ({"retention_months": 0}, "retention"),
    ({"valid_from": date(2024, 2, 1), "valid_to": date(2024, 1, 1)}, "valid_to"),
])
def test_agreement_fields_are_validated(workspace, kwargs, message):
    args = dict(source="istv", owning_agency="A", legal_basis="B", purposes=["C"],
                retention_months=12)
    args.update(kwargs)
    with pytest.raises(ValueError, match=message), workspace.transaction() as con:
        agreements.add(con, **args)
    assert agreements.list_all(workspace.reader()) == []


# ----------------------------------------------------------------------------- the key
def test_key_sources_and_refusals(tmp_path, monkeypatch):
    ws_dir = tmp_path / "ws"
    ws_dir.mkdir()
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)
    with pytest.raises(PseudonymKeyError, match="no pseudonymisation key"):
        load_key(ws_dir)
    inside = ws_dir / "secret.key"
    inside.write_text(TEST_KEY)
    monkeypatch.setenv(KEY_FILE_ENV, str(inside))
    with pytest.raises(PseudonymKeyError, match="inside the workspace"):
        load_key(ws_dir)
    outside = tmp_path / "keys" / "vru.key"
    outside.parent.mkdir()
    outside.write_text(TEST_KEY + "\n")
    monkeypatch.setenv(KEY_FILE_ENV, str(outside))
    assert load_key(ws_dir) == TEST_KEY.encode()
    outside.write_text("short")
    with pytest.raises(PseudonymKeyError, match="too short") as exc:
        load_key(ws_dir)
    assert "short'" not in str(exc.value)  # the key itself is never echoed
    monkeypatch.setenv(KEY_ENV, TEST_KEY)  # the environment wins over the file
    assert load_key(ws_dir) == TEST_KEY.encode()


def test_import_with_a_different_key_is_refused(hub_ws, tmp_path, monkeypatch):
    path = write_csv(tmp_path / "a.csv", SAMPLES["admissions"]["admissions"])
    import_source(hub_ws, SOURCES["admissions"], [path])
    monkeypatch.setenv(KEY_ENV, "another-key-entirely-0000000")
    other = write_csv(tmp_path / "b.csv", SAMPLES["admissions"]["admissions"][:1])
    with pytest.raises(PseudonymKeyError, match="fingerprint mismatch"):
        import_source(hub_ws, SOURCES["admissions"], [other])
    assert hub_ws.scalar("SELECT count(*) FROM hospital_admissions") == 3
    assert hub_ws.scalar("SELECT count(*) FROM imports") == 1


# ----------------------------------------------------------------------------- pseudonyms
def _hmac_sha256_rfc2104(key: bytes, msg: bytes) -> str:
    """HMAC written out from RFC 2104, independent of Python's hmac module."""
    block = 64
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key) + msg).digest()
    return hashlib.sha256(bytes(b ^ 0x5C for b in key) + inner).hexdigest()


def test_reference_hmac_matches_rfc4231_vector():
    # RFC 4231 test case 2.
    assert _hmac_sha256_rfc2104(b"Jefe", b"what do ya want for nothing?") == (
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")


@pytest.mark.parametrize(("kind", "raw", "normal"), [
    ("nhs_number", "943 476 5919", "9434765919"),
    ("upn", "a123456789012", "A123456789012"),
    ("pnc_id", "2023/0123456a", "23/123456A"),
    ("pnc_id", "23/123456A", "23/123456A"),
])
def test_pseudonym_is_keyed_hmac_of_the_normalised_identifier(kind, raw, normal):
    p = Pseudonymiser(TEST_KEY.encode())
    expected = _hmac_sha256_rfc2104(TEST_KEY.encode(), f"{kind}:{normal}".encode())[:24]
    assert p.pseudonym(kind, raw) == expected
    assert Pseudonymiser(b"a-different-key-123456").pseudonym(kind, raw) != expected


def test_name_and_date_of_birth_normalisation():
    p = Pseudonymiser(TEST_KEY.encode())
    a = p.pseudonym("name_dob", "Zoë", "O'Brien-Smith", "2008-03-14")
    assert a == p.pseudonym("name_dob", " ZOE ", "obrien smith", "14/03/2008")
    assert a != p.pseudonym("name_dob", "Zoe", "OBrien-Smith", "2008-03-15")
    assert p.pseudonym("name_dob", None, None, None) is None
    with pytest.raises(IdentifierError, match="together"):
        p.pseudonym("name_dob", "Zoe", None, "2008-03-14")


def test_nhs_number_check_digit():
    # Modulus 11 as published in the NHS Data Dictionary, checked by hand for 943 476 591 9:
    # 9*10+4*9+3*8+4*7+7*6+6*5+5*4+9*3+1*2 = 299; 299 mod 11 = 2; 11 - 2 = 9.
    assert nhs_check_digit_ok("9434765919")
    assert not nhs_check_digit_ok("9434765918")
    # 000000001x: 1*2 = 2, 11 - 2 = 9, so only ...19 is valid.
    assert [d for d in range(10) if nhs_check_digit_ok(f"000000001{d}")] == [9]
    # 000000006x: 6*2 = 12, remainder 1, check value 10: no number is valid.
    assert not any(nhs_check_digit_ok(f"000000006{d}") for d in range(10))
    # 100000000x: 1*10 = 10, 11 - 10 = 1.
    assert [d for d in range(10) if nhs_check_digit_ok(f"100000000{d}")] == [1]
    with pytest.raises(IdentifierError) as exc:
        normalise("nhs_number", ["9434765918"])
    assert "9434765918" not in str(exc.value)


def test_same_person_same_pseudonym_across_sources(hub_ws, tmp_path):
    for source, kind in [("police_rms", "crimes"), ("youth_justice", "events"),
                         ("em_gps", "people")]:
        path = write_csv(tmp_path / f"{source}.csv", SAMPLES[source][kind])
        assert import_source(hub_ws, SOURCES[source], [path]).rows_rejected == 0
    expected = _hmac_sha256_rfc2104(TEST_KEY.encode(), f"pnc_id:{PNC[0]}".encode())[:24]
    suspects = {r[0] for r in hub_ws.sql(
        "SELECT suspect_pid FROM crimes WHERE suspect_pid IS NOT NULL")}
    assert suspects == {expected}  # PNC[0] and PNC_SAME_AS_FIRST are one record
    assert PNC[0] != PNC_SAME_AS_FIRST
    assert hub_ws.scalar("SELECT person_pid FROM youth_justice_events WHERE pid_kind = 'pnc_id'"
                         ) == expected
    assert expected in {r[0] for r in hub_ws.sql("SELECT person_pid FROM em_people")}


# ----------------------------------------------------------------------------- retention
def test_months_before_clamps_to_month_end():
    assert months_before(date(2024, 3, 31), 1) == date(2024, 2, 29)
    assert months_before(date(2024, 1, 15), 13) == date(2022, 12, 15)
    assert months_before(date(2023, 5, 31), 36) == date(2020, 5, 31)


def test_retention_purges_exactly_what_is_past_its_period(tmp_path, key_env):
    ws = new_workspace(tmp_path / "ws")
    with ws.transaction() as con:
        agreements.add(con, "admissions", "ICB", "SV Duty", ["profile"], 24)
        agreements.add(con, "education", "LA", "SV Duty", ["profile"], 120)
    as_of = date(2026, 6, 15)
    cutoff = date(2024, 6, 15)
    base = SAMPLES["admissions"]["admissions"][0]
    dates = ["2024-06-14", "2024-06-15", "2024-06-16", "2023-01-01", "2025-12-31", "2024-06-14"]
    rows = [dict(base, admission_date=d, discharge_date="") for d in dates]
    old_file = write_csv(tmp_path / "old.csv",
                         [dict(base, admission_date="2020-01-01", discharge_date=""),
                          dict(base, admission_date="2020-01-02", sex="bad")])
    mixed = write_csv(tmp_path / "mixed.csv", rows)
    import_source(ws, SOURCES["admissions"], [old_file, mixed])
    edu = write_csv(tmp_path / "edu.csv", SAMPLES["education"]["exclusions"])
    import_source(ws, SOURCES["education"], [edu])
    assert ws.scalar("SELECT count(*) FROM rejects") == 1

    expected_purged = sum(date.fromisoformat(d) < cutoff for d in dates) + 1  # + old file's row
    dry = apply_retention(ws, as_of=as_of, dry_run=True)
    assert ws.scalar("SELECT count(*) FROM hospital_admissions") == len(dates) + 1
    res = apply_retention(ws, as_of=as_of)
    (adm,) = [r for r in res if r.source == "admissions"]
    (dadm,) = [r for r in dry if r.source == "admissions"]
    assert (adm.cutoff, adm.rows_purged, adm.files_purged, adm.rejects_purged) == (
        cutoff, expected_purged, 1, 1)
    assert (dadm.rows_purged, dadm.files_purged, dadm.rejects_purged) == (expected_purged, 1, 1)
    left = sorted(r[0].isoformat() for r in ws.sql(
        "SELECT admission_date FROM hospital_admissions"))
    assert left == sorted(d for d in dates if date.fromisoformat(d) >= cutoff)
    assert ws.scalar("SELECT count(*) FROM education_exclusions") == 2  # 10-year retention
    assert ws.scalar("SELECT count(*) FROM rejects") == 0
    assert ws.sql("SELECT status FROM source_files WHERE name = 'old.csv'") == [("purged",)]
    assert ws.sql("SELECT status FROM source_files WHERE name = 'mixed.csv'") == [("active",)]
    runs = ws.sql("SELECT source, table_name, cutoff, rows_purged, dry_run FROM retention_runs "
                  "WHERE source = 'admissions' ORDER BY run_id")
    assert runs == [("admissions", "hospital_admissions", cutoff, expected_purged, True),
                    ("admissions", "hospital_admissions", cutoff, expected_purged, False)]
    # Re-importing a purged file does not bring its rows back.
    again = import_source(ws, SOURCES["admissions"], [old_file])
    assert again.files[0].status == "skipped"
    assert apply_retention(ws, as_of=as_of)[0].rows_purged == 0
    ws.close()


def test_retention_on_force_extract_rows_only_touches_police_rms(hub_ws, tmp_path):
    path = write_csv(tmp_path / "rms.csv", SAMPLES["police_rms"]["crimes"])
    import_source(hub_ws, SOURCES["police_rms"], [path])
    # A police.uk row of the same age must survive: retention is per source.
    insert_crimes(hub_ws, [{"month": date(2024, 1, 1), "crime_type": "Robbery",
                            "occurred_from": datetime(2024, 1, 1)}],
                  source="police_uk", file_id=999, import_id=999)
    res = apply_retention(hub_ws, as_of=date(2027, 2, 15), only=["police_rms"])
    assert [(r.table, r.cutoff, r.rows_purged) for r in res] == [
        ("crimes", date(2024, 2, 15), 2)]  # committed 2024-01-03 and 2024-02-10; not 2024-03-01
    assert hub_ws.scalar("SELECT count(*) FROM crimes WHERE source = 'police_uk'") == 1
    assert hub_ws.sql("SELECT crime_id FROM crimes WHERE source = 'police_rms'") == [
        ("BD/24/0003",)]
