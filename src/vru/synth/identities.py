"""Synthetic identities for record linkage: people with diverse names, and the noisy copies of
them that five agencies hold, each with its true person (the ground truth linkage is scored on).

A *person* has a true forename, surname, date of birth, sex, home postcode, name origin and the
identifiers agencies issue (PNC ID when known to police, NHS number, UPN while at school). A
*record* is one agency's copy, with the errors at the rates of ``IdentityNoise`` (all of them
multiplied by ``IdentityNoise.scale``, so ``scale=2`` is "double noise"):

- typing slips in a name (substitute, transpose, drop or double a letter);
- a nickname or short form for the forename (Alex for Alexander, Mo for Muhammad...);
- transliteration variants (Muhammad/Mohammed, Hussain/Hussein, Yusuf/Yousef...), chosen per
  record among the spellings used for the name;
- accents, case, punctuation and spacing as different systems keep them (Łukasz/Lukasz,
  O'Brien/OBRIEN, Smith-Jones/Smith Jones);
- a double-barrelled surname recorded with one half only;
- day and month swapped, a day or a year out;
- postcodes missing, or an earlier (outdated) address's postcode;
- a name change (a later surname) seen by some agencies only;
- missing or mistyped identifiers.

The population also holds the hard cases on purpose: **twins** (same surname, date of birth
and address, different forenames) and **strangers who share a name and a birthday** (common
names, different addresses and identifiers).

Name lists are illustrative, invented mixes per origin group (not a census), weighted so that a
few names are common and many are rare (Zipf-like), as real name frequencies are.

Nicknames used here are drawn from ``SYNTH_NICKNAMES``, which deliberately holds a few short
forms the matching side's documented variant table (``vru.privacy.matchkeys``) does not know,
so that the benchmark does not simply test the table against itself.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from vru.synth.people import nhs_numbers, pnc_ids, typo

# --------------------------------------------------------------------------- name origins
# origin -> (share of people, male forenames, female forenames, surnames)
ORIGINS: dict[str, tuple[float, tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "white_british": (0.64, (
        "Oliver", "Harry", "George", "Jack", "Jacob", "Charlie", "Thomas", "Oscar", "William",
        "James", "Alexander", "Joshua", "Daniel", "Samuel", "Joseph", "Benjamin", "Matthew",
        "Christopher", "Callum", "Kyle", "Liam", "Connor", "Ryan", "Dylan", "Lewis", "Jordan",
        "Nathan", "Tyler", "Bradley", "Jake", "Reece", "Luke", "Aaron", "Ethan", "Mason",
        "Alfie", "Freddie", "Archie", "Harvey", "Riley", "Kieran", "Jamie", "Robert", "Michael",
        "Jonathan", "Edward", "Frederick", "Henry", "Leo", "Toby", "Owen", "Rhys", "Dafydd",
        "Gareth", "Ieuan"), (
        "Olivia", "Amelia", "Isla", "Ava", "Mia", "Lily", "Emily", "Sophie", "Grace", "Chloe",
        "Jessica", "Megan", "Lauren", "Hannah", "Charlotte", "Elizabeth", "Katherine",
        "Rebecca", "Abigail", "Victoria", "Samantha", "Jennifer", "Courtney", "Chantelle",
        "Jade", "Shannon", "Keeley", "Paige", "Holly", "Leah", "Ellie", "Poppy", "Evie", "Ruby",
        "Freya", "Bethany", "Danielle", "Gemma", "Natasha", "Amber", "Sian", "Cerys", "Ffion",
        "Megan", "Caitlin", "Kayleigh", "Demi", "Summer", "Tia"), (
        "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
        "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall",
        "Wood", "Jackson", "Clarke", "Harris", "Edwards", "Turner", "Martin", "Cooper", "Hill",
        "Ward", "Hughes", "Moore", "Clark", "King", "Harrison", "Lewis", "Baker", "Lee", "Allen",
        "Morris", "Scott", "Watson", "Davis", "Parker", "Bennett", "Young", "Phillips",
        "Mitchell", "Bailey", "Carter", "Cook", "Shaw", "Bell", "Collins", "Morgan", "Miller",
        "Cox", "Marshall", "Simpson", "Price", "Anderson", "Adams", "Wilkinson", "Foster",
        "Ellis", "Chapman", "Mason", "Gray", "Richards", "Webb", "Griffiths", "Hunt", "Palmer",
        "Holmes", "Mills", "Rogers", "Barnes", "Knight", "Matthews", "Barker", "Powell",
        "Stevens", "Dawson", "Lloyd", "Fletcher", "Ashworth", "Pickering", "Hargreaves",
        "Whitehouse", "Sutcliffe", "Ackroyd", "Thomson", "Stephenson", "Pritchard", "Hopkins",
        "Smith-Jones", "Lloyd-Davies", "Harvey-Smith", "Bowes-Lyon", "Wynne-Roberts")),
    "irish_scottish": (0.05, (
        "Ciaran", "Declan", "Sean", "Padraig", "Conor", "Eoin", "Cian", "Oisin", "Ruairi",
        "Fergus", "Callum", "Angus", "Euan", "Niall", "Donal", "Brendan"), (
        "Niamh", "Siobhan", "Aoife", "Saoirse", "Roisin", "Orla", "Ciara", "Sinead", "Eilidh",
        "Isla", "Mairead", "Grainne", "Clodagh", "Aisling"), (
        "O'Brien", "Murphy", "Kelly", "O'Sullivan", "Walsh", "McDonald", "Doherty",
        "Fitzgerald", "O'Connor", "McCarthy", "Brennan", "Gallagher", "MacLeod", "McKenzie",
        "O'Neill", "Quinn", "Byrne", "Ryan", "Campbell", "Stewart", "Reilly", "Mac Giolla")),
    "south_asian": (0.12, (
        "Muhammad", "Ibrahim", "Yusuf", "Ayaan", "Zain", "Ali", "Hamza", "Bilal", "Imran",
        "Tariq", "Arjun", "Rohan", "Aarav", "Harjit", "Gurpreet", "Mohammed Ali", "Abdul Rahman",
        "Rizwan", "Shahid", "Kamran", "Faisal", "Adnan", "Amir", "Sanjay", "Vikram", "Rahul"), (
        "Aisha", "Fatima", "Maryam", "Zara", "Amira", "Ayesha", "Noor", "Hafsa", "Sana",
        "Priya", "Anjali", "Simran", "Harpreet", "Nusrat", "Rukhsana", "Shabana", "Nadia",
        "Sadia", "Sumaya", "Jasleen"), (
        "Patel", "Khan", "Hussain", "Ali", "Ahmed", "Begum", "Singh", "Kaur", "Rahman",
        "Akhtar", "Shah", "Iqbal", "Mahmood", "Chaudhry", "Malik", "Sharma", "Mistry", "Bibi",
        "Islam", "Uddin", "Miah", "Choudhury", "Qureshi", "Butt", "Javed", "Gill", "Sandhu")),
    "black_african": (0.06, (
        "Emmanuel", "Kwame", "Kofi", "Chinedu", "Oluwaseun", "Oluwatobi", "Tunde", "Segun",
        "Ikechukwu", "Abdi", "Mohamed", "Kwabena", "Yaw", "Samuel", "David", "Daniel",
        "Godfrey", "Femi", "Chukwuemeka", "Obinna"), (
        "Precious", "Abena", "Blessing", "Chioma", "Ngozi", "Folake", "Adaeze", "Amina",
        "Hodan", "Faith", "Grace", "Esther", "Oluwadamilola", "Temitope", "Yetunde", "Ama",
        "Akosua", "Ifeoma"), (
        "Okafor", "Mensah", "Osei", "Adeyemi", "Okonkwo", "Boateng", "Asante", "Owusu",
        "Adebayo", "Oluwole", "Nwosu", "Eze", "Abdullahi", "Mohamud", "Farah", "Hassan",
        "Ogunleye", "Bakare", "Appiah", "Darko", "Chukwu", "Oyelaran")),
    "black_caribbean": (0.04, (
        "Marcus", "Andre", "Jermaine", "Tyrone", "Dwayne", "Leon", "Delroy", "Winston",
        "Kemar", "Jaden", "Malachi", "Isaiah", "Tremaine", "Devon"), (
        "Shanice", "Tanisha", "Jasmine", "Keisha", "Latoya", "Monique", "Simone", "Aaliyah",
        "Kiara", "Destiny", "Imani", "Tiana"), (
        "Campbell", "Brown", "Williams", "Thomas", "Francis", "Grant", "Reid", "Henry",
        "Gordon", "Lawrence", "Forbes", "Clarke", "Johnson", "Bailey", "Morgan", "Samuels",
        "Spencer", "Clarke-Samuels")),
    "eastern_european": (0.06, (
        "Jakub", "Kacper", "Tomasz", "Łukasz", "Michał", "Piotr", "Krzysztof", "Mateusz",
        "Paweł", "Andrei", "Ionut", "Mihai", "Darius", "Tomas", "Mindaugas", "Jānis",
        "Aleksander", "Dominik", "Filip", "Szymon"), (
        "Natalia", "Zuzanna", "Maja", "Katarzyna", "Agnieszka", "Małgorzata", "Joanna",
        "Ioana", "Elena", "Andreea", "Ieva", "Agnė", "Oliwia", "Wiktoria", "Aleksandra"), (
        "Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski",
        "Zieliński", "Szymański", "Woźniak", "Dąbrowski", "Popescu", "Ionescu", "Popa",
        "Kazlauskas", "Jankauskas", "Bērziņš", "Horváth", "Nagy", "Kovács")),
    "arabic_somali_kurdish": (0.02, (
        "Omar", "Ahmed", "Mustafa", "Khalid", "Yousef", "Abdullah", "Hassan", "Karwan",
        "Mohamud", "Abdirahman", "Hamid", "Saleh"), (
        "Layla", "Hana", "Yasmin", "Rania", "Mariam", "Sahra", "Hibo", "Nasra", "Dilan",
        "Leila"), (
        "Al-Sayed", "Abdi", "Hussein", "Mohamed", "Ahmed", "Ali", "Omar", "Haji", "Nur",
        "Warsame", "Jama", "Karimi", "Rashid", "El-Amin", "Abdullah")),
    "east_asian": (0.01, (
        "Wei", "Jun", "Hao", "Ming", "Jian", "Kevin", "Hung", "Minh", "Tuan", "Jin"), (
        "Mei", "Xiu", "Li Na", "Yan", "Linh", "Thi", "Hoa", "Jing"), (
        "Wang", "Li", "Zhang", "Chen", "Liu", "Nguyen", "Tran", "Le", "Pham", "Wong",
        "Chan", "Lam", "Cheung", "Ho")),
}

# Transliteration / spelling variants: a record uses one of these spellings for the name
# (the first is the person's own). Realistic alternatives agencies record.
SPELLINGS: dict[str, tuple[str, ...]] = {
    "Muhammad": ("Muhammad", "Mohammed", "Mohammad", "Mohamed", "Muhammed"),
    "Mohammed Ali": ("Mohammed Ali", "Muhammad Ali", "Mohammed-Ali"),
    "Mohamed": ("Mohamed", "Mohammed", "Mohamud"),
    "Hussain": ("Hussain", "Hussein", "Husain"),
    "Hussein": ("Hussein", "Hussain", "Husein"),
    "Yusuf": ("Yusuf", "Yousef", "Yusef", "Yousuf"),
    "Yousef": ("Yousef", "Yusuf", "Youssef"),
    "Ahmed": ("Ahmed", "Ahmad", "Ahmet"),
    "Aisha": ("Aisha", "Ayesha", "Aysha"),
    "Ayesha": ("Ayesha", "Aisha"),
    "Fatima": ("Fatima", "Fatimah", "Fatema"),
    "Maryam": ("Maryam", "Mariam", "Miriam"),
    "Mariam": ("Mariam", "Maryam"),
    "Abdul Rahman": ("Abdul Rahman", "Abdulrahman", "Abdur Rahman"),
    "Abdirahman": ("Abdirahman", "Abdulrahman", "Abdi Rahman"),
    "Choudhury": ("Choudhury", "Chowdhury", "Chaudhry"),
    "Chaudhry": ("Chaudhry", "Chaudhary", "Choudhry"),
    "Rahman": ("Rahman", "Rehman"),
    "Mahmood": ("Mahmood", "Mahmud", "Mehmood"),
    "Qureshi": ("Qureshi", "Kureshi"),
    "Uddin": ("Uddin", "Udin"),
    "Miah": ("Miah", "Mia"),
    "Oluwaseun": ("Oluwaseun", "Oluwasheun"),
    "Chukwuemeka": ("Chukwuemeka", "Chukwu-Emeka"),
    "Mohamud": ("Mohamud", "Mohamoud", "Mahamud"),
    "Sahra": ("Sahra", "Sarah", "Zahra"),
    "Nguyen": ("Nguyen", "Nguyễn"),
    "Zhang": ("Zhang", "Chang"),
    "Wong": ("Wong", "Huang"),
    "Siobhan": ("Siobhan", "Siobhán", "Shevaun"),
    "Aoife": ("Aoife", "Aoífe", "Eefa"),
    "Saoirse": ("Saoirse", "Saoírse"),
    "Padraig": ("Padraig", "Pádraig"),
    "Sean": ("Sean", "Seán", "Shaun", "Shawn"),
    "Oisin": ("Oisin", "Oisín"),
    "Thompson": ("Thompson", "Thomson"),
    "Thomson": ("Thomson", "Thompson"),
    "Katherine": ("Katherine", "Catherine", "Kathryn"),
    "Jasmine": ("Jasmine", "Jazmin", "Yasmin"),
    "Mac Giolla": ("Mac Giolla", "MacGiolla", "McGiolla"),
    "Al-Sayed": ("Al-Sayed", "Al Sayed", "Alsayed", "El-Sayed"),
    "Andrei": ("Andrei", "Andrey"),
}

# Nicknames and short forms as agencies record them: full name -> short forms. Mostly the same
# pairs as the matching side's table, plus a few it does not know (marked).
SYNTH_NICKNAMES: dict[str, tuple[str, ...]] = {
    "Alexander": ("Alex", "Sasha"), "Aleksander": ("Olek",),  # Sasha, Olek: not in the table
    "William": ("Will", "Bill", "Billy"), "Robert": ("Rob", "Bob", "Bobby"),
    "Thomas": ("Tom", "Tommy"), "James": ("Jim", "Jamie"), "Daniel": ("Dan", "Danny"),
    "Joseph": ("Joe", "Joey"), "Samuel": ("Sam", "Sammy"), "Michael": ("Mike", "Mick"),
    "Christopher": ("Chris", "Kit"), "Matthew": ("Matt",), "Benjamin": ("Ben", "Benji"),
    "Jonathan": ("Jon", "Johnny"), "Edward": ("Ed", "Eddie", "Ned"), "Frederick": ("Fred",),
    "Henry": ("Harry", "Hal"), "Joshua": ("Josh",), "Nathan": ("Nate",), "Callum": ("Cal",),
    "Elizabeth": ("Liz", "Beth", "Lizzie"), "Katherine": ("Kate", "Katie", "Kath"),
    "Rebecca": ("Becky", "Becca"), "Jessica": ("Jess",), "Abigail": ("Abbie", "Abi"),
    "Olivia": ("Liv",), "Samantha": ("Sam", "Sammie"), "Charlotte": ("Charlie", "Lottie"),
    "Victoria": ("Vicky", "Tori"), "Jennifer": ("Jen", "Jenny"), "Danielle": ("Dani",),
    "Natasha": ("Tasha",), "Bethany": ("Beth",), "Gemma": ("Gem",),
    "Muhammad": ("Mo",), "Mohammed Ali": ("Mo",), "Ibrahim": ("Ibby",), "Abdullah": ("Abdul",),
    "Oluwaseun": ("Seun",), "Oluwatobi": ("Tobi",), "Oluwadamilola": ("Dami", "Lola"),
    "Chukwuemeka": ("Emeka",), "Ikechukwu": ("Ike",), "Temitope": ("Tope",),
    "Krzysztof": ("Krzys",), "Małgorzata": ("Gosia",), "Katarzyna": ("Kasia",),
    "Aleksandra": ("Ola",), "Mateusz": ("Mati",),  # Gosia, Kasia, Ola, Mati: not in the table
    "Abdirahman": ("Abdi",), "Mustafa": ("Musti",),
}

# Record sources as linkage names them (docs/guide/linkage.md): a police crime row carries its
# suspect ("police_rms") and its victim ("police_rms:victim"), two records of one file row.
# (The sources added later come last, so the earlier sources' records are drawn as before.)
SOURCES: tuple[str, ...] = ("police_rms", "admissions", "education", "youth_justice", "em_gps",
                            "police_rms:victim", "programme")
# Which identifier each source issues or records (and how often it is missing there). Victims
# carry none; the programme's referrers give what they have.
SOURCE_IDS: dict[str, dict[str, float]] = {
    "police_rms": {"pnc_id": 0.15},
    "police_rms:victim": {},
    "admissions": {"nhs_number": 0.03},
    "education": {"upn": 0.02},
    "youth_justice": {"pnc_id": 0.30},
    "em_gps": {"pnc_id": 0.0},
    "programme": {"nhs_number": 0.5, "pnc_id": 0.8, "upn": 0.6},
}
# Expected records per person in each source, given the person is known to it.
SOURCE_RECORDS: dict[str, float] = {
    "police_rms": 2.2, "police_rms:victim": 1.3, "admissions": 1.4, "education": 1.8,
    "youth_justice": 1.6, "em_gps": 1.1, "programme": 1.15}
# Share of people known to each source.
SOURCE_REACH: dict[str, float] = {
    "police_rms": 0.55, "police_rms:victim": 0.25, "admissions": 0.35, "education": 0.60,
    "youth_justice": 0.18, "em_gps": 0.05, "programme": 0.05}


def file_source(source: str) -> str:
    """The source whose files hold a record source's rows (police_rms:victim -> police_rms)."""
    return source.split(":")[0]


@dataclass
class IdentityNoise:
    """Per-record (or per-person, where said) error rates; ``scale`` multiplies every rate."""

    scale: float = 1.0
    name_typo: float = 0.04             # per name field
    nickname: float = 0.05              # forename recorded as a short form (when it has one)
    transliteration: float = 0.35       # a name with variant spellings written another way
    style: float = 0.15                 # accents/case/punctuation/spacing as another system keeps
    barrel_half: float = 0.25           # double-barrelled surname recorded with one half
    dob_swap: float = 0.01              # day and month swapped (when both <= 12)
    dob_off: float = 0.012              # a day or a year out
    postcode_missing: float = 0.10
    postcode_outdated: float = 0.10     # an earlier address's postcode (when the person moved)
    mover: float = 0.30                 # per person: has an earlier address
    name_change: float = 0.02           # per person: a later surname, used by ~half the records
    sex_missing: float = 0.01
    id_typo: float = 0.01               # an identifier mistyped (a different, wrong value)
    id_missing_factor: float = 1.0      # multiplies SOURCE_IDS missing rates
    twins: float = 0.012                # share of people who are one of a pair of twins
    namesakes: float = 0.004            # share of people given a stranger with the same name+dob

    def rate(self, name: str) -> float:
        return float(min(1.0, getattr(self, name) * self.scale))

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class IdentityParams:
    seed: int = 1
    people: int = 20_000
    # Birth years: young people known to agencies (ages ~9-26 in the reference year).
    reference_year: int = 2024
    age_min: int = 9
    age_max: int = 26
    postcode_area: str = "KX"           # fictional (no real UK postcode area is KX)
    districts: int = 30
    noise: IdentityNoise = field(default_factory=IdentityNoise)


@dataclass
class People:
    frame: pd.DataFrame                  # one row per person: truth


def _zipf(n: int, s: float = 0.9) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1) ** s
    return w / w.sum()


def build_people(p: IdentityParams) -> pd.DataFrame:
    """The true identities: person_id, origin, forename, surname, dob, sex, postcode(s), ids."""
    rng = np.random.default_rng([p.seed, 1501])
    n = p.people
    names = list(ORIGINS)
    share = np.array([ORIGINS[o][0] for o in names])
    origin = rng.choice(len(names), n, p=share / share.sum())
    male = rng.random(n) < 0.6
    fore = np.empty(n, dtype=object)
    sur = np.empty(n, dtype=object)
    for k, o in enumerate(names):
        _, fm, ff, sn = ORIGINS[o]
        idx = np.flatnonzero(origin == k)
        mi, fi = idx[male[idx]], idx[~male[idx]]
        fm_a, ff_a, sn_a = (np.array(x, dtype=object) for x in (fm, ff, sn))
        # Shuffle the order per seed so "common" names differ between worlds.
        fm_a, ff_a, sn_a = (rng.permutation(x) for x in (fm_a, ff_a, sn_a))
        fore[mi] = fm_a[rng.choice(fm_a.size, mi.size, p=_zipf(fm_a.size))]
        fore[fi] = ff_a[rng.choice(ff_a.size, fi.size, p=_zipf(ff_a.size))]
        sur[idx] = sn_a[rng.choice(sn_a.size, idx.size, p=_zipf(sn_a.size, 0.7))]
    start = np.datetime64(f"{p.reference_year - p.age_max}-01-01")
    span = (p.age_max - p.age_min) * 365
    dob = start + rng.integers(0, span, n).astype("timedelta64[D]")
    postcode = _postcodes(rng, n, p)
    old_pc = _postcodes(rng, n, p)
    mover = rng.random(n) < p.noise.rate("mover")
    new_sur = np.where(rng.random(n) < p.noise.rate("name_change"),
                       np.array(ORIGINS["white_british"][3], dtype=object)[
                           rng.integers(0, len(ORIGINS["white_british"][3]), n)], "")
    df = pd.DataFrame({
        "person_id": [f"Q{i + 1:08d}" for i in range(n)],
        "origin": np.array(names, dtype=object)[origin],
        "sex": np.where(male, "M", "F"),
        "forename": fore, "surname": sur, "dob": dob,
        "postcode": postcode, "old_postcode": np.where(mover, old_pc, ""),
        "new_surname": new_sur,
        "twin_of": "", "namesake_of": "",
    })
    _plant_twins(df, rng, p)
    _plant_namesakes(df, rng, p)
    df["pnc_id"] = pnc_ids(rng, n, (15, 25), 8_000_000)
    df["nhs_number"] = nhs_numbers(rng, n)
    df["upn"] = _upn(rng, n)
    return df


def _postcodes(rng: np.random.Generator, n: int, p: IdentityParams) -> np.ndarray:
    d = rng.integers(1, p.districts + 1, n)
    s = rng.integers(0, 10, n)
    letters = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))
    u1 = letters[rng.integers(0, letters.size, n)]
    u2 = letters[rng.integers(0, letters.size, n)]
    return np.array([f"{p.postcode_area}{a} {b}{c}{e}" for a, b, c, e in zip(d, s, u1, u2,
                                                                             strict=True)],
                    dtype=object)


def _plant_twins(df: pd.DataFrame, rng: np.random.Generator, p: IdentityParams) -> None:
    """Pairs (i, i+1) made twins: the second copies surname, dob, postcode; own forename."""
    n = len(df)
    k = int(n * p.noise.rate("twins") / 2)
    if k == 0:
        return
    first = rng.choice(np.arange(0, n - 1, 2), size=k, replace=False)
    second = first + 1
    for col in ("surname", "dob", "postcode", "old_postcode", "origin"):
        df.loc[second, col] = df.loc[first, col].to_numpy()
    # A twin with the same forename as their sibling would be indistinguishable: redraw.
    same = df.loc[second, "forename"].to_numpy() == df.loc[first, "forename"].to_numpy()
    for i in second[same]:
        o = df.at[i, "origin"]
        pool = ORIGINS[o][1] if df.at[i, "sex"] == "M" else ORIGINS[o][2]
        choices = [x for x in pool if x != df.at[i - 1, "forename"]]
        df.at[i, "forename"] = choices[int(rng.integers(0, len(choices)))]
    df.loc[second, "twin_of"] = df.loc[first, "person_id"].to_numpy()


def _plant_namesakes(df: pd.DataFrame, rng: np.random.Generator, p: IdentityParams) -> None:
    """Strangers who share forename, surname, sex and date of birth (not the address)."""
    n = len(df)
    k = int(n * p.noise.rate("namesakes"))
    if k == 0:
        return
    src = rng.choice(n, size=k, replace=False)
    dst = rng.choice(np.setdiff1d(np.arange(n), src), size=k, replace=False)
    free = df.loc[src, "twin_of"].eq("").to_numpy() & df.loc[dst, "twin_of"].eq("").to_numpy()
    src, dst = src[free], dst[free]
    for col in ("forename", "surname", "dob", "sex", "origin"):
        df.loc[dst, col] = df.loc[src, col].to_numpy()
    df.loc[dst, "namesake_of"] = df.loc[src, "person_id"].to_numpy()


def _upn(rng: np.random.Generator, n: int) -> np.ndarray:
    letters = np.array(list("ABCDEFGHJKLMNPQRTUVWXYZ"))
    serial = rng.choice(10**8, size=n, replace=False)
    return np.array([f"{c}99{s % 10}{s:08d}{t}" for c, s, t in zip(
        letters[rng.integers(0, 23, n)], serial, letters[rng.integers(0, 23, n)], strict=True)],
        dtype=object)


# --------------------------------------------------------------------------- noise
def restyle(s: str, rng: np.random.Generator) -> str:
    """The same name as another system keeps it: case, accents, punctuation, spacing."""
    import unicodedata

    k = int(rng.integers(0, 4))
    if k == 0:
        return s.upper()
    if k == 1:
        return "".join(ch for ch in unicodedata.normalize("NFKD", s)
                       if not unicodedata.combining(ch)).replace("ł", "l").replace("Ł", "L")
    if k == 2:
        return s.replace("-", " ").replace("'", "")
    return s.lower().replace(" ", "-") if " " in s else s.lower()


def _wrong_dob(d: np.datetime64, rng: np.random.Generator, swap: bool) -> np.datetime64:
    y, m, day = (int(x) for x in str(d).split("-"))
    if swap and day <= 12 and day != m:
        return np.datetime64(f"{y:04d}-{day:02d}-{m:02d}")
    if rng.random() < 0.5:
        return d + np.timedelta64(int(rng.choice([-1, 1])), "D")
    try:
        return np.datetime64(f"{y + int(rng.choice([-1, 1])):04d}-{m:02d}-{day:02d}")
    except ValueError:
        return d + np.timedelta64(1, "D")


def _mistype(v: str, rng: np.random.Generator) -> str:
    digits = [i for i, ch in enumerate(v) if ch.isdigit()]
    if not digits:
        return v
    i = digits[int(rng.integers(0, len(digits)))]
    return v[:i] + str((int(v[i]) + 1 + int(rng.integers(0, 8))) % 10) + v[i + 1:]


def make_records(people: pd.DataFrame, p: IdentityParams, records: int | None = None
                 ) -> pd.DataFrame:
    """Each source's noisy records of the people it knows, with the truth alongside.

    Columns: source, file, row_number, forename, surname, date_of_birth (text as the agency
    sent it), sex, postcode, pnc_id, nhs_number, upn (empty where the source does not hold it)
    and the truth: person_id, origin, true_sex, and what noise was applied.
    ``records`` (optional) scales reach so the total is about that many records.
    """
    rng = np.random.default_rng([p.seed, 1502])
    nz = p.noise
    n = len(people)
    expected = sum(SOURCE_REACH[s] * SOURCE_RECORDS[s] for s in SOURCES) * n
    boost = 1.0 if records is None else records / expected
    parts = []
    for s in SOURCES:
        known = np.flatnonzero(rng.random(n) < min(1.0, SOURCE_REACH[s] * boost))
        reps = 1 + rng.poisson(SOURCE_RECORDS[s] - 1, known.size)
        who = np.repeat(known, reps)
        # Records arrive over time: spread them over 12 monthly files.
        month = rng.integers(1, 13, who.size)
        order = np.lexsort((rng.random(who.size), month))
        parts.append((s, who[order], month[order]))
    out = []
    pe = {c: people[c].to_numpy() for c in people.columns}
    for s, who, month in parts:
        k = who.size
        fore = pe["forename"][who].copy()
        sur = pe["surname"][who].copy()
        noise_kind = np.full(k, "", dtype=object)

        def note(mask: np.ndarray, label: str, noise_kind: np.ndarray = noise_kind) -> None:
            noise_kind[mask] = np.where(noise_kind[mask] == "", label, noise_kind[mask] + "+" + label)

        # Name change: a later surname used by about half of the records of those who changed.
        changed = (pe["new_surname"][who] != "") & (rng.random(k) < 0.5)
        sur[changed] = pe["new_surname"][who][changed]
        note(changed, "name_change")
        # Spelling variants (transliterations).
        tr = rng.random(k) < nz.rate("transliteration")
        for i in np.flatnonzero(tr):
            for arr in (fore, sur):
                v = SPELLINGS.get(arr[i])
                if v:
                    arr[i] = v[int(rng.integers(0, len(v)))]
        note(tr & (np.isin(pe["forename"][who], list(SPELLINGS)) |
                   np.isin(pe["surname"][who], list(SPELLINGS))), "spelling")
        nick = rng.random(k) < nz.rate("nickname")
        has_nick = np.array([f in SYNTH_NICKNAMES for f in fore])
        for i in np.flatnonzero(nick & has_nick):
            v = SYNTH_NICKNAMES[fore[i]]
            fore[i] = v[int(rng.integers(0, len(v)))]
        note(nick & has_nick, "nickname")
        half = (rng.random(k) < nz.rate("barrel_half")) & np.array(["-" in x for x in sur])
        for i in np.flatnonzero(half):
            parts_ = sur[i].split("-")
            sur[i] = parts_[int(rng.integers(0, len(parts_)))]
        note(half, "barrel_half")
        ft = rng.random(k) < nz.rate("name_typo")
        st = rng.random(k) < nz.rate("name_typo")
        for i in np.flatnonzero(ft):
            fore[i] = typo(fore[i], rng)
        for i in np.flatnonzero(st):
            sur[i] = typo(sur[i], rng)
        note(ft | st, "typo")
        sty = rng.random(k) < nz.rate("style")
        for i in np.flatnonzero(sty):
            fore[i] = restyle(fore[i], rng)
            sur[i] = restyle(sur[i], rng)
        dob = pe["dob"][who].astype("datetime64[D]").copy()
        sw = rng.random(k) < nz.rate("dob_swap")
        off = (rng.random(k) < nz.rate("dob_off")) & ~sw
        for i in np.flatnonzero(sw | off):
            dob[i] = _wrong_dob(dob[i], rng, swap=bool(sw[i]))
        note(sw | off, "dob")
        dob_s = np.datetime_as_string(dob, unit="D").astype(object)
        # Some agencies send day-first dates.
        dayfirst = s in ("admissions", "education")
        if dayfirst:
            dob_s = np.array([f"{x[8:10]}/{x[5:7]}/{x[0:4]}" for x in dob_s], dtype=object)
        pc = pe["postcode"][who].copy()
        old = (pe["old_postcode"][who] != "") & (rng.random(k) < nz.rate("postcode_outdated"))
        pc[old] = pe["old_postcode"][who][old]
        note(old, "old_postcode")
        miss = rng.random(k) < nz.rate("postcode_missing")
        pc[miss] = ""
        pc_style = rng.random(k) < 0.3
        pc[pc_style] = np.array([x.replace(" ", "").lower() for x in pc[pc_style]], dtype=object)
        sex = np.where(rng.random(k) < nz.rate("sex_missing"), "U", pe["sex"][who]).astype(object)
        cols = {"pnc_id": np.full(k, "", dtype=object), "nhs_number": np.full(k, "", dtype=object),
                "upn": np.full(k, "", dtype=object)}
        for idk, missing in SOURCE_IDS[s].items():
            v = pe[idk][who].copy()
            bad = rng.random(k) < nz.rate("id_typo")
            for i in np.flatnonzero(bad):
                v[i] = _mistype(v[i], rng)
            note(bad, "id_typo")
            gone = rng.random(k) < min(1.0, missing * nz.id_missing_factor * nz.scale)
            v[gone] = ""
            cols[idk] = v
        fs = file_source(s)
        file = np.array([f"{fs.replace('_', '-')}/{fs}-2024-{m:02d}.csv" for m in month],
                        dtype=object)
        # Row numbers within each monthly file, in order of arrival.
        rown = np.zeros(k, dtype=np.int64)
        for m in np.unique(month):
            sel = np.flatnonzero(month == m)
            rown[sel] = np.arange(1, sel.size + 1)
        out.append(pd.DataFrame({
            "source": s, "file": file, "row_number": rown, "forename": fore, "surname": sur,
            "date_of_birth": dob_s, "sex": sex, "postcode": pc, **cols,
            "person_id": pe["person_id"][who], "origin": pe["origin"][who],
            "true_sex": pe["sex"][who], "month": month, "noise": noise_kind,
        }))
    recs = pd.concat(out, ignore_index=True)
    recs.insert(0, "record_id", np.arange(1, len(recs) + 1, dtype=np.int64))
    return recs


def synthetic_linkage_set(people: int = 20_000, seed: int = 1, noise_scale: float = 1.0,
                          records: int | None = None) -> tuple[pd.DataFrame, IdentityParams]:
    """People and their records in one call (what tests and the benchmark use)."""
    p = IdentityParams(seed=seed, people=people, noise=IdentityNoise(scale=noise_scale))
    return make_records(build_people(p), p, records=records), p


# --------------------------------------------------------------------------- partner files
def _fy_age(dob: str, on: str) -> int:
    d = parse_iso_or_dayfirst(dob)
    y, m, dd = (int(x) for x in on.split("-"))
    if d is None:
        return 15
    return y - d[0] - ((m, dd) < (d[1], d[2]))


def parse_iso_or_dayfirst(s: str) -> tuple[int, int, int] | None:
    try:
        if "/" in s:
            dd, mm, yy = s.split("/")
            return int(yy), int(mm), int(dd)
        yy, mm, dd = s.split("-")
        return int(yy), int(mm), int(dd)
    except ValueError:
        return None


def write_partner_files(records: pd.DataFrame, out, year: int = 2024,
                        intervention_code: str = "LINK-DEMO") -> dict[str, int]:
    """The records as the person-bearing data-hub contracts' files (one per source and month,
    quasi-identifiers included), plus ``truth/linkage_truth.csv`` (source, file, row_number,
    person_id, origin, sex). A police file's row i carries the month's i-th suspect and i-th
    victim (either may be absent); programme referrals name ``intervention_code`` (create it
    before importing them). Returns rows written per file source."""
    from pathlib import Path

    out = Path(out)
    rng = np.random.default_rng(1503)
    counts: dict[str, int] = {}
    truth = []
    records = records.assign(fsource=records["source"].map(file_source))
    for (source, month), g in records.groupby(["fsource", "month"], sort=True):
        roles = {s: x.sort_values("row_number") for s, x in g.groupby("source")}
        n = max(len(x) for x in roles.values())
        day = rng.integers(1, 29, n)
        when = [f"{year}-{month:02d}-{d:02d}" for d in day]
        folder = source.replace("_", "-")
        name = f"{source.replace('_', '-')}-{year}-{month:02d}.csv"
        g = roles.get(source)
        if g is not None:
            q = {"forename": g["forename"], "surname": g["surname"],
                 "date_of_birth": g["date_of_birth"], "postcode": g["postcode"]}
            sex = g["sex"].to_numpy()
        if source == "admissions":
            cols = {"nhs_number": g["nhs_number"], "admission_date": when,
                    "icd10_cause": np.where(rng.random(n) < 0.4, "X99", "Y04"),
                    "sex": sex, **q}
        elif source == "education":
            cols = {"upn": g["upn"], "school_urn": [f"99{x:04d}" for x in rng.integers(0, 400, n)],
                    "event_date": when, "exclusion_type": "SUSPENSION", "reason_code": "PD",
                    "sessions": rng.integers(1, 10, n), "sex": sex, **q}
        elif source == "youth_justice":
            ages = [min(25, max(10, _fy_age(d, w))) for d, w in zip(g["date_of_birth"], when,
                                                                     strict=True)]
            cols = {"pnc_id": g["pnc_id"], "event_type": "OUTCOME", "event_date": when,
                    "outcome_code": "YC", "age": ages, "sex": sex, **q}
        elif source == "police_rms":
            cols = {"crime_reference": [f"KX/{year % 100}/{month:02d}{i:07d}" for i in range(n)],
                    "ho_offence_code": "8N", "committed_from": [f"{w} 21:00" for w in when]}
            for role, prefix, ident in (("police_rms", "suspect_", "suspect_id"),
                                        ("police_rms:victim", "victim_", None)):
                r = roles.get(role, records.iloc[:0])
                if ident:
                    cols[ident] = [*r["pnc_id"], *[""] * (n - len(r))]
                for c in ("forename", "surname", "date_of_birth", "postcode", "sex"):
                    cols[prefix + c] = [*r[c], *[""] * (n - len(r))]
            folder = "police-rms"
        elif source == "programme":
            cols = {"provider_ref": [f"L{month:02d}-{i:06d}" for i in range(n)],
                    "intervention_code": intervention_code, "nhs_number": g["nhs_number"],
                    "pnc_id": g["pnc_id"], "upn": g["upn"], "referring_agency": "Police",
                    "referral_date": when, "reasons": "linkage test", "status": "RECEIVED",
                    "sex": sex, **q}
        else:  # em_gps tagged people
            cols = {"person_id": g["pnc_id"], "order_type": "GPS_TRAIL", "start_date": when,
                    "sex": sex, **q}
            folder = "em"
        path = out / folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame({k: (list(v) if not np.isscalar(v) else [v] * n) for k, v in cols.items()}
                     ).to_csv(path, index=False)
        counts[source] = counts.get(source, 0) + n
        for role, r in roles.items():
            truth.append(pd.DataFrame({"source": role, "file": name,
                                       "row_number": np.arange(1, len(r) + 1),
                                       "person_id": r["person_id"].to_numpy(),
                                       "origin": r["origin"].to_numpy(),
                                       "sex": r["true_sex"].to_numpy()}))
    (out / "truth").mkdir(parents=True, exist_ok=True)
    pd.concat(truth, ignore_index=True).to_csv(out / "truth" / "linkage_truth.csv", index=False)
    return counts


def zone_postcodes(zone: np.ndarray, area: str = "KX") -> np.ndarray:
    """A fictional home postcode per zone of the synthetic world (one per zone: district from
    the zone number, sector and unit from its digits), for the partner files' postcode column."""
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    z = np.asarray(zone, dtype=np.int64)
    return np.array([f"{area}{x // 40 + 1} {x % 10}{letters[(x // 10) % 20]}{letters[x % 20]}"
                     for x in z], dtype=object)
