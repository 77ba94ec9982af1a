"""A workspace for the upload tests: crimes, one user per role, and two agreements in force:
force extracts owned by the partner's own force, ISTV owned by an NHS trust."""

from __future__ import annotations

import os
import time
from pathlib import Path

from tests.hub.conftest import TEST_KEY
from tests.hub.samples import SAMPLES, write_csv
from tests.web.conftest import PASSWORD, ROLE_USERS, fill_crimes
from vru.privacy import agreements, users
from vru.privacy.pseudonymise import KEY_ENV, KEY_FILE_ENV
from vru.testing import new_workspace
from vru.workspace import Workspace

PARTNER_AGENCY = ROLE_USERS["partner"]          # "Bedfordshire Police"
OTHER_AGENCY = "Testshire NHS Trust"


def upload_workspace(path: Path) -> Workspace:
    os.environ.pop(KEY_FILE_ENV, None)
    os.environ[KEY_ENV] = TEST_KEY
    ws = new_workspace(path, area_name="Testshire")
    fill_crimes(ws, n=600)
    with ws.transaction() as con:
        # fill_crimes writes import 1 and file 1 by hand: move the sequences past them
        con.execute("SELECT nextval('import_seq'), nextval('file_seq')")
        agreements.add(con, "police_rms", PARTNER_AGENCY, "Serious Violence Duty",
                       ["problem profile"], 36)
        agreements.add(con, "istv", OTHER_AGENCY, "Serious Violence Duty", ["problem profile"], 36)
    for role, agency in ROLE_USERS.items():
        users.add_user(ws, role, PASSWORD, role, agency=agency)
    return ws


def rms_file(folder: Path, name: str = "rms-2024q1.csv", bad: int = 1) -> Path:
    rows = list(SAMPLES["police_rms"]["crimes"])
    rows += [{**rows[0], "crime_reference": ""} for _ in range(bad)]   # required value missing
    return write_csv(folder / name, rows)


def wait_job(client, job_id: int, timeout: float = 60) -> dict:
    deadline = time.time() + timeout
    while time.time() < deadline:
        j = client.get(f"/api/jobs/{job_id}").json()
        if j["status"] in ("done", "failed"):
            return j
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish")
