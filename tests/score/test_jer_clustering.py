"""JER and clustering metrics: hand-computed cases, a dense frame-by-frame oracle, and scikit-learn."""
import numpy as np
import pytest

from codecprobe.data.rttm import read_rttms
from codecprobe.data.uem import default_uem
from codecprobe.score import score
from codecprobe.score.clustering import clustering_scores, contingency
from codecprobe.score.frames import frame_counts
from codecprobe.score.prepare import prepare

from .helpers import perturbed, turns


def test_jer_hand_computed():
    # JER(A, X) = 1 - 10/15, JER(B, Y) = 1 - 5/10: the JER-minimising mapping, mean over reference speakers.
    result = score({"f": turns(("A", 0, 10), ("B", 10, 20))}, {"f": turns(("X", 0, 15), ("Y", 15, 20))})
    assert result.files["f"].jer == pytest.approx(100 * (1 / 3 + 1 / 2) / 2)


def test_jer_unmapped_reference_speaker_scores_100_and_overall_weighs_speakers():
    ref = {"a": turns(("A", 0, 10), ("B", 10, 20), file_id="a"), "b": turns(("A", 0, 10), file_id="b")}
    sys = {"a": turns(("X", 0, 10), file_id="a"), "b": turns(("X", 0, 10), file_id="b")}
    result = score(ref, sys)
    assert result.files["a"].jer == pytest.approx(50)
    assert result.overall.jer == pytest.approx(100 / 3)  # mean over the three reference speakers


def test_clustering_hand_computed():
    # frames: ref A 1000, B 1000; sys X 1500, Y 500 -> table [[1000, 0], [500, 500]] of N = 2000.
    result = score({"f": turns(("A", 0, 10), ("B", 10, 20))}, {"f": turns(("X", 0, 15), ("Y", 15, 20))})
    c = result.files["f"].clustering
    assert c.b3_precision == pytest.approx(0.5 * 1000 / 1500 + 0.25 * 500 / 1500 + 0.25)
    assert c.b3_recall == pytest.approx(0.5 + 0.25 * 0.5 + 0.25 * 0.5)
    mi = 0.5 * np.log2(0.5 / 0.375) + 0.25 * np.log2(0.25 / 0.375) + 0.25 * np.log2(0.25 / 0.125)
    h_sys = -(0.75 * np.log2(0.75) + 0.25 * np.log2(0.25))
    assert (c.mi, c.nmi) == pytest.approx((mi, mi / np.sqrt(1.0 * h_sys)))


def dense_frames(prepared, step=0.01):
    """dscore's frame matrices, built the plain way: one row per frame."""
    n = int(prepared.regions[:, 1].max() / step)
    times = step * np.arange(n)

    def matrix(speakers):
        x = np.zeros((n, speakers.n), dtype=int)
        for on, off, code in zip(speakers.onset, speakers.offset, speakers.code):
            x[np.searchsorted(times, on):np.searchsorted(times, off), code] = 1
        return x

    keep = np.zeros(n, dtype=bool)
    for on, off in prepared.regions:
        keep[np.searchsorted(times, on):np.searchsorted(times, off)] = True
    return matrix(prepared.reference)[keep], matrix(prepared.system)[keep]


@pytest.fixture(scope="module")
def prepared_files(shared_data):
    ref = read_rttms([shared_data / "voxconverse-rttm" / "dev"])
    ref = {fid: ref[fid] for fid in sorted(ref)[:6]}
    sys = perturbed(ref, seed=3)
    uem = default_uem(ref, sys)
    return [prepare(fid, ref[fid], sys[fid], uem[fid]) for fid in ref]


def test_frame_counts_equal_dense_frames(prepared_files):
    for prepared in prepared_files:
        ref, sys = dense_frames(prepared)
        counts = frame_counts(prepared)
        np.testing.assert_array_equal(counts.frames @ counts.ref, ref.sum(axis=0))
        np.testing.assert_array_equal((counts.ref * counts.frames[:, None]).T @ counts.sys, ref.T @ sys)


def test_clustering_agrees_with_sklearn(prepared_files):
    metrics = pytest.importorskip("sklearn.metrics")
    for prepared in prepared_files:
        ref, sys = dense_frames(prepared)
        ref_labels, sys_labels = ref @ (2 ** np.arange(ref.shape[1])), sys @ (2 ** np.arange(sys.shape[1]))
        ours = clustering_scores(contingency(frame_counts(prepared)))
        assert ours.mi == pytest.approx(metrics.mutual_info_score(ref_labels, sys_labels) / np.log(2))
        assert ours.nmi == pytest.approx(
            metrics.normalized_mutual_info_score(ref_labels, sys_labels, average_method="geometric"))


def test_more_than_64_speakers_still_get_distinct_labels():
    ref = turns(*[(f"s{i}", i, i + 1.5) for i in range(70)])
    sys = turns(*[(f"x{i}", i, i + 1) for i in range(70)])
    prepared = prepare("f", ref, sys, np.array([[0.0, 72.0]]))
    table = contingency(frame_counts(prepared))
    assert table.shape == (1 + 70 + 69, 1 + 70)  # silence, each speaker alone, each adjacent pair
