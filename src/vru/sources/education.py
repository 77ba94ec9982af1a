"""School exclusions and suspensions -> ``education_exclusions``.

Contract: docs/guide/hub-education.md. The unique pupil number (UPN) is replaced by its
pseudonym at import. Reason codes are the DfE exclusion reason codes.
"""

from __future__ import annotations

from vru.engine import DUCKDB as SQL
from vru.sources.contract import (
    Check,
    Column,
    Contract,
    Flag,
    Identifier,
    LoadContext,
    MatchKeys,
    RetentionTarget,
    Source,
    inserted,
    quasi_identifier_columns,
)

EXCLUSION_TYPES = ("PERMANENT", "SUSPENSION")
# DfE school census exclusion reason codes.
REASONS = {
    "PA": "Physical assault against a pupil",
    "PP": "Physical assault against an adult",
    "VP": "Verbal abuse or threatening behaviour against a pupil",
    "VA": "Verbal abuse or threatening behaviour against an adult",
    "BU": "Bullying",
    "RA": "Racist abuse",
    "AB": "Abuse against sexual orientation and gender identity",
    "AT": "Abuse relating to disability",
    "SM": "Sexual misconduct",
    "DA": "Drug and alcohol related",
    "DM": "Damage",
    "TH": "Theft",
    "PD": "Persistent disruptive behaviour",
    "MT": "Inappropriate use of social media or online technology",
    "WP": "Use or threat of use of an offensive weapon or prohibited item",
    "OT": "Other",
}
YEAR_GROUPS = ("N1", "N2", "R", *(str(i) for i in range(1, 15)))

MATCH_KEYS = MatchKeys(date_column="event_date", pid="pupil_pid")
BASE_COLUMNS = (
    Column("upn", "id", True, description="unique pupil number (pseudonymised at import)"),
    Column("school_urn", "text", True, max_length=6, description="school URN (6 digits)"),
    Column("event_date", "date", True, description="start date of the exclusion or suspension"),
    Column("exclusion_type", "code", True, EXCLUSION_TYPES, description="PERMANENT or SUSPENSION"),
    Column("reason_code", "code", True, tuple(REASONS), description="DfE reason code"),
    Column("sessions", "int", min=1, max=400,
           description="length of a suspension in school sessions (half days)"),
    Column("year_group", "code", codes=YEAR_GROUPS, description="N1, N2, R, 1-14"),
    Column("lsoa_code", "lsoa", description="LSOA of the pupil's residence"),
    Column("sex", "code", codes=("M", "F", "X", "U"),
           description="M, F, X (other) or U (not known); used for record linkage"),
)
COLUMNS = BASE_COLUMNS + quasi_identifier_columns(MATCH_KEYS, BASE_COLUMNS)
CHECKS = (
    Check("school_urn", "NOT " + SQL.regex_full_match("v_school_urn", "[0-9]{6}"),
          "not a school URN (6 digits)"),
    Check("sessions", "v_exclusion_type = 'PERMANENT' AND v_sessions IS NOT NULL",
          "a permanent exclusion has no length in sessions"),
)
FLAGS = (Flag("no_location", "v_lsoa_code IS NULL"),)


def _load(ctx: LoadContext) -> int:
    return inserted(ctx.con, """
        INSERT INTO education_exclusions
        SELECT pupil_pid, v_school_urn, v_event_date, v_exclusion_type, v_reason_code,
               v_sessions, v_year_group, v_lsoa_code, flags, file_id, row_number, ?
        FROM hub_ok""", [ctx.import_id])


EXCLUSIONS = Contract(
    source="education", kind="exclusions", title="School exclusions and suspensions",
    columns=COLUMNS, load=_load, checks=CHECKS, flags=FLAGS,
    identifiers=(Identifier("pupil_pid", "upn", ("upn",), required=True),),
    retention=(RetentionTarget("education_exclusions", "event_date"),),
    match_keys=MATCH_KEYS,
)

EDUCATION = Source(name="education", title="Education: exclusions and suspensions",
                   contracts=(EXCLUSIONS,))
