"""Disagreements found by running the real md-eval-22 / dscore, pinned with hand-computed values."""
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


def test_dotted_file_id_gets_md_eval_fallback_region():
    # md-eval files the UEM line of "a.b" under "a", finds no UEM for "a.b" and scores from the
    # first to the last reference turn, [1, 6.5], not dscore's default UEM [0.5, 7.6].
    ref = {"a.b": turns(("A", 1, 4), ("B", 4.5, 6.5), file_id="a.b")}
    sys = {"a.b": turns(("x", 0.5, 3.9), ("y", 4.6, 7.6), file_id="a.b")}
    der = score(ref, sys, jer=False, clustering=False).files["a.b"].der
    assert (der.scored, der.miss, der.fa, der.conf) == pytest.approx((5.0, 0.2, 0.0, 0.0), abs=1e-9)
    assert der.der == pytest.approx(4.0, abs=1e-9)
    # an id md-eval can match keeps the UEM: 1.6 s of false alarm outside the reference span.
    plain = score({"ab": turns(("A", 1, 4), ("B", 4.5, 6.5), file_id="ab")},
                  {"ab": turns(("x", 0.5, 3.9), ("y", 4.6, 7.6), file_id="ab")}, jer=False, clustering=False)
    assert plain.files["ab"].der.fa == pytest.approx(1.6, abs=1e-9)
