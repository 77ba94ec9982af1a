"""Generated profiles kept in the workspace (``exports/profiles/<exact|controlled>/``).

A profile built for a privileged user holds exact counts; one built for anyone else is built with
disclosure control (``privileged=False``). Non-privileged users only ever see the controlled
folder, whoever generated the file.
"""

from __future__ import annotations

import re
import secrets
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

from vru.periods import last_months
from vru.web.optional import profiles_available
from vru.workspace import Workspace

KINDS = ("exact", "controlled")
MEDIA = {
    ".html": "text/html; charset=utf-8",
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")


def root(ws: Workspace) -> Path:
    return ws.path / "exports" / "profiles"


def listing(ws: Workspace, exact_allowed: bool) -> list[dict[str, Any]]:
    out = []
    for kind in KINDS if exact_allowed else ("controlled",):
        d = root(ws) / kind
        if not d.is_dir():
            continue
        for p in sorted(d.iterdir(), key=lambda x: x.stat().st_mtime, reverse=True):
            if p.suffix in MEDIA and NAME_RE.match(p.name):
                st = p.stat()
                out.append({"name": f"{kind}--{p.name}", "file": p.name, "kind": kind,
                            "format": p.suffix[1:], "bytes": st.st_size,
                            "created": datetime.fromtimestamp(st.st_mtime).isoformat(
                                timespec="seconds"), "mtime": st.st_mtime})
    out.sort(key=lambda r: -r["mtime"])  # newest first, whichever kind
    for r in out:
        del r["mtime"]
    return out


def resolve(ws: Workspace, name: str, exact_allowed: bool) -> Path | None:
    """The file for a listed name, or None (unknown, or not allowed for this user)."""
    kind, sep, file = name.partition("--")
    if not sep or kind not in KINDS or not NAME_RE.match(file):
        return None
    if kind == "exact" and not exact_allowed:
        return None
    p = root(ws) / kind / file
    return p if p.is_file() and p.suffix in MEDIA else None


def generate(ws: Workspace, area: str | None, period: str | None, exact: bool,
             formats: list[str]) -> list[dict[str, Any]]:
    if not profiles_available():
        raise RuntimeError("profiles are not available in this build (vru.reports.profile)")
    from vru.live.jobs import offload
    from vru.reports import render
    from vru.reports.profile import build_profile

    if not area:
        raise ValueError("choose an area (a local authority, partnership or force)")
    if not period:
        first, last = ws.sql("SELECT min(month), max(month) FROM canonical_crimes")[0]
        if last is None:
            raise ValueError("no crimes loaded, so there is no period to profile")
        latest = last_months(last, 12, first)  # the latest 12 months in the data
        period = f"{latest.first:%Y-%m}..{latest.last:%Y-%m}"
    doc = build_profile(ws, area, period, privileged=exact)
    kind = "exact" if exact else "controlled"
    # rendering runs in the server's worker process: seconds of CPU that must not hold the GIL
    # every request needs (vru.live.jobs.offload)
    # Written to a hidden folder and moved into the listing when complete: the list (refreshed
    # while the job runs) never offers a half-written file.
    final = (root(ws) / kind).absolute()
    staging = final / f".partial-{secrets.token_hex(6)}"
    try:
        paths = [p.replace(final / p.name) for p in offload(render, doc, formats, staging)]
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [{"name": f"{kind}--{p.name}", "file": p.name, "kind": kind,
             "format": p.suffix[1:], "bytes": p.stat().st_size} for p in paths]
