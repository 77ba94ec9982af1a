"""Probation and electronic monitoring: tagged people, GPS pings and exclusion zones.

Contract: docs/guide/hub-em-gps.md. Three file kinds, recognised by their columns:
``people`` (who is tagged, under what order, when), ``pings`` (the GPS location trail) and
``zones`` (exclusion/inclusion zones as WKT polygons with a schedule). The person identifier
(PNC ID) is pseudonymised at import; pseudonyms match the police force extract's
``suspect_pid`` and youth justice's ``person_pid`` for the same PNC ID.
Access to these tables is for police and probation staff with a purpose (see the web roles).
"""

from __future__ import annotations

from vru.sources.contract import (
    GB_LONLAT_CHECKS,
    Check,
    Column,
    Contract,
    Identifier,
    LoadContext,
    MatchKeys,
    RetentionTarget,
    Source,
    gps_pings_loader,
    inserted,
    quasi_identifier_columns,
)

ORDER_TYPES = ("GPS_TRAIL", "EXCLUSION", "INCLUSION", "CURFEW")
ZONE_TYPES = ("EXCLUSION", "INCLUSION")
PERSON = Column("person_id", "id", True, description="PNC ID of the tagged person (pseudonymised)")
PERSON_ID = (Identifier("person_pid", "pnc_id", ("person_id",), required=True),)

# ------------------------------------------------------------------------------- people
PEOPLE_COLUMNS = (
    PERSON,
    Column("order_type", "code", True, ORDER_TYPES, description="kind of monitoring order"),
    Column("start_date", "date", True, description="monitoring start date"),
    Column("end_date", "date", future_ok=True, description="monitoring end date (may be future)"),
    Column("sex", "code", codes=("M", "F", "X", "U"),
           description="M, F, X (other) or U (not known); used for record linkage"),
)
PEOPLE_MATCH_KEYS = MatchKeys(date_column="start_date", home_lsoa=None)
PEOPLE_COLUMNS = PEOPLE_COLUMNS + quasi_identifier_columns(PEOPLE_MATCH_KEYS, PEOPLE_COLUMNS)


def _load_people(ctx: LoadContext) -> int:
    return inserted(ctx.con, """
        INSERT INTO em_people SELECT person_pid, v_order_type, v_start_date, v_end_date, flags,
               file_id, row_number, ? FROM hub_ok""", [ctx.import_id])


PEOPLE = Contract(
    source="em_gps", kind="people", title="Tagged people",
    columns=PEOPLE_COLUMNS, load=_load_people, identifiers=PERSON_ID,
    checks=(Check("end_date", "v_end_date < v_start_date", "ends before it starts"),),
    retention=(RetentionTarget("em_people", "coalesce(end_date, start_date)"),),
    match_keys=PEOPLE_MATCH_KEYS,
)

# ------------------------------------------------------------------------------- pings
PING_COLUMNS = (
    PERSON,
    Column("ping_time", "datetime", True, description="time of the GPS fix (UK local time)"),
    Column("longitude", "decimal", True, description="WGS84 longitude"),
    Column("latitude", "decimal", True, description="WGS84 latitude"),
    Column("accuracy_m", "decimal", min=0, max=10000,
           description="reported horizontal accuracy in metres"),
)


PINGS = Contract(
    source="em_gps", kind="pings", title="GPS pings (location trail)",
    columns=PING_COLUMNS, load=gps_pings_loader("em_pings", "person_pid"), identifiers=PERSON_ID,
    checks=GB_LONLAT_CHECKS,
    retention=(RetentionTarget("em_pings", "ping_at"),),
)

# ------------------------------------------------------------------------------- zones
_PT = "[-+0-9.eE]+\\s+[-+0-9.eE]+"
_RING = f"\\(\\s*{_PT}(\\s*,\\s*{_PT})*\\s*\\)"
_POLY = f"\\(\\s*{_RING}(\\s*,\\s*{_RING})*\\s*\\)"
_SHAPE = (f"regexp_full_match(upper(trim(v_polygon_wkt)), "
          f"'POLYGON\\s*{_POLY}|MULTIPOLYGON\\s*\\(\\s*{_POLY}(\\s*,\\s*{_POLY})*\\s*\\)')")
_NUMS = ("list_transform(regexp_extract_all(v_polygon_wkt, '[-+]?[0-9]+(\\.[0-9]+)?'), "
         "x -> CAST(x AS DOUBLE))")
# Each ring (the text between innermost brackets) as its list of numbers.
_RINGS = ("list_transform(regexp_extract_all(v_polygon_wkt, '\\(([^()]*)\\)', 1), "
          "r -> list_transform(regexp_extract_all(r, '[-+]?[0-9]+(\\.[0-9]+)?'), "
          "x -> CAST(x AS DOUBLE)))")
_DAY = "(MON|TUE|WED|THU|FRI|SAT|SUN)"

ZONE_COLUMNS = (
    PERSON,
    Column("zone_id", "text", True, max_length=50, description="the zone's reference"),
    Column("zone_type", "code", True, ZONE_TYPES, description="EXCLUSION or INCLUSION"),
    Column("polygon_wkt", "text", True, max_length=100_000,
           description="WKT POLYGON (holes allowed) or MULTIPOLYGON, WGS84 longitude latitude"),
    Column("active_from", "date", True, future_ok=True, description="first day the zone applies"),
    Column("active_to", "date", future_ok=True, description="last day (empty = open-ended)"),
    Column("days", "text", max_length=27, description="ALL (default) or e.g. MON,TUE,SAT"),
    Column("start_time", "time", description="daily start HH:MM (empty = all day)"),
    Column("end_time", "time", description="daily end HH:MM; before start_time = overnight"),
)
ZONE_CHECKS = (
    Check("polygon_wkt", f"NOT {_SHAPE}",
          "not a WKT POLYGON or MULTIPOLYGON of longitude latitude pairs"),
    Check("polygon_wkt", f"{_SHAPE} AND list_bool_or(list_transform({_RINGS}, r -> len(r) < 8))",
          "a polygon ring needs at least 4 points (a closed ring)"),
    Check("polygon_wkt",
          f"{_SHAPE} AND list_bool_or(list_transform({_RINGS}, "
          f"r -> len(r) >= 8 AND (r[1] <> r[-2] OR r[2] <> r[-1])))",
          "ring not closed (the first point must equal the last)"),
    Check("polygon_wkt",
          f"{_SHAPE} AND (list_min(list_slice({_NUMS}, 1, -1, 2)) < -8.75 "
          f"OR list_max(list_slice({_NUMS}, 1, -1, 2)) > 1.85 "
          f"OR list_min(list_slice({_NUMS}, 2, -1, 2)) < 49.8 "
          f"OR list_max(list_slice({_NUMS}, 2, -1, 2)) > 60.95)",
          "polygon outside Great Britain (is it longitude latitude order?)"),
    Check("active_to", "v_active_to < v_active_from", "ends before it starts"),
    Check("days", f"NOT regexp_full_match(upper(v_days), 'ALL|{_DAY}(,{_DAY})*')",
          "not ALL or a comma-separated list of MON..SUN"),
    Check("start_time", "(v_start_time IS NULL) <> (v_end_time IS NULL)",
          "start_time and end_time must be given together"),
)


def _load_zones(ctx: LoadContext) -> int:
    return inserted(ctx.con, """
        INSERT INTO em_zones SELECT person_pid, v_zone_id, v_zone_type, trim(v_polygon_wkt),
               v_active_from, v_active_to, coalesce(upper(v_days), 'ALL'), v_start_time,
               v_end_time, flags, file_id, row_number, ?
        FROM hub_ok""", [ctx.import_id])


ZONES = Contract(
    source="em_gps", kind="zones", title="Exclusion and inclusion zones",
    columns=ZONE_COLUMNS, load=_load_zones, identifiers=PERSON_ID, checks=ZONE_CHECKS,
    unique=("zone_id",),
    retention=(RetentionTarget("em_zones", "coalesce(active_to, active_from)"),),
)

EM_GPS = Source(name="em_gps", title="Probation and electronic monitoring",
                contracts=(PEOPLE, PINGS, ZONES))
