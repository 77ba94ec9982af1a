"""The dialect layer: the same cases on every engine, against references computed here with
Python's ``re`` and ``datetime`` (never against the engine's own output); every dialect's SQL
also parses in sqlglot's grammar for that engine."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
import sqlglot

from vru.engine import DUCKDB, SPARK, dialect_for
from vru.engine.dialect import java_format

TEXTS = ["X99", "W50.1", "V0", "A12", "", "x12", "123456", "12345", "1234567"]


def _lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


@pytest.mark.parametrize("pattern", ["[V-Y].*", "[0-9]{6}", "[A-Z0-9]{3,9}"])
def test_regex_full_match_is_anchored(engine, pattern):
    d = engine.dialect
    for t in TEXTS:
        got = engine.run(f"SELECT {d.regex_full_match(_lit(t), pattern)}")[0][0]
        assert got is (re.fullmatch(pattern, t) is not None), (pattern, t)


def test_regex_extract_replace_and_all(engine):
    d = engine.dialect
    assert engine.run(f"SELECT {d.regex_extract(_lit('8N12'), '^[0-9]+')}")[0][0] == "8"
    assert engine.run(f"SELECT {d.regex_extract(_lit('N12'), '^[0-9]+')}")[0][0] == ""
    name = "Bedford 001A"
    want = re.match(r"^(.*) [0-9]{3}[A-Z]$", name).group(1)
    got = engine.run(f"SELECT {d.regex_extract(_lit(name), '^(.*) [0-9]{3}[A-Z]$', 1)}")[0][0]
    assert got == want
    text = "bad month: 2023-13: see row 4"
    assert engine.run(f"SELECT {d.regex_replace(_lit(text), ': .*', '')}")[0][0] == \
        re.sub(r": .*", "", text)
    assert engine.run(f"SELECT {d.regex_replace(_lit('a1b22c'), '[0-9]', '#')}")[0][0] == "a#b##c"
    wkt = "POLYGON((-0.5 51.2, -0.4 51.25, -0.5 51.2))"
    found = d.regex_extract_all(_lit(wkt), "[-+]?[0-9]+(?:[.][0-9]+)?")
    nums = engine.run(f"SELECT {d.list_transform_double(found)}")[0][0]
    assert list(nums) == [float(x) for x in re.findall(r"[-+]?[0-9]+(?:\.[0-9]+)?", wkt)]


@pytest.mark.parametrize(("text", "fmt"), [
    ("05/03/2024", "%d/%m/%Y"), ("31/02/2024", "%d/%m/%Y"), ("2024-03-05", "%Y-%m-%d"),
    ("not a date", "%d/%m/%Y"), ("05/03/2024 23:15", "%d/%m/%Y %H:%M"),
])
def test_try_parse_date_and_timestamp(engine, text, fmt):
    d = engine.dialect
    try:
        want = datetime.strptime(text, fmt)
    except ValueError:
        want = None
    got_d = engine.run(f"SELECT {d.try_parse_date(_lit(text), fmt)}")[0][0]
    got_t = engine.run(f"SELECT {d.try_parse_timestamp(_lit(text), fmt)}")[0][0]
    assert got_d == (want.date() if want else None)
    assert got_t == want


def test_month_start_and_key(engine):
    d = engine.dialect
    row = engine.run(f"SELECT {d.month_start('TIMESTAMP ' + _lit('2024-02-29 23:59:00'))}, "
                     f"{d.month_key('DATE ' + _lit('2023-11-30'))}")[0]
    assert row == (date(2024, 2, 1), "2023-11")


def test_lists(engine):
    d = engine.dialect
    assert engine.run(f"SELECT {d.list_contains('[1, 2, 3]', '2')}, "
                      f"{d.list_contains('[1, 2, 3]', '5')}")[0] == (True, False)
    got = engine.run(f"SELECT count(*) FROM (SELECT 'a' AS x UNION ALL SELECT 'b' UNION ALL "
                     f"SELECT 'c') WHERE {d.in_text_list('x')}", [["a", "c", "zz"]])
    assert got[0][0] == 2


def test_csv_scan_reads_text_and_parquet_round_trip(engine, tmp_path):
    d = engine.dialect
    src = tmp_path / "in.csv"
    src.write_text("code,n\n007,1\nE01,22\n")
    engine.run(d.csv_view("v_in", str(src)))
    assert sorted(engine.run("SELECT code, n FROM v_in")) == [("007", "1"), ("E01", "22")]
    out = tmp_path / "out.parquet"
    engine.run(d.write_parquet("SELECT code, CAST(n AS INTEGER) AS n FROM v_in", str(out)))
    import pyarrow.parquet as pq

    paths = [out] if out.is_file() else sorted(out.glob("*.parquet"))
    rows = sorted(r for p in paths for r in zip(*pq.read_table(p).to_pydict().values(), strict=True))
    assert rows == [("007", 1), ("E01", 22)]


SAMPLES = [
    lambda d: d.regex_full_match("v", "[V-Y].*"),
    lambda d: d.regex_extract("v", "^[0-9]+"),
    lambda d: d.regex_extract_all("v", "[0-9]+"),
    lambda d: d.regex_replace("v", ": .*", ""),
    lambda d: d.try_parse_date("v", "%d/%m/%Y"),
    lambda d: d.try_parse_timestamp("v", "%d/%m/%Y %H:%M"),
    lambda d: d.month_start("v"),
    lambda d: d.month_key("v"),
    lambda d: d.list_contains("l", "v"),
    lambda d: d.list_transform_double("l"),
]


@pytest.mark.parametrize("dialect", [DUCKDB, SPARK], ids=lambda d: d.name)
@pytest.mark.parametrize("make", SAMPLES)
def test_every_fragment_parses_in_its_engines_grammar(dialect, make):
    sql = f"SELECT {make(dialect)} FROM t"
    sqlglot.parse_one(sql, read=dialect.name)  # raises ParseError on bad syntax


@pytest.mark.parametrize("dialect", [DUCKDB, SPARK], ids=lambda d: d.name)
def test_statements_parse_in_their_engines_grammar(dialect):
    # (sqlglot has no grammar for Spark's INSERT OVERWRITE DIRECTORY ... USING; the Spark engine
    # run of test_csv_scan_reads_text_and_parquet_round_trip checks that statement.)
    if dialect is DUCKDB:
        sqlglot.parse_one(dialect.write_parquet("SELECT 1 AS x", "/tmp/x.parquet"), read="duckdb")
    sqlglot.parse_one(dialect.in_text_list("x", "l").join(["SELECT 1 FROM t WHERE ", ""]),
                      read=dialect.name)


def test_spark_formats_and_names():
    assert java_format("%d/%m/%Y %H:%M") == "dd/MM/yyyy HH:mm"
    assert java_format("%Y-%m-%dT%H:%M:%S") == "yyyy-MM-dd'T'HH:mm:ss"
    with pytest.raises(ValueError, match="no Spark equivalent"):
        java_format("%j")
    assert dialect_for("Spark") is SPARK and dialect_for("duckdb") is DUCKDB
    with pytest.raises(ValueError, match="unknown SQL engine"):
        dialect_for("sqlite")
