"""`vru tags match|breaches|alerts` through the real CLI: exports with the exact columns, a reason
for every view (audited), refusal without an electronic-monitoring agreement."""

from __future__ import annotations

import csv
import json

import pandas as pd
from typer.testing import CliRunner

from tests.tags.conftest import load_scenario
from tests.tags.helpers import E0, N0, ORDER_ROW, PERSON, agree, put, square_wkt, walk
from vru.analysis.tags import store
from vru.cli import app
from vru.testing import new_workspace
from vru.workspace import Workspace

runner = CliRunner()


def _run(*args):
    return runner.invoke(app, list(args))


def _audit(ws_dir):
    return [json.loads(line) for line in (ws_dir / "logs" / "audit.log").read_text().splitlines()]


def test_match_and_breach_exports(tmp_path, scenario_dir):
    ws_dir = tmp_path / "ws"
    ws = new_workspace(ws_dir)
    load_scenario(ws, scenario_dir)
    ws.close()
    w = ["-w", str(ws_dir)]
    r = _run("tags", "match", *w)
    assert r.exit_code == 2 and "--reason" in r.output
    out = tmp_path / "m.csv"
    r = _run("tags", "match", "--reason", "op TIGER burglary series", "--export", str(out), *w)
    assert r.exit_code == 0, r.output
    with open(out) as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["crime_reference", "person_id", "closest_m", "minutes_within",
                             "first_seen", "last_seen"]
    pncs = set(pd.read_csv(scenario_dir / "em" / "tagged-people.csv", dtype=str).person_id)
    assert len(rows) > 50 and not {r["person_id"] for r in rows} & pncs  # pseudonyms only
    assert not any(p in out.read_text() for p in pncs)
    assert rows[0]["first_seen"][-6:] in ("+00:00", "+01:00")  # UK local time with its offset
    # The export agrees with the stored matches (closest first within each crime).
    with Workspace.open(ws_dir, read_only=True) as ro:
        assert len(rows) == len(store.matches(ro))
        assert {r["person_id"] for r in rows} <= {p for (p,) in ro.sql("SELECT person_pid FROM "
                                                                      "em_people")}
    out = tmp_path / "b.csv"
    r = _run("tags", "breaches", "--reason", "weekly review", "--export", str(out), *w)
    assert r.exit_code == 0, r.output
    eps = pd.read_csv(out, dtype=str).fillna("")
    assert list(eps.columns) == ["person_id", "zone_id", "kind", "start", "end"]
    assert set(eps.kind) == {"exclusion", "inclusion", "no_signal"}
    assert (eps[eps.kind == "no_signal"].zone_id == "").all()
    r = _run("tags", "alerts", "--reason", "weekly review", *w)
    assert r.exit_code == 0 and "raised" in r.output
    views = [e for e in _audit(ws_dir) if e["kind"] == "access"]
    assert [(e["action"], e["detail"]["reason"]) for e in views] == [
        ("tags.matches", "op TIGER burglary series"), ("tags.breaches", "weekly review"),
        ("tags.alerts", "weekly review")]


def test_alert_change_and_refusal_without_em_agreement(tmp_path):
    ws_dir = tmp_path / "ws"
    ws = new_workspace(ws_dir)
    zone = (PERSON, "Z1", "EXCLUSION", square_wkt(E0, N0, 200), ORDER_ROW[1], None, "ALL", None,
            None)
    put(ws, people=[ORDER_ROW], zones=[zone],
        pings=walk(PERSON, pd.Timestamp("2024-06-12 09:00").to_pydatetime(), 30, 5, E0, N0))
    ws.close()
    w = ["-w", str(ws_dir)]
    r = _run("tags", "breaches", "--reason", "x", *w)
    assert r.exit_code == 2 and "no em_gps data-sharing agreement" in r.output
    with Workspace.open(ws_dir) as ws:
        agree(ws)
    assert _run("tags", "breaches", "--reason", "review", *w).exit_code == 0
    with Workspace.open(ws_dir, read_only=True) as ro:
        (a,) = store.alerts(ro)
    r = _run("tags", "alerts", "--reason", "triage", "--alert", str(a["alert_id"]), "--to", "acknowledged",
             *w)
    assert r.exit_code == 2 and "note is required" in r.output
    r = _run("tags", "alerts", "--reason", "triage", "--alert", str(a["alert_id"]), "--to", "acknowledged",
             "--note", "probation informed", *w)
    assert r.exit_code == 0 and "raised -> acknowledged" in r.output
    upd = [e for e in _audit(ws_dir) if e["action"] == "tags.alert_update"]
    assert upd[0]["detail"]["note"] == "probation informed" and upd[0]["detail"]["to"] == \
        "acknowledged"
