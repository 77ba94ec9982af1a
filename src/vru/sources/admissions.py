"""Hospital admissions (HES-like) -> ``hospital_admissions``.

Contract: docs/guide/hub-admissions.md. One row per admission with the ICD-10 external cause;
``assault`` (X85-Y09) and ``sharp_object`` (X99, the Home Office's primary VRU outcome with
victims under 25) are derived at import. The NHS number is checked (modulus 11) and replaced by
its pseudonym; it is never stored.
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

SEXES = ("M", "F", "X", "U")

MATCH_KEYS = MatchKeys(date_column="admission_date", pid="patient_pid")
BASE_COLUMNS = (
    Column("nhs_number", "id", description="patient NHS number (pseudonymised at import)"),
    Column("admission_date", "date", True, description="date of admission"),
    Column("discharge_date", "date", description="date of discharge, if discharged"),
    Column("provider_code", "text", max_length=10, description="ODS code of the provider"),
    Column("icd10_cause", "icd10", True,
           description="ICD-10 external cause of injury (V01-Y98), e.g. X99, X99.1, Y04"),
    Column("age", "int", min=0, max=120, description="age in years at admission"),
    Column("sex", "code", codes=SEXES, description="M, F, X (other) or U (not known)"),
    Column("lsoa_code", "lsoa", description="LSOA of residence"),
)
COLUMNS = BASE_COLUMNS + quasi_identifier_columns(MATCH_KEYS, BASE_COLUMNS)

CAUSE3 = "substr(v_icd10_cause, 1, 3)"
CHECKS = (
    Check("icd10_cause", "NOT " + SQL.regex_full_match("v_icd10_cause", "[V-Y].*"),
          "not an external-cause code (ICD-10 chapter XX, V01-Y98)"),
    Check("discharge_date", "v_discharge_date < v_admission_date", "discharge before admission"),
)
FLAGS = (Flag("no_location", "v_lsoa_code IS NULL"),)


def _load(ctx: LoadContext) -> int:
    return inserted(ctx.con, f"""
        INSERT INTO hospital_admissions
        SELECT patient_pid, v_admission_date, v_discharge_date, v_provider_code, v_icd10_cause,
               {CAUSE3} BETWEEN 'X85' AND 'Y09', {CAUSE3} = 'X99', v_age, v_sex, v_lsoa_code,
               flags, file_id, row_number, ?
        FROM hub_ok""", [ctx.import_id])


ADMISSIONS_CONTRACT = Contract(
    source="admissions", kind="admissions", title="Hospital admissions (HES-like)",
    columns=COLUMNS, load=_load, checks=CHECKS, flags=FLAGS,
    identifiers=(Identifier("patient_pid", "nhs_number", ("nhs_number",), required=True),),
    retention=(RetentionTarget("hospital_admissions", "admission_date"),),
    match_keys=MATCH_KEYS,
)

ADMISSIONS = Source(name="admissions", title="Hospital admissions",
                    contracts=(ADMISSIONS_CONTRACT,))
