"""The cost of violence: counts of offences times the Home Office unit costs of crime.

Unit costs: Heeks, Reed, Tafsiri and Prince, "The economic and social costs of crime, second
edition", Home Office Research Report 99 (July 2018), Table E1, costs per crime in 2015/16
prices (anticipation, consequences and response; all costs, not only the state's). Uplifted
to the price year asked with the HM Treasury GDP deflator (financial-year index, 2015/16 and
2023/24 values below; the partnership may pass its own). Pure: no IO.
"""

from __future__ import annotations

from dataclasses import dataclass

SOURCE = ("Home Office Research Report 99, The economic and social costs of crime (2018), "
          "unit costs per crime in 2015/16 prices")

# GBP per crime, 2015/16 prices (RR99 Table E1). Homicide's exact figure and violence without
# injury are from a copy of the report, not yet checked against the Home Office PDF
# (/work/shared/docs/facts-people-programmes.md 5.3); the others are verified.
UNIT_COSTS_2015_16: dict[str, float] = {
    "homicide": 3_217_740.0,
    "violence_with_injury": 14_050.0,
    "violence_without_injury": 5_930.0,
    "rape": 39_360.0,
    "other_sexual": 6_520.0,
    "robbery": 11_320.0,
}

# HM Treasury GDP deflator at market prices, financial years (2022/23 = 100; the December
# 2023 Quarterly National Accounts release): 2015/16 80.54, 2023/24 106.96. Stated, not
# fetched (nothing downloads); a partnership with a newer series passes its own factor.
DEFLATOR = {"2015/16": 80.54, "2023/24": 106.96}
DEFLATOR_SOURCE = ("HM Treasury GDP deflator at market prices (December 2023 Quarterly "
                   "National Accounts), financial years, 2015/16 = 80.54, 2023/24 = 106.96")


@dataclass(frozen=True)
class CostLine:
    category: str
    count: int
    unit_cost_2015_16: float
    unit_cost: float
    total: float


def uplift(base: float = DEFLATOR["2015/16"], target: float = DEFLATOR["2023/24"]) -> float:
    """The factor taking 2015/16 prices to the target year's prices."""
    return target / base


def cost_lines(counts: dict[str, int], factor: float) -> list[CostLine]:
    """One line per costed category with a count (unit costs uplifted by ``factor``)."""
    out = []
    for cat, n in counts.items():
        base = UNIT_COSTS_2015_16[cat]
        out.append(CostLine(cat, int(n), base, base * factor, base * factor * int(n)))
    return out
