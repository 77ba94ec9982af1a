"""Match features: normalisation, keyed hashing, and what links and what does not."""

from __future__ import annotations

import pytest

from vru.privacy.matchkeys import (
    VARIANTS,
    MatchKeyMaker,
    canonical_forename,
    make_features,
    normalise_name,
    parse_dob,
    postcode_parts,
)
from vru.privacy.pseudonymise import PseudonymKeyError

KEY = b"test-key-0123456789abcdef"
OTHER = b"another-key-0123456789ab"


@pytest.mark.parametrize("raw, tokens", [
    ("O'Brien", ["obrien"]), ("OBRIEN", ["obrien"]), ("o’brien", ["obrien"]),
    ("Smith-Jones", ["smith", "jones"]), ("Smith  Jones", ["smith", "jones"]),
    ("Łukasz", ["lukasz"]), ("WIŚNIEWSKI", ["wisniewski"]), ("Siobhán", ["siobhan"]),
    ("Nguyễn", ["nguyen"]), ("Søren", ["soren"]), ("Strauß", ["strauss"]),
    ("  mac giolla ", ["mac", "giolla"]), ("Al-Sayed", ["al", "sayed"]), ("J.", ["j"]),
    ("", []), (None, []), ("123", []),
])
def test_normalise_name(raw, tokens):
    assert normalise_name(raw) == tokens


def test_variant_table_maps_to_canonical_names():
    assert canonical_forename(["mohammed"]) == ["muhammad"]
    assert canonical_forename(["alex"]) == ["alexander"]
    assert canonical_forename(["kathryn"]) == ["katherine"]
    # Every canonical value is itself normalised text, and never maps on (no chains).
    for v in VARIANTS.values():
        assert normalise_name(v) == [v]
        assert VARIANTS.get(v, v) == v


def test_dates_and_postcodes():
    assert parse_dob("2010-03-07") == parse_dob("07/03/2010")
    assert parse_dob("2010-02-30") is None and parse_dob("soon") is None
    assert postcode_parts("kx12 3ab") == ("KX12 3", "KX12")
    assert postcode_parts("KX123AB") == ("KX12 3", "KX12")
    assert postcode_parts("SW1A 1AA") == ("SW1A 1", "SW1A")
    assert postcode_parts("not a postcode") is None


def _row(maker, fn, sn, dob, sex="M", pc="KX1 2AB"):
    t = make_features(maker, [fn], [sn], [dob], [sex], [pc])
    return {k: v[0] for k, v in t.to_pydict().items()}


def test_features_link_variants_and_not_strangers():
    mk = MatchKeyMaker(KEY)
    a = _row(mk, "Mohammed", "Hussain", "2008-04-05")
    b = _row(mk, "MUHAMMAD", "Hussein", "05/04/2008", pc="kx12ab")
    c = _row(mk, "Oliver", "Smith", "2008-05-04")
    assert a["fn_h"] != b["fn_h"] and a["fn_c"] == b["fn_c"]            # variant -> canonical
    assert set(a["sn_ph"]) & set(b["sn_ph"])                             # phonetic agreement
    assert a["dob_h"] == b["dob_h"] and a["pc_sector_h"] == b["pc_sector_h"]
    assert a["dob_sw"] == c["dob_h"]                                     # swapped day/month
    assert not set(a["fn_ph"]) & set(c["fn_ph"])
    d = _row(mk, "Kathryn", "Smith-Jones", "2008-04-05")
    e = _row(mk, "Catherine", "Jones", "2008-04-05")
    assert d["fn_c"] == e["fn_c"] and set(d["sn_tok"]) & set(e["sn_tok"])  # one half kept


def test_bloom_filters_survive_typos():
    mk = MatchKeyMaker(KEY, bloom=True)

    def dice(x, y):
        common = sum(bin((x[f"sn_bf{i}"] & y[f"sn_bf{i}"]) & (2**64 - 1)).count("1")
                     for i in range(4))
        return 2 * common / (x["sn_bfn"] + y["sn_bfn"])

    a = _row(mk, "Ann", "Pickering", "2000-01-01")
    b = _row(mk, "Ann", "Pickerign", "2000-01-01")
    c = _row(mk, "Ann", "Okafor", "2000-01-01")
    assert dice(a, b) > 0.6 > dice(a, c)
    assert dice(a, a) == 1.0


def test_features_made_with_another_key_share_nothing():
    names = [("Oliver", "Smith", "2009-01-02", "KX1 2AB"), ("Aisha", "Khan", "2010-11-12", "KX3 4CD")]
    feats = []
    for key in (KEY, OTHER):
        mk = MatchKeyMaker(key, bloom=True)
        feats.append(make_features(mk, *zip(*[(f, s, d, "F", p) for f, s, d, p in names],
                                            strict=True)).to_pydict())
    mine, theirs = feats
    for col, values in mine.items():
        if col == "sex":
            continue
        flat_a = {x for v in values if v is not None for x in (v if isinstance(v, list) else [v])}
        flat_b = {x for v in theirs[col] if v is not None
                  for x in (v if isinstance(v, list) else [v])}
        if col.endswith("bfn"):
            continue  # a popcount is not a key-dependent value
        assert not flat_a & flat_b, col
    # Positive control: the same key makes the same features.
    again = make_features(MatchKeyMaker(KEY, bloom=True),
                          *zip(*[(f, s, d, "F", p) for f, s, d, p in names], strict=True))
    assert again.to_pydict() == mine


def test_short_key_refused_and_never_shown():
    with pytest.raises(PseudonymKeyError):
        MatchKeyMaker(b"short")
    assert "test-key" not in repr(MatchKeyMaker(KEY))
