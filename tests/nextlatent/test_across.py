"""Tier 1 Exp 3's comparison (:func:`codecprobe.nextlatent.across.compare_runs`) on hand-computed runs, no training."""
from types import SimpleNamespace

import numpy as np
import pytest

from codecprobe.errors import InputError
from codecprobe.nextlatent.across import compare_runs
from codecprobe.nextlatent.config import NextLatentConfig

CONFIG = NextLatentConfig(bootstrap=200)
UTTERANCES = ["u0", "u1", "u2"]


def tap_run(frame_rate, dim, frames, baseline, **systems):
    """What compare_runs reads of a TapRun: per held-out utterance, anchors and summed NLLs."""
    return SimpleNamespace(frame_rate=frame_rate, dim=dim, frames=np.array(frames, float),
                           baseline=np.array(baseline, float),
                           systems=[SimpleNamespace(name=name, nll=np.array(nll, float)) for name, nll in systems.items()])


# A: 50 Hz, 4 dims. B: 12.5 Hz, 8 dims, no anchor in u1, so u1 is left out of both (counting A's u1 would
# move its NLLs). On u0 and u2 every utterance has the same NLL per frame, so every resample gives the point
# estimate: A 5 (unconditional), 3 (gaussian), 2 (vmf) nats per frame; B 3, 2, 1.
RUN_A = tap_run(50.0, 4, [2, 1, 4], [10, 7, 20], gaussian=[6, 5, 12], vmf=[4, 5, 8])
RUN_B = tap_run(12.5, 8, [1, 0, 2], [3, 0, 6], gaussian=[2, 0, 4], vmf=[1, 0, 2])


def test_units_gains_and_differences_match_hand_computed_values():
    across = compare_runs([RUN_A, RUN_B], UTTERANCES, CONFIG)
    assert across["utterances"] == ["u0", "u2"] and across["left_out"] == ["u1"]
    expected = {  # (run, system): NLL per frame, gain per frame; per second x rate, per dim / dims
        (0, "unconditional gaussian"): (5, None), (0, "gaussian"): (3, 2), (0, "vmf"): (2, 3),
        (1, "unconditional gaussian"): (3, None), (1, "gaussian"): (2, 1), (1, "vmf"): (1, 2)}
    assert [(r["run"], r["system"]) for r in across["rows"]] == list(expected)
    for row in across["rows"]:
        rate, dim = (50.0, 4) if row["run"] == 0 else (12.5, 8)
        nll, gain = expected[(row["run"], row["system"])]
        values = {"nll": nll} if gain is None else {"nll": nll, "gain": gain}
        assert ("gain_per_frame" in row) == (gain is not None)
        for prefix, per_frame in values.items():
            for unit, factor in (("per_frame", 1), ("per_second", rate), ("per_dim", 1 / dim)):
                estimate = row[f"{prefix}_{unit}"]
                assert estimate["value"] == pytest.approx(per_frame * factor, rel=1e-12)
                assert estimate["ci_low"] == pytest.approx(per_frame * factor, rel=1e-12)  # every resample agrees
                assert estimate["ci_high"] == pytest.approx(per_frame * factor, rel=1e-12)
    (a, b) = across["differences"]  # Exp 1 per run; no Exp 2 (neither run has the key systems)
    assert (a["run"], a["from"], a["to"], b["run"]) == (0, "gaussian", "vmf", 1)
    assert a["nll_decrease_per_second"]["value"] == pytest.approx(50.0)  # 1 nat per frame x 50 Hz
    assert b["nll_decrease_per_dim"]["value"] == pytest.approx(1 / 8)
    assert a["reading"] == b["reading"] == "lower"  # the interval [1, 1] lies above 0


def test_one_bootstrap_serves_every_run():
    """A run repeated at another frame rate gets the same per-frame intervals: the runs share their resamples."""
    rng = np.random.default_rng(0)
    frames = rng.integers(5, 50, size=30)
    nll = [frames * rng.uniform(1, 3, size=30) for _ in range(2)]
    first = tap_run(50.0, 4, frames, nll[0] + frames, gaussian=nll[0], vmf=nll[1])
    again = tap_run(75.0, 128, frames, nll[0] + frames, gaussian=nll[0], vmf=nll[1])
    across = compare_runs([first, again], [f"u{i}" for i in range(30)], CONFIG)
    rows = {(r["run"], r["system"]): r["nll_per_frame"] for r in across["rows"]}
    assert rows[(0, "vmf")]["ci_high"] > rows[(0, "vmf")]["ci_low"]  # the utterances differ, so the interval is wide
    for system in ("unconditional gaussian", "gaussian", "vmf"):
        assert rows[(0, system)] == rows[(1, system)]


def test_runs_without_a_common_utterance_are_refused_in_one_line():
    only_u1 = tap_run(12.5, 8, [0, 3, 0], [0, 9, 0], gaussian=[0, 6, 0])
    with pytest.raises(InputError, match="no held-out utterance has anchors in every encoder's run"):
        compare_runs([RUN_B, only_u1], UTTERANCES, CONFIG)
