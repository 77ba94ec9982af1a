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

# The arguments this process's `vru` was called with (a command handed to a running server is
# sent there as these arguments: see vru.cli.handover).
invoked_args: list[str] = []


class _Root(TyperGroup):
    def main(self, args=None, *a, **kw):  # noqa: ANN001, ANN002, ANN003 - click's signature
        invoked_args[:] = list(sys.argv[1:] if args is None else args)
        return super().main(args, *a, **kw)


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
