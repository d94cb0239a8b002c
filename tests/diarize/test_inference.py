"""``codecprobe diarize`` end to end: known answers, overlap, bad input, resume, the command line."""
from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from codecprobe.cli.main import main
from codecprobe.config import load_config
from codecprobe.data.synthetic import make_synthetic_corpus
from codecprobe.diarize.adapter_pipeline import AdapterPipeline, decide
from codecprobe.diarize.aggregation import to_turns
from codecprobe.diarize.clustering import SpeakerCount
from codecprobe.diarize.run import run_diarize
from codecprobe.diarize.config import DiarizeConfig
from codecprobe.diarize.recordings import Recording, RecordingResult
from codecprobe.data.rttm import read_rttm, write_rttm
from codecprobe.score import score
from tests.diarize.conversation import librispeech_utterances, write_conversation
from codecprobe.diarize.oracle import OracleModel

SPEAKERS = ["1688", "2033", "3005", "533"]  # LibriSpeech test-other: two women, two men


@pytest.fixture(scope="module")
def conversation(shared_data, tmp_path_factory):
    """A 4-speaker conversation of real LibriSpeech utterances, every other change overlapping by 1 s."""
    folder = tmp_path_factory.mktemp("conversation")
    path, reference = write_conversation(folder, librispeech_utterances(shared_data, SPEAKERS), n_turns=12,
                                         overlap_s=1.0, seed=1)
    assert len(reference.labels) == 4
    write_rttm(folder / "reference.rttm", {reference.recording_id: reference})
    return path, reference, folder / "reference.rttm"


def test_classic_finds_the_speakers_of_a_known_conversation(conversation, tmp_path, monkeypatch):
    path, reference, reference_path = conversation
    summary = run_diarize(DiarizeConfig(pipeline="classic"), [path], tmp_path, reference=[reference_path],
                          progress=False)
    (recording,) = summary["recordings"]
    assert recording["n_speakers"] == 4
    overall = summary["scores"]["collars"]["0"]["overall"]
    # The classic pipeline gives overlapped speech to one speaker and leaves the pauses inside an
    # utterance out, which the reference counts as speech: that is its miss. It confuses no one.
    assert overall["der"] < 25.0 and overall["conf"] < 2.0
    hypothesis = read_rttm(tmp_path / "rttm" / "conversation.rttm")["conversation"]
    assert _overlap_seconds(hypothesis) == 0.0  # one speaker at a time
    assert read_rttm(tmp_path / "all.rttm")["conversation"].start.tolist() == hypothesis.start.tolist()
    report = (tmp_path / "report.md").read_text()
    name = f"conversation ({path.parent.name})"  # with its folder, as every recording (issue 18 item 9)
    assert f"| {name} | " in report and "| TOTAL | " in report and f"![{name}](plots/conversation.png)" in report
    assert (tmp_path / "plots" / "conversation.png").stat().st_size > 10_000
    assert json.loads((tmp_path / "summary.json").read_text())["config"]["classic"]["clustering"]["method"] == "ahc"

    # issue 17 item 1: summary.json loads back into a DiarizeResult, and `codecprobe report OUT` writes the
    # same report.md, byte for byte, with diarizing and scoring switched off
    from codecprobe.cli.main import main
    from codecprobe.diarize import run, scoring
    from codecprobe.report.results import load_result

    saved = load_result(tmp_path)
    assert saved.scores["collars"]["0"]["overall"] == overall and saved.figures == {"conversation": "plots/conversation.png"}
    original = (tmp_path / "report.md").read_bytes()
    (tmp_path / "report.md").unlink()

    def no_computation(*args, **kwargs):
        raise AssertionError("codecprobe report must not compute")

    monkeypatch.setattr(run, "run_diarize", no_computation)
    monkeypatch.setattr(scoring, "score", no_computation)
    assert main(["report", str(tmp_path)]) == 0
    assert (tmp_path / "report.md").read_bytes() == original


@pytest.fixture(scope="module")
def oracle_analysis(conversation):
    """Everything of the adapter pipeline but the adapter: local activities from the reference."""
    path, reference, _ = conversation
    pipeline = AdapterPipeline(DiarizeConfig(), OracleModel(reference, window_s=8.0, n_local=3))
    recording = Recording("conversation", str(path), reference.end.max() + 0.5)
    return pipeline.config, recording, pipeline.analyse(recording, {})


def test_stitching_a_perfect_window_model_keeps_overlap(conversation, oracle_analysis):
    reference = conversation[1]
    result = decide(*oracle_analysis, SpeakerCount(), {})
    der = score({"conversation": reference}, {"conversation": result.turns}).overall.der
    assert result.n_speakers == 4
    assert der.der < 2.0  # frame quantisation (80 ms) only
    assert _overlap_seconds(result.turns) == pytest.approx(_overlap_seconds(reference), abs=0.5)
    assert _overlap_seconds(reference) > 3.0


def test_a_known_speaker_count_is_honoured(oracle_analysis):
    assert decide(*oracle_analysis, SpeakerCount(num=2), {}).n_speakers == 2
    assert decide(*oracle_analysis, SpeakerCount(maximum=3), {}).n_speakers == 3


def test_bad_recordings_are_listed_or_noted_and_the_batch_goes_on(tmp_path):
    voices = make_synthetic_corpus(tmp_path / "voices", n_speakers=1, utterances_per_speaker=1)
    speech = next(voices.rglob("*.wav"))
    sf.write(tmp_path / "silence.wav", np.zeros(16000 * 3, np.float32), 16000)
    sf.write(tmp_path / "tiny.wav", np.zeros(100, np.float32), 16000)
    (tmp_path / "broken.wav").write_bytes(b"RIFF not really audio")
    inputs = [tmp_path / "broken.wav", tmp_path / "silence.wav", tmp_path / "tiny.wav", speech]
    summary = run_diarize(DiarizeConfig(pipeline="classic"), inputs, tmp_path / "out", progress=False)
    assert [f["path"] for f in summary["failures"]] == [str(tmp_path / "broken.wav")]
    by_id = {r["id"]: r for r in summary["recordings"]}
    assert by_id["silence"]["notes"] == ["no speech found (Silero VAD): empty RTTM"]
    assert by_id["tiny"]["notes"][0].startswith("shorter than one frame")
    assert by_id["voice00_00"]["n_speakers"] == 1 and by_id["voice00_00"]["n_turns"] >= 1
    assert (tmp_path / "out" / "rttm" / "silence.rttm").read_text() == ""
    assert set(read_rttm(tmp_path / "out" / "all.rttm")) == {"voice00_00"}


def test_a_rerun_reuses_finished_recordings(tmp_path, monkeypatch):
    voices = make_synthetic_corpus(tmp_path / "voices", n_speakers=1, utterances_per_speaker=1)
    speech = next(voices.rglob("*.wav"))
    first = run_diarize(DiarizeConfig(pipeline="classic"), [speech], tmp_path / "out", progress=False)

    def fail(*args, **kwargs):
        raise AssertionError("diarized again")

    monkeypatch.setattr("codecprobe.diarize.classic.ClassicPipeline.analyse", fail)
    again = run_diarize(DiarizeConfig(pipeline="classic"), [speech], tmp_path / "out", progress=False)
    assert again["recordings"] == first["recordings"]
    changed = load_config(DiarizeConfig, None, ["pipeline=classic", "classic.min_duration_off=0.9"])
    with pytest.raises(AssertionError, match="diarized again"):
        run_diarize(changed, [speech], tmp_path / "out", progress=False)


class GridPipeline:
    """Two speakers' turns on an 80 ms frame grid, the last one cut at the recording's end, as both
    pipelines make them: a 48689-sample recording ends at 3.0430625 s, its RTTM says 3.043."""

    def describe(self) -> dict:
        return {"label": "grid", "trained": True}

    def diarize(self, recording: Recording, speakers) -> RecordingResult:
        on = np.zeros((40, 2), bool)
        on[1:15, 0] = on[18:, 1] = True
        turns = to_turns(on, 0.08, recording.id, ["A", "B"], duration=recording.duration)
        return RecordingResult(recording, turns, {"total": 1.0}, 2, 2.0)


def test_item_9_a_rerun_scores_the_rttm_it_wrote(tmp_path):
    """Issue 18 item 9: a rerun read the rounded RTTM back and scored JER 63.40 where the first run's
    in-memory turns had scored 63.42; both runs now score what was written (here JER 47.16 vs 47.47)."""
    speech = tmp_path / "rec.wav"
    sf.write(speech, np.zeros(48689, np.float32), 16000)
    reference = tmp_path / "ref.rttm"
    reference.write_text("SPEAKER rec 1 0.245 0.8 <NA> <NA> a <NA> <NA>\nSPEAKER rec 1 0.875 1.3 <NA> <NA> b <NA> <NA>\n")
    config = DiarizeConfig(pipeline="classic", plots=False)
    first = run_diarize(config, [speech], tmp_path / "out", reference=[reference], progress=False,
                        pipeline=GridPipeline())
    again = run_diarize(config, [speech], tmp_path / "out", reference=[reference], progress=False,
                        pipeline=GridPipeline())  # resumes: reads rttm/rec.rttm back
    written = score(read_rttm(reference), read_rttm(tmp_path / "out" / "rttm" / "rec.rttm"), collar=0.0)
    assert first["scores"] == again["scores"]
    assert first["scores"]["collars"]["0"]["overall"]["jer"] == written.overall.jer


def test_issue18_item9_reports_name_each_recording_with_its_corpus(tmp_path):
    """Files called demo / test / sample say nothing alone: the report names their corpus (the folder)."""
    folder = tmp_path / "pyannote-sample"
    folder.mkdir()
    sf.write(folder / "sample.wav", np.zeros(48689, np.float32), 16000)
    reference = tmp_path / "ref.rttm"
    reference.write_text("SPEAKER sample 1 0.245 0.8 <NA> <NA> a <NA> <NA>\n")
    summary = run_diarize(DiarizeConfig(pipeline="classic"), [folder / "sample.wav"], tmp_path / "out",
                          reference=[reference], progress=False, pipeline=GridPipeline())
    assert [(r["id"], r["corpus"]) for r in summary["recordings"]] == [("sample", "pyannote-sample")]
    assert "sample.rttm" in {p.name for p in (tmp_path / "out" / "rttm").iterdir()}  # the RTTM id stays the id
    report = (tmp_path / "out" / "report.md").read_text()
    assert "| sample (pyannote-sample) |" in report and "![sample (pyannote-sample)](plots/sample.png)" in report


@pytest.mark.parametrize("arguments,message", [
    (["missing.wav"], "missing.wav: no such audio file or corpus"),
    (["{speech}", "--pipeline", "adapter"], "the adapter pipeline needs --model CHECKPOINT"),
    (["{speech}", "--pipeline", "classic", "--model", "x.ckpt"], "a model checkpoint is the adapter pipeline's"),
    (["{speech}", "--pipeline", "classic", "--set", "adapter.offset=0.9"], "must not exceed adapter.onset"),
    (["{speech}", "--pipeline", "classic", "--min-speakers", "3", "--max-speakers", "2"], "--min-speakers and --max-speakers need"),
    (["{speech}", "--pipeline", "classic", "--encoder", "ge2e", "--tap", "utterance"],
     "one vector per input"),
    (["{speech}", "--pipeline", "classic", "--uem", "x.uem"], "--uem needs --reference"),
])
def test_bad_options_are_one_line_errors_before_any_work(tmp_path, capsys, arguments, message):
    speech = tmp_path / "speech.wav"
    sf.write(speech, np.zeros(1600, np.float32), 16000)
    argv = ["diarize", *[a.format(speech=speech) for a in arguments], "--out", str(tmp_path / "out"), "--quiet"]
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert message in error and "Traceback" not in error and len(error.strip().splitlines()) == 1
    assert not (tmp_path / "out" / "summary.json").exists()


def test_the_command_diarizes_a_corpus_and_scores_it(tmp_path, capsys):
    voices = make_synthetic_corpus(tmp_path / "corpus", n_speakers=2, utterances_per_speaker=1)
    reference = tmp_path / "reference.rttm"
    reference.write_text("SPEAKER voice00/voice00_00 1 0.2 1.0 <NA> <NA> A <NA> <NA>\n")
    code = main(["diarize", str(voices), "--pipeline", "classic", "--out", str(tmp_path / "out"),
                 "--reference", str(reference), "--quiet", "--max-speakers", "1"])
    assert code == 1  # one recording has no reference: done, an input left unscored and named (issue 18 item 14)
    captured = capsys.readouterr()
    printed = captured.out
    assert "not scored: voice01/voice01_00: no --reference file names this recording" in captured.err
    assert "classic baseline" in printed and "2 recording(s)" in printed and "collar 0.25: DER" in printed
    assert sorted(p.name for p in (tmp_path / "out" / "rttm").iterdir()) == ["voice00__voice00_00.rttm",
                                                                              "voice01__voice01_00.rttm"]
    scores = json.loads((tmp_path / "out" / "scores.json").read_text())
    assert scores["unscored_recordings"] == ["voice01/voice01_00"]


def _overlap_seconds(turns) -> float:
    """Seconds where two or more speakers talk, on a 10 ms grid."""
    grid = np.zeros(int(np.ceil(turns.end.max() * 100)) + 1)
    for turn in turns:
        grid[int(round(turn.start * 100)):int(round(turn.end * 100))] += 1
    return float((grid >= 2).sum() / 100)
