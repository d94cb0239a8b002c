"""The refinement study end to end on generated conversations (tone voices, MFCC frames), and
``codecprobe refine`` applying its checkpoint: a refiner trained a few steps beats the unrefined
hypothesis on held-out recordings, refined RTTMs are valid, and bad input is refused before work."""
import json

import numpy as np
import pytest

from codecprobe.cli.main import main
from codecprobe.config import load_config
from codecprobe.refine.config import RefineStudyConfig
from codecprobe.refine.data import BoundaryWindows
from codecprobe.refine.study import IDENTITY, load_refiner, run_study, write_refine
from codecprobe.data.rttm import read_rttm
from codecprobe.train.fit import BEST, LAST
from tests.diarize.conversations import write_conversations

TINY = ["refiner.d_model=16", "refiner.layers=1", "refiner.heads=2", "refiner.feedforward=32", "refiner.mlp_hidden=64",
        "refiner.diffusion_steps=10", "refiner.sampling_steps=2", "refiner.samples=3",
        "window_s=2", "max_offset_s=0.5", "jitter.scale_s=0.15", "jitter.max_s=0.4",
        "trainer.batch_size=32", "trainer.warmup_steps=5", "trainer.learning_rate=0.003", "trainer.progress=false",
        "trainer.val_every_steps=1000", "val_fraction=0", "speakers.embedding={encoder: mfcc}",
        "systems=[{name: mfcc, inputs: [{encoder: mfcc}]}]"]


@pytest.fixture(scope="module")
def corpora(tmp_path_factory):
    root = tmp_path_factory.mktemp("conversations")
    write_conversations(root / "train", 10, seed=1)
    write_conversations(root / "test", 3, speakers=("dan", "eve", "ann"), seed=2, prefix="test")
    return root


def tiny_config(corpora, store, *overrides):
    return load_config(RefineStudyConfig, None, [f"train_corpus={corpora / 'train'}",
                                                 f"evals=[{{name: held-out, corpora: [{corpora / 'test'}]}}]",
                                                 f"store={store}", *TINY, *overrides])


@pytest.fixture(scope="module")
def mlp_study(corpora, tmp_path_factory):
    out = tmp_path_factory.mktemp("study")
    config = tiny_config(corpora, out / "store", "variants=[mlp]", "trainer.max_steps=60")
    result = run_study(config, out, progress=False)
    return result, write_refine(result, out).to_dict(), out


def test_a_refiner_trained_a_few_steps_beats_the_unrefined_hypothesis(mlp_study):
    result, results, out = mlp_study
    rows = {r["variant"]: r for r in results["evaluations"]}
    before, after = rows[IDENTITY]["boundaries"]["all"], rows["mlp"]["boundaries"]["all"]
    assert before["n"] == after["n"] > 100  # the same matched boundaries, before and after
    assert after["mae_s"] < 0.9 * before["mae_s"]
    assert rows["mlp"]["mae_change_pct"] == pytest.approx(100 * (1 - after["mae_s"] / before["mae_s"]))
    [gate] = results["gates"]
    assert gate["best"] == "mfcc mlp" and gate["verdict"] == result.config.gate.verdict(gate["improvement_pct"])
    # the jittered evaluation hypotheses are drawn apart from training's: none is a copy of a training one
    assert {h.recording_id for h in result.sets["held-out"].examples.hypotheses}.isdisjoint(
        h.recording_id for h in result.sets["train"].examples.hypotheses)
    report = (out / "report.md").read_text()
    assert "| mfcc | mlp |" in report and "Gate (seed 003" in report and (out / "errors-held-out.png").is_file()


def test_refined_rttms_are_valid(mlp_study):
    _, _, out = mlp_study
    refined = read_rttm(out / "rttm" / "held-out" / "mfcc-mlp.rttm")
    unrefined = read_rttm(out / "rttm" / "held-out" / f"{IDENTITY}.rttm")
    assert set(refined) == set(unrefined) and len(refined) == 3 * 4  # 3 recordings x 4 jittered copies (EvalSet.copies)
    for turns in refined.values():
        assert np.all(turns.duration > 0)
        for label in set(turns.labels):
            mine = np.array([t.speaker == label for t in turns])
            order = np.argsort(turns.start[mine])
            assert np.all(turns.start[mine][order][1:] >= turns.end[mine][order][:-1] - 1e-9)


def test_every_variant_trains_on_fused_taps_and_reloads_from_its_checkpoint(corpora, mlp_study, tmp_path):
    _, _, out = mlp_study
    config = tiny_config(corpora, out / "store", "trainer.max_steps=2", "variants=[transformer, diffusion, contrastive]",
                         "systems=[{name: fused, inputs: [{encoder: mfcc}, {encoder: logmel}]}]")
    result = run_study(config, tmp_path, progress=False)
    held_out = result.sets["held-out"]
    bank = held_out.banks["fused"]
    assert result.systems[0].rate == 100.0 and len(bank.dims) == 2  # MFCC and log-mel side by side at 100 Hz
    for variant in ("transformer", "diffusion", "contrastive"):
        folder = tmp_path / "systems" / "fused" / variant
        assert (folder / LAST).is_file()
        module = load_refiner(folder / (BEST if (folder / BEST).is_file() else LAST))
        assert module.variant == variant and module.describe()["trained_encoders"]
        assert [i["encoder"] for i in module.hparams.inputs] == ["mfcc", "logmel"]
        assert [i["dim"] for i in module.hparams.inputs] == list(bank.dims)
        windows = BoundaryWindows(held_out.examples, bank, module.window_frames, np.arange(40))
        first, again = module.predict(windows), module.predict(windows)
        np.testing.assert_array_equal(first, again)  # V3 samples from fixed quantiles: no randomness
        assert np.all(np.isfinite(first)) and np.all(np.abs(first) <= config.window_s / 2)


def test_refine_applies_a_checkpoint_to_hypothesis_rttms(corpora, mlp_study, tmp_path, capsys):
    _, _, out = mlp_study
    reference = read_rttm(corpora / "test" / "test000.rttm")["test000"]
    hypothesis = tmp_path / "hyp.rttm"
    hypothesis.write_text("".join(f"SPEAKER test000 1 {t.start - 0.1:.3f} {t.duration:.3f} <NA> <NA> s{t.speaker} "
                                  "<NA> <NA>\n" for t in reference))
    code = main(["refine", "--model", str(out / "systems" / "mfcc" / "mlp" / LAST), "--hyp", str(hypothesis),
                 "--corpus", str(corpora / "test"), "--store", str(out / "store"), "--out", str(tmp_path / "out"),
                 "--quiet"])
    assert code == 0
    refined = read_rttm(tmp_path / "out" / "refined.rttm")["test000"]
    assert len(refined) == len(reference) and np.all(refined.duration > 0)
    results = json.loads((tmp_path / "out" / "refine.json").read_text())["results"]
    before = results[0]["boundaries"]["all"]
    assert results[0]["variant"] == IDENTITY and before["n"] == 2 * len(reference)
    assert before["mae_s"] == pytest.approx(0.1, abs=1e-6)  # every boundary was moved 100 ms early
    assert "boundary MAE 100 ms" in capsys.readouterr().out


def test_refine_refuses_bad_input_before_work(corpora, mlp_study, tmp_path, capsys):
    _, _, out = mlp_study
    hypothesis = tmp_path / "hyp.rttm"
    hypothesis.write_text("SPEAKER nosuch 1 0.5 1.0 <NA> <NA> A <NA> <NA>\n")
    model = str(out / "systems" / "mfcc" / "mlp" / LAST)
    argv = ["refine", "--model", model, "--hyp", str(hypothesis), "--corpus", str(corpora / "test"),
            "--store", str(tmp_path / "store"), "--out", str(tmp_path / "out")]
    assert main(argv) == 2
    assert "'nosuch' is no recording" in capsys.readouterr().err and not (tmp_path / "store").exists()
    assert main(["refine", "--model", model, "--out", str(tmp_path / "out")]) == 2
    assert "--model, --hyp and --corpus together" in capsys.readouterr().err
    assert main(["refine", "--train-corpus", str(corpora / "train"), "--out", str(tmp_path / "o"),
                 "--set", "jitter.max_s=2"]) == 2
    assert "jitter.max_s" in capsys.readouterr().err


def test_refine_options_take_several_values_like_tap():
    from codecprobe.cli.main import build_parser

    args = build_parser().parse_args(["refine", "--out", "o", "--eval-corpus", "a", "b", "--eval-corpus", "c",
                                      "--variant", "mlp", "contrastive", "--hyp", "x.rttm", "--hyp", "y"])
    assert [str(p) for p in args.eval_corpora] == ["a", "b", "c"] and args.variants == ["mlp", "contrastive"]
    assert args.hypotheses == ["x.rttm", "y"]


def test_codecprobe_report_rerenders_the_refine_report_without_computing(mlp_study, monkeypatch):
    """Issue 17 item 1: results.json loads back into the same RefineResult, and `codecprobe report OUT` writes
    the same report.md, byte for byte, with training and evaluation switched off."""
    from codecprobe.cli.main import main
    from codecprobe.refine import study
    from codecprobe.report.results import load_result

    _, results, out = mlp_study
    saved = load_result(out)
    assert type(saved).__name__ == "RefineResult" and saved.gates == results["gates"]
    original = (out / "report.md").read_bytes()
    (out / "report.md").unlink()

    def no_computation(*args, **kwargs):
        raise AssertionError("codecprobe report must not compute")

    for name in ("run_study", "train_refiner", "evaluate_all"):
        monkeypatch.setattr(study, name, no_computation)
    assert main(["report", str(out)]) == 0
    assert (out / "report.md").read_bytes() == original
