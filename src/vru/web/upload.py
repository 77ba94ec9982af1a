"""Upload on the data hub: partner files in through the browser, imported as a background job.

An analyst (or admin) may upload any source; a partner only the sources whose data-sharing
agreement *in force* names their own agency as the owner. Each upload is checked before anything
is kept: its total size (``vru serve --upload-max-mb``), each file's name and type (the
source's own file types, as on the command line) and its content (a ``.csv`` that is really a
ZIP, a PDF or a program is refused by its first bytes). Accepted files are kept in
``<workspace>/uploads/<id>/`` (owner-only) only while the import runs, then deleted. The import
itself is the same ``import_source`` / ``import_police`` the CLI calls, on the job runner's
writer thread, so its refusals read exactly as on the command line and no request waits for it.
The result page (``/data-hub/jobs/{id}``) follows the job and then shows read / loaded /
rejected per file, the reasons and a link to the rejected rows; all of it is audited.
"""

from __future__ import annotations

import re
import secrets
import shutil
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.datastructures import UploadFile

from vru.privacy.access import Actor, Resource, allowed, register_action, why_not
from vru.privacy.audit import Entry
from vru.privacy.roles import Permission, Role
from vru.web.permissions import ROUTE_PERMISSIONS
from vru.web.security import record_access, record_event

router = APIRouter(include_in_schema=False)

POLICE_UK = "police_uk"
# The action, declared once with the access gate: record-level partner data of one agency.
UPLOAD = register_action("datahub.upload", Permission.UPLOAD, person_level=True,
                         description="upload files of a data-hub source (partners: their own "
                                     "agency's sources under an agreement in force)")
MAX_FILES = 50
CHUNK = 1 << 20
SNIFF = 8192
# First bytes of things that are never a partner CSV (ZIP/XLSX, gzip, PDF, PNG, JPEG, GIF,
# Windows and Linux programs, old binary Excel/Word).
BINARY = {b"PK\x03\x04": "a ZIP archive (or XLSX workbook)", b"\x1f\x8b": "gzip-compressed",
          b"%PDF": "a PDF document", b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image",
          b"GIF8": "a GIF image", b"MZ": "a Windows program", b"\x7fELF": "a program",
          b"\xd0\xcf\x11\xe0": "an old binary Office file (.xls/.doc): save it as .xlsx or CSV"}


def _ctx(request: Request) -> Any:
    return request.app.state.ctx


def _user(request: Request) -> Any:
    return request.state.session.user


# ------------------------------------------------------------------------ who may upload what
def _title(source: str) -> str:
    if source == POLICE_UK:
        return "data.police.uk street, outcomes and stop-and-search files"
    from vru.sources.registry import SOURCES

    return SOURCES[source].title


def _agreements_in_force(ws: Any) -> dict[str, Any]:
    from vru.privacy import agreements

    today = date.today()
    current: dict[str, Any] = {}
    for a in agreements.list_all(ws.reader()):
        if a.in_force(today) and (a.source not in current
                                  or a.agreement_id > current[a.source].agreement_id):
            current[a.source] = a
    return current


def _resource(source: str, current: dict[str, Any]) -> Resource:
    a = current.get(source)
    return Resource("source", source, agency=a.owning_agency if a else None, source=source)


def allowed_sources(ws: Any, user: Any) -> list[str]:
    """The sources this user may upload, as the access gate decides: every source for analysts
    and admins; for a partner, the sources whose agreement in force is owned by the partner's
    own agency (record-level data of its own agency)."""
    from vru.sources.registry import SOURCES

    actor = Actor.of(user)
    current = _agreements_in_force(ws)
    out = []
    for s in [*SOURCES, POLICE_UK]:
        if user.role is Role.PARTNER and s not in current:
            continue  # a partner uploads only under an agreement in force
        if allowed(UPLOAD, _resource(s, current), actor):
            out.append(s)
    return out


def refusal_for(ws: Any, user: Any, source: str) -> str | None:
    from vru.sources.registry import SOURCES

    if source != POLICE_UK and source not in SOURCES:
        return f"unknown source {source!r}"
    if source in allowed_sources(ws, user):
        return None
    if user.role is Role.PARTNER:
        a = _agreements_in_force(ws).get(source)
        owner = f"is owned by {a.owning_agency}" if a else "has no data-sharing agreement in force"
        return (f"source {source!r} {owner}; as a partner of {user.agency or '(no agency)'} you "
                "may upload only your own agency's sources under an agreement in force: "
                "upload refused")
    why = why_not(UPLOAD, _resource(source, _agreements_in_force(ws)), Actor.of(user))
    return f"{why or 'not allowed'}: upload refused"


# ------------------------------------------------------------------------ checking a file
def suffixes(source: str) -> tuple[str, ...]:
    if source == POLICE_UK:
        return (".csv", ".csv.gz", ".zip")
    from vru.sources.registry import SOURCES

    return (*SOURCES[source].suffixes, ".zip")


def safe_name(name: str) -> str:
    """The file's own name (no folders), in characters safe on every file system."""
    base = re.split(r"[\\/]", name or "")[-1].strip()
    base = re.sub(r"[^A-Za-z0-9._() -]", "_", base).lstrip(".")
    return base[:150] or "upload"


def sniff(name: str, head: bytes, allowed: tuple[str, ...]) -> str | None:
    """Why a file cannot be what its name says (None when it can), from its first bytes."""
    lower = name.lower()
    suffix = next((s for s in sorted(allowed, key=len, reverse=True) if lower.endswith(s)), None)
    if suffix is None:
        return f"{name}: not a file type this source takes (one of {', '.join(allowed)})"
    if not head:
        return f"{name}: empty file"
    if suffix in (".zip", ".xlsx"):
        return None if head.startswith((b"PK\x03\x04", b"PK\x05\x06")) else \
            f"{name}: named {suffix} but is not a ZIP-based file"
    if suffix.endswith(".gz"):
        return None if head.startswith(b"\x1f\x8b") else f"{name}: named .gz but is not gzip"
    if suffix == ".xml":
        text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        return None if text.startswith(b"<") else f"{name}: named .xml but is not XML"
    for magic, what in BINARY.items():
        if head.startswith(magic):
            return f"{name}: named {suffix} but is {what}"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None  # UTF-16 text with its byte-order mark: the import reads or refuses it
    if b"\x00" in head:
        return f"{name}: named {suffix} but holds binary data"
    if re.match(rb"\s*<(!doctype|html|\?xml)", head, re.IGNORECASE):
        return f"{name}: named {suffix} but is a web page or XML document"
    return None


def _xlsx_ok(path: Path, name: str) -> str | None:
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
    except zipfile.BadZipFile:
        return f"{name}: not a readable ZIP archive"
    if name.lower().endswith(".xlsx") and not ("[Content_Types].xml" in names and any(
            n.startswith("xl/") for n in names)):
        return f"{name}: named .xlsx but is not an Excel workbook"
    return None


# ------------------------------------------------------------------------ pages
def _render(request: Request, template: str, status_code: int = 200, **data: Any):
    from vru.web.pages import render

    return render(request, template, status_code, **data)


@router.get("/data-hub/upload", response_class=HTMLResponse)
def upload_page(request: Request, error: str | None = None, status_code: int = 200):
    c, user = _ctx(request), _user(request)
    sources = [(s, _title(s)) for s in allowed_sources(c.ws, user)]
    mine = [j.as_dict() for j in reversed(c.jobs.list()) if j.kind == "upload"
            and (j.actor == user.username or user.role in (Role.ADMIN, Role.ANALYST))][:20]
    return _render(request, "upload.html", status_code, sources=sources, jobs=mine, error=error,
                   max_mb=c.extras.get("upload_max_mb", 200), max_files=MAX_FILES,
                   types={s: ", ".join(suffixes(s)) for s, _ in sources})


@router.post("/data-hub/upload")
async def upload(request: Request):
    c, user = _ctx(request), _user(request)
    max_bytes = int(c.extras.get("upload_max_mb", 200)) * (1 << 20)
    length = request.headers.get("content-length")
    if length is None:
        raise HTTPException(411, "send the upload with its length (Content-Length)")
    if int(length) > max_bytes + (1 << 20):
        return upload_page(request, f"upload refused: {int(length) / (1 << 20):.1f} MB is over "
                           f"the limit of {max_bytes >> 20} MB", 413)
    form = await request.form(max_files=MAX_FILES, max_fields=20)
    source = str(form.get("source") or "")
    files = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
    why = refusal_for(c.ws, user, source)
    if why is not None:
        record_event(request, Entry("upload", user.username, "upload.refused", user.role.value,
                                    {"source": source, "reason": why}))
        return upload_page(request, why, 422 if why.startswith("unknown source") else 403)
    if not files:
        return upload_page(request, "choose at least one file", 422)
    folder = c.ws.path / "uploads" / secrets.token_hex(8)
    folder.mkdir(parents=True, mode=0o700)
    (c.ws.path / "uploads").chmod(0o700)
    kept: list[dict[str, Any]] = []
    try:
        total = 0
        for f in files:
            name = safe_name(f.filename)
            while (folder / name).exists():
                name = "_" + name
            head = await f.read(SNIFF)
            problem = sniff(name, head, suffixes(source))
            path = folder / name
            if problem is None:
                with open(path, "wb") as out:
                    data = head
                    while data:
                        total += len(data)
                        if total > max_bytes:
                            raise _TooBig(max_bytes)
                        out.write(data)
                        data = await f.read(CHUNK)
                if name.lower().endswith((".xlsx", ".zip")):
                    problem = _xlsx_ok(path, name)
            if problem is not None:
                raise _Refused(problem)
            kept.append({"name": name, "bytes": path.stat().st_size})
    except (_TooBig, _Refused) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        record_event(request, Entry("upload", user.username, "upload.refused", user.role.value,
                                    {"source": source, "reason": str(exc)}))
        return upload_page(request, f"upload refused: {exc}", 413 if isinstance(exc, _TooBig)
                           else 415)
    finally:
        for f in files:
            await f.close()
    job = c.jobs.submit(_import_job(c, source, folder, kept, user.username), kind="upload",
                        title=f"upload: {source}: {', '.join(k['name'] for k in kept)}"[:300],
                        actor=user.username, writes=True)
    job.extras = {"source": source, "files": kept}  # type: ignore[attr-defined]
    record_event(request, Entry("upload", user.username, "upload.submit", user.role.value,
                                {"job_id": job.job_id, "source": source, "files": kept}))
    return RedirectResponse(f"/data-hub/jobs/{job.job_id}", status_code=303)


class _TooBig(Exception):
    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"over the limit of {max_bytes >> 20} MB")


class _Refused(Exception):
    pass


def _import_job(c: Any, source: str, folder: Path, kept: list[dict[str, Any]], username: str):
    def run(job: Any) -> dict[str, Any]:
        from vru.errors import VruError

        paths = [folder / k["name"] for k in kept]

        def progress(name: str, done: int, total: int) -> None:
            job.report(f"file {min(done + 1, total)} of {total}: {name}")

        command = f"web upload by {username}: " + " ".join(k["name"] for k in kept)
        outcome: dict[str, Any] = {"source": source}
        try:
            if source == POLICE_UK:
                from vru.sources.police_uk import import_police

                summary = import_police(c.ws, paths, progress=progress, command=command)
            else:
                from vru.sources.contract import import_source
                from vru.sources.registry import SOURCES

                summary = import_source(c.ws, SOURCES[source], paths, progress=progress,
                                        command=command)
            outcome.update(_summary(c.ws, summary))
            return outcome
        except (VruError, ValueError) as exc:  # what the CLI reports as `error: ...`
            outcome["refused"] = str(exc).replace(str(folder) + "/", "")
            raise RuntimeError(outcome["refused"]) from exc
        finally:
            shutil.rmtree(folder, ignore_errors=True)
            c.audit_writer.put(Entry("upload", username, "upload.end", None,
                                     {"job_id": job.job_id, "source": source,
                                      **{k: outcome.get(k) for k in (
                                          "import_id", "rows_read", "rows_loaded",
                                          "rows_rejected", "refused")}}))
    return run


def _summary(ws: Any, s: Any) -> dict[str, Any]:
    reasons = ws.sql(
        "SELECT f.name, r.field, r.reason, count(*) FROM rejects r "
        "LEFT JOIN source_files f USING (file_id) WHERE r.import_id = ? "
        "GROUP BY ALL ORDER BY 4 DESC, 1, 3 LIMIT 50", [s.import_id]) if s.import_id else []
    return {
        "import_id": s.import_id, "rows_read": s.rows_read, "rows_loaded": s.rows_loaded,
        "rows_rejected": s.rows_rejected,
        "files": [{"name": f.name, "kind": f.kind, "status": f.status, "read": f.rows_read,
                   "loaded": f.rows_loaded, "rejected": f.rows_rejected,
                   "flagged": f.rows_flagged} for f in s.files],
        "reasons": [{"file": r[0], "field": r[1], "reason": r[2], "rows": r[3]}
                    for r in reasons],
    }


def _job_for(request: Request, job_id: int) -> Any:
    job = _ctx(request).jobs.get(job_id)
    user = _user(request)
    if job is None or not (job.actor == user.username
                           or user.role in (Role.ADMIN, Role.ANALYST)):
        raise HTTPException(404, "no such job (the server keeps recent jobs only)")
    return job


def _job_view(job: Any) -> dict[str, Any]:
    d = job.as_dict()
    d["result"] = job.result if isinstance(job.result, dict) else None
    d["extras"] = getattr(job, "extras", {})
    return d


@router.get("/data-hub/jobs/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, job_id: int):
    job = _job_for(request, job_id)
    view = _job_view(job)
    record_access(request, "jobs.view", job_id=job_id)
    may_rows = allowed(ROUTE_PERMISSIONS[("GET", "/data-hub/rejects")].value, None,
                       Actor.of(_user(request))) or job.actor == _user(request).username
    return _render(request, "job.html", job=view, may_rows=may_rows)


@router.get("/api/jobs/{job_id}", summary="A background job: status, progress and result")
def job_api(request: Request, job_id: int) -> dict[str, Any]:
    return _job_view(_job_for(request, job_id))


@router.get("/data-hub/jobs/{job_id}/rejects", response_class=HTMLResponse)
def job_rejects(request: Request, job_id: int):
    """The rejected rows of one upload: file, row, field and reason for its uploader; the rows
    as read too for roles that may see rejected rows (admins, analysts)."""
    job = _job_for(request, job_id)
    result = job.result if isinstance(job.result, dict) else {}
    import_id = result.get("import_id")
    if not import_id:
        raise HTTPException(404, "this job loaded nothing, so it rejected nothing")
    raw = allowed(Permission.REJECTS.value, None, Actor.of(_user(request)))
    rows = _ctx(request).ws.sql(
        "SELECT f.name, r.row_number, r.field, r.reason, "
        + ("r.raw" if raw else "NULL") + " FROM rejects r LEFT JOIN source_files f "
        "USING (file_id) WHERE r.import_id = ? ORDER BY 1, 2 LIMIT 1000", [import_id])
    record_access(request, "datahub.rejects", import_id=import_id, rows=len(rows), raw=raw)
    return _render(request, "job_rejects.html", job=_job_view(job), raw=raw,
                   rows=[{"file": r[0], "row": r[1], "field": r[2], "reason": r[3], "raw": r[4]}
                         for r in rows])
