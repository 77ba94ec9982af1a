"""Police.uk-format files written by the tests themselves (never copied from ../shared)."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
from pathlib import Path

from vru.sources.police_uk import OUTCOME_COLUMNS, STOP_SEARCH_COLUMNS, STREET_COLUMNS


def crime_id(i: int) -> str:
    return hashlib.sha256(f"crime-{i}".encode()).hexdigest()


def street_row(i: int, month: str = "2023-05", **over) -> dict:
    row = {
        "Crime ID": crime_id(i), "Month": month, "Reported by": "Test Police",
        "Falls within": "Test Police", "Longitude": f"{-0.46 + (i % 50) * 0.001:.6f}",
        "Latitude": f"{52.13 + (i % 37) * 0.001:.6f}", "Location": "On or near High Street",
        "LSOA code": "E01017540", "LSOA name": "Bedford 001A",
        "Crime type": "Violence and sexual offences",
        "Last outcome category": "Under investigation", "Context": "",
    }
    row.update(over)
    return row


def outcome_row(i: int, month: str = "2023-05", **over) -> dict:
    row = {k: v for k, v in street_row(i, month).items() if k in OUTCOME_COLUMNS}
    row["Outcome type"] = "Investigation complete; no suspect identified"
    row.update(over)
    return row


def search_row(i: int, when: str = "2023-05-03T14:10:00+00:00", **over) -> dict:
    row = {
        "Type": "Person search", "Date": when, "Part of a policing operation": "False",
        "Policing operation": "", "Latitude": "52.135", "Longitude": "-0.466",
        "Gender": "Male", "Age range": "18-24", "Self-defined ethnicity": "",
        "Officer-defined ethnicity": "White", "Legislation": "Misuse of Drugs Act 1971 (section 23)",
        "Object of search": "Controlled drugs", "Outcome": "A no further action disposal",
        "Outcome linked to object of search": "False",
        "Removal of more than just outer clothing": "False",
    }
    row.update(over)
    return row


def write_csv(path: Path, rows: list[dict], columns: list[str] | None = None,
              gz: bool = False) -> Path:
    columns = columns or (list(rows[0]) if rows else STREET_COLUMNS)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    for r in rows:
        w.writerow(r)
    data = buf.getvalue().encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    if gz:
        path.write_bytes(gzip.compress(data, mtime=0))
    else:
        path.write_bytes(data)
    return path


def street_file(folder: Path, month: str = "2023-05", n: int = 20, force: str = "test",
                start: int = 0, **over) -> Path:
    rows = [street_row(start + i, month, **over) for i in range(n)]
    return write_csv(folder / month / f"{month}-{force}-street.csv", rows, STREET_COLUMNS)


__all__ = ["STOP_SEARCH_COLUMNS", "STREET_COLUMNS", "OUTCOME_COLUMNS", "crime_id", "outcome_row",
           "search_row", "street_file", "street_row", "write_csv"]
