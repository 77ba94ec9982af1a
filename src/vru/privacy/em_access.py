"""Who may see electronic-monitoring results (GPS tag matches, breaches, alerts): deny by default.

A person's tag trail near a crime scene is among the most sensitive things vru holds. Access
needs all of:

1. an ``em_gps`` data-sharing agreement in force whose purposes cover electronic monitoring
   (a purpose naming one of ``EM_PURPOSES``);
2. a role that may see person-level records (admin, analyst or partner; never viewer);
3. the user's agency is police or probation: the owning agency of the ``em_gps`` agreement
   (probation / the monitoring service) or of the ``police_rms`` agreement (the force).

Anyone else sees nothing: not the pages' contents, not counts per person. Every permitted view
is audited with the reason the user gave (the web pages and CLI ask for it).

This is the EM action's rule; it registers with the project's access gate when that lands.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date

from vru.privacy import agreements
from vru.privacy.roles import Role

EM_PURPOSES: tuple[str, ...] = ("electronic monitoring", "crime-scene correlation",
                                "exclusion zone", "curfew monitoring")
ACTIONS: tuple[str, ...] = ("tags.matches", "tags.breaches", "tags.alerts", "tags.trail",
                            "tags.alert_update")


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str


def covers_em(purposes: tuple[str, ...] | list[str]) -> bool:
    return any(k in p.lower() for p in purposes for k in EM_PURPOSES)


def em_agencies(con, on: date | None = None) -> tuple[set[str], bool]:
    """(lower-case agencies allowed, whether an EM agreement is in force)."""
    try:
        em = agreements.in_force(con, "em_gps", on)
    except agreements.AgreementMissing:
        return set(), False
    if not covers_em(em.purposes):
        return set(), False
    names = {em.owning_agency.strip().lower()}
    with contextlib.suppress(agreements.AgreementMissing):
        names.add(agreements.in_force(con, "police_rms", on).owning_agency.strip().lower())
    return names, True


def decide(con, role: Role | str, agency: str | None, action: str = "tags.matches",
           on: date | None = None) -> Decision:
    if action not in ACTIONS:
        return Decision(False, f"unknown action {action!r}")
    r = Role(role)
    if r is Role.VIEWER:
        return Decision(False, "viewers never see electronic-monitoring data")
    names, ok = em_agencies(con, on)
    if not ok:
        return Decision(False, "no em_gps data-sharing agreement in force covers electronic "
                               "monitoring")
    if not agency or agency.strip().lower() not in names:
        return Decision(False, "only police and probation staff (the em_gps or police_rms "
                               "agreement's agency) may see electronic-monitoring data")
    return Decision(True, "police/probation user under an electronic-monitoring agreement")
