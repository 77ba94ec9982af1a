"""data.police.uk-format files written by tests (never copied from ../shared): single rows and
files for import tests, and street files of synthetic violence with planted hot spots (known
truth) for hot-spot tests. Part of ``vru.testing`` (was ``tests/police/fixtures.py`` and the
hot-spot tests' conftest)."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
from pathlib import Path

import numpy as np

from vru.geo.bng import to_lonlat
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


# ------------------------------------------------- planted hot spots (known truth) as street files
BOX = (500_000.0, 220_000.0, 510_000.0, 230_000.0)  # 10 km x 10 km
HOT = ((503_075.0, 224_075.0), (507_525.0, 226_925.0))  # planted hot spot centres


def planted_events(n_months: int = 24, background: int = 150, hot: int = 40, seed: int = 1):
    """Uniform background plus two planted clusters (sd 40 m) every month: (x, y, month)."""
    rng = np.random.default_rng(seed)
    xs, ys, ms = [], [], []
    for m in range(n_months):
        xs.append(rng.uniform(BOX[0], BOX[2], background))
        ys.append(rng.uniform(BOX[1], BOX[3], background))
        ms.append(np.full(background, m))
        for cx, cy in HOT:
            xs.append(rng.normal(cx, 40, hot))
            ys.append(rng.normal(cy, 40, hot))
            ms.append(np.full(hot, m))
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(ms)


def write_street_files(folder: Path, n_months: int = 14, seed: int = 3) -> Path:
    """police.uk street files (one per month from 2023-01) of synthetic violence with planted
    hot spots, plus some burglary; returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    x, y, m = planted_events(n_months, background=60, hot=15, seed=seed)
    lon, lat = to_lonlat(x, y)
    rng = np.random.default_rng(seed)
    types = np.where(rng.random(len(x)) < 0.8, "Violence and sexual offences", "Burglary")
    for k in range(n_months):
        month = f"{2023 + k // 12}-{k % 12 + 1:02d}"
        path = folder / f"{month}-testshire-street.csv"
        with open(path, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(STREET_COLUMNS)
            for i in np.flatnonzero(m == k):
                crime_id = hashlib.sha256(f"id{k}-{i}".encode()).hexdigest()
                w.writerow([crime_id, month, "Testshire Police", "Testshire Police",
                            f"{lon[i]:.6f}", f"{lat[i]:.6f}", "On or near Test Street",
                            "E01000001", "Testtown 001A", types[i], "", ""])
    return folder


__all__ = ["BOX", "HOT", "STOP_SEARCH_COLUMNS", "STREET_COLUMNS", "OUTCOME_COLUMNS", "crime_id",
           "outcome_row", "planted_events", "search_row", "street_file", "street_row", "write_csv",
           "write_street_files"]
