"""The `vru` command. Thin: parse, call, print.

Each capability owns a module ``vru/cli/cmd_<name>.py`` that defines ``register(app)``; they are
discovered here, so adding a command never means editing this file.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import typer
from typer.core import TyperGroup

from vru.errors import VruError

# The arguments this process's `vru` was called with (a command handed to a running server is
# sent there as these arguments: see vru.cli.handover).
invoked_args: list[str] = []


class _Root(TyperGroup):
    """The root group: remembers the arguments (for hand-over to a running server) and catches
    every ``VruError`` once: its message on stderr, its exit code, no traceback."""

    def main(self, args=None, *a, **kw):  # noqa: ANN001, ANN002, ANN003 - click's signature
        invoked_args[:] = list(sys.argv[1:] if args is None else args)
        return super().main(args, *a, **kw)

    def invoke(self, ctx):  # noqa: ANN001 - click's signature
        try:
            return super().invoke(ctx)
        except VruError as exc:
            from vru.cli.common import err

            err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None


app = typer.Typer(
    cls=_Root,
    name="vru",
    help="vru: the data and analytics workbench for Violence Reduction Units.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register_all() -> None:
    # Start-up: a command whose module says it is SELF_CONTAINED (it registers everything it
    # runs, e.g. `vru sna`, `vru profile`) is registered alone when it is the one invoked, so
    # the other commands' imports are not paid for; anything else registers every command.
    first = sys.argv[1] if len(sys.argv) > 1 else ""
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.startswith("cmd_"))
    if f"cmd_{first}" in names:
        mod = importlib.import_module(f"{__name__}.cmd_{first}")
        if getattr(mod, "SELF_CONTAINED", False) and _invoked_as_vru():
            mod.register(app)
            # A lone command would become the root itself (Typer's single-command mode, where
            # `vru profile ...` reads "profile" as an extra argument): a callback keeps the group.
            app.callback()(_root_group)
            return
    for name in names:
        importlib.import_module(f"{__name__}.{name}").register(app)


def _root_group() -> None:
    """vru: the data and analytics workbench for Violence Reduction Units."""


def _invoked_as_vru() -> bool:
    """True in the `vru` command (or `python -m vru.cli`), not when imported by other code."""
    prog = sys.argv[0].rsplit("/", 1)[-1]
    return prog in ("vru", "__main__.py") or sys.argv[0] == "-m"


_register_all()


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
