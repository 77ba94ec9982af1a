"""Linkage quality against a ground truth: pure functions over arrays (no IO).

- pairwise precision, recall and F1 of the *clusters* (every pair of records put in one
  cluster is a predicted match; every pair of records of one true person is a true match);
- B-cubed precision and recall (Bagga and Baldwin 1998): per record, the share of its cluster
  that is truly its person, and the share of its person that is in its cluster; averaged;
- the precision/recall trade-off of scored pairs over thresholds (for choosing a threshold);
- the same broken down by a record attribute (name origin, sex), to see who linkage fails.

Counts of pairs use n(n-1)/2 over contingency cells, so nothing is quadratic in memory.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd


@dataclass
class Scores:
    records: int
    true_pairs: int
    predicted_pairs: int
    true_positive_pairs: int
    precision: float
    recall: float
    f1: float
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float

    def as_dict(self) -> dict:
        return asdict(self)


def _pairs(counts: np.ndarray) -> int:
    c = counts.astype(np.int64)
    return int((c * (c - 1) // 2).sum())


def _f1(p: float, r: float) -> float:
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def score_clusters(truth: np.ndarray, cluster: np.ndarray) -> Scores:
    """Scores of a clustering (``cluster[i]``) against true persons (``truth[i]``)."""
    df = pd.DataFrame({"t": truth, "c": cluster})
    cell = df.groupby(["t", "c"], sort=False).size()
    t_size = df.groupby("t", sort=False).size()
    c_size = df.groupby("c", sort=False).size()
    tp, tt, pp = _pairs(cell.to_numpy()), _pairs(t_size.to_numpy()), _pairs(c_size.to_numpy())
    p = tp / pp if pp else 1.0
    r = tp / tt if tt else 1.0
    bp, br = _bcubed(df, cell, t_size, c_size)
    return Scores(len(df), tt, pp, tp, p, r, _f1(p, r), bp, br, _f1(bp, br))


def _bcubed(df: pd.DataFrame, cell: pd.Series, t_size: pd.Series, c_size: pd.Series
            ) -> tuple[float, float]:
    per = _bcubed_per_record(df, cell, t_size, c_size)
    return float(per[0].mean()), float(per[1].mean())


def _bcubed_per_record(df: pd.DataFrame, cell: pd.Series, t_size: pd.Series,
                       c_size: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    idx = pd.MultiIndex.from_arrays([df["t"], df["c"]])
    inter = cell.reindex(idx).to_numpy()
    return inter / c_size.reindex(df["c"]).to_numpy(), inter / t_size.reindex(df["t"]).to_numpy()


def by_group(truth: np.ndarray, cluster: np.ndarray, group: np.ndarray) -> pd.DataFrame:
    """Per group (e.g. name origin): records, persons, B-cubed precision/recall/F1, and
    pairwise recall over true pairs of that group's persons and pairwise precision over
    predicted pairs that involve that group's records."""
    df = pd.DataFrame({"t": truth, "c": cluster, "g": group})
    cell = df.groupby(["t", "c"], sort=False).size()
    t_size = df.groupby("t", sort=False).size()
    c_size = df.groupby("c", sort=False).size()
    bp, br = _bcubed_per_record(df, cell, t_size, c_size)
    df["bp"], df["br"] = bp, br
    rows = []
    for g, sub in df.groupby("g", sort=True):
        persons = sub["t"].unique()
        # True pairs of these persons, and those kept together (within one cluster).
        tt = _pairs(t_size.reindex(persons).to_numpy())
        tp = _pairs(sub.groupby(["t", "c"]).size().to_numpy())
        # Predicted pairs touching the group's records: for each cluster, pairs with at least
        # one member in the group = C(n,2) - C(n - k, 2); of those, the true ones.
        k = sub.groupby("c").size()
        n = c_size.reindex(k.index).to_numpy()
        kk = k.to_numpy()
        pp = int((n * (n - 1) // 2 - (n - kk) * (n - kk - 1) // 2).sum())
        in_cells = sub.groupby(["t", "c"]).size()
        full = cell.reindex(in_cells.index).to_numpy()
        tpp = int((full * (full - 1) // 2 - (full - in_cells.to_numpy()) *
                   (full - in_cells.to_numpy() - 1) // 2).sum())
        rows.append({"group": g, "records": len(sub), "persons": len(persons),
                     "bcubed_precision": sub["bp"].mean(), "bcubed_recall": sub["br"].mean(),
                     "pairwise_recall": tp / tt if tt else 1.0,
                     "pairwise_precision": tpp / pp if pp else 1.0,
                     "missed_pairs": tt - tp, "false_pairs": pp - tpp})
    out = pd.DataFrame(rows)
    out["bcubed_f1"] = [_f1(p, r) for p, r in zip(out["bcubed_precision"],
                                                  out["bcubed_recall"], strict=True)]
    return out


def pair_curve(pair_truth: np.ndarray, probability: np.ndarray, true_pairs: int,
               thresholds: list[float]) -> pd.DataFrame:
    """Precision and recall of scored pairs at each threshold (before clustering).

    ``pair_truth`` says whether each scored pair is truly one person; ``true_pairs`` counts
    all true pairs (so pairs never blocked together count as missed)."""
    rows = []
    for t in thresholds:
        sel = probability >= t
        tp = int(pair_truth[sel].sum())
        n = int(sel.sum())
        p = tp / n if n else 1.0
        r = tp / true_pairs if true_pairs else 1.0
        rows.append({"threshold": t, "pairs": n, "true_pairs_found": tp, "precision": p,
                     "recall": r, "f1": _f1(p, r)})
    return pd.DataFrame(rows)


def true_pair_count(truth: np.ndarray) -> int:
    return _pairs(pd.Series(truth).value_counts().to_numpy())
