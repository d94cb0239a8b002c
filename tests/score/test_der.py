"""DER: every md-eval rule on a hand-computed case, then agreement with spy-der and pyannote.metrics."""
import numpy as np
import pytest

from codecprobe.data.rttm import read_rttms
from codecprobe.data.uem import default_uem, read_uem, to_timeline
from codecprobe.score import DiarizationScorer, score

from .helpers import as_tuples, perturbed, turns

UEM_0_20 = np.array([[0.0, 20.0]])


def der_of(ref, sys, regions=UEM_0_20, **options):
    scorer = DiarizationScorer(jer=False, clustering=False, **options)
    return scorer.add("f", ref, sys, regions).der


CASES = {
    # A->X, B->Y; B's [10, 12) goes to X: 2 s confusion of 20.
    "confusion": (turns(("A", 0, 10), ("B", 10, 20)), turns(("X", 0, 12), ("Y", 12, 20)), {}, (20, 0, 0, 2)),
    # collar 0.5 around 0, 10, 20 leaves [0.5, 9.5] + [10.5, 19.5]; confusion [10.5, 12).
    "collar": (turns(("A", 0, 10), ("B", 10, 20)), turns(("X", 0, 12), ("Y", 12, 20)), {"collar": 0.5},
               (18, 0, 0, 1.5)),
    # the mapping is chosen over the whole UEM (A->X, 6 s against 4 s) before the collar removes most
    # of X: md-eval then counts Y's 4 s as confusion (pyannote, mapping after the collar, would say 1 s).
    "mapping before collar": (turns(("A", 0, 10)), turns(("X", 0, 3), ("X", 7, 10), ("Y", 3, 7)),
                              {"collar": 2.5}, (5, 0, 0, 4)),
    # C overlaps A on [5, 7): with ignore_overlaps that region is not scored.
    "overlap scored": (turns(("A", 0, 10), ("C", 5, 7)), turns(("X", 0, 10)), {}, (12, 2, 0, 0)),
    "ignore overlaps": (turns(("A", 0, 10), ("C", 5, 7)), turns(("X", 0, 10)), {"ignore_overlaps": True},
                        (8, 0, 0, 0)),
    # a speaker's own overlapping turns are merged: no double counting.
    "self overlap": (turns(("A", 0, 5), ("A", 3, 8)), turns(("X", 0, 8)), {}, (8, 0, 0, 0)),
    # touching turns of one speaker stay two turns, so their junction gets a collar too.
    "touching turns": (turns(("A", 0, 5), ("A", 5, 10)), turns(("X", 0, 10)), {"collar": 0.5}, (8, 0, 0, 0)),
    # a zero-length reference turn scores no speech but still gets a collar.
    "zero length": (turns(("A", 0, 10), ("B", 5, 5)), turns(("X", 0, 10)), {"collar": 0.5}, (8, 0, 0, 0)),
    # miss and false alarm.
    "miss and fa": (turns(("A", 0, 10)), turns(("X", 5, 15)), {}, (10, 5, 5, 0)),
    # one system speaker for two overlapping reference speakers: one is missed.
    "overlap miss": (turns(("A", 0, 10), ("B", 0, 10)), turns(("X", 0, 10)), {}, (20, 10, 0, 0)),
    # two system speakers on one reference speaker: the unmapped one is a false alarm.
    "overlap fa": (turns(("A", 0, 10)), turns(("X", 0, 10), ("Y", 0, 4)), {}, (10, 0, 4, 0)),
    # times are rounded to ms as dscore writes them for md-eval (digits=None keeps them).
    "ms rounding": (turns(("A", 0, 1.0004)), turns(("X", 0, 1.0004)), {}, (1.0, 0, 0, 0)),
    "no rounding": (turns(("A", 0, 1.0004)), turns(("X", 0, 1.0004)), {"digits": None}, (1.0004, 0, 0, 0)),
}


@pytest.mark.parametrize("name", CASES)
def test_hand_computed(name):
    ref, sys, options, expected = CASES[name]
    der = der_of(ref, sys, **options)
    assert (der.scored, der.miss, der.fa, der.conf) == pytest.approx(expected, abs=1e-9)


def test_turns_are_cut_to_the_uem_and_the_cut_gets_a_collar():
    # UEM [5, 20]: A is cut at 5; collars at 5 and 10 leave [6, 9] of speech.
    der = der_of(turns(("A", 0, 10)), turns(("X", 5, 10)), np.array([[5.0, 20.0]]), collar=1.0)
    assert (der.scored, der.error) == pytest.approx((3, 0))


def test_default_uem_spans_reference_and_system_as_dscore():
    ref, sys = {"f": turns(("A", 2, 4))}, {"f": turns(("X", 0, 4))}
    np.testing.assert_array_equal(default_uem(ref, sys)["f"], [[0, 4]])
    overall = score(ref, sys, jer=False, clustering=False).overall.der
    assert (overall.scored, overall.fa, overall.der) == pytest.approx((2, 2, 100))


def test_pooling_sums_seconds_and_skips_files_without_reference():
    ref = {"a": turns(("A", 0, 10), file_id="a"), "b": turns(("A", 0, 90), file_id="b")}
    sys = {"a": turns(("X", 0, 9), file_id="a"), "b": turns(("X", 0, 90), file_id="b"),
           "c": turns(("X", 0, 5), file_id="c")}
    result = score(ref, sys, jer=False, clustering=False)
    assert result.files["a"].der.der == pytest.approx(10)
    assert result.files["c"].der.der == 100          # dscore: system speech where there is no reference
    assert result.overall.der.der == pytest.approx(1)  # (1 + 0) / (10 + 90), file c not pooled
    assert result.overall.der.scored == pytest.approx(100)


def test_missing_system_file_is_all_missed():
    result = score({"a": turns(("A", 0, 10), file_id="a")}, {}, jer=False, clustering=False)
    assert result.overall.der.miss == pytest.approx(10)


@pytest.fixture(scope="module")
def voxconverse(shared_data):
    ref = read_rttms([shared_data / "voxconverse-rttm" / "dev"])
    return ref, perturbed(ref)


@pytest.mark.parametrize("collar, ignore_overlaps, regions", [
    (0.0, False, "all"), (0.25, False, "all"), (0.0, True, "nonoverlap"), (0.25, True, "nonoverlap")])
def test_agrees_with_spyder_on_voxconverse(voxconverse, collar, ignore_overlaps, regions):
    spyder = pytest.importorskip("spyder")
    ref, sys = voxconverse
    uem = default_uem(ref, sys)
    ours = score(ref, sys, uem, collar=collar, ignore_overlaps=ignore_overlaps, jer=False, clustering=False)
    theirs = spyder.DER(as_tuples(ref), as_tuples(sys), uem={f: [tuple(r) for r in u] for f, u in uem.items()},
                        collar=collar, regions=regions, per_file=True)
    assert ours.overall.der.der == pytest.approx(100 * theirs["Overall"].der, abs=1e-6)
    assert ours.overall.to_dict()["conf"] == pytest.approx(100 * theirs["Overall"].conf, abs=1e-6)
    for fid in list(ref)[:20]:
        assert ours.files[fid].der.der == pytest.approx(100 * theirs[fid].der, abs=1e-6)


def test_agrees_with_spyder_on_ami_with_uem(shared_data):
    spyder = pytest.importorskip("spyder")
    ami = shared_data / "ami-rttm"
    ref = read_rttms([ami / "only_words" / "rttms" / "dev"])
    uem = {}
    for path in sorted((ami / "uems" / "dev").glob("*.uem")):
        uem.update(read_uem(path))
    sys = perturbed(ref, seed=1)
    ours = score(ref, sys, uem, collar=0.25, jer=False, clustering=False)
    theirs = spyder.DER(as_tuples(ref), as_tuples(sys), uem={f: [tuple(r) for r in u] for f, u in uem.items()},
                        collar=0.25)
    assert ours.overall.der.der == pytest.approx(100 * theirs["Overall"].der, abs=1e-6)


def test_agrees_with_pyannote_without_collar(voxconverse):
    """pyannote maps speakers after cropping collars, so it is an oracle only at collar 0; it also counts a
    speaker's own overlapping turns twice, so its inputs get md-eval's merge (``support()``) first."""
    pytest.importorskip("pyannote.metrics")
    from pyannote.metrics.diarization import DiarizationErrorRate

    ref, sys = voxconverse
    uem = default_uem(ref, sys)
    metric = DiarizationErrorRate(collar=0.0)

    files = sorted(ref)[:8]
    for fid in files:
        metric(ref[fid].to_annotation().support(), sys[fid].to_annotation().support(), uem=to_timeline(uem[fid]))
    ours = score({f: ref[f] for f in files}, {f: sys[f] for f in files}, {f: uem[f] for f in files},
                 jer=False, clustering=False)
    assert ours.overall.der.der == pytest.approx(100 * abs(metric), abs=1e-6)
