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
    for mod in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if mod.name.startswith("cmd_"):
            importlib.import_module(f"{__name__}.{mod.name}").register(app)


_register_all()


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
