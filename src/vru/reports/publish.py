"""Publishing numbers: the disclosure rule applied to every count, and the wording helpers
that keep small non-count numbers (areas, months) out of digits."""

from __future__ import annotations

from vru import periods
from vru.analysis.indicators import crude_rate
from vru.privacy.access import Disclose
from vru.settings import Disclosure

SMALL_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
               "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
               "seventeen", "eighteen", "nineteen", "twenty")


def words(n: int) -> str:
    """Small whole numbers that are not counts of events are written in words."""
    return SMALL_WORDS[n] if 0 <= n < len(SMALL_WORDS) else f"{n:,}"


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


class Publisher(Disclose):
    """The disclosure gate (``vru.privacy.access.Disclose``) for a published document, with the
    wording of counts in prose. ``privileged`` output holds exact counts."""

    def __init__(self, rule: Disclosure, privileged: bool) -> None:
        super().__init__(rule, exact=privileged)

    @property
    def privileged(self) -> bool:
        return self.exact

    def rate_cells(self, count: int, rate) -> list:
        """[rate, (lower, upper)], in controlled output of the *published* (rounded) count:
        a rate and its interval times the population would otherwise give back the exact
        count the rounding hid."""
        if not self.exact and not self.hidden(count) and getattr(rate, "available", False):
            pub = self.numeric(self.count(count))
            if pub is not None and int(pub) != rate.count:
                rate = crude_rate(int(pub), rate.denominator, rate.per)
        return super().rate_cells(count, rate)

    def count_text(self, count: int) -> str:
        v = self.count(count)
        if isinstance(v, str):
            return "a small number (suppressed)"
        if self.privileged or self.rule.round_to <= 1:
            return f"{v:,}"
        return f"about {v:,}"


def codes(codes) -> str:
    """Offence codes are labels, not numbers: quoted so nobody reads '1' as a count."""
    return ", ".join(f"'{c}'" for c in codes)


def pounds(pence: int) -> str:
    """Money in a published document: whole pounds (the ledger keeps pence; a needs assessment
    printing £128,029.21 claims a precision no reader needs)."""
    return f"£{round(int(pence) / 100):,}"


def fmt(v) -> str:
    return v if isinstance(v, str) else f"{v:,}"


def join_words(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


month_full = periods.month_full
