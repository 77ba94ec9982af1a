"""Who may see person-level linkage, and the audit of every run and explanation.

Person-level linkage (training, runs, links, explanations, exports) is declared once with the
one access gate (``vru.privacy.access``): each action needs the ``linkage`` permission (admin
and analyst roles only), is person-level, and needs the purpose ``record linkage`` in the
data-sharing agreement in force of *every* source whose records are linked. Aggregates
(``vru link status``, the data-hub quality page) need only the data-hub permission.

Every run, training, explanation and export is written to the hash-chained audit log.
"""

from __future__ import annotations

from datetime import date

from vru.errors import VruError
from vru.privacy import agreements
from vru.privacy.access import Actor, Permission, Resource, register_action, why_not
from vru.privacy.audit import AuditLog, Entry
from vru.workspace import Workspace

PURPOSE = "record linkage"
TRAIN = register_action("linkage.train", Permission.LINKAGE, purpose=PURPOSE, person_level=True,
                        description="train a record linkage model on person records")
RUN = register_action("linkage.run", Permission.LINKAGE, purpose=PURPOSE, person_level=True,
                      description="link person records into persons (person_links)")
EXPLAIN = register_action("linkage.explain", Permission.LINKAGE, purpose=PURPOSE,
                          person_level=True, description="explain why two records are linked")
EXPORT = register_action("linkage.export", Permission.LINKAGE, purpose=PURPOSE,
                         person_level=True, description="export person links")
ACTIONS = {a.name: a for a in (TRAIN, RUN, EXPLAIN, EXPORT)}


class LinkageAccessDenied(VruError):
    """The user may not see or make person-level linkage (role or agreement)."""


def linked_sources(ws: Workspace) -> list[str]:
    return [r[0] for r in ws.reader().execute(
        "SELECT DISTINCT source FROM match_features ORDER BY source").fetchall()]


def reasons(ws: Workspace, actor: Actor, action: str, on: date | None = None) -> list[str]:
    """Why ``actor`` may not do ``action`` (empty when allowed), one reason per source."""
    act = ACTIONS[action]
    found = agreements.list_all(ws.reader())
    out = []
    first = why_not(act, None, actor)
    if first is not None:
        return [first]
    for s in linked_sources(ws):
        r = why_not(act, Resource("source", s, source=s), actor, agreements=found, on=on)
        if r is not None:
            out.append(r)
    return out


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
    why = reasons(ws, Actor.of(user), action)
    if why:
        raise LinkageAccessDenied(f"{action} is person-level and not allowed: " + "; ".join(why)
                                  + f" (linkage needs an admin or analyst user and agreements "
                                  f"listing the purpose {PURPOSE!r})")
    return str(user.role)


def audit(ws: Workspace, username: str | None, role: str | None, action: str,
          detail: dict) -> None:
    """Record a linkage action (counts and record keys only; never a raw value)."""
    AuditLog.for_workspace(ws).append(Entry("linkage", username, action, role, detail))
