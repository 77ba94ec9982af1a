"""The thin layer between the workspace and the tag queries: run matching and breach detection
through the Workspace, keep results (with the day they expire), alerts and runs, and read them
back for the CLI and the web app. The queries themselves are in ``sql.py`` (pure text)."""

from __future__ import annotations

import glob
import json
import sys
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path

from vru import clock
from vru.analysis.tags import sql as tsql
from vru.errors import VruError
from vru.settings import Tags
from vru.workspace import Workspace, sql_where

ALERT_STATES = ("raised", "acknowledged", "actioned", "closed")
TRANSITIONS = {"raised": ("acknowledged", "closed"), "acknowledged": ("actioned", "closed"),
               "actioned": ("closed",), "closed": ()}
# Tables whose rows derive from em_gps data (and expire with it).
RESULT_TABLES = ("tag_matches", "tag_match_evidence", "tag_unknowns", "tag_episodes", "tag_alerts",
                 "tag_alert_events")


# DuckDB's memory during a run (it spills to the workspace's tmp/ beyond this). The batches
# (BATCH_FIXES) keep the working set well below it; the cap stops DuckDB's cache of the pings it
# has read from growing towards the machine's memory.
MEMORY_LIMIT = "1500MB"


class TagError(VruError, ValueError):
    """A tag request that cannot be done (unknown alert, bad state change, no data...)."""


def spatial_extension() -> str:
    """Path of the DuckDB spatial extension shipped by the ``duckdb-extension-spatial`` wheel."""
    import duckdb_extension_spatial

    root = Path(duckdb_extension_spatial.__file__).parent
    found = sorted(glob.glob(str(root / "extensions" / "*" / "spatial.duckdb_extension")))
    if not found:
        raise TagError("the DuckDB spatial extension is not installed (duckdb-extension-spatial)")
    return found[-1]


def load_spatial(con) -> None:
    con.execute(f"LOAD '{spatial_extension()}'")


@dataclass
class RunResult:
    run_id: int
    kind: str
    mode: str
    rows: int
    crimes: int = 0
    people: int = 0
    seconds: float = 0.0


def _years(con, src: tsql.Sources) -> tuple[int, int]:
    row = con.execute(f"""SELECT least((SELECT min(year(ping_at)) FROM {src.pings}),
                                       (SELECT min(year(occurred_from)) FROM {src.crimes} c)),
                                 greatest((SELECT max(year(ping_at)) FROM {src.pings}),
                                          (SELECT max(year(occurred_from)) FROM {src.crimes} c))
                       """).fetchone()
    lo, hi = row if row and row[0] is not None else (date.today().year, date.today().year)
    return int(lo) - 1, int(hi) + 1


def _retention_months(con, source: str) -> int | None:
    row = con.execute("SELECT retention_months FROM sharing_agreements WHERE source = ? "
                      "ORDER BY agreement_id DESC LIMIT 1", [source]).fetchone()
    return int(row[0]) if row else None


def _expiry(months: int | None, col: str) -> str:
    return f"CAST({col} AS DATE) + INTERVAL {int(months)} MONTH" if months else "NULL"


def _imports(con, table: str) -> set[int]:
    return {r[0] for r in con.execute(f"SELECT DISTINCT import_id FROM {table}").fetchall()}


def _last_run(con, kind: str) -> tuple[dict, set[int]] | None:
    row = con.execute("SELECT params, imports FROM tag_runs WHERE kind = ? ORDER BY run_id DESC "
                      "LIMIT 1", [kind]).fetchone()
    return (json.loads(row[0]), set(row[1] or [])) if row else None


def _record_run(ws: Workspace, con, kind: str, mode: str, s: Tags, summary: dict,
                imports: set[int]) -> int:
    run_id = ws.next_id(con, "tag_run_seq")
    con.execute("INSERT INTO tag_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [run_id, kind, mode, datetime.now(), ws.user_name(),
                 json.dumps({**asdict(s), "command": " ".join(sys.argv[:3])}),
                 json.dumps(summary), sorted(imports)])
    return run_id


def purge_expired(con, as_of: date | None = None) -> int:
    """Delete results past their expiry (the retention of the data they came from)."""
    as_of = as_of or date.today()
    n = 0
    for t in RESULT_TABLES:
        n += con.execute(f"DELETE FROM {t} WHERE expires_on <= ?", [as_of]).fetchone()[0]
    return n


# Fixes per batch of people: every per-fix step (UTC, duplicates, segments, zone tests) runs
# on one batch at a time, so memory stays bounded however many pings a force has (a person is
# never split: every window function is per person). ~100 MB of DuckDB memory per million.
BATCH_FIXES = 1_500_000


def _person_batches(con, src: tsql.Sources) -> list[str]:
    """SQL filters over ``person_pid``, each a range of people with about ``BATCH_FIXES``
    pings (a person with more is a batch of their own)."""
    size = BATCH_FIXES
    rows = con.execute(f"SELECT person_pid, count(*) FROM {src.pings} GROUP BY person_pid "
                       "ORDER BY person_pid").fetchall()
    ranges: list[list] = []
    n = size
    for pid, k in rows:
        if n + k > size:
            ranges.append([pid, pid])
            n = 0
        ranges[-1][1] = pid
        n += k

    def lit(v: str) -> str:
        return "'" + v.replace("'", "''") + "'"
    return [f"person_pid BETWEEN {lit(a)} AND {lit(b)}" for a, b in ranges] or ["false"]


def _run(con, statements: list[str]) -> None:
    for q in statements:
        con.execute(q)


def _append(con, table: str, query: str, first: bool) -> None:
    """Create ``table`` from the first batch's rows, append the others'."""
    if first:
        con.execute(f"DROP TABLE IF EXISTS {table}")
        con.execute(f"CREATE TEMP TABLE {table} AS {query}")
    else:
        con.execute(f"INSERT INTO {table} {query}")


def _drop(con, *tables: str) -> None:
    for t in tables:
        con.execute(f"DROP TABLE IF EXISTS {t}")


# ---------------------------------------------------------------------------- matching
def run_match(ws: Workspace, settings: Tags | None = None, incremental: bool = True,
              src: tsql.Sources = tsql.Sources()) -> RunResult:
    """Match tag trails to crimes. Incremental when only new pings or crimes arrived since the
    last run with the same settings: only the affected (crime, person) pairs are recomputed."""
    import time

    t0 = time.perf_counter()
    s = settings or ws.settings.tags
    with ws.memory_limit(MEMORY_LIMIT), ws.transaction() as con:
        purge_expired(con)
        ping_imp, crime_imp = _imports(con, "em_pings"), _imports(
            con, "canonical_crimes WHERE occurred_from IS NOT NULL")
        people_imp = _imports(con, "em_people")
        now_imports = ping_imp | crime_imp | people_imp
        last = _last_run(con, "match")
        params_same = last is not None and {k: v for k, v in last[0].items() if k != "command"} \
            == asdict(s)
        new_pings, new_crimes = (ping_imp - last[1], crime_imp - last[1]) if last else (set(), set())
        gone = (last[1] - now_imports) if last else set()
        mode = "incremental" if (incremental and params_same and not gone
                                 and not (people_imp - last[1])) else "full"
        years = _years(con, src)
        if mode == "full":
            _run(con, tsql.crime_statements(s, years, src))
        people = 0
        for i, persons in enumerate(_person_batches(con, src)):
            _run(con, tsql.fix_statements(s, years, src, persons))
            people += con.execute("SELECT count(DISTINCT person_pid) FROM tg_fix").fetchone()[0]
            queries = tsql.hit_queries(s)
            if mode == "incremental":
                # Only the affected pairs: new crimes (anyone) and crimes near new pings (that
                # person).
                _incremental_scope(con, s, new_pings, new_crimes)
                _run(con, tsql.crime_statements(
                    s, years, src, "crime_id IN (SELECT crime_id FROM tg_scope_crime)"))
                queries = {t: f"""SELECT * FROM ({q}) h WHERE EXISTS (SELECT 1 FROM tg_scope_b s
                                  WHERE s.crime_id = h.crime_id AND (s.person_pid IS NULL
                                        OR s.person_pid = h.person_pid))"""
                           for t, q in queries.items()}
                queries["tg_scope"] = "SELECT * FROM tg_scope_b"
            _run(con, tsql.segment_statements(s))
            for t, q in queries.items():
                _append(con, t, q, first=i == 0)
        _run(con, tsql.match_statements())
        if mode == "full":
            crimes = con.execute("SELECT count(*) FROM tg_crime").fetchone()[0]
            for t in ("tag_matches", "tag_match_evidence", "tag_unknowns"):
                con.execute(f"DELETE FROM {t}")
        else:
            crimes = con.execute("SELECT count(DISTINCT crime_id) FROM tg_scope").fetchone()[0]
            for t in ("tag_matches", "tag_match_evidence", "tag_unknowns"):
                con.execute(f"""DELETE FROM {t} m WHERE EXISTS (SELECT 1 FROM tg_scope s
                                WHERE s.crime_id = m.crime_id AND (s.person_pid IS NULL
                                      OR s.person_pid = m.person_pid))""")
        em_m, pol_m = _retention_months(con, "em_gps"), _retention_months(con, "police_rms")
        exp_match = _least(_expiry(em_m, "first_seen_utc"), _expiry(pol_m, "window_from_utc"))
        exp_ev = _least(_expiry(em_m, "fix0_utc"), _expiry(pol_m, "fix0_utc"))
        summary = {"matches": con.execute("SELECT count(*) FROM tg_match").fetchone()[0],
                   "crimes_considered": crimes,
                   "new_ping_imports": sorted(new_pings), "new_crime_imports": sorted(new_crimes)}
        run_id = _record_run(ws, con, "match", mode, s, summary, now_imports)
        con.execute(f"""INSERT INTO tag_matches SELECT crime_id, person_pid, closest_m, accuracy_m,
                        nearest_fix_min, minutes_within, first_seen_utc, last_seen_utc,
                        closest_at_utc, window_from_utc, window_to_utc, crime_easting,
                        crime_northing, {exp_match}, {run_id} FROM tg_match""")
        con.execute(f"""INSERT INTO tag_match_evidence SELECT crime_id, person_pid, fix0_utc,
                        e0, n0, a0, fix1_utc, e1, n1, a1, interp, closest_utc, e_star, n_star, dmin,
                        {exp_ev}, {run_id}
                        FROM (SELECT *, to_timestamp(ts0)::TIMESTAMP AS fix0_utc,
                                     to_timestamp(ts1)::TIMESTAMP AS fix1_utc,
                                     to_timestamp(t_star)::TIMESTAMP AS closest_utc FROM tg_hit)""")
        con.execute(f"""INSERT INTO tag_unknowns SELECT crime_id, person_pid, gap_from_utc,
                        gap_to_utc, nearest_fix_m, {_expiry(em_m, 'gap_from_utc')}, {run_id}
                        FROM tg_unknown u ANTI JOIN tg_match m USING (crime_id, person_pid)""")
        purge_expired(con)  # results born past their source's retention are not kept
        n = summary["matches"]
        _drop(con, "tg_hit", "tg_seg", "tg_match", "tg_unknown", "tg_ckey", "tg_crime", "tg_fix",
              "tg_scope", "tg_scope_b", "tg_scope_crime", "tg_dirty")
    return RunResult(run_id, "match", mode, n, crimes, people, time.perf_counter() - t0)


def _least(a: str, b: str) -> str:
    if a == "NULL":
        return b
    if b == "NULL":
        return a
    return f"least({a}, {b})"


def _incremental_scope(con, s: Tags, new_pings: set[int], new_crimes: set[int]) -> None:
    """``tg_scope_b(crime_id, person_pid)``: pairs to recompute for this batch's people (person
    NULL = everyone) and ``tg_scope_crime``: their crimes. Needs the batch's ``tg_fix``."""
    pad = s.max_gap_minutes * 60 + s.window_minutes * 60
    ids = sorted(new_pings) or [-1]
    cids = sorted(new_crimes) or [-1]
    con.execute("DROP TABLE IF EXISTS tg_dirty")
    # New pings' span per person, from the usable fix before the first new one to the one
    # after the last (a silence ending at a new fix reaches back), in UTC epoch from tg_fix.
    acc = f"coalesce(acc, {s.default_accuracy_m!r}) <= {s.max_accuracy_m!r}"
    con.execute(f"""CREATE TEMP TABLE tg_dirty AS
        WITH f AS (SELECT person_pid, local_at, ts, lag(ts) OVER w AS prev_ts,
                          lead(ts) OVER w AS next_ts
                   FROM tg_fix WHERE {acc} WINDOW w AS (PARTITION BY person_pid ORDER BY ts, e, n))
        SELECT f.person_pid, min(coalesce(f.prev_ts, f.ts)) - {pad} AS lo,
               max(coalesce(f.next_ts, f.ts)) + {pad} AS hi
        FROM f SEMI JOIN (SELECT person_pid, ping_at FROM em_pings
                          WHERE import_id IN ({','.join(map(str, ids))})) p
             ON p.person_pid = f.person_pid AND p.ping_at = f.local_at
        GROUP BY f.person_pid""")
    con.execute("DROP TABLE IF EXISTS tg_scope_b")
    y = con.execute("SELECT min(year(occurred_from)) - 1, max(year(occurred_from)) + 1 "
                    "FROM canonical_crimes WHERE occurred_from IS NOT NULL").fetchone()
    y0, y1 = (int(y[0]), int(y[1])) if y and y[0] is not None else (1970, 1971)
    f_utc = clock.utc_sql("occurred_from", y0, y1)
    t_utc = clock.utc_sql("coalesce(occurred_to, occurred_from)", y0, y1, fold="1")
    con.execute(f"""CREATE TEMP TABLE tg_scope_b AS
        WITH c AS (SELECT crime_id, import_id, epoch({f_utc}) AS a, epoch({t_utc}) AS b
                   FROM canonical_crimes WHERE occurred_from IS NOT NULL)
        SELECT crime_id, NULL::VARCHAR AS person_pid FROM c
        WHERE import_id IN ({','.join(map(str, cids))})
        UNION
        SELECT c.crime_id, d.person_pid FROM c JOIN tg_dirty d ON c.a <= d.hi AND c.b >= d.lo""")
    con.execute("DROP TABLE IF EXISTS tg_scope_crime")
    con.execute("CREATE TEMP TABLE tg_scope_crime AS SELECT DISTINCT crime_id FROM tg_scope_b")


# ---------------------------------------------------------------------------- breaches
def run_breaches(ws: Workspace, settings: Tags | None = None,
                 src: tsql.Sources = tsql.Sources()) -> RunResult:
    """Find exclusion-zone, inclusion-zone and no-signal episodes; raise an alert for each new
    one (an alert keeps its state when a later run finds its episode again)."""
    import time

    t0 = time.perf_counter()
    s = settings or ws.settings.tags
    with ws.memory_limit(MEMORY_LIMIT), ws.transaction() as con:
        purge_expired(con)
        load_spatial(con)
        years = _years(con, src)
        _run(con, tsql.zone_statements(s, src))
        cand, episode = tsql.episode_statements(s, src)
        people = 0
        for i, persons in enumerate(_person_batches(con, src)):
            _run(con, tsql.sequence_statements(s, f"({tsql.fix_query(s, years, src, persons)})")
                 + cand)
            people += con.execute("SELECT count(DISTINCT person_pid) FROM tg_fixs").fetchone()[0]
            _append(con, "tg_episode", episode, first=i == 0)
        em_m = _retention_months(con, "em_gps")
        imports = _imports(con, "em_pings") | _imports(con, "em_zones") | _imports(con, "em_people")
        summary = dict(con.execute("SELECT kind, count(*) FROM tg_episode GROUP BY kind").fetchall())
        run_id = _record_run(ws, con, "breaches", "full", s, summary, imports)
        con.execute("DELETE FROM tag_episodes")
        exp = _expiry(em_m, "start_utc")
        con.execute(f"""INSERT INTO tag_episodes SELECT person_pid, zone_id, kind, start_utc,
                        end_utc, minutes, max_depth_m, fixes, clear_fixes, severity, {exp},
                        {run_id} FROM tg_episode""")
        # One statement for every new alert (a force's first run raises thousands).
        con.execute("""INSERT INTO tag_alerts
                       SELECT nextval('tag_alert_seq'), person_pid, zone_id, kind, start_utc,
                              'raised', $now, $now, NULL, expires_on
                       FROM (SELECT e.person_pid, e.zone_id, e.kind, e.start_utc, e.expires_on
                             FROM tag_episodes e ANTI JOIN tag_alerts a
                               ON a.person_pid = e.person_pid AND a.kind = e.kind
                              AND a.start_utc = e.start_utc
                              AND coalesce(a.zone_id, '') = coalesce(e.zone_id, '')
                             ORDER BY e.start_utc, e.person_pid, e.zone_id)""",
                    {"now": datetime.now()})
        purge_expired(con)
        n = con.execute("SELECT count(*) FROM tag_episodes").fetchone()[0]
        _drop(con, "tg_episode", "tg_cand", "tg_zcell", "tg_zone", "tg_fixs")
    return RunResult(run_id, "breaches", "full", n, 0, people, time.perf_counter() - t0)


# ---------------------------------------------------------------------------- alerts
def update_alert(ws: Workspace, alert_id: int, to_state: str, user: str, note: str) -> dict:
    """Move an alert on (raised -> acknowledged -> actioned -> closed), recording who and why."""
    note = (note or "").strip()
    if not note:
        raise TagError("say what was done (a note is required for every alert change)")
    if to_state not in ALERT_STATES:
        raise TagError(f"unknown state {to_state!r}; one of {', '.join(ALERT_STATES)}")
    with ws.transaction() as con:
        row = con.execute("SELECT state, expires_on FROM tag_alerts WHERE alert_id = ?",
                          [alert_id]).fetchone()
        if row is None:
            raise TagError(f"no alert {alert_id}")
        state, expires = row
        if to_state not in TRANSITIONS[state]:
            raise TagError(f"alert {alert_id} is {state}: it can go to "
                           f"{', '.join(TRANSITIONS[state]) or 'nothing (closed)'}, not {to_state}")
        now = datetime.now()
        con.execute("UPDATE tag_alerts SET state = ?, updated_at = ?, updated_by = ? "
                    "WHERE alert_id = ?", [to_state, now, user, alert_id])
        con.execute("INSERT INTO tag_alert_events VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [alert_id, now, user, state, to_state, note, expires])
    return {"alert_id": alert_id, "from": state, "to": to_state, "by": user}


# ---------------------------------------------------------------------------- reading
def _rows(ws: Workspace, query: str, params: list | None = None) -> list[dict]:
    cur = ws.reader()
    cur.execute(query, params or [])
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


LIVE = "(expires_on IS NULL OR expires_on > current_date)"  # expires_on: gone that day


def _crime_person(crime_id: str | None, person_pid: str | None) -> tuple[str, list]:
    return sql_where(("crime_id = ?", crime_id), ("person_pid = ?", person_pid), always=(LIVE,))


def matches(ws: Workspace, crime_id: str | None = None, person_pid: str | None = None) -> list[dict]:
    """Matches, best first (closest approach, then most time within D)."""
    where, params = _crime_person(crime_id, person_pid)
    return _rows(ws, f"""SELECT crime_id, person_pid, closest_m, accuracy_m, nearest_fix_min,
                         minutes_within, first_seen_utc, last_seen_utc, closest_at_utc,
                         window_from_utc, window_to_utc, crime_easting, crime_northing
                         FROM tag_matches WHERE {where}
                         ORDER BY crime_id, closest_m, minutes_within DESC, person_pid""", params)


def unknowns(ws: Workspace, crime_id: str | None = None, person_pid: str | None = None
             ) -> list[dict]:
    """People whose whereabouts are unknown in a crime's window (a silence), nearest first."""
    where, params = _crime_person(crime_id, person_pid)
    return _rows(ws, f"""SELECT crime_id, person_pid, gap_from_utc, gap_to_utc, nearest_fix_m
                         FROM tag_unknowns WHERE {where}
                         ORDER BY crime_id, nearest_fix_m, person_pid""", params)


def evidence(ws: Workspace, crime_id: str, person_pid: str | None = None) -> list[dict]:
    # The crime is required: its condition is always there (never left out when empty).
    where, params = sql_where(("person_pid = ?", person_pid), always=(LIVE, "crime_id = ?"))
    return _rows(ws, f"""SELECT person_pid, fix0_utc, fix0_e, fix0_n, fix0_accuracy_m, fix1_utc,
                         fix1_e, fix1_n, fix1_accuracy_m, interpolated, closest_utc, closest_e,
                         closest_n, closest_m FROM tag_match_evidence WHERE {where}
                         ORDER BY person_pid, fix0_utc""", [crime_id, *params])


def episodes(ws: Workspace, person_pid: str | None = None, kind: str | None = None) -> list[dict]:
    where, params = sql_where(("person_pid = ?", person_pid), ("kind = ?", kind), always=(LIVE,))
    return _rows(ws, f"""SELECT person_pid, zone_id, kind, start_utc, end_utc, minutes,
                         max_depth_m, fixes, clear_fixes, severity FROM tag_episodes
                         WHERE {where} ORDER BY start_utc, person_pid, zone_id""",
                 params)


def alerts(ws: Workspace, state: str | None = None) -> list[dict]:
    where, params = sql_where(("a.state = ?", state),
                              always=("(a.expires_on IS NULL OR a.expires_on > current_date)",))
    return _rows(ws, f"""SELECT a.alert_id, a.person_pid, a.zone_id, a.kind, a.start_utc, a.state,
                         a.raised_at, a.updated_at, a.updated_by, e.end_utc, e.minutes,
                         e.max_depth_m, e.severity
                         FROM tag_alerts a LEFT JOIN tag_episodes e ON e.person_pid = a.person_pid
                          AND e.kind = a.kind AND e.start_utc = a.start_utc
                          AND coalesce(e.zone_id, '') = coalesce(a.zone_id, '')
                         WHERE {where}
                         ORDER BY CASE a.state WHEN 'raised' THEN 0 WHEN 'acknowledged' THEN 1
                                  WHEN 'actioned' THEN 2 ELSE 3 END,
                                  e.severity, a.start_utc DESC""", params)


def alert_history(ws: Workspace, alert_id: int) -> list[dict]:
    return _rows(ws, """SELECT event_at, user_name, from_state, to_state, note FROM tag_alert_events
                        WHERE alert_id = ? AND (expires_on IS NULL OR expires_on > current_date)
                        ORDER BY event_at""", [alert_id])


def trail(ws: Workspace, person_pid: str, start_local: datetime, end_local: datetime) -> list[dict]:
    """A person's fixes between two UK wall-clock times (WGS84 for the map), in file order of
    time; duplicates removed."""
    return _rows(ws, """SELECT DISTINCT ping_at AS local_at, longitude, latitude, easting, northing,
                        accuracy_m FROM em_pings WHERE person_pid = ? AND ping_at BETWEEN ? AND ?
                        ORDER BY ping_at""", [person_pid, start_local, end_local])


def zones_geojson(ws: Workspace, person_pid: str) -> list[dict]:
    cur = ws.reader()
    load_spatial(cur)
    rows = cur.execute("""SELECT zone_id, zone_type, ST_AsGeoJSON(ST_GeomFromText(polygon_wkt)),
                          days, start_time, end_time FROM em_zones WHERE person_pid = ?
                          ORDER BY zone_id""", [person_pid]).fetchall()
    return [{"type": "Feature", "geometry": json.loads(g),
             "properties": {"zone_id": z, "zone_type": t, "days": d,
                            "hours": f"{a:%H:%M}-{b:%H:%M}" if a is not None else "all day"}}
            for z, t, g, d, a, b in rows]
