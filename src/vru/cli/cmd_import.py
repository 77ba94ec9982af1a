"""`vru import <source> PATH...`: one subcommand per source.

Source modules add their own subcommands to ``import_app`` (``from vru.cli.cmd_import import
import_app``), so the group is shared without editing this file.
"""

from __future__ import annotations

import typer

import_app = typer.Typer(help="Import partner data into the workspace.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(import_app, name="import")
