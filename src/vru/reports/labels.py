"""Human labels for the raw codes partner data carries (the code lists of each source's
contract), used in every published text: a reader sees "Pub, bar or nightclub", never PUB_CLUB.

``CODE_LISTS`` maps each coded field to its labels; a test checks it covers every code the
source contracts accept. ``label(code)`` falls back to a tidied form of an unknown code so that
a new code never prints raw.
"""

from __future__ import annotations

from vru.sources.education import REASONS as EXCLUSION_REASONS
from vru.sources.youth_justice import OUTCOMES as YOUTH_OUTCOMES

_SEX = {"M": "Male", "F": "Female", "X": "Other", "U": "Not known"}
_ETHNICITY = {"WHITE": "White", "MIXED": "Mixed or multiple ethnic groups",
              "ASIAN": "Asian or Asian British", "BLACK": "Black, Black British, Caribbean or African",
              "OTHER": "Other ethnic group", "UNKNOWN": "Not known"}

CODE_LISTS: dict[str, dict[str, str]] = {
    "location_type": {
        "HOME": "Home", "STREET": "Street or other public place",
        "PUB_CLUB": "Pub, bar or nightclub", "SHOP": "Shop", "SCHOOL": "School or college",
        "WORKPLACE": "Workplace", "TRANSPORT": "Public transport", "PARK": "Park or open space",
        "OTHER": "Other place", "UNKNOWN": "Place not recorded",
    },
    "assault_method": {
        "BODY": "Hands, feet or body", "BLUNT": "Blunt object", "SHARP": "Knife or sharp object",
        "GLASS": "Glass or bottle", "FIREARM": "Firearm", "OTHER": "Other weapon",
        "UNKNOWN": "Method not recorded",
    },
    "sex": _SEX,
    "victim_sex": _SEX,
    "suspect_sex": _SEX,
    "exclusion_type": {"PERMANENT": "Permanent exclusion", "SUSPENSION": "Suspension"},
    "reason_code": dict(EXCLUSION_REASONS),   # DfE's reasons, as the education contract has them
    "event_type": {"FTE": "First-time entrant to the youth justice system",
                   "OUTCOME": "Youth justice outcome"},
    "outcome_code": dict(YOUTH_OUTCOMES),     # as the youth justice contract has them
    "order_type": {"GPS_TRAIL": "GPS location monitoring", "EXCLUSION": "Exclusion zone",
                   "INCLUSION": "Inclusion zone", "CURFEW": "Curfew"},
    "zone_type": {"EXCLUSION": "Exclusion zone", "INCLUSION": "Inclusion zone"},
    "status": {"RECEIVED": "Received", "ASSESSED": "Assessed", "ACCEPTED": "Accepted",
               "DECLINED": "Declined", "ENGAGED": "Engaged", "COMPLETED": "Completed",
               "DISENGAGED": "Disengaged"},
    "ethnicity": _ETHNICITY,
    "victim_ethnicity": _ETHNICITY,   # the force extract's columns (ONS five groups)
    "suspect_ethnicity": _ETHNICITY,
    "source": {"police_uk": "data.police.uk street-level crime",
               "police_rms": "force crime extracts"},
}

_ALL = {code: text for codes in CODE_LISTS.values() for code, text in codes.items()}


def label(code: object, field: str | None = None) -> str:
    """The label of a raw code (in ``field``'s list when given, else in any list)."""
    if code is None:
        return "Not recorded"
    c = str(code)
    table = CODE_LISTS.get(field, _ALL) if field else _ALL
    if c in table:
        return table[c]
    if c.upper() in table:
        return table[c.upper()]
    # An unknown code still reads as words rather than as a code.
    return c.replace("_", " ").capitalize() if c.isupper() or "_" in c else c


def raw_codes() -> set[str]:
    """Every raw code that could be mistaken for nothing but a code in published text: two or
    more capitals, or with an underscore (single letters and ordinary words like OTHER or
    HOME in capitals are still codes, but are left to the labels)."""
    return {c for codes in CODE_LISTS.values() for c in codes if len(c) > 1}
