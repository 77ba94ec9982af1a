"""Victims and suspects in force extracts: the victim's and suspect's ethnicity (ONS five
groups), the suspect's age and sex, on ``crimes`` (NULL for data.police.uk rows, which carry
none). ``crimes_geo`` is re-created so that it lists the new columns."""

from vru.migrations.m0001_core import VIEWS

SQL = """
ALTER TABLE crimes ADD COLUMN IF NOT EXISTS victim_ethnicity VARCHAR;
ALTER TABLE crimes ADD COLUMN IF NOT EXISTS suspect_age INTEGER;
ALTER TABLE crimes ADD COLUMN IF NOT EXISTS suspect_sex VARCHAR;
ALTER TABLE crimes ADD COLUMN IF NOT EXISTS suspect_ethnicity VARCHAR;
"""


def up(con) -> None:
    con.execute(SQL)
    con.execute(VIEWS)
