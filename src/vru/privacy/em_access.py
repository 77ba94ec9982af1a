"""Who may see electronic-monitoring results (GPS tag matches, breaches, alerts): deny by default.

A person's tag trail near a crime scene is among the most sensitive things vru holds. The GPS
tagging actions are registered with the one access gate (``vru.privacy.access``) as person-level
actions needing the ``records`` permission and the purpose ``electronic monitoring`` in the
``em_gps`` data-sharing agreement in force. On top of that gate, one rule of their own: the
user's agency must be police or probation - the owning agency of the ``em_gps`` agreement (the
monitoring service) or of the ``police_rms`` agreement (the force).

So access needs all of: an ``em_gps`` agreement in force listing ``electronic monitoring``; a
role that may see record-level rows (admin, analyst, partner; never viewer); a police or
probation agency. Anyone else sees nothing: not the pages' contents, not counts per person.
Every permitted view is audited with the reason the user gave (the web pages and CLI ask).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date

from vru.privacy import agreements
from vru.privacy.access import Actor, Permission, Resource, register_action, why_not
from vru.privacy.roles import Role

EM_PURPOSE = "electronic monitoring"
_DESCRIPTIONS = {
    "tags.matches": "see which tagged people's trails came near a crime scene",
    "tags.breaches": "see a tagged person's zone breaches and no-signal episodes",
    "tags.alerts": "see the electronic-monitoring alert list",
    "tags.trail": "see a tagged person's GPS trail",
    "tags.alert_update": "acknowledge, action or close an electronic-monitoring alert",
}
ACTIONS = {name: register_action(name, Permission.RECORDS, purpose=EM_PURPOSE,
                                 person_level=True, description=text)
           for name, text in _DESCRIPTIONS.items()}
RESOURCE = Resource("em_results", "tags", source="em_gps")


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str


def em_agencies(con, on: date | None = None) -> tuple[set[str], bool]:
    """(lower-case police and probation agencies, whether an em_gps agreement in force lists
    the electronic-monitoring purpose)."""
    try:
        em = agreements.in_force(con, "em_gps", on)
    except agreements.AgreementMissing:
        return set(), False
    if EM_PURPOSE not in em.purposes:
        return set(), False
    names = {em.owning_agency.strip().lower()}
    with contextlib.suppress(agreements.AgreementMissing):
        names.add(agreements.in_force(con, "police_rms", on).owning_agency.strip().lower())
    return names, True


def decide(con, role: Role | str, agency: str | None, action: str = "tags.matches",
           on: date | None = None, name: str | None = None) -> Decision:
    if action not in ACTIONS:
        return Decision(False, f"unknown action {action!r}")
    actor = Actor(name, Role(role), agency)
    reason = why_not(ACTIONS[action], RESOURCE, actor, agreements=agreements.list_all(con), on=on)
    if reason is not None:
        return Decision(False, reason)
    names, _ = em_agencies(con, on)
    if not agency or agency.strip().lower() not in names:
        return Decision(False, "only police and probation staff (the em_gps or police_rms "
                               "agreement's agency) may see electronic-monitoring data")
    return Decision(True, "police/probation user under an electronic-monitoring agreement")
