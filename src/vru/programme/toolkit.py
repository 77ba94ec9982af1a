"""The Youth Endowment Fund Toolkit as published: strands, impact band and point estimate.

Shipped as a versioned reference table (``prog_toolkit``): an intervention records the strand
and the toolkit version it was mapped against. Bands and figures are those the YEF publishes
(youthendowmentfund.org.uk sector and toolkit pages; YEF news for the mentoring figures), as
collected in the project's facts file. Where we have not read a published value (the evidence
quality score 1-5, the cost score 1-3, some bands) it is stored as NULL / NOT_RECORDED rather
than guessed. A new edition of the toolkit is a new version (and a new migration seeding it),
never an edit of this one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

BANDS = ("HIGH", "MODERATE", "LOW", "NO_CLEAR_EVIDENCE", "INSUFFICIENT", "HARMFUL",
         "NOT_RECORDED")
BAND_TEXT = {
    "HIGH": "High impact (30%+ less violence)",
    "MODERATE": "Moderate impact (10%-30% less violence)",
    "LOW": "Low impact (2%-9% less violence)",
    "NO_CLEAR_EVIDENCE": "No clear evidence",
    "INSUFFICIENT": "Insufficient evidence",
    "HARMFUL": "Harmful (increased violence)",
    "NOT_RECORDED": "Band not recorded in vru's reference",
}
# Strands where planning views warn that money goes to no, or harmful, evidence.
WARN_BANDS = ("NO_CLEAR_EVIDENCE", "INSUFFICIENT", "HARMFUL")

YEF = "youthendowmentfund.org.uk toolkit and sector pages"


@dataclass(frozen=True)
class Strand:
    strand: str
    title: str
    band: str
    impact_pct: float | None = None
    note: str = ""
    source: str = YEF
    evidence_quality: int | None = None
    cost_rating: int | None = None


V2025 = "2025-05"
AS_OF = {V2025: date(2025, 5, 31)}
CURRENT = V2025

STRANDS: dict[str, tuple[Strand, ...]] = {V2025: (
    Strand("focused_deterrence", "Focused deterrence", "HIGH", 33.0,
           "on average reducing crime by 33 per cent; review of 24 studies",
           "YEF focused deterrence guidance (cited by gmvru.co.uk)"),
    Strand("sports_programmes", "Sports programmes", "HIGH", None, "low confidence in the estimate"),
    Strand("cbt", "Cognitive behavioural therapy", "HIGH"),
    Strand("social_skills", "Social skills training", "HIGH"),
    Strand("ae_navigators", "A&E navigators", "HIGH", None, "evidence severely limited"),
    Strand("trauma_therapies", "Trauma-specific therapies", "HIGH"),
    Strand("mentoring", "Mentoring", "MODERATE", 21.0,
           "21% less violence, 14% less offending, 19% less reoffending",
           "YEF news (GBP 10m mentoring round)"),
    Strand("functional_family_therapy", "Functional Family Therapy", "MODERATE"),
    Strand("multi_systemic_therapy", "Multi-Systemic Therapy", "MODERATE"),
    Strand("hot_spots_policing", "Hot spots policing", "MODERATE"),
    Strand("pre_court_diversion", "Pre-court diversion", "MODERATE"),
    Strand("restorative_justice", "Restorative justice", "MODERATE"),
    Strand("anti_bullying", "Anti-bullying programmes", "NOT_RECORDED", None,
           "technical report: effect size 0.153, about 19% less bullying (not violence)",
           "YEF technical report, June 2021"),
    Strand("adventure_wilderness", "Adventure and wilderness therapy", "LOW", None,
           "low quality evidence, 5 studies"),
    Strand("cctv", "CCTV", "LOW"),
    Strand("police_in_schools", "Police in schools", "NO_CLEAR_EVIDENCE"),
    Strand("knife_crime_education", "Knife crime education programmes", "INSUFFICIENT",
           None, "insufficient / no clear evidence"),
    Strand("arts_programmes", "Arts programmes", "NO_CLEAR_EVIDENCE"),
    Strand("trauma_informed_training", "Trauma-informed training and service redesign",
           "NO_CLEAR_EVIDENCE"),
    Strand("prison_awareness", "Prison awareness (scared straight)", "HARMFUL"),
    Strand("boot_camps", "Boot camps", "HARMFUL"),
    Strand("parenting", "Parenting programmes", "NOT_RECORDED"),
    Strand("after_school", "After-school programmes", "NOT_RECORDED"),
    Strand("bystander", "Bystander interventions", "NOT_RECORDED"),
    Strand("relationship_violence_lessons", "Relationship violence prevention lessons",
           "NOT_RECORDED"),
    Strand("exclusion_prevention", "Interventions to prevent school exclusion", "NOT_RECORDED"),
    Strand("detached_youth_work", "Detached and outreach youth work", "NOT_RECORDED"),
    Strand("other", "Not a YEF Toolkit strand", "NOT_RECORDED"),
)}


def strands(version: str = CURRENT) -> dict[str, Strand]:
    return {s.strand: s for s in STRANDS[version]}


def seed_rows(version: str = V2025) -> list[tuple]:
    return [(version, s.strand, s.title, s.band, s.impact_pct, s.evidence_quality, s.cost_rating,
             s.note or None, s.source, AS_OF[version]) for s in STRANDS[version]]
