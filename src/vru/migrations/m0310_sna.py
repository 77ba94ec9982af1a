"""Strategic Needs Assessment: the partnership's narrative sections (every edit kept as a new
version, with its author and time) and the sign-off record of each SNA."""

SQL = """
CREATE TABLE IF NOT EXISTS sna_narratives (
    area_key    VARCHAR NOT NULL,
    period      VARCHAR NOT NULL,
    section     VARCHAR NOT NULL,
    version     INTEGER NOT NULL,
    body        VARCHAR NOT NULL,
    author      VARCHAR NOT NULL,
    written_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (area_key, period, section, version)
);
CREATE TABLE IF NOT EXISTS sna_signoffs (
    area_key    VARCHAR NOT NULL,
    period      VARCHAR NOT NULL,
    version     VARCHAR NOT NULL,
    signed_by   VARCHAR NOT NULL,
    role        VARCHAR NOT NULL,
    signed_at   TIMESTAMP NOT NULL,
    review_date DATE NOT NULL,
    PRIMARY KEY (area_key, period, version)
);
"""


def up(con) -> None:
    con.execute(SQL)
