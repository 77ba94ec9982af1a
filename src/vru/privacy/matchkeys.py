"""Match features made at the door: quasi-identifiers -> keyed, irreversible match keys.

Names, dates of birth and postcodes must never be stored, yet linkage needs more than exact
agreement of one pseudonym (two spellings of one name would be two people). So before anything
is written, each quasi-identifier is *normalised* and turned into several keyed features, each
``HMAC-SHA256(key, "<label>:<normalised value>")`` truncated to 64 bits (a signed BIGINT):

- ``fn_h``/``sn_h``: the whole normalised name (exact agreement);
- ``fn_c``: the forename through the variant table ``VARIANTS`` (Alex = Alexander);
- ``fn_tok``/``sn_tok``: each token and the joined name (a dropped middle name, one half of a
  double-barrelled surname);
- ``fn_ph``/``sn_ph``: Double Metaphone (primary, alternate) of each token and of the joined
  name, and NYSIIS of the joined name (Catherine = Kathryn); ``fn_dm1``/``sn_dm1`` for blocking;
- ``dob_h``, ``dob_sw`` (day and month swapped), ``dob_y``/``dob_m``/``dob_d`` (parts);
- ``pc_sector_h``, ``pc_district_h`` (postcode sector ``AB1 2`` and district ``AB1``);
- optionally ``fn_bf*``/``sn_bf*``: a keyed Bloom filter (CLK) of the name's padded bigrams,
  256 bits in four BIGINTs plus its popcount (typo-tolerant Dice similarity).

The full table, and what each lets linkage see: docs/guide/linkage.md.

``sex`` is kept as its code (M, F or NULL), as the sources already store it.

Why this cannot be reversed without the key: every feature is a keyed HMAC; without the key
nobody can compute the feature of a guessed name, date or postcode, so a dictionary attack is
impossible. The key is the whole protection: with it, low-entropy values (names, dates) *can*
be found by trying candidates, exactly as for the identifier pseudonyms, which is why the key is
never stored with the data (``vru.privacy.pseudonymise``). Deterministic features do keep
frequencies (a common surname's hash is common), and Bloom filters of a single field are open
to pattern-mining attacks; both are treated as personal data and kept inside the workspace.
Features made with another key share nothing with these (tested).

Normalisation (``normalise_name``): Unicode compatibility decomposition, accents removed,
letters with no decomposition mapped (ł->l, ø->o, ß->ss, æ->ae, đ->d, þ->th), case folded;
apostrophes removed (O'Brien = OBrien); hyphens, dots, commas and other punctuation become
spaces (Smith-Jones = Smith Jones); digits dropped; spaces collapsed. The joined form (tokens
concatenated) makes "Mac Giolla" = "MacGiolla" and "Al-Sayed" = "Alsayed".
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from importlib import resources

import jellyfish
import numpy as np
import pyarrow as pa
from metaphone import doublemetaphone

from vru.privacy.pseudonymise import MIN_KEY_BYTES, PseudonymKeyError, fingerprint

FEATURE_VERSION = "mk1"

# Forename spellings and nicknames -> a canonical form (all normalised), from the shipped table
# data/name_variants.csv (canonical, kind, the space-separated variants that map to it).
# Documented in docs/guide/linkage.md; extend it for your area (it changes fn_c/fn_tok only).
def _variants() -> dict[str, str]:
    text = resources.files("vru.privacy").joinpath("data/name_variants.csv").read_text()
    return {v: row["canonical"] for row in csv.DictReader(text.splitlines())
            for v in row["variants"].split()}


VARIANTS: dict[str, str] = _variants()

_SPECIAL = str.maketrans({"ł": "l", "Ł": "l", "ø": "o", "Ø": "o", "ß": "ss", "æ": "ae",
                          "Æ": "ae", "œ": "oe", "Œ": "oe", "đ": "d", "Đ": "d", "þ": "th",
                          "Þ": "th", "ð": "d", "ı": "i"})
_APOS = re.compile(r"['\u2019\u2018`´]")
_NONALPHA = re.compile(r"[^a-z]+")
_PC_RE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9])([A-Z]{2})$")


def normalise_name(s: str | None) -> list[str]:
    """Name tokens: accents, case, apostrophes and punctuation removed (see module doc)."""
    if s is None:
        return []
    t = unicodedata.normalize("NFKD", str(s).translate(_SPECIAL))
    t = "".join(ch for ch in t if not unicodedata.combining(ch)).casefold().translate(_SPECIAL)
    t = _APOS.sub("", t)
    return [w for w in _NONALPHA.sub(" ", t).split() if w]


def canonical_forename(tokens: Sequence[str]) -> list[str]:
    """Tokens mapped through the variant table; a joined form is also looked up."""
    joined = "".join(tokens)
    if joined in VARIANTS and len(tokens) > 1:
        return [VARIANTS[joined]]
    return [VARIANTS.get(t, t) for t in tokens]


def parse_dob(s: str | date | None) -> date | None:
    """A date of birth from YYYY-MM-DD or DD/MM/YYYY text; None when absent or not a date."""
    if s is None:
        return None
    if isinstance(s, datetime):
        return s.date()
    if isinstance(s, date):
        return s
    s = str(s).strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(s, fmt).date()
        except ValueError:
            continue
    return None


def postcode_parts(s: str | None) -> tuple[str, str] | None:
    """(sector, district) of a UK postcode, e.g. ('AB1 2', 'AB1'); None when not a postcode."""
    if s is None:
        return None
    pc = re.sub(r"\s+", "", str(s)).upper()
    m = _PC_RE.match(pc)
    if not m:
        return None
    return f"{m[1]} {m[2]}", m[1]


# ------------------------------------------------------------------------- keyed hashing
class MatchKeyMaker:
    """Makes keyed match features with one key (held in memory only; never shown)."""

    def __init__(self, key: bytes, bloom: bool = True) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise PseudonymKeyError("pseudonymisation key too short")
        # The keyed inner/outer states are prepared once and copied per value: HMAC without
        # re-keying per call (stdlib hmac, ~3x faster than hmac.new per value).
        self._mac = hmac.new(key, digestmod=hashlib.sha256)
        self._bloom_key = hmac.new(key, b"vru-clk-v1", hashlib.sha256).digest()
        self.fingerprint = fingerprint(key)
        self.bloom = bloom
        self._cache: dict[tuple[str, str], int] = {}

    def __repr__(self) -> str:
        return f"MatchKeyMaker(fingerprint={self.fingerprint})"

    def h(self, label: str, value: str) -> int:
        """HMAC-SHA256(key, label:value) as a signed 64-bit integer."""
        k = (label, value)
        got = self._cache.get(k)
        if got is None:
            m = self._mac.copy()
            m.update(f"{label}:{value}".encode())
            got = int.from_bytes(m.digest()[:8], "big", signed=True)
            if len(self._cache) < 2_000_000:
                self._cache[k] = got
        return got

    # -------------------------------------------------------------- per field
    def name_features(self, field: str, raw: str | None) -> dict:
        toks = normalise_name(raw)
        if not toks:
            return {f"{field}_h": None, f"{field}_tok": None, f"{field}_ph": None,
                    f"{field}_dm1": None, **({"fn_c": None} if field == "fn" else {}),
                    **self._bloom_none(field)}
        joined = "".join(toks)
        out: dict = {f"{field}_h": self.h(f"{field}", joined)}
        if field == "fn":
            canon = canonical_forename(toks)
            cjoined = "".join(canon)
            out["fn_c"] = self.h("fn_c", cjoined)
            tok_vals = {*canon, cjoined, *toks}
            ph_src = {*canon, cjoined, *toks, joined}
            dm_src = cjoined
        else:
            tok_vals = {*toks, joined}
            ph_src = {*toks, joined}
            dm_src = joined
        out[f"{field}_tok"] = sorted(self.h(f"{field}_tok", t) for t in tok_vals if len(t) > 1)
        codes: set[str] = set()
        for t in ph_src:
            p, a = doublemetaphone(t)
            codes.update(f"dm:{c}" for c in (p, a) if c)
        codes.add("ny:" + jellyfish.nysiis(dm_src if field == "fn" else joined))
        out[f"{field}_ph"] = sorted(self.h(f"{field}_ph", c) for c in codes)
        dm = doublemetaphone(dm_src)[0] or dm_src
        out[f"{field}_dm1"] = self.h(f"{field}_dm1", dm)
        if self.bloom:
            out.update(self._bloom_bits(field, joined))
        return out

    def _bloom_none(self, field: str) -> dict:
        if not self.bloom:
            return {}
        return {**{f"{field}_bf{i}": None for i in range(BLOOM_WORDS)}, f"{field}_bfn": None}

    def _bloom_bits(self, field: str, joined: str) -> dict:
        """A keyed 256-bit Bloom filter of the padded bigrams (Schnell's CLK, k hashes per
        bigram from one keyed HMAC by double hashing), as four signed 64-bit words + popcount.
        Written here rather than taken from clkhash: clkhash pins cryptography<41 and is
        unmaintained (see docs/guide/linkage.md)."""
        padded = f"_{joined}_"
        bits = 0
        for i in range(len(padded) - 1):
            d = hmac.new(self._bloom_key, f"{field}:{padded[i:i + 2]}".encode(),
                         hashlib.sha256).digest()
            h1 = int.from_bytes(d[:8], "big")
            h2 = int.from_bytes(d[8:16], "big") | 1
            for j in range(BLOOM_K):
                bits |= 1 << ((h1 + j * h2) % BLOOM_BITS)
        words = {}
        for w in range(BLOOM_WORDS):
            u = (bits >> (64 * w)) & ((1 << 64) - 1)
            words[f"{field}_bf{w}"] = u - (1 << 64) if u >= 1 << 63 else u
        words[f"{field}_bfn"] = bin(bits).count("1")
        return words

    def dob_features(self, raw: str | date | None) -> dict:
        d = parse_dob(raw)
        if d is None:
            return {"dob_h": None, "dob_sw": None, "dob_y": None, "dob_m": None, "dob_d": None}
        sw = None
        if d.day <= 12 and d.day != d.month:
            sw = self.h("dob", date(d.year, d.day, d.month).isoformat())
        return {"dob_h": self.h("dob", d.isoformat()), "dob_sw": sw,
                "dob_y": self.h("dob_y", str(d.year)), "dob_m": self.h("dob_m", str(d.month)),
                "dob_d": self.h("dob_d", str(d.day))}

    def postcode_features(self, raw: str | None) -> dict:
        parts = postcode_parts(raw)
        if parts is None:
            return {"pc_sector_h": None, "pc_district_h": None}
        return {"pc_sector_h": self.h("pc_sector", parts[0]),
                "pc_district_h": self.h("pc_district", parts[1])}


BLOOM_BITS = 256
BLOOM_WORDS = BLOOM_BITS // 64
BLOOM_K = 10

NAME_COLS = ("h", "tok", "ph", "dm1")
FEATURE_COLUMNS: tuple[str, ...] = (
    "fn_h", "fn_c", "fn_tok", "fn_ph", "fn_dm1", "sn_h", "sn_tok", "sn_ph", "sn_dm1",
    "dob_h", "dob_sw", "dob_y", "dob_m", "dob_d", "pc_sector_h", "pc_district_h", "sex",
)
BLOOM_COLUMNS: tuple[str, ...] = tuple(
    [f"{f}_bf{i}" for f in ("fn", "sn") for i in range(BLOOM_WORDS)] + ["fn_bfn", "sn_bfn"])
LIST_COLUMNS = {"fn_tok", "fn_ph", "sn_tok", "sn_ph"}
# What match_features stores of the keyed features (sex is stored from the typed column).
STORED_FEATURES: tuple[str, ...] = tuple(c for c in FEATURE_COLUMNS if c != "sex") + BLOOM_COLUMNS


def _map_distinct(values: Iterable, fn) -> list[dict]:
    """fn applied once per distinct value (names, dates and postcodes repeat a lot)."""
    cache: dict = {}
    out = []
    for v in values:
        key = None if v is None or (isinstance(v, float) and np.isnan(v)) or v == "" else v
        got = cache.get(key)
        if got is None:
            got = fn(key)
            cache[key] = got
        out.append(got)
    return out


def sex_code(v: str | None) -> str | None:
    if v is None:
        return None
    s = str(v).strip().upper()[:1]
    return s if s in ("M", "F") else None


def make_features(maker: MatchKeyMaker, forename: Sequence, surname: Sequence,
                  dob: Sequence, sex: Sequence, postcode: Sequence) -> pa.Table:
    """Match features for parallel columns of raw values, as an Arrow table (no raw values)."""
    fn = _map_distinct(forename, lambda v: maker.name_features("fn", v))
    sn = _map_distinct(surname, lambda v: maker.name_features("sn", v))
    db = _map_distinct(dob, maker.dob_features)
    pc = _map_distinct(postcode, maker.postcode_features)
    cols: dict[str, pa.Array] = {}
    for src, names in ((fn, ("fn_h", "fn_c", "fn_tok", "fn_ph", "fn_dm1")),
                       (sn, ("sn_h", "sn_tok", "sn_ph", "sn_dm1")),
                       (db, ("dob_h", "dob_sw", "dob_y", "dob_m", "dob_d")),
                       (pc, ("pc_sector_h", "pc_district_h"))):
        for name in names:
            typ = pa.list_(pa.int64()) if name in LIST_COLUMNS else pa.int64()
            cols[name] = pa.array([r[name] for r in src], type=typ)
    cols["sex"] = pa.array([sex_code(v) for v in sex], type=pa.string())
    if maker.bloom:
        for src, f in ((fn, "fn"), (sn, "sn")):
            for i in range(BLOOM_WORDS):
                cols[f"{f}_bf{i}"] = pa.array([r[f"{f}_bf{i}"] for r in src], type=pa.int64())
            cols[f"{f}_bfn"] = pa.array([r[f"{f}_bfn"] for r in src], type=pa.int32())
    return pa.table(cols)


ID_FEATURES = (("pnc_pid", "pnc_id"), ("nhs_pid", "nhs_number"), ("upn_pid", "upn"))


def identifier_pseudonyms(pseudo, kind: str, values: Sequence) -> pa.Array:
    """The workspace's identifier pseudonyms (``vru.privacy.pseudonymise``) for raw values;
    a malformed or missing value gives NULL (the record still links on its other features)."""
    distinct = sorted({v for v in values if v is not None and v == v and str(v).strip()})
    pids, _problems = pseudo.map_values(kind, [(v,) for v in distinct])
    m = dict(zip(distinct, pids, strict=True))
    return pa.array([m.get(v) for v in values], type=pa.string())


def record_features(maker: MatchKeyMaker, pseudo, records) -> pa.Table:
    """Features of a table of raw records (columns forename, surname, date_of_birth, sex,
    postcode, and any of pnc_id, nhs_number, upn), in the same order, without any raw value."""
    t = make_features(maker, records["forename"].tolist(), records["surname"].tolist(),
                      records["date_of_birth"].tolist(), records["sex"].tolist(),
                      records["postcode"].tolist())
    for col, kind in ID_FEATURES:
        if kind in records.columns:
            arr = identifier_pseudonyms(pseudo, kind, records[kind].tolist())
        else:
            arr = pa.nulls(len(records), pa.string())
        t = t.append_column(col, arr)
    return t


def person_features(maker: MatchKeyMaker, pseudo, person: dict) -> dict:
    """The stored features of one person typed in a form (``person``: raw forename, surname,
    date_of_birth, sex, postcode and any of pnc_id, nhs_number, upn), with the identifier
    pseudonyms: what a match_features row holds, without any raw value."""
    import pandas as pd

    cols = ("forename", "surname", "date_of_birth", "sex", "postcode")
    one = pd.DataFrame([{**{c: person.get(c) for c in cols},
                         **{k: person[k] for _, k in ID_FEATURES if person.get(k)}}])
    row = record_features(maker, pseudo, one).to_pylist()[0]
    return {k: row[k] for k in (*STORED_FEATURES, "pnc_pid", "nhs_pid", "upn_pid")}
