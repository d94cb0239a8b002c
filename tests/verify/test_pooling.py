import numpy as np
import pytest

from codecprobe.verify.pooling import pool

FRAMES = np.array([[1.0, 2.0], [3.0, 6.0], [5.0, 100.0]])


def test_mean_and_mean_std():
    np.testing.assert_allclose(pool(FRAMES), [3.0, 36.0])
    np.testing.assert_allclose(pool(FRAMES[:2], "mean+std"), [2.0, 4.0, 1.0, 2.0])


def test_mask_keeps_speech_frames_and_falls_back_when_empty():
    np.testing.assert_allclose(pool(FRAMES, mask=np.array([True, True, False])), [2.0, 4.0])
    np.testing.assert_allclose(pool(FRAMES, mask=np.zeros(3, bool)), [3.0, 36.0])


def test_bad_input():
    with pytest.raises(ValueError, match="unknown pooling"):
        pool(FRAMES, "max")
    with pytest.raises(ValueError, match="at least one frame"):
        pool(np.zeros((0, 4)))
