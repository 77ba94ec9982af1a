"""Linkage on Apache Spark through Splink's SparkAPI (optional extra ``vru[spark]``).

The same model (specification + trained parameters) renders Spark SQL; features go to Spark as
Parquet files and results come back as Arrow. Local mode by default (``local[N]``), bound to
127.0.0.1 with the web UI off; point ``VRU_SPARK_MASTER`` at a cluster to scale out.

Set up as Splink needs it: the similarity-function jar shipped in Splink's wheel is put on
``spark.jars`` *before* the session starts, and a checkpoint directory is set (Splink breaks
lineage by writing Parquet there).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

_SESSION: Any = None


class SparkUnavailable(Exception):
    """pyspark (vru[spark]) or Java is not installed."""


def spark_session(checkpoint_dir: Path | str, cores: int | None = None,
                  driver_memory: str = "4g") -> Any:
    """One SparkSession per process (starting one takes tens of seconds)."""
    global _SESSION
    if _SESSION is not None:
        return _SESSION
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    try:
        from pyspark.sql import SparkSession
        from splink.backends.spark import similarity_jar_location
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise SparkUnavailable("the Spark engine needs the optional extra: "
                               "pip install 'vru[spark]' (and Java 17+)") from exc
    master = os.environ.get("VRU_SPARK_MASTER") or f"local[{cores or os.cpu_count() or 2}]"
    Path(checkpoint_dir).mkdir(parents=True, exist_ok=True)
    spark = (SparkSession.builder.master(master).appName("vru-linkage")
             .config("spark.jars", similarity_jar_location())
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.driver.host", "127.0.0.1")
             .config("spark.driver.bindAddress", "127.0.0.1")
             .config("spark.driver.memory", driver_memory)
             .config("spark.sql.shuffle.partitions", "8")
             .config("spark.default.parallelism", "8")
             .config("spark.local.dir", str(Path(checkpoint_dir) / "local"))
             .config("spark.sql.warehouse.dir", str(Path(checkpoint_dir) / "warehouse"))
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    spark.sparkContext.setCheckpointDir(str(Path(checkpoint_dir) / "checkpoints"))
    _SESSION = spark
    return spark


def stop() -> None:
    global _SESSION
    if _SESSION is not None:
        _SESSION.stop()
        _SESSION = None


def spark_api(checkpoint_dir: Path | str, cores: int | None = None) -> Any:
    from splink import SparkAPI

    spark = spark_session(checkpoint_dir, cores)
    api = SparkAPI(spark_session=spark, break_lineage_method="parquet",
                   num_partitions_on_repartition=8)
    api._vru_exchange = Path(checkpoint_dir) / "exchange"  # where features are handed over
    return api


def to_spark(api: Any, table: pa.Table) -> Any:
    """An Arrow table as a Spark DataFrame, through a Parquet file in the exchange folder."""
    folder = Path(getattr(api, "_vru_exchange", "spark-exchange"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"features-{uuid.uuid4().hex}.parquet"
    pq.write_table(table, path)
    return api.spark.read.parquet(str(path))
