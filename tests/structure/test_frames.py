"""The frame dataset: anchors, context windows, dynamics and energies on hand-made frames."""
import numpy as np
import pytest

from codecprobe.structure.frames import ArrayFrames, Windows, frame_energy_db, n_anchors


def ramp(frames: int, dim: int = 2) -> np.ndarray:
    """Frame t is [t, 10 t, ...]: every window and difference can be read off by hand."""
    return np.arange(frames, dtype=np.float32)[:, None] * (10.0 ** np.arange(dim))[None, :].astype(np.float32)


def test_anchors_leave_a_full_window_behind_and_every_lag_ahead():
    windows = Windows(ramp(20), window=8, max_lag=4)
    assert windows.anchors.tolist() == list(range(7, 16))  # t - 7 >= 0 and t + 4 <= 19
    assert n_anchors(11, 8, 4) == 0 and Windows(ramp(11), 8, 4).anchors.size == 0


def test_contexts_end_at_the_anchor_oldest_frame_first():
    windows = Windows(ramp(20), window=3, max_lag=2)
    assert windows.anchors[0] == 2
    flat = windows.flat_context()
    assert flat[0].tolist() == [0, 0, 1, 10, 2, 20]  # frames 0, 1, 2
    assert flat[-1].tolist() == [15, 150, 16, 160, 17, 170]  # the last anchor is 17 = 19 - 2
    np.testing.assert_allclose(windows.mean_context()[0], [1, 10])  # mean of frames 0..2
    np.testing.assert_allclose(windows.mean_context(), flat.reshape(len(flat), 3, 2).mean(axis=1), rtol=1e-6)


def test_dynamics_displacement_and_velocity():
    z = ramp(12, dim=1) ** 2  # z[t] = t^2
    windows = Windows(z, window=2, max_lag=3)
    t = windows.anchors
    np.testing.assert_array_equal(windows.dynamics(3, "displacement")[:, 0], (t + 3) ** 2 - t ** 2)
    np.testing.assert_array_equal(windows.dynamics(3, "velocity")[:, 0], (t + 3) ** 2 - (t + 2) ** 2)
    np.testing.assert_array_equal(windows.dynamics(1, "velocity"), windows.dynamics(1, "displacement"))


def test_projection_without_flattening_equals_flattened_product():
    rng = np.random.default_rng(0)
    windows = Windows(rng.standard_normal((30, 5)).astype(np.float32), window=4, max_lag=2)
    components = rng.standard_normal((3, 20))
    mean = rng.standard_normal(20)
    expected = (windows.flat_context() - mean) @ components.T
    np.testing.assert_allclose(windows.projected_context(mean, components), expected, rtol=1e-5, atol=1e-5)


def test_frame_energy_is_the_mean_power_of_each_frame_span_in_db():
    rate, frame_rate = 16000, 12.5  # Mimi's prequant rate: 1280 samples per frame at 16 kHz
    audio = np.concatenate([np.full(1280, 0.5), np.full(1280, 0.05), np.zeros(100)])
    energy = frame_energy_db(audio, rate, frame_rate, 4)
    assert energy[0] == pytest.approx(10 * np.log10(0.25))
    assert energy[1] == pytest.approx(10 * np.log10(0.0025))
    assert energy[2] == -100.0  # 100 samples of silence: floored
    assert energy[3] == -100.0  # past the end of the audio


def test_array_frames_streams_what_it_holds():
    source = ArrayFrames({"a": (ramp(5), np.zeros(5)), "b": (ramp(7), np.ones(7))})
    assert source.frame_counts(["b", "a"]) == {"b": 7, "a": 5}
    assert [(uid, len(z)) for uid, z, _ in source.stream(["b", "a"])] == [("b", 7), ("a", 5)]
