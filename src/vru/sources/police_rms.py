"""Police force extracts (record-management-system style) -> the canonical ``crimes`` table.

Contract: docs/guide/hub-police-rms.md. Rows land in the same ``crimes`` table as data.police.uk
(``source = 'police_rms'``) with the richer fields: exact time or a from-to window, Home Office
offence code, victim age and sex, pseudonymised suspect, knife and domestic-abuse flags,
easting/northing and grid cell. The suspect's and the victim's optional names, dates of birth and
postcodes become keyed match features at the door (record linkage, two records per row).
``month`` is the month of ``committed_from``; ``crime_type``
is the police.uk category mapped from the offence code (data/ho_offence_categories.csv, which
a partnership may extend); an unmapped code loads as 'Other crime' with the flag
``offence_code_unmapped``.
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

from vru.engine import DUCKDB as SQL
from vru.geo.bng import GB_EASTING, GB_NORTHING
from vru.geo.grid import cell_sql
from vru.sources.contract import (
    Check,
    Column,
    Contract,
    Flag,
    Identifier,
    LoadContext,
    MatchKeys,
    Once,
    RetentionTarget,
    Source,
    inserted,
    project_lonlat,
    quasi_identifier_columns,
)

SEXES = ("M", "F", "X", "U")
# ONS five ethnic groups (the programme's list; forces map their 6+1 or 18+1 codes to these).
ETHNICITIES = ("WHITE", "MIXED", "ASIAN", "BLACK", "OTHER", "UNKNOWN")


@cache
def offence_categories() -> tuple[dict[str, str], dict[str, str]]:
    """(exact code -> category, offence class number -> category) from the shipped table."""
    exact: dict[str, str] = {}
    by_class: dict[str, str] = {}
    text = resources.files("vru.sources").joinpath("data/ho_offence_categories.csv").read_text()
    for row in csv.DictReader(text.splitlines()):
        (exact if row["match"] == "exact" else by_class)[row["code"].upper()] = row["category"]
    return exact, by_class


def category_sql(code: str) -> str:
    """SQL mapping a (normalised, upper-case) HO offence code to a police.uk category, or NULL."""
    exact, by_class = offence_categories()
    cls = SQL.regex_extract(code, "^[0-9]+")

    def lit(s: str) -> str:
        return "'" + s.replace("'", "''") + "'"

    e = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in exact.items())
    c = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in by_class.items())
    return f"(CASE {code} {e} ELSE (CASE {cls} {c} END) END)"


CODE = "upper(v_ho_offence_code)"

SUSPECT_KEYS = MatchKeys(forename="suspect_forename", surname="suspect_surname",
                         date_of_birth="suspect_date_of_birth", postcode="suspect_postcode",
                         sex="suspect_sex", home_lsoa=None, date_column="committed_from",
                         pid="suspect_pid")
# The victim is a person of its own on the row (record linkage: police_rms:victim).
VICTIM_KEYS = MatchKeys(forename="victim_forename", surname="victim_surname",
                        date_of_birth="victim_date_of_birth", postcode="victim_postcode",
                        sex="victim_sex", home_lsoa=None, date_column="committed_from",
                        role="victim")
BASE_COLUMNS = (
    Column("crime_reference", "text", True, max_length=50,
           description="the force's crime reference (unique per force)"),
    Column("ho_offence_code", "text", True, max_length=10,
           description="Home Office offence code, e.g. 8N, 5D, 34B, 37.1, 105A"),
    Column("offence_description", "text", max_length=200, description="offence wording"),
    Column("committed_from", "datetime", True,
           description="date and time committed, or the start of the window"),
    Column("committed_to", "datetime",
           description="end of the window when the exact time is unknown (empty = exact)"),
    Column("easting", "decimal", description="British National Grid easting (metres)"),
    Column("northing", "decimal", description="British National Grid northing (metres)"),
    Column("location", "text", max_length=200, description="location description"),
    Column("lsoa_code", "lsoa", description="LSOA of the location"),
    Column("victim_age", "int", min=0, max=120, description="victim age in years"),
    Column("victim_sex", "code", codes=SEXES, description="M, F, X (other) or U (not known)"),
    Column("suspect_id", "id",
           description="suspect PNC ID (pseudonymised at import, never stored)"),
    Column("knife_flag", "bool", description="knife or sharp instrument involved (Y/N)"),
    Column("domestic_flag", "bool", description="domestic abuse flag (Y/N)"),
    Column("last_outcome", "text", max_length=100, description="latest outcome, free text"),
    Column("suspect_sex", "code", codes=SEXES,
           description="suspect's sex, M, F, X or U; used for record linkage"),
    Column("victim_ethnicity", "code", codes=ETHNICITIES,
           description="victim's ethnicity, ONS five groups (WHITE, MIXED, ASIAN, BLACK, OTHER) "
                       "or UNKNOWN"),
    Column("suspect_age", "int", min=0, max=120, description="suspect's age in years at the "
                                                             "offence"),
    Column("suspect_ethnicity", "code", codes=ETHNICITIES,
           description="suspect's ethnicity, ONS five groups or UNKNOWN"),
)
COLUMNS = (BASE_COLUMNS + quasi_identifier_columns(SUSPECT_KEYS, BASE_COLUMNS)
           + quasi_identifier_columns(VICTIM_KEYS, BASE_COLUMNS))

CHECKS = (
    Check("ho_offence_code",
          "NOT " + SQL.regex_full_match("upper(v_ho_offence_code)",
                                        "[0-9]{1,3}[A-Z]?(\\.[0-9]{1,2})?[A-Z]?"),
          "not a Home Office offence code (e.g. 8N, 34B, 37.1, 105A)"),
    Check("committed_to", "v_committed_to < v_committed_from",
          "window ends before it starts (committed_to < committed_from)"),
    Check("easting", "(v_easting IS NULL) <> (v_northing IS NULL)",
          "easting and northing must be given together"),
    Check("easting",
          f"v_easting NOT BETWEEN {GB_EASTING[0]} AND {GB_EASTING[1]} "
          f"OR v_northing NOT BETWEEN {GB_NORTHING[0]} AND {GB_NORTHING[1]}",
          "outside the British National Grid (easting 0-700000, northing 0-1300000)"),
)
# A crime is loaded once: a later extract repeating a reference is rejected (earlier imports and
# earlier files of the same import alike).
ONCE = Once("crime_reference", "SELECT crime_id FROM crimes WHERE source = 'police_rms'",
            "crime reference already loaded from an earlier extract")

FLAGS = (
    Flag("no_location", "v_easting IS NULL"),
    Flag("time_window", "v_committed_to > v_committed_from"),
    Flag("offence_code_unmapped", f"{category_sql(CODE)} IS NULL"),
)


def _load(ctx: LoadContext) -> int:
    project_lonlat(ctx.con)
    ce, cn = cell_sql("v_easting", "v_northing", ctx.settings.grid)
    agency = ctx.agreement.owning_agency
    return inserted(ctx.con, f"""
        INSERT INTO crimes (source, crime_id, month, occurred_from, occurred_to, reported_by,
            falls_within, longitude, latitude, easting, northing, cell_e, cell_n, location,
            lsoa_code, lsoa_name, crime_type, last_outcome, context, ho_offence_code,
            victim_age, victim_sex, suspect_pid, knife_flag, domestic_flag, flags, file_id,
            row_number, import_id, victim_ethnicity, suspect_age, suspect_sex, suspect_ethnicity)
        SELECT 'police_rms', v_crime_reference, CAST(date_trunc('month', v_committed_from) AS DATE),
               v_committed_from, coalesce(v_committed_to, v_committed_from), ?, ?,
               x.longitude, x.latitude, v_easting, v_northing, {ce}, {cn}, v_location,
               v_lsoa_code, NULL, coalesce({category_sql(CODE)}, 'Other crime'), v_last_outcome,
               v_offence_description, {CODE}, v_victim_age, v_victim_sex, suspect_pid,
               v_knife_flag, v_domestic_flag, flags, o.file_id, o.row_number, ?,
               v_victim_ethnicity, v_suspect_age, v_suspect_sex, v_suspect_ethnicity
        FROM hub_ok o LEFT JOIN hub_xy x USING (file_id, row_number)""",
        [agency, agency, ctx.import_id])


CRIMES = Contract(
    source="police_rms", kind="crimes", title="Force crime extract (RMS)",
    columns=COLUMNS, load=_load, checks=CHECKS, flags=FLAGS, unique=("crime_reference",),
    once=ONCE, identifiers=(Identifier("suspect_pid", "pnc_id", ("suspect_id",)),),
    retention=(RetentionTarget("crimes", "occurred_from", "source = 'police_rms'"),),
    match_keys=(SUSPECT_KEYS, VICTIM_KEYS),
)

POLICE_RMS = Source(name="police_rms", title="Police force extracts (RMS)", contracts=(CRIMES,))
