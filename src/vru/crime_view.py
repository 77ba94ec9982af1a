"""The one canonical view of crimes: which source serves each force and month, decided once.

``crimes`` holds every row every crime source loaded: data.police.uk street rows and force
(RMS) extracts describe the same crimes, so adding them up double counts. The workspace decides
once, per force and month, which source serves that force-month, and every consumer (web pages,
API, profiles, hot spots, backtests, patrol plans, status, CLI) reads the result:

``canonical_crimes``   ``crimes_geo`` restricted to the serving source's rows, plus
                       ``force_name``, ``serious_violence`` (the workspace definition, the same
                       on both sources) and ``sv_ho_code`` (the Home Office code list; NULL on
                       rows without a code, i.e. data.police.uk).
``crime_coverage``     one row per force and month between the force's first and last month:
                       the serving source (NULL = a gap: no source holds that month; status
                       'missing'; 'partial' for a near-empty month at either end), the rule
                       that chose it, what each source holds and each source's serious-violence
                       count (where the sources disagree for overlapping months).
``crime_source_months`` what each source holds per force, month and family (crime / asb).

Precedence (``settings.crime_sources``, docs/guide/crime-view.md): overrides first, in order;
then ``precedence`` (default: a force extract that holds rows for the force-month supersedes
data.police.uk). Anti-social behaviour is decided on its own ("family"), because force crime
systems do not record it: police.uk ASB still serves a month a force extract serves for crime.

The rules and the definition live in two small tables (``crime_source_rules``,
``crime_definition``) written from the settings whenever a workspace is opened for writing or
its settings are saved, so a read-only process reads exactly what the writer decided.
"""

from __future__ import annotations

from datetime import date

from vru.settings import Settings

# A crime row's force: the territorial force it falls within (data.police.uk "Falls within";
# the force extract's owning agency), else the recording agency.
FORCE_SQL = "coalesce({a}falls_within, {a}reported_by, '(force not stated)')"
FAMILY_SQL = "CASE WHEN {a}crime_type = 'Anti-social behaviour' THEN 'asb' ELSE 'crime' END"
SV_SQL = "{a}crime_type IN (SELECT value FROM crime_definition WHERE key = 'sv_category')"
SV_HO_SQL = ("CASE WHEN {a}ho_offence_code IS NULL THEN NULL ELSE {a}ho_offence_code IN "
             "(SELECT value FROM crime_definition WHERE key = 'sv_ho_code') END")

TABLES = """
CREATE TABLE IF NOT EXISTS crime_source_rules (
    rank       INTEGER NOT NULL,     -- lower wins
    source     VARCHAR NOT NULL,
    force_name VARCHAR,              -- NULL = every force
    month_from DATE,                 -- NULL = open
    month_to   DATE,
    origin     VARCHAR NOT NULL      -- 'override' | 'precedence'
);
CREATE TABLE IF NOT EXISTS crime_definition (
    key   VARCHAR NOT NULL,          -- 'sv_category' | 'sv_ho_code'
    value VARCHAR NOT NULL
);
"""


def _f(template: str, alias: str = "") -> str:
    return template.format(a=f"{alias}." if alias else "")


def views_sql() -> str:
    """The views, re-created on every writable open (so a column another capability adds to
    ``crimes`` never leaves a stale view behind)."""
    return f"""
CREATE OR REPLACE VIEW crime_source_months AS
SELECT {_f(FORCE_SQL)} AS force_name, month, {_f(FAMILY_SQL)} AS family, source,
       count(*)::BIGINT AS rows,
       count(*) FILTER (WHERE {_f(SV_SQL)})::BIGINT AS sv_rows,
       count(*) FILTER (WHERE {_f(SV_HO_SQL)})::BIGINT AS sv_ho_rows
FROM crimes GROUP BY ALL;

CREATE OR REPLACE VIEW crime_served AS
WITH ranked AS (
    SELECT h.force_name, h.month, h.family, h.source, min(r.rank) AS rank,
           arg_min(r.origin, r.rank) AS rule
    FROM crime_source_months h JOIN crime_source_rules r ON r.source = h.source
         AND (r.force_name IS NULL OR r.force_name = h.force_name)
         AND (r.month_from IS NULL OR h.month >= r.month_from)
         AND (r.month_to IS NULL OR h.month <= r.month_to)
    GROUP BY h.force_name, h.month, h.family, h.source)
SELECT force_name, month, family, arg_min(source, rank) AS source, arg_min(rule, rank) AS rule
FROM ranked GROUP BY ALL;

CREATE OR REPLACE VIEW canonical_crimes AS
SELECT c.*, {_f(FORCE_SQL, 'c')} AS force_name,
       {_f(SV_SQL, 'c')} AS serious_violence,
       {_f(SV_HO_SQL, 'c')} AS sv_ho_code
FROM crimes_geo c
JOIN crime_served s ON s.force_name = {_f(FORCE_SQL, 'c')} AND s.month = c.month
     AND s.family = {_f(FAMILY_SQL, 'c')} AND s.source = c.source;

CREATE OR REPLACE VIEW crime_coverage AS
WITH span AS (
    SELECT force_name, min(month) AS lo, max(month) AS hi FROM crime_source_months GROUP BY 1),
months AS (
    SELECT force_name, CAST(unnest(generate_series(lo, hi, INTERVAL 1 MONTH)) AS DATE) AS month
    FROM span),
held AS (
    SELECT force_name, month,
           sum(rows) FILTER (WHERE source = 'police_uk')::BIGINT AS police_uk_rows,
           sum(rows) FILTER (WHERE source = 'police_rms')::BIGINT AS police_rms_rows,
           sum(sv_rows) FILTER (WHERE source = 'police_uk')::BIGINT AS police_uk_sv,
           sum(sv_rows) FILTER (WHERE source = 'police_rms')::BIGINT AS police_rms_sv,
           sum(sv_ho_rows) FILTER (WHERE source = 'police_rms')::BIGINT AS police_rms_sv_ho,
           list(DISTINCT source ORDER BY source) AS sources_held
    FROM crime_source_months GROUP BY 1, 2),
served AS (
    SELECT c.force_name, c.month, c.source, c.rule, h.rows
    FROM crime_served c JOIN crime_source_months h ON h.force_name = c.force_name
         AND h.month = c.month AND h.family = 'crime' AND h.source = c.source
    WHERE c.family = 'crime'),
typical AS (
    SELECT force_name, median(rows) AS median_rows FROM served GROUP BY 1),
edges AS (
    -- A month at either end of a force's run holding under a tenth of its median month is
    -- partial (e.g. a few force-extract crimes committed just before its first full month).
    SELECT m.force_name, m.month, s.source, s.rule, s.rows,
           bool_and(coalesce(s.rows, 0) < 0.1 * t.median_rows) OVER (PARTITION BY m.force_name
               ORDER BY m.month ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS lead_low,
           bool_and(coalesce(s.rows, 0) < 0.1 * t.median_rows) OVER (PARTITION BY m.force_name
               ORDER BY m.month ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS trail_low
    FROM months m LEFT JOIN served s ON s.force_name = m.force_name AND s.month = m.month
    LEFT JOIN typical t ON t.force_name = m.force_name)
SELECT m.force_name, m.month,
       c.source, c.rule, a.source AS asb_source,
       CASE WHEN c.source IS NULL THEN 'missing'
            WHEN e.lead_low OR e.trail_low THEN 'partial' ELSE 'served' END AS status,
       coalesce(h.sources_held, []) AS sources_held,
       coalesce(h.police_uk_rows, 0) AS police_uk_rows,
       coalesce(h.police_rms_rows, 0) AS police_rms_rows,
       coalesce(h.police_uk_sv, 0) AS police_uk_sv,
       coalesce(h.police_rms_sv, 0) AS police_rms_sv,
       coalesce(h.police_rms_sv_ho, 0) AS police_rms_sv_ho
FROM months m
LEFT JOIN crime_served c ON c.force_name = m.force_name AND c.month = m.month
     AND c.family = 'crime'
LEFT JOIN crime_served a ON a.force_name = m.force_name AND a.month = m.month
     AND a.family = 'asb'
LEFT JOIN held h ON h.force_name = m.force_name AND h.month = m.month
LEFT JOIN edges e ON e.force_name = m.force_name AND e.month = m.month;
"""


def create(con) -> None:
    """Create the rule tables (if missing) and (re)create the views."""
    con.execute(TABLES)
    con.execute(views_sql())


def _month(text: str | None) -> date | None:
    if not text:
        return None
    y, m = str(text).split("-")
    return date(int(y), int(m), 1)


def rules(settings: Settings) -> list[tuple]:
    """(rank, source, force_name, month_from, month_to, origin) rows for the settings."""
    cs = settings.crime_sources
    out: list[tuple] = []
    for i, o in enumerate(cs.overrides):
        out.append((i, o["source"], o.get("force"), _month(o.get("from")), _month(o.get("to")),
                    "override"))
    for j, source in enumerate(cs.precedence):
        out.append((1000 + j, source, None, None, None, "precedence"))
    return out


def sync(con, settings: Settings) -> None:
    """Write the settings' precedence and serious-violence definition into the workspace (inside
    the caller's transaction); views and tables are created if missing."""
    create(con)
    con.execute("DELETE FROM crime_source_rules")
    con.executemany("INSERT INTO crime_source_rules VALUES (?, ?, ?, ?, ?, ?)", rules(settings))
    con.execute("DELETE FROM crime_definition")
    sv = settings.serious_violence
    rows = [("sv_category", c) for c in sv.police_uk_categories] + \
        [("sv_ho_code", c) for c in sv.ho_offence_codes]
    if rows:
        con.executemany("INSERT INTO crime_definition VALUES (?, ?)", rows)


# --------------------------------------------------------------------------- readers
def coverage_rows(ws, force: str | None = None) -> list[dict]:
    """The coverage table as dicts (month as YYYY-MM)."""
    cur = ws.reader().execute(
        "SELECT force_name, strftime(month, '%Y-%m') AS month, source, rule, asb_source, status, "
        "sources_held, police_uk_rows, police_rms_rows, police_uk_sv, police_rms_sv, "
        "police_rms_sv_ho FROM crime_coverage WHERE ? IS NULL OR force_name = ? "
        "ORDER BY force_name, month", [force, force])
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def served_sources(ws, where: str, params: list, first: date, last: date) -> dict[str, int]:
    """Rows per serving source among canonical rows matching ``where`` (over alias c)."""
    return {r[0]: int(r[1]) for r in ws.sql(
        f"SELECT c.source, count(*) FROM canonical_crimes c WHERE {where} "
        "AND c.month BETWEEN ? AND ? GROUP BY 1", [*params, first, last])}
