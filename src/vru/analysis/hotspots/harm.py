"""Harm weights per police.uk crime category: a default table we ship, replaceable by the user's.

The default is our own rounding of the Cambridge Crime Harm Index (CCHI; Sherman, Neyroud and
Neyroud 2016): the harm of an offence is the number of days of imprisonment at the sentencing
guideline's starting point for a first offender (fines and community orders count as the days
of work they represent). police.uk publishes categories, not offences, so each value below is our
judgement of a typical starting point across the offences a category holds, weighted towards
the common ones (e.g. "Violence and sexual offences" is mostly common assault and ABH, with a
small share of rape at 5 years). It is a starting point: a force with offence-level data or its
own CCHI table should replace it (``load_harm_table``), and every output records which table
was used.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from vru.errors import VruError

DEFAULT_HARM_NAME = "vru default CCHI-based table v1 (days, per police.uk category)"

# days of custody-equivalent harm per police.uk category (see the module docstring for basis)
DEFAULT_HARM: dict[str, float] = {
    "Violence and sexual offences": 120.0,  # common assault ~ CO, ABH ~ 26 wks, rape 5 yrs
    "Robbery": 365.0,                       # street robbery starting point 1 year
    "Possession of weapons": 180.0,         # bladed article: about 6 months
    "Burglary": 240.0,                      # domestic 1 year, non-domestic lower
    "Criminal damage and arson": 15.0,      # mostly criminal damage (fine); arson higher
    "Theft from the person": 20.0,
    "Vehicle crime": 5.0,
    "Other theft": 2.0,
    "Bicycle theft": 2.0,
    "Shoplifting": 1.0,
    "Drugs": 4.0,                           # mostly possession (fine)
    "Public order": 7.0,                    # s.4/s.5 public order: fine / low community order
    "Other crime": 10.0,
    "Anti-social behaviour": 0.0,           # not a crime: no sentence, no CCHI harm
}

_WEIGHT_COLUMNS = ("weight", "harm", "cchi_days", "days")
_COUNT_PREFIX = ("national_count", "count", "volume")


class HarmTableError(VruError, ValueError):
    """A harm table that cannot be used; the message names the file, row and field."""


def load_harm_table(path: str | Path, weight_column: str | None = None) -> dict[str, float]:
    """Read a user's harm table: CSV with a ``category`` column and a weight column (``weight``,
    ``harm``, ``cchi_days`` or ``days``, or ``weight_column``). Several rows per category (e.g.
    one per Home Office offence subgroup) are combined into a mean weighted by a count column
    (``national_count*``, ``count``, ``volume``) when present, else a plain mean."""
    path = Path(path)
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        cols = reader.fieldnames or []
        if "category" not in cols:
            raise HarmTableError(f"{path}: no 'category' column (columns: {', '.join(cols)})")
        wcol = weight_column or next((c for c in _WEIGHT_COLUMNS if c in cols), None)
        if wcol is None or wcol not in cols:
            raise HarmTableError(
                f"{path}: no weight column; expected one of {', '.join(_WEIGHT_COLUMNS)}")
        ccol = next((c for c in cols if c.startswith(_COUNT_PREFIX)), None)
        sums: dict[str, float] = {}
        totals: dict[str, float] = {}
        for i, row in enumerate(reader, start=1):
            cat = (row.get("category") or "").strip()
            if not cat:
                raise HarmTableError(f"{path}: row {i}, field 'category': empty")
            try:
                w = float(row[wcol])
            except (TypeError, ValueError):
                raise HarmTableError(
                    f"{path}: row {i}, field {wcol!r}: {row.get(wcol)!r} is not a number") from None
            if w < 0 or not np.isfinite(w):
                raise HarmTableError(f"{path}: row {i}, field {wcol!r}: must be >= 0")
            vol = 1.0
            if ccol:
                try:
                    vol = float(row[ccol])
                except (TypeError, ValueError):
                    raise HarmTableError(
                        f"{path}: row {i}, field {ccol!r}: {row.get(ccol)!r} is not a number"
                    ) from None
            sums[cat] = sums.get(cat, 0.0) + w * vol
            totals[cat] = totals.get(cat, 0.0) + vol
    if not sums:
        raise HarmTableError(f"{path}: no rows")
    return {c: sums[c] / totals[c] if totals[c] > 0 else 0.0 for c in sums}


def harm_weights(crime_types, table: dict[str, float] | None = None) -> np.ndarray:
    """Weight of each event by its category. Unknown categories are an error naming them."""
    table = DEFAULT_HARM if table is None else table
    cats = np.asarray(crime_types, dtype=object)
    uniq, inv = np.unique(cats, return_inverse=True)
    missing = [str(u) for u in uniq if u not in table]
    if missing:
        raise HarmTableError(f"harm table has no weight for: {', '.join(missing)}")
    vals = np.array([table[u] for u in uniq], dtype=float)
    return vals[inv]


def event_weights(crime_types, weighting: str = "count",
                  table: dict[str, float] | None = None) -> np.ndarray:
    """``count`` (each event 1) or ``harm`` (table weight)."""
    if weighting == "count":
        return np.ones(len(crime_types))
    if weighting == "harm":
        return harm_weights(crime_types, table)
    raise ValueError("weighting must be 'count' or 'harm'")
