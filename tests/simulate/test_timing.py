"""The timing models draw what the config asks for (checked on many draws) and keep their rules."""
import numpy as np
import pytest

from codecprobe.data.rttm import read_rttms
from codecprobe.score.timeline import coverage, cut_points
from codecprobe.simulate.config import Distribution
from codecprobe.simulate.statistics import Totals, turn_statistics
from codecprobe.simulate.timing import (ConversationalTiming, conversational_onsets, fit_conversational,
                                        independent_onsets, speaker_order)


def timing(overlap_probability=0.4, max_simultaneous=2, change=0.875):
    return ConversationalTiming(change, Distribution("gamma", mean=0.8, shape=0.8),
                                Distribution("gamma", mean=0.5, shape=0.5, minimum=0.1), overlap_probability,
                                Distribution("gamma", mean=1.5, shape=0.8), max_simultaneous)


def simulate_turns(model, recordings=300, speakers=3, turns=30, seed=0):
    """Many conversations of Gamma-length turns; returns their pooled statistics and the raw turns."""
    rng = np.random.default_rng(seed)
    totals, raw = Totals(), []
    for _ in range(recordings):
        order = speaker_order(turns, speakers, model.turn_change_probability, rng)
        durations = 1000 + np.round(rng.gamma(1.0, 3000.0, turns)).astype(np.int64)
        onsets = conversational_onsets(durations, order, model, rng)
        labels = [f"spk{k}" for k in order.tolist()]
        totals.add(turn_statistics(onsets / 1000, durations / 1000, labels, (onsets + durations).max() / 1000),
                   sorted(set(labels)))
        raw.append((onsets, durations, order))
    return totals.summary(), raw


def test_pauses_and_turn_changes_match_the_config_without_overlap():
    model = timing(overlap_probability=0.0)
    stats, _ = simulate_turns(model)
    assert stats["mean"]["same_speaker_pause"] == pytest.approx(0.8, rel=0.06)
    assert stats["mean"]["different_speaker_pause"] == pytest.approx(0.5, rel=0.04)
    assert stats["turn_change_share"] == pytest.approx(0.875, abs=0.015)
    assert stats["overlap_ratio"] == 0 and stats["overlap_share_of_changes"] == 0


def test_overlaps_follow_the_probability_and_never_break_the_rules():
    model = timing(overlap_probability=0.4)
    stats, raw = simulate_turns(model)
    # an overlap cut to nothing by the rules becomes a zero gap, so the share sits a little below 0.4
    assert 0.36 <= stats["overlap_share_of_changes"] <= 0.41
    assert 0.05 < stats["overlap_ratio"] < 0.2
    for onsets, durations, order in raw:
        assert np.all(np.diff(onsets) > 0)  # turns stay in the order drawn
        offsets = onsets + durations
        for speaker in set(order.tolist()):  # nobody overlaps themself
            mine = np.flatnonzero(order == speaker)
            assert np.all(onsets[mine][1:] >= offsets[mine][:-1])
        edges = cut_points(onsets, offsets)
        assert coverage(edges, onsets, offsets).max() <= 2  # at most two at once


def test_three_speakers_at_once_when_allowed():
    _, raw = simulate_turns(timing(overlap_probability=0.9, max_simultaneous=3), recordings=50)
    most = max(coverage(cut_points(on, on + d), on, on + d).max() for on, d, _ in raw)
    assert most == 3


def test_speaker_order_hears_everyone_and_follows_the_change_probability():
    rng = np.random.default_rng(1)
    for _ in range(200):  # few turns: the last ones go to speakers not yet heard
        order = speaker_order(4, 4, 0.1, rng)
        assert sorted(order.tolist()) == [0, 1, 2, 3]
    long = speaker_order(20000, 3, 0.7, rng)
    assert np.mean(long[1:] != long[:-1]) == pytest.approx(0.7, abs=0.01)
    assert np.bincount(long) / len(long) == pytest.approx([1 / 3] * 3, abs=0.02)
    assert speaker_order(5, 1, 0.875, rng).tolist() == [0] * 5


def test_independent_tracks_have_eend_pauses():
    rng = np.random.default_rng(2)
    durations = np.full(40, 2000)
    order = np.repeat(np.arange(2), 20)
    pauses = []
    for _ in range(300):
        onsets = independent_onsets(durations, order, 5.0, rng)
        for speaker in (0, 1):
            mine = onsets[order == speaker]  # each turn: the previous one's end plus a pause
            pauses += [mine[0]] + (np.diff(mine) - 2000).tolist()
    assert min(pauses) >= 0
    assert np.mean(pauses) / 1000 == pytest.approx(5.0, rel=0.03)


def test_fit_to_rttm_recovers_the_shares(tmp_path):
    # A then B with a pause 1 s, B then A overlapping 0.5 s, A then A pause 2 s: repeated in 3 files
    lines = []
    for f in range(3):
        for onset, duration, speaker in [(0, 3, "A"), (4, 2, "B"), (5.5, 2, "A"), (9.5, 1, "A")]:
            lines.append(f"SPEAKER f{f} 1 {onset} {duration} <NA> <NA> {speaker} <NA> <NA>")
    path = tmp_path / "ref.rttm"
    path.write_text("\n".join(lines) + "\n")
    fitted = fit_conversational([str(path)], 2)
    assert fitted.turn_change_probability == pytest.approx(2 / 3)
    assert fitted.overlap_probability == pytest.approx(1 / 2)
    described = fitted.describe()
    assert described["different_speaker_pause_mean"] == pytest.approx(1.0, abs=0.01)
    assert described["same_speaker_pause_mean"] == pytest.approx(2.0, abs=0.01)
    assert described["overlap_mean"] == pytest.approx(0.5, abs=0.01)
    assert described["turn_duration_mean"] == pytest.approx(2.0, abs=0.03)
    draws = fitted.same_speaker_pause.draw(np.random.default_rng(0), 100)
    assert np.all(np.abs(draws - 2.0) < 0.02)


def test_a_fit_to_ami_makes_ami_like_silence_and_overlap(shared_data):
    references = shared_data / "ami-rttm" / "only_words" / "rttms" / "dev"
    real = Totals()
    for turns in read_rttms([references]).values():
        labels = turns.speakers
        real.add(turn_statistics(turns.start, turns.duration, labels, float(turns.end.max())), sorted(set(labels)))
    real = real.summary()
    fitted = fit_conversational([str(references)], 2)
    rng = np.random.default_rng(0)
    simulated = Totals()
    for _ in range(150):  # AMI meetings have 4 speakers
        order = speaker_order(60, 4, fitted.turn_change_probability, rng)
        durations = np.maximum(np.round(fitted.turn_duration.draw(rng, 60) * 1000), 1).astype(np.int64)
        onsets = conversational_onsets(durations, order, fitted, rng)
        labels = [str(k) for k in order.tolist()]
        simulated.add(turn_statistics(onsets / 1000, durations / 1000, labels, (onsets + durations).max() / 1000),
                      sorted(set(labels)))
    simulated = simulated.summary()
    assert real["silence_ratio"] == pytest.approx(0.195, abs=0.001)
    assert simulated["silence_ratio"] == pytest.approx(real["silence_ratio"], abs=0.05)
    assert simulated["overlap_ratio"] == pytest.approx(real["overlap_ratio"], abs=0.05)
    assert simulated["turn_change_share"] == pytest.approx(real["turn_change_share"], abs=0.03)
