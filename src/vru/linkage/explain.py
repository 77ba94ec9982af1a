"""Why two records are (or are not) one person: Splink's waterfall of comparison levels.

The two records' keyed features are scored with the stored model (``score_pair``); the
waterfall is Splink's own chart with ``remove_sensitive_data=True`` (match weights and level
labels only, no values, not even the hashed ones), rendered to SVG offline with vl-convert.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from vru.linkage import model
from vru.linkage.spec import ModelParams


@dataclass
class Explanation:
    record_key_l: int
    record_key_r: int
    match_weight: float
    match_probability: float
    steps: list[dict[str, Any]]        # comparison, level label, bayes factor, log2 weight
    spec: dict[str, Any]               # the Vega-Lite spec (no values)

    def svg(self) -> str:
        import vl_convert as vlc

        return vlc.vegalite_to_svg(self.spec)

    def text(self) -> str:
        lines = [f"records {self.record_key_l} and {self.record_key_r}: match weight "
                 f"{self.match_weight:+.2f}, probability {self.match_probability:.6f}"]
        for s in self.steps:
            lines.append(f"  {s['column_name']:<16} {s['label_for_charts']:<34} "
                         f"{s['log2_bayes_factor']:+7.2f}")
        return "\n".join(lines)


_DROP = {"value_l", "value_r", "term_frequency_adjustment"}


def explain_pair(db_api: Any, left: dict, right: dict, params: ModelParams) -> Explanation:
    """Explain the pair (feature dicts as stored in match_features, with record_key)."""
    import pyarrow as pa

    table = pa.Table.from_pylist([left, right])
    link = model.linker_for(db_api, table, params, retain=True)
    scored = link.inference.score_pair(left, right)
    rec = scored.as_record_list()[0]
    chart = link.visualisations.waterfall_chart([rec], filter_nulls=False,
                                                remove_sensitive_data=True)
    spec = chart.chart_dict
    values = _values(spec)
    steps = [{k: v for k, v in row.items() if k not in _DROP} for row in values]
    for row in values:
        row.pop("value_l", None)
        row.pop("value_r", None)
    mw = float(rec["match_weight"])
    return Explanation(int(left["record_key"]), int(right["record_key"]), mw,
                       float(rec.get("match_probability", 1 / (1 + math.pow(2, -mw)))),
                       [s for s in steps if s.get("column_name") not in (None, "Final score")],
                       spec)


def _values(spec: dict) -> list[dict]:
    data = spec.get("data", {})
    if isinstance(data, dict) and "values" in data:
        return data["values"]
    for d in spec.get("datasets", {}).values():
        return d
    return []
