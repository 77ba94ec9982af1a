"""Compute the answers most users ask for first, in the background, when the server starts.

The map explorer opens on serious violence over the whole period; hot spots over a large area
take seconds to compute the first time (then they come from the result cache).
"""

from __future__ import annotations

import logging

from vru.privacy.roles import Role
from vru.privacy.users import User
from vru.web import queries as q
from vru.web import views
from vru.web.exit import Exit
from vru.web.hotspot_view import hotspots

log = logging.getLogger(__name__)


def warm_cache(ctx) -> None:
    _warm_crimes(ctx)
    try:
        from vru.web.programme_pages import warm as warm_programme

        warm_programme(ctx)
    except Exception:  # noqa: BLE001 - warming is an optimisation; requests compute on demand
        log.exception("programme cache warm-up failed")


def _warm_crimes(ctx) -> None:
    ws, cache = ctx.ws, ctx.cache
    try:
        first, last = q.month_span(ws)
        if last is None:
            return
        f = q.Filters(month_from=first, month_to=last, crime_type=q.SERIOUS_VIOLENCE)
        for role in (Role.ANALYST, Role.VIEWER):
            ex = Exit(User(0, "(warm-up)", role, None, None, True), ws.settings.disclosure)
            cache.json(("overview", ex.exact), lambda ex=ex: views.overview(ws, ex))
            cache.json(("grid", f, ex.exact), lambda ex=ex: views.grid_layer(ws, ex, f))
        cache.json(("hotspots", f, "gi_star"), lambda: hotspots(ws, f, "gi_star"))
        cache.json(("hotspots", f, "emerging"), lambda: hotspots(ws, f, "emerging"))
    except Exception:  # noqa: BLE001 - warming is an optimisation; requests compute on demand
        log.exception("cache warm-up failed")
