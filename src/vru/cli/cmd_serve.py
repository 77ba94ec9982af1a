"""`vru serve`: run the web workbench (FastAPI + uvicorn) over a workspace."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from vru.cli.common import WorkspaceOption, console, fail, open_workspace


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (0.0.0.0 for "
                             "all interfaces; put a TLS proxy in front)."),
    port: int = typer.Option(8000, "--port"),
    secure_cookies: bool = typer.Option(False, "--secure-cookies",
                                        help="Mark cookies Secure (when users reach it by HTTPS)."),
    session_hours: float = typer.Option(8.0, "--session-hours", help="Sign-in lifetime."),
    forwarded_allow_ips: str = typer.Option(None, "--forwarded-allow-ips", help="Trust "
                                            "X-Forwarded-For from these proxy addresses."),
    upload_max_mb: int = typer.Option(200, "--upload-max-mb", min=1,
                                      help="Largest upload accepted on the data hub's upload "
                                           "page, in MB (all files of one upload together)."),
    workspace: Path = WorkspaceOption,
) -> None:
    """Serve the web workbench: overview, map explorer, trends, profiles, data hub, patrol plans
    and the JSON API (/api, OpenAPI at /api/openapi.json), with sign-in, roles and audit."""
    import uvicorn

    from vru.cli.handover import execute
    from vru.live.handle import remove_handle, write_handle
    from vru.privacy.roles import Role
    from vru.privacy.users import list_users
    from vru.web.app import create_app
    from vru.workspace import default_path

    # The server owns the workspace while it runs; commands started elsewhere are handed to it
    # and run in their caller's folder, so the server itself must only use absolute paths.
    ws = open_workspace((workspace or default_path()).absolute())
    active = [u for u in list_users(ws) if u.active]
    if not active:
        ws.close()
        fail("no active user yet, so nobody could sign in; create one first: "
             "vru users add NAME --role admin")
    if not any(u.role is Role.ADMIN for u in active):
        console.print("[yellow]note:[/] no active admin: manage users with `vru users` (it "
                      "hands the change to this server).")
    app = create_app(ws, secure_cookies=secure_cookies, session_hours=session_hours)
    import threading

    from vru.web.optional import warm_up
    from vru.web.warm import warm_cache

    def _warm() -> None:
        try:
            warm_up()
            warm_cache(app.state.ctx)
        finally:
            app.state.ctx.extras["warming"] = False

    app.state.ctx.extras["warming"] = True
    threading.Thread(target=_warm, name="vru-warm-up", daemon=True).start()
    app.state.ctx.extras["run_cli"] = execute
    app.state.ctx.extras["upload_max_mb"] = upload_max_mb
    app.state.ctx.extras["handle"] = write_handle(ws.path, host, port, ws.user_name())
    console.print(f"vru web workbench for [bold]{ws.settings.area_name}[/] on "
                  f"http://{host}:{port}/  (Ctrl+C to stop; pid {os.getpid()}; `vru` commands "
                  "on this workspace now run inside this server)")
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False,
                    proxy_headers=forwarded_allow_ips is not None,
                    forwarded_allow_ips=forwarded_allow_ips)
    finally:
        remove_handle(ws.path)
        ws.close()
