"""Publishing numbers: the disclosure rule applied to every count, and the wording helpers
that keep small non-count numbers (areas, months) out of digits."""

from __future__ import annotations

from dataclasses import dataclass

from vru.analysis import indicators as ind
from vru.analysis import trends
from vru.privacy import disclosure
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


@dataclass
class Publisher:
    """Applies the disclosure rule (or not, for privileged users) to everything published."""

    rule: Disclosure
    privileged: bool

    def hidden(self, count: int | None) -> bool:
        return (not self.privileged) and disclosure.is_suppressed(count, self.rule)

    def count(self, count: int | float | None) -> int | str | None:
        if count is None:
            return None
        if self.privileged:
            return int(round(float(count)))
        return disclosure.apply(count, self.rule)

    def count_text(self, count: int) -> str:
        v = self.count(count)
        if isinstance(v, str):
            return "a small number (suppressed)"
        if self.privileged or self.rule.round_to <= 1:
            return f"{v:,}"
        return f"about {v:,}"

    def rate_cells(self, count: int, rate: ind.Rate) -> list:
        """[rate, (lower, upper)] cells, suppressed with the count."""
        if self.hidden(count):
            return [self.rule.symbol, self.rule.symbol]
        if not rate.available:
            return [None, None]
        return [rate.value, (rate.lower, rate.upper)]

    def share(self, part: int, whole: int) -> float | str | None:
        if whole <= 0:
            return None
        if self.hidden(part) or self.hidden(whole):
            return self.rule.symbol
        return 100.0 * part / whole



def codes(codes) -> str:
    """Offence codes are labels, not numbers: quoted so nobody reads '1' as a count."""
    return ", ".join(f"'{c}'" for c in codes)


def fmt(v) -> str:
    return v if isinstance(v, str) else f"{v:,}"


def join_words(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def month_full(short: str) -> str:
    full = ("January", "February", "March", "April", "May", "June", "July", "August",
            "September", "October", "November", "December")
    return full[trends.MONTH_NAMES.index(short)]
