"""Fixtures for hotspot tests: synthetic point patterns with planted hot spots (known truth),
police.uk-format files built from them, and (slow) the real Bedfordshire months."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import shared_path
from vru.geo.bng import to_lonlat
from vru.workspace import Workspace

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


STREET_HEADER = ["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude",
                 "Location", "LSOA code", "LSOA name", "Crime type", "Last outcome category",
                 "Context"]


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
            w.writerow(STREET_HEADER)
            for i in np.flatnonzero(m == k):
                crime_id = hashlib.sha256(f"id{k}-{i}".encode()).hexdigest()
                w.writerow([crime_id, month, "Testshire Police", "Testshire Police",
                            f"{lon[i]:.6f}", f"{lat[i]:.6f}", "On or near Test Street",
                            "E01000001", "Testtown 001A", types[i], "", ""])
    return folder


@pytest.fixture
def street_workspace(tmp_path) -> Workspace:
    from vru.sources.police_uk import import_police

    files = write_street_files(tmp_path / "files")
    ws = Workspace.init(tmp_path / "ws", area_name="Testshire")
    import_police(ws, [files])
    yield ws
    ws.close()


@pytest.fixture(scope="session")
def bedfordshire(tmp_path_factory) -> Path:
    """A workspace holding the 36 real Bedfordshire street files (imported once)."""
    from vru.sources.police_uk import import_police

    street = shared_path("police-uk", "bedfordshire", "street")
    path = tmp_path_factory.mktemp("bedfordshire") / "ws"
    ws = Workspace.init(path, area_name="Bedfordshire")
    import_police(ws, [street])
    ws.close()
    return path
