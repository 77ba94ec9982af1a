"""SQL that differs between engines, written once per engine (in the spirit of Splink's dialects).

Each method returns a SQL fragment for its engine. Arguments named ``expr`` are SQL expressions
(column names, casts...); ``pattern`` is a regular expression in the RE2/Java subset both engines
accept; ``fmt`` is a strftime-style format (``%d/%m/%Y``), translated for Spark's Java patterns.

Semantics are the same on every engine (the tests in ``tests/engine`` run the same cases on each
engine available): ``regex_full_match`` is anchored at both ends; ``regex_replace`` replaces every
match; ``try_*`` parsers give NULL for text that does not parse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# strftime -> Java DateTimeFormatter (the subset vru uses in its contracts).
_JAVA = {"%Y": "yyyy", "%m": "MM", "%d": "dd", "%H": "HH", "%M": "mm", "%S": "ss", "%y": "yy",
         "%b": "MMM", "%%": "%"}


def _quote(text: str) -> str:
    """A SQL string literal (single quotes doubled)."""
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class Dialect:
    """The DuckDB dialect (the workspace's engine); ``SparkDialect`` overrides what differs."""

    name: str = "duckdb"

    # ---- regular expressions
    def regex_full_match(self, expr: str, pattern: str) -> str:
        return f"regexp_full_match({expr}, {_quote(pattern)})"

    def regex_extract(self, expr: str, pattern: str, group: int = 0) -> str:
        """The first match (or the group); '' when nothing matches (both engines)."""
        return f"regexp_extract({expr}, {_quote(pattern)}, {int(group)})"

    def regex_extract_all(self, expr: str, pattern: str) -> str:
        """Every match of ``pattern`` (no groups) as a list of text."""
        return f"regexp_extract_all({expr}, {_quote(pattern)})"

    def regex_replace(self, expr: str, pattern: str, replacement: str) -> str:
        """Every match replaced."""
        return f"regexp_replace({expr}, {_quote(pattern)}, {_quote(replacement)}, 'g')"

    # ---- dates
    def try_parse_date(self, expr: str, fmt: str) -> str:
        return f"CAST(try_strptime({expr}, {_quote(fmt)}) AS DATE)"

    def try_parse_timestamp(self, expr: str, fmt: str) -> str:
        return f"try_strptime({expr}, {_quote(fmt)})"

    def month_start(self, expr: str) -> str:
        """The first day of the month of a date or timestamp, as a DATE."""
        return f"CAST(date_trunc('month', {expr}) AS DATE)"

    def month_key(self, expr: str) -> str:
        """'YYYY-MM' of a date or timestamp."""
        return f"strftime({expr}, '%Y-%m')"

    # ---- lists
    def list_contains(self, list_expr: str, value_expr: str) -> str:
        return f"list_contains({list_expr}, {value_expr})"

    def list_transform_double(self, list_expr: str) -> str:
        """A list of text as a list of DOUBLE (NULL where an item is not a number)."""
        return f"list_transform({list_expr}, x -> TRY_CAST(x AS DOUBLE))"

    def in_text_list(self, expr: str, param: str = "?") -> str:
        """``expr`` is one of the text values of a list bound as a parameter."""
        return f"{expr} IN (SELECT unnest({param}::VARCHAR[]))"

    # ---- files
    def csv_scan(self, path: str) -> str:
        """A table expression reading a CSV with a header row, every column as text."""
        return f"read_csv({_quote(path)}, header = true, all_varchar = true)"

    def csv_view(self, name: str, path: str) -> str:
        """A statement making ``name`` a temporary view over a CSV (header row, text columns)."""
        return f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM {self.csv_scan(path)}"

    def write_parquet(self, query: str, path: str) -> str:
        """A statement writing the rows of ``query`` to a Parquet file (zstd compressed)."""
        return f"COPY ({query}) TO {_quote(path)} (FORMAT parquet, COMPRESSION zstd)"


@dataclass(frozen=True)
class SparkDialect(Dialect):
    """Spark SQL (3.4+/4.x): Java regular expressions and date patterns, arrays not lists."""

    name: str = "spark"

    def regex_full_match(self, expr: str, pattern: str) -> str:
        return f"({expr} RLIKE {_quote('^(?:' + pattern + ')$')})"

    def regex_extract_all(self, expr: str, pattern: str) -> str:
        return f"regexp_extract_all({expr}, {_quote(pattern)}, 0)"

    def regex_replace(self, expr: str, pattern: str, replacement: str) -> str:
        return f"regexp_replace({expr}, {_quote(pattern)}, {_quote(replacement)})"

    def try_parse_date(self, expr: str, fmt: str) -> str:
        return f"CAST(try_to_timestamp({expr}, {_quote(java_format(fmt))}) AS DATE)"

    def try_parse_timestamp(self, expr: str, fmt: str) -> str:
        return f"try_to_timestamp({expr}, {_quote(java_format(fmt))})"

    def month_start(self, expr: str) -> str:
        return f"trunc({expr}, 'MM')"

    def month_key(self, expr: str) -> str:
        return f"date_format({expr}, 'yyyy-MM')"

    def list_contains(self, list_expr: str, value_expr: str) -> str:
        return f"array_contains({list_expr}, {value_expr})"

    def list_transform_double(self, list_expr: str) -> str:
        return f"transform({list_expr}, x -> TRY_CAST(x AS DOUBLE))"

    def in_text_list(self, expr: str, param: str = "?") -> str:
        return f"array_contains({param}, {expr})"

    def csv_scan(self, path: str) -> str:
        raise ValueError("Spark reads CSV through a view: use csv_view(name, path)")

    def csv_view(self, name: str, path: str) -> str:
        return (f"CREATE OR REPLACE TEMPORARY VIEW {name} USING csv "
                f"OPTIONS (path {_quote(path)}, header 'true', inferSchema 'false')")

    def write_parquet(self, query: str, path: str) -> str:
        return (f"INSERT OVERWRITE DIRECTORY {_quote(path)} USING parquet "
                f"OPTIONS (compression 'zstd') {query}")


def java_format(fmt: str) -> str:
    """A strftime format as a Java DateTimeFormatter pattern (literal text quoted)."""
    out, i = [], 0
    for tok in re.findall(r"%.|[^%]+", fmt):
        if tok.startswith("%"):
            if tok not in _JAVA:
                raise ValueError(f"format code {tok} has no Spark equivalent in vru's dialect")
            out.append(_JAVA[tok])
        else:
            out.append("".join(f"'{c}'" if c.isalpha() else c for c in tok))
        i += len(tok)
    return "".join(out)


DUCKDB = Dialect()
SPARK = SparkDialect()
_DIALECTS = {d.name: d for d in (DUCKDB, SPARK)}


def dialect_for(name: str) -> Dialect:
    try:
        return _DIALECTS[name.lower()]
    except KeyError:
        raise ValueError(f"unknown SQL engine {name!r}; one of: {', '.join(_DIALECTS)}") from None
