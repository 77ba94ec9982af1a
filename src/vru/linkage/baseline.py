"""The deterministic baseline: records are one person when they share an identifier pseudonym
(PNC ID, NHS number or UPN), or else exactly the same normalised forename, surname and date of
birth (all present). Persons are the connected components of those links.

Exact grouping plus connected components (scipy's ``connected_components``) rather than a
pairwise join: a group of k records needs k-1 edges (a star), not k(k-1)/2 pairs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

RULES: tuple[tuple[str, ...], ...] = (("pnc_pid",), ("nhs_pid",), ("upn_pid",),
                                      ("fn_h", "sn_h", "dob_h"))


def deterministic_clusters(features: pd.DataFrame, key: str = "record_key") -> pd.DataFrame:
    """(record_key, cluster_key) for every record; cluster_key = smallest record_key in it."""
    n = len(features)
    keys = features[key].to_numpy()
    src: list[np.ndarray] = []
    dst: list[np.ndarray] = []
    pos = np.arange(n)
    for rule in RULES:
        cols = [c for c in rule if c in features.columns]
        if len(cols) != len(rule):
            continue
        sub = features[cols]
        ok = sub.notna().all(axis=1).to_numpy()
        if not ok.any():
            continue
        g = sub[ok].groupby(cols, sort=False).ngroup().to_numpy()
        idx = pos[ok]
        first = pd.Series(idx).groupby(g).transform("min").to_numpy()
        src.append(idx)
        dst.append(first)
    if src:
        s, d = np.concatenate(src), np.concatenate(dst)
    else:
        s = d = np.zeros(0, dtype=np.int64)
    graph = coo_matrix((np.ones(s.size, dtype=np.int8), (s, d)), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    cluster_key = pd.Series(keys).groupby(label).transform("min").to_numpy()
    return pd.DataFrame({key: keys, "cluster_key": cluster_key})
