import numpy as np
import pytest

from codecprobe.verify.heads import PoolingHead, WeightedLayerSum, layer_norm, pool_taps
from codecprobe.verify.metrics import eer


def frame_speakers(n_speakers=12, per_speaker=6, dim=8, seed=0, noise=1.0):
    """Segments of 40-90 frames: a speaker's mean direction plus frame noise."""
    rng = np.random.default_rng(seed)
    means = 1.5 * rng.normal(size=(n_speakers, dim))
    y = np.repeat(np.arange(n_speakers), per_speaker)
    segments = [means[s] + noise * rng.normal(size=(int(rng.integers(40, 90)), dim)) for s in y]
    return segments, y


def all_pairs(y):
    first, second = np.triu_indices(len(y), k=1)
    return first, second, y[first] == y[second]


def test_pool_taps_commutes_with_the_weighted_sum_and_layer_norm_matches_torch():
    import torch

    rng = np.random.default_rng(0)
    taps = [rng.normal(size=(30, 5)) * scale for scale in (1.0, 100.0)]
    torch_norm = torch.nn.functional.layer_norm(torch.as_tensor(taps[1]), (5,)).numpy()
    np.testing.assert_allclose(layer_norm(taps[1]), torch_norm, rtol=1e-6, atol=1e-9)
    weights = np.array([0.3, 0.7])
    pooled = pool_taps([taps], normalize=False)[0]
    np.testing.assert_allclose(weights @ pooled, (weights[0] * taps[0] + weights[1] * taps[1]).mean(axis=0))
    with pytest.raises(ValueError, match="taps of one width; got widths \\[3, 5\\]"):
        pool_taps([[taps[0], taps[0][:, :3]]])


def test_weighted_sum_learns_to_weight_the_tap_that_carries_the_speaker():
    segments, y = frame_speakers(n_speakers=6)
    rng = np.random.default_rng(1)
    # tap 0: pure noise; tap 1: the speaker signal; same width
    with_taps = [[rng.normal(size=frames.shape), frames] for frames in segments]
    head = WeightedLayerSum(max_epochs=40, batch_size=64, learning_rate=0.05).fit(with_taps, y)
    assert head.loss_curve_[-1] < 0.5 * head.loss_curve_[0]
    assert head.layer_weights_.sum() == pytest.approx(1.0) and head.layer_weights_[1] > 0.7
    assert head.transform(with_taps).shape == (len(y), 8)
    again = WeightedLayerSum(max_epochs=40, batch_size=64, learning_rate=0.05).fit(with_taps, y)
    np.testing.assert_array_equal(head.layer_weights_, again.layer_weights_)


def test_pooling_head_loss_falls_and_unseen_speakers_are_told_apart():
    segments, y = frame_speakers(n_speakers=16, per_speaker=6, noise=2.0)
    train = y < 10
    head = PoolingHead(channels=32, embedding_dim=16, crop_frames=40, max_epochs=8, batch_size=16)
    head.fit([s for s, t in zip(segments, train) if t], y[train])
    assert head.loss_curve_[-1] < 0.7 * head.loss_curve_[0]
    evaluated = [s for s, t in zip(segments, train) if not t]
    first, second, same = all_pairs(y[~train])
    scores = head.score_trials(evaluated, first, second)
    assert eer(scores, same) < 0.15  # chance is 0.5
    assert head.transform(evaluated[:2]).shape == (2, 16)


def test_pooling_head_is_seeded_and_plain_statistics_pooling_works():
    segments, y = frame_speakers(n_speakers=4, per_speaker=4)
    a = PoolingHead(channels=8, embedding_dim=4, crop_frames=20, max_epochs=2, batch_size=8, attentive=False)
    b = PoolingHead(channels=8, embedding_dim=4, crop_frames=20, max_epochs=2, batch_size=8, attentive=False)
    np.testing.assert_array_equal(a.fit(segments, y).transform(segments[:3]), b.fit(segments, y).transform(segments[:3]))
    assert PoolingHead(channels=8, embedding_dim=4, max_epochs=1).fit(segments, y).transform([segments[0][:1]]).shape \
        == (1, 4)  # one frame is still embedded (short segments are repeated in training, padded in the convolutions)
