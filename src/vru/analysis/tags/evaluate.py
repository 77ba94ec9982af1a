"""Precision and recall of matches and episodes against a ground truth (pure).

Matches are (crime, person) pairs. Episodes are compared by overlap in time for the same
person, zone and kind: a found episode is right when it overlaps a true one; a true episode is
found when some found episode overlaps it. Truth marked not robust (borderline: the answer
depends on a few metres or minutes) is left out of both sides and counted.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Score:
    found: int
    true: int
    right: int            # found items that are true
    recalled: int         # true items that were found
    borderline: int       # left out (truth not robust)

    @property
    def precision(self) -> float:
        return self.right / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.recalled / self.true if self.true else 1.0

    def as_dict(self) -> dict:
        return {"found": self.found, "true": self.true, "precision": round(self.precision, 4),
                "recall": round(self.recall, 4), "borderline_left_out": self.borderline}


def score_matches(found: pd.DataFrame, truth: pd.DataFrame, crimes: pd.DataFrame) -> Score:
    """found: crime_reference, person_id; truth: crime_reference, person_id, observable (Y/N);
    crimes: crime_reference, robust (Y/N) - pairs on crimes whose truth is not robust are left
    out, and truth the trail could not show (presence only during a silence: those are scored
    against the "whereabouts unknown" list with ``score_unknowns``)."""
    shaky = set(crimes.loc[crimes.robust != "Y", "crime_reference"])
    if "observable" in truth:
        truth = truth[truth.observable != "N"]
    f = {(c, p) for c, p in zip(found.crime_reference, found.person_id, strict=True)}
    t = {(c, p) for c, p in zip(truth.crime_reference, truth.person_id, strict=True)}
    f_eval = {x for x in f if x[0] not in shaky}
    t_eval = {x for x in t if x[0] not in shaky}
    left_out = len(f - f_eval) + len(t - t_eval)
    right = len(f_eval & t_eval)
    return Score(len(f_eval), len(t_eval), right, right, left_out)


def score_episodes(found: pd.DataFrame, truth: pd.DataFrame) -> Score:
    """found / truth: person_id, zone_id ('' for no-signal), kind, start, end (comparable
    timestamps); truth also robust (Y/N)."""
    f = found.assign(zone_id=found.zone_id.fillna(""))
    t = truth.assign(zone_id=truth.zone_id.fillna(""))
    key = ["person_id", "zone_id", "kind"]
    pairs = f.reset_index(names="fi").merge(t.reset_index(names="ti"), on=key, suffixes=("_f", "_t"))
    ov = pairs[(pairs.start_f <= pairs.end_t) & (pairs.start_t <= pairs.end_f)]
    shaky_t = set(t.index[t.robust != "Y"])
    # A found episode overlapping only borderline truth is left out; overlapping none is wrong.
    touches = ov.groupby("fi").ti.apply(set)
    f_left = {i for i, s in touches.items() if s and s <= shaky_t}
    f_right = {i for i, s in touches.items() if s - shaky_t}
    t_eval = set(t.index) - shaky_t
    recalled = set(ov.ti) & t_eval
    found_n = len(f) - len(f_left)
    return Score(found_n, len(t_eval), len(f_right), len(recalled), len(f_left) + len(shaky_t))


def score_unknowns(unknown: pd.DataFrame, truth: pd.DataFrame) -> Score:
    """Recall of presence that only a silence hid: is each such pair on the unknown list?"""
    hidden = truth[truth.get("observable", pd.Series(dtype=str)) == "N"]
    t = {(c, p) for c, p in zip(hidden.crime_reference, hidden.person_id, strict=True)}
    u = {(c, p) for c, p in zip(unknown.crime_reference, unknown.person_id, strict=True)}
    got = len(t & u)
    return Score(len(u), len(t), got, got, 0)
