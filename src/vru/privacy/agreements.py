"""The data-sharing agreement registry: no agreement, no import.

Every partner source is registered with its data-sharing agreement: the owning agency, the
legal basis for sharing, the purposes the data may be used for, and how long it may be kept
(retention, in months, counted from each record's event date). An import of a source without an
agreement in force is refused; ``vru retention apply`` purges what is past the retention period
of the agreement in force.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import duckdb

from vru.errors import VruError

# The partner sources of the data hub (one module each under vru.sources).
HUB_SOURCES: tuple[str, ...] = (
    "police_rms", "istv", "admissions", "education", "youth_justice", "em_gps", "patrols",
    "programme",
)


class AgreementMissing(VruError):
    """No data-sharing agreement in force for a source: the import is refused."""


@dataclass(frozen=True)
class Agreement:
    agreement_id: int
    source: str
    owning_agency: str
    legal_basis: str
    purposes: tuple[str, ...]
    retention_months: int
    reference: str | None
    valid_from: date | None
    valid_to: date | None
    created_at: datetime
    created_by: str | None

    def in_force(self, on: date) -> bool:
        return (self.valid_from is None or self.valid_from <= on) and (
            self.valid_to is None or on <= self.valid_to
        )


_COLS = ("agreement_id, source, owning_agency, legal_basis, purposes, retention_months, "
         "reference, valid_from, valid_to, created_at, created_by")


def add(con: duckdb.DuckDBPyConnection, source: str, owning_agency: str, legal_basis: str,
        purposes: list[str], retention_months: int, reference: str | None = None,
        valid_from: date | None = None, valid_to: date | None = None,
        created_by: str | None = None) -> Agreement:
    """Register an agreement (inside the caller's transaction). Validates every field."""
    if source not in HUB_SOURCES:
        raise ValueError(f"unknown source {source!r}; one of: {', '.join(HUB_SOURCES)}")
    if not owning_agency.strip():
        raise ValueError("owning agency is required")
    if not legal_basis.strip():
        raise ValueError(
            "legal basis is required (e.g. 'Serious Violence Duty, PCSC Act 2022 s.16')")
    purposes = [p.strip() for p in purposes if p and p.strip()]
    if not purposes:
        raise ValueError("at least one purpose is required")
    if int(retention_months) < 1:
        raise ValueError("retention period must be at least 1 month")
    if valid_from and valid_to and valid_to < valid_from:
        raise ValueError("valid_to is before valid_from")
    agreement_id = con.execute("SELECT nextval('agreement_seq')").fetchone()[0]
    con.execute(
        f"INSERT INTO sharing_agreements ({_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [agreement_id, source, owning_agency.strip(), legal_basis.strip(), purposes,
         int(retention_months), reference, valid_from, valid_to, datetime.now(), created_by],
    )
    return get(con, agreement_id)


def get(con: duckdb.DuckDBPyConnection, agreement_id: int) -> Agreement:
    row = con.execute(
        f"SELECT {_COLS} FROM sharing_agreements WHERE agreement_id = ?", [agreement_id]
    ).fetchone()
    if row is None:
        raise KeyError(agreement_id)
    return _from_row(row)


def list_all(con: duckdb.DuckDBPyConnection) -> list[Agreement]:
    rows = con.execute(
        f"SELECT {_COLS} FROM sharing_agreements ORDER BY source, agreement_id"
    ).fetchall()
    return [_from_row(r) for r in rows]


def in_force(con: duckdb.DuckDBPyConnection, source: str, on: date | None = None) -> Agreement:
    """The agreement in force for a source (the latest registered); refuses when there is none."""
    on = on or date.today()
    found = [a for a in list_all(con) if a.source == source]
    if not found:
        raise AgreementMissing(
            f"no data-sharing agreement is registered for source {source!r}: import refused. "
            f"Register one with `vru agreements add --source {source} ...`"
        )
    current = [a for a in found if a.in_force(on)]
    if not current:
        raise AgreementMissing(
            f"the data-sharing agreement(s) for source {source!r} are not in force on "
            f"{on.isoformat()} (expired or not yet started): import refused"
        )
    return max(current, key=lambda a: a.agreement_id)


def _from_row(r: tuple) -> Agreement:
    return Agreement(r[0], r[1], r[2], r[3], tuple(r[4] or ()), int(r[5]), r[6], r[7], r[8],
                     r[9], r[10])
