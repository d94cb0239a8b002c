"""What a new user hit (issue 18 items 3, 5, 13-16): every command under bad input ends in one line on
stderr and the exit status its ``--help`` documents (0 done, 1 done with inputs skipped and named,
2 bad input found before any work), never a traceback."""
from __future__ import annotations

import argparse
import errno

import numpy as np
import pytest
import soundfile as sf

from codecprobe.cli.main import build_parser, main
from tests.diarize.conversations import write_conversations
from tests.fakes import write_tone_corpus
from tests.simulate.tones import write_tones

# every command with an output folder or file, and the least it needs to parse; OUT is the output
OUTPUT_COMMANDS = {
    "score": ["score", "-r", "ref.rttm", "-s", "sys.rttm", "--json", "OUT"],
    "boundaries": ["boundaries", "-r", "ref.rttm", "-s", "sys.rttm", "-o", "OUT"],
    "diarize": ["diarize", "a.wav", "--pipeline", "classic", "--out", "OUT"],
    "simulate": ["simulate", "--corpus", "c", "--out", "OUT"],
    "verify": ["verify", "--corpus", "c", "--encoder", "mfcc", "--out", "OUT"],
    "diagnose": ["diagnose", "--corpus", "c", "--encoder", "mfcc", "--out", "OUT"],
    "extract": ["extract", "--corpus", "c", "--encoder", "mfcc", "--json", "OUT"],
    "corpus": ["corpus", "prepare", "--corpus", "c", "--out", "OUT"],
    "train": ["train", "--train-corpus", "c", "--out", "OUT"],
    "refine": ["refine", "--train-corpus", "c", "--out", "OUT"],
    "structure": ["structure", "--corpus", "c", "--encoder", "mfcc", "--out", "OUT"],
    "nextlatent": ["nextlatent", "--corpus", "c", "--encoder", "mfcc", "--out", "OUT"],
    "demo": ["demo", "--out", "OUT"],
}


def one_line_error(capsys, *expected: str) -> str:
    error = capsys.readouterr().err.strip()
    assert "Traceback" not in error and len(error.splitlines()) == 1, error
    for text in expected:
        assert text in error, error
    return error


@pytest.mark.parametrize("command", sorted(OUTPUT_COMMANDS))
def test_item3_unwritable_output_is_one_line_exit_2(command, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the other inputs need not exist: the output is checked first
    (tmp_path / "file").write_text("in the way")
    argv = OUTPUT_COMMANDS[command]
    option = "--json" if argv[argv.index("OUT") - 1] == "--json" else "--out"
    assert main([str(tmp_path / "file" / "out") if a == "OUT" else a for a in argv]) == 2
    one_line_error(capsys, f"codecprobe {command}: error: {option} {tmp_path / 'file' / 'out'}: cannot write there "
                           f"({tmp_path / 'file'} is a file, not a folder)")

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr("tempfile.TemporaryFile", read_only)
    assert main([str(tmp_path / "new" / "out") if a == "OUT" else a for a in argv]) == 2
    one_line_error(capsys, f"{option} {tmp_path / 'new' / 'out'}: cannot write there (Read-only file system)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]  # nothing was made


def test_item3_an_output_file_that_is_a_folder_is_refused(tmp_path, capsys):
    assert main(["score", "-r", "x", "-s", "y", "--json", str(tmp_path)]) == 2
    one_line_error(capsys, f"--json {tmp_path}: is a folder; an output file is needed")


def _subparsers(parser: argparse.ArgumentParser, prefix=()):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                if any(isinstance(a, argparse._SubParsersAction) for a in sub._actions):
                    yield from _subparsers(sub, (*prefix, name))
                else:
                    yield (*prefix, name), sub


def test_item5_every_help_has_the_exit_status_section():
    commands = {(): build_parser(), **dict(_subparsers(build_parser()))}
    assert {("diarize",), ("simulate",), ("train",), ("corpus", "prepare"), ("store", "vacuum")} <= set(commands)
    for name, parser in commands.items():
        text = parser.format_help()
        assert "exit status:" in text, name
        for status in ("0    done", "1    done, but", "2    bad input or options"):
            assert status in text, (name, status)


def test_item5_diarize_of_a_file_that_is_not_audio_is_status_2(tmp_path, capsys):
    (tmp_path / "notaudio.wav").write_text("hello\n")
    (tmp_path / "empty.wav").write_bytes(b"")
    assert main(["diarize", str(tmp_path / "notaudio.wav"), str(tmp_path / "empty.wav"), "--pipeline", "classic",
                 "--out", str(tmp_path / "out"), "--quiet"]) == 2
    one_line_error(capsys, "no recording could be read", "notaudio.wav", "empty.wav")
    assert not (tmp_path / "out").exists()


def test_item13_item14_diarize_names_bad_files_among_good_ones_and_exits_1(tmp_path, capsys):
    speech = write_conversations(tmp_path / "good", 1, seconds=4.0) / "conv000.wav"
    (tmp_path / "notaudio.wav").write_text("hello\n")
    samples, rate = sf.read(speech, dtype="float32")
    samples[1000:1010] = np.nan
    sf.write(tmp_path / "nan.wav", samples, rate, subtype="FLOAT")
    sf.write(tmp_path / "short.wav", samples[: int(0.2 * rate)], rate)  # shorter than GE2E's 0.4 s partial step
    other = tmp_path / "other.rttm"
    other.write_text("SPEAKER another 1 0.0 1.0 <NA> <NA> A <NA> <NA>\n")
    code = main(["diarize", str(speech), str(tmp_path / "notaudio.wav"), str(tmp_path / "nan.wav"),
                 str(tmp_path / "short.wav"), "--pipeline", "classic", "--out", str(tmp_path / "out"), "--quiet",
                 "--reference", str(other)])
    assert code == 1
    error = capsys.readouterr().err
    assert "Traceback" not in error
    assert f"skipped {tmp_path / 'notaudio.wav'}: " in error
    assert f"skipped {tmp_path / 'nan.wav'}: non-finite sample(s) (NaN or infinity), the first at 0.062 s" in error
    # recordings are named with their corpus (issue 18 item 9): "short (<folder>): ..."
    assert "shorter than one ge2e:partials frame step (0.200 s < 0.400 s): empty RTTM" in error
    assert "[diarize] short (" in error
    assert "not scored: conv000: no --reference file names this recording" in error
    assert (tmp_path / "out" / "rttm" / "short.rttm").read_text() == ""


def test_item16_fewer_speakers_than_asked_say_why(tmp_path, capsys):
    speech = write_conversations(tmp_path / "good", 1, speakers=("ann", "bob"), seconds=6.0) / "conv000.wav"
    assert main(["diarize", str(speech), "--pipeline", "classic", "--num-speakers", "40", "--out",
                 str(tmp_path / "out"), "--quiet"]) == 0
    error = capsys.readouterr().err
    [note] = [line for line in error.splitlines() if "--num-speakers 40 asked for 40 speakers; found" in line]
    assert "the clustering made" in note or "never speak" in note


@pytest.mark.parametrize("argv, message", [
    (["--num-speakers", "0"], "--num-speakers must be at least 1"),
    (["--min-speakers", "3", "--max-speakers", "2"], "--min-speakers and --max-speakers need 1 <= min <= max"),
])
def test_item16_diarize_errors_name_options(tmp_path, capsys, argv, message):
    sf.write(tmp_path / "a.wav", np.zeros(16000, np.float32), 16000)
    assert main(["diarize", str(tmp_path / "a.wav"), "--pipeline", "classic", *argv, "--out",
                 str(tmp_path / "out")]) == 2
    one_line_error(capsys, message)


def test_item16_a_garbage_checkpoint_is_one_clean_line(tmp_path, capsys):
    sf.write(tmp_path / "a.wav", np.zeros(16000, np.float32), 16000)
    (tmp_path / "garbage.ckpt").write_bytes(b"PK\x03\x04 not really a zip archive")
    (tmp_path / "pickle.ckpt").write_bytes(b"\x80\x04 garbage")
    for name in ("garbage.ckpt", "pickle.ckpt"):
        assert main(["diarize", str(tmp_path / "a.wav"), "--model", str(tmp_path / name), "--out",
                     str(tmp_path / "out")]) == 2
        error = one_line_error(capsys, f"{name}: not a checkpoint")
        assert "weights_only" not in error and error.endswith(")")


# a float setting of each command's config, and a section of it
FLOAT_SETTINGS = {
    "train": ("adapter.dropout", "trainer"), "refine": ("refiner.dropout", "trainer"),
    "nextlatent": ("model.dropout", "trainer"), "simulate": ("timing.overlap_probability", "timing"),
    "diarize": ("adapter.onset", "adapter"), "structure": ("thresholds.variance_ratio", "thresholds"),
    "verify": ("thresholds.eer_viable", "thresholds"), "diagnose": ("thresholds.eer_viable", "thresholds"),
}


@pytest.mark.parametrize("command", sorted(FLOAT_SETTINGS))
def test_item13_config_mistakes_are_one_line_exit_2(command, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv = [a if a != "OUT" else "out" for a in OUTPUT_COMMANDS[command]]
    key, section = FLOAT_SETTINGS[command]
    assert main([*argv, "--config", "no_such_file.yaml"]) == 2
    one_line_error(capsys, "--config no_such_file.yaml: cannot read it (No such file or directory)")
    assert main([*argv, "--set", f"{key}=high"]) == 2
    one_line_error(capsys, f"{key}: expected a number, got 'high'")
    (tmp_path / "bad.yaml").write_text(f"{section}: 5\n")
    assert main([*argv, "--config", "bad.yaml", "--set", f"{key}=0.5" if section != "trainer" else
                 "trainer.max_steps=4"]) == 2
    one_line_error(capsys, "bad.yaml", section, "mapping")
    assert not (tmp_path / "out").exists()


def test_item13_training_shorter_than_the_log_interval_still_reports(tmp_path, capsys):
    write_conversations(tmp_path / "train", 4, seed=1)
    write_conversations(tmp_path / "test", 1, seed=2, prefix="test")
    tiny = ["adapter.d_model=16", "adapter.feedforward=16", "adapter.layers=1", "adapter.heads=2", "window_s=4",
            "window_step_s=2", "trainer.batch_size=4", "trainer.max_steps=2", "trainer.log_every_steps=50",
            "val_fraction=0", "trainer.progress=false"]
    code = main(["train", "--train-corpus", str(tmp_path / "train"), "--eval-corpus", str(tmp_path / "test"),
                 "--encoder", "mfcc", "--store", str(tmp_path / "store"), "--out", str(tmp_path / "out"), "--quiet",
                 *[a for item in tiny for a in ("--set", item)]])
    assert code == 0
    assert (tmp_path / "out" / "results.json").is_file() and "## Results" in (tmp_path / "out" / "report.md").read_text()
    assert "loss.png" not in (tmp_path / "out" / "report.md").read_text()


@pytest.mark.parametrize("command", ["train", "refine"])
def test_item15_an_evaluation_corpus_without_references_is_refused(command, tmp_path, capsys):
    write_conversations(tmp_path / "train", 2, seed=1)
    plain = tmp_path / "plain"
    for name in ("a", "b"):
        (plain / name).mkdir(parents=True)
        sf.write(plain / name / "take.wav", np.zeros(16000, np.float32), 16000)
    assert main([command, "--train-corpus", str(tmp_path / "train"), "--eval-corpus", str(plain), "--encoder",
                 "mfcc", "--store", str(tmp_path / "store"), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    one_line_error(capsys, f"{plain}: no reference turns (read as layout 'speaker-folders'")
    assert not (tmp_path / "store").exists() and not (tmp_path / "out").exists()


def test_item14_simulate_names_an_unreadable_source_and_exits_1(tmp_path, capsys):
    corpus = write_tones(tmp_path / "tones", speakers=("s1", "s2"), per_speaker=2)
    (corpus / "s1" / "broken.wav").write_bytes(b"RIFF not audio")
    assert main(["simulate", "--corpus", str(corpus), "--out", str(tmp_path / "out"), "-n", "1", "--quiet"]) == 1
    error = capsys.readouterr().err
    assert f"skipped {corpus / 's1' / 'broken.wav'}: " in error
    # the default 1-4 speakers per recording on a 2-speaker pool: 3 and 4 left out, said so
    assert "speakers per recording 3, 4 left out: the pool" in error and "has only 2 speaker(s)" in error
    assert sorted(p.name for p in (tmp_path / "out" / "audio").iterdir()) == ["sim-000000.wav"]


@pytest.mark.parametrize("command", ["structure", "nextlatent"])
def test_item14_studies_name_an_unreadable_file_and_exit_1(command, tmp_path, capsys):
    from tests.nextlatent.test_study import TINY
    from tests.structure.test_study import SMALL

    write_tone_corpus(tmp_path / "one", speakers=("a", "b", "c", "d", "e"), per_speaker=3)
    (tmp_path / "one" / "a" / "broken.wav").write_bytes(b"not audio")
    small = SMALL + ["--lags", "1"] if command == "structure" else TINY
    assert main([command, "--corpus", str(tmp_path / "one"), "--encoder", "mfcc", "--store", str(tmp_path / "store"),
                 "--out", str(tmp_path / "out"), "--quiet", *small]) == 1
    assert f"skipped {tmp_path / 'one' / 'a' / 'broken.wav'}: " in capsys.readouterr().err


def test_item2_train_and_held_out_simulations_of_a_small_pool_train_together(tmp_path, capsys):
    from codecprobe.train.conversations import check_distinct_ids, load_conversations

    corpus = write_tones(tmp_path / "tones", speakers=("s1", "s2", "s3", "s4", "s5"), per_speaker=2)
    for split, seed in (("train", "0"), ("held-out", "1")):  # as docs/diarize.md: default speaker counts
        assert main(["simulate", "--corpus", str(corpus), "--split", split, "-n", "1", "--seed", seed,
                     "--out", str(tmp_path / split), "--quiet"]) == 0
    assert "speakers per recording 2, 3, 4 left out: the pool" in capsys.readouterr().err  # 1 held-out speaker
    sets = [load_conversations(str(tmp_path / split)) for split in ("train", "held-out")]
    check_distinct_ids(sets)  # raised "recording id 'sim-000000' is ... in both" before
    assert [[r.id for r in s.recordings] for s in sets] == [["sim-train-000000"], ["sim-heldout-000000"]]


@pytest.mark.parametrize("prefix, split, expected", [
    (None, "held-out", "sim-heldout-000000"), (None, "train", "sim-train-000000"), ("test-", "all", "test-000000"),
    ("test", "all", "test-000000"), ("run_", "all", "run_000000"),
])
def test_item16_recording_ids(prefix, split, expected):
    from codecprobe.simulate import SimulateConfig
    from codecprobe.simulate.config import SpeakerConfig

    assert SimulateConfig(recording_prefix=prefix, speakers=SpeakerConfig(split=split)).recording_id(0) == expected
