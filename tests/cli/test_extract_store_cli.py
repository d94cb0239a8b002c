import json

import pytest

from codecprobe.cli.main import main
from tests.fakes import write_tone_corpus


def test_extract_then_show(tmp_path, capsys):
    write_tone_corpus(tmp_path / "corpus", per_speaker=2)
    store = tmp_path / "store"
    code = main(["extract", "--corpus", str(tmp_path / "corpus"), "--encoder", "mfcc", "--store", str(store),
                 "--quiet", "--json", str(tmp_path / "summary.json")])
    assert code == 0
    printed = capsys.readouterr().out
    assert "6 segments, 0 already stored, 6 extracted" in printed and "failures: 0" in printed
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["n_extracted"] == 6 and summary["weights"] == "none" and summary["trained"] is False
    assert "weights no weights (librosa:" in printed  # a baseline, neither trained nor an untrained control

    assert main(["extract", "--corpus", str(tmp_path / "corpus"), "--encoder", "mfcc", "--store", str(store),
                 "--quiet"]) == 0
    assert "6 already stored, 0 extracted" in capsys.readouterr().out

    assert main(["store", "show", str(store), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert sorted(r["segment"] for r in rows) == ["alice/alice_0", "alice/alice_1", "bob/bob_0", "bob/bob_1",
                                                 "carol/carol_0", "carol/carol_1"]
    assert {(r["encoder"], r["tap"], r["dim"], r["frame_rate"]) for r in rows} == {("mfcc", "mfcc", 20, 100.0)}


def test_bad_input_is_a_clean_error(tmp_path, capsys):
    assert main(["extract", "--corpus", str(tmp_path / "nowhere"), "--encoder", "mfcc",
                 "--store", str(tmp_path / "s")]) == 2
    assert "nowhere: corpus folder or manifest does not exist" in capsys.readouterr().err
    assert main(["store", "show", str(tmp_path)]) == 2


def test_random_init_is_announced(tmp_path, capsys):
    write_tone_corpus(tmp_path / "corpus", speakers=("a",), per_speaker=1)
    assert main(["extract", "--corpus", str(tmp_path / "corpus"), "--encoder", "mimi", "--random-init",
                 "--store", str(tmp_path / "store"), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert "mimi: random-init:seed=0 (UNTRAINED control: random init) - not the real model" in captured.err
    assert "weights random-init:seed=0 (UNTRAINED control: random init)" in captured.out


def test_corpus_prepare_writes_manifests_every_command_reads(tmp_path, capsys):
    write_tone_corpus(tmp_path / "corpus", per_speaker=2)
    (tmp_path / "corpus" / "bob" / "broken.wav").write_bytes(b"not audio")
    # done, an input skipped and named: status 1 (issue 18 item 5)
    assert main(["corpus", "prepare", "--corpus", str(tmp_path / "corpus"), "--out", str(tmp_path / "m")]) == 1
    printed = capsys.readouterr().out
    assert "corpus (speaker-folders): 6 recordings, 6 segments, 3 speakers" in printed
    assert "broken.wav" in printed
    # the unreadable file is named again, and the exit status says some input failed (item 9)
    assert main(["extract", "--corpus", str(tmp_path / "m"), "--encoder", "mfcc", "--store", str(tmp_path / "s"),
                 "--quiet"]) == 1
    printed = capsys.readouterr().out
    assert "6 segments, 0 already stored, 6 extracted" in printed and "failures: 1" in printed
    assert "broken.wav" in printed


def test_store_summary_is_one_row_per_encoder_weights_settings_and_tap(tmp_path, capsys):
    """Item 14: one row per tap, not per distinct frame rate (utterance taps have one rate per segment)."""
    import numpy as np

    from codecprobe.encoders.base import EncoderIdentity
    from codecprobe.store import LatentStore
    from codecprobe.store.latent_store import NewEntry

    plain = EncoderIdentity("ge2e", "resemblyzer:x", True, {"trim_silences": False, "partials_rate": 1.3})
    trimmed = EncoderIdentity("ge2e", "resemblyzer:x", True, {"trim_silences": True, "partials_rate": 1.3})
    with LatentStore(tmp_path / "store") as store:
        for identity in (plain, trimmed):
            store.put_many(identity, [NewEntry(f"utt{i}", "utterance", "fp", np.ones((1, 4), np.float32), 1 / (2 + i))
                                      for i in range(5)])
    assert main(["store", "show", str(tmp_path / "store"), "--summary", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["settings"], r["tap"], r["segments"], r["min_frame_rate"], r["max_frame_rate"]) for r in rows] == [
        ("trim_silences=False", "utterance", 5, 1 / 6, 1 / 2), ("trim_silences=True", "utterance", 5, 1 / 6, 1 / 2)]
    assert {r["rate"] for r in rows} == {"one vector per utterance"}  # issue 18 item 9: not "0.17-0.5 Hz"
    assert all(key == key.lower() and " " not in key for row in rows for key in row)  # item 15: snake_case


def test_store_show_into_a_closed_pipe_is_quiet(tmp_path):
    """Item 7: `store show --json | head -1` printed a BrokenPipeError traceback."""
    import subprocess
    import sys

    from tests.conftest import REPO_ROOT

    import numpy as np

    from codecprobe.encoders.base import EncoderIdentity
    from codecprobe.store import LatentStore
    from codecprobe.store.latent_store import NewEntry

    with LatentStore(tmp_path / "store") as store:
        store.put_many(EncoderIdentity("mfcc", "librosa", True, {}),
                       [NewEntry(f"utt{i}", "mfcc", "fp", np.ones((3, 2), np.float32), 100.0) for i in range(500)])
    show = subprocess.Popen([sys.executable, "-m", "codecprobe.cli.main", "store", "show", str(tmp_path / "store"),
                             "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={"PYTHONPATH": str(REPO_ROOT / "src"), "PATH": "/usr/bin:/bin"})
    show.stdout.close()  # the reader is gone before the first line
    assert show.wait() == 141
    assert show.stderr.read() == b""


def audio_file(root):
    return write_tone_corpus(root)[0]


def folder_without_audio(root):
    (root / "notes").mkdir(parents=True)
    (root / "notes" / "readme.txt").write_text("no audio here")
    return root / "notes"


def only_unreadable_audio(root):
    (root / "spk").mkdir(parents=True)
    (root / "spk" / "x.wav").write_bytes(b"RIFF")
    return root


def tone_corpus(root):
    write_tone_corpus(root)
    return root


@pytest.mark.parametrize("make, argv, message", [
    (audio_file, [], "alice_0.wav: an audio file, not a corpus; give the folder"),  # a UnicodeDecodeError before
    (folder_without_audio, [], "notes: no audio files (.wav, .flac, .mp3, .ogg) found for layout 'speaker-folders'"),
    (only_unreadable_audio, [], "no audio to encode (layout 'speaker-folders'); 1 unreadable file(s), e.g."),
    (tone_corpus, ["--tap", "mfc"], "encoder 'mfcc' has no tap(s) mfc (--tap)"),  # a ValueError traceback before
])
def test_user_mistakes_are_one_line_and_status_2(tmp_path, capsys, make, argv, message):
    """Item 7: every user mistake is one line on stderr and exit status 2, never a traceback."""
    corpus = make(tmp_path / "c")
    assert main(["extract", "--corpus", str(corpus), "--encoder", "mfcc", "--store", str(tmp_path / "s"),
                 "--quiet", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_store_vacuum_deletes_shards_no_entry_points_to(tmp_path, capsys):
    write_tone_corpus(tmp_path / "corpus", per_speaker=1)
    store = tmp_path / "store"
    assert main(["extract", "--corpus", str(tmp_path / "corpus"), "--encoder", "mfcc", "--store", str(store),
                 "--quiet"]) == 0
    kept = sorted(p.name for p in (store / "shards").iterdir())
    (store / "shards" / "0123abcd.npz").write_bytes(b"written by a worker, never committed")
    capsys.readouterr()
    assert main(["store", "vacuum", str(store)]) == 0
    assert capsys.readouterr().out.strip() == f"{store}: 1 unused shard(s) deleted, 3 entries kept"
    assert sorted(p.name for p in (store / "shards").iterdir()) == kept
    assert main(["store", "vacuum", str(tmp_path / "nowhere")]) == 2
    assert not (tmp_path / "nowhere").exists()
