"""The one access question and the one disclosure gate.

Every surface (web pages, the JSON API, reports, CLI exports) asks the same two things here,
in the spirit of Datasette's ``allowed(action, resource, actor)``:

1. **May this actor do this action on this resource?** ``allowed(action, resource, actor)``
   decides from the actor's role (the role's grants, ``vru.privacy.roles``), the actor's agency
   (partners see record-level rows of their own agency only) and, for resources that come from a
   partner source, the purposes of that source's data-sharing agreement (an action that declares
   a purpose is refused when no agreement in force lists it).
2. **What may this actor see of a number?** ``Disclose`` (``disclosure_for(actor, rule)``):
   privileged actors (admin, analyst) see exact counts; everyone else sees every count through
   the workspace's disclosure rule (``vru.privacy.disclosure``).

The one rule for derived figures (shares, percentages, changes): a derived figure is computed
from the counts *as published to the actor*, and withheld when any count it is derived from is
suppressed, so it can never reveal a suppressed or unrounded count. Rates per population with
confidence intervals are statistical estimates (the Fingertips convention): they are computed
from the count and suppressed with it.

A new capability declares its actions once, at import time of its module::

    from vru.privacy.access import Permission, register_action
    LINK_RUN = register_action("linkage.run", Permission.RECORDS, purpose="linkage",
                               person_level=True, description="run record linkage")

and asks ``allowed(LINK_RUN, Resource("source", "police_rms", source="police_rms"), actor,
agreements=...)`` (or ``check(...)``, which raises ``AccessDenied``). Every coarse permission is
also an action of the same name (``"aggregates"``, ``"records"``...), which is what the web's
route table uses.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from vru.errors import VruError
from vru.privacy import disclosure
from vru.privacy.roles import GRANTS, Permission, Role, privileged, record_scope
from vru.settings import Disclosure

__all__ = [
    "Action", "Actor", "AccessDenied", "Disclose", "EXPORT_TABLES", "Permission", "Resource",
    "ACTIONS",
    "allowed", "check", "why_not", "register_action", "get_action", "disclosure_for",
]


class AccessDenied(VruError):
    """An actor asked for something the access rules do not allow."""

    exit_code = 3


@dataclass(frozen=True)
class Action:
    """Something an actor can do. ``permission`` is the role grant it needs; ``purpose``, when
    set, must be listed by the data-sharing agreement of the resource's source; ``person_level``
    actions need a role that may see record-level rows (and the rows must be the actor's agency's
    when the role is limited to its own agency)."""

    name: str
    permission: Permission
    purpose: str | None = None
    person_level: bool = False
    description: str = ""


@dataclass(frozen=True)
class Resource:
    """What an action is done to. ``kind`` names the sort of thing (``route``, ``table``,
    ``profile``, ``export``, ``source``...); ``agency`` is the owning agency of record-level
    rows; ``source`` is the partner source whose data-sharing agreement governs it."""

    kind: str
    name: str = ""
    agency: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class Actor:
    """Who is asking: a signed-in user, the local operator of the CLI, or the public."""

    name: str | None
    role: Role
    agency: str | None = None

    @classmethod
    def of(cls, user: Any) -> Actor:
        """The actor for a ``vru.privacy.users.User`` (or anything with username/role/agency)."""
        return cls(user.username, Role(user.role), user.agency)

    @classmethod
    def operator(cls) -> Actor:
        """Whoever runs the CLI on the workspace folder: full access (they hold the files)."""
        return cls("(operator)", Role.ADMIN, None)

    @classmethod
    def public(cls) -> Actor:
        """The audience of a published output: aggregates, disclosure-controlled."""
        return cls("(public)", Role.VIEWER, None)


ACTIONS: dict[str, Action] = {}


def register_action(name: str, permission: Permission, *, purpose: str | None = None,
                    person_level: bool = False, description: str = "") -> Action:
    """Declare an action (once, at import time). Re-declaring it identically is a no-op."""
    action = Action(name, Permission(permission), purpose, person_level, description)
    known = ACTIONS.get(name)
    if known is not None and known != action:
        raise ValueError(f"action {name!r} is already declared differently: {known}")
    ACTIONS[name] = action
    return action


def get_action(action: str | Action) -> Action:
    if isinstance(action, Action):
        return ACTIONS.get(action.name, action)
    try:
        return ACTIONS[action]
    except KeyError:
        raise AccessDenied(f"unknown action {action!r} (declare it with register_action)") from None


# Every coarse permission is an action of the same name; RECORDS is person-level.
for _p in Permission:
    register_action(_p.value, _p, person_level=_p is Permission.RECORDS,
                    description=f"the {_p.value!r} permission")

# Exports of record-level (pseudonymised) tables, e.g. `vru export parquet`.
EXPORT_TABLES = register_action("export.tables", Permission.RECORDS, person_level=True,
                                description="export record-level tables (Parquet)")


def why_not(action: str | Action, resource: Resource | None, actor: Actor | None, *,
            agreements: Sequence[Any] | None = None, on: date | None = None) -> str | None:
    """None when allowed, else the reason (one sentence). ``agreements``: the registered
    data-sharing agreements (``vru.privacy.agreements.list_all``), needed when the action
    declares a purpose and the resource names a source."""
    act = get_action(action)
    if act.permission is Permission.PUBLIC:
        return None
    if actor is None:
        return "sign in first"
    if act.permission not in GRANTS[actor.role]:
        return f"your role ({actor.role.value}) may not do this"
    if act.person_level:
        scope = record_scope(actor.role)
        if scope == "none":
            return f"your role ({actor.role.value}) may not see record-level rows"
        if scope == "own_agency" and resource is not None and resource.agency is not None \
                and resource.agency != actor.agency:
            return "record-level rows of another agency"
    if act.purpose and resource is not None and resource.source:
        if agreements is None:
            return f"the data-sharing agreement for {resource.source!r} was not consulted"
        on = on or date.today()
        found = [a for a in agreements if a.source == resource.source and a.in_force(on)]
        if not found:
            return f"no data-sharing agreement in force for {resource.source!r}"
        current = max(found, key=lambda a: a.agreement_id)
        if act.purpose not in current.purposes:
            return (f"the data-sharing agreement for {resource.source!r} does not list the "
                    f"purpose {act.purpose!r}")
    return None


def allowed(action: str | Action, resource: Resource | None = None, actor: Actor | None = None,
            *, agreements: Sequence[Any] | None = None, on: date | None = None) -> bool:
    """The one access question: may ``actor`` do ``action`` on ``resource``?"""
    return why_not(action, resource, actor, agreements=agreements, on=on) is None


def check(action: str | Action, resource: Resource | None = None, actor: Actor | None = None,
          *, agreements: Sequence[Any] | None = None, on: date | None = None) -> None:
    """``allowed`` that raises ``AccessDenied`` with the reason."""
    reason = why_not(action, resource, actor, agreements=agreements, on=on)
    if reason is not None:
        raise AccessDenied(reason)


class Disclose:
    """The one disclosure gate: what an actor may see of counts and figures derived from them."""

    def __init__(self, rule: Disclosure, exact: bool) -> None:
        self.rule = rule
        self.exact = bool(exact)

    # ---- counts
    def hidden(self, count: int | float | None) -> bool:
        """True when this count is suppressed for this actor (so is anything derived from it)."""
        return (not self.exact) and disclosure.is_suppressed(count, self.rule)

    def count(self, value: int | float | None) -> int | str | None:
        """The publishable form of a count: exact, rounded, the symbol, or None."""
        if value is None:
            return None
        if self.exact:
            return int(round(float(value)))
        return disclosure.apply(value, self.rule)

    def counts(self, values: Iterable[int | float | None]) -> list[int | str | None]:
        return [self.count(v) for v in values]

    @staticmethod
    def numeric(value: int | float | str | None) -> float | None:
        """A published value as a number; None for the symbol or a missing value."""
        return float(value) if isinstance(value, int | float) else None

    # ---- derived figures: from published counts, withheld when an input is suppressed
    def share(self, part: int, whole: int) -> float | str | None:
        """Percentage ``part`` of ``whole``; the symbol when either is suppressed."""
        if whole <= 0:
            return None
        if self.hidden(part) or self.hidden(whole):
            return self.rule.symbol
        p, w = self.numeric(self.count(part)), self.numeric(self.count(whole))
        if p is None or w is None or w <= 0:
            return self.rule.symbol
        return 100.0 * p / w

    def change_pct(self, before: int | str | None, after: int | str | None) -> float | None:
        """Percent change between two *published* counts; None if either is suppressed/zero."""
        b, a = self.numeric(before), self.numeric(after)
        if b is None or a is None or b == 0:
            return None
        return round(100.0 * (a - b) / b, 1)

    def ratio(self, a: int, b: int) -> float | str | None:
        """``a / b`` of two counts; the symbol when either is suppressed, None when b is 0."""
        if self.hidden(a) or self.hidden(b):
            return self.rule.symbol
        pa, pb = self.numeric(self.count(a)), self.numeric(self.count(b))
        return pa / pb if pa is not None and pb else None

    def change(self, before: int, after: int) -> float | None:
        """Percent change between two counts, from their published forms (unrounded); None when
        either is suppressed or the earlier one is zero."""
        if self.hidden(before) or self.hidden(after):
            return None
        b, a = self.numeric(self.count(before)), self.numeric(self.count(after))
        if b is None or a is None or b == 0:
            return None
        return 100.0 * (a - b) / b

    def rate_cells(self, count: int, rate: Any) -> list:
        """[rate, (lower, upper)] cells of a ``vru.analysis.indicators.Rate``, suppressed with
        its count."""
        if self.hidden(count):
            return [self.rule.symbol, self.rule.symbol]
        if not rate.available:
            return [None, None]
        return [rate.value, (rate.lower, rate.upper)]

    def describe(self) -> dict:
        return {"exact_counts": self.exact, "rule": None if self.exact else {
            "suppress_max": self.rule.suppress_max, "round_to": self.rule.round_to,
            "symbol": self.rule.symbol}}


def disclosure_for(actor: Actor, rule: Disclosure) -> Disclose:
    """The disclosure gate for an actor: exact counts for privileged roles, else the rule."""
    return Disclose(rule, privileged(actor.role))
