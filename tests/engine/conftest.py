"""The engines SQL-generation tests run on: one fixture parameter per engine available.

DuckDB always; Spark is added here (a local-mode SparkSession whose ``run(sql)`` returns rows)
when the Spark path lands. Every test in this folder that takes ``engine`` runs once per engine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import pytest

from vru.engine import DUCKDB, Dialect


@dataclass
class Engine:
    dialect: Dialect
    run: Callable[[str], list[tuple]]


def _duckdb() -> Engine:
    con = duckdb.connect()
    return Engine(DUCKDB, lambda sql, params=None: con.execute(sql, params).fetchall())


ENGINES: dict[str, Callable[[], Engine]] = {"duckdb": _duckdb}


@pytest.fixture(params=sorted(ENGINES), scope="module")
def engine(request) -> Engine:
    return ENGINES[request.param]()
