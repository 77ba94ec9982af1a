"""The synthetic VRU programme: providers, interventions under each theme, referral funnels
with realistic drop-out, attendance, universal reach, a funding flow at realistic scale (Home
Office -> PCC -> local authorities -> providers, in pence), and a planted true effect of some
interventions on participants' later offending (ground truth for the evaluation issue).

How the effect is planted: ``build_programme`` decides, before any crime is generated, who is
referred where and when, and who completes. ``ProgrammeWorld.activity_scale(month)`` gives each
person's multiplier on their propensity to be the identified suspect of an offence in that
month: after the date a completer *started* an intervention with a true effect, their
propensity is multiplied by that effect (e.g. 0.79 = 21% fewer offences, violence included);
everyone else keeps 1. The partner files pick suspects with these weights
(``vru.synth.partners.PartnerFiles``), so the effect is in the police force extract, and
through it in outcomes computed from linked data. Drop-outs and declined referrals get no
effect. Who is referred depends on their propensity (higher-risk young people are referred
more), so a naive comparison with non-participants is biased, as in real life.

Files (``programme/``): ``setup/interventions.csv`` and ``setup/grants.csv`` (loaded by the demo
through vru.programme's API), and ``returns/YYYY-MM/`` providers' monthly returns in the
import contracts (docs/guide/hub-programme.md): ``1-referrals-<provider>.csv`` (referrals whose
state changed that month, as at the month end), ``2-attendance-<provider>.csv``,
``3-reach-<provider>.csv``, and at each quarter end ``4-spend-<provider>.csv``. Truth:
``truth/programme_effects.csv`` and ``truth/programme_participants.csv``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from vru.synth.identities import zone_postcodes
from vru.synth.params import SynthParams
from vru.synth.people import People, noisy
from vru.synth.world import World
from vru.synth.writers import write_csv

THEMES = ("Early intervention and prevention", "Supporting communities and partnerships",
          "County lines and the misuse of drugs",
          "Effective law enforcement and criminal justice")

# name, kind, funded by ('PCC' or a local authority index)
PROVIDERS = (
    ("Kingsmere Youth Trust", "charity"),
    ("Safer Streets Partnership", "charity"),
    ("Kingsmere Hospitals NHS Trust", "nhs"),
    ("Kingsmere Police", "police"),
    ("Harrowfield Council Youth Service", "local_authority"),
    ("Families First", "charity"),
)


@dataclass(frozen=True)
class Spec:
    code: str
    name: str
    theme: int
    level: str
    strand: str
    provider: int
    delivery: str
    setting: str
    capacity: int          # places a year (one-to-one) or people a year (universal / group)
    cost_per_place: int    # pounds
    funder: str            # "PCC" or a local authority index as text
    true_effect: float | None   # multiplier on later offending for completers (None: no people)
    share: float           # share of referrals (one-to-one)
    ages: tuple[int, int]


SPECS = (
    Spec("MENT", "Mentoring for 10-17s", 0, "secondary", "mentoring", 0, "one_to_one",
         "community", 60, 1800, "0", 0.79, 0.26, (10, 17)),
    Spec("FD", "Focused deterrence: group violence intervention", 3, "tertiary",
         "focused_deterrence", 1, "one_to_one", "community", 40, 3500, "PCC", 0.67, 0.16,
         (14, 24)),
    Spec("AENAV", "A&E youth navigators", 0, "secondary", "ae_navigators", 2, "one_to_one",
         "hospital", 50, 900, "PCC", 1.0, 0.2, (10, 24)),
    Spec("CUSTODY", "Custody diversion for young adults", 3, "tertiary", "pre_court_diversion",
         3, "one_to_one", "custody", 40, 1200, "PCC", 0.85, 0.16, (18, 24)),
    Spec("DRUGDIV", "Drug diversion for under-18s", 2, "secondary", "pre_court_diversion", 4,
         "one_to_one", "community", 30, 800, "1", 1.0, 0.12, (10, 17)),
    Spec("FFT", "Functional family therapy", 0, "tertiary", "functional_family_therapy", 5,
         "one_to_one", "community", 20, 4500, "2", 0.85, 0.1, (10, 17)),
    Spec("SPORT", "Midnight football", 1, "primary", "sports_programmes", 1, "group",
         "community", 600, 80, "3", None, 0.0, (10, 24)),
    Spec("DETACHED", "Detached youth work", 1, "primary", "detached_youth_work", 0, "universal",
         "community", 2500, 24, "0", None, 0.0, (10, 24)),
    Spec("SCHOOLS", "Knife crime education in schools", 0, "primary", "knife_crime_education",
         4, "universal", "school", 6000, 6, "4", None, 0.0, (11, 16)),
    Spec("EVENTS", "Community engagement events", 1, "primary", "other", 5, "universal",
         "community", 3000, 10, "PCC", None, 0.0, (10, 24)),
)

# Funnel (realistic drop-out): probabilities of reaching each next stage.
P_ASSESSED, P_ACCEPTED, P_ENGAGED, P_COMPLETED = 0.92, 0.78, 0.8, 0.64
REFERRAL_AGENCIES = ("Police", "School", "Youth Justice Service", "Children's Social Care",
                     "Emergency department", "Self / family", "Voluntary sector")
REASONS = ("carrying a knife", "exploitation risk (county lines)", "assault", "robbery",
           "at risk of exclusion", "missing episodes", "peer group violence", "drug possession",
           "victim of violence", "anti-social behaviour")
DECLINE = ("not eligible (age or area)", "needs met by another service", "declined by family",
           "capacity full")
DISENGAGE = ("stopped attending", "moved out of the area", "entered custody",
             "did not want to continue")
ETHNICITY_P = (("WHITE", 0.68), ("BLACK", 0.12), ("ASIAN", 0.1), ("MIXED", 0.07),
               ("OTHER", 0.02), ("UNKNOWN", 0.01))
HO_GRANT = 1_160_000_00       # pence a year (Thames Valley's 2019/20 figure, as a typical size)
MATCH = 116_000_00


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


@dataclass
class Referral:
    ref: str
    spec: int
    person: int
    agency: str
    reasons: str
    received: date
    assessed: date | None
    decision: date | None
    declined: bool
    engaged: date | None
    ended: date | None
    final: str                 # status at the end of the story
    reason: str
    age: int
    sex: str
    ethnicity: str
    area: str
    lsoa: str
    sessions: list[tuple[date, bool, int]]


class ProgrammeWorld:
    def __init__(self, world: World, people: People, p: SynthParams, first: date,
                 last: date) -> None:
        self.world, self.people, self.p = world, people, p
        self.first, self.last = first, last
        self.referrals: list[Referral] = []
        # person -> [(start date, multiplier)] for completers of effective interventions
        self.effects: dict[int, list[tuple[np.datetime64, float]]] = {}
        self._scales: dict[np.datetime64, np.ndarray] = {}

    def activity_scale(self, month: np.datetime64) -> np.ndarray:
        """Each person's multiplier on offending propensity in ``month`` (the planted effect)."""
        m = np.datetime64(month, "M")
        if m not in self._scales:
            s = np.ones(len(self.people))
            start = m.astype("datetime64[D]")
            for person, eff in self.effects.items():
                for d0, mult in eff:
                    if d0 <= start:
                        s[person] *= mult
            self._scales[m] = s
        return self._scales[m]


def build_programme(world: World, people: People, p: SynthParams) -> ProgrammeWorld:
    rng = np.random.default_rng([p.seed, 801])
    first = date(p.start_year, 4, 1)
    last = date(p.start_year + p.years, 3, 31)
    pw = ProgrammeWorld(world, people, p, first, last)
    one = [i for i, s in enumerate(SPECS) if s.delivery == "one_to_one"]
    shares = np.array([SPECS[i].share for i in one])
    shares = shares / shares.sum()
    per_year = p.programme.referrals_per_year * p.scale ** 0.5
    n = int(rng.poisson(per_year * p.years * 0.9))   # referrals start after a set-up quarter
    days = (last - first).days
    start_offset = 90
    poi = np.flatnonzero(people.of_interest)
    counters: dict[int, int] = {}
    for _ in range(n):
        k = one[int(rng.choice(len(one), p=shares))]
        spec = SPECS[k]
        received = first + timedelta(days=int(rng.integers(start_offset, days)))
        ages = people.age_of(poi, np.full(poi.size, np.datetime64(received)))
        ok = poi[(ages >= spec.ages[0]) & (ages <= spec.ages[1])]
        if ok.size == 0:
            continue
        # Higher-risk young people are referred more: selection on propensity.
        w = people.activity[ok] + 0.3
        person = int(rng.choice(ok, p=w / w.sum()))
        counters[k] = counters.get(k, 0) + 1
        r = _story(rng, spec, k, person, received, counters[k], pw)
        pw.referrals.append(r)
        if r.final == "completed" and spec.true_effect not in (None, 1.0) and r.engaged:
            pw.effects.setdefault(person, []).append(
                (np.datetime64(r.engaged), float(spec.true_effect)))
    return pw


def _story(rng, spec: Spec, k: int, person: int, received: date, n: int,
           pw: ProgrammeWorld) -> Referral:
    people, world = pw.people, pw.world
    age = int(people.age_of(np.array([person]), np.array([np.datetime64(received)]))[0])
    zone = int(people.home_zone[person])
    eth = [e for e, _ in ETHNICITY_P][int(rng.choice(len(ETHNICITY_P),
                                                    p=[q for _, q in ETHNICITY_P]))]
    reasons = "; ".join(sorted(set(rng.choice(REASONS, size=int(rng.integers(1, 3))))))
    d = received
    assessed = decision = engaged = ended = None
    declined, final, reason = False, "received", ""
    sessions: list[tuple[date, bool, int]] = []
    if rng.random() < P_ASSESSED:
        assessed = d = d + timedelta(days=int(rng.integers(2, 12)))
        final = "assessed"
        decision = d = d + timedelta(days=int(rng.integers(3, 16)))
        if rng.random() < P_ACCEPTED:
            final = "accepted"
            if rng.random() < P_ENGAGED:
                engaged = d = d + timedelta(days=int(rng.integers(5, 35)))
                completes = rng.random() < P_COMPLETED
                weeks = int(rng.integers(8, 21))
                stop = weeks if completes else int(rng.integers(1, max(2, weeks // 2) + 1))
                p_attend = 0.85 if completes else 0.55
                for w_ in range(stop):
                    sd = engaged + timedelta(days=7 * w_)
                    went = bool(rng.random() < p_attend)
                    sessions.append((sd, went, int(rng.choice([45, 60, 60, 90])) if went else 0))
                ended = engaged + timedelta(days=7 * stop + int(rng.integers(0, 7)))
                final = "completed" if completes else "disengaged"
                reason = "" if completes else str(rng.choice(DISENGAGE))
            else:
                ended = d + timedelta(days=int(rng.integers(7, 30)))
                final, reason = "disengaged", "did not start"
        else:
            declined, final, reason = True, "declined", str(rng.choice(DECLINE))
    return Referral(f"{spec.code}-{n:05d}", k, person, str(rng.choice(REFERRAL_AGENCIES)),
                    reasons, received, assessed, decision, declined, engaged, ended, final,
                    reason, age, str(people.sex[person]), eth,
                    world.lad_name[int(world.zone_lad[zone])], str(world.zone_code[zone]),
                    sessions)


# ------------------------------------------------------------------------------ writing
def _state(r: Referral, asof: date) -> dict[str, str] | None:
    """The referral's row in a return as at ``asof`` (None before it was received)."""
    if r.received > asof:
        return None

    def upto(d: date | None) -> str:
        return d.isoformat() if d is not None and d <= asof else ""
    status = "RECEIVED"
    if upto(r.assessed):
        status = "ASSESSED"
    if upto(r.decision):
        status = "DECLINED" if r.declined else "ACCEPTED"
    if upto(r.engaged):
        status = "ENGAGED"
    if upto(r.ended) and not r.declined:
        status = "COMPLETED" if r.final == "completed" else "DISENGAGED"
    return {"status": status, "assessed_date": upto(r.assessed),
            "decision_date": upto(r.decision), "engaged_date": upto(r.engaged),
            "ended_date": upto(r.ended) if status in ("COMPLETED", "DISENGAGED") else "",
            "status_reason": r.reason if status in ("DECLINED", "DISENGAGED") else ""}


def _month_end(m: date) -> date:
    nxt = date(m.year + (m.month == 12), m.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def write_programme(out: Path, pw: ProgrammeWorld, people: People) -> dict[str, int]:
    """Write setup, monthly returns and truth; returns row counts."""
    from vru.programme.periods import fy_of, quarter_of

    rng = np.random.default_rng([pw.p.seed, 802])
    root = out / "programme"
    counts: dict[str, int] = {"programme referrals": len(pw.referrals)}
    write_csv(root / "setup" / "interventions.csv", {
        "code": [s.code for s in SPECS], "name": [s.name for s in SPECS],
        "theme": [THEMES[s.theme] for s in SPECS], "prevention_level": [s.level for s in SPECS],
        "yef_strand": [s.strand for s in SPECS], "provider": [PROVIDERS[s.provider][0] for s in SPECS],
        "provider_kind": [PROVIDERS[s.provider][1] for s in SPECS],
        "delivery": [s.delivery for s in SPECS], "setting": [s.setting for s in SPECS],
        "areas": ["|".join(pw.world.lad_name) if s.funder == "PCC"
                  else pw.world.lad_name[int(s.funder)] for s in SPECS],
        "start_date": [pw.first.isoformat()] * len(SPECS),
        "capacity": [s.capacity for s in SPECS],
        "cost_per_place": [f"{s.cost_per_place}.00" for s in SPECS]})
    grants, spend = _funding(pw, rng)
    write_csv(root / "setup" / "grants.csv", {k: [g[k] for g in grants] for k in grants[0]})
    # PCC and LA spend (evaluation, coordination) is recorded by the ledger, not a return.
    own = [s for s in spend if s["provider"] is None]
    write_csv(root / "setup" / "ledger-spend.csv", {k: [s[k] or "" for s in own]
                                                   for k in ("grant_reference", "fy", "quarter",
                                                             "category", "amount",
                                                             "description")})
    months = []
    m = date(pw.first.year, pw.first.month, 1)
    while m <= pw.last:
        months.append(m)
        m = date(m.year + (m.month == 12), m.month % 12 + 1, 1)
    ref_cols = ("provider_ref", "intervention_code", "nhs_number", "pnc_id", "upn", "forename",
                "surname", "date_of_birth", "postcode", "referring_agency", "referral_date",
                "reasons", "status", "assessed_date", "decision_date", "engaged_date",
                "ended_date", "status_reason", "age", "sex", "ethnicity", "area", "lsoa_code")
    names = _typed_names(pw, people)
    links: dict[str, list] = {"source": [], "file": [], "row_number": [], "person_id": []}
    n_ref = n_att = n_reach = n_spend = 0
    for m in months:
        end = _month_end(m)
        folder = root / "returns" / f"{m.year:04d}-{m.month:02d}"
        for pi, (pname, _kind) in enumerate(PROVIDERS):
            rows: dict[str, list] = {c: [] for c in ref_cols}
            att: dict[str, list] = {c: [] for c in ("provider_ref", "intervention_code",
                                                    "session_date", "attended", "minutes")}
            for r in pw.referrals:
                spec = SPECS[r.spec]
                if spec.provider != pi:
                    continue
                stage_dates = (r.received, r.assessed, r.decision, r.engaged, r.ended)
                if any(d is not None and m <= d <= end for d in stage_dates):
                    st = _state(r, end)
                    row = {"provider_ref": r.ref, "intervention_code": spec.code,
                           "nhs_number": people.nhs_number[r.person],
                           "pnc_id": people.pnc_id[r.person], "upn": people.upn[r.person],
                           **names[r.ref], "referring_agency": r.agency,
                           "referral_date": r.received.isoformat(), "reasons": r.reasons,
                           **st, "age": r.age, "sex": r.sex, "ethnicity": r.ethnicity,
                           "area": r.area, "lsoa_code": r.lsoa}
                    for c in ref_cols:
                        rows[c].append(row[c])
                for sd, went, mins in r.sessions:
                    if m <= sd <= end and sd <= pw.last:
                        att["provider_ref"].append(r.ref)
                        att["intervention_code"].append(spec.code)
                        att["session_date"].append(sd.isoformat())
                        att["attended"].append("Y" if went else "N")
                        att["minutes"].append(str(mins) if went else "")
            if rows["provider_ref"]:
                # The month in the name too: linkage exports name a record by its file's name.
                fname = f"1-referrals-{slug(pname)}-{folder.name}.csv"
                write_csv(folder / fname, rows)
                k = len(rows["provider_ref"])
                links["source"] += ["programme"] * k
                links["file"] += [f"programme/returns/{folder.name}/{fname}"] * k
                links["row_number"] += list(range(1, k + 1))
                links["person_id"] += [names[ref]["person_id"] for ref in rows["provider_ref"]]
                n_ref += k
            if att["provider_ref"]:
                write_csv(folder / f"2-attendance-{slug(pname)}.csv", att)
                n_att += len(att["provider_ref"])
            reach = _reach_rows(pw, rng, pi, m)
            if reach["people"]:
                write_csv(folder / f"3-reach-{slug(pname)}.csv", reach)
                n_reach += len(reach["people"])
            if m.month in (6, 9, 12, 3):
                fy, q = fy_of(m), quarter_of(m)
                lines = [s for s in spend if s["provider"] == pi and s["fy"] == fy
                         and s["quarter"] == q]
                if lines:
                    write_csv(folder / f"4-spend-{slug(pname)}.csv", {
                        k: [s[k] or "" for s in lines] for k in (
                            "grant_reference", "fy", "quarter", "category", "intervention_code",
                            "amount", "over_allocation_reason", "description")})
                    n_spend += len(lines)
    counts.update({"programme attendance": n_att, "programme reach": n_reach,
                   "programme spend lines": n_spend})
    _truth(out / "truth", pw, people)
    write_csv(out / "truth" / "identity_links.csv", links, append=True)
    return counts


def _typed_names(pw: ProgrammeWorld, people: People) -> dict[str, dict[str, str]]:
    """Per referral, the person's names, date of birth and home postcode as the provider typed
    them (record linkage): the partner files' identifier noise, fixed for the referral across
    its monthly returns; its own random stream, so the rest is drawn as before."""
    refs = pw.referrals
    who = np.array([r.person for r in refs], dtype=np.int64)
    ids = noisy(people, who, pw.p.noise, np.random.default_rng([pw.p.seed, 804]))
    miss = np.random.default_rng([pw.p.seed, 805]).random(who.size) < pw.p.noise.postcode_missing
    pc = np.where(miss, "", zone_postcodes(people.home_zone[who]))
    return {r.ref: {"forename": ids.forename[j], "surname": ids.surname[j],
                    "date_of_birth": ids.dob[j], "postcode": pc[j],
                    "person_id": people.person_id[r.person]} for j, r in enumerate(refs)}


def _reach_rows(pw: ProgrammeWorld, rng, provider: int, m: date) -> dict[str, list]:
    cols: dict[str, list] = {c: [] for c in ("intervention_code", "month", "age_band", "sex",
                                             "ethnicity", "area", "people")}
    if m < pw.first + timedelta(days=90):
        return cols
    for s in SPECS:
        if s.provider != provider or s.delivery == "one_to_one":
            continue
        areas = pw.world.lad_name if s.funder == "PCC" else [pw.world.lad_name[int(s.funder)]]
        per_month = s.capacity / 12 / len(areas)
        for area in areas:
            for band, bw in (("10-13", 0.35), ("14-17", 0.45), ("18-21", 0.2)):
                for sex, sw in (("M", 0.6), ("F", 0.4)):
                    k = int(rng.poisson(per_month * bw * sw))
                    if k:
                        cols["intervention_code"].append(s.code)
                        cols["month"].append(m.isoformat())
                        cols["age_band"].append(band)
                        cols["sex"].append(sex)
                        cols["ethnicity"].append("UNKNOWN")
                        cols["area"].append(area)
                        cols["people"].append(str(k))
    return cols


def _funding(pw: ProgrammeWorld, rng) -> tuple[list[dict], list[dict]]:
    """Grants HO -> PCC -> LA -> provider per financial year, and quarterly spend lines."""
    from vru.programme.periods import fy_of

    grants: list[dict] = []
    spend: list[dict] = []
    las = pw.world.lad_name
    for y in range(pw.p.start_year, pw.p.start_year + pw.p.years):
        fy = fy_of(date(y, 4, 1))
        ho = f"HO-VRU-{fy}"
        grants.append(_g(ho, "Home Office", "Kingsmere PCC", fy, HO_GRANT, None, MATCH,
                         json.dumps([{"kind": "evaluation_min_pct", "value": 10},
                                     {"kind": "match_pct", "value": 10}])))
        budgets = {s.code: s.capacity * s.cost_per_place * 100 for s in SPECS}
        la_total: dict[int, int] = {}
        for s in SPECS:
            if s.funder != "PCC":
                la_total[int(s.funder)] = la_total.get(int(s.funder), 0) + budgets[s.code]
        la_coord = 25_000_00
        for li, name in enumerate(las):
            amount = la_total.get(li, 0) + la_coord
            grants.append(_g(f"PCC-{slug(name)}-{fy}", "Kingsmere PCC", name, fy, amount, ho))
            spend += _spread(f"PCC-{slug(name)}-{fy}", fy, la_coord, "coordination", None, None,
                             rng, "VRU spoke coordinator")
        for s in SPECS:
            parent = ho if s.funder == "PCC" else f"PCC-{slug(las[int(s.funder)])}-{fy}"
            funder = "Kingsmere PCC" if s.funder == "PCC" else las[int(s.funder)]
            ref = f"{s.code}-{fy}"
            grants.append(_g(ref, funder, PROVIDERS[s.provider][0], fy, budgets[s.code], parent))
            # Delivery: 85-99% of the budget, more in later quarters as caseloads build.
            used = int(budgets[s.code] * rng.uniform(0.85, 0.99))
            spend += _spread(ref, fy, used, "delivery", s.code, s.provider, rng,
                             f"{s.name}: delivery")
        # The PCC keeps the rest: evaluation (at least 10% of the grant) and coordination.
        devolved = sum(g["amount_pence"] for g in grants if g["parent"] == ho)
        left = HO_GRANT - devolved
        evaluation = min(int(HO_GRANT * 0.105), left)
        spend += _spread(ho, fy, evaluation, "evaluation", None, None, rng, "evaluation partner")
        coord = max(0, int((left - evaluation) * 0.9))
        spend += _spread(ho, fy, coord, "coordination", None, None, rng, "VRU core team")
    # One flagged overspend in the last year (agreed by the board), as finance teams see.
    last = spend[-1]["fy"]
    for s in spend:
        if s["grant_reference"] == f"FD-{last}" and s["quarter"] == 4:
            s["amount_pence"] += 9_000_00 + int(0.12 * [g for g in grants
                                                        if g["reference"] == f"FD-{last}"][0][
                                                            "amount_pence"])
            s["over_allocation_reason"] = "extra cohort agreed by the VRU board (flagged)"
    for s in spend:
        s["amount"] = f"{s['amount_pence'] // 100}.{s['amount_pence'] % 100:02d}"
    return grants, spend


def _g(ref, funder, recipient, fy, amount, parent, match=0, conditions="[]") -> dict:
    return {"reference": ref, "funder": funder, "recipient": recipient, "stream": "vru_core",
            "fy": fy, "amount_pence": amount,
            "amount": f"{amount // 100}.{amount % 100:02d}", "parent": parent or "",
            "match": f"{match // 100}.{match % 100:02d}", "conditions": conditions}


def _spread(ref, fy, total, category, code, provider, rng, description) -> list[dict]:
    w = np.array([0.18, 0.24, 0.27, 0.31]) * rng.uniform(0.9, 1.1, 4)
    parts = np.floor(total * w / w.sum()).astype(np.int64)
    parts[-1] = total - parts[:-1].sum()
    return [{"grant_reference": ref, "fy": fy, "quarter": q + 1, "category": category.upper(),
             "intervention_code": code, "amount_pence": int(parts[q]),
             "over_allocation_reason": None, "description": description, "provider": provider}
            for q in range(4) if parts[q] > 0]


def _truth(root: Path, pw: ProgrammeWorld, people: People) -> None:
    write_csv(root / "programme_effects.csv", {
        "intervention_code": [s.code for s in SPECS],
        "yef_strand": [s.strand for s in SPECS],
        "true_effect": ["" if s.true_effect is None else f"{s.true_effect:.2f}" for s in SPECS],
        "applies_to": ["" if s.true_effect is None else
                       "completers, from their engaged date, on their propensity to be the "
                       "identified suspect of any offence (violence included)" for s in SPECS]})
    refs = pw.referrals
    write_csv(root / "programme_participants.csv", {
        "provider_ref": [r.ref for r in refs],
        "intervention_code": [SPECS[r.spec].code for r in refs],
        "person_id": [people.person_id[r.person] for r in refs],
        "referral_date": [r.received.isoformat() for r in refs],
        "engaged_date": [r.engaged.isoformat() if r.engaged else "" for r in refs],
        "ended_date": [r.ended.isoformat() if r.ended else "" for r in refs],
        "final_status": [r.final for r in refs],
        "true_effect_applied": [f"{SPECS[r.spec].true_effect:.2f}"
                                if r.final == "completed" and SPECS[r.spec].true_effect
                                not in (None, 1.0) and r.engaged else "1.00" for r in refs],
        "propensity": [f"{people.activity[r.person]:.4f}" for r in refs]})


# ------------------------------------------------------------------------------ loading
def load_programme(ws, folder: Path, key: bytes | None = None) -> dict[str, tuple[int, int, int]]:
    """Load the synthetic programme into a workspace the way a VRU would: interventions and
    grants through vru.programme's API, the VRU's own spend through the ledger, and providers'
    monthly returns through the import engine. Returns read/loaded/rejected per import."""
    import csv
    from decimal import Decimal

    from vru.privacy import agreements
    from vru.programme.ledger import Grant, Spend, add_body, add_grant, record_spend
    from vru.programme.model import Intervention, add_intervention
    from vru.sources.contract import import_source
    from vru.sources.registry import SOURCES

    def rows(name: str) -> list[dict[str, str]]:
        with open(folder / "setup" / name, newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))

    settings = ws.settings.programme
    for t in THEMES:
        if t not in settings.themes:
            settings.themes.append(t)
    ws.save_settings()
    with ws.transaction() as con:
        for r in rows("interventions.csv"):
            add_intervention(ws, Intervention(
                r["code"], r["name"], r["theme"], r["prevention_level"], r["yef_strand"],
                r["provider"], r["areas"].split("|"), date.fromisoformat(r["start_date"]),
                capacity=int(r["capacity"]), cost_per_place=r["cost_per_place"],
                delivery=r["delivery"], setting=r["setting"]), con=con)
    add_body(ws, "Home Office", "home_office")
    add_body(ws, "Kingsmere PCC", "pcc")
    for name in {r["recipient"] for r in rows("grants.csv")} - {"Kingsmere PCC"}:
        kind = "provider" if any(name == p[0] for p in PROVIDERS) else "local_authority"
        add_body(ws, name, kind)
    with ws.transaction() as con:
        for g in rows("grants.csv"):
            add_grant(ws, Grant(g["reference"], g["funder"], g["recipient"], "vru_core", g["fy"],
                                Decimal(g["amount"]), g["parent"] or None, Decimal(g["match"]),
                                json.loads(g["conditions"])), "vru demo", con=con)
        for s in rows("ledger-spend.csv"):
            record_spend(ws, Spend(s["grant_reference"], s["fy"], int(s["quarter"]),
                                   Decimal(s["amount"]), None, s["category"].lower(),
                                   description=s["description"]), "vru demo", con=con)
        agreements.add(con, "programme", "Kingsmere VRU providers",
                       "Serious Violence Duty; grant agreements with providers",
                       ["programme monitoring", "evaluation", "record linkage", "demonstration"], 120,
                       reference="DEMO-DSA-PROGRAMME")
    src = SOURCES["programme"]
    returns = folder / "returns"
    out = {}
    # Referrals first (attendance refers to them), then everything else.
    first = sorted(returns.glob("*/1-referrals-*.csv"))
    rest = sorted(p for p in returns.glob("*/*.csv") if not p.name.startswith("1-"))
    for label, paths in (("programme referrals", first), ("programme returns", rest)):
        s = import_source(ws, src, paths, command="vru demo", key=key)
        out[label] = (s.rows_read, s.rows_loaded, s.rows_rejected)
    return out
