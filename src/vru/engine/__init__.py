"""The engine boundary: where vru names the SQL engine it runs on.

vru runs its relational work as SQL. Most of that SQL is standard; the parts that differ between
DuckDB (one machine, the workspace file) and Apache Spark (national-scale work) go through a
``Dialect`` (``vru.engine.dialect``): date parsing, regular expressions, list functions, month
arithmetic in SQL, CSV scans and Parquet writes. Code that writes such SQL asks the dialect for
the expression instead of spelling DuckDB's function names.
"""

from vru.engine.dialect import DUCKDB, SPARK, Dialect, dialect_for

__all__ = ["DUCKDB", "SPARK", "Dialect", "dialect_for"]
