"""Disclosure control at the exit: what a signed-in user may see of a number or a record.

Privileged roles (admin, analyst) get exact counts. Everyone else gets every count through the
workspace's disclosure rule (``vru.privacy.disclosure``); anything derived from counts (a change,
a share) is computed from the *published* values and withheld when one of them is suppressed,
so a derived figure can never reveal a suppressed or unrounded count.
"""

from __future__ import annotations

from collections.abc import Iterable

from vru.privacy import disclosure
from vru.privacy.roles import privileged, record_scope
from vru.privacy.users import User
from vru.settings import Disclosure


class Exit:
    def __init__(self, user: User, rule: Disclosure) -> None:
        self.user = user
        self.rule = rule
        self.exact = privileged(user.role)
        self.scope = record_scope(user.role)

    def count(self, value: int | float | None) -> int | str | None:
        if value is None:
            return None
        if self.exact:
            return int(value)
        return disclosure.apply(value, self.rule)

    def counts(self, values: Iterable[int | float | None]) -> list[int | str | None]:
        return [self.count(v) for v in values]

    @staticmethod
    def numeric(value: int | str | None) -> float | None:
        return float(value) if isinstance(value, int | float) else None

    def change_pct(self, before: int | str | None, after: int | str | None) -> float | None:
        """Percent change between two *published* counts; None if either is suppressed/zero."""
        b, a = self.numeric(before), self.numeric(after)
        if b is None or a is None or b == 0:
            return None
        return round(100.0 * (a - b) / b, 1)

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
