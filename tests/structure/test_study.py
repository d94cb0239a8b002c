"""``codecprobe structure`` end to end: pooled corpora, the store, the untrained control, the outputs,
and bad input refused before any work."""
import json

import pytest

from codecprobe.cli.main import main
from codecprobe.errors import InputError
from codecprobe.structure.data import load_data
from tests.fakes import write_tone_corpus
from tests.verify.test_study import TinyNet  # noqa: F401  (registers the "verify-tinynet" encoder)

SMALL = ["--set", "bootstrap=50", "--set", "fit_frames=3000", "--set", "min_cluster_size=10",
         "--set", "dynamics_codebook=8", "--set",
         "schemes=[{name: mean_vq8, kind: mean_vq, clusters: 8}, {name: pca2_quartile, kind: pca_bins, pca_dims: 2}]"]


@pytest.fixture(scope="module")
def corpora(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpora")
    write_tone_corpus(root / "one", speakers=("a", "b", "c", "d", "e"), per_speaker=3)
    write_tone_corpus(root / "two", speakers=("f", "g", "h"), per_speaker=2, seed=1)
    return root


def test_pooled_corpora_are_split_per_corpus_by_speaker(corpora):
    data = load_data([str(corpora / "one"), str(corpora / "two")], None, 0.8, 0)
    train = {data.split.speaker[i] for i in data.split.train}
    held_out = {data.split.speaker[i] for i in data.split.eval}
    assert not train & held_out
    assert len(train) == 4 + 2 and len(held_out) == 1 + 1  # round(0.8 * 5), round(0.8 * 3) per corpus
    assert {s.split("/")[0] for s in held_out} == {"one", "two"}
    assert [c["speakers_train"] for c in data.summary] == [4, 2]


def test_study_writes_every_output_and_labels_the_untrained_control(corpora, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["structure", "--corpus", str(corpora / "one"), str(corpora / "two"), "--encoder", "verify-tinynet",
                 "--also", "mfcc", "--store", str(tmp_path / "store"), "--out", str(out), "--lags", "1", "2",
                 "--quiet", *SMALL])
    assert code == 0
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 3  # the encoder, its control, mfcc
    assert printed[1].startswith("verify-tinynet:proj [random-init:seed=0 (UNTRAINED control: random init)]")
    assert all((" PASS " in line) or (" FAIL " in line) for line in printed)
    for name in ("report.md", "metrics.json", "decision.json", "config.yaml", "comparison.png",
                 "variance_ratio_verify-tinynet-proj-control.png", "cluster_sizes_mfcc-mfcc-encoder.png",
                 "speakers_verify-tinynet-proj-encoder.png"):
        assert (out / name).is_file(), name

    decision = json.loads((out / "decision.json").read_text())
    assert [(r["encoder"], r["role"], r["trained"]) for r in decision["runs"]] == [
        ("verify-tinynet", "encoder", True), ("verify-tinynet", "control", False), ("mfcc", "encoder", False)]
    assert [r["weights"] for r in decision["runs"]] == ["trained", "untrained", "none"]
    encoder = decision["runs"][0]
    assert encoder["control_decision"] == decision["runs"][1]["decision"]
    assert encoder["decision"] in ("PASS", "FAIL") and encoder["lag"] == 1
    names = [c["name"] for c in encoder["schemes"][0]["criteria"]]
    assert names[:3] == ["variance_ratio_train", "variance_ratio_eval", "cross_speaker_degradation"]
    assert {"random_baseline_train", "random_baseline_eval", "confound_medial_eval"} <= set(names)

    metrics = json.loads((out / "metrics.json").read_text())
    run = metrics["runs"][0]
    assert len(run["rows"]) == 2 * 2 * 3  # schemes x lags x slices
    assert {"variance_ratio_eval", "random_variance_ratio_train", "entropy_reduction_eval"} <= set(run["rows"][0])
    assert set(run["rows"][0]["variance_ratio_eval"]) == {"value", "ci_low", "ci_high"}
    assert metrics["config"]["lags"] == [1, 2] and metrics["provenance"]["versions"]["faiss-cpu"]

    report = (out / "report.md").read_text()
    assert "## Side by side (Tier 1 Exp 3)" in report
    assert "UNTRAINED control, random init: not the real model" in report
    assert "random-init:seed=0 (UNTRAINED control: random init)" in report
    # issue 18 item 9: table rows carry the short label, the full one is a footnote given once
    assert "| verify-tinynet:proj | verify-tinynet (random-init control)[^" in report
    assert report.count("]: random-init:seed=0 (UNTRAINED control: random init)") == 1

    # a rerun reads everything from the store and gives the same numbers
    assert main(["structure", "--corpus", str(corpora / "one"), str(corpora / "two"), "--encoder", "mfcc",
                 "--store", str(tmp_path / "store"), "--out", str(tmp_path / "again"), "--lags", "1", "2",
                 "--quiet", *SMALL]) == 0
    again = json.loads((tmp_path / "again" / "metrics.json").read_text())["runs"][0]["rows"]
    assert again == metrics["runs"][2]["rows"]


def test_bad_input_is_refused_before_any_work(corpora, tmp_path, capsys):
    store = tmp_path / "store"
    assert main(["structure", "--corpus", str(corpora / "one"), "--encoder", "mfcc", "--tap", "nope",
                 "--store", str(store), "--out", str(tmp_path / "o")]) == 2
    assert "has no tap(s) nope (--tap)" in capsys.readouterr().err
    assert not (store / "shards").exists() or not any((store / "shards").iterdir())

    write_tone_corpus(tmp_path / "solo", speakers=("only",), per_speaker=2)
    assert main(["structure", "--corpus", str(tmp_path / "solo"), "--encoder", "mfcc", "--store", str(store),
                 "--out", str(tmp_path / "o")]) == 2
    assert "solo: 1 labelled speaker(s)" in capsys.readouterr().err

    assert main(["structure", "--corpus", str(corpora / "one"), "--encoder", "mfcc", "--store", str(store),
                 "--out", str(tmp_path / "o"), "--set", "lags=[0]", "--set", "window=0"]) == 2
    err = capsys.readouterr().err
    assert "window must be >= 1" in err and "lags must be >= 1" in err


def test_pooled_corpora_need_distinct_segment_ids(tmp_path):
    write_tone_corpus(tmp_path / "x", speakers=("a", "b"), per_speaker=1)
    write_tone_corpus(tmp_path / "y", speakers=("a", "b"), per_speaker=1)
    with pytest.raises(InputError, match="also occurs in another corpus"):
        load_data([str(tmp_path / "x"), str(tmp_path / "y")], None, 0.8, 0)


def test_codecprobe_report_rerenders_the_structure_report_without_computing(corpora, tmp_path, monkeypatch):
    """Issue 17 item 1: results.json loads back into the same typed summary, and `codecprobe report OUT`
    writes the same report.md, byte for byte, with the analysis switched off."""
    from codecprobe.report.results import load_result
    from codecprobe.structure import study

    out = tmp_path / "out"
    assert main(["structure", "--corpus", str(corpora / "one"), "--encoder", "mfcc", "--store", str(tmp_path / "s"),
                 "--out", str(out), "--lags", "1", "--quiet", *SMALL]) == 0
    saved = load_result(out)
    metrics = json.loads((out / "metrics.json").read_text())
    assert [run.rows for run in saved.runs] == [run["rows"] for run in metrics["runs"]]
    primary = json.loads((out / "decision.json").read_text())["primary"]
    assert {k: primary[k] for k in saved.runs[0].decision} == saved.runs[0].decision
    original = (out / "report.md").read_bytes()
    (out / "report.md").unlink()

    def no_computation(*args, **kwargs):
        raise AssertionError("codecprobe report must not compute")

    monkeypatch.setattr(study, "run_structure", no_computation)
    monkeypatch.setattr(study, "analyse", no_computation)
    assert main(["report", str(out)]) == 0
    assert (out / "report.md").read_bytes() == original
