"""Training, prediction and clustering with Splink, on any Splink database API.

Everything heavy is Splink's generated SQL run by the engine (DuckDB by default, Spark through
``vru.linkage.spark``). Inputs are feature tables (``record_key``, ``source``, the keyed match
features and identifier pseudonyms): never a raw identifier.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from splink import Linker

from vru.errors import VruError
from vru.linkage import spec
from vru.linkage.spec import ModelParams

# Splink logs every step at INFO; the CLI shows its own progress.
logging.getLogger("splink").setLevel(logging.WARNING)

ID_COLUMNS = ("pnc_pid", "nhs_pid", "upn_pid")


class ModelCheckFailed(VruError):
    """Training produced implausible parameters (e.g. m(exact) <= m(else))."""


@dataclass
class Timings:
    seconds: dict[str, float] = field(default_factory=dict)

    def add(self, step: str, t0: float) -> float:
        now = time.perf_counter()
        self.seconds[step] = self.seconds.get(step, 0.0) + now - t0
        return now


def linker_for(db_api: Any, table: Any, params: ModelParams | None = None,
               bloom: bool = False, dialect: str | None = None, retain: bool = False) -> Linker:
    """A Splink linker over a feature table, with the model rendered for the engine."""
    dialect = dialect or db_api.sql_dialect.sql_dialect_str
    settings = spec.settings_dict(dialect, params, bloom, retain)
    sdf = table if hasattr(table, "physical_name") else db_api.register(table)
    return Linker(sdf, settings, log_level=logging.WARNING, validate_settings=False)


def train(db_api: Any, table: Any, bloom: bool = True, u_pairs: float = 2e6,
          em_pairs: float | None = None, seed: int = 1, timings: Timings | None = None
          ) -> ModelParams:
    """Unsupervised training: lambda from deterministic rules, u by random sampling, m by EM.

    Raises ModelCheckFailed when the trained parameters are implausible."""
    t0 = time.perf_counter()
    linker = linker_for(db_api, table, None, bloom)
    linker.training.estimate_probability_two_random_records_match(
        spec.LAMBDA_RULES, recall=spec.LAMBDA_RECALL)
    linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=seed)
    for rule in spec.EM_RULES:
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True, max_pairs=em_pairs)
    params = spec.params_from_settings(linker.misc.save_model_to_json(), bloom)
    # A level never met in the random sample has no u; Splink would fall back to a generic
    # default. Give it the upper bound the sample supports instead: less than once in u_pairs.
    for levels in params.comparisons.values():
        for lv in levels:
            if lv.u is None and lv.m is not None:
                lv.u = 1.0 / u_pairs
    if timings is not None:
        timings.add("training", t0)
    problems = params.check()
    if problems:
        raise ModelCheckFailed("training gave implausible parameters: " + "; ".join(problems))
    return params


def predict(linker: Linker, threshold: float = 0.01, timings: Timings | None = None):
    """Scored candidate pairs (a SplinkDataFrame) with match_probability >= threshold."""
    t0 = time.perf_counter()
    df = linker.inference.predict(threshold_match_probability=threshold)
    if timings is not None:
        timings.add("prediction", t0)
    return df


def cluster(linker: Linker, pairs: Any, threshold: float, timings: Timings | None = None
            ) -> pa.Table:
    """Connected components over pairs at or above ``threshold``: (record_key, cluster_key)."""
    t0 = time.perf_counter()
    c = linker.clustering.cluster_pairwise_predictions_at_threshold(
        pairs, threshold_match_probability=threshold)
    out = c.as_pandas_dataframe()[[spec.UNIQUE_ID, "cluster_id"]]
    if timings is not None:
        timings.add("clustering", t0)
    return pa.Table.from_pandas(out.rename(columns={"cluster_id": "cluster_key"}),
                                preserve_index=False)


def pairs_table(pairs: Any) -> pa.Table:
    """Pairs as Arrow: record_key_l, record_key_r, match_weight, match_probability."""
    cols = [f"{spec.UNIQUE_ID}_l", f"{spec.UNIQUE_ID}_r", "match_weight", "match_probability"]
    return pa.Table.from_pandas(pairs.as_pandas_dataframe()[cols], preserve_index=False)
