"""Capabilities built by other parts of vru, used when present and reported when absent.

The web app shows hot spots, profiles, data-sharing agreements and patrol plans only when the
modules (and tables) that produce them exist in this installation/workspace.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from vru.workspace import Workspace


def _has(module: str, *names: str) -> bool:
    try:
        if importlib.util.find_spec(module) is None:
            return False
        mod = importlib.import_module(module)
    except ImportError:
        return False
    return all(hasattr(mod, n) for n in names)


def profiles_available() -> bool:
    return _has("vru.reports.profile", "build_profile") and _has("vru.reports", "render")


def hotspots_available() -> bool:
    return _has("vru.analysis.hotspots.gistar", "gi_star") and _has(
        "vru.analysis.hotspots.units", "grid_units", "distance_band_weights")


# Table names the data hub may use for data-sharing agreements (first one present wins).
AGREEMENT_TABLES = ("data_sharing_agreements", "sharing_agreements", "agreements", "dsa")
PATROL_TABLES = ("patrol_plans", "patrol_plan_spots")


def first_table(ws: Workspace, names: tuple[str, ...]) -> str | None:
    have = {r[0] for r in ws.sql("SELECT table_name FROM information_schema.tables")}
    return next((n for n in names if n in have), None)


def features(ws: Workspace) -> dict[str, Any]:
    return {
        "profiles": profiles_available(),
        "hotspots": hotspots_available(),
        "agreements": first_table(ws, AGREEMENT_TABLES),
        "patrol_plans": first_table(ws, PATROL_TABLES),
    }
