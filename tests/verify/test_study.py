"""The verify/diagnose pipelines end to end on a tiny generated corpus, checked against a
direct computation (encode, mean-pool, center, cosine, EER) that bypasses the store."""
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from codecprobe.cli.main import main
from codecprobe.data import load_corpus
from codecprobe.encoders import BuildOptions, build_encoder, register
from codecprobe.encoders.base import Encoder, EncoderIdentity
from codecprobe.verify import metrics
from codecprobe.encoders.spec import EncoderSpec
from codecprobe.verify.config import PLDAConfig, StudyConfig, WeightedSumConfig
from codecprobe.verify.study import run_verify, split_data, write_verify
from tests.cli.test_help import snake_case_keys
from tests.fakes import write_pitch_corpus

SPEAKERS = {"ann": 220.0, "bob": 330.0, "cat": 440.0, "dan": 550.0}


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory):
    """speaker-folders corpus: 4 speakers x 3 half-second files, each speaker a tone plus noise."""
    return write_pitch_corpus(tmp_path_factory.mktemp("corpus"), SPEAKERS, per_speaker=3)


class TinyNet(Encoder):
    """A 'neural' encoder: frames of 8 samples through a fixed projection (its weights)."""

    name = "verify-tinynet"
    sample_rate = 16000

    def __init__(self, options: BuildOptions):
        rng = np.random.default_rng(1234 if not options.random_init else options.seed)
        self.weights = rng.normal(size=(80, 6))
        self._trained = not options.random_init
        self._id = f"random-init:seed={options.seed}" if options.random_init else "tiny-v1"

    taps = ("proj", "abs")
    default_taps = ("proj",)

    def identity(self):
        return EncoderIdentity(self.name, self._id, self._trained, {})

    def encode_batch(self, audios, taps):
        out = []
        for audio in audios:
            frames = audio[: len(audio) // 80 * 80].reshape(-1, 80) @ self.weights
            out.append({tap: self.frames(frames if tap == "proj" else np.abs(frames), 200.0, tap) for tap in taps})
        return out


register("verify-tinynet")(TinyNet)


def config(corpus_dir, tmp_path, **changes):
    return StudyConfig(corpus=str(corpus_dir), encoders=[EncoderSpec("mfcc")], ceilings=[], store=str(tmp_path / "store"), **changes)


def test_seeded_speaker_split_is_disjoint(corpus_dir, tmp_path):
    split = split_data(config(corpus_dir, tmp_path))
    train = {s.speaker for s in split.train_segments}
    evaluated = {s.speaker for s in split.eval_segments}
    assert len(train) == len(evaluated) == 2 and not train & evaluated
    assert (len(split.trials), split.trials.n_target) == (15, 6)  # 6 segments; 2 x (3 choose 2) same-speaker
    assert split.train_corpus is split.corpus


def test_verify_equals_a_direct_computation(corpus_dir, tmp_path):
    result = run_verify(config(corpus_dir, tmp_path, backends=["cosine", "center"]), progress=False)
    split = result.split
    encoder = build_encoder("mfcc")
    corpus = load_corpus(corpus_dir)

    def embed(segments):
        return np.stack([encoder.encode(sf.read(corpus.audio_path(s.recording_id), dtype="float32")[0])["mfcc"]
                         .frames.mean(axis=0) for s in segments])

    X, X_train = embed(split.eval_segments), embed(split.train_segments)
    ids = [s.id for s in split.eval_segments]
    a = X[[ids.index(i) for i in split.trials.enroll]] - X_train.mean(axis=0)
    b = X[[ids.index(i) for i in split.trials.test]] - X_train.mean(axis=0)
    scores = (a * b).sum(axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    center = next(r for r in result.rows if r.backend == "center")
    np.testing.assert_allclose(center.scores, scores, atol=1e-5)
    assert center.eer == pytest.approx(100 * metrics.eer(scores, split.trials.labels), abs=1e-6)
    assert [r.role for r in result.rows] == ["encoder", "encoder"]  # mfcc has no weights: no control
    assert "baseline without weights" in result.plans[0].control_note


def test_trained_encoder_gets_an_untrained_control_in_every_output(corpus_dir, tmp_path):
    out = tmp_path / "out"
    code = main(["verify", "--no-ceilings", "--corpus", str(corpus_dir), "--encoder", "verify-tinynet", "--store", str(tmp_path / "s"),
                 "--out", str(out), "--backend", "cosine", "--backend", "center", "--backend", "probe",
                 "--set", "probe.max_epochs=20", "--quiet"])
    assert code == 0
    results = json.loads((out / "results.json").read_text())
    (entry,) = results["encoders"]
    assert entry["encoder"]["weights_id"] == "tiny-v1" and entry["encoder"]["trained"] is True
    assert entry["control"]["weights_id"] == "random-init:seed=0" and entry["control"]["trained"] is False
    assert {"eer", "min_dcf", "mean_pos", "mean_neg", "n_trials"} <= set(results)
    assert set(results["min_dcf"]) == {"0.01", "0.05"}
    assert results["n_trials"] == 15
    assert results["config"]["probe"]["max_epochs"] == 20
    rows = results["results"]
    assert [(r["role"], r["backend"]) for r in rows] == [
        (role, b) for role in ("encoder", "control") for b in ("cosine", "center", "probe")]
    assert all("against_control" in r for r in rows if r["role"] == "encoder")
    assert rows[2]["training_accuracy"] is not None
    assert snake_case_keys(results) == []  # item 15
    report = (out / "report.md").read_text()
    assert "random-init:seed=0 (UNTRAINED control: random init)" in report and "untrained control" in report
    assert {"det.png", "scores.png", "config.yaml"} <= {p.name for p in out.iterdir()}


def test_random_init_run_is_itself_the_control(corpus_dir, tmp_path):
    result = run_verify(StudyConfig(corpus=str(corpus_dir), encoders=[EncoderSpec("verify-tinynet", random_init=True)], ceilings=[],
                                    store=str(tmp_path / "s"), backends=["cosine"]), progress=False)
    assert [r.role for r in result.rows] == ["encoder"]
    assert result.rows[0].identity.trained is False
    assert "itself the untrained control" in result.plans[0].control_note


def test_sweep_over_taps_writes_a_sweep_plot(corpus_dir, tmp_path):
    out = tmp_path / "sweep"
    assert main(["verify", "--no-ceilings", "--corpus", str(corpus_dir), "--encoder", "verify-tinynet", "--sweep", "--no-control",
                 "--store", str(tmp_path / "s"), "--out", str(out), "--quiet"]) == 0
    results = json.loads((out / "results.json").read_text())
    assert [(r["tap"], r["backend"]) for r in results["results"]] == [
        ("proj", "cosine"), ("proj", "center"), ("abs", "cosine"), ("abs", "center")]
    assert (out / "sweep.png").exists()


def test_diagnose_command(corpus_dir, tmp_path):
    out = tmp_path / "diag"
    assert main(["diagnose", "--no-ceilings", "--corpus", str(corpus_dir), "--encoder", "mfcc", "--store", str(tmp_path / "s"),
                 "--out", str(out), "--quiet"]) == 0
    results = json.loads((out / "results.json").read_text())
    assert [r["backend"] for r in results["results"]] == ["cosine", "center"]
    assert results["results"][0]["n_segments"] == 6 and results["results"][0]["acoustics_score"] is None
    assert "not measurable" in results["results"][0]["verdicts"]["acoustics_score"]
    assert {"fisher.png", "variance.png", "report.md"} <= {p.name for p in out.iterdir()}


def test_unknown_file_in_trial_list_is_reported_with_file_and_line(corpus_dir, tmp_path, capsys):
    trials = tmp_path / "trials.txt"
    trials.write_text("1 ann/u0.wav ann/u1.wav\n0 ann/u0.wav eve/u9.wav\n")
    code = main(["verify", "--no-ceilings", "--corpus", str(corpus_dir), "--encoder", "mfcc", "--trials", str(trials),
                 "--store", str(tmp_path / "s"), "--out", str(tmp_path / "o"), "--quiet"])
    assert code == 2
    assert "trials.txt:2: eve/u9.wav is not a segment of the corpus" in capsys.readouterr().err


def test_trial_list_speakers_are_kept_out_of_fitting(corpus_dir, tmp_path):
    trials = tmp_path / "trials.txt"
    trials.write_text("1 ann/u0.wav ann/u1.wav\n0 ann/u0.wav bob/u2.wav\n1 bob/u0.wav bob/u2.wav\n")
    split = split_data(config(corpus_dir, tmp_path, trials=str(trials)))
    assert {s.speaker for s in split.train_segments} == {"cat", "dan"}
    assert len(split.trials) == 3 and "no trial names" in split.description


def test_real_speech_vctk_with_mfcc(shared_data, tmp_path):
    """Regression on real speech: 4 VCTK speakers, 2 held out for fitting, 190 trials of the other 2."""
    result = run_verify(StudyConfig(corpus=str(shared_data / "vctk-autovc"), encoders=[EncoderSpec("mfcc")], ceilings=[],
                                    store=str(tmp_path / "s"), backends=["cosine"]), progress=False)
    row = result.rows[0]
    assert (row.summary.n_trials, row.summary.n_target) == (190, 90)
    assert row.eer == pytest.approx(100 / 6, abs=1e-9)  # regression: measured 2026-11
    assert row.summary.score_min > 0.98  # raw MFCC means share one dominant direction


def test_vad_pooling_ignores_added_silence(shared_data, tmp_path):
    """With --vad, padding an utterance with seconds of silence barely moves its pooled embedding;
    without it, the silence frames pull the mean away."""
    from codecprobe.audio import read_audio
    from codecprobe.store import LatentStore
    from codecprobe.verify.study import EmbeddingSource

    source_file = shared_data / "vctk-autovc" / "p225" / "p225_003.wav"
    audio, rate = read_audio(source_file)
    (tmp_path / "c" / "p225").mkdir(parents=True)
    silence = np.zeros(2 * rate, np.float32) + 1e-4 * np.random.default_rng(0).standard_normal(2 * rate).astype(np.float32)
    sf.write(tmp_path / "c" / "p225" / "plain.wav", audio, rate)
    sf.write(tmp_path / "c" / "p225" / "padded.wav", np.concatenate([silence, audio, silence]), rate)
    corpus = load_corpus(tmp_path / "c")
    encoder = build_encoder("mfcc")
    segments = sorted(corpus.segments(), key=lambda s: s.id)  # padded, plain

    def distance(vad: bool) -> float:
        config = StudyConfig(corpus=str(corpus.root), encoders=[EncoderSpec("mfcc")], ceilings=[], vad=vad, store=str(tmp_path / "store"))
        with LatentStore(config.store) as store:
            embeddings = EmbeddingSource(encoder, store, config, progress=False)
            embeddings.extract(corpus, ["mfcc"])
            padded, plain = embeddings.embeddings(corpus, segments, "mfcc")
        return float(np.linalg.norm(padded - plain) / np.linalg.norm(plain))

    with_vad, without_vad = distance(True), distance(False)
    assert with_vad < 0.05
    assert without_vad > 4 * with_vad


def test_checks_that_need_no_work_run_before_any_work(corpus_dir, tmp_path, capsys):
    """Item 7: a back-end without disjoint speakers, an unknown tap, a missing trial list: refused before extraction,
    in one line that names the option that fixes it."""
    every_speaker = tmp_path / "trials.txt"
    every_speaker.write_text("".join(f"{int(a[:3] == b[:3])} {a} {b}\n" for a, b in
                                     [("ann/u0.wav", "ann/u1.wav"), ("ann/u0.wav", "bob/u0.wav"),
                                      ("cat/u0.wav", "dan/u0.wav"), ("cat/u1.wav", "cat/u2.wav")]))
    common = ["--no-ceilings", "--corpus", str(corpus_dir), "--encoder", "mfcc", "--store", str(tmp_path / "s"), "--out",
              str(tmp_path / "o"), "--quiet"]
    assert main(["verify", *common, "--trials", str(every_speaker), "--backend", "cosine", "center"]) == 2
    assert (f"back-end(s) center must be fitted on speakers disjoint from the trials, and none of {corpus_dir.name} "
            "is left for it: give --train-corpus DIR (or --backend cosine)") in capsys.readouterr().err
    assert main(["diagnose", *common, "--tap", "mel"]) == 2
    assert "encoder 'mfcc' has no tap(s) mel (--tap); its taps: mfcc" in capsys.readouterr().err
    assert main(["verify", *common, "--trials", str(tmp_path / "missing.txt")]) == 2
    assert "missing.txt: cannot read trial list" in capsys.readouterr().err
    assert not (tmp_path / "s" / "shards").exists() or not any((tmp_path / "s" / "shards").iterdir())  # no work done


def test_unreadable_inputs_are_named_and_the_status_says_so(corpus_dir, tmp_path, capsys):
    """Item 9: a file that cannot be read is left out, named in report.md and results.json; exit status 1."""
    import shutil

    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_dir, corpus)
    audio, rate = sf.read(corpus / "ann" / "u2.wav", dtype="float32")
    audio[10] = np.inf
    sf.write(corpus / "ann" / "u2.wav", audio, rate, subtype="FLOAT")
    (corpus / "bob" / "u3.wav").write_bytes(b"RIFF....not audio")
    out = tmp_path / "out"
    assert main(["verify", "--no-ceilings", "--corpus", str(corpus), "--encoder", "mfcc", "--store", str(tmp_path / "s"),
                 "--out", str(out), "--train-fraction", "0.5", "--quiet"]) == 1
    results = json.loads((out / "results.json").read_text())
    left_out = {Path(f["input"]).name if "/" in f["input"] and f["input"].endswith(".wav") else f["input"]: f["reason"]
                for f in results["failures"]}
    assert set(left_out) == {"u3.wav", "ann/u2"}
    assert "non-finite sample(s)" in left_out["ann/u2"]
    report = (out / "report.md").read_text()
    assert "## Inputs left out (2)" in report and "u3.wav" in report
    assert "left out: " in capsys.readouterr().err
    assert main(["verify", "--no-ceilings", "--corpus", str(corpus_dir), "--encoder", "mfcc", "--store", str(tmp_path / "s"),
                 "--out", str(tmp_path / "clean"), "--quiet"]) == 0


def test_reports_state_thresholds_in_plain_words_and_withhold_verdicts_on_few_speakers(corpus_dir, tmp_path):
    """Item 3: 2 evaluation speakers support no verdict; the report says why, states the thresholds for the
    encoder under study in plain words (no bare seed numbers), and gives the EER an interval."""
    out = tmp_path / "out"
    saved = write_verify(run_verify(config(corpus_dir, tmp_path), progress=False), out)
    assert saved.data.eval_speakers == 2
    assert all(r.verdict == "verdict withheld: only 2 evaluation speakers (a verdict needs 5)"
               for r in saved.results)
    assert saved.eer_interval is None  # 2 speakers: a bootstrap would only repeat the estimate
    assert saved.results[0].weights == "none"
    report = (out / "report.md").read_text()
    assert "## What the verdicts mean for mfcc:mfcc" in report
    assert "EER below 20%: mfcc:mfcc carries enough speaker signal to train an adapter on (viable)." in report
    assert "seed 00" not in report and "Step 0" not in report and "trained weights" not in report


def test_degenerate_consistency_is_flagged_not_passed():
    """Item 3: when different speakers are as similar as one speaker's utterances, consistency means nothing."""
    from codecprobe.verify.config import Thresholds
    from codecprobe.verify.results import diagnostic_verdicts

    row = {"acoustics_score": None, "separability": 1.1, "consistency": 0.99, "different_speaker_similarity": 0.98,
           "n_speakers": 10, "intervals": {"separability": [1.0, 1.2], "consistency": [0.985, 0.995]}}
    verdicts = diagnostic_verdicts(row, Thresholds())
    assert verdicts["consistency"].startswith("degenerate: different speakers are as similar (mean cosine 0.98)")
    assert verdicts["separability"] == "below target (> 2)"
    row |= {"consistency": 0.85, "different_speaker_similarity": 0.3, "intervals": {"consistency": [0.78, 0.9]}}
    assert diagnostic_verdicts(row, Thresholds())["consistency"] == (
        "meets target (> 0.8); uncertain: the interval crosses the target")


def test_readme_states_the_thresholds_the_reports_state():
    """Item 3: one place for the thresholds; the README says the same sentences."""
    from codecprobe.verify.config import Thresholds
    from tests.conftest import REPO_ROOT

    readme = (REPO_ROOT / "README.md").read_text()
    for line in Thresholds().plain_words():
        assert line in readme


def test_plots_stand_alone(corpus_dir, tmp_path, monkeypatch):
    """Item 4: every drawn axis labelled, titles name encoder, tap and weights (the control marked), chance drawn,
    legends match the lines, nothing empty written or embedded."""
    from codecprobe.report import plots
    from codecprobe.verify import figures

    seen, det_ticks = [], []
    save = plots.save_figure

    def inspect(fig, path, **options):
        if path.name == "det.png":
            det_ticks.extend((ax.get_xscale(), [t.get_text() for t in ax.get_xticklabels()],
                              [t.get_text() for t in ax.get_yticklabels()]) for ax in fig.axes)
        seen.append((path.name, [(ax.get_title(), [t.get_text() for t in ax.get_legend().get_texts()]
                                  if ax.get_legend() else [], [line.get_label() for line in ax.lines])
                                 for ax in fig.axes], fig.get_suptitle()))
        return save(fig, path, **options)

    monkeypatch.setattr(figures, "save_figure", inspect)
    result = run_verify(StudyConfig(corpus=str(corpus_dir), encoders=[EncoderSpec("verify-tinynet")], ceilings=[], store=str(tmp_path / "s"),
                                    sweep=True), progress=False)
    write_verify(result, tmp_path / "out")
    by_name = {name: (axes, suptitle) for name, axes, suptitle in seen}
    det_axes, _ = by_name["det.png"]
    assert [title for title, _, _ in det_axes] == ["encoder: verify-tinynet (tiny-v1), tap proj",
                                                   "control: verify-tinynet (random-init control), tap proj"]
    for _, legend_texts, line_labels in det_axes:
        assert "chance (random scores)" in legend_texts and legend_texts == line_labels
    # issue 18 item 9: normal-deviate axes (linear in probit units, not log), ticked as DET plots are
    ticks = ["0.1", "0.5", "1", "2", "5", "10", "20", "40", "60", "80"]
    assert det_ticks and all(ax == ("linear", ticks, ticks) for ax in det_ticks)
    sweep_axes, _ = by_name["sweep.png"]
    assert "chance (50)" in sweep_axes[0][1] and "(random-init control)" in sweep_axes[0][0]
    assert "(random-init control)" in by_name["scores.png"][1]
    text = (tmp_path / "out" / "report.md").read_text()
    assert all(f"]({name})" in text for name in by_name)


def test_issue18_item9_weights_are_a_short_label_with_the_full_id_once_in_a_footnote(corpus_dir, tmp_path):
    result = run_verify(StudyConfig(corpus=str(corpus_dir), encoders=[EncoderSpec("verify-tinynet")], ceilings=[], store=str(tmp_path / "s")),
                        progress=False)
    write_verify(result, tmp_path / "out")
    report = (tmp_path / "out" / "report.md").read_text()
    full = "verify-tinynet: random-init:seed=0 (UNTRAINED control: random init) - not the real model"
    rows = [line for line in report.splitlines() if line.startswith("| control |")]
    assert rows and all("| verify-tinynet (random-init control)[^" in row and full not in row for row in rows)
    assert report.count(f"]: {full}") == 1


def test_issue18_item11_the_corpus_properties_are_saved_and_stated(corpus_dir, tmp_path):
    """One folder per speaker and 2 evaluation speakers: results.json says so and the report states it."""
    result = run_verify(config(corpus_dir, tmp_path), progress=False)
    write_verify(result, tmp_path / "out")
    saved = json.loads((tmp_path / "out" / "results.json").read_text())["data"]["properties"]
    assert (saved["same_session_targets"], saved["single_session_speakers"]) == (result.split.trials.n_target, 2)
    assert saved["notes"][0].startswith(f"all {result.split.trials.n_target} same-speaker trials share a session")
    assert saved["notes"][1] == "2 evaluation speakers: verdicts are withheld below 5"
    report = (tmp_path / "out" / "report.md").read_text()
    assert all(f"- {note}" in report for note in saved["notes"])
    assert report.index(saved["notes"][0]) < report.index("| role |")  # said before the numbers


def test_no_empty_plot_is_written(tmp_path):
    from codecprobe.report.plots import pyplot, save_figure

    fig, ax = pyplot().subplots()
    ax.set_xlabel("x")
    assert save_figure(fig, tmp_path / "empty.png") is None and not (tmp_path / "empty.png").exists()
    fig, ax = pyplot().subplots()
    ax.plot([0, 1], [0, 1])
    with pytest.raises(ValueError, match="needs a x label and a y label and a title"):
        save_figure(fig, tmp_path / "bare.png")


def test_plda_and_calibration_fields_in_results(corpus_dir, tmp_path):
    """Item 20.3: --backend plda runs; every row has actDCF beside minDCF, Cllr and min Cllr; results.json reloads."""
    out = tmp_path / "out"
    assert main(["verify", "--no-ceilings", "--corpus", str(corpus_dir), "--encoder", "mfcc", "--store", str(tmp_path / "s"),
                 "--out", str(out), "--backend", "center", "plda", "--set", "plda.n_components=4", "--quiet"]) == 0
    results = json.loads((out / "results.json").read_text())
    assert [r["backend"] for r in results["results"]] == ["center", "plda"]
    for row in results["results"]:
        assert set(row["act_dcf"]) == set(row["min_dcf"]) == {"0.01", "0.05"}
        assert all(row["act_dcf"][p] >= row["min_dcf"][p] - 1e-12 for p in row["min_dcf"])
        assert 0.0 <= row["min_cllr"] <= 1.0 and row["cllr"] >= 0.0
        assert row["calibration"]["n_trials"] == 15  # all pairs of the 6 training segments
    assert results["config"]["plda"]["n_components"] == 4
    center, plda = results["results"]
    assert center["paired_tests"] == []
    (paired,) = plda["paired_tests"]  # against the first back-end; 2 evaluation speakers: no interval
    assert paired["against"] == {"role": "encoder", "tap": "mfcc", "backend": "center"}
    assert paired["eer_difference"] == pytest.approx(plda["eer"] - center["eer"], abs=1e-9)
    assert paired["interval"] is None and paired["p_value"] is None
    assert {"act_dcf", "cllr", "min_cllr"} <= set(results)
    assert "| actDCF 0.01 |" in (out / "report.md").read_text()


TINY_HEADS = ["--set", "weighted_sum.max_epochs=5", "pooling_head.max_epochs=2", "pooling_head.channels=8",
              "pooling_head.embedding_dim=4", "pooling_head.crop_frames=20", "--no-control", "--quiet"]


def test_frame_backends_run_in_verify(corpus_dir, tmp_path):
    """Item 20.3: the pooling head runs on each tap's frames, the weighted sum once over all taps with its weights."""
    out = tmp_path / "out"
    assert main(["verify", "--no-ceilings", "--corpus", str(corpus_dir), "--encoder", "verify-tinynet", "--sweep",
                 "--store", str(tmp_path / "s"), "--out", str(out), "--backend", "center", "pooling-head",
                 "weighted-sum", *TINY_HEADS]) == 0
    results = json.loads((out / "results.json").read_text())
    assert [(r["tap"], r["backend"]) for r in results["results"]] == [
        ("proj", "center"), ("proj", "pooling-head"), ("abs", "center"), ("abs", "pooling-head"),
        ("proj+abs", "weighted-sum")]
    weighted = results["results"][-1]
    assert set(weighted["training"]["layer_weights"]) == {"proj", "abs"}
    assert sum(weighted["training"]["layer_weights"].values()) == pytest.approx(1.0)
    assert weighted["paired_tests"][0]["against"] == {"role": "encoder", "tap": "proj", "backend": "center"}
    assert results["results"][1]["training"]["epochs"] == 2
    assert "## Learned tap weights (weighted-sum)" in (out / "report.md").read_text()


class TinyNetNarrowTap(TinyNet):
    """TinyNet whose ``abs`` tap keeps 3 of the 6 channels: taps of two widths."""

    name = "verify-tinynet-narrow"

    def encode_batch(self, audios, taps):
        out = super().encode_batch(audios, taps)
        for frames in out:
            if "abs" in frames:
                frames["abs"] = self.frames(frames["abs"].frames[:, :3], 200.0, "abs")
        return out


register("verify-tinynet-narrow")(TinyNetNarrowTap)


def test_weighted_sum_over_taps_of_two_widths_is_refused_in_one_line(corpus_dir, tmp_path, capsys):
    assert main(["verify", "--no-ceilings", "--corpus", str(corpus_dir), "--encoder", "verify-tinynet-narrow", "--sweep",
                 "--store", str(tmp_path / "s"), "--out", str(tmp_path / "o"), "--backend", "weighted-sum",
                 *TINY_HEADS]) == 2
    assert ("--backend weighted-sum needs taps of one width; verify-tinynet-narrow has proj 6, abs 3: choose taps "
            "of one width with --tap") in capsys.readouterr().err


PROBES = {"encoders": [EncoderSpec("verify-tinynet")], "sweep": True, "backends": ["plda", "weighted-sum"],
          "plda": PLDAConfig(n_components=2), "weighted_sum": WeightedSumConfig(max_epochs=5)}


@pytest.mark.parametrize("study, changes", [("verify", {}), ("diagnose", {}), ("verify", PROBES)],
                         ids=["verify", "diagnose", "verify-plda-weighted-sum"])
def test_codecprobe_report_rerenders_the_same_report_without_computing(corpus_dir, tmp_path, monkeypatch, study,
                                                                       changes):
    """Issue 17 item 1: the saved result loads back into the same typed object, and `codecprobe report OUT`
    writes the same report.md from it, byte for byte, with the study's computation switched off; with the
    item-20.3 back-ends too (calibration, paired tests against the control, learned tap weights)."""
    from codecprobe.report.results import load_result
    from codecprobe.verify import study as studies

    out = tmp_path / study
    settings = {"corpus": str(corpus_dir), "encoders": [EncoderSpec("mfcc")], "ceilings": [], "store": str(tmp_path / "store"),
                "train_fraction": 0.5}
    result = getattr(studies, study)(StudyConfig(**settings | changes), out, progress=False)
    if changes:
        assert [(r.role, r.tap, r.backend) for r in result.results] == [
            (role, tap, backend) for role in ("encoder", "control")
            for tap, backend in (("proj", "plda"), ("abs", "plda"), ("proj+abs", "weighted-sum"))]
        assert all(r.calibration is not None for r in result.results)
        assert all(r.paired_tests for r in result.results if r.role == "encoder")  # against the control
        text = (out / "report.md").read_text()
        assert "## Paired tests" in text and "## Learned tap weights (weighted-sum)" in text
    assert load_result(out) == result and type(load_result(out)) is type(result)
    original = (out / "report.md").read_bytes()
    (out / "report.md").unlink()

    def no_computation(*args, **kwargs):
        raise AssertionError("codecprobe report must not compute")

    monkeypatch.setattr(studies, "_run", no_computation)
    assert main(["report", str(out)]) == 0
    assert (out / "report.md").read_bytes() == original


def test_codecprobe_report_refuses_a_folder_without_results(tmp_path, capsys):
    (tmp_path / "results.json").write_text('{"study": "nothing"}')
    assert main(["report", str(tmp_path)]) == 2
    assert "not a codecprobe study's results (result_type None)" in capsys.readouterr().err
    # a results file names its own type; nothing outside codecprobe is ever imported from it
    (tmp_path / "results.json").write_text('{"study": "x", "result_type": "os:system"}')
    assert main(["report", str(tmp_path)]) == 2
    assert "'os:system' names nothing in codecprobe" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "missing")]) == 2


def test_item4_interval_column_shows_both_bounds(corpus_dir, tmp_path):
    """Issue 18 item 4: the interval column showed only the lower bound ('0.4' for [0.42, 6.23])."""
    import dataclasses

    from codecprobe.report.model import to_markdown
    from codecprobe.verify.report import render_verify
    from codecprobe.verify.study import verify

    result = verify(config(corpus_dir, tmp_path, backends=["cosine"]), tmp_path / "out", progress=False)
    row = dataclasses.replace(result.results[0], eer=3.6, eer_interval=[0.42, 6.23])
    text = to_markdown(render_verify(dataclasses.replace(result, results=[row], eer_interval=[0.42, 6.23])))
    assert "| 3.60 | 0.4-6.2 |" in text and "EER 3.60%** (0.4-6.2%)" in text


def test_item6_ratios_on_a_degenerate_space_carry_no_verdict_and_the_report_says_why(corpus_dir, tmp_path):
    """Issue 18 item 6: the permuted Lyra control had separability 4.91 and Fisher 7.83 on a nearly
    one-dimensional space (participation ratio 1.1) marked "meets target", beside an EER of 35 %."""
    import dataclasses

    from codecprobe.report.model import to_markdown
    from codecprobe.verify.config import Thresholds
    from codecprobe.verify.report import render_diagnose
    from codecprobe.verify.results import diagnostic_verdicts
    from codecprobe.verify.study import diagnose

    row = {"acoustics_score": None, "separability": 4.91, "consistency": 0.5, "different_speaker_similarity": 0.1,
           "n_speakers": 20, "participation_ratio": 1.1, "intervals": {}}
    assert diagnostic_verdicts(row, Thresholds())["separability"] == (
        "no verdict: degenerate space (participation ratio 1.10 < 1.5), the ratio measures one direction")
    assert diagnostic_verdicts(row | {"participation_ratio": 6.0}, Thresholds())["separability"] == (
        "meets target (> 2)")

    result = diagnose(config(corpus_dir, tmp_path), tmp_path / "out", progress=False)
    assert all(r.degenerate == (r.participation_ratio < 1.5) for r in result.results)
    flat = dataclasses.replace(result.results[0], participation_ratio=1.1, degenerate=True, separability=4.91,
                               fisher_mean=7.83)
    text = to_markdown(render_diagnose(dataclasses.replace(result, results=[flat])))
    assert "| 4.910 (degenerate space) |" in text and "| 7.830 (degenerate space) |" in text
    assert "**Degenerate space** in encoder mfcc:mfcc cosine (participation ratio 1.10)" in text
    assert "while the EER, which compares whole embeddings by cosine, stays poor" in text
