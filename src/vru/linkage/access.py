"""Who may see person-level linkage, and the audit of every run and explanation.

Person-level linkage (runs, links, explanations, exports) is for the ``admin`` and ``analyst``
roles only, and only while every linked source has a data-sharing agreement in force whose
purposes cover linkage (a purpose naming "linkage", e.g. "record linkage"). Aggregates
(``vru link status``, the data-hub quality page) need only the data-hub permission.

Every run, training, explanation and export is written to the hash-chained audit log.

(The one access gate ``vru.privacy`` ``allowed(action, resource, actor)`` is being built in
#11; these actions register with it when it lands. Until then this follows
``vru.privacy.roles``, as ``vru.web.permissions`` does.)
"""

from __future__ import annotations

from datetime import date

from vru.privacy import agreements
from vru.privacy.audit import AuditLog, Entry
from vru.privacy.roles import Role
from vru.workspace import Workspace

ACTIONS = ("linkage.train", "linkage.run", "linkage.explain", "linkage.export")
PERSON_LEVEL_ROLES = (Role.ADMIN, Role.ANALYST)


class LinkageAccessDenied(Exception):
    """The user may not see or make person-level linkage (role or agreement)."""


def purpose_covers_linkage(purposes: tuple[str, ...] | list[str]) -> bool:
    return any("linkage" in p.lower() or "linking" in p.lower() for p in purposes)


def sources_without_linkage_purpose(ws: Workspace, on: date | None = None) -> list[str]:
    """Sources holding match features whose agreement in force does not cover linkage."""
    con = ws.reader()
    sources = [r[0] for r in con.execute(
        "SELECT DISTINCT source FROM match_features ORDER BY source").fetchall()]
    bad = []
    for s in sources:
        try:
            a = agreements.in_force(con, s, on)
        except agreements.AgreementMissing:
            bad.append(s)
            continue
        if not purpose_covers_linkage(a.purposes):
            bad.append(s)
    return bad


def require(ws: Workspace, username: str | None, action: str) -> str:
    """The user's role when they may do ``action``; LinkageAccessDenied otherwise."""
    if action not in ACTIONS:
        raise ValueError(f"unknown linkage action {action}")
    if not username:
        raise LinkageAccessDenied(
            f"{action} is person-level: name an admin or analyst user (--user or $VRU_USER)")
    from vru.privacy.users import UserError, get_user

    try:
        user = get_user(ws, username)
    except (UserError, KeyError, LookupError):
        raise LinkageAccessDenied(f"no such user {username!r}") from None
    if not user.active:
        raise LinkageAccessDenied(f"user {username!r} is disabled")
    if Role(user.role) not in PERSON_LEVEL_ROLES:
        raise LinkageAccessDenied(
            f"{action} is person-level: only admin and analyst roles (user {username!r} is "
            f"{user.role})")
    bad = sources_without_linkage_purpose(ws)
    if bad:
        raise LinkageAccessDenied(
            "no data-sharing agreement in force covers linkage for: " + ", ".join(bad)
            + " (add one whose purposes include 'record linkage')")
    return str(user.role)


def audit(ws: Workspace, username: str | None, role: str | None, action: str,
          detail: dict) -> None:
    """Record a linkage action (counts and record keys only; never a raw value)."""
    AuditLog.for_workspace(ws).append(Entry("linkage", username, action, role, detail))
