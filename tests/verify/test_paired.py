import numpy as np
import pytest

from codecprobe.verify.metrics import eer, eer_difference


def speaker_trials(seed=0, n_speakers=8, per_speaker=6, separation=(3.0, 0.5)):
    """All pairs of segments of n speakers; system a scores same-speaker pairs ``separation[0]`` higher, b less."""
    rng = np.random.default_rng(seed)
    speaker = np.repeat(np.arange(n_speakers), per_speaker)
    first, second = np.triu_indices(len(speaker), k=1)
    labels = speaker[first] == speaker[second]
    a = rng.normal(size=len(labels)) + separation[0] * labels
    b = rng.normal(size=len(labels)) + separation[1] * labels
    return a, b, labels, (speaker[first], speaker[second])


def test_identical_systems_differ_by_zero_with_p_one():
    a, _, labels, speakers = speaker_trials()
    for by_speaker in (speakers, None):
        result = eer_difference(a, a.copy(), labels, by_speaker, replicates=200)
        assert result.difference == 0.0 and result.p_value == 1.0 and result.interval == [0.0, 0.0]


def test_a_clearly_worse_system_is_told_apart():
    a, b, labels, speakers = speaker_trials()
    result = eer_difference(a, b, labels, speakers, replicates=300)
    assert result.difference == pytest.approx(eer(b, labels) - eer(a, labels), abs=1e-15)
    assert result.difference > 0 and result.interval[0] > 0  # b is worse: the interval excludes 0
    assert result.p_value == pytest.approx(2 / 301)  # no replicate reached 0: the smallest p 300 replicates give
    assert result.unit == "speaker" and result.replicates == 300
    swapped = eer_difference(b, a, labels, speakers, replicates=300)
    assert swapped.difference == -result.difference and swapped.interval[1] < 0


def test_equally_good_systems_are_not_told_apart():
    a, b, labels, speakers = speaker_trials(separation=(1.5, 1.5))
    result = eer_difference(a, b, labels, speakers, replicates=300)
    assert result.interval[0] < 0 < result.interval[1] and result.p_value > 0.05


def test_seeded_determinism_and_trial_resampling():
    a, b, labels, speakers = speaker_trials(separation=(1.5, 1.0))
    first = eer_difference(a, b, labels, speakers, replicates=100, seed=3)
    assert first == eer_difference(a, b, labels, speakers, replicates=100, seed=3)
    assert first != eer_difference(a, b, labels, speakers, replicates=100, seed=4)
    by_trial = eer_difference(a, b, labels, None, replicates=100, seed=3)
    assert by_trial.unit == "trial" and by_trial == eer_difference(a, b, labels, None, replicates=100, seed=3)


def test_no_interval_below_three_speakers():
    a, b, labels, speakers = speaker_trials(n_speakers=2)
    result = eer_difference(a, b, labels, speakers, replicates=50)
    assert result.interval is None and result.p_value is None and result.difference == eer(b, labels) - eer(a, labels)
