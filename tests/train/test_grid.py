"""Frames onto the grid: exact interval-overlap means, checked against an explicit overlap matrix."""
import numpy as np
import pytest

from codecprobe.train.grid import grid_frames, to_grid


def by_overlap_matrix(frames, rate, n_out, grid_rate, offset):
    """The slow definition: weights = overlap of source cell i with output cell j; rows without any: nearest."""
    n = len(frames)
    src = offset + np.arange(n + 1) / rate
    out = np.arange(n_out + 1) / grid_rate
    weights = np.clip(np.minimum(src[None, 1:], out[1:, None]) - np.maximum(src[None, :-1], out[:-1, None]), 0, None)
    result = np.empty((n_out, frames.shape[1]))
    for j in range(n_out):
        if weights[j].sum() > 1e-12:
            result[j] = weights[j] @ frames / weights[j].sum()
        else:
            centre = (out[j] + out[j + 1]) / 2
            result[j] = frames[int(np.clip(np.floor((centre - offset) * rate), 0, n - 1))]
    return result


@pytest.mark.parametrize("rate, grid_rate, offset", [
    (100.0, 12.5, -0.005),      # MFCC (centred 10 ms frames) averaged
    (25.0, 12.5, 0.0),          # Mimi layer taps
    (12.5, 12.5, 0.76),         # GE2E partials at 80 ms, centred 0.8 s into their 1.6 s
    (1.3, 12.5, 0.4154),        # GE2E's default 0.77 s hop, repeated
    (7.0, 12.5, 0.03),          # an awkward rate: boundaries inside output frames
])
def test_equals_the_overlap_matrix(rate, grid_rate, offset):
    frames = np.random.default_rng(0).normal(size=(57, 3)).astype(np.float32)
    n_out = 80
    np.testing.assert_allclose(to_grid(frames, rate, n_out, grid_rate, offset),
                               by_overlap_matrix(frames.astype(np.float64), rate, n_out, grid_rate, offset),
                               rtol=1e-5, atol=1e-5)


def test_frames_already_on_the_grid_are_copied_exactly():
    frames = np.random.default_rng(1).normal(size=(10, 4)).astype(np.float32)
    assert np.array_equal(to_grid(frames, 12.5, 8, 12.5), frames[:8])


def test_partials_centred_late_fill_the_start_with_the_first_partial():
    partials = np.arange(20, dtype=np.float32)[:, None]  # one per 80 ms, centred 0.8 s after its frame start
    out = to_grid(partials, 12.5, 30, 12.5, offset=0.8 - 0.04)
    assert out[:9, 0].tolist() == [0.0] * 9  # nothing reaches the first 0.76 s: the nearest partial is the first
    assert out[10, 0] == pytest.approx(0.5)  # frame 10 ([0.8, 0.88) s) straddles partials 0 and 1 half and half
    assert out[-1, 0] == 19.0


def test_grid_frames_counts_started_frames():
    assert [grid_frames(d, 12.5) for d in (0.08, 0.0801, 30.0, 29.99)] == [1, 2, 375, 375]


def test_encoders_say_where_their_frames_sit():
    from codecprobe.encoders import BuildOptions, build_encoder

    ge2e = build_encoder("ge2e", BuildOptions(settings={"partials_rate": 12.5}))
    assert ge2e.frame_offset("partials") == pytest.approx(0.8 - 0.04)  # 1.6 s from the frame start, 80 ms hop
    assert (ge2e.frame_offset("mel"), ge2e.frame_offset("utterance")) == (-0.005, 0.0)
    assert build_encoder("mfcc").frame_offset("mfcc") == -0.005  # centred 10 ms frames
    assert build_encoder("logmel", BuildOptions(settings={"hop_s": 0.02})).frame_offset("logmel") == -0.01
