"""When a zone's schedule applies, in Python, for the synthetic world's ground truth.

The analysis runs its own SQL implementation (``vru.analysis.tags.sql.schedule_sql``); this one
is written separately, in pandas, so the truth does not come from the code it checks.

Rules (UK wall-clock time): a zone applies on its active dates (``active_from`` to ``active_to``
inclusive), on its days (``ALL`` or e.g. ``MON,TUE``), during its daily window. No window = all
day. A window whose end is not after its start runs overnight and belongs to the day it starts:
``22:00-06:00`` on ``MON`` covers Monday 22:00 to Tuesday 06:00. Used by the synthetic world's
truth.
"""

from __future__ import annotations

from datetime import date, time

DAY_NAMES = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


def _t(v: str | time | None) -> time | None:
    if v is None or v == "":
        return None
    return v if isinstance(v, time) else time.fromisoformat(v)


def _d(v: str | date | None, default: date) -> date:
    if v is None or v == "":
        return default
    return v if isinstance(v, date) else date.fromisoformat(v)


def applies(local, days: str | None, start: str | time | None, end: str | time | None,
            active_from: str | date | None, active_to: str | date | None):
    """For each wall-clock time (datetimes, or anything pandas reads as such): does the
    schedule apply? A numpy bool array."""
    import numpy as np
    import pandas as pd

    ts = pd.DatetimeIndex(pd.to_datetime(local))
    s, e = _t(start), _t(end)
    a, b = _d(active_from, date(1, 1, 1)), _d(active_to, date(9999, 12, 31))
    wanted = None if (days or "ALL").upper() == "ALL" else np.array(
        [DAY_NAMES.index(x.strip()) for x in days.upper().split(",")])
    day = ts.normalize()
    tod = (ts - day).total_seconds().to_numpy()

    def day_ok(d: pd.DatetimeIndex) -> np.ndarray:
        ok = (d >= pd.Timestamp(a)) & (d <= pd.Timestamp(b))
        if wanted is not None:
            ok &= np.isin(d.day_of_week, wanted)
        return np.asarray(ok)

    if s is None:
        return day_ok(day)
    sec = lambda x: x.hour * 3600 + x.minute * 60 + x.second  # noqa: E731
    s_s, e_s = sec(s), sec(e)
    if s_s < e_s:
        return (tod >= s_s) & (tod < e_s) & day_ok(day)
    return ((tod >= s_s) & day_ok(day)) | ((tod < e_s) & day_ok(day - pd.Timedelta(days=1)))
