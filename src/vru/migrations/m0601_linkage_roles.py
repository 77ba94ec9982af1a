"""Record linkage: a row may carry more than one person (a police crime's suspect and its
victim; docs/guide/linkage.md). ``role`` names the person on the row: NULL for the row's first
(or only) person, e.g. 'victim' for a further one, whose ``record_key`` is
file_id * 100,000,000 + 50,000,000 + row_number. Referrals typed in the programme's web form
have no file: their records are ``file_id`` 0 and ``row_number`` = referral_id."""

SQL = """
ALTER TABLE match_features ADD COLUMN role VARCHAR;
ALTER TABLE person_links ADD COLUMN role VARCHAR;
"""


def up(con) -> None:
    con.execute(SQL)
