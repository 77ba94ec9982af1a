"""Source-specific behaviour: the ISTV XML form and resubmissions; force extracts in crimes;
derived fields of admissions."""

from __future__ import annotations

import contextlib
import math
import warnings

import pytest
from pyproj import Transformer

from tests.hub.samples import SAMPLES, write_csv
from vru.sources.contract import import_source
from vru.sources.files import ImportRefused
from vru.sources.istv import XML_ASSAULT, XML_HEADER
from vru.sources.registry import SOURCES

ASSAULTS = SAMPLES["istv"]["assaults"]
PROVENANCE = ("file_id", "import_id")


def _xml(rows: list[dict[str, str]], ns: str = "", extra: str = "") -> str:
    inv_h = {v: k for k, v in XML_HEADER.items()}
    inv_a = {v: k for k, v in XML_ASSAULT.items()}
    r0 = rows[0]
    head = "".join(f"<{inv_h[c]}>{r0[c]}</{inv_h[c]}>" for c in XML_HEADER.values())
    body = ""
    for r in rows:
        body += "<Assault>" + "".join(
            f"<{inv_a[c]}>{r[c]}</{inv_a[c]}>" if r[c] else f"<{inv_a[c]}/>"
            for c in XML_ASSAULT.values()) + extra + "</Assault>\n"
    xmlns = f' xmlns="{ns}"' if ns else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<ISTVSubmission{xmlns}>'
            f"<SubmissionHeader>{head}</SubmissionHeader>\n{body}</ISTVSubmission>\n")


def _rows(ws, table: str) -> list[tuple]:
    cols = [r[0] for r in ws.sql("SELECT column_name FROM duckdb_columns() WHERE table_name = ? "
                                 "AND column_name NOT IN ('file_id', 'import_id')", [table])]
    return ws.sql(f"SELECT {', '.join(cols)} FROM {table} ORDER BY row_number")


def test_istv_xml_form_loads_the_same_as_csv(hub_ws, tmp_path):
    x = tmp_path / "sub.xml"
    x.write_text(_xml(ASSAULTS, ns="urn:example:istv"))
    s = import_source(hub_ws, SOURCES["istv"], [x])
    assert (s.rows_read, s.rows_loaded, s.rows_rejected) == (3, 3, 0)
    from_xml = _rows(hub_ws, "ed_assaults")
    hub_ws.sql("DELETE FROM ed_assaults")
    hub_ws.sql("DELETE FROM source_files")
    import_source(hub_ws, SOURCES["istv"], [write_csv(tmp_path / "sub.csv", ASSAULTS)])
    assert _rows(hub_ws, "ed_assaults") == from_xml


def test_istv_xml_unknown_element_or_bad_xml_is_refused(hub_ws, tmp_path):
    x = tmp_path / "sub.xml"
    x.write_text(_xml(ASSAULTS, extra="<PatientName>Jane</PatientName>"))
    with pytest.raises(ImportRefused, match="unknown element 'PatientName' in Assault number 1"):
        import_source(hub_ws, SOURCES["istv"], [x])
    x.write_text("<NotISTV/>")
    with pytest.raises(ImportRefused, match="not an ISTV XML submission"):
        import_source(hub_ws, SOURCES["istv"], [x])
    x.write_text(_xml(ASSAULTS).replace("</Assault>", "</Assualt>", 1))
    with pytest.raises(ImportRefused, match=r"not well-formed XML \(line \d+\)"):
        import_source(hub_ws, SOURCES["istv"], [x])
    assert hub_ws.scalar("SELECT count(*) FROM ed_assaults") == 0


def test_istv_xml_entities_are_not_expanded(hub_ws, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    x = tmp_path / "xxe.xml"
    body = _xml(ASSAULTS[:1]).replace(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
        f'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]>\n')
    x.write_text(body.replace("outside the Crown, High St", "&x;"))
    with contextlib.suppress(ImportRefused):  # refusing the file is fine too
        import_source(hub_ws, SOURCES["istv"], [x])
    assert "TOPSECRET" not in str(hub_ws.sql("SELECT * FROM ed_assaults"))


def test_istv_resubmission_replaces_the_same_site_and_period(hub_ws, tmp_path):
    first = write_csv(tmp_path / "jan-v1.csv", ASSAULTS)
    import_source(hub_ws, SOURCES["istv"], [first])
    corrected = [dict(r, age_band="65+") for r in ASSAULTS[:2]]
    s = import_source(hub_ws, SOURCES["istv"], [write_csv(tmp_path / "jan-v2.csv", corrected)])
    assert s.files[0].status == "replaced"
    assert hub_ws.sql("SELECT DISTINCT age_band FROM ed_assaults") == [("65+",)]
    assert hub_ws.scalar("SELECT count(*) FROM ed_assaults") == 2
    assert hub_ws.sql("SELECT partition_key, rows_removed FROM file_replacements") == [
        ("istv/RC971/2024-01-01/2024-01-31", 3)]
    feb = [dict(r, period_start="2024-02-01", period_end="2024-02-29",
                arrival_datetime=r["arrival_datetime"].replace("2024-01", "2024-02"),
                assault_datetime=r["assault_datetime"].replace("2024-01", "2024-02"))
           for r in ASSAULTS[:1]]
    s = import_source(hub_ws, SOURCES["istv"], [write_csv(tmp_path / "feb.csv", feb)])
    assert s.files[0].status == "loaded"
    assert hub_ws.scalar("SELECT count(*) FROM ed_assaults") == 3
    # Re-running the old submission changes nothing (its content was loaded before).
    assert import_source(hub_ws, SOURCES["istv"], [first]).files[0].status == "skipped"
    assert hub_ws.scalar("SELECT count(*) FROM ed_assaults") == 3


def test_istv_locations_and_site_level_counts(hub_ws, tmp_path):
    import_source(hub_ws, SOURCES["istv"], [write_csv(tmp_path / "a.csv", ASSAULTS)])
    got = hub_ws.sql("SELECT record_ref, geo_method, postcode, flags, easting, northing, cell_e "
                     "FROM ed_assaults ORDER BY record_ref")
    assert [(g[0], g[1], g[2], g[3]) for g in got] == [
        ("A1", "coordinates", None, []), ("A2", "postcode", "MK40 1AA", []),
        ("A3", "none", None, ["no_location"])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e, n = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True).transform(
            -0.4667, 52.1356)
    assert math.isclose(got[0][4], e, abs_tol=1e-6) and math.isclose(got[0][5], n, abs_tol=1e-6)
    assert got[0][6] == math.floor(e / 150) * 150
    # Records without a location still count at site level.
    assert hub_ws.sql("SELECT site_code, count(*) FROM ed_assaults GROUP BY 1") == [("RC971", 3)]


# ------------------------------------------------------------------------ police force extracts
def test_force_extract_lands_in_the_canonical_crimes_table(hub_ws, tmp_path):
    rows = SAMPLES["police_rms"]["crimes"]
    import_source(hub_ws, SOURCES["police_rms"], [write_csv(tmp_path / "rms.csv", rows)])
    got = {r[0]: r[1:] for r in hub_ws.sql(
        "SELECT crime_id, source, month, occurred_from, occurred_to, crime_type, ho_offence_code, "
        "flags, knife_flag, domestic_flag, victim_age, reported_by, longitude, latitude, cell_e, "
        "cell_n FROM crimes")}
    a, b, c = got["BD/24/0001"], got["BD/24/0002"], got["BD/24/0003"]
    assert a[0] == "police_rms" and str(a[1]) == "2024-01-01"
    assert a[2] == a[3] and str(a[2]) == "2024-01-03 22:30:00"
    assert (a[4], a[5], a[6], a[7], a[8], a[9]) == (
        "Violence and sexual offences", "8N", [], True, False, 19)
    assert a[10] == "police_rms agency"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lon, lat = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True).transform(
            505040.0, 249697.0)
    assert math.isclose(a[11], lon, abs_tol=1e-9) and math.isclose(a[12], lat, abs_tol=1e-9)
    assert (a[13], a[14]) == (505040 // 150 * 150, 249697 // 150 * 150)
    assert (b[4], b[5], str(b[1]), str(b[3])) == ("Robbery", "34B", "2024-02-01",
                                                   "2024-02-10 21:00:00")
    assert b[6] == ["no_location", "time_window"] and b[13] is None
    assert (c[4], c[6]) == ("Other crime", ["offence_code_unmapped"])
    # The crimes_geo view carries them like police.uk rows.
    assert hub_ws.scalar("SELECT count(*) FROM crimes_geo WHERE source = 'police_rms'") == 3


@pytest.mark.parametrize(("code", "category"), [
    ("1", "Violence and sexual offences"), ("4.1", "Violence and sexual offences"),
    ("37.1", "Violence and sexual offences"), ("37.2", "Vehicle crime"),
    ("10D", "Possession of weapons"), ("46", "Shoplifting"), ("28E", "Burglary"),
    ("58A", "Criminal damage and arson"), ("92D", "Drugs"),
    ("105A", "Violence and sexual offences"),
    ("34A", "Robbery"), ("44", "Bicycle theft"), ("39", "Theft from the person"),
])
def test_offence_code_mapping(hub_ws, tmp_path, code, category):
    row = dict(SAMPLES["police_rms"]["crimes"][1], ho_offence_code=code)
    import_source(hub_ws, SOURCES["police_rms"], [write_csv(tmp_path / "r.csv", [row])])
    assert hub_ws.sql("SELECT crime_type FROM crimes") == [(category,)]


def test_crime_reference_already_loaded_is_rejected(hub_ws, tmp_path):
    rows = SAMPLES["police_rms"]["crimes"]
    import_source(hub_ws, SOURCES["police_rms"], [write_csv(tmp_path / "a.csv", rows)])
    update = [dict(rows[0], last_outcome="Charged"), dict(rows[0], crime_reference="BD/24/0009")]
    s = import_source(hub_ws, SOURCES["police_rms"], [write_csv(tmp_path / "b.csv", update)])
    assert (s.rows_loaded, s.rows_rejected) == (1, 1)
    assert hub_ws.scalar("SELECT reason FROM rejects") == (
        "crime_reference: crime reference already loaded from an earlier extract")


def test_admissions_derive_assault_and_sharp_object(hub_ws, tmp_path):
    rows = SAMPLES["admissions"]["admissions"]
    extra = [dict(rows[0], icd10_cause=c, discharge_date="") for c in ("X85", "Y09", "Y10", "X84")]
    import_source(hub_ws, SOURCES["admissions"], [write_csv(tmp_path / "a.csv", rows + extra)])
    got = hub_ws.sql("SELECT icd10_cause, assault, sharp_object FROM hospital_admissions "
                     "ORDER BY row_number")
    assert got == [("X991", True, True), ("Y04", True, False), ("W01", False, False),
                   ("X85", True, False), ("Y09", True, False), ("Y10", False, False),
                   ("X84", False, False)]
