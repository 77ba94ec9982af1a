"""UK local time -> UTC, from the tz database (``zoneinfo``), as SQL for DuckDB.

Partner files give times as UK wall-clock time. Once a year (last Sunday of March) an hour of
wall-clock time does not exist; once a year (last Sunday of October) an hour happens twice.
We read the transitions from ``zoneinfo.ZoneInfo("Europe/London")`` (never from a hand-written
rule) and turn them into one SQL ``CASE`` over the years the data covers, so 10 million pings
are converted in the database without a Python loop.

- A time in the repeated hour is the first (BST) occurrence unless ``fold`` says the second:
  callers set fold = 1 for the second fix a device sent at the same wall-clock time.
- A time in the missing hour is read with the offset before the change (GMT), as zoneinfo does
  for ``fold=0``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")


@dataclass(frozen=True)
class Transition:
    utc: datetime              # the instant of the change (naive UTC)
    before_s: int              # UTC offset before, seconds
    after_s: int               # UTC offset after

    @property
    def local_start(self) -> datetime:
        """First wall-clock time affected (start of the missing or repeated hour)."""
        return self.utc + timedelta(seconds=min(self.before_s, self.after_s))

    @property
    def local_end(self) -> datetime:
        """First wall-clock time after the missing or repeated hour."""
        return self.utc + timedelta(seconds=max(self.before_s, self.after_s))

    @property
    def repeated(self) -> bool:
        return self.after_s < self.before_s


def _offset(utc: datetime) -> int:
    return int(utc.replace(tzinfo=UTC).astimezone(UK).utcoffset().total_seconds())


def transitions(first_year: int, last_year: int) -> list[Transition]:
    """Every UK clock change from 1 Jan ``first_year`` to 31 Dec ``last_year`` (UTC)."""
    out: list[Transition] = []
    t = datetime(first_year, 1, 1)
    end = datetime(last_year + 1, 1, 1)
    prev = _offset(t)
    while t < end:  # daily steps, then the hour and minute of the change
        nxt = t + timedelta(days=1)
        off = _offset(nxt)
        if off != prev:
            lo = t
            while _offset(lo + timedelta(hours=1)) == prev:
                lo += timedelta(hours=1)
            while _offset(lo + timedelta(minutes=1)) == prev:
                lo += timedelta(minutes=1)
            out.append(Transition(lo + timedelta(minutes=1), prev, off))
            prev = off
        t = nxt
    return out


def offset_at_start(year: int) -> int:
    return _offset(datetime(year, 1, 1))


def _lit(d: datetime) -> str:
    return f"TIMESTAMP '{d:%Y-%m-%d %H:%M:%S}'"


def utc_sql(local: str, first_year: int, last_year: int, fold: str | None = None) -> str:
    """SQL turning the naive UK wall-clock TIMESTAMP expression ``local`` into naive UTC.

    ``fold`` (an SQL expression, 0 or 1) picks the occurrence of a repeated wall-clock time;
    without it the first occurrence is used."""
    ts = transitions(first_year, last_year)
    whens: list[str] = []
    for tr in ts:
        if tr.repeated and fold is not None:
            whens.append(f"WHEN {local} >= {_lit(tr.local_start)} AND {local} < {_lit(tr.local_end)} "
                         f"AND {fold} = 1 THEN {tr.after_s}")
        # Before local_end: the old offset (the missing hour, or the first occurrence).
        whens.append(f"WHEN {local} < {_lit(tr.local_end)} THEN {tr.before_s}")
    last = ts[-1].after_s if ts else offset_at_start(first_year)
    # Transitions are in time order, so the first WHEN that holds is the right period; a
    # 'repeated, fold 1' test precedes its period's plain test.
    return f"({local} - to_seconds(CASE {' '.join(whens)} ELSE {last} END))"


def ambiguous_sql(local: str, first_year: int, last_year: int) -> str:
    """SQL: is ``local`` inside a repeated (autumn) wall-clock hour?"""
    parts = [f"({local} >= {_lit(t.local_start)} AND {local} < {_lit(t.local_end)})"
             for t in transitions(first_year, last_year) if t.repeated]
    return "(" + (" OR ".join(parts) if parts else "false") + ")"


def to_utc(local: datetime, fold: int = 0) -> datetime:
    """One wall-clock time -> naive UTC (zoneinfo; for tests and single values)."""
    aware = local.replace(tzinfo=UK, fold=fold)
    return aware.astimezone(UTC).replace(tzinfo=None)


def to_local(utc: datetime) -> datetime:
    """Naive UTC -> aware UK local time (for display: ISO 8601 with its offset)."""
    return utc.replace(tzinfo=UTC).astimezone(UK)
