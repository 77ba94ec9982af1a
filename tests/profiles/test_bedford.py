"""A police-only profile of Bedford from the real Bedfordshire data.police.uk files."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from tests.conftest import shared_path
from vru.privacy import disclosure
from vru.testing import new_workspace

pytestmark = pytest.mark.slow

SV = ("Violence and sexual offences", "Robbery", "Possession of weapons")


@pytest.fixture(scope="module")
def bedford(tmp_path_factory):
    street = shared_path("police-uk", "bedfordshire", "street")
    from vru.sources.police_uk import import_police

    ws = new_workspace(tmp_path_factory.mktemp("bedford") / "ws", area_name="Bedfordshire")
    import_police(ws, [street])
    yield ws, street
    ws.close()


def reference_counts(street, first: str, last: str) -> pd.Series:
    """Independent: read the CSVs with pandas; Bedford = LSOA names 'Bedford NNNX'."""
    frames = [pd.read_csv(p, usecols=["Month", "LSOA name", "Crime type"])
              for p in sorted(street.glob("*.csv.gz"))]
    df = pd.concat(frames)
    df = df[df["LSOA name"].fillna("").str.match(r"^Bedford \d{3}[A-Z]$")]
    df = df[(df["Month"] >= first) & (df["Month"] <= last)]
    return df["Crime type"].value_counts()


def test_police_only_bedford_profile(bedford, tmp_path):
    from vru.reports import render
    from vru.reports.profile import build_profile

    ws, street = bedford
    ref = reference_counts(street, "2023-04", "2024-03")
    prev = reference_counts(street, "2022-04", "2023-03")
    priv = build_profile(ws, "Bedford", "2023/24", privileged=True)
    assert priv.meta["source"] == "police_uk"
    rows = {r[0]: r for r in priv.table("t_headline").rows}
    sv = int(sum(ref.get(c, 0) for c in SV))
    assert rows["Serious violence (local definition)"][1] == sv
    assert rows["Serious violence (local definition)"][6] == int(sum(prev.get(c, 0) for c in SV))
    assert rows["Robbery"][1] == int(ref["Robbery"])
    assert rows["Possession of weapons"][1] == int(ref["Possession of weapons"])
    assert rows["Violence with injury"][1] == "not available"
    # No population loaded: rates unavailable, not invented.
    assert rows["Serious violence (local definition)"][2] is None
    assert rows["Emergency department assault attendances"][1].startswith("no data supplied")
    peers = [r[0] for r in priv.table("t_peers").rows]
    assert peers[:3] == ["Bedford", "Central Bedfordshire", "Luton"]
    types = {r[0]: r[1] for r in priv.table("t_types").rows}
    assert types == {k: int(v) for k, v in ref.items()}

    doc = build_profile(ws, "Bedford", "2023/24")
    paths = render(doc, "html,pdf,docx", tmp_path)
    assert [p.suffix for p in paths] == [".html", ".pdf", ".docx"]
    import docx

    d = docx.Document(io.BytesIO(paths[2].read_bytes()))
    head = d.tables[0]
    row = next(r for r in head.rows if r.cells[0].text.startswith("Serious violence"))
    assert row.cells[1].text == f"{disclosure.apply(sv, ws.settings.disclosure):,}"
    assert [m.id for m in doc.maps()] == ["m_grid"]  # no boundaries loaded: grid map
    assert paths[1].stat().st_size > 50_000
