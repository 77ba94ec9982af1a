"""The matching and breach queries, as SQL text (pure: nothing here touches a database).

Why SQL and not Python: at force scale (10 million pings, 50 thousand crimes) the work is a join,
and DuckDB does joins, sorts and window functions in parallel, out of core, far faster than a
Python loop. The queries never compare every ping with every crime: each stretch of trail
(the segment between two consecutive fixes) and each crime are given keys
``(grid cell, time bucket)``; only pairs sharing a key are tested exactly.

The statements build temporary tables, in order:

``tg_fix``   fixes: UK local time -> UTC, only while an order is active.
``tg_fixs``  the same without exact duplicates, numbered per person in time order (``seq``),
             with a zone cell (``zx``, ``zy``) (breaches and silences).
``tg_seg``   segments between consecutive usable fixes (accuracy <= ``max_accuracy_m``):
             interpolated at the implied speed when the gap is <= ``max_gap_minutes`` and the
             speed <= ``max_speed_kmh``; otherwise the fix stands alone (a zero-length segment).
``tg_crime`` crimes with a location and a time, window widened by T, in UTC epoch seconds.
``tg_hit``   matching segments: closest approach, time within D + accuracy, evidence.
``tg_match`` one row per (crime, person).
``tg_unknown`` (crime, person) pairs whose whereabouts are unknown: a silence in the window.

Breaches (``breach_statements``): ``tg_zone`` (zones in BNG, schedule as numbers),
``tg_zcell`` (zone cells), ``tg_cand`` (fix x zone where the schedule applies and the fix is on,
or near, the wrong side), ``tg_episode`` (runs of candidate fixes merged into episodes).
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


def fix_statements(s: Tags, years: tuple[int, int], src: Sources = Sources()) -> list[str]:
    """``tg_fix``: fixes in UTC while an order is active (see the module docstring)."""
    y0, y1 = years
    amb = clock.ambiguous_sql("local_at", y0, y1)
    utc = clock.utc_sql("local_at", y0, y1, fold="fold")
    return [
        "DROP TABLE IF EXISTS tg_fix",
        # Within a repeated autumn hour, fixes are read in the order the files delivered them:
        # from the first fix whose wall-clock time goes back, they are the second occurrence
        # (fold 1); exact duplicates there (same person, wall-clock time and place) are dropped
        # first. Elsewhere duplicates are dropped by the matching and breach steps (on the
        # sort they need anyway, rather than a hash aggregate over every fix).
        f"""CREATE TEMP TABLE tg_fix AS
        WITH raw AS (
            SELECT person_pid, ping_at AS local_at, easting AS e, northing AS n,
                   accuracy_m AS acc, file_id * 10000000000 + row_number AS src
            FROM {src.pings} WHERE easting IS NOT NULL AND northing IS NOT NULL),
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
            FROM {src.people}),
        active AS (
            SELECT f.* FROM folded f SEMI JOIN orders o ON o.person_pid = f.person_pid
               AND CAST(f.local_at AS DATE) BETWEEN o.start_date AND o.end_date),
        u AS (SELECT *, {utc} AS t FROM active)
        SELECT person_pid, local_at, t, epoch(t) AS ts, e, n, acc FROM u""",
    ]


def sequence_statements(s: Tags) -> list[str]:
    """``tg_fixs``: distinct fixes numbered per person in time order (``seq``), with a zone
    cell (``zx``, ``zy``); for breaches and silences."""
    z = int(s.zone_cell_m)
    return [
        "DROP TABLE IF EXISTS tg_fixs",
        # One sort: dense_rank numbers distinct fixes consecutively, so dropping the exact
        # duplicates (same time and place as the row before) leaves no holes in ``seq``.
        f"""CREATE TEMP TABLE tg_fixs AS
        SELECT * EXCLUDE (dup) FROM (
            SELECT *, dense_rank() OVER w AS seq,
                   coalesce(ts = lag(ts) OVER w AND e = lag(e) OVER w AND n = lag(n) OVER w,
                            false) AS dup,
                   CAST(floor(e / {z}) AS BIGINT) AS zx, CAST(floor(n / {z}) AS BIGINT) AS zy
            FROM tg_fix WINDOW w AS (PARTITION BY person_pid ORDER BY ts, e, n))
        WHERE NOT dup""",
    ]


def match_statements(s: Tags, years: tuple[int, int], src: Sources = Sources(),
                     crime_filter: str = "true", seg_filter: str = "true") -> list[str]:
    """``tg_seg``, ``tg_crime``, ``tg_hit``, ``tg_unknown``, ``tg_match`` (needs ``tg_fix``).

    ``crime_filter`` / ``seg_filter`` restrict the work (incremental runs); SQL over
    ``tg_crime`` columns / ``tg_seg`` columns."""
    y0, y1 = years
    dacc, amax = _f(s.default_accuracy_m), _f(s.max_accuracy_m)
    gap, vmax = _f(s.max_gap_minutes * 60), _f(s.max_speed_kmh / 3.6)
    c, b = int(s.bucket_cell_m), int(s.bucket_minutes) * 60
    r_max = _f(s.radius_m + s.max_accuracy_m)
    d, t = _f(s.radius_m), _f(s.window_minutes * 60)
    f_utc = clock.utc_sql("occurred_from", y0, y1)
    # A crime time in a repeated hour could be either occurrence: the window runs from the
    # first reading of its start to the second reading of its end.
    t_utc = clock.utc_sql("coalesce(occurred_to, occurred_from)", y0, y1, fold="1")

    def cell(x: str) -> str:
        return f"CAST(floor({x}) AS BIGINT)"

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
            FROM g WHERE NOT coalesce(ts1 = ts0 AND e1 = e0 AND n1 = n0, false))
        SELECT person_pid, interp, ts1 AS next_ts, e1 AS next_e, n1 AS next_n,
               ts0, e0, n0, a0,
               CASE WHEN interp THEN ts1 ELSE ts0 END AS ts1,
               CASE WHEN interp THEN e1 ELSE e0 END AS e1,
               CASE WHEN interp THEN n1 ELSE n0 END AS n1,
               CASE WHEN interp THEN a1 ELSE a0 END AS a1
        FROM k""",
        "DROP TABLE IF EXISTS tg_crime",
        f"""CREATE TEMP TABLE tg_crime AS
        SELECT crime_id, easting AS ce, northing AS cn,
               {f_utc} AS from_utc, {t_utc} AS to_utc,
               epoch({f_utc}) - {t} AS w0, epoch({t_utc}) + {t} AS w1
        FROM {src.crimes}
        WHERE easting IS NOT NULL AND northing IS NOT NULL AND occurred_from IS NOT NULL""",
        "DROP TABLE IF EXISTS tg_hit",
        # Keys: a crime covers the cells within D + the worst usable accuracy of its point and
        # the time buckets of its widened window; a segment covers the cells of its bounding box
        # and the buckets of its time span (most lie in one cell and one bucket: no explosion).
        # Each (segment, crime) pair is kept once, at the first key both cover (the largest of
        # their lowest keys), so no DISTINCT is needed and the rows carry their columns along.
        f"""CREATE TEMP TABLE tg_hit AS
        WITH cr AS (
            SELECT *, {cell(f"(ce - {r_max}) / {c}")} AS kx0, {cell(f"(ce + {r_max}) / {c}")} AS kx1,
                   {cell(f"(cn - {r_max}) / {c}")} AS ky0, {cell(f"(cn + {r_max}) / {c}")} AS ky1,
                   {cell(f"w0 / {b}")} AS kb0, {cell(f"w1 / {b}")} AS kb1
            FROM tg_crime WHERE {crime_filter}),
        ck AS ({_explode("SELECT * FROM cr", "*", [
            ("cx", "kx0", "kx1"), ("cy", "ky0", "ky1"), ("tb", "kb0", "kb1")])}),
        sg AS (
            SELECT *, {cell(f"least(e0, e1) / {c}")} AS sx0, {cell(f"greatest(e0, e1) / {c}")} AS sx1,
                   {cell(f"least(n0, n1) / {c}")} AS sy0, {cell(f"greatest(n0, n1) / {c}")} AS sy1,
                   {cell(f"ts0 / {b}")} AS sb0, {cell(f"ts1 / {b}")} AS sb1
            FROM tg_seg WHERE {seg_filter}),
        sk AS (
            SELECT *, sx0 AS cx, sy0 AS cy, sb0 AS tb FROM sg
            WHERE sx0 = sx1 AND sy0 = sy1 AND sb0 = sb1
            UNION ALL BY NAME
            {_explode("SELECT * FROM sg WHERE NOT (sx0 = sx1 AND sy0 = sy1 AND sb0 = sb1)", "*",
                      [("cx", "sx0", "sx1"), ("cy", "sy0", "sy1"), ("tb", "sb0", "sb1")])}),
        geo AS (
            SELECT ck.crime_id, sk.person_pid, sk.interp, sk.ts0, sk.e0, sk.n0, sk.a0, sk.ts1,
                   sk.e1, sk.n1, sk.a1, ck.ce, ck.cn,
                   greatest(sk.ts0, ck.w0) - sk.ts0 AS sl, least(sk.ts1, ck.w1) - sk.ts0 AS sh,
                   CASE WHEN sk.ts1 > sk.ts0 THEN (sk.e1 - sk.e0) / (sk.ts1 - sk.ts0) ELSE 0 END AS vx,
                   CASE WHEN sk.ts1 > sk.ts0 THEN (sk.n1 - sk.n0) / (sk.ts1 - sk.ts0) ELSE 0 END AS vy,
                   sk.e0 - ck.ce AS ex, sk.n0 - ck.cn AS ny,
                   {d} + greatest(sk.a0, sk.a1) AS r
            FROM sk JOIN ck USING (cx, cy, tb)
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
               ts0 + lo AS in_from, ts0 + hi AS in_to
        FROM win WHERE lo IS NOT NULL AND lo <= hi""",
        "DROP TABLE IF EXISTS tg_unknown",
        # Whereabouts unknown: a silence longer than the maximum gap overlaps the widened
        # window, and the scene is reachable at ``unknown_speed_kmh`` from the fixes either
        # side (distance to the scene and on to the next fix <= 2D + speed x silence).
        f"""CREATE TEMP TABLE tg_unknown AS
        SELECT c.crime_id, g.person_pid, to_timestamp(g.ts0)::TIMESTAMP AS gap_from_utc,
               to_timestamp(g.next_ts)::TIMESTAMP AS gap_to_utc,
               least(sqrt((g.e0 - c.ce) ^ 2 + (g.n0 - c.cn) ^ 2),
                     sqrt((g.next_e - c.ce) ^ 2 + (g.next_n - c.cn) ^ 2)) AS nearest_fix_m
        FROM (SELECT * FROM tg_seg WHERE NOT interp AND next_ts - ts0 > {gap} AND {seg_filter}) g
        JOIN (SELECT * FROM tg_crime WHERE {crime_filter}) c
          ON g.ts0 < c.w1 AND g.next_ts > c.w0
        WHERE sqrt((g.e0 - c.ce) ^ 2 + (g.n0 - c.cn) ^ 2)
              + sqrt((g.next_e - c.ce) ^ 2 + (g.next_n - c.cn) ^ 2)
              <= 2 * {d} + {_f(s.unknown_speed_kmh / 3.6)} * (g.next_ts - g.ts0)""",
        "DROP TABLE IF EXISTS tg_match",
        """CREATE TEMP TABLE tg_match AS
        SELECT h.crime_id, h.person_pid, min(h.dmin) AS closest_m,
               arg_min(h.acc_star, h.dmin) AS accuracy_m,
               arg_min(h.fix_gap_s, h.dmin) / 60 AS nearest_fix_min,
               sum(h.in_to - h.in_from) / 60 AS minutes_within,
               to_timestamp(min(h.in_from))::TIMESTAMP AS first_seen_utc,
               to_timestamp(max(h.in_to))::TIMESTAMP AS last_seen_utc,
               to_timestamp(arg_min(h.t_star, h.dmin))::TIMESTAMP AS closest_at_utc,
               any_value(c.from_utc) AS window_from_utc, any_value(c.to_utc) AS window_to_utc,
               any_value(c.ce) AS crime_easting, any_value(c.cn) AS crime_northing
        FROM tg_hit h JOIN tg_crime c USING (crime_id)
        GROUP BY h.crime_id, h.person_pid""",
    ]


def _days_sql(col: str) -> str:
    """'ALL' or 'MON,TUE' -> list of ISO weekday numbers (NULL = every day)."""
    return (f"CASE WHEN upper(coalesce({col}, 'ALL')) = 'ALL' THEN NULL ELSE "
            f"list_transform(string_split(upper({col}), ','), "
            "d -> list_position(['MON','TUE','WED','THU','FRI','SAT','SUN'], trim(d))) END")


def _day_ok(day: str) -> str:
    return (f"({day} BETWEEN z.active_from AND z.active_to "
            f"AND (z.days IS NULL OR list_contains(z.days, isodow({day}))))")


def schedule_sql(local: str = "f.local_at") -> str:
    """SQL: does zone ``z``'s schedule apply at wall-clock time ``local``?

    Days, daily window and active dates are UK wall-clock rules. A window whose end is not after
    its start runs overnight and belongs to the day it starts on (22:00-06:00 on MON covers
    Monday 22:00 to Tuesday 06:00)."""
    d = f"CAST({local} AS DATE)"
    tod = f"CAST({local} AS TIME)"
    return (f"(CASE WHEN z.start_time IS NULL THEN {_day_ok(d)} "
            f"WHEN z.start_time < z.end_time THEN {tod} >= z.start_time AND {tod} < z.end_time "
            f"AND {_day_ok(d)} "
            f"ELSE ({tod} >= z.start_time AND {_day_ok(d)}) "
            f"OR ({tod} < z.end_time AND {_day_ok(f'({d} - 1)')}) END)")


def breach_statements(s: Tags, src: Sources = Sources()) -> list[str]:
    """``tg_zone``, ``tg_zcell``, ``tg_cand``, ``tg_episode`` (needs ``tg_fixs``; spatial
    loaded)."""
    z = int(s.zone_cell_m)
    dacc = _f(s.default_accuracy_m)
    gap = _f(s.max_gap_minutes * 60)
    quiet = _f(s.no_signal_minutes * 60)
    kmin = int(s.breach_min_fixes)
    geom = "ST_GeomFromText(polygon_wkt)"
    if src.zones_srid != "EPSG:27700":
        geom = f"ST_Transform({geom}, '{src.zones_srid}', 'EPSG:27700', always_xy := true)"
    sev = " ".join(f"WHEN kind = '{k}' AND ({v}) THEN 'high'" for k, v in SEVERITY.items())
    return [
        "DROP TABLE IF EXISTS tg_zone",
        f"""CREATE TEMP TABLE tg_zone AS
        SELECT person_pid, zone_id, lower(zone_type) AS kind, g AS geom, ST_Boundary(g) AS edge,
               ST_XMin(g) AS x0, ST_YMin(g) AS y0, ST_XMax(g) AS x1, ST_YMax(g) AS y1,
               active_from, coalesce(active_to, DATE '9999-12-31') AS active_to,
               {_days_sql('days')} AS days, start_time, end_time
        FROM (SELECT *, ST_MakeValid({geom}) AS g FROM {src.zones})""",
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
        "DROP TABLE IF EXISTS tg_cand",
        # side: distance on the wrong side of the zone edge (inside an exclusion zone, outside
        # an inclusion zone), negative on the right side. Only wrong-side fixes are candidates
        # (a right-side fix ends a run). A wrong-side fix is clear when side >= its accuracy;
        # one within its accuracy of the edge is uncertain: it extends a run but never starts
        # an episode on its own (GPS drift across the edge).
        f"""CREATE TEMP TABLE tg_cand AS
        WITH ex AS (
            SELECT f.person_pid, f.seq, f.t, f.ts, f.local_at, f.e, f.n,
                   coalesce(f.acc, {dacc}) AS acc, z.zone_id, z.kind,
                   ST_Point(f.e, f.n) AS pt, z.geom, z.edge
            FROM tg_fixs f JOIN tg_zcell c USING (person_pid, zx, zy)
            JOIN tg_zone z ON z.person_pid = c.person_pid AND z.zone_id = c.zone_id
            WHERE {schedule_sql()}),
        inc AS (
            SELECT f.person_pid, f.seq, f.t, f.ts, f.local_at, f.e, f.n,
                   coalesce(f.acc, {dacc}) AS acc, z.zone_id, z.kind,
                   ST_Point(f.e, f.n) AS pt, z.geom, z.edge
            FROM tg_fixs f JOIN tg_zone z ON z.person_pid = f.person_pid AND z.kind = 'inclusion'
            WHERE {schedule_sql()}),
        both_ AS (SELECT * FROM ex UNION ALL SELECT * FROM inc),
        wrong AS (
            SELECT * FROM both_ WHERE ST_Contains(geom, pt) = (kind = 'exclusion')),
        sided AS (
            SELECT person_pid, seq, t, ts, local_at, e, n, acc, zone_id, kind,
                   ST_Distance(edge, pt) AS side
            FROM wrong)
        SELECT *, side >= acc AS clear FROM sided WHERE side > 0""",
        "DROP TABLE IF EXISTS tg_episode",
        f"""CREATE TEMP TABLE tg_episode AS
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
            FROM (SELECT person_pid, t, ts, local_at, lead(t) OVER w AS t_next,
                         lead(ts) OVER w AS ts_next, lead(local_at) OVER w AS local_next
                  FROM tg_fixs WINDOW w AS (PARTITION BY person_pid ORDER BY seq)) q
            WHERE ts_next - ts > {quiet}
              AND EXISTS (SELECT 1 FROM {src.people} o WHERE o.person_pid = q.person_pid
                          AND CAST(q.local_at AS DATE) >= o.start_date
                          AND CAST(q.local_next AS DATE) <= coalesce(o.end_date, DATE '9999-12-31')))
        SELECT *, CASE {sev} ELSE 'medium' END AS severity
        FROM (SELECT * FROM zone_eps UNION ALL SELECT * FROM quiet)""",
    ]
