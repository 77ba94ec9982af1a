"""The matching and breach queries, as SQL text (pure: nothing here touches a database).

Why SQL and not Python: at force scale (10 million pings, 50 thousand crimes) the work is a join,
and DuckDB does joins, sorts and window functions in parallel, out of core, far faster than a
Python loop. The queries never compare every ping with every crime: each stretch of trail
(the segment between two consecutive fixes) and each crime are given keys
``(grid cell, time bucket)``; only pairs sharing a key are tested exactly.

The statements build temporary tables, in order:

``tg_fix``   fixes: UK local time -> UTC, only while an order is active.
``tg_fixs``  the same numbered per person in time order (``seq``), exact duplicates flagged,
             with a zone cell (``zx``, ``zy``) and the time to the next fix (breaches and
             silences; made straight from the fix query, one sort).
``tg_seg``   segments between consecutive usable fixes (accuracy <= ``max_accuracy_m``):
             interpolated at the implied speed when the gap is <= ``max_gap_minutes`` and the
             speed <= ``max_speed_kmh``; otherwise the fix stands alone (a zero-length segment).
``tg_crime`` crimes with a location and a time, window widened by T, in UTC epoch seconds;
``tg_ckey``  their keys.
``tg_hit``   matching segments: closest approach, time within D + accuracy, evidence.
``tg_match`` one row per (crime, person).
``tg_unknown`` (crime, person) pairs whose whereabouts are unknown: a silence in the window.

Breaches: ``tg_zone`` (zones in BNG, schedule as numbers, an inscribed circle),
``tg_zcell`` (zone cells) (``zone_statements``), ``tg_cand`` (fix x zone where the schedule applies and the fix is on,
or near, the wrong side), ``tg_episode`` (runs of candidate fixes merged into episodes)
(``episode_statements``).

Memory stays bounded whatever the force's size: the store runs the per-fix statements for one
batch of people at a time (every window above is per person) and appends each batch's
``tg_hit``, ``tg_unknown`` and ``tg_episode`` rows; only the crimes and zones are built once.
"""

from __future__ import annotations

from dataclasses import dataclass

from vru import clock
from vru.settings import Tags

# Episode severity (documented in docs/guide/tags.md).
SEVERITY = {
    "exclusion": ("minutes >= 30 OR max_depth_m >= 200"),
    "inclusion": ("minutes >= 60 OR max_depth_m >= 1000"),
    "no_signal": ("minutes >= 240"),
}


@dataclass(frozen=True)
class Sources:
    """Where the inputs are (table names or sub-queries); the bench points these elsewhere."""

    pings: str = "em_pings"        # person_pid, ping_at, easting, northing, accuracy_m, file_id, row_number
    people: str = "em_people"      # person_pid, start_date, end_date
    zones: str = "em_zones"        # person_pid, zone_id, zone_type, polygon_wkt, active_from, ...
    # Crimes through the one canonical crime view (vru.crime_view): the force extract serves a
    # force-month when it has one; only rows with a time can be matched.
    crimes: str = ("(SELECT crime_id, occurred_from, occurred_to, easting, northing "
                   "FROM canonical_crimes WHERE occurred_from IS NOT NULL)")
    zones_srid: str = "EPSG:4326"  # polygon_wkt coordinates (EPSG:27700 = already BNG)


def _explode(relation: str, keep: str, dims: list[tuple[str, str, str]]) -> str:
    """SQL: each row of ``relation`` once per integer key in [floor(lo), floor(hi)] of every
    dimension (nested ``unnest(range())``: DuckDB runs a lateral ``range`` per row, ~20x
    slower)."""
    q, cols = f"SELECT * FROM ({relation})", []
    for name, lo, hi in dims:
        q = (f"SELECT *, unnest(range(CAST(floor({lo}) AS BIGINT), "
             f"CAST(floor({hi}) AS BIGINT) + 1)) AS {name} FROM ({q})")
        cols.append(name)
    if keep == "*":
        return q
    return f"SELECT {keep}, {', '.join(cols)} FROM ({q})"


def _f(x: float) -> str:
    return repr(float(x))


def fix_query(s: Tags, years: tuple[int, int], src: Sources = Sources(),
              persons: str = "true") -> str:
    """SELECT of the fixes in UTC while an order is active (``tg_fix``: see the module
    docstring), for the people ``persons`` selects (SQL over ``person_pid``: one batch of
    people at a time)."""
    y0, y1 = years
    amb = clock.ambiguous_sql("local_at", y0, y1)
    utc = clock.utc_sql("local_at", y0, y1, fold="fold")
    # Within a repeated autumn hour, fixes are read in the order the files delivered them:
    # from the first fix whose wall-clock time goes back, they are the second occurrence
    # (fold 1); exact duplicates there (same person, wall-clock time and place) are dropped
    # first. Elsewhere duplicates are dropped by the matching and breach steps (on the
    # sort they need anyway, rather than a hash aggregate over every fix). ``raw`` is read
    # twice but NOT MATERIALIZED: scanning the pings again is cheaper than a copy of them.
    return f"""
        WITH raw AS NOT MATERIALIZED (
            SELECT person_pid, ping_at AS local_at, easting AS e, northing AS n,
                   accuracy_m AS acc, file_id * 10000000000 + row_number AS src
            FROM {src.pings} WHERE easting IS NOT NULL AND northing IS NOT NULL AND {persons}),
        amb AS (
            SELECT person_pid, local_at, e, n, min(acc) AS acc, min(src) AS src
            FROM raw WHERE {amb} GROUP BY person_pid, local_at, e, n),
        rep AS (
            SELECT *, local_at < max(local_at) OVER (
                          PARTITION BY person_pid, CAST(local_at AS DATE) ORDER BY src
                          ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS back
            FROM amb),
        folded AS (
            SELECT person_pid, local_at, e, n, acc, 0 AS fold FROM raw WHERE NOT {amb}
            UNION ALL
            SELECT person_pid, local_at, e, n, acc,
                   max(CASE WHEN back THEN 1 ELSE 0 END) OVER (
                       PARTITION BY person_pid, CAST(local_at AS DATE) ORDER BY src
                       ROWS UNBOUNDED PRECEDING) AS fold
            FROM rep),
        orders AS (
            SELECT person_pid, start_date, coalesce(end_date, DATE '9999-12-31') AS end_date
            FROM {src.people} WHERE {persons}),
        active AS (
            SELECT f.* FROM folded f SEMI JOIN orders o ON o.person_pid = f.person_pid
               AND CAST(f.local_at AS DATE) BETWEEN o.start_date AND o.end_date),
        u AS (SELECT *, {utc} AS t FROM active)
        SELECT person_pid, local_at, t, epoch(t) AS ts, e, n, acc FROM u"""


def fix_statements(s: Tags, years: tuple[int, int], src: Sources = Sources(),
                   persons: str = "true") -> list[str]:
    """``tg_fix`` (``fix_query``): matching."""
    return ["DROP TABLE IF EXISTS tg_fix",
            f"CREATE TEMP TABLE tg_fix AS {fix_query(s, years, src, persons)}"]


def sequence_statements(s: Tags, fixes: str = "tg_fix") -> list[str]:
    """``tg_fixs``: ``fixes`` (a table or a sub-query) numbered per person in time order
    (``seq``), exact duplicates flagged (``dup``), with a zone cell (``zx``, ``zy``), the
    next fix's time (``t_next``, ``ts_next``, ``local_next``) and the wall-clock date, time of
    day and weekday (``day``, ``tod``, ``dow``); for breaches and silences."""
    z = int(s.zone_cell_m)
    return [
        "DROP TABLE IF EXISTS tg_fixs",
        # One sort: dense_rank numbers distinct fixes consecutively (an exact duplicate - same
        # time and place as the row before - shares its number and is skipped by the zone
        # tests). The last of fixes at one time carries the time to the next one (silences).
        f"""CREATE TEMP TABLE tg_fixs AS
        SELECT *, dense_rank() OVER w AS seq,
               coalesce(ts = lag(ts) OVER w AND e = lag(e) OVER w AND n = lag(n) OVER w,
                        false) AS dup,
               lead(t) OVER w AS t_next, lead(ts) OVER w AS ts_next,
               lead(local_at) OVER w AS local_next,
               CAST(floor(e / {z}) AS BIGINT) AS zx, CAST(floor(n / {z}) AS BIGINT) AS zy,
               CAST(local_at AS DATE) AS day, CAST(local_at AS TIME) AS tod,
               CAST(isodow(local_at) AS INTEGER) AS dow
        FROM {fixes} WINDOW w AS (PARTITION BY person_pid ORDER BY ts, e, n)""",
    ]


def crime_statements(s: Tags, years: tuple[int, int], src: Sources = Sources(),
                     crime_filter: str = "true") -> list[str]:
    """``tg_crime`` (crimes with a place and a time, window widened by T, UTC epoch seconds)
    and ``tg_ckey`` (each crime once per key ``(cx, cy, tb)`` it covers: the cells within D +
    the worst usable accuracy of its point, the time buckets of its widened window).

    ``crime_filter`` restricts the crimes (SQL over the crime source's columns: incremental
    runs)."""
    y0, y1 = years
    c, b = int(s.bucket_cell_m), int(s.bucket_minutes) * 60
    r_max = _f(s.radius_m + s.max_accuracy_m)
    t = _f(s.window_minutes * 60)
    f_utc = clock.utc_sql("occurred_from", y0, y1)
    # A crime time in a repeated hour could be either occurrence: the window runs from the
    # first reading of its start to the second reading of its end.
    t_utc = clock.utc_sql("coalesce(occurred_to, occurred_from)", y0, y1, fold="1")
    return [
        "DROP TABLE IF EXISTS tg_crime",
        f"""CREATE TEMP TABLE tg_crime AS
        SELECT crime_id, easting AS ce, northing AS cn,
               {f_utc} AS from_utc, {t_utc} AS to_utc,
               epoch({f_utc}) - {t} AS w0, epoch({t_utc}) + {t} AS w1
        FROM {src.crimes}
        WHERE easting IS NOT NULL AND northing IS NOT NULL AND occurred_from IS NOT NULL
          AND {crime_filter}""",
        "DROP TABLE IF EXISTS tg_ckey",
        f"""CREATE TEMP TABLE tg_ckey AS
        {_explode(f'''SELECT *, {_cell(f"(ce - {r_max}) / {c}")} AS kx0,
                             {_cell(f"(ce + {r_max}) / {c}")} AS kx1,
                             {_cell(f"(cn - {r_max}) / {c}")} AS ky0,
                             {_cell(f"(cn + {r_max}) / {c}")} AS ky1,
                             {_cell(f"w0 / {b}")} AS kb0, {_cell(f"w1 / {b}")} AS kb1
                      FROM tg_crime''', "*",
                  [("cx", "kx0", "kx1"), ("cy", "ky0", "ky1"), ("tb", "kb0", "kb1")])}""",
    ]


def _cell(x: str) -> str:
    """SQL: the integer key of ``x`` (cells and buckets fit an INTEGER: a smaller join key)."""
    return f"CAST(floor({x}) AS INTEGER)"


def segment_statements(s: Tags) -> list[str]:
    """``tg_seg`` from ``tg_fix``: segments between consecutive usable fixes, with their keys
    (``sx0``..``sx1``, ``sy0``..``sy1`` cells of the bounding box, ``sb0``..``sb1`` time
    buckets of the span; most lie in one cell and one bucket)."""
    dacc, amax = _f(s.default_accuracy_m), _f(s.max_accuracy_m)
    gap, vmax = _f(s.max_gap_minutes * 60), _f(s.max_speed_kmh / 3.6)
    c, b = int(s.bucket_cell_m), int(s.bucket_minutes) * 60
    return [
        "DROP TABLE IF EXISTS tg_seg",
        # A fix whose next fix is an exact duplicate (same time and place) is dropped here.
        f"""CREATE TEMP TABLE tg_seg AS
        WITH g AS (
            SELECT person_pid, ts AS ts0, e AS e0, n AS n0, coalesce(acc, {dacc}) AS a0,
                   lead(ts) OVER w AS ts1, lead(e) OVER w AS e1, lead(n) OVER w AS n1,
                   lead(coalesce(acc, {dacc})) OVER w AS a1
            FROM tg_fix WHERE coalesce(acc, {dacc}) <= {amax}
            WINDOW w AS (PARTITION BY person_pid ORDER BY ts, e, n)),
        k AS (
            SELECT *, ts1 IS NOT NULL AND ts1 > ts0 AND ts1 - ts0 <= {gap}
                      AND sqrt((e1 - e0) ^ 2 + (n1 - n0) ^ 2) / (ts1 - ts0) <= {vmax} AS interp
            FROM g WHERE NOT coalesce(ts1 = ts0 AND e1 = e0 AND n1 = n0, false)),
        sg AS (
            SELECT person_pid, interp, ts1 AS next_ts, e1 AS next_e, n1 AS next_n,
                   ts0, e0, n0, a0,
                   CASE WHEN interp THEN ts1 ELSE ts0 END AS ts1,
                   CASE WHEN interp THEN e1 ELSE e0 END AS e1,
                   CASE WHEN interp THEN n1 ELSE n0 END AS n1,
                   CASE WHEN interp THEN a1 ELSE a0 END AS a1
            FROM k)
        SELECT *, {_cell(f"least(e0, e1) / {c}")} AS sx0, {_cell(f"greatest(e0, e1) / {c}")} AS sx1,
               {_cell(f"least(n0, n1) / {c}")} AS sy0, {_cell(f"greatest(n0, n1) / {c}")} AS sy1,
               {_cell(f"ts0 / {b}")} AS sb0, {_cell(f"ts1 / {b}")} AS sb1
        FROM sg""",
    ]


def hit_queries(s: Tags) -> dict[str, str]:
    """``tg_hit`` and ``tg_unknown`` rows for the segments in ``tg_seg`` against the crimes in
    ``tg_crime`` / ``tg_ckey`` (SELECTs: the caller creates or appends, one batch of people at
    a time).

    ``tg_hit``: matching segments (closest approach, time within D + accuracy, evidence, and
    the crime's window and place). ``tg_unknown``: (crime, person) pairs whose whereabouts are
    unknown: a silence in the window."""
    d, gap = _f(s.radius_m), _f(s.max_gap_minutes * 60)
    one = "sx0 = sx1 AND sy0 = sy1 AND sb0 = sb1"
    cols = "person_pid, interp, ts0, e0, n0, a0, ts1, e1, n1, a1, sx0, sy0, sb0"
    # Each (segment, crime) pair is kept once, at the first key both cover (the largest of
    # their lowest keys), so no DISTINCT is needed and the rows carry their columns along.
    # Only the candidates' exact test is computed per pair: DuckDB streams the join into it
    # (nothing materialises every candidate pair).
    hit = f"""
        WITH sk AS (
            SELECT {cols}, sx0 AS cx, sy0 AS cy, sb0 AS tb FROM tg_seg WHERE {one}
            UNION ALL
            {_explode(f"SELECT * FROM tg_seg WHERE NOT ({one})", cols,
                      [("cx", "sx0", "sx1"), ("cy", "sy0", "sy1"), ("tb", "sb0", "sb1")])}),
        geo AS (
            SELECT ck.crime_id, sk.person_pid, sk.interp, sk.ts0, sk.e0, sk.n0, sk.a0, sk.ts1,
                   sk.e1, sk.n1, sk.a1, ck.ce, ck.cn, ck.from_utc, ck.to_utc,
                   greatest(sk.ts0, ck.w0) - sk.ts0 AS sl, least(sk.ts1, ck.w1) - sk.ts0 AS sh,
                   CASE WHEN sk.ts1 > sk.ts0 THEN (sk.e1 - sk.e0) / (sk.ts1 - sk.ts0) ELSE 0 END AS vx,
                   CASE WHEN sk.ts1 > sk.ts0 THEN (sk.n1 - sk.n0) / (sk.ts1 - sk.ts0) ELSE 0 END AS vy,
                   sk.e0 - ck.ce AS ex, sk.n0 - ck.cn AS ny,
                   {d} + greatest(sk.a0, sk.a1) AS r
            FROM sk JOIN tg_ckey ck USING (cx, cy, tb)
            WHERE cx = greatest(sk.sx0, ck.kx0) AND cy = greatest(sk.sy0, ck.ky0)
              AND tb = greatest(sk.sb0, ck.kb0)),
        q AS (
            SELECT *, vx * vx + vy * vy AS qa, 2 * (ex * vx + ny * vy) AS qb,
                   ex * ex + ny * ny - r * r AS qc
            FROM geo WHERE sl <= sh),
        sol AS (
            SELECT *,
                   CASE WHEN qa > 0 THEN least(greatest(-qb / (2 * qa), sl), sh) ELSE sl END AS s_star,
                   CASE WHEN qa > 0 THEN qb * qb - 4 * qa * qc END AS disc
            FROM q),
        win AS (
            SELECT *,
                   sqrt((ex + vx * s_star) ^ 2 + (ny + vy * s_star) ^ 2) AS dmin,
                   CASE WHEN qa = 0 THEN CASE WHEN qc <= 0 THEN sl END
                        WHEN disc >= 0 THEN greatest(sl, (-qb - sqrt(disc)) / (2 * qa)) END AS lo,
                   CASE WHEN qa = 0 THEN CASE WHEN qc <= 0 THEN sh END
                        WHEN disc >= 0 THEN least(sh, (-qb + sqrt(disc)) / (2 * qa)) END AS hi
            FROM sol)
        SELECT crime_id, person_pid, interp, ts0, e0, n0, a0, ts1, e1, n1, a1,
               dmin, ts0 + s_star AS t_star, e0 + vx * s_star AS e_star, n0 + vy * s_star AS n_star,
               CASE WHEN ts1 > ts0 THEN a0 + (a1 - a0) * s_star / (ts1 - ts0) ELSE a0 END AS acc_star,
               least(s_star, (ts1 - ts0) - s_star) AS fix_gap_s,
               ts0 + lo AS in_from, ts0 + hi AS in_to, ce, cn, from_utc, to_utc
        FROM win WHERE lo IS NOT NULL AND lo <= hi"""
    # Whereabouts unknown: a silence longer than the maximum gap overlaps the widened
    # window, and the scene is reachable at ``unknown_speed_kmh`` from the fixes either
    # side (distance to the scene and on to the next fix <= 2D + speed x silence).
    unknown = f"""
        SELECT c.crime_id, g.person_pid, to_timestamp(g.ts0)::TIMESTAMP AS gap_from_utc,
               to_timestamp(g.next_ts)::TIMESTAMP AS gap_to_utc,
               least(sqrt((g.e0 - c.ce) ^ 2 + (g.n0 - c.cn) ^ 2),
                     sqrt((g.next_e - c.ce) ^ 2 + (g.next_n - c.cn) ^ 2)) AS nearest_fix_m
        FROM (SELECT * FROM tg_seg WHERE NOT interp AND next_ts - ts0 > {gap}) g
        JOIN tg_crime c ON g.ts0 < c.w1 AND g.next_ts > c.w0
        WHERE sqrt((g.e0 - c.ce) ^ 2 + (g.n0 - c.cn) ^ 2)
              + sqrt((g.next_e - c.ce) ^ 2 + (g.next_n - c.cn) ^ 2)
              <= 2 * {d} + {_f(s.unknown_speed_kmh / 3.6)} * (g.next_ts - g.ts0)"""
    return {"tg_hit": hit, "tg_unknown": unknown}


def match_statements() -> list[str]:
    """``tg_match``: one row per (crime, person), from every batch's ``tg_hit``."""
    return [
        "DROP TABLE IF EXISTS tg_match",
        """CREATE TEMP TABLE tg_match AS
        SELECT h.crime_id, h.person_pid, min(h.dmin) AS closest_m,
               arg_min(h.acc_star, h.dmin) AS accuracy_m,
               arg_min(h.fix_gap_s, h.dmin) / 60 AS nearest_fix_min,
               sum(h.in_to - h.in_from) / 60 AS minutes_within,
               to_timestamp(min(h.in_from))::TIMESTAMP AS first_seen_utc,
               to_timestamp(max(h.in_to))::TIMESTAMP AS last_seen_utc,
               to_timestamp(arg_min(h.t_star, h.dmin))::TIMESTAMP AS closest_at_utc,
               any_value(h.from_utc) AS window_from_utc, any_value(h.to_utc) AS window_to_utc,
               any_value(h.ce) AS crime_easting, any_value(h.cn) AS crime_northing
        FROM tg_hit h
        GROUP BY h.crime_id, h.person_pid""",
    ]


def days_sql(col: str) -> str:
    """'ALL' or 'MON,TUE' -> a bit mask of ISO weekdays (bit 0 = Monday; NULL = every day): one
    integer test per fix and zone, where a list made every pair copy and search a list."""
    return (f"CASE WHEN upper(coalesce({col}, 'ALL')) = 'ALL' THEN NULL ELSE "
            f"list_reduce(list_transform(string_split(upper({col}), ','), "
            "d -> coalesce(1 << (list_position(['MON','TUE','WED','THU','FRI','SAT','SUN'], trim(d))"
            " - 1), 0)), (a, b) -> a | b) END")


def _day_ok(day: str, dow: str) -> str:
    return (f"({day} BETWEEN z.active_from AND z.active_to "
            f"AND (z.days IS NULL OR (z.days >> ({dow} - 1)) & 1 = 1))")


def schedule_sql(local: str = "f.local_at", parts: str | None = None) -> str:
    """SQL: does zone ``z``'s schedule apply at wall-clock time ``local``?

    Days, daily window and active dates are UK wall-clock rules. A window whose end is not after
    its start runs overnight and belongs to the day it starts on (22:00-06:00 on MON covers
    Monday 22:00 to Tuesday 06:00). ``parts``: a table alias whose ``day``, ``tod`` and ``dow``
    columns hold ``local``'s date, time of day and ISO weekday already (computed once per fix
    rather than once per fix and zone)."""
    if parts:
        d, tod, dow = f"{parts}.day", f"{parts}.tod", f"{parts}.dow"
    else:
        d, tod, dow = f"CAST({local} AS DATE)", f"CAST({local} AS TIME)", f"isodow({local})"
    prev = f"(({dow} + 5) % 7 + 1)"  # the weekday before
    return (f"(CASE WHEN z.start_time IS NULL THEN {_day_ok(d, dow)} "
            f"WHEN z.start_time < z.end_time THEN {tod} >= z.start_time AND {tod} < z.end_time "
            f"AND {_day_ok(d, dow)} "
            f"ELSE ({tod} >= z.start_time AND {_day_ok(d, dow)}) "
            f"OR ({tod} < z.end_time AND {_day_ok(f'({d} - 1)', prev)}) END)")


def zone_statements(s: Tags, src: Sources = Sources()) -> list[str]:
    """``tg_zone``, ``tg_zcell`` (once per run; spatial loaded)."""
    z = int(s.zone_cell_m)
    geom = "ST_GeomFromText(polygon_wkt)"
    if src.zones_srid != "EPSG:27700":
        geom = f"ST_Transform({geom}, '{src.zones_srid}', 'EPSG:27700', always_xy := true)"
    return [
        "DROP TABLE IF EXISTS tg_zone",
        # (ix, iy, ir): a circle inside the zone (the largest, shrunk by a millimetre); with the
        # zone's bounding box (x0..y1): a fix outside the box is outside, one inside the circle is inside; only
        # the fixes in between need the exact point-in-polygon test (most fixes are one or the
        # other, and ST_Contains on every fix x zone was most of the breach run's time).
        f"""CREATE TEMP TABLE tg_zone AS
        SELECT person_pid, zone_id, kind, geom, edge, x0, y0, x1, y1, active_from, active_to,
               days, start_time, end_time, ST_X(mic.center) AS ix, ST_Y(mic.center) AS iy,
               CASE WHEN ST_Contains(geom, mic.center) THEN greatest(mic.radius - 0.001, 0)
                    ELSE 0 END AS ir
        FROM (
            SELECT person_pid, zone_id, lower(zone_type) AS kind, g AS geom, ST_Boundary(g) AS edge,
                   ST_XMin(g) AS x0, ST_YMin(g) AS y0, ST_XMax(g) AS x1, ST_YMax(g) AS y1,
                   active_from, coalesce(active_to, DATE '9999-12-31') AS active_to,
                   {days_sql('days')} AS days, start_time, end_time,
                   CASE WHEN ST_GeometryType(g) IN ('POLYGON', 'MULTIPOLYGON') AND NOT ST_IsEmpty(g)
                        THEN ST_MaximumInscribedCircle(g) END AS mic
            FROM (SELECT *, ST_MakeValid({geom}) AS g FROM {src.zones}))""",
        "DROP TABLE IF EXISTS tg_zcell",
        # Cells touching an exclusion zone (a fix anywhere else is outside it). Intersects
        # includes touching, so a zone whose edge runs along a cell edge claims both cells.
        f"""CREATE TEMP TABLE tg_zcell AS
        SELECT c.person_pid, c.zone_id, c.zx, c.zy
        FROM ({_explode("SELECT * FROM tg_zone WHERE kind = 'exclusion'", "person_pid, zone_id", [
            ("zx", f"x0 / {z}", f"x1 / {z}"), ("zy", f"y0 / {z}", f"y1 / {z}")])}) c
        JOIN tg_zone z USING (person_pid, zone_id)
        WHERE ST_Intersects(z.geom, ST_MakeEnvelope(c.zx * {z}, c.zy * {z}, (c.zx + 1) * {z},
                                                    (c.zy + 1) * {z}))""",
    ]


def episode_statements(s: Tags, src: Sources = Sources()) -> tuple[list[str], str]:
    """(statements making ``tg_cand``, the SELECT of ``tg_episode`` rows) for the fixes in
    ``tg_fixs`` (one batch of people at a time; needs ``zone_statements``)."""
    dacc = _f(s.default_accuracy_m)
    gap = _f(s.max_gap_minutes * 60)
    quiet = _f(s.no_signal_minutes * 60)
    kmin = int(s.breach_min_fixes)
    sev = " ".join(f"WHEN kind = '{k}' AND ({v}) THEN 'high'" for k, v in SEVERITY.items())
    fast = ("(CASE WHEN z.e < z.x0 OR z.e > z.x1 OR z.n < z.y0 OR z.n > z.y1 THEN false "
            "WHEN (z.e - z.ix) * (z.e - z.ix) + (z.n - z.iy) * (z.n - z.iy) < z.ir * z.ir THEN true END)")
    return [
        "DROP TABLE IF EXISTS tg_cand",
        # side: distance on the wrong side of the zone edge (inside an exclusion zone, outside
        # an inclusion zone), negative on the right side. Only wrong-side fixes are candidates
        # (a right-side fix ends a run). A wrong-side fix is clear when side >= its accuracy;
        # one within its accuracy of the edge is uncertain: it extends a run but never starts
        # an episode on its own (GPS drift across the edge).
        # The tests run cheapest first, each only on the rows the one before let through (in
        # CASEs: DuckDB does not reorder those): the zone's box and inscribed circle
        # (arithmetic: ``inside`` true/false, NULL between them), the schedule unless surely on
        # the right side, then - joining the geometry only for those few rows - the exact
        # point-in-polygon test where still unknown and the distance to the edge.
        f"""CREATE TEMP TABLE tg_cand AS
        WITH pairs AS (
            SELECT f.person_pid, f.seq, f.t, f.ts, f.local_at, f.day, f.tod, f.dow, f.e, f.n, f.acc,
                   c.zone_id
            FROM tg_fixs f JOIN tg_zcell c USING (person_pid, zx, zy) WHERE NOT f.dup),
        zoned AS (
            SELECT p.*, z.kind, z.x0, z.y0, z.x1, z.y1, z.ix, z.iy, z.ir, z.active_from,
                   z.active_to, z.days, z.start_time, z.end_time
            FROM pairs p JOIN tg_zone z USING (person_pid, zone_id)
            UNION ALL
            -- Inclusion zones: a fix inside the zone's inscribed circle is on the right side
            -- (most fixes, at home during curfew hours) and goes no further.
            SELECT f.person_pid, f.seq, f.t, f.ts, f.local_at, f.day, f.tod, f.dow, f.e, f.n, f.acc,
                   z.zone_id, z.kind, z.x0, z.y0, z.x1, z.y1, z.ix, z.iy, z.ir, z.active_from,
                   z.active_to, z.days, z.start_time, z.end_time
            FROM tg_fixs f JOIN tg_zone z ON z.person_pid = f.person_pid AND z.kind = 'inclusion'
             AND NOT coalesce((f.e - z.ix) * (f.e - z.ix) + (f.n - z.iy) * (f.n - z.iy) < z.ir * z.ir,
                              false)
            WHERE NOT f.dup),
        quick AS (
            SELECT z.* EXCLUDE (x0, y0, x1, y1, ix, iy, ir, active_from, active_to, days,
                                start_time, end_time), {fast} AS inside
            FROM zoned z
            WHERE CASE WHEN {fast} = (z.kind = 'inclusion') THEN false
                       ELSE {schedule_sql(parts="z")} END),
        sided AS (
            SELECT q.person_pid, q.seq, q.t, q.ts, q.local_at, q.e, q.n,
                   coalesce(q.acc, {dacc}) AS acc, q.zone_id, q.kind,
                   CASE WHEN (CASE WHEN q.inside IS NULL THEN ST_Contains(g.geom, ST_Point(q.e, q.n))
                                   ELSE q.inside END) = (q.kind = 'exclusion')
                        THEN ST_Distance(g.edge, ST_Point(q.e, q.n)) END AS side
            FROM quick q JOIN tg_zone g USING (person_pid, zone_id))
        SELECT *, side >= acc AS clear FROM sided WHERE side > 0""",
    ], f"""
        WITH runs AS (
            SELECT *, sum(brk) OVER (PARTITION BY person_pid, zone_id ORDER BY seq
                                     ROWS UNBOUNDED PRECEDING) AS run
            FROM (SELECT *, CASE WHEN seq - lag(seq) OVER w = 1 AND ts - lag(ts) OVER w <= {gap}
                                 THEN 0 ELSE 1 END AS brk
                  FROM tg_cand WINDOW w AS (PARTITION BY person_pid, zone_id ORDER BY seq))),
        zone_eps AS (
            SELECT person_pid, zone_id, any_value(kind) AS kind, min(t) AS start_utc,
                   max(t) AS end_utc, (max(ts) - min(ts)) / 60 AS minutes,
                   max(side) AS max_depth_m, count(*) AS fixes, count_if(clear) AS clear_fixes
            FROM runs GROUP BY person_pid, zone_id, run
            HAVING count_if(clear) >= {kmin}),
        quiet AS (
            SELECT person_pid, NULL AS zone_id, 'no_signal' AS kind, t AS start_utc,
                   t_next AS end_utc, (ts_next - ts) / 60 AS minutes, NULL AS max_depth_m,
                   2 AS fixes, 0 AS clear_fixes
            FROM tg_fixs q
            WHERE ts_next - ts > {quiet}
              AND EXISTS (SELECT 1 FROM {src.people} o WHERE o.person_pid = q.person_pid
                          AND CAST(q.local_at AS DATE) >= o.start_date
                          AND CAST(q.local_next AS DATE) <= coalesce(o.end_date, DATE '9999-12-31')))
        SELECT *, CASE {sev} ELSE 'medium' END AS severity
        FROM (SELECT * FROM zone_eps UNION ALL SELECT * FROM quiet)"""
