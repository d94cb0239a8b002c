"""PASS or FAIL with seed 004's criteria, each stated with its numbers.

A conditioning scheme passes when, at the first lag, every criterion holds:

- variance ratio below ``thresholds.variance_ratio`` on the training *and* the held-out speakers;
- cross-speaker degradation below ``thresholds.cross_speaker_degradation`` (undefined, so failed,
  when the keys explain nothing on the training speakers);
- structure persists in the confound slices: both variance ratios below
  ``variance_ratio + confound_margin`` on high-energy frames and on utterance-medial frames;
- the random-assignment baseline within ``1 +- random_tolerance`` on both splits (otherwise the
  measurement itself is suspect);
- at most ``max_excluded_mass`` of the frames fall in keys below ``min_cluster_size`` (the seed:
  more means the clustering is too fine to say anything).

The tap passes when at least one scheme passes (the seed proceeds if any conditioning works).
The decision uses point estimates; each criterion also says whether its confidence interval
straddles the threshold.
"""
from __future__ import annotations

from codecprobe.structure.config import StructureConfig


def decide(rows: list[dict], config: StructureConfig) -> dict:
    lag = config.lags[0]
    schemes = []
    for scheme in dict.fromkeys(r["scheme"] for r in rows):
        by_slice = {r["slice"]: r for r in rows if r["scheme"] == scheme and r["lag"] == lag}
        criteria = _criteria(by_slice, config)
        schemes.append({"scheme": scheme, "passed": all(c["passed"] for c in criteria), "criteria": criteria,
                        "variance_ratio_eval": by_slice["all"]["variance_ratio_eval"]["value"]})
    passing = [s for s in schemes if s["passed"]]
    ranked = sorted(passing or schemes, key=lambda s: _or_inf(s["variance_ratio_eval"]))
    return {"decision": "PASS" if passing else "FAIL", "lag": lag, "best_scheme": ranked[0]["scheme"],
            "passing_schemes": [s["scheme"] for s in passing], "schemes": schemes}


def _criteria(by_slice: dict[str, dict], config: StructureConfig) -> list[dict]:
    t = config.thresholds
    everything = by_slice["all"]
    criteria = [
        _below("variance_ratio_train", everything["variance_ratio_train"], t.variance_ratio),
        _below("variance_ratio_eval", everything["variance_ratio_eval"], t.variance_ratio),
        _below("cross_speaker_degradation", everything["cross_speaker_degradation"], t.cross_speaker_degradation),
    ]
    for slice_name in ("high_energy", "medial"):
        row = by_slice[slice_name]
        for split in ("train", "eval"):
            criteria.append(_below(f"confound_{slice_name}_{split}", row[f"variance_ratio_{split}"],
                                   t.variance_ratio + t.confound_margin))
    for split in ("train", "eval"):
        value = everything[f"random_variance_ratio_{split}"]
        low, high = 1 - t.random_tolerance, 1 + t.random_tolerance
        v = value["value"]
        criteria.append({"name": f"random_baseline_{split}", "value": v, "ci": [value["ci_low"], value["ci_high"]],
                         "rule": f"within [{low:g}, {high:g}]", "passed": v is not None and low <= v <= high,
                         "ci_straddles": _straddles(value, low) or _straddles(value, high)})
    for split in ("train", "eval"):
        v = everything[f"excluded_mass_{split}"]
        criteria.append({"name": f"excluded_mass_{split}", "value": v, "ci": None,
                         "rule": f"<= {t.max_excluded_mass:g}", "passed": v is not None and v <= t.max_excluded_mass,
                         "ci_straddles": False})
    return criteria


def _below(name: str, value: dict, threshold: float) -> dict:
    v = value["value"]
    return {"name": name, "value": v, "ci": [value["ci_low"], value["ci_high"]], "rule": f"< {threshold:g}",
            "passed": v is not None and v < threshold, "ci_straddles": _straddles(value, threshold)}


def _straddles(value: dict, threshold: float) -> bool:
    low, high = value["ci_low"], value["ci_high"]
    return low is not None and high is not None and low < threshold < high


def _or_inf(value: float | None) -> float:
    return float("inf") if value is None else value


def failed_criteria(scheme: dict) -> list[str]:
    """One phrase per failed criterion, e.g. ``variance_ratio_eval 0.98 (< 0.6)``."""
    return [f"{c['name']} {_format(c['value'])} (needs {c['rule']})" for c in scheme["criteria"] if not c["passed"]]


def _format(value: float | None) -> str:
    return "undefined" if value is None else f"{value:.3f}"
