"""Capabilities built by other parts of vru, used when present and reported when absent.

The web app shows hot spots, profiles, data-sharing agreements and patrol plans only when the
modules (and tables) that produce them exist in this installation/workspace.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
from typing import Any

from vru.workspace import Workspace


def _has(*modules: str) -> bool:
    """Whether the modules exist, without importing them (some pull in heavy chart/PDF stacks)."""
    try:
        return all(importlib.util.find_spec(m) is not None for m in modules)
    except (ImportError, ValueError):
        return False


def profiles_available() -> bool:
    return _has("vru.reports", "vru.reports.profile")


def hotspots_available() -> bool:
    return _has("vru.analysis.hotspots.gistar", "vru.analysis.hotspots.units",
                "vru.analysis.hotspots.emerging")


def warm_up() -> None:
    """Import the heavy optional modules ahead of the first request that needs them."""
    for m in ("vru.reports.profile", "vru.analysis.hotspots.gistar"):
        if _has(m):
            # a broken optional module must not stop the server; its pages report the error
            with contextlib.suppress(Exception):
                importlib.import_module(m)


# Table names the data hub may use for data-sharing agreements (first one present wins).
AGREEMENT_TABLES = ("data_sharing_agreements", "sharing_agreements", "agreements", "dsa")
PATROL_TABLES = ("patrol_plans", "patrol_plan_spots")


def first_table(ws: Workspace, names: tuple[str, ...]) -> str | None:
    have = ws.tables()
    return next((n for n in names if n in have), None)


def features(ws: Workspace) -> dict[str, Any]:
    return {
        "profiles": profiles_available(),
        "hotspots": hotspots_available(),
        "agreements": first_table(ws, AGREEMENT_TABLES),
        "patrol_plans": first_table(ws, PATROL_TABLES),
    }
