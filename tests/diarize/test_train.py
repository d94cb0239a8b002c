"""The adapter trained end to end on generated conversations (tone voices, MFCC inputs):
it learns, resumes exactly, rebuilds from its checkpoint alone, and refuses bad input before work."""
import json

import lightning as L
import numpy as np
import pytest
import torch
from lightning.pytorch.callbacks import Callback

from codecprobe.cli.main import main
from codecprobe.config import load_config
from codecprobe.adapter import study
from codecprobe.adapter.config import TrainStudyConfig
from codecprobe.adapter.evaluate import _score_windows, evaluate
from codecprobe.store import LatentStore
from codecprobe.train import WindowDataModule, fit, load_module, read_checkpoint
from codecprobe.train.run import TrainingRun
from tests.cli.test_help import snake_case_keys
from tests.diarize.conversations import write_conversations

TINY = ["adapter.d_model=32", "adapter.feedforward=64", "adapter.layers=1", "adapter.heads=2", "window_s=4",
        "window_step_s=2", "trainer.batch_size=8", "trainer.warmup_steps=2", "trainer.learning_rate=0.003",
        "trainer.progress=false", "trainer.log_every_steps=2", "systems=[{inputs: [{encoder: mfcc}]}]"]


@pytest.fixture(scope="module")
def corpora(tmp_path_factory):
    root = tmp_path_factory.mktemp("conversations")
    write_conversations(root / "train", 16, seed=1)
    write_conversations(root / "test", 3, speakers=("dan", "eve", "ann"), seed=2, prefix="test")
    return root


def tiny_config(corpora, tmp_path, *overrides):
    return load_config(TrainStudyConfig, None, [f"train_corpus={corpora / 'train'}", f"eval_corpora=[{corpora / 'test'}]",
                                             f"store={tmp_path / 'store'}", *TINY, *overrides])


def prepared(config):
    data = study.load_data(config)
    [system] = study.build_systems(config)
    with LatentStore(config.store) as store:
        study.prepare(config, data, [system], store, progress=False)
        banks = {id(d): study.bank_of(store, system, d, config.grid_rate, progress=False) for d in data.all()}
    train = study.windows_of(config, banks[id(data.train)], data.train, config.step_frames, 1)
    val = study.windows_of(config, banks[id(data.val)], data.val, config.window_frames, 1)
    return data, system, banks, train, val


def batch_of(windows):
    return {k: torch.stack([windows[i][k] for i in range(len(windows))]) for k in ("features", "targets", "mask")}


def mean_loss(module, windows, logits=None):
    batch = batch_of(windows)
    with torch.no_grad():
        logits = module.eval()(batch["features"], batch["mask"]) if logits is None else logits
        return module.loss(logits, batch["targets"], batch["mask"]).item()


def test_a_tiny_adapter_learns_and_beats_silence_and_the_best_constant(corpora, tmp_path):
    config = tiny_config(corpora, tmp_path, "trainer.max_steps=40", "trainer.val_every_steps=20")
    data, system, banks, train, val = prepared(config)
    L.seed_everything(0, verbose=False)
    untrained = study.build_module(config, system, train.bank.dims)
    untrained.fit_input_norm(batch_of(train)["features"])
    run = TrainingRun(tmp_path / "run")
    assert study.train_system(config, system, train, val, run)
    trained = load_module(run.checkpoint)
    assert mean_loss(trained, val) < 0.8 * mean_loss(untrained, val)
    # the best constant output: every slot always at the training windows' activity rate
    rate = batch_of(train)["targets"].mean().item()
    constant = torch.full((len(val), config.window_frames, 4), float(np.log(rate / (1 - rate))))
    assert mean_loss(trained, val) < mean_loss(trained, val, constant)

    test = data.evals[0]
    # what inference reads: the model fuses its inputs exactly as the bank it trained on did
    bank = banks[id(test)]
    with LatentStore(config.store) as store:
        [(encoder, source)] = trained.input_encoders()
        frames = store.read(bank.ids[0], source.identity, source.tap)
        rate = store.frame_rate(source.identity, source.tap)
    assert np.array_equal(trained.fuse([(frames, rate)], int(bank.lengths[0])), bank.frames(0))
    window = bank.window(0, 0, trained.window_frames)[None]
    assert np.array_equal(trained.predict(window) > 0.5,
                          trained.activity(torch.from_numpy(window), torch.ones(1, trained.window_frames)).numpy() > 0)
    assert trained.describe()["label"] == f"mfcc-mfcc [mfcc:mfcc no weights ({source.identity.weights_id} baseline)]"

    der = evaluate(trained, test, bank, [0.0]).summary(0.0)
    silence = _score_windows(test, trained.hparams.grid, [0.0], lambda r, s, m: np.zeros((*m.shape, 4)), 8, "")
    assert silence.summary(0.0)["der"] == 100.0
    assert der["der"] < 60.0 and der["miss"] < 40.0


class CrashAt(Callback):
    def __init__(self, step):
        self.step = step

    def on_train_batch_start(self, trainer, module, batch, index):
        if trainer.global_step == self.step:
            raise RuntimeError("killed")


def test_resuming_after_a_crash_ends_exactly_where_an_uninterrupted_run_ends(corpora, tmp_path):
    config = tiny_config(corpora, tmp_path, "trainer.max_steps=14", "trainer.checkpoint_every_steps=3",
                         "trainer.val_every_steps=5", "trainer.batch_size=16")
    _, system, _, train, val = prepared(config)
    assert len(train) // config.trainer.batch_size == 4  # so the checkpoint at step 9 is inside epoch 2

    def run(folder, callbacks=()):
        L.seed_everything(0, verbose=False)
        module = study.build_module(config, system, train.bank.dims)  # dropout 0.1: random numbers matter
        module.fit_input_norm(train[0]["features"][None])
        return fit(module, WindowDataModule(train, val, config.trainer.batch_size), config.trainer, folder,
                   callbacks=callbacks)

    straight = run(tmp_path / "straight")
    with pytest.raises(RuntimeError, match="killed"):
        run(tmp_path / "resumed", [CrashAt(11)])
    assert read_checkpoint(tmp_path / "resumed" / "last.ckpt")["global_step"] == 9
    resumed = run(tmp_path / "resumed")
    assert (resumed.resumed_from_step, resumed.global_step, straight.global_step) == (9, 14, 14)
    a = read_checkpoint(straight.last_checkpoint)["state_dict"]
    b = read_checkpoint(resumed.last_checkpoint)["state_dict"]
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert resumed.metrics == straight.metrics  # merged metrics.csv: the crashed attempt's rows from 9 on replaced
    assert [r["step"] for r in straight.metrics if r.get("val/loss") is not None] == [4.0, 9.0]
    assert [r["step"] for r in straight.metrics if r.get("val/der") is not None] == [4.0, 9.0]  # learning curve


def command(corpora, tmp_path, *extra):
    sets = [arg for item in TINY[:-1] for arg in ("--set", item)]
    return ["train", "--train-corpus", str(corpora / "train"), "--eval-corpus", str(corpora / "test"),
            "--encoder", "mfcc", "--store", str(tmp_path / "store"), "--out", str(tmp_path / "out"), "--quiet",
            *sets, *extra]


def test_the_command_trains_reports_and_its_checkpoint_alone_gives_the_same_numbers(corpora, tmp_path, capsys):
    assert main(command(corpora, tmp_path, "--set", "trainer.max_steps=8")) == 0
    printed = capsys.readouterr().out
    assert "mfcc-mfcc [mfcc:mfcc no weights (librosa" in printed and "baseline: one speaker" in printed
    out = tmp_path / "out"
    results = json.loads((out / "results.json").read_text())
    assert snake_case_keys(results, data_maps=("versions", "collars", "recordings")) == []  # issue 7, item 15
    [system] = results["systems"]
    assert (system["system"], system["steps"], system["control"], system["unfreeze_layers"]) == ("mfcc-mfcc", 8, False, 0)
    assert system["inputs"][0]["offset_s"] == -0.005  # MFCC frames are centred on their hop
    [evaluation] = results["evaluations"]
    assert set(evaluation["collars"]) == {"0", "0.25"} and set(evaluation["recordings"]) == {"test000", "test001",
                                                                                              "test002"}
    main_collar = evaluation["collars"]["0.25"]
    assert main_collar["vad_error"] == pytest.approx(main_collar["miss"] + main_collar["fa"])
    assert main_collar["der"] == pytest.approx(main_collar["vad_error"] + main_collar["confusion"])
    report = (out / "report.md").read_text()
    assert "## Results" in report and "(loss.png)" in report and (out / "loss.png").is_file()
    assert "(learning.png)" in report and system["val_der"] and system["val_der"][-1][0] <= 8
    assert system["best_val_der"] == min(der for _, der in system["val_der"])

    checkpoint = out / "systems" / "mfcc-mfcc" / "best.ckpt"
    assert main(["train", "--checkpoint", str(checkpoint), "--eval-corpus", str(corpora / "test"),
                 "--store", str(tmp_path / "store"), "--out", str(tmp_path / "again"), "--quiet"]) == 0
    again = json.loads((tmp_path / "again" / "results.json").read_text())
    assert again["evaluations"][0]["collars"] == evaluation["collars"]
    assert again["systems"][0]["steps"] == 8


def test_progress_is_one_bar_per_step_on_stderr_without_lightnings_summary_or_bars(corpora, tmp_path, capfd):
    """Issue 18 item 8: Lightning wrote a model summary and 200 KB of bars to stdout."""
    args = [arg for arg in command(corpora, tmp_path, "--set", "trainer.max_steps=6", "trainer.val_every_steps=3",
                                   "trainer.progress=true") if arg != "--quiet"]
    assert main(args) == 0
    out, err = capfd.readouterr()
    assert "Total params" not in out + err and "| Name" not in out + err  # no model summary
    assert "Validation" not in err and "Epoch" not in err  # Lightning's own bars
    assert out.count("\n") == 2 and len(out) < 1000  # the summary lines: the system and the one-speaker baseline
    assert "training: 100%" in err and "6/6" in err
    assert len(err) < 20_000, err[-2000:]


@pytest.mark.parametrize("extra, message", [
    (["--set", "adapter.heads=5"], "divisible by adapter.heads"),
    (["--tap", "nope"], "has no tap(s) nope (--tap)"),
    (["--set", "trainer.batch_size=0"], "trainer.batch_size must be >= 1"),
    (["--set", "adapter.head=powerset"], "set adapter.loss=pit"),
    (["--unfreeze", "3"], "one input, mimi tap 'layer5'"),
])
def test_bad_config_is_refused_before_any_work(corpora, tmp_path, capsys, extra, message):
    assert main(command(corpora, tmp_path, *extra)) == 2
    error = capsys.readouterr().err
    assert message in error and len(error.strip().splitlines()) == 1
    assert not (tmp_path / "store").exists() and not (tmp_path / "out").exists()


def test_a_corpus_without_speakers_is_refused_before_any_work(corpora, tmp_path, capsys):
    silent = tmp_path / "silent"
    silent.mkdir()
    (silent / "quiet.wav").write_bytes((corpora / "test" / "test000.wav").read_bytes())
    (silent / "quiet.rttm").write_text("")
    args = command(corpora, tmp_path)
    args[args.index(str(corpora / "test"))] = str(silent)
    assert main(args) == 2
    assert f"{silent}: no speaker-labelled turns" in capsys.readouterr().err
    assert not (tmp_path / "store").exists()


def test_two_corpora_with_one_recording_id_are_refused_before_any_work(corpora, tmp_path, capsys):
    other = tmp_path / "other"
    write_conversations(other, 1, seed=5, prefix="conv")  # conv000 is also a training recording's id
    args = command(corpora, tmp_path)
    args[args.index(str(corpora / "test"))] = str(other)
    assert main(args) == 2
    assert "recording id 'conv000' is" in capsys.readouterr().err and not (tmp_path / "store").exists()


def test_codecprobe_report_rerenders_the_train_report_without_computing(corpora, tmp_path, monkeypatch):
    """Issue 17 item 1: results.json loads back into the same TrainResult, and `codecprobe report OUT` writes
    the same report.md, byte for byte, with training and evaluation switched off."""
    from codecprobe.report.results import load_result

    out = tmp_path / "out"
    assert main(command(corpora, tmp_path, "--set", "trainer.max_steps=2")) == 0
    saved = load_result(out)
    assert type(saved).__name__ == "TrainResult" and saved.systems[0]["steps"] == 2
    assert saved.to_dict() == json.loads((out / "results.json").read_text())
    original = (out / "report.md").read_bytes()
    (out / "report.md").unlink()

    def no_computation(*args, **kwargs):
        raise AssertionError("codecprobe report must not compute")

    for name in ("run_study", "train_system", "evaluate_all"):
        monkeypatch.setattr(study, name, no_computation)
    assert main(["report", str(out)]) == 0
    assert (out / "report.md").read_bytes() == original
