"""Hotspot runs: every hotspot analysis records its parameters, the data it used and where its
outputs went, so a map or a patrol plan can be traced back and re-run."""

SQL = """
CREATE SEQUENCE IF NOT EXISTS hotspot_run_seq START 1;

CREATE TABLE hotspot_runs (
    run_id      BIGINT PRIMARY KEY,
    kind        VARCHAR NOT NULL,     -- concentration, gistar, emerging, nearrepeat, backtest,
                                      -- plan, dosage
    created_at  TIMESTAMP NOT NULL,
    user_name   VARCHAR,
    command     VARCHAR,
    params      JSON NOT NULL,        -- every parameter the analysis used
    data        JSON NOT NULL,        -- the data used: table, filters, rows, months, files + sha256
    summary     JSON,                 -- headline results
    outputs     VARCHAR[]             -- files written
);
"""


def up(con) -> None:
    con.execute(SQL)
