"""Patrols: GPS pings from patrol devices, or patrol logs (start/end, place).

Contract: docs/guide/hub-patrols.md. Two file kinds, recognised by their columns. Patrol ids
are operational references (call signs, patrol numbers), not personal identifiers; do not put
officers' names or collar numbers in them.
"""

from __future__ import annotations

from vru.sources.contract import (
    GB_LONLAT_CHECKS,
    Check,
    Column,
    Contract,
    Flag,
    LoadContext,
    RetentionTarget,
    Source,
    gps_pings_loader,
    inserted,
    project_bng,
)

PING_COLUMNS = (
    Column("patrol_id", "text", True, max_length=50, description="patrol or call-sign reference"),
    Column("ping_time", "datetime", True, description="time of the GPS fix (UK local time)"),
    Column("longitude", "decimal", True, description="WGS84 longitude"),
    Column("latitude", "decimal", True, description="WGS84 latitude"),
    Column("accuracy_m", "decimal", min=0, max=10000, description="horizontal accuracy, metres"),
)


PINGS = Contract(
    source="patrols", kind="pings", title="Patrol GPS pings",
    columns=PING_COLUMNS, load=gps_pings_loader("patrol_pings", "v_patrol_id"), checks=GB_LONLAT_CHECKS,
    retention=(RetentionTarget("patrol_pings", "ping_at"),),
)

LOG_COLUMNS = (
    Column("patrol_id", "text", True, max_length=50, description="patrol or call-sign reference"),
    Column("started_at", "datetime", True, description="patrol start (UK local time)"),
    Column("ended_at", "datetime", True, description="patrol end"),
    Column("longitude", "decimal", description="WGS84 longitude of the patrolled place"),
    Column("latitude", "decimal", description="WGS84 latitude of the patrolled place"),
    Column("hotspot_id", "text", max_length=50, description="the hotspot patrolled, if any"),
    Column("activity", "text", max_length=200, description="what was done, free text"),
)
LOG_CHECKS = (
    Check("ended_at", "v_ended_at < v_started_at", "ends before it starts"),
    Check("ended_at", "v_ended_at - v_started_at > INTERVAL 24 HOUR", "longer than 24 hours"),
    *GB_LONLAT_CHECKS,
)


def _load_logs(ctx: LoadContext) -> int:
    project_bng(ctx.con)
    return inserted(ctx.con, """
        INSERT INTO patrol_logs SELECT v_patrol_id, v_started_at, v_ended_at, v_longitude,
               v_latitude, x.easting, x.northing, v_hotspot_id, v_activity, flags, o.file_id,
               o.row_number, ?
        FROM hub_ok o LEFT JOIN hub_xy x USING (file_id, row_number)""", [ctx.import_id])


LOGS = Contract(
    source="patrols", kind="logs", title="Patrol logs",
    columns=LOG_COLUMNS, load=_load_logs, checks=LOG_CHECKS,
    flags=(Flag("no_location", "v_longitude IS NULL AND v_hotspot_id IS NULL"),),
    retention=(RetentionTarget("patrol_logs", "started_at"),),
)

PATROLS = Source(name="patrols", title="Patrols", contracts=(PINGS, LOGS))
