"""Disagreements found by running the real md-eval-22 / dscore, pinned with hand-computed values."""
import numpy as np
import pytest

from codecprobe.score import score

from .helpers import turns


def test_rounding_matches_python_round_at_ties():
    # dscore writes '%.3f' % round(3.0005, 3) = 3.001 (3.0005 is stored just above the tie);
    # np.round gave 3.000. Reference [0, 3.001), system [0, 3.000): 1 ms missed of 3.001 s.
    result = score({"f": turns(("A", 0, 3.0005))}, {"f": turns(("x", 0, 3.0))}, jer=False, clustering=False)
    der = result.files["f"].der
    assert der.scored == pytest.approx(3.001, abs=1e-12)
    assert der.miss == pytest.approx(0.001, abs=1e-12)
    assert der.der == pytest.approx(100 * 0.001 / 3.001, abs=1e-9)
