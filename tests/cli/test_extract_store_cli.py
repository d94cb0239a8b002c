import json

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
    assert summary["n_extracted"] == 6 and summary["trained"] is True

    assert main(["extract", "--corpus", str(tmp_path / "corpus"), "--encoder", "mfcc", "--store", str(store),
                 "--quiet"]) == 0
    assert "6 already stored, 0 extracted" in capsys.readouterr().out

    assert main(["store", "show", str(store), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert sorted(r["segment"] for r in rows) == ["alice/alice_0", "alice/alice_1", "bob/bob_0", "bob/bob_1",
                                                 "carol/carol_0", "carol/carol_1"]
    assert {(r["encoder"], r["tap"], r["dim"], r["frame rate"]) for r in rows} == {("mfcc", "mfcc", 20, 100.0)}


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
    assert main(["corpus", "prepare", "--corpus", str(tmp_path / "corpus"), "--out", str(tmp_path / "m")]) == 0
    printed = capsys.readouterr().out
    assert "corpus (speaker-folders): 6 recordings, 6 segments, 3 speakers" in printed
    assert "broken.wav" in printed
    assert main(["extract", "--corpus", str(tmp_path / "m"), "--encoder", "mfcc", "--store", str(tmp_path / "s"),
                 "--quiet"]) == 0
    assert "6 segments, 0 already stored, 6 extracted" in capsys.readouterr().out


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
