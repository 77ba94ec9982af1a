"""The SNA's editable parts in the workspace (migration m0310_sna): narrative sections, each
edit a new version with its author and time, and the sign-off record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from vru.errors import VruError
from vru.workspace import Workspace


class SnaError(VruError, ValueError):
    pass


@dataclass
class Narrative:
    section: str
    version: int
    body: str
    author: str
    written_at: datetime


@dataclass
class SignOff:
    version: str
    signed_by: str
    role: str
    signed_at: datetime
    review_date: date


def area_key(area) -> str:
    """Narratives belong to an area (its code, or its name when it has none)."""
    return area.code or area.name


def write_narrative(ws: Workspace, key: str, period: str, section: str, body: str,
                    author: str, known: set[str]) -> Narrative:
    if section not in known:
        raise SnaError(f"unknown SNA section {section!r}: choose from {', '.join(sorted(known))}")
    if not author.strip():
        raise SnaError("a narrative needs its author")
    now = datetime.now().replace(microsecond=0)
    with ws.transaction() as cur:
        v = cur.execute("SELECT coalesce(max(version), 0) + 1 FROM sna_narratives WHERE "
                        "area_key = ? AND period = ? AND section = ?",
                        [key, period, section]).fetchone()[0]
        cur.execute("INSERT INTO sna_narratives VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [key, period, section, v, body.strip(), author.strip(), now])
    return Narrative(section, int(v), body.strip(), author.strip(), now)


def narratives(ws: Workspace, key: str, period: str) -> dict[str, Narrative]:
    """The latest version of each section's narrative."""
    if not ws.table_exists("sna_narratives"):  # a read-only workspace not yet migrated
        return {}
    rows = ws.sql("SELECT section, version, body, author, written_at FROM sna_narratives "
                  "WHERE area_key = ? AND period = ? QUALIFY row_number() OVER "
                  "(PARTITION BY section ORDER BY version DESC) = 1", [key, period])
    return {r[0]: Narrative(r[0], int(r[1]), r[2], r[3], r[4]) for r in rows}


def sign_off(ws: Workspace, key: str, period: str, version: str, signed_by: str, role: str,
             review_date: date | None = None) -> SignOff:
    if not signed_by.strip() or not role.strip() or not version.strip():
        raise SnaError("a sign-off needs the version, who signed it and their role")
    now = datetime.now().replace(microsecond=0)
    review = review_date or date(now.year + 1, now.month, min(now.day, 28))
    with ws.transaction() as cur:
        if cur.execute("SELECT count(*) FROM sna_signoffs WHERE area_key = ? AND period = ? "
                       "AND version = ?", [key, period, version]).fetchone()[0]:
            raise SnaError(f"version {version} of this SNA is already signed off")
        cur.execute("INSERT INTO sna_signoffs VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [key, period, version, signed_by.strip(), role.strip(), now, review])
    return SignOff(version, signed_by.strip(), role.strip(), now, review)


def signoffs(ws: Workspace, key: str, period: str) -> list[SignOff]:
    if not ws.table_exists("sna_signoffs"):
        return []
    rows = ws.sql("SELECT version, signed_by, role, signed_at, review_date FROM sna_signoffs "
                  "WHERE area_key = ? AND period = ? ORDER BY signed_at", [key, period])
    return [SignOff(*r) for r in rows]
