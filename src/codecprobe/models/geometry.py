"""The shapes of the pretrained networks, without torch: what an encoder must know to describe its
taps (rates, frame counts, dimensions) before, or without, loading a model."""
from __future__ import annotations

# pyannote segmentation-3.0 (PyanNet)
SAMPLE_RATE = 16000
NUM_SPEAKERS = 3  # local speakers per window
MAX_SIMULTANEOUS = 2
# (kernel, stride) of every conv and max-pool along time, in order
_TIME_LAYERS = ((251, 10), (3, 3), (5, 1), (3, 3), (5, 1), (3, 3))


def num_frames(samples: int) -> int:
    """Output frames for ``samples`` input samples (0 if too short).

    >>> num_frames(160000), num_frames(991), num_frames(990)
    (589, 1, 0)
    """
    for kernel, stride in _TIME_LAYERS:
        samples = (samples - kernel) // stride + 1 if samples >= kernel else 0
    return samples


def _receptive_field() -> tuple[int, int, int]:
    """(frame step, receptive field, centre of frame 0), in samples: (270, 991, 495)."""
    size, step, centre = 1, 1, 0
    for kernel, stride in reversed(_TIME_LAYERS):
        size = (size - 1) * stride + kernel
        centre = centre * stride + (kernel - 1) // 2
        step *= stride
    return step, size, centre


FRAME_STEP_SAMPLES, RECEPTIVE_FIELD_SAMPLES, FIRST_CENTRE_SAMPLES = _receptive_field()


# 3D-Speaker CAM++
FEATURE_DIM = 80  # Kaldi fbank bins in
EMBEDDING_DIM = 192  # embedding out
