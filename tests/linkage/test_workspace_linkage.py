"""Linkage in a workspace, end to end through the importers and the CLI: quality against the
planted truth, incremental = full, access and audit, and no raw identifier anywhere."""

from __future__ import annotations

import json
import tempfile
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from vru.cli import app
from vru.linkage import evaluate, service
from vru.privacy import agreements
from vru.privacy.pseudonymise import KEY_ENV, KEY_FILE_ENV
from vru.privacy.users import add_user
from vru.programme.model import Intervention, add_intervention
from vru.programme.people import PersonIds
from vru.programme.workflow import NewReferral, create_referral
from vru.sources.contract import import_source
from vru.sources.registry import SOURCES
from vru.synth.identities import synthetic_linkage_set, write_partner_files
from vru.testing import leaks, new_workspace
from vru.workspace import Workspace

KEY = "linkage-test-key-9#not-a-real-secret"
DIRS = (("admissions", "admissions"), ("education", "education"),
        ("youth_justice", "youth-justice"), ("police_rms", "police-rms"), ("em_gps", "em"),
        ("programme", "programme"))
LABELS = {"admissions", "education", "youth_justice", "police_rms", "police_rms:victim",
          "em_gps", "programme"}
PASSWORD = "Linkage-test-pass-2718"

# Planted values that occur nowhere else (checked: the positive control is found).
PLANTED = {"forename": "Xanthippe", "surname": "Quaxley-Vorth", "date_of_birth": "1987-02-23",
           "postcode": "QQ7 7QQ", "nhs_number": "9434765919", "upn": "Z12345678901Q",
           "pnc_id": "11/1234567X"}
# Planted on a person's victim and programme records (no identifiers: victims carry none).
PLANTED_VICTIM = {"forename": "Wenceslava", "surname": "Ombrigorth", "date_of_birth": "1991-11-19",
                  "postcode": "QZ9 8ZX"}
# Typed into the programme's web referral form.
PLANTED_FORM = {"forename": "Yolanthe", "surname": "Brackwidge", "date_of_birth": "1989-07-28",
                "postcode": "QY6 5YW", "nhs_number": "9434765870"}
CONTROL = "CTRLMARKER4471LX"


def _needles() -> list[bytes]:
    return leaks.needles([*PLANTED.values(), "Quaxley", "Vorth", "quaxleyvorth", "23/02/1987",
                          "QQ77QQ", "943 476 5919", *PLANTED_VICTIM.values(), "19/11/1991",
                          "QZ98ZX", *PLANTED_FORM.values(), "28/07/1989", "QY65YW"])


def _hits(root: Path) -> list[tuple[str, str]]:
    return leaks.find(root, _needles())


def _run(*args: str):
    return CliRunner().invoke(app, list(args))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Partner files for ~1,500 synthetic people (month 12 kept back), with planted values."""
    root = tmp_path_factory.mktemp("linkage")
    recs, _ = synthetic_linkage_set(people=1500, seed=11)
    # Plant distinctive raw values on two records of one person in two sources.
    pid = recs.loc[(recs["source"] == "admissions") & (recs["month"] < 12), "person_id"].iloc[0]
    rows = recs.index[recs["person_id"] == pid]
    for col, v in PLANTED.items():
        recs.loc[rows, col] = v
    # ... and on every record of a person who is a victim and referred to the programme.
    early = recs[recs["month"] < 12]
    both = set(early.loc[early["source"] == "police_rms:victim", "person_id"]) & set(
        early.loc[early["source"] == "programme", "person_id"]) - {pid}
    vpid = sorted(both)[0]
    for col, v in PLANTED_VICTIM.items():
        recs.loc[recs["person_id"] == vpid, col] = v
    write_partner_files(recs, root / "files")
    yj = sorted((root / "files" / "youth-justice").glob("*-0[1-9].csv"))[0]
    df = pd.read_csv(yj, dtype=str, keep_default_na=False)
    df["offence_description"] = CONTROL
    df.to_csv(yj, index=False)
    return root


@pytest.fixture(scope="module")
def linked(world, tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.delenv(KEY_FILE_ENV, raising=False)
    mp.setenv(KEY_ENV, KEY)
    private_tmp = tmp_path_factory.mktemp("systemp")
    mp.setenv("TMPDIR", str(private_tmp))
    mp.setattr(tempfile, "tempdir", str(private_tmp))
    ws_path = world / "ws"
    ws = new_workspace(ws_path)
    with ws.transaction() as con:
        for s, _ in DIRS:
            agreements.add(con, s, f"{s} agency", "Serious Violence Duty",
                           ["record linkage", "problem profile"], 120)
    add_user(ws, "ana", PASSWORD, "analyst")
    add_user(ws, "vic", PASSWORD, "viewer")
    add_intervention(ws, Intervention("LINK-DEMO", "Mentoring", ws.settings.programme.themes[0],
                                      "secondary", "mentoring", "Linkage Youth Trust",
                                      ["Kingsmere"], date(2024, 1, 1)))
    # A referral typed in the web form: its raw values must never be stored either.
    form_rid = create_referral(ws, NewReferral(1, "School", date(2024, 6, 3), ["exclusion risk"],
                                               PersonIds(**PLANTED_FORM), sex="F"), "ana")
    for s, d in DIRS:
        files = sorted(p for p in (world / "files" / d).glob("*.csv") if "-12." not in p.name)
        import_source(ws, SOURCES[s], files)
    ws.close()
    outputs = [_run("link", "train", "-w", str(ws_path), "--user", "ana"),
               _run("link", "run", "-w", str(ws_path), "--user", "ana", "--threshold", "0.99")]
    for r in outputs:
        assert r.exit_code == 0, r.output
    yield ws_path, private_tmp, outputs, form_rid
    mp.undo()


def test_links_match_the_planted_truth(linked, world):
    ws_path, _, outputs, _ = linked
    out = ws_path / "exports" / "links.csv"
    r = _run("link", "export", "-w", str(ws_path), "--user", "ana", "--out", str(out))
    assert r.exit_code == 0, r.output
    ex = pd.read_csv(out)
    assert list(ex.columns) == ["source", "file", "row_number", "person_id", "match_probability"]
    truth = pd.read_csv(world / "files" / "truth" / "linkage_truth.csv")
    form = ex[ex["file"] == service.FORM_FILE]
    assert len(form) == 1 and form["source"].iloc[0] == "programme"
    ex = ex[ex["file"] != service.FORM_FILE]
    assert set(ex["source"]) == LABELS
    m = ex.merge(truth, on=["source", "file", "row_number"], how="left", validate="1:1")
    assert m["person_id_y"].notna().all()
    for src, g in m.groupby("source"):  # each source's records link as well as the whole
        s = evaluate.score_clusters(g["person_id_y"].to_numpy(), g["person_id_x"].to_numpy())
        assert s.bcubed_f1 >= 0.95, (src, s)
    s = evaluate.score_clusters(m["person_id_y"].to_numpy(), m["person_id_x"].to_numpy())
    assert s.f1 >= 0.97 and s.bcubed_f1 >= 0.97, s
    # every loaded person-bearing row is linked (rows rejected at import are not)
    with Workspace.open(ws_path, read_only=True) as ws:
        assert ws.scalar("SELECT count(*) FROM match_features") == len(ex) + 1


def test_incremental_equals_full(linked, world):
    ws_path, _, _, _ = linked
    ws = Workspace.open(ws_path)
    try:
        for s, d in DIRS:
            files = sorted((world / "files" / d).glob("*-12.csv"))
            import_source(ws, SOURCES[s], files)
        inc = service.run_linkage(ws, mode="auto")
        assert inc.kind == "incremental" and inc.new_records > 0
        a = ws.df("SELECT record_key, person_id FROM person_links")
        full = service.run_linkage(ws, mode="full")
        b = ws.df("SELECT record_key, person_id FROM person_links")
    finally:
        ws.close()
    assert full.kind == "full" and len(a) == len(b)
    m = a.merge(b, on="record_key", validate="1:1")
    assert (m["person_id_x"] == m["person_id_y"]).all()
    assert full.changes["records_moved"] == 0 and full.changes["persons_split"] == 0
    assert full.changes["persons_merged"] == 0


def test_programme_reach_counts_linked_people(linked, world):
    """Referrals are linkage records: once linked, the programme's person key (what reach
    counts) is the linked person, so one person referred under different identifiers counts
    once. Scored against the planted truth."""
    from vru.programme.people import person_key_sql

    ws_path, _, _, _ = linked
    truth = pd.read_csv(world / "files" / "truth" / "linkage_truth.csv")
    truth = truth[truth["source"] == "programme"]
    with Workspace.open(ws_path, read_only=True) as ws:
        con = ws.reader()
        keys = ws.df(f"""SELECT r.provider_ref, k.person_key, f.name AS file, r.row_number
                         FROM prog_referrals r JOIN ({person_key_sql(con)}) k USING (referral_id)
                         LEFT JOIN source_files f USING (file_id)
                         WHERE r.source = 'import'""")
        own = ws.scalar("SELECT count(DISTINCT person_pid) FROM prog_referrals "
                        "WHERE source = 'import'")
    m = keys.merge(truth, on=["file", "row_number"], validate="1:1")
    assert len(m) == len(keys) > 50 and m["person_key"].str.startswith("V").all()
    true_people = m["person_id"].nunique()
    assert own > true_people  # without linkage, one person under several identifiers
    s = evaluate.score_clusters(m["person_id"].to_numpy(), m["person_key"].to_numpy())
    assert s.f1 >= 0.95 and abs(m["person_key"].nunique() - true_people) <= 0.02 * true_people


def test_access_and_audit(linked):
    ws_path, _, _, _ = linked
    w = str(ws_path)
    for args in (("link", "run", "-w", w), ("link", "run", "-w", w, "--user", "vic"),
                 ("link", "export", "-w", w, "--user", "vic", "--out", str(ws_path / "x.csv"))):
        r = _run(*args)
        assert r.exit_code != 0 and "person-level" in r.output
    assert not (ws_path / "x.csv").exists()
    # Aggregates need no user.
    r = _run("link", "status", "-w", w, "--json")
    assert r.exit_code == 0
    st = json.loads(r.output)
    assert st["records"] > 0 and {s["source"] for s in st["sources"]} == LABELS
    log = [json.loads(x) for x in (ws_path / "logs" / "audit.log").read_text().splitlines()]
    actions = [e["action"] for e in log if e["kind"] == "linkage"]
    assert "linkage.train" in actions and "linkage.run" in actions
    assert all(e["actor"] == "ana" for e in log if e["kind"] == "linkage")


def test_agreement_must_cover_linkage(linked):
    ws_path, _, _, _ = linked
    from vru.linkage.access import LinkageAccessDenied, require

    ws = Workspace.open(ws_path)
    try:
        assert require(ws, "ana", "linkage.explain") == "analyst"
        with ws.transaction() as con:
            agreements.add(con, "education", "Schools", "Serious Violence Duty",
                           ["problem profile"], 120)
        with pytest.raises(LinkageAccessDenied, match="education.*record linkage"):
            require(ws, "ana", "linkage.explain")
        with ws.transaction() as con:
            agreements.add(con, "education", "Schools", "Serious Violence Duty",
                           ["problem profile", "record linkage"], 120)
        assert require(ws, "ana", "linkage.explain") == "analyst"
    finally:
        ws.close()


def test_no_raw_identifier_anywhere(linked, world):
    ws_path, private_tmp, outputs, form_rid = linked
    w = str(ws_path)
    planted_file = None
    truth = pd.read_csv(world / "files" / "truth" / "linkage_truth.csv")
    recs = [p for p in (world / "files" / "admissions").glob("*.csv")
            if PLANTED["surname"] in p.read_text()]
    assert recs  # the planted values are in the partner files (positive control, input side)
    planted_file = recs[0]
    row = pd.read_csv(planted_file, dtype=str).index[
        pd.read_csv(planted_file, dtype=str)["surname"] == PLANTED["surname"]][0] + 1
    r = _run("link", "explain", "admissions", planted_file.name, str(row), "-w", w,
             "--user", "ana", "--svg", str(ws_path / "exports" / "why.svg"))
    assert r.exit_code == 0, r.output
    assert "match weight" in r.output and (ws_path / "exports" / "why.svg").exists()
    # The planted victim (a police row's second person) and the typed referral, explained too.
    pf, vrow = next(  # the planted values are in the police files (positive control, input)
        (p, int(d.index[d["victim_surname"] == PLANTED_VICTIM["surname"]][0]) + 1)
        for p in sorted((world / "files" / "police-rms").glob("*.csv")) if "-12." not in p.name
        for d in [pd.read_csv(p, dtype=str, keep_default_na=False)]
        if (d["victim_surname"] == PLANTED_VICTIM["surname"]).any())
    rv = _run("link", "explain", "police_rms:victim", pf.name, str(vrow), "-w", w,
              "--user", "ana")
    assert rv.exit_code == 0, rv.output
    rf = _run("link", "explain", "programme", service.FORM_FILE, str(form_rid), "-w", w,
              "--user", "ana", "--with", "police_rms:victim", "--with", pf.name,
              "--with", str(vrow))
    assert rf.exit_code == 0, rf.output
    r2 = _run("link", "export", "-w", w, "--user", "ana", "--out",
              str(ws_path / "exports" / "links2.csv"))
    st = _run("link", "status", "-w", w)
    for res in (*outputs, r, rv, rf, r2, st):
        assert not any(n.decode("utf-8", "replace") in res.output for n in _needles()[::3])
    # Positive control: a free-text value is stored, so the search can see the database.
    assert any(CONTROL.encode() in p.read_bytes() for p in ws_path.rglob("*") if p.is_file())
    assert len(truth) > 0
    assert _hits(ws_path) == []
    assert _hits(private_tmp) == []
    assert not any(KEY.encode() in p.read_bytes() for p in ws_path.rglob("*") if p.is_file())


def test_data_hub_linkage_page(linked):
    from fastapi.testclient import TestClient

    from tests.web.conftest import login
    from vru.web.app import create_app

    ws_path, _, _, _ = linked
    ws = Workspace.open(ws_path)
    try:
        app_ = create_app(ws, audit_durable=False)
        seen = {}
        for user in ("ana", "vic"):
            c = TestClient(app_, base_url="http://testserver")
            assert login(c, user, PASSWORD).status_code == 303
            page = c.get("/data-hub/linkage")
            api = c.get("/api/data-hub/linkage")
            assert page.status_code == 200 and api.status_code == 200 or user == "vic"
            seen[user] = (page, api)
            c.close()
        page, api = seen["ana"]
        data = api.json()
        truth_records = ws.scalar("SELECT count(*) FROM match_features")
        assert data["records"] == truth_records and data["person_level"] is True
        assert "Match weights of scored pairs" in page.text and "police_rms" in page.text
        assert sum(c["size"] * c["persons"] for c in data["cluster_sizes"]) == truth_records
        # A viewer has no data-hub permission at all.
        assert seen["vic"][0].status_code == 403 and seen["vic"][1].status_code == 403
    finally:
        ws.close()
