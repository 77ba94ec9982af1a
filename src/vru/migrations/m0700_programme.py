"""The programme and its money: interventions, referrals, attendance, reach, and the funding
ledger from the Home Office to the front line (docs/guide/programme.md, docs/guide/funding.md).

People appear only as pseudonyms (keyed HMAC, vru.privacy.pseudonymise). Money is stored as
whole pence (BIGINT), never as floating point. Referrals carry a ``version`` for optimistic
concurrency: an update names the version it read and is refused when the row has moved on.
"""

SQL = """
CREATE SEQUENCE IF NOT EXISTS prog_provider_seq START 1;
CREATE SEQUENCE IF NOT EXISTS prog_intervention_seq START 1;
CREATE SEQUENCE IF NOT EXISTS prog_referral_seq START 1;
CREATE SEQUENCE IF NOT EXISTS fund_body_seq START 1;
CREATE SEQUENCE IF NOT EXISTS fund_grant_seq START 1;
CREATE SEQUENCE IF NOT EXISTS fund_commitment_seq START 1;
CREATE SEQUENCE IF NOT EXISTS fund_spend_seq START 1;

-- The YEF Toolkit as published, versioned (vru.programme.toolkit).
CREATE TABLE prog_toolkit (
    version          VARCHAR NOT NULL,
    strand           VARCHAR NOT NULL,
    title            VARCHAR NOT NULL,
    band             VARCHAR NOT NULL,   -- HIGH | MODERATE | LOW | NO_CLEAR_EVIDENCE |
                                         -- INSUFFICIENT | HARMFUL | NOT_RECORDED
    impact_pct       DOUBLE,             -- published point estimate (% less violence), if any
    evidence_quality INTEGER,            -- 1-5 as published, NULL when not recorded
    cost_rating      INTEGER,            -- 1-3 as published, NULL when not recorded
    note             VARCHAR,
    source           VARCHAR NOT NULL,
    as_of            DATE NOT NULL,
    PRIMARY KEY (version, strand)
);

CREATE TABLE prog_providers (
    provider_id  BIGINT PRIMARY KEY,
    name         VARCHAR NOT NULL UNIQUE,   -- also the agency of the provider's web users
    kind         VARCHAR,                   -- charity | local authority | police | NHS | other
    created_at   TIMESTAMP NOT NULL
);

CREATE TABLE prog_interventions (
    intervention_id   BIGINT PRIMARY KEY,
    code              VARCHAR NOT NULL UNIQUE,
    name              VARCHAR NOT NULL,
    theme             VARCHAR NOT NULL,      -- one of settings.programme.themes
    prevention_level  VARCHAR NOT NULL,      -- primary | secondary | tertiary
    yef_strand        VARCHAR NOT NULL,      -- prog_toolkit.strand
    toolkit_version   VARCHAR NOT NULL,
    setting           VARCHAR,               -- community | school | custody | hospital | ...
    delivery          VARCHAR NOT NULL,      -- one_to_one | group | universal
    provider_id       BIGINT NOT NULL,
    areas             VARCHAR[] NOT NULL,    -- local authority / area names served
    start_date        DATE NOT NULL,
    end_date          DATE,
    capacity          INTEGER,               -- places
    cost_per_place_pence BIGINT,
    evaluation_status VARCHAR,
    created_at        TIMESTAMP NOT NULL
);

-- One row per referral; the current status with its date. History in prog_referral_events.
CREATE TABLE prog_referrals (
    referral_id       BIGINT PRIMARY KEY,
    provider_ref      VARCHAR,               -- the provider's own reference (imports)
    intervention_id   BIGINT NOT NULL,
    person_pid        VARCHAR NOT NULL,      -- preferred pseudonym (see prog_referral_ids)
    pid_kind          VARCHAR NOT NULL,
    referring_agency  VARCHAR NOT NULL,
    referral_date     DATE NOT NULL,
    reasons           VARCHAR[] NOT NULL,
    status            VARCHAR NOT NULL,      -- received | assessed | accepted | declined |
                                             -- engaged | completed | disengaged
    status_date       DATE NOT NULL,
    status_reason     VARCHAR,
    age               INTEGER,               -- age in years at referral
    sex               VARCHAR,               -- M | F | X | U
    ethnicity         VARCHAR,               -- ONS 5 groups: WHITE | MIXED | ASIAN | BLACK |
                                             -- OTHER | UNKNOWN
    area              VARCHAR,               -- local authority / area of residence
    lsoa_code         VARCHAR,
    engaged_date      DATE,                  -- first day engaged (start of the intervention)
    ended_date        DATE,                  -- completed / disengaged / declined on
    version           INTEGER NOT NULL,      -- optimistic concurrency
    source            VARCHAR NOT NULL,      -- form | import
    created_at        TIMESTAMP NOT NULL,
    created_by        VARCHAR,
    updated_at        TIMESTAMP NOT NULL,
    updated_by        VARCHAR,
    file_id           BIGINT,
    row_number        BIGINT,
    import_id         BIGINT
);

-- Every pseudonym known for a referral's person (one per identifier kind), so outcomes can be
-- found in each source by its own identifier; person_links (record linkage) joins them further.
CREATE TABLE prog_referral_ids (
    referral_id  BIGINT NOT NULL,
    pid_kind     VARCHAR NOT NULL,
    pid          VARCHAR NOT NULL
);

CREATE TABLE prog_referral_events (
    referral_id  BIGINT NOT NULL,
    seq          INTEGER NOT NULL,
    from_status  VARCHAR,
    to_status    VARCHAR NOT NULL,
    event_date   DATE NOT NULL,
    reason       VARCHAR,
    actor        VARCHAR,
    recorded_at  TIMESTAMP NOT NULL
);

-- One-to-one sessions.
CREATE TABLE prog_attendance (
    referral_id   BIGINT NOT NULL,
    session_date  DATE NOT NULL,
    attended      BOOLEAN NOT NULL,
    minutes       INTEGER,
    recorded_by   VARCHAR,
    file_id       BIGINT,
    row_number    BIGINT,
    import_id     BIGINT
);

-- Aggregate reach of universal and community activity (no person-level data).
CREATE TABLE prog_reach (
    intervention_id BIGINT NOT NULL,
    month           DATE NOT NULL,
    age_band        VARCHAR NOT NULL,
    sex             VARCHAR NOT NULL,
    ethnicity       VARCHAR NOT NULL,
    area            VARCHAR NOT NULL,
    people          INTEGER NOT NULL,
    file_id         BIGINT,
    row_number      BIGINT,
    import_id       BIGINT
);

-- Funding ledger -------------------------------------------------------------------------------
CREATE TABLE fund_bodies (
    body_id     BIGINT PRIMARY KEY,
    name        VARCHAR NOT NULL UNIQUE,
    kind        VARCHAR NOT NULL,          -- home_office | pcc | local_authority | provider |
                                           -- yef | other
    created_at  TIMESTAMP NOT NULL
);

-- A grant from a funder to a recipient for one financial year. A grant with a parent is money
-- devolved from the parent's recipient (HO -> PCC -> LA -> provider).
CREATE TABLE fund_grants (
    grant_id          BIGINT PRIMARY KEY,
    parent_grant_id   BIGINT,
    reference         VARCHAR NOT NULL UNIQUE,
    funder_id         BIGINT NOT NULL,
    recipient_id      BIGINT NOT NULL,
    stream            VARCHAR NOT NULL,      -- vru_core | svd | grip | hotspot | yef | other
    fy                VARCHAR NOT NULL,      -- financial year, e.g. 2024-25
    amount_pence      BIGINT NOT NULL,
    match_pence       BIGINT NOT NULL,       -- match funding the recipient adds
    carry_over_allowed BOOLEAN NOT NULL,
    conditions        JSON NOT NULL,         -- [{"kind": ..., "value": ...}]
    agreement_signed  DATE,
    created_at        TIMESTAMP NOT NULL,
    created_by        VARCHAR
);

CREATE TABLE fund_commitments (
    commitment_id    BIGINT PRIMARY KEY,
    grant_id         BIGINT NOT NULL,
    intervention_id  BIGINT,
    amount_pence     BIGINT NOT NULL,
    committed_on     DATE NOT NULL,
    description      VARCHAR,
    created_at       TIMESTAMP NOT NULL,
    created_by       VARCHAR
);

CREATE TABLE fund_spend (
    spend_id         BIGINT PRIMARY KEY,
    grant_id         BIGINT NOT NULL,
    intervention_id  BIGINT,                 -- NULL for non-delivery spend (e.g. coordination)
    category         VARCHAR NOT NULL,       -- delivery | evaluation | testing | coordination
    fy               VARCHAR NOT NULL,
    quarter          INTEGER NOT NULL,       -- 1 = Apr-Jun ... 4 = Jan-Mar
    amount_pence     BIGINT NOT NULL,
    over_allocation_reason VARCHAR,          -- the flag: spend beyond the grant, with why
    description      VARCHAR,
    created_at       TIMESTAMP NOT NULL,
    created_by       VARCHAR,
    file_id          BIGINT,
    row_number       BIGINT,
    import_id        BIGINT
);

-- Underspend carried into the next financial year (only where the grant allows it).
CREATE TABLE fund_carry_forward (
    grant_id      BIGINT NOT NULL,
    to_grant_id   BIGINT NOT NULL,
    amount_pence  BIGINT NOT NULL,
    reason        VARCHAR NOT NULL,
    approved_by   VARCHAR NOT NULL,
    created_at    TIMESTAMP NOT NULL
);
"""


def up(con) -> None:
    con.execute(SQL)
    from vru.programme.toolkit import V2025, seed_rows

    con.executemany("INSERT INTO prog_toolkit VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", seed_rows(V2025))
