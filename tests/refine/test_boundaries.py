"""Boundary examples, synthetic jitter and refined RTTMs on hand-made cases and random properties."""
import json

import numpy as np
import pytest
import torch

from codecprobe.config import ConfigError, load_config
from codecprobe.refine.apply import bounded_times, refined_turns
from codecprobe.refine.config import JitterConfig, RefineStudyConfig
from codecprobe.refine.examples import jittered_hypotheses, make_hypothesis
from codecprobe.refine.jitter import BoundaryErrors, jitter_turns
from codecprobe.refine.module import ContrastiveRefiner
from codecprobe.data import Turns
from codecprobe.score.boundaries import analyse_boundaries
from codecprobe.score.timeline import Speakers


def test_hypothesis_boundaries_are_matched_under_the_der_mapping():
    reference = Turns.build("f", [1.0, 3.0], [2.0, 3.0], ["A", "B"])
    system = Turns.build("f", [1.2, 2.8, 7.0], [1.6, 3.7, 0.5], ["X", "Y", "Z"])
    h = make_hypothesis("f", "f", 8.0, system, reference, max_offset_s=1.0)
    # boundaries: onsets X 1.2, Y 2.8, Z 7.0, then offsets X 2.8, Y 6.5, Z 7.5; X is A, Y is B, Z nobody
    assert h.boundary_times.tolist() == [1.2, 2.8, 7.0, 2.8, 6.5, 7.5]
    np.testing.assert_allclose(h.matched_time, [1.0, 3.0, np.nan, 3.0, 6.0, np.nan])
    # the handover at 3.0 is a speaker change; A's first onset and B's last offset border silence
    assert h.change.tolist() == [False, True, False, True, False, False]


def test_boundaries_further_than_the_matching_distance_or_of_the_other_kind_are_unmatched():
    reference = Turns.build("f", [2.0], [4.0], ["A"])
    system = Turns.build("f", [2.6], [1.0], ["X"])  # onset 0.6 late; offset 3.6 is 2.4 early
    h = make_hypothesis("f", "f", 10.0, system, reference, max_offset_s=0.5)
    assert np.isnan(h.matched_time).all()
    h = make_hypothesis("f", "f", 10.0, system, reference, max_offset_s=1.0)
    np.testing.assert_allclose(h.matched_time, [2.0, np.nan])  # an onset never matches an offset


def test_jittered_copies_are_reproducible_and_their_targets_undo_the_jitter():
    reference = Turns.build("r", [0.5, 2.0, 4.0, 6.5], [1.5, 2.0, 2.0, 1.0], ["A", "B", "A", "B"])
    errors = BoundaryErrors(JitterConfig(scale_s=0.2, max_s=0.6))
    first = jittered_hypotheses([("r", 9.0, reference)], errors, copies=3, seed=5, max_offset_s=0.8)
    again = jittered_hypotheses([("r", 9.0, reference)], errors, copies=3, seed=5, max_offset_s=0.8)
    assert [h.name for h in first] == ["r#0", "r#1", "r#2"]
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a.boundary_times, b.boundary_times)
    assert not np.array_equal(first[0].boundary_times, first[1].boundary_times)
    truth = np.concatenate([reference.start, reference.end])
    for h in first:
        matched = ~np.isnan(h.matched_time)
        assert matched.mean() > 0.5
        assert np.all(np.abs(h.matched_time - h.boundary_times)[matched] <= 0.6 + 1e-9)
        assert set(np.round(h.matched_time[matched], 3)) <= set(truth)


def test_jitter_moves_a_handover_as_one_and_keeps_turns_long_enough():
    rng = np.random.default_rng(0)
    reference = Turns.build("r", [1.0, 3.0, 5.0], [2.0, 2.0, 0.2], ["A", "B", "A"])
    config = JitterConfig(scale_s=0.3, max_s=0.5, min_turn_s=0.1)
    for _ in range(50):
        out = jitter_turns(reference, 6.0, BoundaryErrors(config), rng)
        offsets = np.round(out.end, 6)  # Turns keep durations: ends are start + duration
        assert out.start[1] == offsets[0] and out.start[2] == offsets[1]  # handovers stay one time
        assert np.all(out.end - out.start >= 0.1 - 1e-9) and out.start.min() >= 0 and out.end.max() <= 6.0
        assert np.all(np.abs(out.start - reference.start) <= 0.5 + 1e-9)


def test_measured_errors_are_drawn_from_what_codecprobe_boundaries_writes(tmp_path):
    reference = {"f": Turns.build("f", [0.0, 10.0], [10.0, 10.0], ["A", "B"])}
    system = {"f": Turns.build("f", [0.1, 10.3], [10.2, 9.7], ["X", "Y"])}
    path = tmp_path / "boundaries.json"
    path.write_text(json.dumps(analyse_boundaries(reference, system, collars=(0.0,)).to_dict()))
    draws = BoundaryErrors(JitterConfig(distribution="measured", measured=str(path), max_s=0.25)).draw(
        np.random.default_rng(0), 200)
    # errors +0.1 (onset 0), +0.3 twice (the change at 10), 0 (offset 20); 0.3 is beyond max_s: drawn again
    assert set(np.round(draws, 3)) == {0.1, 0.0}


@pytest.mark.parametrize("seed", range(5))
def test_refined_turns_stay_valid_whatever_the_offsets(seed):
    rng = np.random.default_rng(seed)
    n, duration = 12, 30.0
    codes = rng.integers(0, 3, n)
    onset, offset = [], []
    for code in range(3):  # disjoint turns per speaker, speakers overlapping each other
        mine = np.flatnonzero(codes == code)
        edges = np.sort(rng.choice(np.arange(1, 300), 2 * len(mine), replace=False)) / 10.0
        onset += edges[0::2].tolist()
        offset += edges[1::2].tolist()
    order = np.concatenate([np.flatnonzero(codes == c) for c in range(3)])
    turns = Speakers(np.array(onset), np.array(offset), codes[order], ["A", "B", "C"])
    offsets = rng.normal(0, 3.0, 2 * n)
    out = refined_turns(turns, offsets, duration, "f")
    assert np.all(out.duration > 0) and out.start.min() >= 0 and out.end.max() <= duration
    for label in set(out.labels):
        mine = np.array([t.speaker == label for t in out])
        starts, ends = out.start[mine], out.end[mine]
        order = np.argsort(starts)
        assert np.all(starts[order][1:] >= ends[order][:-1])  # one speaker's turns never overlap
    # small offsets within the bounds move boundaries by exactly that much
    small = np.full(2 * n, 0.001)
    moved = bounded_times(turns, small, duration)
    inside = (np.concatenate([turns.onset, turns.offset]) + 0.001 <= duration)
    np.testing.assert_allclose(moved[inside], np.round(np.concatenate([turns.onset, turns.offset]) + 0.001, 3)[inside])


def test_the_contrastive_target_frame_holds_the_true_boundary():
    module = ContrastiveRefiner.__new__(ContrastiveRefiner)  # only its frame arithmetic, no network
    torch.nn.Module.__init__(module)
    module._hparams = None
    rate, window = 25.0, 100
    rng = np.random.default_rng(0)
    targets = torch.tensor(rng.uniform(-1.5, 1.5, 64), dtype=torch.float32)
    shift = torch.tensor(rng.uniform(-0.5, 0.5, 64), dtype=torch.float32)
    frame = torch.floor(targets * rate + shift).long() + window // 2
    centres = (torch.arange(window)[None] - window // 2 + 0.5 - shift[:, None]) / rate  # RefinerModule.positions
    centre = centres.gather(1, frame[:, None])[:, 0]
    assert torch.all((targets - centre).abs() <= 0.5 / rate + 1e-6)


def test_config_refuses_a_jitter_beyond_the_matching_distance_before_any_work():
    with pytest.raises(ConfigError, match="jitter.max_s"):
        load_config(RefineStudyConfig, None, ["max_offset_s=0.5", "jitter.max_s=0.8"])
    with pytest.raises(ConfigError, match="half of window_s"):
        load_config(RefineStudyConfig, None, ["window_s=1.0", "max_offset_s=0.6", "jitter.max_s=0.5"])
