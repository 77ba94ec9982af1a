"""The web's view of the one disclosure gate: a signed-in user's ``Disclose`` plus record scope.

Every rule lives in ``vru.privacy.access``: privileged roles (admin, analyst) get exact counts,
everyone else gets every count through the workspace's disclosure rule; derived figures (a
change, a share) come from the *published* values and are withheld when one is suppressed.
This class only binds the gate to the request's user.
"""

from __future__ import annotations

from vru.privacy.access import Actor, Disclose, Resource, allowed
from vru.privacy.roles import privileged, record_scope
from vru.privacy.users import User
from vru.settings import Disclosure


class Exit(Disclose):
    def __init__(self, user: User, rule: Disclosure) -> None:
        self.user = user
        self.actor = Actor.of(user)
        super().__init__(rule, exact=privileged(self.actor.role))
        self.scope = record_scope(self.actor.role)

    def may(self, action: str, resource: Resource | None = None) -> bool:
        """The access question for this user (``vru.privacy.access.allowed``)."""
        return allowed(action, resource, self.actor)

    @property
    def records_agency(self) -> str | None:
        """None = all records; otherwise only this agency's records (partners)."""
        if self.scope == "all":
            return None
        return self.user.agency or "\x00no agency\x00"

    @property
    def cache_key(self) -> tuple:
        """Everything about the user that changes what they are shown."""
        return (self.exact, self.scope, self.records_agency)

    @property
    def may_see_records(self) -> bool:
        return self.scope != "none"

    def describe(self) -> dict:
        return {
            "exact_counts": self.exact,
            "records": self.scope,
            "agency": self.user.agency if self.scope == "own_agency" else None,
            "rule": None if self.exact else {
                "suppress_max": self.rule.suppress_max, "round_to": self.rule.round_to,
                "symbol": self.rule.symbol,
            },
        }
