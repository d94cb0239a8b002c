"""Float comparisons that hold on any CPU.

Two float32 computations of the same thing in another order (batched against one at a time,
chunked against one pass, another library's kernels, AVX2 against AVX-512) differ by rounding
that grows with the values' magnitude: a fixed absolute tolerance that passes on one machine
fails on another (an MFCC value near 190 was 1.26e-5 off on an AVX2 CPU). Compare against the
scale of the expected values instead.
"""
from __future__ import annotations

import numpy as np


def assert_close_to_scale(actual, expected, rel: float = 1e-5, err_msg: str = "") -> None:
    """Every element within ``rel`` times the largest magnitude of ``expected`` (float32 has ~1.2e-7)."""
    expected = np.asarray(expected)
    scale = max(float(np.abs(expected).max(initial=0.0)), np.finfo(np.float32).tiny)
    np.testing.assert_allclose(actual, expected, rtol=rel, atol=rel * scale, err_msg=err_msg)
