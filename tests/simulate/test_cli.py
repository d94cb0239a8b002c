"""`codecprobe simulate` on the command line: its output is a corpus `extract` and `score` read, and
bad input is a one-line error with exit status 2."""
import json

import pytest

from codecprobe.cli.main import main
from codecprobe.data import load_corpus
from tests.cli.test_help import snake_case_keys
from tests.simulate.tones import write_tones

SMALL = ["--set", "speakers.min_turns=2", "--set", "speakers.max_turns=3", "--set", "turns.cut_duration.mean=0.8",
         "--set", "turns.cut_duration.minimum=0.3", "--set", "timing.overlap_probability=0.6"]


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    corpus = write_tones(root / "tones")
    assert main(["simulate", "--corpus", str(corpus), "--out", str(root / "sim"), "-n", "4", "--quiet", *SMALL]) == 0
    return root / "sim"


def test_the_output_loads_with_the_rttm_layout_and_extracts(simulated, tmp_path, capsys):
    corpus = load_corpus(simulated, "rttm")
    summary = json.loads((simulated / "simulation.json").read_text())
    assert snake_case_keys(summary, data_maps=("versions", "corpora", "speakers")) == []  # issue 7, item 15
    assert sorted(corpus.recordings.ids) == [f"sim-{i:06d}" for i in range(4)]
    assert corpus.whole_recordings and len(corpus.supervisions) == summary["overall"]["turns"]
    assert set(corpus.speakers()) <= {f"tones:s{k}" for k in range(1, 5)}
    for row in summary["recordings"]:
        assert corpus.recordings[row["recording"]].duration == pytest.approx(row["duration"])
    assert main(["extract", "--corpus", str(simulated), "--layout", "rttm", "--encoder", "mfcc",
                 "--store", str(tmp_path / "store"), "--quiet"]) == 0
    assert "4 segments, 0 already stored, 4 extracted" in capsys.readouterr().out


def test_the_reference_scores_against_itself_over_the_uem(simulated, tmp_path):
    assert main(["score", "-r", str(simulated / "rttm"), "-s", str(simulated / "rttm"), "-u",
                 str(simulated / "all.uem"), "--json", str(tmp_path / "der.json")]) == 0
    scores = json.loads((tmp_path / "der.json").read_text())["overall"]
    summary = json.loads((simulated / "simulation.json").read_text())
    overall = summary["overall"]
    speech = overall["speech_ratio"] * overall["hours"] * 3600
    assert scores["der"] == 0 and overall["overlap_ratio"] > 0
    # md-eval's scored time counts each speaker: speech plus overlapped time (at most two at once)
    assert scores["scored"] == pytest.approx(speech * (1 + overall["overlap_ratio"]), abs=1e-6)
    assert (simulated / "corpus.yaml").read_text().count("speaker_labels: global") == 2


@pytest.mark.parametrize("extra, message", [
    (["--num-speakers", "5"], "asks for [5] speakers per recording, but the pool"),
    (["--set", "timing.overlap_probability=-1"], "timing.overlap_probability: must be a probability"),
    (["--set", "timing.nonsense=1"], "unknown key(s) ['nonsense']"),
    (["--split", "held-out", "--held-out-fraction", "1.5"], "speakers.held_out_fraction: must be between 0 and 1"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, extra, message):
    corpus = write_tones(tmp_path / "tones", speakers=("s1", "s2"), per_speaker=1)
    assert main(["simulate", "--corpus", str(corpus), "--out", str(tmp_path / "out"), *extra]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("codecprobe simulate: error:") and message in error and "\n" not in error
    assert not (tmp_path / "out").exists()


def test_no_corpus_is_an_error(tmp_path, capsys):
    assert main(["simulate", "--out", str(tmp_path / "out")]) == 2
    assert "corpora: give at least one corpus (--corpus DIR)" in capsys.readouterr().err
