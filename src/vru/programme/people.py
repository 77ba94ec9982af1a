"""People in the programme: pseudonyms at the door, and one key per person.

A referral's person is identified by whatever the referrer has (NHS number, PNC ID, unique pupil
number, or forename + surname + date of birth). Each is replaced by the workspace's keyed HMAC
(``vru.privacy.pseudonymise``) before anything is written; every pseudonym is kept in
``prog_referral_ids`` so outcomes can be found in each source by its own identifier.

``person_key_sql`` is the hook for record linkage (#15): every referral is a linkage record of
its own (imported returns through the contract's match keys, form referrals through
``store_form_features``) whose ``pid`` is the referral's preferred pseudonym, so once linkage has
run, ``person_links`` maps each referral to a linked person and two referrals of one person
under different identifiers count as one person; until then a person is their preferred
pseudonym.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from vru.privacy.pseudonymise import IdentifierError, Pseudonymiser
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
    postcode: str | None = None        # for record linkage only (match features)

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


def store_form_features(con, key: bytes, pseudo: Pseudonymiser, referral_id: int,
                        ids: PersonIds, sex: str | None, lsoa_code: str | None,
                        referral_date, pid: str) -> None:
    """Record linkage (#15): a referral typed in the form becomes a match_features record (keyed
    features only, made here in memory; the raw values are never written). It has no file:
    ``file_id`` 0 and ``row_number`` = the referral id (docs/guide/linkage.md)."""
    from vru.privacy.matchkeys import FEATURE_VERSION, STORED_FEATURES, MatchKeyMaker, person_features

    f = person_features(MatchKeyMaker(key), pseudo, {
        "forename": ids.forename, "surname": ids.surname, "date_of_birth": ids.date_of_birth,
        "sex": sex, "postcode": ids.postcode, "pnc_id": ids.pnc_id,
        "nhs_number": ids.nhs_number, "upn": ids.upn})
    cols = [*STORED_FEATURES, "pnc_pid", "nhs_pid", "upn_pid"]
    con.execute(
        f"INSERT INTO match_features (record_key, source, kind, role, file_id, row_number, "
        f"import_id, event_date, pid, sex, home_lsoa, {', '.join(cols)}, feature_version) "
        f"VALUES (?, 'programme', 'referrals', NULL, 0, ?, 0, ?, ?, ?, ?, "
        f"{', '.join('?' for _ in cols)}, ?)",
        [referral_id, referral_id, referral_date, pid, sex if sex in ("M", "F") else None,
         lsoa_code, *(f[c] for c in cols), FEATURE_VERSION])


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
