"""Benchmarks for the Strategic Needs Assessment: England and Wales and a most similar group.

A benchmark pools forces: its rate is the sum of their counts over the sum of their populations
(per 1,000), not an average of their rates, so a large force weighs as much as its residents.
"England and Wales" is the pool of every force the workspace holds for the whole period (the
document names them); a most similar group (MSG) is the pool of the forces the partnership lists
for its force (``settings.benchmarks.most_similar_groups``). Pure: no IO.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vru.analysis import indicators as ind


@dataclass(frozen=True)
class ForceFigure:
    """One force's count of an indicator over the period and its resident population."""

    name: str
    count: int
    population: float | None


@dataclass(frozen=True)
class Pooled:
    """A benchmark: the pooled rate of ``forces`` (with the forces left out and why)."""

    label: str
    forces: tuple[str, ...]
    count: int
    population: float
    rate: ind.Rate


def force_key(name: str) -> str:
    """A force's name in one form, so that "Bedfordshire Police", "Bedfordshire" and the ONS
    police force area name "London, City of" (= "City of London Police") are recognised."""
    s = re.sub(r"\s+", " ", name.strip().lower())
    if "," in s:  # ONS style "London, City of" -> "city of london"
        head, _, tail = s.partition(",")
        s = f"{tail.strip()} {head.strip()}"
    s = re.sub(r"\b(police|constabulary|police service)$", "", s).strip()
    return s.replace("&", "and")


def pooled(label: str, figures: list[ForceFigure], per: int = 1000) -> Pooled | None:
    """The pooled rate of the forces with a population; None when none has one."""
    use = [f for f in figures if f.population]
    if not use:
        return None
    count = sum(f.count for f in use)
    pop = float(sum(f.population or 0.0 for f in use))
    return Pooled(label, tuple(f.name for f in use), count, pop, ind.crude_rate(count, pop, per))


def group_members(group: list[str], available: list[str]) -> tuple[list[str], list[str]]:
    """(forces of the group found among ``available`` names, group names not found)."""
    by_key = {force_key(a): a for a in available}
    found, missing = [], []
    for g in group:
        hit = by_key.get(force_key(g))
        (found if hit else missing).append(hit or g)
    return found, missing


def group_for(groups: dict[str, list[str]], force: str) -> list[str] | None:
    """The most similar group the settings give for ``force`` (any spelling), or None."""
    key = force_key(force)
    for name, members in groups.items():
        if force_key(name) == key:
            return [m for m in members if force_key(m) != key]
    return None


def rank_of(name: str, figures: list[ForceFigure]) -> int | None:
    """1 = the highest rate among ``figures`` (those with a population); None if ``name`` has
    none. Ties share the better rank."""
    rates = {f.name: f.count / f.population for f in figures if f.population}
    if name not in rates:
        return None
    return 1 + sum(1 for r in rates.values() if r > rates[name])
