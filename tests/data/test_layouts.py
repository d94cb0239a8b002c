import json

import numpy as np
import pytest
import soundfile as sf

from codecprobe.data import Corpus, load_corpus, segment_id_for_path, source_of
from codecprobe.data.layouts import detect_layout
from codecprobe.errors import InputError
from tests.fakes import write_tone_corpus


def test_speaker_folders_records_unreadable_files_and_goes_on(tmp_path):
    write_tone_corpus(tmp_path, per_speaker=2)
    (tmp_path / "bob" / "broken.wav").write_bytes(b"RIFF....garbage")
    corpus = load_corpus(tmp_path, "speaker-folders")
    assert corpus.speakers() == ["alice", "bob", "carol"]
    assert len(corpus.segments()) == 6
    assert [path.endswith("broken.wav") for path, _ in corpus.failures] == [True]
    segment = next(s for s in corpus.segments() if s.id == "alice/alice_1")
    assert segment.speaker == "alice" and segment.start == 0.0
    assert segment.duration == pytest.approx(sf.info(tmp_path / "alice" / "alice_1.wav").duration)


def test_manifest_csv_and_jsonl(tmp_path):
    write_tone_corpus(tmp_path / "audio", speakers=("a", "b"), per_speaker=1)
    (tmp_path / "manifest.csv").write_text(
        "path,speaker,start,end,text\naudio/a/a_0.wav,a,0.0,0.2,hello\naudio/b/b_0.wav,b,,,\n")
    corpus = load_corpus(tmp_path)
    assert corpus.layout == "manifest"
    first, second = sorted(corpus.segments(), key=lambda s: s.id)
    assert (first.speaker, first.start, first.duration, first.text) == ("a", 0.0, 0.2, "hello")
    assert second.duration == pytest.approx(0.3 + 0.17)
    jsonl = tmp_path / "m.jsonl"
    jsonl.write_text(json.dumps({"path": "audio/a/a_0.wav", "speaker": "a"}) + "\n{not json\n")
    with pytest.raises(InputError, match=r"m\.jsonl:2: invalid JSON"):
        load_corpus(jsonl, "manifest")


def test_manifest_segment_outside_file_names_line(tmp_path):
    write_tone_corpus(tmp_path / "audio", speakers=("a",), per_speaker=1)
    (tmp_path / "manifest.csv").write_text("path,speaker,start,end\naudio/a/a_0.wav,a,0.1,9.0\n")
    with pytest.raises(InputError, match=r"manifest\.csv:2: segment"):
        load_corpus(tmp_path)


def test_corpus_manifests_round_trip(tmp_path):
    write_tone_corpus(tmp_path / "c", per_speaker=1)
    corpus = load_corpus(tmp_path / "c")
    corpus.save(tmp_path / "saved")
    again = load_corpus(tmp_path / "saved")
    assert isinstance(again, Corpus) and again.layout == "speaker-folders"
    assert [s.id for s in again.segments()] == [s.id for s in corpus.segments()]


def test_segment_id_for_trial_paths():
    assert segment_id_for_path("id10270/5r0dWxy17C8/00001.wav") == "id10270/5r0dWxy17C8/00001"
    assert segment_id_for_path("p225/p225_003") == "p225/p225_003"


def test_voxceleb_tree(tmp_path):
    for speaker, video in [("id10001", "abc"), ("id10002", "xyz")]:
        (tmp_path / "wav" / speaker / video).mkdir(parents=True)
        sf.write(tmp_path / "wav" / speaker / video / "00001.wav", np.zeros(1600, np.float32), 16000)
    corpus = load_corpus(tmp_path)
    assert corpus.layout == "voxceleb"
    assert sorted(s.id for s in corpus.segments()) == ["id10001/abc/00001", "id10002/xyz/00001"]
    assert sorted(source_of(s) for s in corpus.segments()) == ["id10001/abc", "id10002/xyz"]
    assert corpus.speakers() == ["id10001", "id10002"]


# -- the real sets in ../shared/data ----------------------------------------------------
@pytest.mark.parametrize(
    "folder, layout, n_segments, n_speakers",
    [
        ("fsdd/recordings", "fsdd", 3000, 6),
        ("librispeech-test-other", "librispeech", 100, 10),
        ("vctk-autovc", "speaker-folders", 40, 4),
    ],
)
def test_real_utterance_sets(shared_data, folder, layout, n_segments, n_speakers):
    corpus = load_corpus(shared_data / folder)
    assert corpus.layout == layout and not corpus.failures
    assert len(corpus.segments()) == n_segments
    assert len(corpus.speakers()) == n_speakers


def test_fsdd_text_is_the_digit(shared_data):
    corpus = load_corpus(shared_data / "fsdd" / "recordings")
    segment = next(s for s in corpus.segments() if s.id == "7_jackson_12")
    assert (segment.speaker, segment.text) == ("jackson", "7")


def test_librispeech_genders_from_speakers_txt(shared_data):
    corpus = load_corpus(shared_data / "librispeech-test-other")
    genders = {s.speaker: s.gender for s in corpus.segments()}
    assert set(genders.values()) == {"M", "F"}


def test_real_rttm_folder(shared_data):
    corpus = load_corpus(shared_data / "pyannote-sample")
    assert corpus.layout == "rttm" and corpus.whole_recordings
    (whole,) = corpus.segments()
    assert whole.id == "sample" and whole.duration == pytest.approx(30.0, abs=0.1)
    labels = {s.split()[7] for s in (shared_data / "pyannote-sample" / "sample.rttm").read_text().splitlines()}
    assert set(corpus.speakers()) == {f"sample:{label}" for label in labels}


def test_detects_layouts_of_real_sets(shared_data):
    assert detect_layout(shared_data / "fsdd" / "recordings") == "fsdd"
    assert detect_layout(shared_data / "vctk-autovc") == "speaker-folders"


def test_rttm_folders_side_by_side_and_ami_style_names(tmp_path):
    """VoxConverse keeps audio and RTTMs in separate folders; AMI names audio ES2004a.Mix-Headset.wav."""
    (tmp_path / "audio").mkdir()
    (tmp_path / "refs").mkdir()
    sf.write(tmp_path / "audio" / "abjxc.wav", np.zeros(32000, np.float32), 16000)
    sf.write(tmp_path / "audio" / "ES2004a.Mix-Headset.wav", np.zeros(48000, np.float32), 16000)
    (tmp_path / "refs" / "abjxc.rttm").write_text("SPEAKER abjxc 1 0.50 1.00 <NA> <NA> spk1 <NA> <NA>\n")
    (tmp_path / "refs" / "ES2004a.rttm").write_text(
        "SPEAKER ES2004a 1 0.00 1.00 <NA> <NA> A <NA> <NA>\nSPEAKER ES2004a 1 1.50 1.00 <NA> <NA> B <NA> <NA>\n")
    corpus = load_corpus(tmp_path)
    assert corpus.layout == "rttm"
    assert sorted(s.id for s in corpus.segments()) == ["ES2004a", "abjxc"]
    turns = sorted((s.recording_id, s.start, s.duration, s.speaker) for s in corpus.supervisions)
    assert turns == [("ES2004a", 0.0, 1.0, "ES2004a:A"), ("ES2004a", 1.5, 1.0, "ES2004a:B"),
                     ("abjxc", 0.5, 1.0, "abjxc:spk1")]


def test_real_pyaudioanalysis_segments(shared_data):
    corpus = load_corpus(shared_data / "pyaudioanalysis")
    assert corpus.layout == "rttm" and corpus.whole_recordings
    assert sorted(s.id for s in corpus.segments()) == ["diarizationExample", "diarizationExample2"]
    first = min((s for s in corpus.supervisions if s.recording_id == "diarizationExample"), key=lambda s: s.start)
    assert (first.start, first.duration, first.speaker) == (0.0, 6.3, "diarizationExample:speakerA")
    by_file = {}
    for s in corpus.supervisions:
        by_file.setdefault(s.recording_id, set()).add(s.speaker)
    assert {f: len(v) for f, v in by_file.items()} == {"diarizationExample": 4, "diarizationExample2": 6}


def test_rttm_speaker_labels_belong_to_their_recording(shared_data, tmp_path):
    """Item 10: pyAudioAnalysis' two files both use speakerA (and B, C, D) for different people."""
    folder = shared_data / "pyaudioanalysis"
    labels = {path.stem: {line.split("\t")[2].strip() for line in path.read_text().splitlines() if line.strip()}
              for path in folder.glob("*.segments")}
    assert "speakerA" in labels["diarizationExample"] & labels["diarizationExample2"]  # the trap
    corpus = load_corpus(folder)
    assert len(corpus.speakers()) == 4 + 6  # not 6: no label of one file merges with the other's
    assert "diarizationExample:speakerA" in corpus.speakers() and "diarizationExample2:speakerA" in corpus.speakers()

    for path in folder.iterdir():  # the same corpus, declared to use one set of speaker ids
        (tmp_path / path.name).symlink_to(path)
    (tmp_path / "corpus.yaml").write_text("speaker_labels: global\n")
    assert len(load_corpus(tmp_path).speakers()) == 6
    (tmp_path / "corpus.yaml").write_text("speaker_labels: everywhere\n")
    with pytest.raises(InputError, match=r"corpus\.yaml: speaker_labels must be one of per-recording, global"):
        load_corpus(tmp_path)


def test_bad_segments_line_names_file_and_line(tmp_path):
    sf.write(tmp_path / "a.wav", np.zeros(16000, np.float32), 16000)
    (tmp_path / "a.segments").write_text("0\t0.5\tA\n0.5\tlater\tB\n")
    with pytest.raises(InputError, match=r"a\.segments:2: expected start"):
        load_corpus(tmp_path)
