"""GPS tagging results: trail-to-crime matches (with their evidence), zone-breach and no-signal
episodes, the alert list with its history, and the record of each run.

Every time is stored in UTC (``*_utc``, TIMESTAMP without zone); partner files give UK local
time and the analysis converts it (vru.clock). Every result row carries
``expires_on``: the day it must be gone by, from the retention of the data it was derived from.
"""

SQL = """
CREATE SEQUENCE IF NOT EXISTS tag_run_seq START 1;
CREATE SEQUENCE IF NOT EXISTS tag_alert_seq START 1;

CREATE TABLE tag_runs (
    run_id       BIGINT PRIMARY KEY,
    kind         VARCHAR NOT NULL,      -- match | breaches
    mode         VARCHAR NOT NULL,      -- full | incremental
    created_at   TIMESTAMP NOT NULL,
    user_name    VARCHAR,
    params       JSON NOT NULL,
    summary      JSON,
    imports      BIGINT[]               -- import ids (pings, people, zones, crimes) included
);

CREATE TABLE tag_matches (
    crime_id          VARCHAR NOT NULL,
    person_pid        VARCHAR NOT NULL,
    closest_m         DOUBLE NOT NULL,  -- closest approach of the (interpolated) trail
    accuracy_m        DOUBLE,           -- fix accuracy at the closest approach
    nearest_fix_min   DOUBLE,           -- minutes from the closest approach to the nearest fix
    minutes_within    DOUBLE NOT NULL,  -- time within D (+ accuracy) during the window
    first_seen_utc    TIMESTAMP NOT NULL,
    last_seen_utc     TIMESTAMP NOT NULL,
    closest_at_utc    TIMESTAMP NOT NULL,
    window_from_utc   TIMESTAMP NOT NULL,  -- the crime's window, before widening by T
    window_to_utc     TIMESTAMP NOT NULL,
    crime_easting     DOUBLE,
    crime_northing    DOUBLE,
    expires_on        DATE,
    run_id            BIGINT NOT NULL
);

-- Tagged people whose whereabouts are unknown during a crime's window (a silence longer than the
-- maximum gap, with the scene within reach): "unknown", never "not there".
CREATE TABLE tag_unknowns (
    crime_id        VARCHAR NOT NULL,
    person_pid      VARCHAR NOT NULL,
    gap_from_utc    TIMESTAMP NOT NULL,
    gap_to_utc      TIMESTAMP NOT NULL,
    nearest_fix_m   DOUBLE NOT NULL,   -- from the scene to the nearer fix either side
    expires_on      DATE,
    run_id          BIGINT NOT NULL
);

-- The fixes either side of each matching stretch of trail, and the closest interpolated point.
CREATE TABLE tag_match_evidence (
    crime_id        VARCHAR NOT NULL,
    person_pid      VARCHAR NOT NULL,
    fix0_utc        TIMESTAMP NOT NULL,
    fix0_e          DOUBLE NOT NULL,
    fix0_n          DOUBLE NOT NULL,
    fix0_accuracy_m DOUBLE,
    fix1_utc        TIMESTAMP NOT NULL,
    fix1_e          DOUBLE NOT NULL,
    fix1_n          DOUBLE NOT NULL,
    fix1_accuracy_m DOUBLE,
    interpolated    BOOLEAN NOT NULL,   -- false: a single fix (next one too far in time/speed)
    closest_utc     TIMESTAMP NOT NULL,
    closest_e       DOUBLE NOT NULL,
    closest_n       DOUBLE NOT NULL,
    closest_m       DOUBLE NOT NULL,
    expires_on      DATE,
    run_id          BIGINT NOT NULL
);

CREATE TABLE tag_episodes (
    person_pid     VARCHAR NOT NULL,
    zone_id        VARCHAR,             -- NULL for no-signal episodes
    kind           VARCHAR NOT NULL,    -- exclusion | inclusion | no_signal
    start_utc      TIMESTAMP NOT NULL,
    end_utc        TIMESTAMP NOT NULL,
    minutes        DOUBLE NOT NULL,
    max_depth_m    DOUBLE,              -- furthest inside (exclusion) / away from (inclusion)
    fixes          INTEGER NOT NULL,    -- fixes in the episode
    clear_fixes    INTEGER NOT NULL,    -- of which clearly on the wrong side (beyond accuracy)
    severity       VARCHAR NOT NULL,    -- high | medium
    expires_on     DATE,
    run_id         BIGINT NOT NULL
);

-- One alert per episode (keyed by person, zone, kind and start), with its state.
CREATE TABLE tag_alerts (
    alert_id     BIGINT PRIMARY KEY,
    person_pid   VARCHAR NOT NULL,
    zone_id      VARCHAR,
    kind         VARCHAR NOT NULL,
    start_utc    TIMESTAMP NOT NULL,
    state        VARCHAR NOT NULL,      -- raised | acknowledged | actioned | closed
    raised_at    TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    updated_by   VARCHAR,
    expires_on   DATE
);

CREATE TABLE tag_alert_events (
    alert_id     BIGINT NOT NULL,
    event_at     TIMESTAMP NOT NULL,
    user_name    VARCHAR NOT NULL,
    from_state   VARCHAR NOT NULL,
    to_state     VARCHAR NOT NULL,
    note         VARCHAR NOT NULL,
    expires_on   DATE
);
"""


def up(con) -> None:
    con.execute(SQL)
