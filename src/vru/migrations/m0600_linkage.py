"""Record linkage: match features made at the door, models, runs, person_links.

``match_features`` holds one row per person-bearing record (keyed HMAC features only, see
vru.privacy.matchkeys; never a raw value). ``record_key`` = file_id * 100,000,000 + row_number.
``linkage_models`` keeps each trained model as specification version + parameters (JSON), so it
re-renders for DuckDB or Spark. ``person_links`` maps each record to its linked person
(``person_id``) with the match probability and model version; ``pid`` is the record's own
identifier pseudonym (what other capabilities join on). ``linkage_pairs`` keeps the scored pairs
of the latest run (for explanations and the quality page).
"""

FEATURES = """
CREATE TABLE match_features (
    record_key     BIGINT PRIMARY KEY,
    source         VARCHAR NOT NULL,
    kind           VARCHAR NOT NULL,
    file_id        BIGINT NOT NULL,
    row_number     BIGINT NOT NULL,
    import_id      BIGINT NOT NULL,
    event_date     DATE,
    pid            VARCHAR,
    pnc_pid        VARCHAR,
    nhs_pid        VARCHAR,
    upn_pid        VARCHAR,
    sex            VARCHAR,
    home_lsoa      VARCHAR,
    fn_h BIGINT, fn_c BIGINT, fn_tok BIGINT[], fn_ph BIGINT[], fn_dm1 BIGINT,
    sn_h BIGINT, sn_tok BIGINT[], sn_ph BIGINT[], sn_dm1 BIGINT,
    dob_h BIGINT, dob_sw BIGINT, dob_y BIGINT, dob_m BIGINT, dob_d BIGINT,
    pc_sector_h BIGINT, pc_district_h BIGINT,
    fn_bf0 BIGINT, fn_bf1 BIGINT, fn_bf2 BIGINT, fn_bf3 BIGINT, fn_bfn INTEGER,
    sn_bf0 BIGINT, sn_bf1 BIGINT, sn_bf2 BIGINT, sn_bf3 BIGINT, sn_bfn INTEGER,
    feature_version VARCHAR NOT NULL
);
"""

SQL = """
CREATE SEQUENCE IF NOT EXISTS linkage_run_seq START 1;

CREATE TABLE linkage_models (
    model_version   INTEGER PRIMARY KEY,
    created_at      TIMESTAMP NOT NULL,
    created_by      VARCHAR,
    spec_version    VARCHAR NOT NULL,
    feature_version VARCHAR NOT NULL,
    bloom           BOOLEAN NOT NULL,
    records_trained BIGINT NOT NULL,
    params          JSON NOT NULL,      -- lambda and each level's m and u
    seconds         DOUBLE
);

CREATE TABLE linkage_runs (
    run_id          BIGINT PRIMARY KEY,
    run_at          TIMESTAMP NOT NULL,
    user_name       VARCHAR,
    kind            VARCHAR NOT NULL,   -- full | incremental
    engine          VARCHAR NOT NULL,   -- duckdb | spark
    model_version   INTEGER NOT NULL,
    threshold       DOUBLE NOT NULL,
    records         BIGINT NOT NULL,
    new_records     BIGINT NOT NULL,
    persons         BIGINT NOT NULL,
    pairs           BIGINT NOT NULL,
    changes         JSON,               -- persons kept/new/merged/split against the previous run
    seconds         JSON
);

CREATE TABLE person_links (
    record_key        BIGINT PRIMARY KEY,
    source            VARCHAR NOT NULL,
    file_id           BIGINT NOT NULL,
    row_number        BIGINT NOT NULL,
    event_date        DATE,
    pid               VARCHAR,
    person_id         VARCHAR NOT NULL,
    match_probability DOUBLE,           -- best link to another record of the person (NULL: alone)
    model_version     INTEGER NOT NULL,
    run_id            BIGINT NOT NULL
);

CREATE TABLE linkage_pairs (
    record_key_l      BIGINT NOT NULL,
    record_key_r      BIGINT NOT NULL,
    match_weight      DOUBLE NOT NULL,
    match_probability DOUBLE NOT NULL,
    run_id            BIGINT NOT NULL
);
"""


def up(con) -> None:
    con.execute(FEATURES)
    con.execute(SQL)
