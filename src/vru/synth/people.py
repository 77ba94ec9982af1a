"""People who recur across agencies, and the noise their identifiers pick up on the way.

Each person has one true identity (names, date of birth, sex, home zone, NHS number with a valid
modulus-11 check digit, unique pupil number when of school age, PNC ID when known to police).
Each agency's record copies it with its own errors, at the rates in ``NoiseParams``: a typing
slip in a name (substitution, transposition, deletion or doubling), a wrong date of birth
(day/month swapped, a day or a year out), a missing NHS number, a mistyped pupil number, a PNC ID
left out or written in another (equivalent) format.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from vru.synth.params import NoiseParams, SynthParams
from vru.synth.world import World

FORENAMES_M = (
    "Oliver", "Harry", "George", "Noah", "Jack", "Leo", "Jacob", "Oscar", "Charlie", "Muhammad",
    "Alfie", "Thomas", "Joshua", "Freddie", "Archie", "Ethan", "Isaac", "James", "Joseph",
    "Henry", "Samuel", "Daniel", "Mason", "Logan", "Lucas", "Adam", "Tyler", "Kai", "Reuben",
    "Callum", "Kyle", "Liam", "Connor", "Jayden", "Ryan", "Dylan", "Ibrahim", "Yusuf", "Kacper",
    "Jakub", "Tomasz", "Ayaan", "Zain", "Rhys", "Owen", "Nathan", "Lewis", "Jordan", "Marcus",
    "Andre", "Tariq", "Emmanuel", "Kwame", "Ciaran", "Declan", "Finley", "Harvey", "Riley")
FORENAMES_F = (
    "Olivia", "Amelia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Isabella", "Rosie", "Sophia",
    "Grace", "Freya", "Poppy", "Evie", "Ella", "Emily", "Chloe", "Jessica", "Ruby", "Sophie",
    "Aisha", "Fatima", "Maryam", "Zara", "Amira", "Hannah", "Megan", "Lauren", "Courtney",
    "Chantelle", "Jade", "Shannon", "Keeley", "Natalia", "Zuzanna", "Maja", "Precious", "Abena",
    "Niamh", "Siobhan", "Caitlin", "Leah", "Holly", "Paige", "Kayla", "Demi", "Tia", "Summer")
SURNAMES = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
    "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall",
    "Thomas", "Clarke", "Jackson", "Wood", "Harris", "Edwards", "Turner", "Martin", "Cooper",
    "Hill", "Ward", "Hughes", "Moore", "Clark", "King", "Harrison", "Lewis", "Baker", "Lee",
    "Allen", "Morris", "Khan", "Scott", "Watson", "Davis", "Parker", "James", "Bennett", "Young",
    "Phillips", "Richardson", "Mitchell", "Bailey", "Carter", "Cook", "Singh", "Shaw", "Bell",
    "Collins", "Morgan", "Kelly", "Begum", "Miller", "Cox", "Hussain", "Marshall", "Simpson",
    "Price", "Anderson", "Adams", "Wilkinson", "Ali", "Ahmed", "Foster", "Ellis", "Murphy",
    "Chapman", "Mason", "Gray", "Richards", "Webb", "Griffiths", "Hunt", "Palmer", "Campbell",
    "Holmes", "Mills", "Rogers", "Barnes", "Knight", "Matthews", "Barker", "Powell", "Stevens",
    "Kaur", "Dawson", "Lloyd", "Fletcher", "O'Brien", "Nowak", "Kowalski", "Okafor", "Mensah",
    "Osei", "Hassan", "Mohamed", "Rahman", "Akhtar", "McDonald", "Doherty", "Fitzgerald",
    "Ashworth", "Pickering", "Hargreaves", "Whitehouse", "Sutcliffe", "Ackroyd", "Brennan")


@dataclass
class People:
    person_id: np.ndarray        # P0000001...
    forename: np.ndarray
    surname: np.ndarray
    dob: np.ndarray              # datetime64[D]
    sex: np.ndarray              # 'M' / 'F'
    home_zone: np.ndarray
    nhs_number: np.ndarray
    upn: np.ndarray              # '' when never of school age in the period
    pnc_id: np.ndarray           # every person of interest has one (issued on first arrest)
    activity: np.ndarray         # relative propensity to offend (heavy-tailed)
    of_interest: np.ndarray      # bool: young people known to several agencies

    def __len__(self) -> int:
        return int(self.person_id.size)

    def age_on(self, d: np.datetime64) -> np.ndarray:
        """Everyone's whole years of age on date d (cached per date: called per record)."""
        key = np.datetime64(d, "D")
        cache = self.__dict__.setdefault("_age_cache", {})
        if key not in cache:
            if len(cache) > 4096:
                cache.clear()
            cache[key] = self.age_of(np.arange(len(self)), np.full(len(self), key))
        return cache[key]

    def age_of(self, idx: np.ndarray, d: np.ndarray) -> np.ndarray:
        """Whole years of age of people[idx] on dates d (same length)."""
        dob = self.dob[idx]
        d = np.asarray(d, dtype="datetime64[D]")
        by = dob.astype("datetime64[Y]").astype(int)
        dy = d.astype("datetime64[Y]").astype(int)
        age = dy - by
        # Not yet had this year's birthday.
        bday = dob - dob.astype("datetime64[Y]").astype("datetime64[D]")
        dday = d - d.astype("datetime64[Y]").astype("datetime64[D]")
        return age - (dday < bday)


def build_people(world: World, p: SynthParams) -> People:
    """People of interest (young, known to several agencies) and other pupils."""
    rng = np.random.default_rng([p.seed, 501])
    start = np.datetime64(f"{p.start_year}-04-01")
    n_poi = int(round(4000 * p.scale))
    n_pupils = int(round(12000 * p.scale))
    n = n_poi + n_pupils
    of_interest = np.arange(n) < n_poi
    # Ages at the start: people of interest 9-26 (peak mid-teens), pupils 5-15.
    age = np.where(of_interest, np.clip(rng.gamma(6.0, 2.6, n) + 3, 9, 26),
                   rng.uniform(5, 16, n))
    dob = start - np.round(age * 365.25).astype("timedelta64[D]")
    male = rng.random(n) < np.where(of_interest, 0.8, 0.51)
    fm = np.array(FORENAMES_M, dtype=object)
    ff = np.array(FORENAMES_F, dtype=object)
    forename = np.where(male, fm[rng.integers(0, fm.size, n)], ff[rng.integers(0, ff.size, n)])
    surname = np.array(SURNAMES, dtype=object)[rng.integers(0, len(SURNAMES), n)]
    # People of interest live more often in deprived zones.
    w = world.total_population() * np.exp(0.8 * world.deprivation_z)
    pop = world.total_population()
    home = np.where(of_interest, rng.choice(world.n, n, p=w / w.sum()),
                    rng.choice(world.n, n, p=pop / pop.sum()))
    nhs = nhs_numbers(rng, n)
    school_age_end = age + p.years
    upn = np.where(school_age_end >= 5, _upns(rng, n), "")
    upn = np.where(age <= 18, upn, "")
    pnc = np.where(of_interest, pnc_ids(rng, n, (p.start_year - 8, p.start_year + 3), 9_000_000), "")
    activity = np.where(of_interest, rng.pareto(1.6, n) + 0.2, 0.0)
    return People(
        person_id=np.array([f"P{i + 1:07d}" for i in range(n)], dtype=object),
        forename=forename, surname=surname, dob=dob, sex=np.where(male, "M", "F"),
        home_zone=home, nhs_number=nhs, upn=upn.astype(object), pnc_id=pnc.astype(object),
        activity=activity, of_interest=of_interest,
    )


# ------------------------------------------------------------------------------ identifiers
def nhs_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """Distinct valid NHS numbers (modulus 11) starting 9: a test range never issued."""
    body = rng.choice(10**8, size=int(n * 1.15) + 20, replace=False) + 9 * 10**8
    digits = (body[:, None] // 10 ** np.arange(8, -1, -1)) % 10
    check = 11 - (digits * np.arange(10, 1, -1)).sum(axis=1) % 11
    check = np.where(check == 11, 0, check)
    ok = check != 10
    nums = body[ok][:n] * 10 + check[ok][:n]
    if nums.size < n:  # pragma: no cover - 1/11 of draws fail, 15% spare is plenty
        raise RuntimeError("not enough NHS numbers drawn")
    return np.array([f"{v:010d}" for v in nums], dtype=object)


def _upns(rng: np.random.Generator, n: int) -> np.ndarray:
    """Distinct UPN-shaped values: check letter, LA number 990-994 (fictional), 8 digits and a
    final character."""
    letters = np.array(list("ABCDEFGHJKLMNPQRTUVWXYZ"))
    la = rng.integers(990, 995, n)
    serial = rng.choice(10**8, size=n, replace=False)
    chk = letters[rng.integers(0, letters.size, n)]
    tail = letters[rng.integers(0, letters.size, n)]
    return np.array([f"{c}{a:03d}{s:08d}{t}"
                     for c, a, s, t in zip(chk, la, serial, tail, strict=True)], dtype=object)


def pnc_ids(rng: np.random.Generator, n: int, years: tuple[int, int], serial_from: int
            ) -> np.ndarray:
    """PNC-shaped IDs YY/NNNNNNNA, YY drawn from the years [from, to), with serials from
    ``serial_from`` up (a range no force uses: 8,000,000+ for linkage, 9,000,000+ here)."""
    yy = rng.integers(years[0], years[1], n) % 100
    serial = rng.permutation(n) + serial_from
    letters = np.array(list("ABCDEFGHJKLMNPQRTUVWXYZ"))
    chk = letters[rng.integers(0, letters.size, n)]
    return np.array([f"{y:02d}/{s}{c}" for y, s, c in zip(yy, serial, chk, strict=True)],
                    dtype=object)


# ------------------------------------------------------------------------------ noise
_KEYS = "abcdefghijklmnopqrstuvwxyz"


def typo(s: str, rng: np.random.Generator) -> str:
    """One realistic slip: substitute, transpose, delete or double a letter (never a no-op)."""
    if len(s) < 3:
        return s + s[-1]
    kind = rng.integers(0, 4)
    i = int(rng.integers(1, len(s) - 1))
    if kind == 0:
        c = _KEYS[rng.integers(0, 26)]
        if c == s[i].lower():
            c = "e" if c != "e" else "a"
        return s[:i] + c + s[i + 1:]
    if kind == 1 and s[i] != s[i + 1]:
        return s[:i] + s[i + 1] + s[i] + s[i + 2:]
    if kind == 2:
        return s[:i] + s[i + 1:]
    return s[:i] + s[i] + s[i:]


def wrong_dob(d: date, rng: np.random.Generator) -> date:
    """Day and month swapped when that is a different valid date, else a day or a year out."""
    if d.day <= 12 and d.day != d.month and rng.random() < 0.5:
        return d.replace(day=d.month, month=d.day)
    if rng.random() < 0.5:
        return date.fromordinal(d.toordinal() + int(rng.choice([-1, 1])))
    try:
        return d.replace(year=d.year + int(rng.choice([-1, 1])))
    except ValueError:
        return date.fromordinal(d.toordinal() + 1)


@dataclass
class NoisyIds:
    forename: np.ndarray
    surname: np.ndarray
    dob: np.ndarray              # str YYYY-MM-DD
    nhs_number: np.ndarray       # '' when missing
    upn: np.ndarray
    pnc_id: np.ndarray           # '' when missing
    sex: np.ndarray
    # what was done (for the truth file)
    forename_typo: np.ndarray
    surname_typo: np.ndarray
    dob_error: np.ndarray
    nhs_missing: np.ndarray
    upn_typo: np.ndarray
    pnc_missing: np.ndarray
    pnc_variant: np.ndarray


def noisy(people: People, idx: np.ndarray, noise: NoiseParams, rng: np.random.Generator,
          pnc_missing_rate: float = 0.0) -> NoisyIds:
    """Copies of the identities of people[idx] as one agency records them."""
    k = idx.size
    ft = rng.random(k) < noise.name_typo
    st = rng.random(k) < noise.name_typo
    de = rng.random(k) < noise.dob_error
    nm = rng.random(k) < noise.nhs_missing
    ut = rng.random(k) < noise.upn_typo
    pm = rng.random(k) < pnc_missing_rate
    pv = rng.random(k) < noise.pnc_format_variant
    fore = people.forename[idx].copy()
    sur = people.surname[idx].copy()
    for i in np.flatnonzero(ft):
        fore[i] = typo(fore[i], rng)
    for i in np.flatnonzero(st):
        sur[i] = typo(sur[i], rng)
    dobs = people.dob[idx].astype("datetime64[D]").astype(object)
    for i in np.flatnonzero(de):
        dobs[i] = wrong_dob(dobs[i], rng)
    dob_s = np.array([d.isoformat() for d in dobs], dtype=object)
    nhs = np.where(nm, "", people.nhs_number[idx]).astype(object)
    upn = people.upn[idx].copy()
    for i in np.flatnonzero(ut & (upn != "")):
        u = upn[i]
        j = int(rng.integers(1, 12))
        upn[i] = u[:j] + str((int(u[j]) + 1 + int(rng.integers(0, 8))) % 10) + u[j + 1:]
    pnc = people.pnc_id[idx].copy()
    for i in np.flatnonzero(pv & (pnc != "")):
        yy, rest = pnc[i].split("/")
        century = "20" if int(yy) < 50 else "19"
        pnc[i] = f"{century}{yy}/{int(rest[:-1]):07d}{rest[-1]}"  # the same ID, long form
    pnc = np.where(pm, "", pnc).astype(object)
    sex = np.where(rng.random(k) < noise.sex_missing, "U", people.sex[idx]).astype(object)
    return NoisyIds(fore, sur, dob_s, nhs, upn, pnc, sex, ft, st, de, nm,
                    ut & (people.upn[idx] != ""), pm, pv & ~pm)
