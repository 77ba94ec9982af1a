"""Good sample rows for every data-hub contract, and helpers to write partner files.

The identifiers below are made up but valid in form (the NHS numbers pass the modulus-11
check); tests plant them and then prove they never reach the workspace.
"""

from __future__ import annotations

import csv
from pathlib import Path

NHS = ["9434765919", "9434765870", "4010232137"]          # valid check digits
NHS_BAD_CHECK = "9434765918"
UPN = ["A123456789012", "B987654321098"]
PNC = ["23/123456A", "2019/7654321Z"]
PNC_SAME_AS_FIRST = "2023/0123456A"                       # same record as PNC[0]
NAME = ("Zebedee", "Quixotic-Smythe", "2008-03-14")

SAMPLES: dict[str, dict[str, list[dict[str, str]]]] = {
    "istv": {"assaults": [
        dict(site_code="RC971", period_start="2024-01-01", period_end="2024-01-31",
             record_ref="A1", arrival_datetime="2024-01-03 23:10",
             assault_datetime="2024-01-03 22:30", assault_method="SHARP",
             assault_method_other="", location_type="STREET",
             location_description="outside the Crown, High St", age_band="18-24", sex="M",
             longitude="-0.4667", latitude="52.1356", postcode="", lsoa_code=""),
        dict(site_code="RC971", period_start="2024-01-01", period_end="2024-01-31",
             record_ref="A2", arrival_datetime="05/01/2024 01:10",
             assault_datetime="2024-01-05 00:30", assault_method="body",
             assault_method_other="", location_type="pub_club", location_description="",
             age_band="25-34", sex="F", longitude="", latitude="", postcode="mk401aa",
             lsoa_code=""),
        dict(site_code="RC971", period_start="2024-01-01", period_end="2024-01-31",
             record_ref="A3", arrival_datetime="2024-01-09 12:00:00",
             assault_datetime="2024-01-08 20:00", assault_method="OTHER",
             assault_method_other="bicycle lock", location_type="HOME",
             location_description="", age_band="", sex="", longitude="", latitude="",
             postcode="", lsoa_code=""),
    ]},
    "police_rms": {"crimes": [
        dict(crime_reference="BD/24/0001", ho_offence_code="8N", offence_description="ABH",
             committed_from="2024-01-03 22:30", committed_to="", easting="505040",
             northing="249697", location="High St", lsoa_code="E01017525", victim_age="19",
             victim_sex="M", suspect_id=PNC[0], knife_flag="Y", domestic_flag="N",
             last_outcome=""),
        dict(crime_reference="BD/24/0002", ho_offence_code="34b",
             offence_description="Robbery of personal property",
             committed_from="2024-02-10 18:00", committed_to="2024-02-10 21:00",
             easting="", northing="", location="", lsoa_code="", victim_age="",
             victim_sex="", suspect_id="", knife_flag="", domestic_flag="", last_outcome=""),
        dict(crime_reference="BD/24/0003", ho_offence_code="999X",
             offence_description="Unlisted", committed_from="2024-03-01 10:00",
             committed_to="", easting="506000", northing="250000", location="", lsoa_code="",
             victim_age="40", victim_sex="F", suspect_id=PNC_SAME_AS_FIRST, knife_flag="N",
             domestic_flag="Y", last_outcome="Under investigation"),
    ]},
    "admissions": {"admissions": [
        dict(nhs_number=NHS[0], admission_date="2024-01-04", discharge_date="2024-01-06",
             provider_code="RC9", icd10_cause="X99.1", age="19", sex="M",
             lsoa_code="E01017525"),
        dict(nhs_number="943 476 5870", admission_date="2024-02-01", discharge_date="",
             provider_code="", icd10_cause="Y04", age="33", sex="F", lsoa_code=""),
        dict(nhs_number=NHS[2], admission_date="2024-03-01", discharge_date="",
             provider_code="", icd10_cause="W01", age="80", sex="F", lsoa_code=""),
    ]},
    "education": {"exclusions": [
        dict(upn=UPN[0], school_urn="109876", event_date="2024-01-10",
             exclusion_type="SUSPENSION", reason_code="PA", sessions="4", year_group="9",
             lsoa_code="E01017525"),
        dict(upn=UPN[1], school_urn="109877", event_date="2024-02-12",
             exclusion_type="permanent", reason_code="wp", sessions="", year_group="11",
             lsoa_code=""),
    ]},
    "youth_justice": {"events": [
        dict(pnc_id=PNC[0], forename="", surname="", date_of_birth="", event_type="FTE",
             event_date="2024-01-20", offence_code="10D", offence_description="Knife possession",
             outcome_code="", age="16", sex="M", lsoa_code="E01017525"),
        dict(pnc_id="", forename=NAME[0], surname=NAME[1], date_of_birth=NAME[2],
             event_type="OUTCOME", event_date="2024-02-20", offence_code="",
             offence_description="", outcome_code="RO", age="15", sex="F", lsoa_code=""),
    ]},
    "em_gps": {
        "people": [
            dict(person_id=PNC[0], order_type="GPS_TRAIL", start_date="2024-01-01",
                 end_date="2030-01-01"),
            dict(person_id=PNC[1], order_type="EXCLUSION", start_date="2024-01-15", end_date=""),
        ],
        "pings": [
            dict(person_id=PNC[0], ping_time="2024-01-03 22:31:00", longitude="-0.4667",
                 latitude="52.1356", accuracy_m="8"),
            dict(person_id=PNC[0], ping_time="2024-01-03 22:32:00", longitude="-0.4660",
                 latitude="52.1350", accuracy_m=""),
            dict(person_id=PNC[1], ping_time="2024-01-03 22:33:00", longitude="-0.47",
                 latitude="52.14", accuracy_m="12.5"),
        ],
        "zones": [
            dict(person_id=PNC[1], zone_id="Z1", zone_type="EXCLUSION",
                 polygon_wkt="POLYGON((-0.47 52.13, -0.46 52.13, -0.46 52.14, -0.47 52.14, "
                             "-0.47 52.13))",
                 active_from="2024-01-15", active_to="", days="ALL", start_time="",
                 end_time=""),
            dict(person_id=PNC[1], zone_id="Z2", zone_type="EXCLUSION",
                 polygon_wkt="POLYGON ((-0.5 52.1, -0.49 52.1, -0.49 52.11, -0.5 52.1))",
                 active_from="2024-01-15", active_to="2024-06-30", days="FRI,SAT",
                 start_time="19:00", end_time="07:00"),
        ],
    },
    "patrols": {
        "pings": [
            dict(patrol_id="HS-07", ping_time="2024-01-03 22:00:00", longitude="-0.4667",
                 latitude="52.1356", accuracy_m="5"),
            dict(patrol_id="HS-07", ping_time="2024-01-03 22:01:00", longitude="-0.4668",
                 latitude="52.1357", accuracy_m=""),
        ],
        "logs": [
            dict(patrol_id="HS-07", started_at="2024-01-03 22:00", ended_at="2024-01-03 22:15",
                 longitude="-0.4667", latitude="52.1356", hotspot_id="H12",
                 activity="foot patrol"),
            dict(patrol_id="HS-08", started_at="2024-01-04 22:00", ended_at="2024-01-04 22:20",
                 longitude="", latitude="", hotspot_id="", activity=""),
        ],
    },
}


def write_csv(path: Path, rows: list[dict[str, str]], header: list[str] | None = None) -> Path:
    header = header or list(rows[0])
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for r in rows:
            w.writerow([r.get(h, "") for h in header])
    return path


def write_xlsx(path: Path, rows: list[dict[str, str]], types: dict[str, str] | None = None
               ) -> Path:
    """An Excel workbook as a partner would make it: dates as Excel dates, numbers as numbers
    (an NHS number typed into Excel becomes a number), text as text."""
    import openpyxl

    types = types or {}
    wb = openpyxl.Workbook()
    ws = wb.active
    header = list(rows[0])
    ws.append(header)
    for r in rows:
        ws.append([_excel_value(r[h], types.get(h, "text")) for h in header])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _excel_value(v: str, t: str):
    from datetime import datetime

    if v == "":
        return None
    if t in ("date", "datetime"):
        for fmt in ("%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M"):
            try:
                d = datetime.strptime(v, fmt)
            except ValueError:
                continue
            return d.date() if t == "date" else d
    if t in ("int", "decimal") or (t == "id" and v.isdigit()):
        try:
            f = float(v)
            return int(f) if f.is_integer() else f
        except ValueError:
            return v
    return v
