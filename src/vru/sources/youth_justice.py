"""Youth justice: first-time entrants and outcomes -> ``youth_justice_events``.

Contract: docs/guide/hub-youth-justice.md. A person is identified by PNC ID or, when the youth
offending team has none, by forename + surname + date of birth. Both are pseudonymised at
import (the PNC pseudonym is preferred); names and dates of birth are never stored.
"""

from __future__ import annotations

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

EVENT_TYPES = ("FTE", "OUTCOME")
OUTCOMES = {
    "CR": "Community resolution",
    "YC": "Youth caution",
    "YCC": "Youth conditional caution",
    "RO": "Referral order",
    "YRO": "Youth rehabilitation order",
    "DTO": "Detention and training order",
    "CUSTODY": "Other custodial sentence",
    "DISCHARGE": "Absolute or conditional discharge",
    "FINE": "Fine",
    "OTHER": "Other outcome",
}
SEXES = ("M", "F", "X", "U")

MATCH_KEYS = MatchKeys(date_column="event_date")
BASE_COLUMNS = (
    Column("pnc_id", "id", description="PNC ID, e.g. 23/123456A (pseudonymised at import)"),
    Column("forename", "id",
           description="forename, with surname and date_of_birth when no PNC ID"),
    Column("surname", "id",
           description="surname (pseudonymised with forename and date_of_birth)"),
    Column("date_of_birth", "id",
           description="date of birth YYYY-MM-DD (pseudonymised, not stored)"),
    Column("event_type", "code", True, EVENT_TYPES,
           description="FTE (first-time entrant) or OUTCOME"),
    Column("event_date", "date", True, description="date of the first entry or the outcome"),
    Column("offence_code", "text", max_length=10, description="Home Office offence code"),
    Column("offence_description", "text", max_length=200, description="offence wording"),
    Column("outcome_code", "code", codes=tuple(OUTCOMES),
           description="outcome; required for OUTCOME"),
    Column("age", "int", True, min=10, max=25, description="age in years on the event date"),
    Column("sex", "code", codes=SEXES, description="M, F, X (other) or U (not known)"),
    Column("lsoa_code", "lsoa", description="LSOA of residence"),
)
COLUMNS = BASE_COLUMNS + quasi_identifier_columns(MATCH_KEYS, BASE_COLUMNS)
CHECKS = (
    Check("pnc_id", "pnc_pid IS NULL AND name_dob_pid IS NULL "
          "AND pnc_pid__problem IS NULL AND name_dob_pid__problem IS NULL",
          "no identifier: give pnc_id, or forename + surname + date_of_birth"),
    Check("outcome_code", "v_event_type = 'OUTCOME' AND v_outcome_code IS NULL",
          "required when event_type is OUTCOME"),
)
FLAGS = (Flag("no_location", "v_lsoa_code IS NULL"),)


def _load(ctx: LoadContext) -> int:
    return inserted(ctx.con, """
        INSERT INTO youth_justice_events
        SELECT coalesce(pnc_pid, name_dob_pid),
               CASE WHEN pnc_pid IS NOT NULL THEN 'pnc_id' ELSE 'name_dob' END,
               v_event_type, v_event_date, upper(v_offence_code), v_offence_description,
               v_outcome_code, v_age, v_sex, v_lsoa_code, flags, file_id, row_number, ?
        FROM hub_ok""", [ctx.import_id])


EVENTS = Contract(
    source="youth_justice", kind="events", title="Youth justice first-time entrants and outcomes",
    columns=COLUMNS, load=_load, checks=CHECKS, flags=FLAGS,
    identifiers=(
        Identifier("pnc_pid", "pnc_id", ("pnc_id",)),
        Identifier("name_dob_pid", "name_dob", ("forename", "surname", "date_of_birth")),
    ),
    retention=(RetentionTarget("youth_justice_events", "event_date"),),
    match_keys=MATCH_KEYS,
)

YOUTH_JUSTICE = Source(name="youth_justice", title="Youth justice", contracts=(EVENTS,))
