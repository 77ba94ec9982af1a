"""Build a complete demo workspace from a synthetic world, through the importers users use.

Steps: generate the world (``vru.synth.generate``) next to the workspace; create the workspace;
import the geography pack (``vru.sources.geography.import_geography``) and the data.police.uk files
(``vru.sources.police_uk.import_police``); register a data-sharing agreement per partner source
(``vru.privacy.agreements``); import every partner folder through the data hub
(``vru.sources.contract.import_source``) with a demo pseudonymisation key kept in a file outside
the workspace; add a demo web user. Analyses are run by the CLI (``vru demo``) through the same
commands a user types.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from vru.errors import VruError
from vru.synth.generate import generate
from vru.synth.params import SynthParams

DEMO_MARK = "(synthetic demo)"
KEY_NAME = "demo-pseudonymisation.key"

# Partner source -> (folder in the synthetic world, owning agency, legal basis).
HUB_FOLDERS: dict[str, tuple[str, str, str]] = {
    "police_rms": ("police-rms", "Kingsmere Police",
                   "Serious Violence Duty (PCSC Act 2022 s.16); DPA 2018 Sch 2"),
    "istv": ("istv", "Kingsmere Hospitals NHS Trust",
             "Serious Violence Duty; ISB 1594 information standard"),
    "admissions": ("admissions", "Kingsmere Hospitals NHS Trust",
                   "Serious Violence Duty; DPA 2018 Sch 1 para 6"),
    "education": ("education", "Kingsmere Local Authorities (education)",
                  "Serious Violence Duty; Education Act 1996"),
    "youth_justice": ("youth-justice", "Kingsmere Youth Justice Service",
                      "Serious Violence Duty; Crime and Disorder Act 1998 s.115"),
    "em_gps": ("em", "Probation Service (electronic monitoring)",
               "Serious Violence Duty; Offender Management Act 2007"),
    "patrols": ("patrols", "Kingsmere Police", "Serious Violence Duty; policing purposes"),
}

# GPS tagging needs agreements whose purposes cover electronic monitoring (docs/guide/tags.md).
EXTRA_PURPOSES: dict[str, tuple[str, ...]] = {
    "em_gps": ("electronic monitoring",), "police_rms": ("crime-scene correlation",)}
# The demo analyst works for the force, so the GPS tagging pages open for them too.
DEMO_AGENCY = HUB_FOLDERS["police_rms"][1]

ProgressFn = Callable[[str], None]


class DemoError(VruError):
    """The demo cannot be built where asked (e.g. the folder holds something else)."""


@dataclass
class DemoResult:
    workspace: Path
    data_dir: Path
    key_file: Path
    user: str = "demo"
    password: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    imports: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # read/loaded/rejected


def default_data_dir(workspace: Path) -> Path:
    return workspace.with_name(workspace.name + "-data")


def _check_replaceable(workspace: Path, data_dir: Path) -> None:
    if workspace.exists() and any(workspace.iterdir()):
        settings = workspace / "settings.toml"
        if not (settings.exists() and DEMO_MARK in settings.read_text(encoding="utf-8")):
            raise DemoError(f"{workspace} exists and is not a demo workspace; choose another "
                            "folder with --workspace")
    if data_dir.exists() and any(data_dir.iterdir()) and \
            not (data_dir / "truth" / "parameters.json").exists():
        raise DemoError(f"{data_dir} exists and is not a synthetic world; move it away")


def build_demo(workspace: Path, seed: int = 1, scale: float = 0.15,
               data_dir: Path | None = None, progress: ProgressFn | None = None,
               after_police_uk: Callable[[Path], None] | None = None) -> DemoResult:
    """Build the demo. ``after_police_uk(workspace)`` runs (with the workspace closed) once the
    geography and data.police.uk files are in, before the force extract and partner data."""
    from vru.privacy import agreements
    from vru.privacy.pseudonymise import KEY_ENV, KEY_FILE_ENV
    from vru.sources.contract import import_source
    from vru.sources.geography import import_geography
    from vru.sources.police_uk import import_police
    from vru.sources.registry import SOURCES
    from vru.workspace import Workspace

    workspace = Path(workspace).resolve()
    data_dir = Path(data_dir).resolve() if data_dir else default_data_dir(workspace)
    _check_replaceable(workspace, data_dir)
    say = progress or (lambda _msg: None)
    res = DemoResult(workspace, data_dir, data_dir / KEY_NAME)

    t = time.perf_counter()
    say(f"Generating the synthetic world (seed {seed}, scale {scale}) in {data_dir}")
    generate(data_dir, SynthParams(seed=seed, scale=scale))
    res.timings["synth"] = time.perf_counter() - t

    if workspace.exists():
        shutil.rmtree(workspace)
    # The key lives outside the workspace (the product refuses one inside). A real deployment
    # keeps it with the data protection officer, never next to the data.
    res.key_file.write_text(secrets.token_hex(32) + "\n", encoding="utf-8")
    res.key_file.chmod(0o600)

    t = time.perf_counter()
    ws = Workspace.init(workspace, area_name=f"Kingsmere {DEMO_MARK}")
    try:
        say("Importing the geography pack")
        import_geography(ws, data_dir / "geography")
        res.timings["geography"] = time.perf_counter() - t

        t = time.perf_counter()
        say("Importing data.police.uk street files")
        s = import_police(ws, [data_dir / "police-uk"])
        res.imports["police_uk"] = (s.rows_read, s.rows_loaded, s.rows_rejected)
        res.timings["police_uk"] = time.perf_counter() - t
    finally:
        ws.close()
    if after_police_uk is not None:
        after_police_uk(workspace)

    ws = Workspace.open(workspace)
    try:
        with ws.transaction() as con:
            for source, (_, agency, basis) in HUB_FOLDERS.items():
                agreements.add(con, source, agency, basis,
                               ["problem profile", "hotspot policing", "record linkage",
                                "demonstration", *EXTRA_PURPOSES.get(source, ())], 120,
                               reference=f"DEMO-DSA-{source.upper()}")
        saved = {k: os.environ.get(k) for k in (KEY_ENV, KEY_FILE_ENV)}
        os.environ.pop(KEY_ENV, None)
        os.environ[KEY_FILE_ENV] = str(res.key_file)
        try:
            for source, (folder, _, _) in HUB_FOLDERS.items():
                t = time.perf_counter()
                say(f"Importing {source} ({folder}/)")
                s = import_source(ws, SOURCES[source], [data_dir / folder],
                                  command="vru demo")
                res.imports[source] = (s.rows_read, s.rows_loaded, s.rows_rejected)
                res.timings[source] = time.perf_counter() - t
            if (data_dir / "programme").exists():
                from vru.synth.programme import load_programme

                t = time.perf_counter()
                say("Loading the programme: interventions, grants, providers' monthly returns")
                res.imports.update(load_programme(ws, data_dir / "programme"))
                res.timings["programme"] = time.perf_counter() - t
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        res.password = _demo_user(ws, res.user)
    finally:
        ws.close()
    return res


def _demo_user(ws, username: str) -> str:
    """An analyst account for the web app, with a fresh random password (printed once)."""
    from vru.privacy import users
    from vru.privacy.audit import AuditLog, Entry

    password = "demo-" + secrets.token_urlsafe(12)
    users.add_user(ws, username, password, "analyst", agency=DEMO_AGENCY,
                   full_name="Demo analyst")
    AuditLog.for_workspace(ws).append(Entry("cli", ws.user_name(), "users.add",
                                            None, {"username": username, "role": "analyst",
                                                   "agency": DEMO_AGENCY}))
    return password
