"""Statistical disclosure control for counts shown to non-privileged users.

The rule comes from the workspace settings (``[disclosure]``): counts 1..suppress_max become the
symbol; other counts are rounded to the nearest ``round_to``. Zero stays zero (a true zero
discloses nothing about an individual). Use ``apply`` on single values and ``apply_many`` on
columns; anything derived from a suppressed count (a rate, a share) must be suppressed too:
``is_suppressed`` tells callers when.
"""

from __future__ import annotations

from collections.abc import Iterable

from vru.settings import Disclosure


def is_suppressed(count: int | None, rule: Disclosure) -> bool:
    return count is not None and 0 < int(count) <= rule.suppress_max


def apply(count: int | float | None, rule: Disclosure) -> int | str | None:
    """Return the publishable form of a count: an int, the suppression symbol, or None."""
    if count is None:
        return None
    c = int(round(float(count)))
    if c < 0:
        raise ValueError(f"counts cannot be negative: {count}")
    if c == 0:
        return 0
    if c <= rule.suppress_max:
        return rule.symbol
    if rule.round_to <= 1:
        return c
    rounded = int(rule.round_to * round(c / rule.round_to))
    # Rounding must never bring a published count back into the suppressed range.
    return max(rounded, _smallest_publishable(rule))


def apply_many(counts: Iterable[int | float | None], rule: Disclosure) -> list[int | str | None]:
    return [apply(c, rule) for c in counts]


def _smallest_publishable(rule: Disclosure) -> int:
    step = max(rule.round_to, 1)
    value = step
    while value <= rule.suppress_max:
        value += step
    return value
