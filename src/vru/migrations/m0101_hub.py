"""Data hub: data-sharing agreements, key fingerprint, retention log and partner tables.

Identifiers are stored only as pseudonyms (``*_pid``: keyed HMAC, see vru.privacy.pseudonymise).
Every partner row carries its provenance (file_id, row_number, import_id) like the crimes table.
Force (RMS) extracts load into ``crimes`` (source = 'police_rms'), not here.
"""

# The columns of a GPS fix, shared by the tagged people's and the patrols' pings.
GPS_FIX = """    ping_at           TIMESTAMP NOT NULL,
    longitude         DOUBLE NOT NULL,
    latitude          DOUBLE NOT NULL,
    easting           DOUBLE,
    northing          DOUBLE,
    accuracy_m        DOUBLE,
    file_id           BIGINT NOT NULL,
    row_number        BIGINT NOT NULL,
    import_id         BIGINT NOT NULL
"""

SQL = """
CREATE SEQUENCE IF NOT EXISTS agreement_seq START 1;
CREATE SEQUENCE IF NOT EXISTS retention_seq START 1;

CREATE TABLE sharing_agreements (
    agreement_id     BIGINT PRIMARY KEY,
    source           VARCHAR NOT NULL,
    owning_agency    VARCHAR NOT NULL,
    legal_basis      VARCHAR NOT NULL,
    purposes         VARCHAR[] NOT NULL,
    retention_months INTEGER NOT NULL,
    reference        VARCHAR,
    valid_from       DATE,
    valid_to         DATE,
    created_at       TIMESTAMP NOT NULL,
    created_by       VARCHAR
);

-- A one-way check value of the pseudonymisation key (never the key itself).
CREATE TABLE pseudonym_key (
    fingerprint   VARCHAR NOT NULL,
    first_used_at TIMESTAMP NOT NULL
);

CREATE TABLE retention_runs (
    run_id        BIGINT NOT NULL,
    run_at        TIMESTAMP NOT NULL,
    user_name     VARCHAR,
    source        VARCHAR NOT NULL,
    agreement_id  BIGINT,
    retention_months INTEGER NOT NULL,
    table_name    VARCHAR NOT NULL,
    cutoff        DATE NOT NULL,          -- rows with event date before this are purged
    rows_purged   BIGINT NOT NULL,
    rejects_purged BIGINT NOT NULL,
    files_purged  BIGINT NOT NULL,
    dry_run       BOOLEAN NOT NULL
);

-- Emergency department assaults (ISTV, ISB 1594).
CREATE TABLE ed_assaults (
    site_code            VARCHAR NOT NULL,
    period_start         DATE NOT NULL,
    period_end           DATE NOT NULL,
    record_ref           VARCHAR,
    arrival_at           TIMESTAMP,
    assault_at           TIMESTAMP NOT NULL,
    assault_method       VARCHAR NOT NULL,
    assault_method_other VARCHAR,
    location_type        VARCHAR NOT NULL,
    location_description VARCHAR,
    age_band             VARCHAR,
    sex                  VARCHAR,
    longitude            DOUBLE,
    latitude             DOUBLE,
    easting              DOUBLE,
    northing             DOUBLE,
    cell_e               INTEGER,
    cell_n               INTEGER,
    postcode             VARCHAR,
    lsoa_code            VARCHAR,
    geo_method           VARCHAR NOT NULL,  -- coordinates | postcode | lsoa | none (site level)
    flags                VARCHAR[],
    file_id              BIGINT NOT NULL,
    row_number           BIGINT NOT NULL,
    import_id            BIGINT NOT NULL
);

-- Hospital admissions (HES-like).
CREATE TABLE hospital_admissions (
    patient_pid       VARCHAR,
    admission_date    DATE NOT NULL,
    discharge_date    DATE,
    provider_code     VARCHAR,
    icd10_cause       VARCHAR NOT NULL,
    assault           BOOLEAN NOT NULL,   -- ICD-10 X85-Y09
    sharp_object      BOOLEAN NOT NULL,   -- ICD-10 X99
    age               INTEGER,
    sex               VARCHAR,
    lsoa_code         VARCHAR,
    flags             VARCHAR[],
    file_id           BIGINT NOT NULL,
    row_number        BIGINT NOT NULL,
    import_id         BIGINT NOT NULL
);

-- School exclusions and suspensions.
CREATE TABLE education_exclusions (
    pupil_pid         VARCHAR NOT NULL,
    school_urn        VARCHAR NOT NULL,
    event_date        DATE NOT NULL,
    exclusion_type    VARCHAR NOT NULL,   -- PERMANENT | SUSPENSION
    reason_code       VARCHAR NOT NULL,
    sessions          INTEGER,
    year_group        VARCHAR,
    lsoa_code         VARCHAR,
    flags             VARCHAR[],
    file_id           BIGINT NOT NULL,
    row_number        BIGINT NOT NULL,
    import_id         BIGINT NOT NULL
);

-- Youth justice: first-time entrants and outcomes.
CREATE TABLE youth_justice_events (
    person_pid        VARCHAR NOT NULL,
    pid_kind          VARCHAR NOT NULL,   -- pnc_id | name_dob
    event_type        VARCHAR NOT NULL,   -- FTE | OUTCOME
    event_date        DATE NOT NULL,
    offence_code      VARCHAR,
    offence_description VARCHAR,
    outcome_code      VARCHAR,
    age               INTEGER NOT NULL,
    sex               VARCHAR,
    lsoa_code         VARCHAR,
    flags             VARCHAR[],
    file_id           BIGINT NOT NULL,
    row_number        BIGINT NOT NULL,
    import_id         BIGINT NOT NULL
);

-- Probation / electronic monitoring.
CREATE TABLE em_people (
    person_pid        VARCHAR NOT NULL,
    order_type        VARCHAR NOT NULL,
    start_date        DATE NOT NULL,
    end_date          DATE,
    flags             VARCHAR[],
    file_id           BIGINT NOT NULL,
    row_number        BIGINT NOT NULL,
    import_id         BIGINT NOT NULL
);
CREATE TABLE em_pings (
    person_pid        VARCHAR NOT NULL,
{GPS_FIX});
CREATE TABLE em_zones (
    person_pid        VARCHAR NOT NULL,
    zone_id           VARCHAR NOT NULL,
    zone_type         VARCHAR NOT NULL,   -- EXCLUSION | INCLUSION
    polygon_wkt       VARCHAR NOT NULL,   -- WGS84 lon/lat
    active_from       DATE NOT NULL,
    active_to         DATE,
    days              VARCHAR NOT NULL,   -- e.g. MON,TUE or ALL
    start_time        TIME,
    end_time          TIME,
    flags             VARCHAR[],
    file_id           BIGINT NOT NULL,
    row_number        BIGINT NOT NULL,
    import_id         BIGINT NOT NULL
);

-- Patrols: GPS pings and patrol logs.
CREATE TABLE patrol_pings (
    patrol_id         VARCHAR NOT NULL,
{GPS_FIX});
CREATE TABLE patrol_logs (
    patrol_id         VARCHAR NOT NULL,
    started_at        TIMESTAMP NOT NULL,
    ended_at          TIMESTAMP NOT NULL,
    longitude         DOUBLE,
    latitude          DOUBLE,
    easting           DOUBLE,
    northing          DOUBLE,
    hotspot_id        VARCHAR,
    activity          VARCHAR,
    flags             VARCHAR[],
    file_id           BIGINT NOT NULL,
    row_number        BIGINT NOT NULL,
    import_id         BIGINT NOT NULL
);
"""

SQL = SQL.replace("{GPS_FIX}", GPS_FIX)


def up(con) -> None:
    con.execute(SQL)
