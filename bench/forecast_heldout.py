"""Pool backtest windows into one held-out figure (the pre-registered test in
docs/guide/hotspots.md, "Pre-registered: fresh held-out years of the NYC shootings").

    python bench/forecast_heldout.py RUN_DIR [RUN_DIR ...] [--method gbm] [--also ensemble]

Each RUN_DIR is the output folder of one `vru hotspots backtest` run (backtest_steps.csv,
backtest_bootstrap.csv, run.json). For every window: its best simple baseline at the coverage
(the one its backtest_bootstrap.csv names: highest mean PAI of naive, 12-month count and KDE
over that window's months), the method's ratio with the window's own band, and the foresight
reference from run.json. Pooled over every evaluated month of every window: mean PAI of the
method / mean PAI of each month's window's best simple baseline, with a 95% percentile band
from ``--reps`` bootstrap draws of the months (resampled with replacement from the pool, the
same draws for method and baseline). As a check, each window's own ratio and band are
recomputed with the backtest's own draws and must equal those in its backtest_bootstrap.csv.
Writes bench/results/forecast_heldout.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS  # noqa: E402


def ratio_band(method: np.ndarray, base: np.ndarray, draws: np.ndarray
               ) -> tuple[float, float, float]:
    """Ratio of means and its 95% percentile band over the resampled months ``draws``."""
    boot = method[draws].mean(axis=1) / base[draws].mean(axis=1)
    return (float(method.mean() / base.mean()), float(np.percentile(boot, 2.5)),
            float(np.percentile(boot, 97.5)))


def window(d: Path, methods: list[str], coverage: float) -> tuple[dict, pd.DataFrame]:
    steps = pd.read_csv(d / "backtest_steps.csv")
    boot = pd.read_csv(d / "backtest_bootstrap.csv")
    run = json.loads((d / "run.json").read_text())
    b = boot[boot["coverage_pct"] == coverage].set_index("method")
    best = str(b["best_baseline"].iloc[0])
    pai = steps[steps["coverage_pct"] == coverage].pivot_table(index="period", columns="method",
                                                               values="pai").dropna()
    months = pai[[*methods, best]].rename(columns={best: "baseline"})
    months.insert(0, "window", d.name)
    evaluated = run["params"]["evaluated"]
    info = {"dir": str(d), "first": evaluated[0], "last": evaluated[-1], "months": len(pai),
            "best_baseline": best, "baseline_pai": float(pai[best].mean()),
            "foresight_reference_ratio": run["summary"].get("foresight_reference_ratio_5"),
            "settings": {m: run["params"]["method_settings"].get(m) for m in methods}}
    for m in methods:
        info[m] = {"pai": float(b.loc[m, "pai"]), "pai_band": [float(b.loc[m, "pai_lo"]),
                                                               float(b.loc[m, "pai_hi"])],
                   "ratio": float(b.loc[m, "ratio"]),
                   "ratio_band": [float(b.loc[m, "ratio_lo"]), float(b.loc[m, "ratio_hi"])]}
    return info, months


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--method", default="gbm")
    ap.add_argument("--also", default="ensemble", help="secondary methods, comma list")
    ap.add_argument("--coverage", type=float, default=5.0)
    ap.add_argument("--reps", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    methods = [a.method] + [m for m in a.also.split(",") if m and m != a.method]
    infos, pooled = [], []
    for d in a.runs:
        info, months = window(d, methods, a.coverage)
        # the backtest's own draws: one generator, one draw per coverage in ascending order
        steps = pd.read_csv(d / "backtest_steps.csv")
        rng = np.random.default_rng(a.seed)
        for cov in sorted(steps["coverage_pct"].unique()):
            n = steps[steps["coverage_pct"] == cov].pivot_table(
                index="period", columns="method", values="pai").dropna().shape[0]
            draws = rng.integers(0, n, (a.reps, n))
            if cov == a.coverage:
                break
        for m in methods:
            r, lo, hi = ratio_band(months[m].to_numpy(), months["baseline"].to_numpy(), draws)
            want = info[m]
            if not np.allclose([r, lo, hi], [want["ratio"], *want["ratio_band"]], atol=1e-9):
                raise SystemExit(f"{d}: {m} ratio {r} [{lo}, {hi}] differs from its "
                                 f"backtest_bootstrap.csv {want['ratio']} {want['ratio_band']}")
        infos.append(info)
        pooled.append(months)
    allm = pd.concat(pooled)
    print(f"PAI at {a.coverage:g}% coverage; ratio = mean PAI / the window's best simple "
          f"baseline's (95% bootstrap band over months)")
    for i in infos:
        row = "; ".join(f"{m} {i[m]['pai']:.2f}, ratio {i[m]['ratio']:.3f} "
                        f"[{i[m]['ratio_band'][0]:.3f}, {i[m]['ratio_band'][1]:.3f}]"
                        for m in methods)
        print(f"{i['first']}..{i['last']} ({i['months']} months): best simple baseline "
              f"{i['best_baseline']} {i['baseline_pai']:.2f}; {row}; foresight reference "
              f"{i['foresight_reference_ratio']:.3f}")
    out = {"coverage_pct": a.coverage, "reps": a.reps, "seed": a.seed, "windows": infos,
           "months": len(allm), "pooled": {}}
    n = len(allm)
    draws = np.random.default_rng(a.seed).integers(0, n, (a.reps, n))
    for m in methods:
        r, lo, hi = ratio_band(allm[m].to_numpy(), allm["baseline"].to_numpy(), draws)
        out["pooled"][m] = {"pai": float(allm[m].mean()), "ratio": r, "ratio_band": [lo, hi]}
        print(f"POOLED {m} over {len(allm)} months: PAI {allm[m].mean():.3f} against the best "
              f"simple baselines' {allm['baseline'].mean():.3f}: ratio {r:.3f} [{lo:.3f}, "
              f"{hi:.3f}]")
    out["pooled"]["baseline_pai"] = float(allm["baseline"].mean())
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "forecast_heldout.json").write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
