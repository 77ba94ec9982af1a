"""Uploading partner files on the data hub: who may upload what, checks before anything is kept,
the import as a background job with the CLI's own messages, the result, rejects and audit."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.hub.samples import SAMPLES, write_csv
from tests.web.conftest import login
from tests.web.upload_fixtures import OTHER_AGENCY, rms_file, upload_workspace, wait_job
from vru.privacy import audit as audit_mod
from vru.web.app import create_app


@pytest.fixture(scope="module")
def up(tmp_path_factory):
    ws = upload_workspace(tmp_path_factory.mktemp("upload") / "ws")
    app = create_app(ws, audit_durable=False)
    out = {}
    for role in ("admin", "analyst", "partner", "viewer"):
        c = TestClient(app, base_url="http://testserver")
        assert login(c, role).status_code == 303
        c.headers["X-CSRF-Token"] = c.get("/api/me").json()["csrf_token"]
        out[role] = c
    yield ws, app, out
    for c in out.values():
        c.close()
    ws.close()


def _post(client, source, files):
    return client.post("/data-hub/upload", data={"source": source},
                       files=[("files", f) for f in files], follow_redirects=False)


def _job_id(r) -> int:
    assert r.status_code == 303, r.text[:500]
    return int(re.search(r"/data-hub/jobs/(\d+)$", r.headers["location"]).group(1))


def test_partner_uploads_own_agency_source_and_sees_the_result(up, tmp_path):
    ws, app, c = up
    page = c["partner"].get("/data-hub/upload").text
    options = re.findall(r'<option value="([^"]+)"', page)
    assert options == ["police_rms"]          # the agreement in force names the partner's force
    f = rms_file(tmp_path)
    r = _post(c["partner"], "police_rms", [(f.name, f.read_bytes(), "text/csv")])
    job = wait_job(c["partner"], _job_id(r))
    assert job["status"] == "done", job
    res = job["result"]
    assert [(x["name"], x["read"], x["loaded"], x["rejected"]) for x in res["files"]] == \
        [(f.name, 4, 3, 1)]
    assert res["reasons"] == [{"file": f.name, "field": "crime_reference",
                               "reason": "crime_reference: required value missing", "rows": 1}]
    html = c["partner"].get(f"/data-hub/jobs/{job['job_id']}").text
    assert "read 4 = loaded 3 + rejected 1" in html and 'id="job-rejects-link"' in html
    rej = c["partner"].get(f"/data-hub/jobs/{job['job_id']}/rejects").text
    assert "required value missing" in rej and "Row as read" not in rej   # no raw rows
    assert "Row as read" in c["analyst"].get(f"/data-hub/jobs/{job['job_id']}/rejects").text
    # the job is the partner's: another partner-less role cannot open it, the viewer neither
    assert c["viewer"].get(f"/api/jobs/{job['job_id']}").status_code == 404
    # what it loaded is in the workspace, stamped with who uploaded it; nothing is left behind
    assert ws.sql("SELECT user_name, rows_loaded FROM imports WHERE import_id = ?",
                  [res["import_id"]]) == [("partner", 3)]
    assert not any((ws.path / "uploads").iterdir())
    app.state.ctx.audit_writer.drain()
    rec = [a for a in audit_mod.tail(ws.log_dir(), 500, "partner") if a["kind"] == "upload"]
    assert {a["action"] for a in rec} >= {"upload.submit", "upload.end"}
    end = [a for a in rec if a["action"] == "upload.end"][-1]
    assert end["detail"]["rows_loaded"] == 3 and end["detail"]["import_id"] == res["import_id"]


def test_partner_cannot_upload_another_agencys_source(up, tmp_path):
    ws, app, c = up
    f = write_csv(tmp_path / "istv.csv", SAMPLES["istv"]["assaults"])
    before = ws.scalar("SELECT count(*) FROM imports")
    r = _post(c["partner"], "istv", [(f.name, f.read_bytes(), "text/csv")])
    assert r.status_code == 403
    assert f"is owned by {OTHER_AGENCY}" in r.text and "upload refused" in r.text
    assert ws.scalar("SELECT count(*) FROM imports") == before
    # a viewer may not upload at all
    assert _post(c["viewer"], "istv", [(f.name, f.read_bytes(), "text/csv")]).status_code == 403


def test_analyst_any_source_and_the_clis_messages(up, tmp_path):
    ws, app, c = up
    f = write_csv(tmp_path / "istv-jan.csv", SAMPLES["istv"]["assaults"])
    job = wait_job(c["analyst"], _job_id(_post(c["analyst"], "istv",
                                               [(f.name, f.read_bytes(), "text/csv")])))
    assert job["status"] == "done" and job["result"]["rows_loaded"] == 3
    # wrong columns: refused by the contract, with the message the CLI prints
    bad = write_csv(tmp_path / "istv-bad.csv", [{"nope": "1", "site_code": "x"}])
    job = wait_job(c["analyst"], _job_id(_post(c["analyst"], "istv",
                                               [(bad.name, bad.read_bytes(), "text/csv")])))
    assert job["status"] == "failed"
    from vru.cli import app as cli

    cli_ws = upload_workspace(tmp_path / "cli-ws")
    cli_ws.close()
    out = CliRunner().invoke(cli, ["import", "istv", str(bad), "-w", str(tmp_path / "cli-ws")])
    assert out.exit_code == 2
    cli_msg = " ".join(out.output.split()).removeprefix("error: ")
    assert cli_msg.replace(str(bad), bad.name) == " ".join(job["error"].split())
    page = c["analyst"].get(f"/data-hub/jobs/{job['job_id']}").text
    assert "columns do not match" in page and 'id="job-error"' in page


@pytest.mark.parametrize("name,content,expected", [
    ("a.csv", b"PK\x03\x04rest of a zip", "named .csv but is a ZIP archive"),
    ("a.csv", b"%PDF-1.7\n", "named .csv but is a PDF document"),
    ("a.csv", b"<!doctype html><html>", "web page"),
    ("a.csv", b"col\x00umn\n", "binary data"),
    ("a.xlsx", b"not a workbook", "named .xlsx but is not a ZIP-based file"),
    ("a.exe", b"MZ\x90\x00", "not a file type this source takes"),
    ("a.csv", b"", "empty file"),
])
def test_content_is_sniffed_before_anything_is_kept(up, name, content, expected):
    ws, app, c = up
    r = _post(c["analyst"], "istv", [(name, content, "text/csv")])
    assert r.status_code == 415 and expected in r.text, r.text[-800:]
    assert not any((ws.path / "uploads").iterdir())


def test_a_zip_that_is_not_a_workbook_is_refused(up):
    ws, app, c = up
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "hi")
    r = _post(c["analyst"], "istv", [("fake.xlsx", buf.getvalue(), "application/zip")])
    assert r.status_code == 415 and "not an Excel workbook" in r.text


def test_size_limit(up):
    ws, app, c = up
    app.state.ctx.extras["upload_max_mb"] = 1
    try:
        big = b"site_code\n" + b"x\n" * 800_000
        r = _post(c["analyst"], "istv", [("big.csv", big, "text/csv")])
        assert r.status_code == 413 and "over the limit of 1 MB" in r.text
    finally:
        app.state.ctx.extras.pop("upload_max_mb")
    assert not any((ws.path / "uploads").iterdir())


def test_profile_generation_runs_as_a_background_job(up):
    from vru.web.optional import profiles_available

    if not profiles_available():
        pytest.skip("profiles module not in this build")
    ws, app, c = up
    r = c["analyst"].post("/profiles", data={"area": "Bedford", "fmt": "html"},
                          follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/profiles?job=")
    job_id = int(r.headers["location"].rsplit("=", 1)[1])
    job = wait_job(c["analyst"], job_id, timeout=300)
    assert job["status"] == "done", job
    page = c["analyst"].get(f"/profiles?job={job_id}").text
    assert "Generated: controlled--" in page and 'id="profile-list"' in page
    # another user's job id shows nothing of it
    assert "Generated:" not in c["partner"].get(f"/profiles?job={job_id}").text
