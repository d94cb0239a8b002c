"""``codecprobe nextlatent`` end to end (tiny models, a few steps), resume, and learning on sequences of
known structure."""
import json

import pytest

from codecprobe.cli.main import main
from codecprobe.encoders import EncoderIdentity
from codecprobe.nextlatent.config import ModelConfig, NextLatentConfig
from codecprobe.nextlatent.study import run_tap
from codecprobe.store import LatentStore
from codecprobe.store.latent_store import NewEntry
from codecprobe.structure.config import SchemeConfig
from codecprobe.structure.data import StudyData
from codecprobe.structure.synthetic import generate
from codecprobe.train import TrainerConfig
from tests.fakes import write_tone_corpus

TINY = ["--set", "trainer.max_steps=6", "--set", "trainer.batch_size=16", "--set", "trainer.warmup_steps=2",
        "--set", "trainer.val_every_steps=3", "--set", "trainer.checkpoint_every_steps=3", "--set", "bootstrap=20",
        "--set", "fit_frames=1000", "--set", "model.hidden=8", "--set", "model.layers=1",
        "--set", "key_scheme={name: mean_vq8, kind: mean_vq, clusters: 8}"]


def test_study_trains_every_system_resumes_and_reports(tmp_path, capsys, monkeypatch):
    write_tone_corpus(tmp_path / "corpus", speakers=("a", "b", "c", "d", "e"), per_speaker=2)
    out = tmp_path / "out"
    args = ["nextlatent", "--corpus", str(tmp_path / "corpus"), "--encoder", "mfcc", "--store", str(tmp_path / "s"),
            "--out", str(out), "--quiet", *TINY]
    assert main(args) == 0
    line = capsys.readouterr().out
    assert line.startswith("mfcc:mfcc [no weights (librosa:") and "Exp 2: key mean_vq8 injected" in line
    results = json.loads((out / "results.json").read_text())
    (run,) = results["runs"]
    assert [r["system"] for r in run["nll"]] == ["unconditional gaussian", "gaussian", "vmf", "vmf+key",
                                                 "vmf+random_key"]
    assert all(s["global_step"] == 6 for s in run["systems"])
    assert [c["from"] for c in run["comparisons"]] == ["unconditional gaussian", "gaussian", "vmf", "vmf"]
    for name in ("report.md", "config.yaml", "nll_mfcc-mfcc-encoder.png", "training_mfcc-mfcc-encoder.png"):
        assert (out / name).is_file()
    checkpoints = out / "runs" / "mfcc-mfcc-encoder" / "systems"
    assert {p.name for p in checkpoints.iterdir()} == {"gaussian", "vmf", "vmf+key", "vmf+random_key"}
    modified = (checkpoints / "vmf" / "last.ckpt").stat().st_mtime_ns

    # rerun with more steps: each system resumes from step 6 instead of starting again
    assert main([*args, "--set", "trainer.max_steps=9"]) == 0
    capsys.readouterr()
    again = json.loads((out / "results.json").read_text())["runs"][0]
    assert all(s["global_step"] == 9 for s in again["systems"])
    attempts = json.loads((checkpoints / "vmf" / "logs" / "attempts.json").read_text())
    assert attempts == {"0": 0, "1": 6}
    assert (checkpoints / "vmf" / "last.ckpt").stat().st_mtime_ns > modified

    from codecprobe.report.results import load_result

    assert load_result(out).runs[0].systems == again["systems"]
    assert [c.get("reading") for c in again["comparisons"]] == [
        "lower" if c["nll_decrease_per_frame"]["ci_low"] > 0 else
        "higher" if c["nll_decrease_per_frame"]["ci_high"] < 0 else "no clear change" for c in again["comparisons"]]
    assert_report_rerenders(out, monkeypatch)


def assert_report_rerenders(out, monkeypatch):
    """Issue 17 item 1: `codecprobe report OUT` writes the same report from results.json, computing nothing."""
    from codecprobe.nextlatent import study
    from codecprobe.train.run import TrainingRun

    original = (out / "report.md").read_bytes()
    (out / "report.md").unlink()

    def no_computation(*args, **kwargs):
        raise AssertionError("codecprobe report must not compute")

    monkeypatch.setattr(study, "run_nextlatent", no_computation)
    monkeypatch.setattr(TrainingRun, "fit", no_computation)
    assert main(["report", str(out)]) == 0
    assert (out / "report.md").read_bytes() == original


# -- Tier 1 Exp 3: several encoders on the same utterances ----------------------------------
def test_two_encoders_run_on_the_same_utterances_in_comparable_units(tmp_path, capsys, monkeypatch):
    """mfcc (20 dims, 100 Hz) and logmel with an 80 ms hop (40 dims, 12.5 Hz, Mimi's rate) in one run."""
    from codecprobe.nextlatent.report import across_table
    from codecprobe.report.results import load_result
    from codecprobe.structure.data import load_data

    corpus = tmp_path / "corpus"
    write_tone_corpus(corpus, speakers=("a", "b", "c", "d", "e"), per_speaker=3)
    assert load_data([str(corpus)], None, 0.8, 0).split.eval == ["b/b_0", "b/b_1", "b/b_2"]
    config = tmp_path / "encoders.yaml"
    config.write_text("encoders:\n  - {encoder: mfcc}\n  - {encoder: logmel, settings: {hop_s: 0.08}}\nwindow: 11\n")
    out = tmp_path / "out"
    assert main(["nextlatent", "--corpus", str(corpus), "--config", str(config), "--store", str(tmp_path / "s"),
                 "--out", str(out), "--quiet", *TINY]) == 0
    assert [line.split(" [")[0] for line in capsys.readouterr().out.splitlines()] == ["mfcc:mfcc", "logmel:logmel"]
    results = json.loads((out / "results.json").read_text())
    runs, across = results["runs"], results["across"]
    assert [(r["encoder"], r["frame_rate"], r["dim"]) for r in runs] == [("mfcc", 100.0, 20), ("logmel", 12.5, 40)]
    # b_0 (0.81 s) has 11 logmel frames, none with 11 frames of context and 1 ahead; b_1 and b_2 have anchors in both
    assert across["utterances"] == ["b/b_1", "b/b_2"] and across["left_out"] == ["b/b_0"]
    systems = ["unconditional gaussian", "gaussian", "vmf", "vmf+key", "vmf+random_key"]
    assert [(r["run"], r["system"]) for r in across["rows"]] == [(i, s) for i in (0, 1) for s in systems]
    assert [(d["run"], d["from"], d["to"]) for d in across["differences"]] == [
        (i, a, b) for i in (0, 1) for a, b in (("gaussian", "vmf"), ("vmf+random_key", "vmf+key"))]

    def close(a, b):
        assert a == pytest.approx(b, rel=1e-9, abs=1e-12)

    for index, run in enumerate(runs):
        rows = {r["system"]: r for r in across["rows"] if r["run"] == index}
        for row in rows.values():
            for field in ("value", "ci_low", "ci_high"):  # per second = per frame x rate; per dim = per frame / dims
                close(row["nll_per_second"][field], row["nll_per_frame"][field] * run["frame_rate"])
                close(row["nll_per_dim"][field], row["nll_per_frame"][field] / run["dim"])
            if row["system"] != "unconditional gaussian":
                gain = rows["unconditional gaussian"]["nll_per_frame"]["value"] - row["nll_per_frame"]["value"]
                close(row["gain_per_second"]["value"], gain * run["frame_rate"])
                close(row["gain_per_dim"]["value"], gain / run["dim"])
        for d in (d for d in across["differences"] if d["run"] == index):
            decrease = rows[d["from"]]["nll_per_frame"]["value"] - rows[d["to"]]["nll_per_frame"]["value"]
            close(d["nll_decrease_per_frame"]["value"], decrease)
            close(d["nll_decrease_per_second"]["value"], decrease * run["frame_rate"])
            close(d["nll_decrease_per_dim"]["value"], decrease / run["dim"])
    report = (out / "report.md").read_text()
    assert "## Across encoders (Tier 1 Exp 3)" in report and "across_encoders.png" in report
    assert (out / "across_encoders.png").is_file()
    assert {p.name for p in (out / "runs").iterdir()} == {"mfcc-mfcc-encoder", "logmel-logmel-encoder"}

    # an untrained run says so in the table cell itself, not only in a footnote
    summary = load_result(out)
    summary.runs[1].weights_id, summary.runs[1].trained, summary.runs[1].weights = "random-init:seed=0", False, "untrained"
    assert across_table(summary).rows[5][1].text == "UNTRAINED logmel (random-init control)"
    assert_report_rerenders(out, monkeypatch)


def test_also_adds_encoders_and_a_trained_encoders_control_joins_the_comparison(tmp_path, capsys):
    """--encoder with --also (no config): a trained neural encoder, its UNTRAINED control and mfcc in one comparison."""
    from tests.verify.test_study import TinyNet  # noqa: F401  (registers the "verify-tinynet" encoder)

    write_tone_corpus(tmp_path / "corpus", speakers=("a", "b", "c", "d", "e"), per_speaker=2)
    out = tmp_path / "out"
    assert main(["nextlatent", "--corpus", str(tmp_path / "corpus"), "--encoder", "verify-tinynet", "--also", "mfcc",
                 "--store", str(tmp_path / "s"), "--out", str(out), "--quiet", *TINY,
                 "--set", "systems=[gaussian, vmf]"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert [line.split(" [")[0] for line in printed] == ["verify-tinynet:proj"] * 2 + ["mfcc:mfcc"]
    assert "[random-init:seed=0 (UNTRAINED control: random init)]" in printed[1] and "UNTRAINED" not in printed[0]
    results = json.loads((out / "results.json").read_text())
    assert [(r["encoder"], r["role"], r["trained"], r["frame_rate"], r["dim"]) for r in results["runs"]] == [
        ("verify-tinynet", "encoder", True, 200.0, 6), ("verify-tinynet", "control", False, 200.0, 6),
        ("mfcc", "encoder", False, 100.0, 20)]
    assert {p.name for p in (out / "runs").iterdir()} == {
        "verify-tinynet-proj-encoder", "verify-tinynet-proj-control", "mfcc-mfcc-encoder"}
    across = results["across"]
    assert [(r["run"], r["system"]) for r in across["rows"]] == [
        (i, s) for i in (0, 1, 2) for s in ("unconditional gaussian", "gaussian", "vmf")]
    assert [d["run"] for d in across["differences"]] == [0, 1, 2]  # Exp 1 only: no key systems were run
    report = (out / "report.md").read_text()
    across_section = report.split("## Across encoders (Tier 1 Exp 3)")[1].split("\n## ")[0]
    control_rows = [line for line in across_section.splitlines() if "random-init control" in line]
    assert len(control_rows) == 3 + 1  # the control's three systems, and its Exp 1 difference
    assert all("UNTRAINED verify-tinynet (random-init control)" in line for line in control_rows)


def test_bad_encoder_lists_are_refused_in_one_line_before_any_work(tmp_path, capsys):
    write_tone_corpus(tmp_path / "corpus", speakers=("a", "b"), per_speaker=1)
    base = ["nextlatent", "--corpus", str(tmp_path / "corpus"), "--store", str(tmp_path / "s"), "--out",
            str(tmp_path / "o")]
    bad = tmp_path / "bad.yaml"
    cases = [(["--encoder", "mfcc", "--also", "logmel:nope"], "encoder 'logmel' has no tap(s) nope"),
             (["--encoder", "mfcc", "--also", "mfcc"], "encoders: mfcc:mfcc runs twice as the encoder"),
             (["--config", str(bad)], "unknown key(s) ['tapz'] for EncoderSpec"),
             (["--set", "encoders=[]"], "no encoder given")]
    bad.write_text("encoders:\n  - {encoder: mfcc}\n  - {encoder: logmel, tapz: [logmel]}\n")
    for args, message in cases:
        assert main([*base, *args]) == 2
        error = capsys.readouterr().err.strip()
        assert len(error.splitlines()) == 1 and message in error and "Traceback" not in error, error
    assert not (tmp_path / "o").exists() and not (tmp_path / "s").exists()


def test_bad_input_is_refused_before_any_work(tmp_path, capsys):
    write_tone_corpus(tmp_path / "corpus", speakers=("a", "b"), per_speaker=1)
    assert main(["nextlatent", "--corpus", str(tmp_path / "corpus"), "--encoder", "mfcc", "--tap", "nope",
                 "--store", str(tmp_path / "s"), "--out", str(tmp_path / "o")]) == 2
    assert "has no tap(s) nope (--tap)" in capsys.readouterr().err
    assert main(["nextlatent", "--corpus", str(tmp_path / "corpus"), "--encoder", "mfcc", "--out", str(tmp_path / "o"),
                 "--set", "lag=0"]) == 2
    assert "window and lag must be >= 1" in capsys.readouterr().err


@pytest.mark.slow
def test_models_learn_the_dynamics_of_a_hidden_cluster_walk(tmp_path):
    """On the walk whose steps the hidden side decides, both heads learn to beat the unconditional Gaussian."""
    source, split = generate("cyclic", speakers=5, per_speaker=4, frames=150, dim=6, noise=0.05, train_speakers=4)
    identity = EncoderIdentity("walk", "none", True, {})
    with LatentStore(tmp_path / "store") as store:
        store.put_many(identity, [NewEntry(uid, "z", "f", z, 12.5) for uid, (z, _) in source.utterances.items()])
        config = NextLatentConfig(
            corpora=["walk"], systems=["gaussian", "vmf"], key_scheme=SchemeConfig("mean_vq8", "mean_vq", clusters=8),
            fit_frames=2000, bootstrap=50, model=ModelConfig(hidden=32, layers=2),
            trainer=TrainerConfig(max_steps=150, batch_size=64, warmup_steps=10, learning_rate=3e-3,
                                  val_every_steps=75, checkpoint_every_steps=75, progress=False, threads=1))
        data = StudyData([], split, {}, [], "generated")
        run = run_tap(store, "encoder", identity, "z", data, config, tmp_path / "out", progress=False)
    nll = {r["system"]: r["nll_per_frame"]["value"] for r in run.rows}
    assert nll["gaussian"] < nll["unconditional gaussian"] - 2  # measured: 2.7 nats lower after 150 steps
    assert nll["vmf"] < nll["unconditional gaussian"] - 1  # measured: 1.7
    context = next(c for c in run.comparisons if c["to"] == "gaussian")["nll_decrease_per_frame"]
    assert context["ci_low"] > 0


def test_setting_one_trainer_key_keeps_the_short_run_defaults():
    """``--set trainer.max_steps=...`` builds the trainer section anew: it must start from this study's defaults."""
    from codecprobe.config import load_config

    config = load_config(NextLatentConfig, None, ["trainer.max_steps=25000"])
    assert (config.trainer.max_steps, config.trainer.batch_size, config.trainer.warmup_steps,
            config.trainer.threads) == (25000, 128, 50, 1)
    assert NextLatentConfig().trainer.batch_size == 128
