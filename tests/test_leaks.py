"""vru.testing.leaks: the planted-identifier search finds exactly what a plain byte search finds."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from vru.testing import leaks

PLANTED = leaks.needles(["9434765919", "Quaxley", "23/02/1987"])
# Pieces that make zero-heavy files like a DuckDB page: runs of NULs, needles and their parts.
PIECES = st.one_of(st.integers(0, 40).map(lambda n: b"\x00" * n),
                   st.sampled_from(PLANTED), st.sampled_from(PLANTED).map(lambda n: n[1:]),
                   st.sampled_from(PLANTED).map(lambda n: n[:-1]), st.sampled_from([b"a", b"b", b"z"]),
                   st.binary(max_size=6))


# Short NUL runs between few letters: where a squeeze cut too far would make a needle appear.
SPARSE = st.lists(st.sampled_from([b"\x00", b"\x00" * 3, b"\x00" * 5, b"a", b"b", b"z"]),
                  max_size=12).map(b"".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.lists(PIECES, max_size=30).map(b"".join), SPARSE),
       st.lists(st.binary(min_size=1, max_size=8), max_size=4))
@example(b"a" + b"\x00" * 5 + b"b", [])
@example(b"\x00" * 9 + b"z", [])
def test_squeezing_nul_runs_keeps_every_answer(data, extra):
    planted = PLANTED + extra + [b"a\x00\x00\x00b", b"\x00\x00z"]
    squeezed = leaks.squeeze_zeros(data, planted)
    assert [n in squeezed for n in planted] == [n in data for n in planted]


def test_find_names_the_file_and_the_value(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "db").write_bytes(b"\x00" * 5000 + "Quaxley".encode("utf-16-be")
                                          + b"\x00" * 5000)
    (tmp_path / "clean").write_bytes(b"\x00" * 9000 + b"quax ley")
    # between NULs, the UTF-16-BE bytes of a value are also its UTF-16-LE bytes, shifted by one
    assert leaks.find(tmp_path, PLANTED) == [("sub/db", "Quaxley".encode(enc).decode())
                                             for enc in ("utf-16-le", "utf-16-be")]
