"""People in the programme: pseudonyms at the door, and one key per person.

A referral's person is identified by whatever the referrer has (NHS number, PNC ID, unique pupil
number, or forename + surname + date of birth). Each is replaced by the workspace's keyed HMAC
(``vru.privacy.pseudonymise``) before anything is written; every pseudonym is kept in
``prog_referral_ids`` so outcomes can be found in each source by its own identifier.

``person_key_sql`` is the hook for record linkage (#15): when the workspace has a
``person_links`` table mapping pseudonyms to a linked person, two referrals of one person under
different identifiers count as one person; until then a person is their preferred pseudonym.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from vru.privacy.pseudonymise import IdentifierError, Pseudonymiser, load_key
from vru.programme.model import ProgrammeError

# Preference when a referral carries several identifiers (the most reliable first).
KIND_ORDER = ("nhs_number", "pnc_id", "upn", "name_dob")


@dataclass
class PersonIds:
    """Raw identifiers as typed or read. Never stored, logged or shown."""

    nhs_number: str | None = None
    pnc_id: str | None = None
    upn: str | None = None
    forename: str | None = None
    surname: str | None = None
    date_of_birth: str | None = None

    def __repr__(self) -> str:  # never print identifiers
        return "PersonIds(<withheld>)"


def check_key(con, pseudo: Pseudonymiser) -> None:
    """Refuse a key that differs from the one the workspace's pseudonyms were made with (the
    data hub's import engine applies the same rule)."""
    row = con.execute("SELECT fingerprint FROM pseudonym_key LIMIT 1").fetchone()
    if row is None:
        con.execute("INSERT INTO pseudonym_key VALUES (?, ?)", [pseudo.fingerprint, datetime.now()])
    elif row[0] != pseudo.fingerprint:
        raise ProgrammeError("the pseudonymisation key differs from the one this workspace's "
                             "data was pseudonymised with (fingerprint mismatch)")


def pseudonymiser(ws, key: bytes | None = None) -> Pseudonymiser:
    return Pseudonymiser(key if key is not None else load_key(ws.path))


def pseudonyms(pseudo: Pseudonymiser, ids: PersonIds) -> list[tuple[str, str]]:
    """[(kind, pseudonym)] in preference order; ProgrammeError naming the field (never the value)
    when one is malformed or none is given."""
    out: list[tuple[str, str]] = []
    for kind, values, label in (
            ("nhs_number", (ids.nhs_number,), "NHS number"),
            ("pnc_id", (ids.pnc_id,), "PNC ID"),
            ("upn", (ids.upn,), "unique pupil number"),
            ("name_dob", (ids.forename, ids.surname, ids.date_of_birth),
             "forename + surname + date of birth")):
        try:
            pid = pseudo.pseudonym(kind, *values)
        except IdentifierError as exc:
            raise ProgrammeError(f"{label}: {exc}") from None
        if pid is not None:
            out.append((kind, pid))
    if not out:
        raise ProgrammeError("no identifier: give an NHS number, PNC ID, unique pupil number, "
                             "or forename + surname + date of birth")
    return out


def has_person_links(con) -> bool:
    cols = {r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'person_links'"
    ).fetchall()}
    return {"pid", "person_id"} <= cols


def person_key_sql(con) -> str:
    """SQL for a relation (referral_id, person_key): one key per person across referrals.

    With ``person_links(pid, person_id)`` (record linkage), a referral's person is the linked
    person of any of its pseudonyms; otherwise the referral's preferred pseudonym."""
    if has_person_links(con):
        return ("SELECT r.referral_id, coalesce(min(l.person_id::VARCHAR), r.person_pid) "
                "AS person_key FROM prog_referrals r "
                "LEFT JOIN prog_referral_ids i USING (referral_id) "
                "LEFT JOIN person_links l ON l.pid = i.pid GROUP BY r.referral_id, r.person_pid")
    return "SELECT referral_id, person_pid AS person_key FROM prog_referrals"
