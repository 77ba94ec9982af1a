"""Keyed pseudonymisation of personal identifiers at the door (HMAC-SHA256).

Identifiers (NHS number, pupil number, PNC ID, name + date of birth) are normalised, checked and
replaced by ``HMAC-SHA256(key, "<kind>:<normalised value>")`` before anything is written. The
same person therefore gets the same pseudonym in every source that carries the same kind of
identifier, and nobody without the key can reverse or recompute it.

The key comes from the environment (``VRU_PSEUDONYM_KEY``) or from a key file named by
``VRU_KEY_FILE``; a key file inside the workspace folder is refused (the key must never be
stored with the data). The workspace keeps only a *fingerprint* (an HMAC of a fixed label, not
the key), so that an import with a different key is refused instead of silently producing
pseudonyms that no longer match earlier ones.

Error messages here never contain the identifier value or the key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import unicodedata
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

from vru.errors import VruError

KEY_ENV = "VRU_PSEUDONYM_KEY"
KEY_FILE_ENV = "VRU_KEY_FILE"
MIN_KEY_BYTES = 16
PSEUDONYM_HEX = 24  # 96 bits: collision-free in practice for national-scale populations
FINGERPRINT_LABEL = b"vru-key-fingerprint-v1"

ID_KINDS = ("nhs_number", "upn", "pnc_id", "name_dob")


class PseudonymKeyError(VruError):
    """The pseudonymisation key is missing, too short, stored in the wrong place or changed."""


class IdentifierError(VruError, ValueError):
    """An identifier value is malformed. The message never contains the value."""


def load_key(workspace_path: Path | str) -> bytes:
    """The key from $VRU_PSEUDONYM_KEY, else from the file named by $VRU_KEY_FILE."""
    env = os.environ.get(KEY_ENV)
    if env:
        key = env.encode("utf-8")
        where = f"${KEY_ENV}"
    else:
        key_file = os.environ.get(KEY_FILE_ENV)
        if not key_file:
            raise PseudonymKeyError(
                f"no pseudonymisation key: set ${KEY_ENV}, or ${KEY_FILE_ENV} to a key file "
                "kept outside the workspace folder"
            )
        kf = Path(key_file).expanduser().resolve()
        ws = Path(workspace_path).resolve()
        if kf == ws or ws in kf.parents:
            raise PseudonymKeyError(
                f"refusing key file {kf}: it is inside the workspace folder {ws}; the key must "
                "never be stored with the data. Move it elsewhere."
            )
        try:
            key = kf.read_bytes().strip()
        except OSError as exc:
            raise PseudonymKeyError(f"cannot read key file {kf}: {exc.strerror}") from None
        where = str(kf)
    if len(key) < MIN_KEY_BYTES:
        raise PseudonymKeyError(f"pseudonymisation key from {where} is too short "
                        f"(need at least {MIN_KEY_BYTES} bytes)")
    return key


def fingerprint(key: bytes) -> str:
    """A one-way check value for the key (safe to store: it cannot give back the key)."""
    return hmac.new(key, FINGERPRINT_LABEL, hashlib.sha256).hexdigest()[:16]


# ------------------------------------------------------------------------- normalisation
_NHS_RE = re.compile(r"^[0-9]{10}$")
_UPN_RE = re.compile(r"^[A-Z][0-9]{11}[0-9A-Z]$")
_PNC_RE = re.compile(r"^([0-9]{2}|[0-9]{4})/([0-9]{1,7})([A-Z])$")
_SPACES = re.compile(r"[\s\-]+")


def nhs_check_digit_ok(digits: str) -> bool:
    """NHS number modulus-11 check (NHS Data Dictionary)."""
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def normalise(kind: str, values: Sequence[str | None]) -> str | None:
    """The canonical text for an identifier, or None when it is absent.

    Raises IdentifierError (without the value) when it is present but malformed.
    """
    vals = [None if v is None or str(v).strip() == "" else str(v).strip() for v in values]
    if kind == "name_dob":
        forename, surname, dob = (vals + [None, None, None])[:3]
        if forename is None and surname is None and dob is None:
            return None
        if forename is None or surname is None or dob is None:
            raise IdentifierError("forename, surname and date_of_birth must be given together")
        d = _parse_dob(dob)
        return f"{_name(surname)}|{_name(forename)}|{d.isoformat()}"
    if len(vals) != 1:
        raise ValueError(f"identifier kind {kind} takes one column")
    v = vals[0]
    if v is None:
        return None
    v = _SPACES.sub("", v).upper()
    if kind == "nhs_number":
        if not _NHS_RE.match(v):
            raise IdentifierError("not a valid NHS number (10 digits expected)")
        if not nhs_check_digit_ok(v):
            raise IdentifierError("not a valid NHS number (check digit wrong)")
        return v
    if kind == "upn":
        if not _UPN_RE.match(v):
            raise IdentifierError("not a valid unique pupil number (letter + 11 digits + check)")
        return v
    if kind == "pnc_id":
        m = _PNC_RE.match(v)
        if not m:
            raise IdentifierError("not a valid PNC ID (expected YY/NNNNNNNA or YYYY/NNNNNNNA)")
        # Two- and four-digit years, and leading zeros in the serial, name the same record.
        return f"{m[1][-2:]}/{int(m[2])}{m[3]}"
    raise ValueError(f"unknown identifier kind {kind!r}")


def _name(s: str) -> str:
    # Case, accents, spaces, hyphens and apostrophes vary between agencies' systems.
    decomposed = unicodedata.normalize("NFKD", s.casefold())
    return "".join(ch for ch in decomposed if ch.isalpha() and not unicodedata.combining(ch))


def _parse_dob(s: str) -> date:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S"):
        try:
            d = datetime.strptime(s, fmt).date()
        except ValueError:
            continue
        if d.year < 1900 or d > date.today():
            raise IdentifierError("date_of_birth is not a plausible date of birth")
        return d
    raise IdentifierError("date_of_birth is not a date (expected YYYY-MM-DD or DD/MM/YYYY)")


class Pseudonymiser:
    """Turns identifiers into pseudonyms with one key. Holds the key in memory only."""

    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise PseudonymKeyError("pseudonymisation key too short")
        self._key = key
        self.fingerprint = fingerprint(key)

    def __repr__(self) -> str:  # never show the key
        return f"Pseudonymiser(fingerprint={self.fingerprint})"

    def pseudonym(self, kind: str, *values: str | None) -> str | None:
        """The pseudonym for one identifier, None when absent; IdentifierError when malformed."""
        norm = normalise(kind, values)
        if norm is None:
            return None
        digest = hmac.new(self._key, f"{kind}:{norm}".encode(), hashlib.sha256).hexdigest()
        return digest[:PSEUDONYM_HEX]

    def map_values(self, kind: str, rows: Sequence[Sequence[str | None]]
                   ) -> tuple[list[str | None], list[str | None]]:
        """Pseudonyms and problems (reason or None) for many distinct identifier tuples."""
        pids: list[str | None] = []
        problems: list[str | None] = []
        for r in rows:
            try:
                pids.append(self.pseudonym(kind, *r))
                problems.append(None)
            except IdentifierError as exc:
                pids.append(None)
                problems.append(str(exc))
        return pids, problems
