"""The linkage model as a specification plus trained parameters, rendered per engine.

A Splink model saved as JSON carries its SQL already rendered in the training engine's
dialect (``list_intersect`` for DuckDB), so a model trained on DuckDB does not load on Spark.
Here the model is kept as (1) the comparison specification, written with Splink's creators
(``cl``/``cll``) and portable custom SQL, and (2) the trained parameters: lambda and each
level's m and u, by comparison and level position. ``settings_dict(dialect, params)`` renders
both for any engine.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator, block_on

from vru.privacy.matchkeys import BLOOM_WORDS, FEATURE_VERSION

SPEC_VERSION = "vru-link-1"
UNIQUE_ID = "record_key"


def _dice(field_: str, at: float) -> cll.CustomLevel:
    """Dice similarity of two keyed Bloom filters >= ``at``, in portable SQL (bitwise AND and
    bit_count exist in DuckDB and Spark; the words are plain BIGINT columns, no array
    indexing, whose base differs between the engines)."""
    common = " + ".join(f"bit_count({field_}_bf{i}_l & {field_}_bf{i}_r)"
                        for i in range(BLOOM_WORDS))
    sql = (f"({field_}_bfn_l + {field_}_bfn_r) > 0 AND "
           f"2.0 * ({common}) / ({field_}_bfn_l + {field_}_bfn_r) >= {at}")
    return cll.CustomLevel(sql, label_for_charts=f"{field_} Bloom Dice >= {at}",
                           base_dialect_str="duckdb")


def _name(field_: str, label: str, bloom: bool) -> cl.CustomComparison:
    levels = [cll.NullLevel(f"{field_}_h"),
              cll.ExactMatchLevel(f"{field_}_h").configure(label_for_charts=f"{label} exact")]
    if field_ == "fn":
        levels.append(cll.ExactMatchLevel("fn_c").configure(
            label_for_charts="forename variant/nickname"))
    if bloom:
        levels.append(_dice(field_, 0.85))
    levels += [
        cll.ArrayIntersectLevel(f"{field_}_tok", 1).configure(
            label_for_charts=f"{label} shares a token"),
        cll.ArrayIntersectLevel(f"{field_}_ph", 2).configure(
            label_for_charts=f"{label} 2+ phonetic codes"),
        cll.ArrayIntersectLevel(f"{field_}_ph", 1).configure(
            label_for_charts=f"{label} 1 phonetic code"),
    ]
    if bloom:
        levels.append(_dice(field_, 0.6))
    levels.append(cll.ElseLevel())
    return cl.CustomComparison(comparison_levels=levels, output_column_name=label,
                               comparison_description=f"{label} (keyed features)")


def _dob() -> cl.CustomComparison:
    two_of_three = ("(CASE WHEN dob_y_l = dob_y_r THEN 1 ELSE 0 END"
                    " + CASE WHEN dob_m_l = dob_m_r THEN 1 ELSE 0 END"
                    " + CASE WHEN dob_d_l = dob_d_r THEN 1 ELSE 0 END) >= 2")
    return cl.CustomComparison(output_column_name="dob", comparison_levels=[
        cll.NullLevel("dob_h"),
        cll.ExactMatchLevel("dob_h").configure(label_for_charts="dob exact"),
        cll.CustomLevel("dob_sw_l = dob_h_r OR dob_h_l = dob_sw_r",
                        label_for_charts="dob day/month swapped", base_dialect_str="duckdb"),
        cll.CustomLevel(two_of_three, label_for_charts="dob 2 of 3 parts",
                        base_dialect_str="duckdb"),
        cll.ElseLevel(),
    ], comparison_description="date of birth (keyed parts)")


def _postcode() -> cl.CustomComparison:
    return cl.CustomComparison(output_column_name="postcode", comparison_levels=[
        cll.NullLevel("pc_district_h"),
        cll.ExactMatchLevel("pc_sector_h").configure(label_for_charts="postcode sector"),
        cll.ExactMatchLevel("pc_district_h").configure(label_for_charts="postcode district"),
        cll.ElseLevel(),
    ], comparison_description="postcode (keyed sector and district)")


def _exact(col: str, label: str) -> cl.CustomComparison:
    return cl.CustomComparison(output_column_name=label, comparison_levels=[
        cll.NullLevel(col),
        cll.ExactMatchLevel(col).configure(label_for_charts=f"{label} agrees"),
        cll.ElseLevel(),
    ], comparison_description=f"{label} (exact)")


IDENTIFIERS = (("pnc_pid", "pnc"), ("nhs_pid", "nhs"), ("upn_pid", "upn"))


def comparisons(bloom: bool = False) -> list[cl.CustomComparison]:
    return [_name("fn", "forename", bloom), _name("sn", "surname", bloom), _dob(), _postcode(),
            _exact("sex", "sex"), *(_exact(c, lab) for c, lab in IDENTIFIERS)]


def prediction_blocking() -> list:
    """Candidate pairs: any one rule is enough. Each is an equi-join (fast on both engines)."""
    return [
        block_on("pnc_pid"), block_on("nhs_pid"), block_on("upn_pid"),
        block_on("dob_h", "sn_dm1"), block_on("dob_h", "fn_dm1"), block_on("dob_h", "pc_sector_h"),
        block_on("fn_dm1", "sn_dm1", "dob_y"), block_on("fn_dm1", "sn_dm1", "dob_m", "dob_d"),
        {"blocking_rule": "l.dob_sw = r.dob_h AND l.sn_dm1 = r.sn_dm1", "sql_dialect": "duckdb"},
        {"blocking_rule": "l.dob_h = r.dob_sw AND l.sn_dm1 = r.sn_dm1", "sql_dialect": "duckdb"},
    ]


# Training: lambda from deterministic rules with an assumed recall; m by EM blocked on the
# date of birth (trains names, postcode, sex, identifiers) and on the names (trains the date of
# birth). Blocking EM on a phonetic surname made EM converge to nonsense in trials (see
# docs/guide/linkage.md): keep these.
LAMBDA_RULES = [block_on("fn_c", "sn_h", "dob_h"), block_on("pnc_pid"), block_on("nhs_pid"),
                block_on("upn_pid")]
LAMBDA_RECALL = 0.8
EM_RULES = [block_on("dob_h"), block_on("fn_c", "sn_h")]


def settings_creator(bloom: bool = False) -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name=UNIQUE_ID,
        comparisons=comparisons(bloom),
        blocking_rules_to_generate_predictions=prediction_blocking(),
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
        additional_columns_to_retain=["source"],
    )


@dataclass
class LevelParam:
    """A level's trained m and u. A level never seen in training keeps Splink's marker text
    (``NOT_OBSERVED``), which Splink scores as 1e-6, so a re-rendered model scores the same."""

    label: str
    m: float | str | None
    u: float | str | None


NOT_OBSERVED = "level not observed in training dataset"


def _num(v: float | str | None) -> float:
    return 1e-6 if v == NOT_OBSERVED else float(v or 0.0)


@dataclass
class ModelParams:
    """Trained parameters: what a model *is*, apart from its specification."""

    spec_version: str
    feature_version: str
    bloom: bool
    lambda_: float
    comparisons: dict[str, list[LevelParam]] = field(default_factory=dict)

    def to_json(self) -> str:
        d = asdict(self)
        return json.dumps(d, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ModelParams:
        d = json.loads(text)
        comps = {k: [LevelParam(**lv) for lv in v] for k, v in d.pop("comparisons").items()}
        return cls(comparisons=comps, **d)

    def check(self) -> list[str]:
        """Sanity of a trained model: for every comparison, the top (most similar) level must
        be more likely among matches than the 'else' level (m_top > m_else), and m/u in (0,1].
        Returns the problems (empty when fine)."""
        problems = []
        for name, levels in self.comparisons.items():
            trained = [lv for lv in levels if lv.m is not None]
            if len(trained) < 2:
                continue
            top, other = trained[0], trained[-1]
            if not _num(top.m) > _num(other.m):
                problems.append(f"{name}: m({top.label})={top.m} is not above "
                                f"m({other.label})={other.m}")
            for lv in trained:
                if lv.u is None or not (0 < _num(lv.u) <= 1):
                    problems.append(f"{name}/{lv.label}: u not estimated")
        return problems


def params_from_settings(settings: dict[str, Any], bloom: bool) -> ModelParams:
    """Parameters out of a trained linker's settings (``linker.misc.save_model_to_json()``)."""
    comps: dict[str, list[LevelParam]] = {}
    for c in settings["comparisons"]:
        comps[c["output_column_name"]] = [
            LevelParam(lv.get("label_for_charts", ""), _repeatable(lv.get("m_probability")),
                       _repeatable(lv.get("u_probability")))
            for lv in c["comparison_levels"]]
    return ModelParams(SPEC_VERSION, FEATURE_VERSION, bloom,
                       _repeatable(float(settings["probability_two_random_records_match"])), comps)


def _repeatable(p: float | None) -> float | None:
    """A trained probability to 10 significant digits. EM's sums run in parallel, so the last
    bits of m differ from run to run (seen: 0.9022517718709432 vs ...431); rounded, the same
    data give the same model, hence the same match weights, links and clusters."""
    return None if p is None else float(f"{p:.10g}")


def settings_dict(dialect: str, params: ModelParams | None = None,
                  bloom: bool = False, retain: bool = False) -> dict[str, Any]:
    """The specification rendered for ``dialect`` ('duckdb' or 'spark'), with the trained
    parameters filled in level by level."""
    if params is not None:
        bloom = params.bloom
        if params.spec_version != SPEC_VERSION:
            raise ValueError(f"model was trained with specification {params.spec_version}, "
                             f"this vru renders {SPEC_VERSION}: retrain it")
    d = settings_creator(bloom).create_settings_dict(dialect)
    if retain:  # explanations need each comparison's level and weight per pair
        d["retain_intermediate_calculation_columns"] = True
        d["retain_matching_columns"] = True
    if params is None:
        return d
    d["probability_two_random_records_match"] = params.lambda_
    for c in d["comparisons"]:
        name = c["output_column_name"]
        stored = params.comparisons.get(name)
        if stored is None or len(stored) != len(c["comparison_levels"]):
            raise ValueError(f"model parameters do not fit comparison {name}: retrain")
        for lv, p in zip(c["comparison_levels"], stored, strict=True):
            if lv.get("is_null_level"):
                continue
            if p.m is not None:
                lv["m_probability"] = p.m
            if p.u is not None:
                lv["u_probability"] = p.u
    return d
