"""Phase 0 on generated latent sequences of known structure, and the streamed sums against a
direct computation over frames held in memory."""
import numpy as np
import pytest

from codecprobe.structure.analysis import SLICES, analyse
from codecprobe.structure.config import SchemeConfig, StructureConfig
from codecprobe.structure.decision import decide
from codecprobe.structure.frames import ArrayFrames, Windows
from codecprobe.structure.synthetic import generate


def small_config(**changes) -> StructureConfig:
    """The seed's design at a size generated data fills: fewer keys, smaller minimum cluster."""
    config = StructureConfig(
        corpora=["generated"], bootstrap=200, fit_frames=4000, min_cluster_size=20, dynamics_codebook=16,
        schemes=[SchemeConfig("mean_vq16", "mean_vq", clusters=16),
                 SchemeConfig("pca4_vq32", "pca_vq", clusters=32, pca_dims=4),
                 SchemeConfig("pca2_quartile", "pca_bins", pca_dims=2, bins=4)])
    for key, value in changes.items():
        setattr(config, key, value)
    return config


@pytest.fixture(scope="module")
def cyclic():
    source, split = generate("cyclic")
    config = small_config()
    return analyse(source, split, config, progress=False), config


@pytest.fixture(scope="module")
def noise():
    source, split = generate("iid")
    config = small_config()
    return analyse(source, split, config, progress=False), config


def row(analysis, scheme, lag=1, slice_name="all"):
    return next(r for r in analysis.rows if r["scheme"] == scheme and r["lag"] == lag and r["slice"] == slice_name)


def test_dynamics_driven_by_a_hidden_cluster_pass(cyclic):
    analysis, config = cyclic
    decision = decide(analysis.rows, config)
    assert decision["decision"] == "PASS"
    assert set(decision["passing_schemes"]) == {"mean_vq16", "pca4_vq32", "pca2_quartile"}
    for scheme in decision["passing_schemes"]:
        r = row(analysis, scheme)
        assert r["variance_ratio_eval"]["value"] < 0.55
        assert abs(r["cross_speaker_degradation"]["value"]) < 0.05  # the same path for every speaker
        assert r["entropy_reduction_eval"]["value"] > 0.4


def test_iid_noise_fails(noise):
    analysis, config = noise
    decision = decide(analysis.rows, config)
    assert decision["decision"] == "FAIL"
    for r in analysis.rows:
        assert r["variance_ratio_eval"]["value"] > 0.95
        assert r["entropy_reduction_eval"]["value"] < 0.05


def test_speaker_specific_structure_fails_on_held_out_speakers():
    source, split = generate("cyclic", shared=False)
    config = small_config()
    analysis = analyse(source, split, config, progress=False)
    decision = decide(analysis.rows, config)
    assert decision["decision"] == "FAIL"
    for scheme in decision["schemes"]:
        failed = {c["name"] for c in scheme["criteria"] if not c["passed"]}
        assert "cross_speaker_degradation" in failed and "variance_ratio_eval" in failed
        assert row(analysis, scheme["scheme"])["variance_ratio_train"]["value"] < 0.9  # structure within speakers


@pytest.mark.parametrize("which", ["cyclic", "noise"])
def test_random_baseline_lies_within_its_interval_of_one(which, request):
    analysis, config = request.getfixturevalue(which)
    tolerance = config.thresholds.random_tolerance
    for r in analysis.rows:
        for split in ("train", "eval"):
            assert abs(r[f"random_variance_ratio_{split}"]["value"] - 1) <= tolerance / 2, (r["scheme"], split)
        train = r["random_variance_ratio_train"]
        if r["slice"] == "all":  # degrees-of-freedom corrected: unbiased, so its interval covers 1
            assert train["ci_low"] <= 1 <= train["ci_high"], r["scheme"]
    for scheme in decide(analysis.rows, config)["schemes"]:
        assert all(c["passed"] for c in scheme["criteria"] if c["name"].startswith("random_baseline"))


def test_streamed_sums_equal_a_direct_computation():
    """Variance ratios, degradation and excluded mass from the four streamed passes equal the
    textbook formulas over every frame held in memory."""
    source, split = generate("cyclic", speakers=5, per_speaker=3, frames=150, noise=0.3, seed=7, train_speakers=3)
    config = small_config(bootstrap=20, min_cluster_size=25)
    analysis = analyse(source, split, config, progress=False)
    conditioning, normaliser = analysis.conditioning, analysis.conditioning.normaliser

    def collect(ids, scheme_index, lag):
        keys, dynamics = [], []
        for uid in ids:
            z, _ = source.utterances[uid]
            windows = Windows(normaliser.frames(z), config.window, max(config.lags))
            keys.append(conditioning.keys(uid, windows)[scheme_index])
            dynamics.append(normaliser.dynamics(lag, windows.dynamics(lag, config.dynamics)))
        return np.concatenate(keys), np.concatenate(dynamics).astype(np.float64)

    excluded_somewhere = False
    for scheme_index, scheme in enumerate(conditioning.schemes):
        keys, d = collect(split.train, scheme_index, 2)
        values, counts = np.unique(keys, return_counts=True)
        effective = values[counts >= config.min_cluster_size]
        np.testing.assert_array_equal(analysis.effective[scheme_index], effective)
        assert len(effective) > 1
        excluded_somewhere |= len(effective) < len(values)
        inside = np.isin(keys, effective)
        means = {k: d[keys == k].mean(axis=0) for k in effective}
        grand = d[inside].mean(axis=0)
        within = sum(((d[keys == k] - means[k]) ** 2).sum() for k in effective)
        total = ((d[inside] - grand) ** 2).sum()
        n, k = inside.sum(), len(effective)
        r = row(analysis, scheme.name, lag=2)
        assert r["frames_train"] == n
        assert r["excluded_mass_train"] == pytest.approx(1 - n / len(keys))
        train_vr = (within / (n - k)) / (total / (n - 1))
        assert r["variance_ratio_train"]["value"] == pytest.approx(train_vr, rel=1e-5)

        held_keys, held = collect(split.eval, scheme_index, 2)
        kept = np.isin(held_keys, effective)
        held_within = sum(((held[held_keys == k] - means[k]) ** 2).sum() for k in effective)
        eval_vr = held_within / ((held[kept] - grand) ** 2).sum()
        assert r["variance_ratio_eval"]["value"] == pytest.approx(eval_vr, rel=1e-5)
        assert r["cross_speaker_degradation"]["value"] == pytest.approx((eval_vr - train_vr) / (1 - train_vr), rel=1e-4)
        assert r["variance_ratio_eval"]["ci_low"] <= r["variance_ratio_eval"]["value"] <= r["variance_ratio_eval"]["ci_high"]
    assert excluded_somewhere  # the exclusion of small keys is exercised


def test_results_do_not_depend_on_the_order_the_store_streams_in():
    source, split = generate("cyclic", speakers=5, per_speaker=3, frames=120, seed=3)
    config = small_config(bootstrap=20)

    class Reversed(ArrayFrames):
        def stream(self, ids):
            return super().stream(list(reversed(ids)))

    forward = analyse(source, split, config, progress=False)
    backward = analyse(Reversed(source.utterances), split, config, progress=False)
    for a, b in zip(forward.rows, backward.rows):
        for key in ("variance_ratio_train", "variance_ratio_eval", "random_variance_ratio_eval"):
            assert a[key]["value"] == pytest.approx(b[key]["value"], rel=1e-6)  # float32 sums within a block


def test_every_scheme_lag_and_slice_is_reported(cyclic):
    analysis, config = cyclic
    assert len(analysis.rows) == len(config.schemes) * len(config.lags) * len(SLICES)
    high = row(analysis, "mean_vq16", slice_name="high_energy")
    everything = row(analysis, "mean_vq16")
    assert 0.4 < high["frames_train"] / everything["frames_train"] < 0.6  # energies are random: about half
    assert set(analysis.speakers["mean_vq16"]["eval"]) == {"spk8", "spk9"}
