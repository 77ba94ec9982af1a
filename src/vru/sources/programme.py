"""Providers' monthly returns: referrals, attendance, aggregate reach and spend.

Contract: docs/guide/hub-programme.md. A provider sends, each month, its caseload as at the end
of the month (one row per referral with the date it reached each stage), the one-to-one
sessions held, the reach of universal / community activity by group, and its spend against the
grants that fund it. The same engine as every partner source checks them: rejects with reasons,
nothing lost (read = loaded + rejected), re-import a no-op, identifiers pseudonymised at the door.

Referrals are keyed by the provider's own reference within an intervention: a later return
updates the referral (its status may only move forward along the workflow, see
vru.programme.workflow), and every stage date becomes an event in ``prog_referral_events``.
Money is read as text and converted to whole pence in SQL (DECIMAL, never floating point).
"""

from __future__ import annotations

from vru.programme.model import AGE_BAND_LABELS, ETHNICITIES, SEXES
from vru.programme.workflow import STATUSES, TRANSITIONS
from vru.sources.contract import (
    Check,
    Column,
    Contract,
    Identifier,
    LoadContext,
    MatchKeys,
    RetentionTarget,
    Source,
    inserted,
    quasi_identifier_columns,
)

STATUS_CODES = tuple(s.upper() for s in STATUSES)
CATEGORY_CODES = ("DELIVERY", "EVALUATION", "TESTING", "COORDINATION")
KNOWN_IV = "v_intervention_code IN (SELECT code FROM prog_interventions)"
UNKNOWN_IV = Check("intervention_code",
                   "v_intervention_code IS NOT NULL AND NOT (" + KNOWN_IV + ")",
                   "unknown intervention code (add the intervention first: "
                   "vru programme intervention add)")


def _reachable() -> list[str]:
    """'FROM>TO' for every status and each status reachable from it (itself included)."""
    out = []
    for s in STATUSES:
        seen, todo = {s}, [s]
        while todo:
            for n in TRANSITIONS[todo.pop()]:
                if n not in seen:
                    seen.add(n)
                    todo.append(n)
        out += [f"{s.upper()}>{n.upper()}" for n in seen]
    return out


FORWARD = ", ".join(f"'{p}'" for p in _reachable())
STORED_REF = ("SELECT upper(r.status) FROM prog_referrals r JOIN prog_interventions i "
              "USING (intervention_id) WHERE i.code = v_intervention_code "
              "AND r.provider_ref = v_provider_ref")
# Money: text such as 1,250.50 or £300 -> exact DECIMAL -> pence.
_MONEY_TEXT = "replace(replace(replace(v_amount, ',', ''), '£', ''), ' ', '')"
PENCE_SQL = (f"CASE WHEN regexp_full_match({_MONEY_TEXT}, '-?[0-9]+(\\.[0-9]{{1,2}})?') "
             f"THEN CAST(CAST({_MONEY_TEXT} AS DECIMAL(18, 2)) * 100 AS BIGINT) END")

# ---------------------------------------------------------------------------------- referrals
REFERRAL_COLUMNS = (
    Column("provider_ref", "text", True, max_length=40,
           description="the provider's own reference for the referral"),
    Column("intervention_code", "text", True, max_length=40,
           description="code of the intervention (see `vru programme interventions`)"),
    Column("nhs_number", "id", description="NHS number (pseudonymised at import)"),
    Column("pnc_id", "id", description="PNC ID (pseudonymised at import)"),
    Column("upn", "id", description="unique pupil number (pseudonymised at import)"),
    Column("forename", "id", description="forename, with surname and date_of_birth"),
    Column("surname", "id", description="surname (pseudonymised with forename and date_of_birth)"),
    Column("date_of_birth", "id", description="date of birth (pseudonymised, not stored)"),
    Column("referring_agency", "text", True, max_length=100, description="who referred"),
    Column("referral_date", "date", True, description="date the referral was received"),
    Column("reasons", "text", True, max_length=500,
           description="reasons for referral, separated by ';'"),
    Column("status", "code", True, STATUS_CODES, description="status at the end of the month"),
    Column("assessed_date", "date", description="date assessed"),
    Column("decision_date", "date", description="date accepted or declined"),
    Column("engaged_date", "date", description="date the young person started"),
    Column("ended_date", "date", description="date completed or disengaged"),
    Column("status_reason", "text", max_length=300,
           description="why declined or disengaged"),
    Column("age", "int", min=0, max=120, description="age in years at referral"),
    Column("sex", "code", codes=SEXES, description="M, F, X (other) or U (not known)"),
    Column("ethnicity", "code", codes=ETHNICITIES, description="ONS 5 groups or UNKNOWN"),
    Column("area", "text", max_length=100, description="local authority of residence"),
    Column("lsoa_code", "lsoa", description="LSOA of residence"),
)
# Record linkage (#15): the referral's person becomes keyed match features at the door; its own
# pseudonym is the preferred one (as prog_referrals.person_pid), and the record stays while a
# referral with that pseudonym is kept (one referral's rows are several returns).
REFERRAL_KEYS = MatchKeys(sex="sex", home_lsoa="lsoa_code", date_column="referral_date",
                          pid=("nhs_pid", "pnc_pid", "upn_pid", "name_dob_pid"),
                          kept="EXISTS (SELECT 1 FROM prog_referral_ids i WHERE i.pid = m.pid)")
REFERRAL_COLUMNS = REFERRAL_COLUMNS + quasi_identifier_columns(REFERRAL_KEYS, REFERRAL_COLUMNS)
_S = "v_status"
REFERRAL_CHECKS = (
    UNKNOWN_IV,
    Check("nhs_number", "nhs_pid IS NULL AND pnc_pid IS NULL AND upn_pid IS NULL "
          "AND name_dob_pid IS NULL AND nhs_pid__problem IS NULL AND pnc_pid__problem IS NULL "
          "AND upn_pid__problem IS NULL AND name_dob_pid__problem IS NULL",
          "no identifier: give nhs_number, pnc_id, upn, or forename + surname + date_of_birth"),
    Check("assessed_date", "v_assessed_date < v_referral_date", "before referral_date"),
    Check("decision_date", "v_decision_date < coalesce(v_assessed_date, v_referral_date)",
          "before assessed_date"),
    Check("engaged_date", "v_engaged_date < coalesce(v_decision_date, v_assessed_date, "
          "v_referral_date)", "before decision_date"),
    Check("ended_date", "v_ended_date < coalesce(v_engaged_date, v_decision_date, "
          "v_assessed_date, v_referral_date)", "before the previous stage's date"),
    Check("assessed_date", f"{_S} <> 'RECEIVED' AND v_assessed_date IS NULL",
          "required when status is ASSESSED or later"),
    Check("decision_date", f"{_S} NOT IN ('RECEIVED', 'ASSESSED') AND v_decision_date IS NULL",
          "required when status is ACCEPTED, DECLINED or later"),
    Check("engaged_date", f"{_S} IN ('ENGAGED', 'COMPLETED') AND v_engaged_date IS NULL",
          "required when status is ENGAGED or COMPLETED"),
    Check("engaged_date", f"{_S} IN ('RECEIVED', 'ASSESSED', 'ACCEPTED', 'DECLINED') "
          "AND v_engaged_date IS NOT NULL", "given but the status is before ENGAGED"),
    Check("ended_date", f"{_S} IN ('COMPLETED', 'DISENGAGED') AND v_ended_date IS NULL",
          "required when status is COMPLETED or DISENGAGED"),
    Check("ended_date", f"{_S} NOT IN ('COMPLETED', 'DISENGAGED') AND v_ended_date IS NOT NULL",
          "given but the referral has not ended"),
    Check("status_reason", f"{_S} IN ('DECLINED', 'DISENGAGED') AND v_status_reason IS NULL",
          "required when status is DECLINED or DISENGAGED"),
    Check("status", f"({STORED_REF}) IS NOT NULL AND (({STORED_REF}) || '>' || {_S}) "
          f"NOT IN ({FORWARD})",
          "goes back from the status already recorded for this referral"),
)


def _load_referrals(ctx: LoadContext) -> int:
    con = ctx.con
    # One row per referral: the latest return (file order) gives the state. prog_in and
    # prog_key are Arrow tables that the statements below read by these variables' names
    # (DuckDB's replacement scan, as the import engine's chunk tables): temp tables made and
    # dropped inside the import's transaction kept every chunk's rows in memory until commit.
    prog_in = con.execute("""
        SELECT h.*, i.intervention_id,
               coalesce(h.nhs_pid, h.pnc_pid, h.upn_pid, h.name_dob_pid) AS pid,
               CASE WHEN h.nhs_pid IS NOT NULL THEN 'nhs_number'
                    WHEN h.pnc_pid IS NOT NULL THEN 'pnc_id'
                    WHEN h.upn_pid IS NOT NULL THEN 'upn' ELSE 'name_dob' END AS pid_kind,
               row_number() OVER (PARTITION BY i.intervention_id, h.v_provider_ref
                                  ORDER BY h.file_id DESC, h.row_number DESC) AS latest
        FROM hub_ok h JOIN prog_interventions i ON i.code = h.v_intervention_code"""
    ).to_arrow_table()
    # New referrals get ids in (intervention, provider reference) order, so the same returns
    # give the same ids on every run: nextval() per row would hand them out in whatever order
    # DuckDB's threads reach the rows. One nextval() takes the first id, the rest advance the
    # sequence past the block (the web form's referrals draw from the same sequence).
    keys = """
        SELECT n.intervention_id, n.v_provider_ref, r.referral_id,
               r.referral_id IS NOT NULL AS existing,
               CASE WHEN r.referral_id IS NULL THEN row_number() OVER (
                   PARTITION BY r.referral_id IS NULL
                   ORDER BY n.intervention_id, n.v_provider_ref) END AS new_ord
        FROM (SELECT DISTINCT intervention_id, v_provider_ref FROM prog_in) n
        LEFT JOIN prog_referrals r ON r.intervention_id = n.intervention_id
             AND r.provider_ref = n.v_provider_ref"""
    fresh = con.execute(f"SELECT count(*) FROM ({keys}) WHERE NOT existing").fetchone()[0]
    first = 0
    if fresh:
        first = con.execute("SELECT nextval('prog_referral_seq')").fetchone()[0]
        if fresh > 1:
            con.execute("SELECT max(nextval('prog_referral_seq')) FROM range(?)", [fresh - 1])
    prog_key = con.execute(
        f"SELECT intervention_id, v_provider_ref, existing, "
        f"CASE WHEN existing THEN referral_id ELSE ? + new_ord - 1 END AS referral_id "
        f"FROM ({keys})", [first]).to_arrow_table()
    state = """
        SELECT k.referral_id, k.existing, n.*, lower(n.v_status) AS st,
               coalesce(n.v_ended_date, CASE WHEN n.v_status = 'DECLINED' THEN n.v_decision_date
                        END, n.v_engaged_date, n.v_decision_date, n.v_assessed_date,
                        n.v_referral_date) AS st_date,
               list_filter(list_transform(string_split(n.v_reasons, ';'), x -> trim(x)),
                           x -> x <> '') AS reason_list
        FROM prog_in n JOIN prog_key k USING (intervention_id, v_provider_ref)
        WHERE n.latest = 1"""
    con.execute(f"""
        UPDATE prog_referrals r SET status = s.st, status_date = s.st_date,
               status_reason = s.v_status_reason, engaged_date = s.v_engaged_date,
               ended_date = CASE WHEN s.st IN ('completed', 'disengaged') THEN s.v_ended_date
                                 WHEN s.st = 'declined' THEN s.v_decision_date END,
               referring_agency = s.v_referring_agency, reasons = s.reason_list,
               age = s.v_age, sex = s.v_sex, ethnicity = s.v_ethnicity, area = s.v_area,
               lsoa_code = s.v_lsoa_code, version = r.version + 1, updated_at = now(),
               updated_by = 'import ' || {ctx.import_id}, file_id = s.file_id,
               row_number = s.row_number, import_id = {ctx.import_id}
        FROM ({state}) s WHERE s.existing AND r.referral_id = s.referral_id""")
    con.execute(f"""
        INSERT INTO prog_referrals
        SELECT s.referral_id, s.v_provider_ref, s.intervention_id, s.pid, s.pid_kind,
               s.v_referring_agency, s.v_referral_date, s.reason_list, s.st, s.st_date,
               s.v_status_reason, s.v_age, s.v_sex, s.v_ethnicity, s.v_area, s.v_lsoa_code,
               s.v_engaged_date,
               CASE WHEN s.st IN ('completed', 'disengaged') THEN s.v_ended_date
                    WHEN s.st = 'declined' THEN s.v_decision_date END,
               1, 'import', now(), 'import {ctx.import_id}', now(), 'import {ctx.import_id}',
               s.file_id, s.row_number, {ctx.import_id}
        FROM ({state}) s WHERE NOT s.existing""")
    con.execute("""
        INSERT INTO prog_referral_ids
        SELECT DISTINCT k.referral_id, x.kind, x.pid, min(n.file_id) OVER (PARTITION BY
               k.referral_id, x.kind, x.pid)
        FROM prog_in n JOIN prog_key k USING (intervention_id, v_provider_ref),
             (SELECT unnest([{'kind': 'nhs_number', 'pid': n.nhs_pid},
                             {'kind': 'pnc_id', 'pid': n.pnc_pid},
                             {'kind': 'upn', 'pid': n.upn_pid},
                             {'kind': 'name_dob', 'pid': n.name_dob_pid}], recursive := true))
             x
        WHERE x.pid IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM prog_referral_ids e WHERE e.referral_id = k.referral_id
            AND e.pid_kind = x.kind AND e.pid = x.pid)""")
    # Stage events not recorded yet, in workflow order.
    con.execute(f"""
        INSERT INTO prog_referral_events
        WITH stages AS (
            SELECT k.referral_id, n.file_id, s.ord, s.to_status, s.d,
                   CASE WHEN s.to_status IN ('declined', 'disengaged') THEN n.v_status_reason
                   END AS reason
            FROM prog_in n JOIN prog_key k USING (intervention_id, v_provider_ref),
                 (SELECT unnest([
                     {{'ord': 1, 'to_status': 'received', 'd': n.v_referral_date}},
                     {{'ord': 2, 'to_status': 'assessed', 'd': n.v_assessed_date}},
                     {{'ord': 3, 'to_status': CASE WHEN n.v_status = 'DECLINED' THEN 'declined'
                                                  ELSE 'accepted' END, 'd': n.v_decision_date}},
                     {{'ord': 4, 'to_status': 'engaged', 'd': n.v_engaged_date}},
                     {{'ord': 5, 'to_status': lower(n.v_status), 'd':
                         CASE WHEN n.v_status IN ('COMPLETED', 'DISENGAGED') THEN n.v_ended_date
                         END}}], recursive := true)) s
            WHERE s.d IS NOT NULL),
        fresh AS (
            SELECT referral_id, to_status, min(ord) AS ord, min(d) AS d, min(file_id) AS file_id,
                   max(reason) AS reason
            FROM stages st WHERE NOT EXISTS (
                SELECT 1 FROM prog_referral_events e WHERE e.referral_id = st.referral_id
                AND e.to_status = st.to_status)
            GROUP BY ALL),
        base AS (SELECT referral_id, coalesce(max(seq), 0) AS seq0,
                        arg_max(to_status, seq) AS last FROM prog_referral_events GROUP BY 1)
        SELECT f.referral_id,
               coalesce(b.seq0, 0) + row_number() OVER (PARTITION BY f.referral_id ORDER BY f.ord),
               coalesce(lag(f.to_status) OVER (PARTITION BY f.referral_id ORDER BY f.ord), b.last),
               f.to_status, f.d, f.reason, 'import {ctx.import_id}', now(), f.file_id
        FROM fresh f LEFT JOIN base b USING (referral_id)""")
    n = prog_in.num_rows
    del prog_in, prog_key
    return int(n)


# The date a referral ended, for a row of a table with a referral_id column (the purge runs the
# expression with and without a table alias, so the outer column is left unqualified; nothing
# inside the subquery is called referral_id). Open referrals are never before a cutoff.
_ENDED = ("(SELECT e.d FROM (SELECT r.referral_id AS rid, coalesce(r.ended_date, "
          "DATE '9999-12-31') AS d FROM prog_referrals r) e WHERE e.rid = referral_id)")
REFERRALS = Contract(
    source="programme", kind="referrals", title="Provider monthly return: referrals",
    columns=REFERRAL_COLUMNS, load=_load_referrals, checks=REFERRAL_CHECKS,
    identifiers=(
        Identifier("nhs_pid", "nhs_number", ("nhs_number",)),
        Identifier("pnc_pid", "pnc_id", ("pnc_id",)),
        Identifier("upn_pid", "upn", ("upn",)),
        Identifier("name_dob_pid", "name_dob", ("forename", "surname", "date_of_birth")),
    ),
    unique=("provider_ref", "intervention_code"),
    match_keys=REFERRAL_KEYS,
    # Ended referrals are purged with their pseudonyms and events once past retention.
    retention=(
        RetentionTarget("prog_referral_events", _ENDED),
        RetentionTarget("prog_referral_ids", _ENDED),
        RetentionTarget("prog_referrals", "coalesce(ended_date, DATE '9999-12-31')"),
    ),
)

# ---------------------------------------------------------------------------------- attendance
_REF = ("SELECT {col} FROM prog_referrals r JOIN prog_interventions i USING (intervention_id) "
        "WHERE i.code = v_intervention_code AND r.provider_ref = v_provider_ref")
ATTENDANCE = Contract(
    source="programme", kind="attendance", title="Provider monthly return: one-to-one sessions",
    columns=(
        Column("provider_ref", "text", True, max_length=40,
               description="the provider's reference of the referral"),
        Column("intervention_code", "text", True, max_length=40, description="intervention"),
        Column("session_date", "date", True, description="date of the session"),
        Column("attended", "bool", True, description="Y if the young person attended"),
        Column("minutes", "int", min=0, max=1440, description="length of the session"),
    ),
    checks=(
        UNKNOWN_IV,
        Check("provider_ref", f"{KNOWN_IV} AND NOT EXISTS ({_REF.format(col='1')})",
              "no such referral for this intervention (send it in a referrals return first)"),
        Check("session_date", f"EXISTS ({_REF.format(col='1')} AND (r.engaged_date IS NULL "
              "OR v_session_date < r.engaged_date))",
              "before the referral's engaged_date (or the referral is not engaged)"),
        Check("session_date", f"EXISTS ({_REF.format(col='1')} AND r.ended_date IS NOT NULL "
              "AND v_session_date > r.ended_date)", "after the referral ended"),
        Check("minutes", "v_attended = false AND coalesce(v_minutes, 0) > 0",
              "minutes given for a session not attended"),
        Check("session_date", f"EXISTS (SELECT 1 FROM prog_attendance a WHERE a.referral_id = "
              f"({_REF.format(col='r.referral_id')}) AND a.session_date = v_session_date)",
              "a session on this date is already recorded for this referral"),
    ),
    unique=("provider_ref", "intervention_code", "session_date"),
    load=lambda ctx: inserted(ctx.con, f"""
        INSERT INTO prog_attendance
        SELECT r.referral_id, h.v_session_date, h.v_attended, h.v_minutes,
               'import {ctx.import_id}', h.file_id, h.row_number, {ctx.import_id}
        FROM hub_ok h JOIN prog_interventions i ON i.code = h.v_intervention_code
        JOIN prog_referrals r ON r.intervention_id = i.intervention_id
             AND r.provider_ref = h.v_provider_ref"""),
    retention=(RetentionTarget("prog_attendance", _ENDED),),
)

# ---------------------------------------------------------------------------------- reach
REACH = Contract(
    source="programme", kind="reach",
    title="Provider monthly return: reach of universal and group activity",
    columns=(
        Column("intervention_code", "text", True, max_length=40, description="intervention"),
        Column("month", "date", True, description="first day of the month reported"),
        Column("age_band", "code", True, AGE_BAND_LABELS, description="age band"),
        Column("sex", "code", True, SEXES, description="M, F, X or U"),
        Column("ethnicity", "code", True, ETHNICITIES, description="ONS 5 groups or UNKNOWN"),
        Column("area", "text", True, max_length=100, description="local authority"),
        Column("people", "int", True, min=0, max=100000,
               description="people reached in the month in this group"),
    ),
    checks=(
        UNKNOWN_IV,
        Check("month", "day(v_month) <> 1", "must be the first day of a month"),
        Check("intervention_code", f"{KNOWN_IV} AND (SELECT delivery FROM prog_interventions "
              "WHERE code = v_intervention_code) = 'one_to_one'",
              "a one-to-one intervention reports referrals, not aggregate reach"),
        Check("month", "v_month < (SELECT date_trunc('month', start_date) FROM "
              "prog_interventions WHERE code = v_intervention_code)",
              "before the intervention started"),
        Check("people", "EXISTS (SELECT 1 FROM prog_reach x JOIN prog_interventions i "
              "USING (intervention_id) WHERE i.code = v_intervention_code AND x.month = v_month "
              "AND x.age_band = lower(v_age_band) AND x.sex = v_sex AND x.ethnicity = v_ethnicity "
              "AND x.area = v_area)",
              "already reported for this intervention, month and group"),
    ),
    unique=("intervention_code", "month", "age_band", "sex", "ethnicity", "area"),
    load=lambda ctx: inserted(ctx.con, f"""
        INSERT INTO prog_reach
        SELECT i.intervention_id, h.v_month, lower(h.v_age_band), h.v_sex, h.v_ethnicity,
               h.v_area, h.v_people, h.file_id, h.row_number, {ctx.import_id}
        FROM hub_ok h JOIN prog_interventions i ON i.code = h.v_intervention_code"""),
    # Aggregate counts, no personal data: kept (the date is never before a cutoff).
    retention=(RetentionTarget("prog_reach", "DATE '9999-12-31'"),),
)

# ---------------------------------------------------------------------------------- spend
_GRANT = "(SELECT {col} FROM fund_grants g WHERE g.reference = v_grant_reference)"
_FY_OK = ("regexp_full_match(v_fy, '[0-9]{4}-[0-9]{2}') AND "
          "(TRY_CAST(left(v_fy, 4) AS INTEGER) + 1) % 100 = TRY_CAST(right(v_fy, 2) AS INTEGER)")
_LEFT = ("(SELECT g.amount_pence - coalesce((SELECT sum(c.amount_pence) FROM fund_grants c "
         "WHERE c.parent_grant_id = g.grant_id), 0) - coalesce((SELECT sum(s.amount_pence) FROM "
         "fund_spend s WHERE s.grant_id = g.grant_id), 0) - coalesce((SELECT sum(o.amount_pence) "
         "FROM fund_carry_forward o WHERE o.grant_id = g.grant_id), 0) FROM fund_grants g "
         "WHERE g.reference = v_grant_reference)")
SPEND = Contract(
    source="programme", kind="spend", title="Provider monthly return: spend against grants",
    columns=(
        Column("grant_reference", "text", True, max_length=60,
               description="the grant the money came from (every pound traces to a grant)"),
        Column("fy", "text", True, max_length=7, description="financial year, e.g. 2024-25"),
        Column("quarter", "int", True, min=1, max=4, description="1 = Apr-Jun ... 4 = Jan-Mar"),
        Column("category", "code", True, CATEGORY_CODES, description="kind of spend"),
        Column("intervention_code", "text", max_length=40,
               description="intervention (required for DELIVERY)"),
        Column("amount", "text", True, max_length=20,
               description="pounds, at most 2 decimal places, e.g. 1250.50"),
        Column("over_allocation_reason", "text", max_length=300,
               description="why spend beyond the grant was agreed (flags it)"),
        Column("description", "text", max_length=300, description="what the money paid for"),
    ),
    checks=(
        Check("amount", f"({PENCE_SQL}) IS NULL",
              "not an amount in pounds (digits, at most 2 decimal places)"),
        Check("amount", f"({PENCE_SQL}) <= 0", "must be more than zero"),
        Check("fy", f"NOT ({_FY_OK})", "not a financial year (e.g. 2024-25)"),
        Check("grant_reference", f"{_GRANT.format(col='1')} IS NULL",
              "no such grant: every pound of spend must trace to a grant"),
        Check("fy", f"{_GRANT.format(col='g.fy')} <> v_fy",
              "outside the grant's financial year (money cannot be spent after 31 March)"),
        UNKNOWN_IV,
        Check("intervention_code", "v_category = 'DELIVERY' AND v_intervention_code IS NULL",
              "required for DELIVERY spend"),
        Check("amount", f"v_over_allocation_reason IS NULL AND ({PENCE_SQL}) > 0 AND "
              f"sum({PENCE_SQL}) OVER (PARTITION BY v_grant_reference ORDER BY file_id, "
              f"row_number) > {_LEFT}",
              "over the grant's allocation: give over_allocation_reason to record it flagged"),
    ),
    load=lambda ctx: inserted(ctx.con, f"""
        INSERT INTO fund_spend
        SELECT nextval('fund_spend_seq'), g.grant_id, i.intervention_id, lower(h.v_category),
               h.v_fy, h.v_quarter, {PENCE_SQL.replace('v_amount', 'h.v_amount')},
               h.v_over_allocation_reason, h.v_description, now(), 'import {ctx.import_id}',
               h.file_id, h.row_number, {ctx.import_id}
        FROM hub_ok h JOIN fund_grants g ON g.reference = h.v_grant_reference
        LEFT JOIN prog_interventions i ON i.code = h.v_intervention_code"""),
    # Financial records, not personal data: kept (the date is never before a cutoff).
    retention=(RetentionTarget("fund_spend", "DATE '9999-12-31'"),),
)

PROGRAMME = Source(name="programme", title="Programme provider returns",
                   # attendance first: retention purges its sessions while their referrals
                   # are still there to say when they ended
                   contracts=(ATTENDANCE, REFERRALS, REACH, SPEND))
