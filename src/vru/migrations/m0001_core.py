"""Core tables: provenance (imports, files, replacements), rejects, and the police.uk tables."""

SQL = """
CREATE SEQUENCE IF NOT EXISTS import_seq START 1;
CREATE SEQUENCE IF NOT EXISTS file_seq START 1;

CREATE TABLE imports (
    import_id     BIGINT PRIMARY KEY,
    source        VARCHAR NOT NULL,      -- police_uk, police_rms, istv, ...
    started_at    TIMESTAMP NOT NULL,
    finished_at   TIMESTAMP,
    user_name     VARCHAR,
    command       VARCHAR,
    files_seen    INTEGER,
    files_loaded  INTEGER,
    files_skipped INTEGER,
    files_replaced INTEGER,
    rows_read     BIGINT,
    rows_loaded   BIGINT,
    rows_rejected BIGINT
);

-- One row per file ever loaded. status: active | replaced | purged.
CREATE TABLE source_files (
    file_id       BIGINT PRIMARY KEY,
    import_id     BIGINT NOT NULL,
    source        VARCHAR NOT NULL,
    kind          VARCHAR NOT NULL,      -- street, outcomes, stop_search, ...
    path          VARCHAR NOT NULL,      -- where it was read from (ZIP member as zip!member)
    name          VARCHAR NOT NULL,
    sha256        VARCHAR NOT NULL,
    partition_key VARCHAR,               -- e.g. street/bedfordshire/2021-05: a re-issue replaces it
    force_slug    VARCHAR,
    month         DATE,
    rows_read     BIGINT NOT NULL,
    rows_loaded   BIGINT NOT NULL,
    rows_rejected BIGINT NOT NULL,
    rows_flagged  BIGINT NOT NULL,
    status        VARCHAR NOT NULL,
    loaded_at     TIMESTAMP NOT NULL
);

CREATE TABLE file_replacements (
    old_file_id   BIGINT NOT NULL,
    new_file_id   BIGINT NOT NULL,
    partition_key VARCHAR NOT NULL,
    rows_removed  BIGINT NOT NULL,
    replaced_at   TIMESTAMP NOT NULL
);

-- Rows that could not be loaded, with the reason. raw holds the row as read (JSON object of
-- column -> text); sources that carry personal identifiers must pseudonymise or drop them
-- before writing here.
CREATE TABLE rejects (
    import_id   BIGINT NOT NULL,
    file_id     BIGINT NOT NULL,
    source      VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,
    row_number  BIGINT NOT NULL,         -- 1 = first data row after the header
    field       VARCHAR,
    reason      VARCHAR NOT NULL,
    raw         JSON
);

-- The canonical crimes table: data.police.uk street rows and force (RMS) extracts.
CREATE TABLE crimes (
    source          VARCHAR NOT NULL,    -- police_uk | police_rms
    crime_id        VARCHAR,             -- police.uk Crime ID or force crime reference
    month           DATE NOT NULL,       -- first day of the month the crime falls in
    occurred_from   TIMESTAMP,           -- exact or window start (force extracts)
    occurred_to     TIMESTAMP,
    reported_by     VARCHAR,
    falls_within    VARCHAR,
    longitude       DOUBLE,
    latitude        DOUBLE,
    easting         DOUBLE,              -- British National Grid, EPSG:27700
    northing        DOUBLE,
    cell_e          INTEGER,             -- lower-left corner of the grid cell (settings.grid)
    cell_n          INTEGER,
    location        VARCHAR,
    lsoa_code       VARCHAR,
    lsoa_name       VARCHAR,
    crime_type      VARCHAR NOT NULL,    -- police.uk category (mapped for force extracts)
    last_outcome    VARCHAR,
    context         VARCHAR,
    ho_offence_code VARCHAR,
    victim_age      INTEGER,
    victim_sex      VARCHAR,
    suspect_pid     VARCHAR,             -- pseudonymised identifier
    knife_flag      BOOLEAN,
    domestic_flag   BOOLEAN,
    flags           VARCHAR[],           -- kept-but-noted problems, e.g. no_location
    file_id         BIGINT NOT NULL,
    row_number      BIGINT NOT NULL,
    import_id       BIGINT NOT NULL
);

CREATE TABLE outcomes (
    crime_id      VARCHAR,
    month         DATE NOT NULL,
    reported_by   VARCHAR,
    falls_within  VARCHAR,
    longitude     DOUBLE,
    latitude      DOUBLE,
    easting       DOUBLE,
    northing      DOUBLE,
    location      VARCHAR,
    lsoa_code     VARCHAR,
    lsoa_name     VARCHAR,
    outcome_type  VARCHAR NOT NULL,
    flags         VARCHAR[],
    file_id       BIGINT NOT NULL,
    row_number    BIGINT NOT NULL,
    import_id     BIGINT NOT NULL
);

CREATE TABLE stop_search (
    force_slug        VARCHAR,
    month             DATE NOT NULL,
    search_type       VARCHAR NOT NULL,
    searched_at       TIMESTAMPTZ NOT NULL,
    part_of_operation BOOLEAN,
    operation_name    VARCHAR,
    longitude         DOUBLE,
    latitude          DOUBLE,
    easting           DOUBLE,
    northing          DOUBLE,
    gender            VARCHAR,
    age_range         VARCHAR,
    self_defined_ethnicity   VARCHAR,
    officer_defined_ethnicity VARCHAR,
    legislation       VARCHAR,
    object_of_search  VARCHAR,
    outcome           VARCHAR,
    outcome_linked    BOOLEAN,
    removal_more_than_outer BOOLEAN,
    flags             VARCHAR[],
    file_id           BIGINT NOT NULL,
    row_number        BIGINT NOT NULL,
    import_id         BIGINT NOT NULL
);

-- Geography pack (vru geo import). vintage: 2011 or 2021.
CREATE TABLE geo_lsoa (
    lsoa_code  VARCHAR NOT NULL,
    vintage    INTEGER NOT NULL,
    lsoa_name  VARCHAR,
    lad_code   VARCHAR,
    longitude  DOUBLE,
    latitude   DOUBLE,
    easting    DOUBLE,
    northing   DOUBLE,
    PRIMARY KEY (lsoa_code)
);
CREATE TABLE geo_lad (
    lad_code  VARCHAR PRIMARY KEY,
    lad_name  VARCHAR,
    csp_code  VARCHAR,
    csp_name  VARCHAR,
    pfa_code  VARCHAR,
    pfa_name  VARCHAR
);
CREATE TABLE geo_lsoa_boundary (
    lsoa_code VARCHAR NOT NULL,
    vintage   INTEGER NOT NULL,
    geojson   VARCHAR NOT NULL,          -- geometry, WGS84 lon/lat
    PRIMARY KEY (lsoa_code)
);
CREATE TABLE geo_population (
    area_code  VARCHAR NOT NULL,         -- LSOA21 or LAD code
    area_level VARCHAR NOT NULL,         -- lsoa | lad
    year       INTEGER NOT NULL,
    age_band   VARCHAR NOT NULL,         -- 'all' or a band label
    population DOUBLE NOT NULL
);
CREATE TABLE geo_deprivation (
    lsoa11_code VARCHAR PRIMARY KEY,
    imd_rank    INTEGER,
    imd_decile  INTEGER
);
CREATE TABLE geo_packs (
    loaded_at  TIMESTAMP NOT NULL,
    component  VARCHAR NOT NULL,
    path       VARCHAR NOT NULL,
    sha256     VARCHAR NOT NULL,
    rows       BIGINT NOT NULL
);
"""

VIEWS = """
-- Crimes with their area hierarchy. geo_method says how the local authority was found:
-- 'lookup' (ONS geography pack), 'lsoa_name' (LA name taken from the police.uk LSOA name,
-- no code), or 'none'.
CREATE OR REPLACE VIEW crimes_geo AS
SELECT c.*,
       coalesce(l.lad_code, NULL)                         AS lad_code,
       coalesce(d.lad_name, CASE WHEN c.lsoa_name IS NOT NULL
                THEN regexp_extract(c.lsoa_name, '^(.*) [0-9]{3}[A-Z]$', 1) END) AS lad_name,
       d.csp_code, d.csp_name, d.pfa_code, d.pfa_name,
       l.vintage AS lsoa_vintage,
       CASE WHEN l.lad_code IS NOT NULL THEN 'lookup'
            WHEN c.lsoa_name IS NOT NULL THEN 'lsoa_name'
            ELSE 'none' END                                AS geo_method
FROM crimes c
LEFT JOIN geo_lsoa l ON l.lsoa_code = c.lsoa_code
LEFT JOIN geo_lad d ON d.lad_code = l.lad_code;
"""


def up(con) -> None:
    con.execute(SQL)
    con.execute(VIEWS)
