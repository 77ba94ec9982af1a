"""Partner agencies' files, in the data hub's contracts (docs/guide/hub-*.md).

Driven month by month from the crime batches (bounded memory):
- police-rms/      the force's own extract: exact times, offence codes, victims, suspects (PNC),
                   suspects' and victims' names for record linkage
- istv/<site>/     ED assault attendances: reported injury assaults that reach the ED, plus
                   assaults never reported to police (share ``ed_unknown_to_police``)
- admissions/      HES-like admissions: assaults from the ED (sharp objects X99 often), plus
                   non-assault injuries; NHS numbers
- education/       suspensions and permanent exclusions by academic year; UPNs
- youth-justice/   first-time entrants and outcomes for identified 10-17 suspects
- em/              tagged people, GPS trails and exclusion zones (planted crime visits, breaches)
- patrols/         patrol logs and pings at the patrolled hotspots

Truth for each is written under truth/ (see vru.synth.truth).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from vru.geo.bng import to_lonlat
from vru.periods import next_month as _next_month
from vru.synth.crime_details import CrimeDetails
from vru.synth.crimes import CATEGORIES, VIOLENCE, CrimeBatch, CrimeModel
from vru.synth.identities import zone_postcodes
from vru.synth.params import SynthParams
from vru.synth.people import People, noisy
from vru.synth.police_files import MapPoints
from vru.synth.world import World, sample_in_zones
from vru.synth.writers import fmt_float, write_csv

# Ethnicity in force extracts (ONS five groups; UNKNOWN where not recorded): Census 2021,
# England and Wales (White 81.7%, Asian 9.3%, Black 4.0%, Mixed 2.9%, Other 2.1%), scaled so
# that one record in ten is not recorded.
ETHNIC_GROUPS = ("WHITE", "ASIAN", "BLACK", "MIXED", "OTHER", "UNKNOWN")
_CENSUS = np.array([0.817, 0.093, 0.040, 0.029, 0.021])
ETHNIC_SHARES = np.append(_CENSUS / _CENSUS.sum() * 0.9, 0.1)

ED_SITES = (("R9K01", "Kingsmere General Hospital"), ("R9K02", "Eastmarsh Community Hospital"))
PROVIDER = "R9K"
SUSPECT_CATEGORIES = {CATEGORIES.index(c): share for c, share in (
    ("Violence and sexual offences", 1.0), ("Robbery", 0.6), ("Possession of weapons", 1.6),
    ("Drugs", 1.8), ("Public order", 0.8), ("Criminal damage and arson", 0.5),
    ("Shoplifting", 0.7), ("Theft from the person", 0.4))}
NO_SUSPECT = "Investigation complete; no suspect identified"
AGE_BANDS_ISTV = ((0, 9, "0-9"), (10, 14, "10-14"), (15, 17, "15-17"), (18, 24, "18-24"),
                  (25, 34, "25-34"), (35, 44, "35-44"), (45, 54, "45-54"), (55, 64, "55-64"),
                  (65, 200, "65+"))
ICD_BY_METHOD = {"SHARP": "X99", "GLASS": "X99", "BODY": "Y04", "BLUNT": "Y00",
                 "FIREARM": "X95", "OTHER": "Y08", "UNKNOWN": "Y09"}
NON_ASSAULT_ICD = ("W19", "W01", "V89", "W10", "X59", "W22")
EXCLUSION_REASONS = (("PD", 35), ("PA", 12), ("PP", 6), ("VA", 12), ("VP", 6), ("DA", 5),
                     ("DM", 3), ("WP", 2), ("BU", 3), ("TH", 2), ("SM", 1), ("RA", 1), ("MT", 3),
                     ("AB", 1), ("AT", 1), ("OT", 7))
YJ_OUTCOMES = (("CR", 25), ("YC", 20), ("YCC", 15), ("RO", 20), ("YRO", 10), ("DTO", 3),
               ("DISCHARGE", 3), ("FINE", 2), ("OTHER", 2))


def age_band(age: np.ndarray) -> np.ndarray:
    out = np.full(age.size, "", dtype=object)
    for lo, hi, lab in AGE_BANDS_ISTV:
        out[(age >= lo) & (age <= hi)] = lab
    return out


def _dt(t: np.ndarray) -> np.ndarray:
    """datetime64 -> 'YYYY-MM-DD HH:MM:SS' text."""
    return np.char.replace(np.datetime_as_string(t.astype("datetime64[s]"), unit="s"), "T", " ")


def _ym(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def _fy(d: date) -> str:
    y = d.year if d.month >= 4 else d.year - 1
    return f"{y}-{(y + 1) % 100:02d}"


@dataclass
class _Link:
    source: str
    file: str
    row: int
    person_id: str


class PartnerFiles:
    """Consumes each month's crimes; writes partner files and their truth."""

    def __init__(self, out: Path, world: World, model: CrimeModel, people: People,
                 points: MapPoints, p: SynthParams,
                 activity_scale: Callable[[np.datetime64], np.ndarray] | None = None) -> None:
        self.out, self.world, self.model, self.people, self.points, self.p = \
            out, world, model, people, points, p
        self.truth = out / "truth"
        self.pp = p.partners
        self.rng = np.random.default_rng([p.seed, 601])
        # Per-person multiplier on offending by month (the programme's planted effect).
        self.activity_scale = activity_scale
        self.ed_pending: list[dict] = []           # ED rows arriving in a later month
        self.ed_links: list[dict] = []
        self.id_links: list[_Link] = []
        self.suspect_events: list[tuple[int, np.datetime64, float, float, str, int]] = []
        self.adm_rows: dict[str, list[dict]] = defaultdict(list)
        self.yj_seen: set[int] = set()
        self.yj_rows: dict[str, list[dict]] = defaultdict(list)
        self.counts: dict[str, int] = defaultdict(int)
        self.adm_ed: list[tuple[str, int, str]] = []
        self.rms_rows: dict[str, int] = {}
        write_csv(self.truth / "identity_links.csv", {  # header; police rows follow monthly
            "source": [], "file": [], "row_number": [], "person_id": []})
        self.noise_rows: list[tuple] = []
        self.end = model.end.astype("datetime64[s]")
        self.tagged = self._choose_tagged()
        self.person_ethnicity: np.ndarray | None = None  # drawn on first use
        # Victims' and pupils' pools: everyone with an NHS number may be admitted.
        self.age_at_start = people.age_on(np.datetime64(f"{p.start_year}-04-01"))

    # ------------------------------------------------------------------ per month
    def month(self, batch: CrimeBatch, det: CrimeDetails, force_refs: np.ndarray) -> None:
        rng = np.random.default_rng([self.p.seed, 602, batch.rng_key])
        self._suspects(batch, det, rng)
        self._write_rms(batch, det, force_refs, rng)
        self._youth_justice(batch, det, rng)
        self._ed(batch, det, force_refs, rng)

    # ------------------------------------------------------------------ police RMS
    def _suspects(self, batch: CrimeBatch, det: CrimeDetails, rng: np.random.Generator) -> None:
        share = np.zeros(len(CATEGORIES))
        for j, s in SUSPECT_CATEGORIES.items():
            share[j] = s
        p_sus = np.clip(share[batch.cat] * self.pp.suspect_identified, 0, 0.95)
        p_sus = np.where((det.outcome == NO_SUSPECT) | det.domestic, 0.0, p_sus)
        has = np.flatnonzero(rng.random(len(batch)) < p_sus)
        if not has.size:
            return
        w = self.people.activity
        if self.activity_scale is not None:
            w = w * self.activity_scale(batch.month)
        # Offending peaks in the late teens: weight by age at the start of the period.
        age = self.age_at_start
        w = w * np.where((age >= 9) & (age <= 30), 1.0, 0.0)
        det.suspect[has] = rng.choice(w.size, size=has.size, p=w / w.sum())
        # Only tagged people's offences are needed later (planted GPS visits): keep just those.
        for i in has[np.isin(det.suspect[has], self.tagged)]:
            self.suspect_events.append((int(det.suspect[i]), batch.t[i], float(batch.e[i]),
                                        float(batch.n[i]), "", int(batch.uid[i])))

    def _ethnicity_and_age(self, batch: CrimeBatch, det: CrimeDetails, keep: np.ndarray,
                           sus: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
        """Victim ethnicity (each crime's own draw), suspect ethnicity (a person's, fixed) and
        suspect age at the offence, from generators of their own so that adding these columns
        left every other value of the world as it was."""
        rng = np.random.default_rng([self.p.seed, 603, batch.rng_key])
        groups = np.array(ETHNIC_GROUPS, dtype=object)
        has_victim = det.victim_sex[keep] != ""
        victim = groups[rng.choice(len(groups), size=keep.size, p=ETHNIC_SHARES)]
        if self.person_ethnicity is None:
            prng = np.random.default_rng([self.p.seed, 604])
            self.person_ethnicity = groups[prng.choice(len(groups), size=len(self.people),
                                                       p=ETHNIC_SHARES)]
        idx = np.maximum(sus, 0)
        age = self.people.age_of(idx, t.astype("datetime64[D]"))
        return {"victim_ethnicity": np.where(has_victim, victim, ""),
                "suspect_age": np.where(sus >= 0, age.astype(str), ""),
                "suspect_ethnicity": np.where(sus >= 0, self.person_ethnicity[idx], "")}

    def _write_rms(self, batch: CrimeBatch, det: CrimeDetails, refs: np.ndarray,
                   rng: np.random.Generator) -> None:
        keep = np.flatnonzero(batch.cat != CATEGORIES.index("Anti-social behaviour"))
        n = keep.size
        t = batch.t[keep]
        # Property crimes are often found later: a from-to window ending at the true time.
        window = np.isin(batch.cat[keep], [CATEGORIES.index(c) for c in (
            "Burglary", "Vehicle crime", "Criminal damage and arson", "Bicycle theft")])
        window &= rng.random(n) < 0.4
        span = (rng.integers(1, 12, n) * 3600).astype("timedelta64[s]")
        frm = np.where(window, t - span, t)
        nolo = rng.random(n) < 0.01
        pts = self.points.snap(batch.e[keep], batch.n[keep])
        loc = np.where(nolo, "", self.points.name[pts])
        sus = det.suspect[keep]
        ids = noisy(self.people, np.maximum(sus, 0), self.p.noise, rng)
        vic = self._victims(batch, det, keep)
        vids = noisy(self.people, np.maximum(vic, 0), self.p.noise,
                     np.random.default_rng([self.p.seed, 614, batch.rng_key]))
        suspect_id = np.where(sus >= 0, ids.pnc_id, "")
        fname = f"{_ym(batch.month)}-{self.p.force_slug}-crimes.csv"
        offset = self.rms_rows.get(fname, 0) if batch.part > 0 else 0
        self.rms_rows[fname] = offset + n
        write_csv(self.out / "police-rms" / fname, append=batch.part > 0, columns={
            "crime_reference": refs.to_numpy(zero_copy_only=False)[keep]
            if hasattr(refs, "to_numpy") else refs[keep],
            "ho_offence_code": det.offence_code[keep],
            "offence_description": det.offence_desc[keep],
            "committed_from": _dt(frm),
            "committed_to": np.where(window, _dt(t), ""),
            "easting": np.where(nolo, "", fmt_float(np.round(batch.e[keep]), 0)
                                .to_numpy(zero_copy_only=False)),
            "northing": np.where(nolo, "", fmt_float(np.round(batch.n[keep]), 0)
                                 .to_numpy(zero_copy_only=False)),
            "location": loc,
            "lsoa_code": np.where(nolo, "", self.world.zone_code[batch.zone[keep]]),
            "victim_age": np.where(det.victim_age[keep] >= 0, det.victim_age[keep].astype(str), ""),
            "victim_sex": det.victim_sex[keep],
            "suspect_id": suspect_id,
            "knife_flag": np.where(det.knife[keep], "Y", "N"),
            "domestic_flag": np.where(det.domestic[keep], "Y", "N"),
            "last_outcome": det.outcome[keep],
            "suspect_sex": np.where(sus >= 0, ids.sex, ""),
            **self._ethnicity_and_age(batch, det, keep, sus, t),
            **_quasi(self.people, np.maximum(sus, 0), ids, self.p.seed, self.p.noise.postcode_missing,
                     "suspect_", present=sus >= 0),
            **_quasi(self.people, np.maximum(vic, 0), vids, self.p.seed + 1,
                     self.p.noise.postcode_missing, "victim_", present=vic >= 0),
        })
        # Written as we go (police links are the many): memory stays bounded. A row's victim is
        # a record of its own for linkage (police_rms:victim).
        for label, who in (("police_rms", sus), ("police_rms:victim", vic)):
            rows = np.flatnonzero(who >= 0)
            write_csv(self.truth / "identity_links.csv", append=True, columns={
                "source": np.full(rows.size, label, dtype=object),
                "file": np.full(rows.size, f"police-rms/{fname}", dtype=object),
                "row_number": rows + offset + 1,
                "person_id": self.people.person_id[who[rows]]})
        self.counts["police_rms"] += n

    def _victims(self, batch: CrimeBatch, det: CrimeDetails, keep: np.ndarray) -> np.ndarray:
        """The person behind each kept row's victim: someone of the victim's age and sex, or -1
        (no victim, or no one of that age in the people table, e.g. older adults). Its own
        random stream, so the rest of the world is drawn exactly as before victims had names.
        Kept per batch row for the ED: an admitted victim known to police is this person."""
        rng = np.random.default_rng([self.p.seed, 613, batch.rng_key])
        age, sex = det.victim_age[keep], det.victim_sex[keep]
        out = np.full(keep.size, -1, dtype=np.int64)
        ages = self.people.age_on(np.datetime64(batch.month.isoformat(), "D"))
        for a, s in sorted({(int(a), str(s)) for a, s in zip(age, sex, strict=True) if a >= 0}):
            pool = np.flatnonzero((ages == a) & (self.people.sex == s))
            if pool.size:
                sel = np.flatnonzero((age == a) & (sex == s))
                out[sel] = rng.choice(pool, size=sel.size)
        self.batch_victims = np.full(len(batch), -1, dtype=np.int64)
        self.batch_victims[keep] = out
        return out

    # ------------------------------------------------------------------ youth justice
    def _youth_justice(self, batch: CrimeBatch, det: CrimeDetails,
                       rng: np.random.Generator) -> None:
        sus = np.flatnonzero(det.suspect >= 0)
        if not sus.size:
            return
        person = det.suspect[sus]
        age = self.people.age_of(person, batch.t[sus].astype("datetime64[D]"))
        go = (age >= 10) & (age <= 17) & (rng.random(sus.size) < self.pp.yj_share_of_youth_suspects)
        for i, who, a in zip(sus[go], person[go], age[go], strict=True):
            d = (batch.t[i] + np.timedelta64(int(rng.integers(20, 150)), "D")).astype(
                "datetime64[D]")
            if d >= self.end.astype("datetime64[D]"):
                continue
            first = int(who) not in self.yj_seen
            self.yj_seen.add(int(who))
            codes, wts = zip(*YJ_OUTCOMES, strict=True)
            w = np.array(wts, float)
            self.yj_rows[_fy(d.astype(object))].append({
                "person": int(who), "event_type": "FTE" if first else "OUTCOME",
                "event_date": str(d), "offence_code": det.offence_code[i],
                "offence_description": det.offence_desc[i],
                "outcome_code": "" if first else codes[rng.choice(len(codes), p=w / w.sum())],
                "age": int(a + (1 if rng.random() < 0.2 else 0)) if a < 17 else int(a),
            })

    def _write_youth_justice(self) -> None:
        rng = np.random.default_rng([self.p.seed, 603])
        for fy in sorted(self.yj_rows):
            rows = sorted(self.yj_rows[fy], key=lambda r: (r["event_date"], r["person"]))
            who = np.array([r["person"] for r in rows])
            ids = noisy(self.people, who, self.p.noise, rng,
                        pnc_missing_rate=self.p.noise.pnc_missing_youth_justice)
            fname = f"youth-justice-events-{fy}.csv"
            write_csv(self.out / "youth-justice" / fname, {
                "pnc_id": ids.pnc_id, "forename": ids.forename, "surname": ids.surname,
                "date_of_birth": ids.dob,
                "event_type": [r["event_type"] for r in rows],
                "event_date": [r["event_date"] for r in rows],
                "offence_code": [r["offence_code"] for r in rows],
                "offence_description": [r["offence_description"] for r in rows],
                "outcome_code": [r["outcome_code"] for r in rows],
                "age": [r["age"] for r in rows],
                "sex": ids.sex,
                "lsoa_code": self.world.zone_code[self.people.home_zone[who]],
                "postcode": _quasi(self.people, who, ids, self.p.seed,
                                   self.p.noise.postcode_missing)["postcode"],
            })
            for row, w in enumerate(who, start=1):
                self.id_links.append(_Link("youth_justice", f"youth-justice/{fname}", row,
                                           self.people.person_id[w]))
            self._noise_truth("youth_justice", f"youth-justice/{fname}", who, ids)
            self.counts["youth_justice"] += len(rows)

    # ------------------------------------------------------------------ ED (ISTV)
    def _ed(self, batch: CrimeBatch, det: CrimeDetails, refs, rng: np.random.Generator) -> None:
        pp = self.pp
        victim = det.victim_age >= 0
        p_att = np.where(det.knife, pp.ed_attend_share_knife,
                         np.where(det.injury, pp.ed_attend_share_of_injury_violence, 0.0))
        known = np.flatnonzero(victim & (rng.random(len(batch)) < p_att))
        # Assaults never reported: as many again as p/(1-p) of the known ones, in expectation.
        u = pp.ed_unknown_to_police
        n_unknown = rng.poisson(known.size * u / (1 - u)) if u < 1 else 0
        zw = self.model.zone_rate[:, VIOLENCE]
        zones = rng.choice(self.world.n, size=n_unknown, p=zw / zw.sum())
        ue, un = sample_in_zones(self.world, zones, rng)
        at_hotspot = rng.random(n_unknown) < 0.1
        if self.model.hotspots.e.size and at_hotspot.any():
            h = rng.integers(0, self.model.hotspots.e.size, at_hotspot.sum())
            ue[at_hotspot] = self.model.hotspots.e[h] + rng.normal(0, 25, h.size)
            un[at_hotspot] = self.model.hotspots.n[h] + rng.normal(0, 25, h.size)
        m0 = np.datetime64(batch.month.isoformat(), "s")
        days = int((np.datetime64(_next_month(batch.month).isoformat(), "s") - m0)
                   / np.timedelta64(1, "D"))
        hour_cum = np.cumsum(self.model.hour[VIOLENCE])
        uh = np.minimum(np.searchsorted(hour_cum, rng.random(n_unknown), side="right"), 23)
        ut = m0 + (rng.integers(0, days, n_unknown) * 86400 + uh * 3600
                   + rng.integers(0, 60, n_unknown) * 60).astype("timedelta64[s]")
        young = rng.random(n_unknown) < 0.6
        uage = np.where(young, rng.gamma(9.0, 2.6, n_unknown) + 2, rng.normal(40, 14, n_unknown))
        uage = np.clip(np.round(uage), 5, 90).astype(int)
        refs_np = refs.to_numpy(zero_copy_only=False) if hasattr(refs, "to_numpy") else refs
        rows = {
            "t": np.concatenate([batch.t[known], ut]),
            "e": np.concatenate([batch.e[known], ue]),
            "n": np.concatenate([batch.n[known], un]),
            "age": np.concatenate([det.victim_age[known], uage]),
            "sex": np.concatenate([det.victim_sex[known],
                                   np.where(rng.random(n_unknown) < 0.7, "M", "F")]),
            "knife": np.concatenate([det.knife[known], rng.random(n_unknown) < 0.06]),
            "domestic": np.concatenate([det.domestic[known], rng.random(n_unknown) < 0.2]),
            "hotspot": np.concatenate([batch.hotspot[known] >= 0, at_hotspot]),
            "police_ref": np.concatenate([refs_np[known], np.full(n_unknown, "", dtype=object)]),
            "police_uid": np.concatenate([batch.uid[known], np.full(n_unknown, -1)]),
            "victim_person": np.concatenate([self.batch_victims[known],
                                             np.full(n_unknown, -1, dtype=np.int64)]),
        }
        k = rows["t"].size
        delay = np.round(rng.lognormal(np.log(90), 0.8, k)).astype(int)  # minutes
        late = rng.random(k) < 0.02
        delay = np.where(late, delay + rng.integers(2, 10, k) * 1440, delay)
        rows["arrival"] = rows["t"] + (delay * 60).astype("timedelta64[s]")
        zone = self.world.zone_of(rows["e"], rows["n"])
        la = self.world.zone_lad[zone]
        rows["site"] = np.where(np.isin(la, [0, 1, 3]), ED_SITES[0][0], ED_SITES[1][0])
        rows["method"] = np.where(rows["knife"], "SHARP", np.array(
            ["BODY", "BLUNT", "GLASS", "OTHER", "UNKNOWN"], dtype=object)[
            rng.choice(5, k, p=[0.68, 0.12, 0.07, 0.03, 0.10])])
        centre = self.world.centre_weight[zone] > 0.3
        loc = np.where(rows["domestic"], "HOME", np.where(
            rows["hotspot"], np.where(rng.random(k) < 0.6, "PUB_CLUB", "STREET"),
            np.where(centre, np.array(["STREET", "PUB_CLUB", "SHOP", "TRANSPORT"], dtype=object)[
                rng.choice(4, k, p=[0.5, 0.3, 0.1, 0.1])],
                np.array(["STREET", "HOME", "PARK", "SCHOOL", "OTHER", "UNKNOWN"], dtype=object)[
                rng.choice(6, k, p=[0.45, 0.2, 0.1, 0.05, 0.1, 0.1])])))
        rows["location_type"] = loc
        pts = self.points.snap(rows["e"], rows["n"])
        place = np.array([s.removeprefix("On or near ") for s in self.points.name[pts]],
                         dtype=object)
        rows["desc"] = np.where(loc == "HOME", "at home address",
                                np.array([f"outside {x}" for x in place], dtype=object))
        # Geocoded by the partner (coordinates and LSOA) / LSOA only / no usable location.
        geo = rng.choice(3, k, p=[0.55, 0.25, 0.20])
        rows["geo"] = geo
        rows["lsoa"] = self.world.zone_code[zone]
        rows["zone"] = zone
        for i in range(k):
            self.ed_pending.append({key: v[i] for key, v in rows.items()})
        if batch.last_in_month:  # one submission per site and month
            self._flush_ed(np.datetime64(_next_month(batch.month).isoformat(), "s"), rng)

    def _flush_ed(self, until: np.datetime64, rng: np.random.Generator,
                  final: bool = False) -> None:
        """Write ED rows whose arrival is before `until`, one file per site and month."""
        ready = [r for r in self.ed_pending if r["arrival"] < until]
        self.ed_pending = [r for r in self.ed_pending if r["arrival"] >= until]
        if final:
            self.ed_pending = []  # arrivals after the last month are never submitted
        by: dict[tuple[str, str], list[dict]] = defaultdict(list)
        for r in ready:
            by[(r["site"], str(r["arrival"].astype("datetime64[M]")))].append(r)
        for (site, ym), rs in sorted(by.items()):
            rs.sort(key=lambda r: (r["arrival"], r["police_uid"], r["e"]))
            y, m = map(int, ym.split("-"))
            start = date(y, m, 1)
            end = _next_month(start) - timedelta(days=1)
            e = np.array([r["e"] for r in rs])
            n = np.array([r["n"] for r in rs])
            lon, lat = to_lonlat(e, n)
            geo = np.array([r["geo"] for r in rs])
            lon = np.where(geo == 0, np.round(lon, 4), np.nan)
            lat = np.where(geo == 0, np.round(lat, 4), np.nan)
            method = [r["method"] for r in rs]
            refs = [f"{site}-{y:04d}{m:02d}-{i + 1:05d}" for i in range(len(rs))]
            fname = f"istv-{site}-{ym}.csv"
            write_csv(self.out / "istv" / site / fname, {
                "site_code": [site] * len(rs),
                "period_start": [start.isoformat()] * len(rs),
                "period_end": [end.isoformat()] * len(rs),
                "record_ref": refs,
                "arrival_datetime": _dt(np.array([r["arrival"] for r in rs])),
                "assault_datetime": _dt(np.array([r["t"] for r in rs])),
                "assault_method": method,
                "assault_method_other": ["kicked by a horse" if x == "OTHER" else ""
                                         for x in method],
                "location_type": [r["location_type"] for r in rs],
                "location_description": [r["desc"] for r in rs],
                "age_band": age_band(np.array([r["age"] for r in rs])),
                "sex": [r["sex"] for r in rs],
                "longitude": fmt_float(lon, 4),
                "latitude": fmt_float(lat, 4),
                "lsoa_code": [r["lsoa"] if g < 2 else "" for r, g in zip(rs, geo, strict=True)],
            })
            self.counts["istv"] += len(rs)
            for ref, r in zip(refs, rs, strict=True):
                admitted = rng.random() < self.pp.admission_share_of_ed * (
                    4 if r["method"] == "SHARP" else 1)
                self.ed_links.append({
                    "site_code": site, "file": f"istv/{site}/{fname}", "record_ref": ref,
                    "known_to_police": "Y" if r["police_ref"] else "N",
                    "police_crime_reference": r["police_ref"],
                    "assault_datetime": str(r["t"]), "easting": f"{r['e']:.1f}",
                    "northing": f"{r['n']:.1f}", "admitted": "Y" if admitted else "N",
                })
                if admitted:
                    self._admit(r, ref, rng)

    # ------------------------------------------------------------------ admissions
    def _admit(self, r: dict, ed_ref: str, rng: np.random.Generator) -> None:
        day = r["arrival"].astype("datetime64[D]")
        age = self.people.age_on(day)
        cand = np.flatnonzero((np.abs(age - r["age"]) <= 1) & (self.people.sex == r["sex"]))
        if not cand.size:
            cand = np.flatnonzero(np.abs(age - r["age"]) <= 3)
        if not cand.size:
            return  # no one of that age in the people table (very old victims)
        who = int(rng.choice(cand))
        if r["victim_person"] >= 0:  # the police record's victim (drawn as before: same stream)
            who = int(r["victim_person"])
        self.adm_rows[_fy(day.astype(object))].append({
            "person": who, "date": day, "icd": ICD_BY_METHOD[r["method"]],
            "stay": int(rng.integers(0, 8)), "ed_ref": ed_ref, "age": int(age[who]),
        })

    def _write_admissions(self) -> None:
        rng = np.random.default_rng([self.p.seed, 604])
        # Non-assault injury admissions, so the importer's `assault` derivation has work to do.
        start = np.datetime64(f"{self.p.start_year}-04-01")
        total = sum(len(v) for v in self.adm_rows.values())
        extra = int(round(total * self.pp.non_assault_admissions_share))
        who = rng.integers(0, len(self.people), extra)
        days = start + rng.integers(0, int((self.end.astype("datetime64[D]") - start)
                                           / np.timedelta64(1, "D")), extra).astype(
            "timedelta64[D]")
        for w, d in zip(who, days, strict=True):
            self.adm_rows[_fy(d.astype(object))].append({
                "person": int(w), "date": d, "icd": str(rng.choice(NON_ASSAULT_ICD)),
                "stay": int(rng.integers(0, 5)), "ed_ref": "",
                "age": int(self.people.age_of(np.array([w]), np.array([d]))[0]),
            })
        for fy in sorted(self.adm_rows):
            rows = sorted(self.adm_rows[fy], key=lambda r: (r["date"], r["person"], r["icd"]))
            who_arr = np.array([r["person"] for r in rows])
            ids = noisy(self.people, who_arr, self.p.noise, rng)
            icd = [r["icd"] + (f".{rng.integers(0, 10)}" if rng.random() < 0.5 else "")
                   for r in rows]
            fname = f"admissions-{fy}.csv"
            write_csv(self.out / "admissions" / fname, {
                "nhs_number": ids.nhs_number,
                "admission_date": [str(r["date"]) for r in rows],
                "discharge_date": [str(r["date"] + np.timedelta64(r["stay"], "D")) for r in rows],
                "provider_code": [PROVIDER] * len(rows),
                "icd10_cause": icd,
                "age": [r["age"] for r in rows],
                "sex": ids.sex,
                "lsoa_code": self.world.zone_code[self.people.home_zone[who_arr]],
                **_quasi(self.people, who_arr, ids, self.p.seed, self.p.noise.postcode_missing),
            })
            for row, (w, r) in enumerate(zip(who_arr, rows, strict=True), start=1):
                self.id_links.append(_Link("admissions", f"admissions/{fname}", row,
                                           self.people.person_id[w]))
                if r["ed_ref"]:
                    self.adm_ed.append((f"admissions/{fname}", row, r["ed_ref"]))
            self._noise_truth("admissions", f"admissions/{fname}", who_arr, ids)
            self.counts["admissions"] += len(rows)

    # ------------------------------------------------------------------ education
    def _write_education(self) -> None:
        rng = np.random.default_rng([self.p.seed, 605])
        start = np.datetime64(f"{self.p.start_year}-04-01")
        end = self.end.astype("datetime64[D]")
        ndays = int((end - start) / np.timedelta64(1, "D"))
        n = rng.poisson(self.pp.suspensions_per_year * self.p.scale * ndays / 365.25)
        day = start + rng.integers(0, ndays, n).astype("timedelta64[D]")
        # Schools are open Monday to Friday, not in August.
        dow = (day.astype("datetime64[D]").astype(int) + 3) % 7
        month = day.astype("datetime64[M]").astype(int) % 12 + 1
        ok = (dow < 5) & (month != 8)
        day = day[ok]
        n = day.size
        w_base = np.where(self.people.upn != "", 1.0, 0.0)
        w_base = w_base * np.where(self.people.of_interest, 6.0 + 3 * self.people.activity, 1.0)
        who = np.empty(n, dtype=np.int64)
        # Pupils must be of school age (5-16) on the day: draw per school year.
        ys = day.astype("datetime64[Y]").astype(int) + 1970
        for y in np.unique(ys):
            sel = np.flatnonzero(ys == y)
            a = self.people.age_on(np.datetime64(f"{y}-01-01"))
            w = w_base * ((a >= 5) & (a <= 15))
            who[sel] = rng.choice(w.size, size=sel.size, p=w / w.sum())
        permanent = rng.random(n) < 0.02
        codes, wts = zip(*EXCLUSION_REASONS, strict=True)
        wts_arr = np.array(wts, float)
        reason = np.array(codes, dtype=object)[rng.choice(len(codes), n, p=wts_arr / wts_arr.sum())]
        sessions = np.where(permanent, "", rng.integers(1, 11, n).astype(str))
        # Academic year starts 1 September; year group = age on 31 August minus 4 ('R' at 4).
        ay = np.where(day.astype("datetime64[M]").astype(int) % 12 + 1 >= 9, ys, ys - 1)
        age_aug = self.people.age_of(who, np.array([f"{y}-08-31" for y in ay],
                                                   dtype="datetime64[D]"))
        yg = age_aug - 4
        year_group = np.where(yg <= 0, "R", yg.astype(str))
        urn = np.array([f"99{(z % 400) + 1000:04d}" for z in self.people.home_zone[who] // 6],
                       dtype=object)
        order = np.lexsort((who, day))
        ids = noisy(self.people, who[order], self.p.noise, rng)
        for y in np.unique(ay):
            sel = np.flatnonzero(ay[order] == y)
            o = order[sel]
            fname = f"exclusions-{y}-{(y + 1) % 100:02d}.csv"
            write_csv(self.out / "education" / fname, {
                "upn": ids.upn[sel],
                "school_urn": urn[o],
                "event_date": day[o].astype(str),
                "exclusion_type": np.where(permanent[o], "PERMANENT", "SUSPENSION"),
                "reason_code": reason[o],
                "sessions": sessions[o],
                "year_group": year_group[o],
                "lsoa_code": self.world.zone_code[self.people.home_zone[who[o]]],
                "sex": ids.sex[sel],
                **{k: v[sel] for k, v in _quasi(self.people, who[order], ids, self.p.seed,
                                                self.p.noise.postcode_missing).items()},
            })
            for row, w in enumerate(who[o], start=1):
                self.id_links.append(_Link("education", f"education/{fname}", row,
                                           self.people.person_id[w]))
            self._noise_truth_sel("education", f"education/{fname}", who[o], ids, sel)
            self.counts["education"] += sel.size

    # ------------------------------------------------------------------ EM (GPS tags)
    def _choose_tagged(self) -> np.ndarray:
        rng = np.random.default_rng([self.p.seed, 606])
        n = max(3, int(round(self.pp.tagged_people * self.p.scale)))
        age = self.people.age_on(np.datetime64(f"{self.p.start_year}-04-01"))
        w = self.people.activity * ((age >= 14) & (age <= 28))
        n = min(n, int((w > 0).sum()))
        return rng.choice(w.size, size=n, replace=False, p=w / w.sum())

    def _write_em(self) -> None:
        rng = np.random.default_rng([self.p.seed, 607])
        pp = self.pp
        start = np.datetime64(f"{self.p.start_year}-04-01", "D")
        end = self.end.astype("datetime64[D]")
        ndays = int((end - start) / np.timedelta64(1, "D"))
        ppl, zones, pings_by_month = [], [], defaultdict(list)
        presence, breaches = [], []
        by_person = defaultdict(list)
        for who, t, e, n, _, uid in self.suspect_events:
            by_person[who].append((t, e, n, uid))
        tri_rng = np.random.default_rng([self.p.seed, 608])
        for k, who in enumerate(sorted(int(x) for x in self.tagged)):
            length = int(rng.integers(pp.order_days[0], pp.order_days[1] + 1))
            s = start + np.timedelta64(int(rng.integers(0, max(1, ndays - length))), "D")
            f = s + np.timedelta64(length, "D")
            exclusion = rng.random() < 0.6
            pnc = self.people.pnc_id[who]
            ppl.append({"person_id": pnc, "order_type": "EXCLUSION" if exclusion else "GPS_TRAIL",
                        "start_date": str(s), "end_date": str(f), "person": who})
            home_e, home_n = sample_in_zones(self.world, np.array([self.people.home_zone[who]]),
                                             tri_rng)
            anchors = [(home_e[0], home_n[0])]
            for _ in range(3):
                anchors.append((home_e[0] + rng.normal(0, 1500), home_n[0] + rng.normal(0, 1500)))
            step = np.timedelta64(pp.gps_interval_minutes, "m")
            times = np.arange(s.astype("datetime64[m]"), f.astype("datetime64[m]"), step)
            hour = (times.astype("datetime64[h]").astype(int)) % 24
            # Daytime: one of the anchors per 3-hour block; night: home.
            block = (times.astype("datetime64[h]").astype(int)) // 3
            choice = np.random.default_rng([self.p.seed, 609, k]).integers(1, 4, block.max() + 1)
            a = np.where((hour >= 23) | (hour < 8), 0, choice[block])
            ae = np.array([x[0] for x in anchors])[a] + rng.normal(0, pp.gps_sd_m, times.size)
            an = np.array([x[1] for x in anchors])[a] + rng.normal(0, pp.gps_sd_m, times.size)
            # Planted visits: at the scene of crimes this person is suspected of, at the time
            # (one visit per stretch of pings: a later crime never overwrites an earlier visit).
            claimed = np.zeros(times.size, dtype=bool)
            for t, ce, cn, uid in by_person.get(who, []):
                tm = t.astype("datetime64[m]")
                near = np.abs((times - tm).astype(int)) <= 20
                if near.any() and not claimed[near].any() and \
                        s.astype("datetime64[m]") <= tm < f.astype("datetime64[m]"):
                    claimed |= near
                    ae[near] = ce + rng.normal(0, pp.gps_sd_m, near.sum())
                    an[near] = cn + rng.normal(0, pp.gps_sd_m, near.sum())
                    presence.append({"person_id": self.people.person_id[who], "pnc_id": pnc,
                                     "crime_uid": uid, "occurred_at": str(t),
                                     "easting": f"{ce:.1f}", "northing": f"{cn:.1f}"})
            if exclusion:
                # A zone around a busy place away from home: a hotspot if there is one.
                hs = self.model.hotspots
                h = int(rng.integers(0, hs.e.size))
                ze, zn, r = hs.e[h], hs.n[h], float(rng.uniform(300, 700))
                ang = np.linspace(0, 2 * np.pi, 17)[:-1]
                lon, lat = to_lonlat(ze + r * np.cos(ang), zn + r * np.sin(ang))
                ring = [f"{x:.6f} {y:.6f}" for x, y in zip(lon, lat, strict=True)]
                ring.append(ring[0])
                zid = f"EZ-{k + 1:03d}"
                zones.append({"person_id": pnc, "zone_id": zid, "zone_type": "EXCLUSION",
                              "polygon_wkt": "POLYGON((" + ", ".join(ring) + "))",
                              "active_from": str(s), "active_to": str(f), "days": "ALL",
                              "start_time": "", "end_time": ""})
                if rng.random() < pp.exclusion_breach_share:
                    # One evening visit, an hour inside the zone.
                    d = s + np.timedelta64(int(rng.integers(1, max(2, length - 1))), "D")
                    t0 = d.astype("datetime64[m]") + np.timedelta64(20 * 60, "m")
                    inside = (times >= t0) & (times < t0 + np.timedelta64(60, "m"))
                    if claimed[inside].any():
                        inside[:] = False
                    ae[inside] = ze + rng.normal(0, r / 4, inside.sum())
                    an[inside] = zn + rng.normal(0, r / 4, inside.sum())
                    if inside.any():
                        breaches.append({"person_id": self.people.person_id[who],
                                         "zone_id": zid, "from": str(t0),
                                         "to": str(t0 + np.timedelta64(60, "m"))})
            keep = rng.random(times.size) >= pp.gps_gap_share
            lon, lat = to_lonlat(ae[keep], an[keep])
            acc = np.round(rng.gamma(2.0, 6.0, keep.sum()), 1)
            for tt, x, y, ac in zip(times[keep], lon, lat, acc, strict=True):
                pings_by_month[str(tt.astype("datetime64[M]"))].append((tt, pnc, x, y, ac))
        em = self.out / "em"
        tagged = np.array([r["person"] for r in ppl], dtype=np.int64)
        tag_ids = noisy(self.people, tagged, self.p.noise, np.random.default_rng([self.p.seed, 613]))
        write_csv(em / "tagged-people.csv", {
            **{c: [r[c] for r in ppl] for c in ("person_id", "order_type", "start_date",
                                                "end_date")},
            "sex": tag_ids.sex,
            **_quasi(self.people, tagged, tag_ids, self.p.seed, self.p.noise.postcode_missing)})
        for row, r in enumerate(ppl, start=1):
            self.id_links.append(_Link("em_gps", "em/tagged-people.csv", row,
                                       self.people.person_id[r["person"]]))
        write_csv(em / "exclusion-zones.csv", {c: [z[c] for z in zones] for c in (
            "person_id", "zone_id", "zone_type", "polygon_wkt", "active_from", "active_to",
            "days", "start_time", "end_time")} if zones else {c: [] for c in (
            "person_id", "zone_id", "zone_type", "polygon_wkt", "active_from", "active_to",
            "days", "start_time", "end_time")})
        for ym in sorted(pings_by_month):
            rows = sorted(pings_by_month[ym], key=lambda r: (r[0], r[1]))
            write_csv(em / "pings" / f"em-pings-{ym}.csv", {
                "person_id": [r[1] for r in rows],
                "ping_time": _dt(np.array([r[0] for r in rows])),
                "longitude": fmt_float(np.array([r[2] for r in rows]), 6),
                "latitude": fmt_float(np.array([r[3] for r in rows]), 6),
                "accuracy_m": fmt_float(np.array([r[4] for r in rows]), 1),
            })
            self.counts["em_pings"] += len(rows)
        self.counts["em_people"] = len(ppl)
        write_csv(self.truth / "em_presence.csv", _cols(presence, (
            "person_id", "pnc_id", "crime_uid", "occurred_at", "easting", "northing")))
        write_csv(self.truth / "em_breaches.csv", _cols(breaches, ("person_id", "zone_id", "from",
                                                                    "to")))

    # ------------------------------------------------------------------ patrols
    def _write_patrols(self) -> None:
        rng = np.random.default_rng([self.p.seed, 610])
        hs = self.model.hotspots
        start = np.datetime64(hs.patrol_start.isoformat(), "D")
        end = self.end.astype("datetime64[D]")
        logs_by_month: dict[str, list] = defaultdict(list)
        pings_by_month: dict[str, list] = defaultdict(list)
        p_day = self.pp.patrols_per_hotspot_per_week / 7
        hour_p = np.array([0.5] * 10 + [1] * 6 + [2] * 8)  # evenings weighted
        hour_p /= hour_p.sum()
        for h in np.flatnonzero(hs.patrolled):
            days = np.arange(start, end)
            go = days[rng.random(days.size) < p_day]
            hr = rng.choice(24, go.size, p=hour_p)
            t0 = go.astype("datetime64[m]") + (hr * 60 + rng.integers(0, 60, go.size)).astype(
                "timedelta64[m]")
            dur = rng.integers(10, 21, go.size)
            lon, lat = to_lonlat(np.array([hs.e[h]]), np.array([hs.n[h]]))
            for a, d in zip(t0, dur, strict=True):
                call = f"KM-FP{int(h) + 1:02d}"
                logs_by_month[str(a.astype("datetime64[M]"))].append(
                    (a, call, a + np.timedelta64(int(d), "m"), lon[0], lat[0], f"HS{int(h):02d}"))
                steps = np.arange(0, int(d) + 1, 2)
                pe, pn = hs.e[h] + rng.normal(0, 40, steps.size), hs.n[h] + rng.normal(0, 40,
                                                                                         steps.size)
                plon, plat = to_lonlat(pe, pn)
                for s_, x, y in zip(steps, plon, plat, strict=True):
                    pings_by_month[str(a.astype("datetime64[M]"))].append(
                        (a + np.timedelta64(int(s_), "m"), call, x, y))
        for ym in sorted(logs_by_month):
            rows = sorted(logs_by_month[ym], key=lambda r: (r[0], r[1]))
            write_csv(self.out / "patrols" / f"patrol-logs-{ym}.csv", {
                "patrol_id": [r[1] for r in rows],
                "started_at": _dt(np.array([r[0] for r in rows])),
                "ended_at": _dt(np.array([r[2] for r in rows])),
                "longitude": fmt_float(np.array([r[3] for r in rows]), 6),
                "latitude": fmt_float(np.array([r[4] for r in rows]), 6),
                "hotspot_id": [r[5] for r in rows],
                "activity": ["high-visibility foot patrol"] * len(rows),
            })
            self.counts["patrol_logs"] += len(rows)
            prow = sorted(pings_by_month[ym], key=lambda r: (r[0], r[1]))
            write_csv(self.out / "patrols" / f"patrol-pings-{ym}.csv", {
                "patrol_id": [r[1] for r in prow],
                "ping_time": _dt(np.array([r[0] for r in prow])),
                "longitude": fmt_float(np.array([r[2] for r in prow]), 6),
                "latitude": fmt_float(np.array([r[3] for r in prow]), 6),
                "accuracy_m": ["8.0"] * len(prow),
            })

    # ------------------------------------------------------------------ truth
    def _noise_truth(self, source: str, file: str, who: np.ndarray, ids) -> None:
        self._noise_truth_sel(source, file, who, ids, np.arange(who.size))

    def _noise_truth_sel(self, source: str, file: str, who: np.ndarray, ids,
                         sel: np.ndarray) -> None:
        self.noise_rows.append((source, file, who, ids, sel))

    def finish(self) -> dict[str, int]:
        rng = np.random.default_rng([self.p.seed, 611])
        self._flush_ed(self.end + np.timedelta64(1, "s"), rng, final=True)
        self._write_youth_justice()
        self._write_admissions()
        self._write_education()
        self._write_em()
        self._write_patrols()
        write_csv(self.truth / "ed_links.csv", _cols(self.ed_links, (
            "site_code", "file", "record_ref", "known_to_police", "police_crime_reference",
            "assault_datetime", "easting", "northing", "admitted")))
        write_csv(self.truth / "admission_ed_links.csv", {
            "file": [a[0] for a in self.adm_ed], "row_number": [a[1] for a in self.adm_ed],
            "ed_record_ref": [a[2] for a in self.adm_ed]})
        links = sorted(self.id_links, key=lambda x: (x.source, x.file, x.row))
        write_csv(self.truth / "identity_links.csv", append=True, columns={
            "source": [x.source for x in links], "file": [x.file for x in links],
            "row_number": [x.row for x in links], "person_id": [x.person_id for x in links]})
        pe = self.people
        write_csv(self.truth / "people.csv", {
            "person_id": pe.person_id, "forename": pe.forename, "surname": pe.surname,
            "date_of_birth": pe.dob.astype(str), "sex": pe.sex,
            "home_lsoa": self.world.zone_code[pe.home_zone], "nhs_number": pe.nhs_number,
            "upn": pe.upn, "pnc_id": pe.pnc_id,
            "of_interest": np.where(pe.of_interest, "Y", "N"),
            "tagged": np.where(np.isin(np.arange(len(pe)), self.tagged), "Y", "N"),
        })
        nz: dict[str, list] = defaultdict(list)
        for source, file, who, ids, sel in self.noise_rows:
            for row, (w, i) in enumerate(zip(who, sel, strict=True), start=1):
                nz["source"].append(source)
                nz["file"].append(file)
                nz["row_number"].append(row)
                nz["person_id"].append(pe.person_id[w])
                for f in ("forename_typo", "surname_typo", "dob_error", "nhs_missing", "upn_typo",
                          "pnc_missing", "pnc_variant"):
                    nz[f].append("Y" if getattr(ids, f)[i] else "N")
        write_csv(self.truth / "identifier_noise.csv", nz)
        return dict(self.counts)


def _quasi(people: People, who: np.ndarray, ids, seed: int, missing: float,
           prefix: str = "", present: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Record-linkage columns (docs/guide/linkage.md): names and date of birth as the agency
    recorded them (with the identifier noise), sex, and the home postcode (sometimes missing).
    Rows where ``present`` is false get empty values (no person on the row). Its own random
    stream, so the rest of the world is drawn exactly as before these columns existed."""
    rng = np.random.default_rng([seed, 612, who.size, int(np.asarray(who).sum())])
    pc = zone_postcodes(people.home_zone[who])
    pc = np.where(rng.random(who.size) < missing, "", pc)
    cols = {"forename": ids.forename, "surname": ids.surname, "date_of_birth": ids.dob,
            "postcode": pc}
    out = {f"{prefix}{k}": np.asarray(v, dtype=object) for k, v in cols.items()}
    if present is not None:
        out = {k: np.where(present, v, "") for k, v in out.items()}
    return out


def _cols(rows: list[dict], names: tuple[str, ...]) -> dict[str, list]:
    return {c: [r[c] for r in rows] for c in names}


