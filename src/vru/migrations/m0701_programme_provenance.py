"""Programme: provenance on referral pseudonyms and events, so that retention can purge a
provider return's referrals together with everything derived from them."""

SQL = """
ALTER TABLE prog_referral_ids ADD COLUMN file_id BIGINT;
ALTER TABLE prog_referral_events ADD COLUMN file_id BIGINT;
"""


def up(con) -> None:
    con.execute(SQL)
