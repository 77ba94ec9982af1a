"""Linkage in a workspace: train a versioned model, run it (full or incremental) into
``person_links``, report status, export links.

Features come from ``match_features`` (made at import; no raw value exists anywhere). Splink
works in a scratch in-memory DuckDB (``Workspace.scratch``) or on Spark; results are written
back through the workspace's single writer.

Person ids: a person is ``V<smallest record_key among its records>``. Record keys grow with
file ids, so a person keeps its id as new records join it; when persons merge, the oldest id
wins; when one splits, the part without the oldest record gets a new id. Full and incremental
runs therefore name the same clusters the same way, and changes between runs are countable.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from vru.errors import VruError
from vru.linkage import model, spec
from vru.linkage.spec import ModelParams
from vru.privacy.matchkeys import BLOOM_COLUMNS, FEATURE_COLUMNS, FEATURE_VERSION
from vru.workspace import Workspace

DEFAULT_THRESHOLD = 0.99
PAIRS_KEPT_FROM = 0.01     # scored pairs kept in linkage_pairs (histogram, explanations)
ENGINES = ("duckdb", "spark")
SPLINK_COLUMNS = ["record_key", "source", *FEATURE_COLUMNS, *BLOOM_COLUMNS,
                  "pnc_pid", "nhs_pid", "upn_pid"]
# A record's source as status, export and explain name it: the source, and the person's role on
# the row when it is not the row's first person (police_rms:victim).
FORM_FILE = "web form"  # the file name of referrals typed in the programme's web form (file_id 0)


def label_sql(alias: str = "") -> str:
    a = f"{alias}." if alias else ""
    return f"{a}source || coalesce(':' || {a}role, '')"


class LinkageError(VruError):
    """A linkage step the user can act on (no model, no features, unknown engine...)."""


@dataclass
class RunSummary:
    run_id: int
    kind: str
    engine: str
    model_version: int
    threshold: float
    records: int
    new_records: int
    persons: int
    pairs: int
    changes: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


# ------------------------------------------------------------------------------- engines
class _Engine:
    """A Splink database API plus what must be closed after."""

    def __init__(self, ws: Workspace, engine: str) -> None:
        if engine not in ENGINES:
            raise LinkageError(f"unknown engine {engine!r}; one of: {', '.join(ENGINES)}")
        self.name = engine
        self._con = None
        if engine == "duckdb":
            from splink import DuckDBAPI

            self._con = ws.scratch()
            self.api = DuckDBAPI(connection=self._con)
        else:
            from vru.linkage.spark import spark_api

            self.api = spark_api(checkpoint_dir=ws.path / "tmp" / "spark")

    def register(self, table: pa.Table):
        if self.name == "spark":
            from vru.linkage.spark import to_spark

            return self.api.register(to_spark(self.api, table))
        return self.api.register(table)

    def close(self) -> None:
        if self._con is not None:
            self._con.close()


def features(ws: Workspace, where: str = "TRUE", params: list | None = None) -> pa.Table:
    """Linkage input: record_key, source and the keyed features (no raw values exist)."""
    cols = ", ".join(f"{label_sql()} AS source" if c == "source" else c for c in SPLINK_COLUMNS)
    return ws.reader().execute(
        f"SELECT {cols} FROM match_features WHERE {where} ORDER BY record_key", params or []
    ).to_arrow_table()


# ------------------------------------------------------------------------------- models
def latest_model(ws: Workspace) -> tuple[int, ModelParams] | None:
    row = ws.reader().execute(
        "SELECT model_version, params FROM linkage_models ORDER BY model_version DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    return int(row[0]), ModelParams.from_json(row[1])


def get_model(ws: Workspace, version: int) -> ModelParams:
    row = ws.reader().execute("SELECT params FROM linkage_models WHERE model_version = ?",
                              [version]).fetchone()
    if row is None:
        raise LinkageError(f"no linkage model version {version}")
    return ModelParams.from_json(row[0])


def train_model(ws: Workspace, bloom: bool = True, engine: str = "duckdb",
                u_pairs: float = 2e6, em_pairs: float | None = 2e6,
                user: str | None = None) -> tuple[int, ModelParams, float]:
    """Train on every record's features; store as the next model version."""
    n = ws.scalar("SELECT count(*) FROM match_features")
    if not n:
        raise LinkageError("no match features: import person-bearing files with forename, "
                           "surname, date_of_birth (and postcode) first")
    stale = ws.scalar("SELECT count(*) FROM match_features WHERE feature_version <> ?",
                      [FEATURE_VERSION])
    if stale:
        raise LinkageError(f"{stale} records have features of another version; re-import them")
    t0 = time.perf_counter()
    eng = _Engine(ws, engine)
    try:
        table = eng.register(features(ws))
        params = model.train(eng.api, table, bloom=bloom, u_pairs=u_pairs, em_pairs=em_pairs)
    finally:
        eng.close()
    seconds = time.perf_counter() - t0
    with ws.transaction() as con:
        version = (con.execute("SELECT coalesce(max(model_version), 0) + 1 FROM linkage_models")
                   .fetchone()[0])
        con.execute("INSERT INTO linkage_models VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [version, datetime.now(), user or ws.user_name(), params.spec_version,
                     params.feature_version, params.bloom, int(n), params.to_json(), seconds])
    return int(version), params, seconds


# ------------------------------------------------------------------------------- runs
def run_linkage(ws: Workspace, threshold: float | None = None, mode: str = "auto",
                engine: str = "duckdb", model_version: int | None = None,
                user: str | None = None) -> RunSummary:
    """Link every record into persons with the chosen (default: latest) model.

    ``mode``: ``full`` scores all candidate pairs again; ``incremental`` scores only pairs that
    involve records not yet linked (new files) against everything, keeping existing persons;
    ``auto`` is incremental when the links were made by the same model at the same threshold,
    else full."""
    if mode not in ("auto", "full", "incremental"):
        raise LinkageError(f"unknown mode {mode!r}: auto, full or incremental")
    found = latest_model(ws) if model_version is None else (model_version,
                                                           get_model(ws, model_version))
    if found is None:
        raise LinkageError("no linkage model yet: run `vru link train` first")
    version, params = found
    prev = ws.reader().execute(
        "SELECT model_version, threshold FROM linkage_runs ORDER BY run_id DESC LIMIT 1"
    ).fetchone()
    if threshold is None:
        threshold = float(prev[1]) if prev else DEFAULT_THRESHOLD
    if not 0 < threshold < 1:
        raise LinkageError("threshold must be between 0 and 1 (a match probability)")
    same = prev is not None and prev[0] == version and abs(prev[1] - threshold) < 1e-12
    if mode == "incremental" and not same:
        raise LinkageError("incremental linking needs links made by the same model and "
                           "threshold; run a full linkage (--mode full) first")
    kind = "incremental" if (mode == "incremental" or (mode == "auto" and same)) else "full"
    t0 = time.perf_counter()
    tm = model.Timings()
    eng = _Engine(ws, engine)
    try:
        if kind == "full":
            links, pairs, new = _full(ws, eng, params, threshold, tm)
        else:
            links, pairs, new = _incremental(ws, eng, params, threshold, tm)
    finally:
        eng.close()
    old = ws.df("SELECT record_key, person_id FROM person_links")
    changes = cluster_changes(old, links[["record_key", "person_id"]])
    t1 = time.perf_counter()
    with ws.transaction() as con:
        run_id = int(con.execute("SELECT nextval('linkage_run_seq')").fetchone()[0])
        links["model_version"] = version
        links["run_id"] = run_id
        con.register("new_links", links)
        try:
            if kind == "full":
                con.execute("DELETE FROM person_links")
                con.execute("DELETE FROM linkage_pairs")
            else:
                con.execute("DELETE FROM person_links WHERE record_key IN "
                            "(SELECT record_key FROM new_links)")
            con.execute(
                """INSERT INTO person_links (record_key, source, file_id, row_number, event_date,
                          pid, person_id, match_probability, model_version, run_id, role)
                   SELECT n.record_key, f.source, f.file_id, f.row_number, f.event_date, f.pid,
                          n.person_id, n.match_probability, n.model_version, n.run_id, f.role
                   FROM new_links n JOIN match_features f USING (record_key)""")
            # Links no longer backed by features (rows purged or replaced) go.
            con.execute("DELETE FROM person_links WHERE record_key NOT IN "
                        "(SELECT record_key FROM match_features)")
        finally:
            con.unregister("new_links")
        pairs = pairs.assign(run_id=run_id)
        con.register("new_pairs", pairs)
        try:
            con.execute("INSERT INTO linkage_pairs SELECT record_key_l, record_key_r, "
                        "match_weight, match_probability, run_id FROM new_pairs")
        finally:
            con.unregister("new_pairs")
        persons = links["person_id"].nunique()
        tm.seconds["write"] = time.perf_counter() - t1
        tm.seconds["total"] = time.perf_counter() - t0
        summary = RunSummary(run_id, kind, engine, version, threshold, len(links), new,
                             int(persons), len(pairs), changes,
                             {k: round(v, 3) for k, v in tm.seconds.items()})
        con.execute("INSERT INTO linkage_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [run_id, datetime.now(), user or ws.user_name(), kind, engine, version,
                     threshold, summary.records, new, summary.persons, summary.pairs,
                     json.dumps(changes), json.dumps(summary.seconds)])
    return summary


def _full(ws: Workspace, eng: _Engine, params: ModelParams, threshold: float,
          tm: model.Timings) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    feats = features(ws)
    if feats.num_rows == 0:
        raise LinkageError("no match features to link")
    linked_before = ws.scalar("SELECT count(*) FROM person_links")
    table = eng.register(feats)
    link = model.linker_for(eng.api, table, params)
    scored = model.predict(link, PAIRS_KEPT_FROM, tm)
    clusters = model.cluster(link, scored, threshold, tm).to_pandas()
    pairs = model.pairs_table(scored).to_pandas()
    links = _links(clusters, pairs, threshold)
    return links, pairs, int(feats.num_rows - min(linked_before, feats.num_rows))


def _incremental(ws: Workspace, eng: _Engine, params: ModelParams, threshold: float,
                 tm: model.Timings) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    new = features(ws, "record_key NOT IN (SELECT record_key FROM person_links)")
    old_links = ws.df("SELECT record_key, person_id FROM person_links "
                      "WHERE record_key IN (SELECT record_key FROM match_features)")
    if new.num_rows == 0:
        empty = pd.DataFrame({"record_key_l": [], "record_key_r": [], "match_weight": [],
                              "match_probability": []})
        links = ws.df("SELECT record_key, person_id, match_probability FROM person_links "
                      "WHERE record_key IN (SELECT record_key FROM match_features)")
        return links, empty, 0
    existing = features(ws, "record_key IN (SELECT record_key FROM person_links)")
    t_new = eng.register(new)
    t_old = eng.register(existing)
    link = model.linker_for(eng.api, eng.register(pa.concat_tables([existing, new])), params)
    t0 = time.perf_counter()
    parts = []
    if existing.num_rows:
        parts.append(link.inference.predict_between(
            t_old, t_new, threshold_match_probability=PAIRS_KEPT_FROM))
    parts.append(link.inference.predict_within(t_new, threshold_match_probability=PAIRS_KEPT_FROM))
    pairs = pd.concat([model.pairs_table(p).to_pandas() for p in parts], ignore_index=True)
    tm.add("prediction", t0)
    t0 = time.perf_counter()
    # Edges: each existing record to its person's first record (its clusters stand), plus the
    # new pairs at or above the threshold; connected components with Splink's clustering.
    anchor = old_links.assign(rep=old_links["person_id"].str[1:].astype("int64"))
    edges = pd.concat([
        pd.DataFrame({"record_key_l": anchor["rep"].to_numpy(),
                      "record_key_r": anchor["record_key"].to_numpy(),
                      "match_probability": 1.0}),
        pairs.loc[pairs["match_probability"] >= threshold,
                  ["record_key_l", "record_key_r", "match_probability"]],
    ], ignore_index=True)
    edges = edges[edges["record_key_l"] != edges["record_key_r"]]
    nodes = pd.DataFrame({"record_key": np.concatenate([
        old_links["record_key"].to_numpy(), new.column("record_key").to_numpy()])})
    from splink.clustering import cluster_pairwise_predictions_at_threshold

    c = cluster_pairwise_predictions_at_threshold(
        eng.register(pa.Table.from_pandas(nodes, preserve_index=False)),
        eng.register(pa.Table.from_pandas(edges, preserve_index=False)),
        eng.api, "record_key", threshold_match_probability=threshold,
    ).as_pandas_dataframe()
    tm.add("clustering", t0)
    clusters = c[["record_key", "cluster_id"]].rename(columns={"cluster_id": "cluster_key"})
    old_pairs = ws.df("SELECT record_key_l, record_key_r, match_weight, match_probability "
                      "FROM linkage_pairs")
    links = _links(clusters, pd.concat([old_pairs, pairs], ignore_index=True), threshold)
    return links, pairs, int(new.num_rows)


def _links(clusters: pd.DataFrame, pairs: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """person_id per record (V + smallest record key of its cluster) and its best link."""
    c = clusters[["record_key", "cluster_key"]].copy()
    c["person_id"] = "V" + c.groupby("cluster_key")["record_key"].transform("min").astype(str)
    c = c.drop(columns="cluster_key")
    best = pairs.loc[pairs["match_probability"] >= threshold]
    person = c.set_index("record_key")["person_id"]
    same = (person.reindex(best["record_key_l"]).to_numpy()
            == person.reindex(best["record_key_r"]).to_numpy())
    best = best[same]
    top = pd.concat([best[["record_key_l", "match_probability"]].set_axis(["record_key", "p"],
                                                                          axis=1),
                     best[["record_key_r", "match_probability"]].set_axis(["record_key", "p"],
                                                                          axis=1)])
    top = top.groupby("record_key")["p"].max()
    c["match_probability"] = top.reindex(c["record_key"]).to_numpy()
    return c


def cluster_changes(old: pd.DataFrame, new: pd.DataFrame) -> dict[str, int]:
    """How persons changed between two sets of links (records present in both)."""
    m = old.merge(new, on="record_key", how="inner", suffixes=("_old", "_new"))
    if m.empty:
        return {"records_compared": 0, "persons_before": int(old["person_id"].nunique()),
                "persons_after": int(new["person_id"].nunique()), "records_moved": 0,
                "persons_merged": 0, "persons_split": 0, "persons_unchanged": 0}
    # Same partition regardless of names: compare co-membership via cross-tab sizes.
    per_old = m.groupby("person_id_old")["person_id_new"].nunique()
    per_new = m.groupby("person_id_new")["person_id_old"].nunique()
    split = int((per_old > 1).sum())
    merged = int((per_new > 1).sum())
    old_set = m.groupby("person_id_old")["record_key"].apply(frozenset)
    new_set = m.groupby("person_id_new")["record_key"].apply(frozenset)
    unchanged = len(set(old_set) & set(new_set))
    moved = int((m["person_id_old"] != m["person_id_new"]).sum())
    return {"records_compared": len(m), "persons_before": int(old["person_id"].nunique()),
            "persons_after": int(new["person_id"].nunique()), "records_moved": moved,
            "persons_merged": merged, "persons_split": split, "persons_unchanged": unchanged}


# ------------------------------------------------------------------------------- status
def status(ws: Workspace) -> dict[str, Any]:
    """Aggregates only (no record-level content): safe for any role that sees the data hub."""
    r = ws.reader()
    by_source = [
        {"source": s, "records": int(n), "with_features": int(f), "linked": int(lk),
         "unlinked": int(n - lk), "alone": int(alone)}
        for s, n, f, lk, alone in r.execute(
            f"""SELECT {label_sql('m')} AS label, count(*),
                      count(*) FILTER (WHERE m.fn_h IS NOT NULL OR m.dob_h IS NOT NULL),
                      count(p.record_key),
                      count(*) FILTER (WHERE p.record_key IS NOT NULL AND
                                       p.match_probability IS NULL)
               FROM match_features m LEFT JOIN person_links p USING (record_key)
               GROUP BY label ORDER BY label""").fetchall()]
    models = [{"model_version": v, "created_at": str(c), "records_trained": int(n),
               "bloom": bool(b)}
              for v, c, n, b in r.execute(
                  "SELECT model_version, created_at, records_trained, bloom FROM linkage_models "
                  "ORDER BY model_version").fetchall()]
    last = r.execute("SELECT run_id, run_at, kind, engine, model_version, threshold, records, "
                     "new_records, persons, pairs, changes FROM linkage_runs "
                     "ORDER BY run_id DESC LIMIT 1").fetchone()
    sizes = r.execute("SELECT n, count(*) FROM (SELECT person_id, count(*) AS n FROM "
                      "person_links GROUP BY person_id) GROUP BY n ORDER BY n").fetchall()
    hist = r.execute("SELECT floor(match_weight)::INTEGER AS w, count(*) FROM linkage_pairs "
                     "GROUP BY w ORDER BY w").fetchall()
    out: dict[str, Any] = {
        "records": sum(s["records"] for s in by_source),
        "sources": by_source, "models": models,
        "last_run": None, "cluster_sizes": [{"size": int(a), "persons": int(b)} for a, b in sizes],
        "match_weight_histogram": [{"weight": int(a), "pairs": int(b)} for a, b in hist],
        "pending_records": int(r.execute(
            "SELECT count(*) FROM match_features WHERE record_key NOT IN "
            "(SELECT record_key FROM person_links)").fetchone()[0]),
    }
    if last:
        out["last_run"] = {"run_id": last[0], "run_at": str(last[1]), "kind": last[2],
                           "engine": last[3], "model_version": last[4], "threshold": last[5],
                           "records": last[6], "new_records": last[7], "persons": last[8],
                           "pairs": last[9], "changes": json.loads(last[10] or "{}")}
    return out


# ------------------------------------------------------------------------------- export
EXPORT_COLUMNS = ("source", "file", "row_number", "person_id", "match_probability")


def export_links(ws: Workspace) -> pd.DataFrame:
    """One row per linked source record: source (with the person's role on the row when it is
    not the first, e.g. police_rms:victim), file (the imported file's name; 'web form' for
    referrals typed in the programme's form, whose row_number is the referral id), row_number,
    person_id, match_probability (the record's best link within its person; empty alone)."""
    return ws.df(
        f"""SELECT {label_sql('p')} AS source, coalesce(f.name, '{FORM_FILE}') AS file,
                  p.row_number, p.person_id, p.match_probability
           FROM person_links p LEFT JOIN source_files f USING (file_id)
           ORDER BY source, file, p.row_number""")[list(EXPORT_COLUMNS)]


def pair_keys(ws: Workspace, source: str, file: str, row_number: int) -> int:
    """The record key of a source record named as the export names it."""
    row = ws.reader().execute(
        f"SELECT m.record_key FROM match_features m LEFT JOIN source_files f USING (file_id) "
        f"WHERE {label_sql('m')} = ? AND coalesce(f.name, '{FORM_FILE}') = ? "
        f"AND m.row_number = ?", [source, file, int(row_number)]).fetchone()
    if row is None:
        raise LinkageError(f"no linked record {source} {file} row {row_number}")
    return int(row[0])


def spec_settings(params: ModelParams, dialect: str = "duckdb") -> dict:
    return spec.settings_dict(dialect, params)


def explain_record(ws: Workspace, source: str, file: str, row_number: int,
                   other: tuple[str, str, str] | None = None):
    """The waterfall of a record against ``other`` (default: its strongest scored pair),
    with the model of the latest run."""
    from splink import DuckDBAPI

    from vru.linkage.explain import explain_pair

    key = pair_keys(ws, source, file, row_number)
    if other is not None:
        key2 = pair_keys(ws, other[0], other[1], int(other[2]))
    else:
        row = ws.reader().execute(
            "SELECT CASE WHEN record_key_l = ? THEN record_key_r ELSE record_key_l END "
            "FROM linkage_pairs WHERE record_key_l = ? OR record_key_r = ? "
            "ORDER BY match_probability DESC LIMIT 1", [key, key, key]).fetchone()
        if row is None:
            raise LinkageError(f"{source} {file} row {row_number} has no scored pair with "
                               "another record (it stands alone); name one with --with")
        key2 = int(row[0])
    run = ws.reader().execute(
        "SELECT model_version FROM linkage_runs ORDER BY run_id DESC LIMIT 1").fetchone()
    found = latest_model(ws) if run is None else (run[0], get_model(ws, run[0]))
    if found is None:
        raise LinkageError("no linkage model yet: run `vru link train` first")
    rows = features(ws, "record_key IN (?, ?)", [key, key2]).to_pylist()
    con = ws.scratch()
    try:
        return explain_pair(DuckDBAPI(connection=con), rows[0], rows[-1], found[1])
    finally:
        con.close()
