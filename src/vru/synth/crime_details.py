"""What a force's record system knows about each synthetic crime: offence code, victim, flags,
outcome. Drawn per month batch with its own random stream, so adding details never changes
where and when crimes happen.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vru.synth.crimes import ASB, CATEGORIES, VIOLENCE, CrimeBatch
from vru.synth.params import SynthParams

# Home Office offence codes (code, description, probability) per police.uk category.
OFFENCES: dict[str, list[tuple[str, str, float]]] = {
    "Violence and sexual offences": [
        ("8N", "Assault with injury", 0.30),
        ("105A", "Assault without injury", 0.30),
        ("8L", "Harassment", 0.12),
        ("8R", "Malicious communications", 0.08),
        ("5D", "Assault with intent to cause serious harm", 0.05),
        ("8Q", "Stalking", 0.04),
        ("17A", "Sexual assault on a female aged 13 and over", 0.05),
        ("19C", "Rape of a female aged 16 and over", 0.03),
        ("3A", "Threats to kill", 0.025),
        ("2", "Attempted murder", 0.003),
        ("1", "Murder", 0.002),
    ],
    "Anti-social behaviour": [("ASB", "Anti-social behaviour incident", 1.0)],
    "Public order": [("9", "Public fear, alarm or distress", 0.8),
                     ("9B", "Racially or religiously aggravated public fear", 0.2)],
    "Vehicle crime": [("45", "Theft from a vehicle", 0.6),
                      ("48", "Theft or unauthorised taking of a motor vehicle", 0.3),
                      ("126", "Interfering with a motor vehicle", 0.1)],
    "Other theft": [("49", "Other theft", 0.9), ("47", "Theft by an employee", 0.1)],
    "Criminal damage and arson": [("58A", "Criminal damage to a dwelling", 0.5),
                                  ("58C", "Criminal damage to a vehicle", 0.4),
                                  ("56B", "Arson not endangering life", 0.1)],
    "Shoplifting": [("46", "Shoplifting", 1.0)],
    "Burglary": [("28E", "Burglary - residential", 0.7),
                 ("30C", "Burglary - business and community", 0.3)],
    "Drugs": [("92D", "Possession of controlled drugs (cannabis)", 0.6),
              ("92E", "Possession of controlled drugs (excluding cannabis)", 0.2),
              ("92A", "Trafficking in controlled drugs", 0.2)],
    # Codes whose Home Office class maps to this category (sources/data/ho_offence_categories.csv),
    # so a force extract and data.police.uk put each synthetic crime in the same category.
    "Other crime": [("54", "Handling stolen goods", 0.6),
                    ("54", "Receiving stolen goods", 0.4)],
    "Bicycle theft": [("44", "Theft or unauthorised taking of a pedal cycle", 1.0)],
    "Robbery": [("34B", "Robbery of personal property", 0.85),
                ("34A", "Robbery of business property", 0.15)],
    "Possession of weapons": [("10D", "Possession of article with blade or point", 0.6),
                              ("10C", "Possession of other weapons", 0.3),
                              ("10A", "Possession of firearms with intent", 0.1)],
    "Theft from the person": [("39", "Theft from the person", 1.0)],
}
INJURY_CODES = {"8N", "5D", "2", "1"}

# Last outcome category per police.uk category (the commonest, Bedfordshire 2021-24, rounded).
OUTCOMES: dict[str, list[tuple[str, float]]] = {
    "Violence and sexual offences": [("Unable to prosecute suspect", 0.67),
                                     ("Investigation complete; no suspect identified", 0.14),
                                     ("Court result unavailable", 0.05),
                                     ("Action to be taken by another organisation", 0.04),
                                     ("Under investigation", 0.04),
                                     ("Local resolution", 0.03),
                                     ("Offender given a caution", 0.03)],
    "_property": [("Investigation complete; no suspect identified", 0.72),
                  ("Unable to prosecute suspect", 0.15),
                  ("Court result unavailable", 0.05),
                  ("Under investigation", 0.03),
                  ("Awaiting court outcome", 0.03),
                  ("Local resolution", 0.02)],
    "Drugs": [("Local resolution", 0.36), ("Court result unavailable", 0.19),
              ("Unable to prosecute suspect", 0.14), ("Awaiting court outcome", 0.07),
              ("Formal action is not in the public interest", 0.06),
              ("Under investigation", 0.06), ("Offender given a caution", 0.04),
              ("Status update unavailable", 0.08)],
    "Possession of weapons": [("Unable to prosecute suspect", 0.31),
                              ("Court result unavailable", 0.24),
                              ("Formal action is not in the public interest", 0.14),
                              ("Awaiting court outcome", 0.07), ("Under investigation", 0.05),
                              ("Offender given a caution", 0.04),
                              ("Status update unavailable", 0.15)],
    "Public order": [("Unable to prosecute suspect", 0.55),
                     ("Investigation complete; no suspect identified", 0.31),
                     ("Court result unavailable", 0.04), ("Under investigation", 0.03),
                     ("Local resolution", 0.02), ("Status update unavailable", 0.05)],
    "Robbery": [("Unable to prosecute suspect", 0.5),
                ("Investigation complete; no suspect identified", 0.38),
                ("Court result unavailable", 0.06), ("Under investigation", 0.06)],
}


@dataclass
class CrimeDetails:
    offence_code: np.ndarray     # str
    offence_desc: np.ndarray     # str
    injury: np.ndarray           # bool: an assault with injury (ED-relevant)
    victim_age: np.ndarray       # int, -1 = none recorded (ASB, drugs, weapons...)
    victim_sex: np.ndarray       # 'F', 'M' or ''
    knife: np.ndarray            # bool
    domestic: np.ndarray         # bool
    outcome: np.ndarray          # last outcome category ('' for ASB)
    suspect: np.ndarray          # person index, -1 = none identified


def details(batch: CrimeBatch, centre_weight: np.ndarray, p: SynthParams) -> CrimeDetails:
    rng = np.random.default_rng([p.seed, 301, batch.rng_key])
    n = len(batch)
    code = np.empty(n, dtype=object)
    desc = np.empty(n, dtype=object)
    outcome = np.empty(n, dtype=object)
    for j, name in enumerate(CATEGORIES):
        sel = np.flatnonzero(batch.cat == j)
        if not sel.size:
            continue
        opts = OFFENCES[name]
        pr = np.array([o[2] for o in opts])
        k = rng.choice(len(opts), size=sel.size, p=pr / pr.sum())
        code[sel] = np.array([o[0] for o in opts], dtype=object)[k]
        desc[sel] = np.array([o[1] for o in opts], dtype=object)[k]
        if j == ASB:
            outcome[sel] = ""
            continue
        oo = OUTCOMES.get(name, OUTCOMES["_property"])
        po = np.array([o[1] for o in oo])
        outcome[sel] = np.array([o[0] for o in oo], dtype=object)[
            rng.choice(len(oo), size=sel.size, p=po / po.sum())]
    injury = np.isin(code, list(INJURY_CODES))
    viol = batch.cat == VIOLENCE
    # Domestic abuse happens where people live, not in town centres or at hotspots.
    p_dom = np.where(viol & (batch.hotspot < 0), 0.35 * (1 - centre_weight[batch.zone]), 0.0)
    domestic = rng.random(n) < p_dom
    has_victim = np.isin(batch.cat, [CATEGORIES.index(c) for c in (
        "Violence and sexual offences", "Robbery", "Theft from the person", "Burglary",
        "Vehicle crime", "Other theft", "Bicycle theft", "Criminal damage and arson")])
    # Victim ages: violence and robbery victims are young (peak late teens to early thirties).
    young = rng.random(n) < np.where(viol | (batch.cat == CATEGORIES.index("Robbery")), 0.55, 0.3)
    age = np.where(young, rng.gamma(9.0, 2.6, n) + 2, rng.normal(45, 15, n))
    age = np.clip(np.round(age), 10, 95).astype(int)
    age = np.where(has_victim, age, -1)
    female = rng.random(n) < np.where(domestic, 0.75, np.where(viol, 0.42, 0.48))
    sex = np.where(has_victim, np.where(female, "F", "M"), "")
    knife_p = np.zeros(n)
    knife_p[viol] = 0.035
    knife_p[batch.cat == CATEGORIES.index("Robbery")] = 0.22
    knife_p[batch.cat == CATEGORIES.index("Possession of weapons")] = 0.0
    knife_p[np.isin(code, ["10D"])] = 1.0
    knife = rng.random(n) < knife_p
    return CrimeDetails(code.astype(str), desc.astype(str), injury, age, sex.astype(str), knife,
                        domestic, outcome.astype(str), np.full(n, -1, dtype=np.int64))
