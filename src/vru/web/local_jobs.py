"""The local channel: `vru` commands run inside this server while it owns the workspace.

``POST /local/jobs`` takes a command (its arguments, the caller's folder, standard input, the
caller's login and pid) from a loopback caller holding the handle's token (checked once, in
``security.authorize``), queues it on the job runner and answers with the job's id.
``GET /local/jobs/{id}/events`` streams the job's events as JSON lines until it ends. The
command itself is run by the executor ``vru serve`` registers (``vru.cli.handover.execute``),
so the web package does not depend on the CLI.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from vru.privacy.audit import Entry

router = APIRouter(include_in_schema=False)

HEARTBEAT_S = 10.0


class HandedOver(BaseModel):
    argv: list[str] = Field(max_length=1000)
    cwd: str = Field(max_length=4096)
    stdin: str = Field("", max_length=1 << 20)
    user: str = Field(max_length=200)
    pid: int
    writes: bool = True


def _audit(ctx: Any, entry: Entry) -> None:
    ctx.audit_writer.put(entry)


@router.post("/local/jobs")
def submit(request: Request, body: HandedOver) -> dict[str, Any]:
    ctx = request.app.state.ctx
    run = ctx.extras.get("run_cli")
    if run is None:
        raise HTTPException(503, "this server was not started by `vru serve`")
    from vru.live.jobs import Job

    title = "vru " + " ".join(body.argv)
    actor = body.user

    def work(job: Job) -> int:
        _audit(ctx, Entry("job", actor, "job.start", None,
                          {"job_id": job.job_id, "via": "cli", "command": title[:2000],
                           "client_pid": body.pid, "cwd": body.cwd, "writes": body.writes}))
        code = 1
        try:
            code = run(ctx.ws, job, body.argv, body.cwd, body.stdin)
            return code
        finally:
            _audit(ctx, Entry("job", actor, "job.end", None,
                              {"job_id": job.job_id, "via": "cli", "exit_code": code,
                               "command": title[:2000]}))

    job = ctx.jobs.submit(work, kind="cli", title=title, actor=actor, writes=body.writes)
    return {"job_id": job.job_id, "status": job.status}


@router.get("/local/jobs/{job_id}/events")
def events(request: Request, job_id: int) -> StreamingResponse:
    job = request.app.state.ctx.jobs.get(job_id)
    if job is None:
        raise HTTPException(404, f"no job {job_id} (the server keeps recent jobs only)")

    def stream() -> Iterator[bytes]:
        seen = 0
        while True:
            batch = job.wait_events(seen, HEARTBEAT_S)
            if not batch:
                yield b'{"t":"tick"}\n'  # lets a vanished follower be noticed
                continue
            for ev in batch:
                seen = ev["seq"] + 1
                if ev["t"] == "end":
                    ev = {**ev, "code": job.result if isinstance(job.result, int) else None}
                    yield json.dumps(ev).encode() + b"\n"
                    return
                yield json.dumps(ev).encode() + b"\n"

    return StreamingResponse(stream(), media_type="application/x-ndjson")
