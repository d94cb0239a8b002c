"""Standard data in (issue 20 item 6): what lhotse's VoxCeleb, LibriSpeech and AMI recipes write,
and VoxCeleb1's official trial lists, on tiny fakes laid out exactly as the recipes do."""
import json

import numpy as np
import pytest
import soundfile as sf

from codecprobe.cli.main import main
from codecprobe.data import load_corpus, source_of
from codecprobe.data.layouts import detect_layout
from codecprobe.errors import InputError
from codecprobe.verify.trials import read_trials

VOX1_TEST = ["id10270/x6uYqmx31kE/00001", "id10270/8jEAjG6SegY/00008", "id10300/ize_eiCFEg0/00003",
             "id10300/Zp1SQPaTeus/00001", "id10309/-3oBR0OfPRo/00001", "id10309/vobW27_-JyQ/00002"]
VOX1_DEV = ["id10001/1zcIwhmdeo4/00001", "id10001/7w0IBEWc9Qw/00001", "id10002/6WO410QOeuo/00001",
            "id10002/C7k7C-PDvAA/00001"]
VERI_TEST = """\
1 id10270/x6uYqmx31kE/00001.wav id10270/8jEAjG6SegY/00008.wav
0 id10270/x6uYqmx31kE/00001.wav id10300/ize_eiCFEg0/00003.wav
1 id10300/ize_eiCFEg0/00003.wav id10300/Zp1SQPaTeus/00001.wav
0 id10300/ize_eiCFEg0/00003.wav id10309/-3oBR0OfPRo/00001.wav
1 id10309/-3oBR0OfPRo/00001.wav id10309/vobW27_-JyQ/00002.wav
0 id10309/vobW27_-JyQ/00002.wav id10270/8jEAjG6SegY/00008.wav
"""


def write_wav(path, seconds=0.5, pitch=220.0, seed=0):
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(16000 * seconds)) / 16000
    noise = np.random.default_rng(seed).normal(size=t.size)
    sf.write(path, (0.3 * np.sin(2 * np.pi * pitch * t) + 0.05 * noise).astype(np.float32), 16000)


@pytest.fixture(scope="module")
def voxceleb(tmp_path_factory):
    """lhotse's ``prepare_voxceleb`` run on a fake VoxCeleb1 (its trial download stubbed out)."""
    from lhotse.recipes import voxceleb as recipe

    root = tmp_path_factory.mktemp("vox1")
    speakers = sorted({u.split("/")[0] for u in VOX1_TEST + VOX1_DEV})
    (root / "vox1_meta.csv").write_text("VoxCeleb1 ID\tVGGFace1 ID\tGender\tNationality\tSet\n" + "".join(
        f"{s}\tName_{s}\tm\tUSA\t{'test' if s >= 'id10270' else 'dev'}\n" for s in speakers))
    for i, utterance in enumerate(VOX1_TEST + VOX1_DEV):
        write_wav(root / "wav" / f"{utterance}.wav", pitch=200.0 + 40 * speakers.index(utterance.split("/")[0]), seed=i)
    out = root / "manifests"
    out.mkdir()  # the recipe writes into it without creating it
    with pytest.MonkeyPatch.context() as patch:  # the recipe downloads veri_test2.txt as CutSets; not needed here
        patch.setattr(recipe, "_prepare_voxceleb_trials", lambda manifests: {})
        recipe.prepare_voxceleb(voxceleb1_root=root, output_dir=out)
    (root / "veri_test2.txt").write_text(VERI_TEST)
    return root


def test_recipe_file_names_are_what_the_loader_looks_for(voxceleb):
    assert sorted(p.name for p in (voxceleb / "manifests").iterdir()) == [
        "voxceleb_recordings_test.jsonl.gz", "voxceleb_recordings_train.jsonl.gz",
        "voxceleb_supervisions_test.jsonl.gz", "voxceleb_supervisions_train.jsonl.gz"]


def test_a_folder_of_several_splits_says_how_to_pick_one(voxceleb):
    manifests = voxceleb / "manifests"
    assert detect_layout(manifests) == "manifest"
    with pytest.raises(InputError, match=r"manifests: lhotse manifests of 2 splits \(voxceleb_recordings_test"
                                         r".*give one split's recordings manifest as --corpus"):
        load_corpus(manifests)


def test_voxceleb_test_split_keeps_lhotse_ids_speakers_and_videos(voxceleb):
    corpus = load_corpus(voxceleb / "manifests" / "voxceleb_recordings_test.jsonl.gz")
    assert corpus.layout == "manifest" and not corpus.failures
    assert sorted(s.id for s in corpus.segments()) == sorted(u.replace("/", "-") for u in VOX1_TEST)
    assert corpus.speakers() == ["id10270", "id10300", "id10309"]
    segment = next(s for s in corpus.segments() if s.id == "id10309--3oBR0OfPRo-00001")
    assert source_of(segment) == "id10309/-3oBR0OfPRo"  # the video, as the voxceleb layout says
    assert (segment.speaker, segment.start) == ("id10309", 0.0)
    assert segment.duration == pytest.approx(0.5)
    assert corpus.audio_path(segment.recording_id) == str(voxceleb / "wav" / "id10309/-3oBR0OfPRo/00001.wav")


def test_veri_test_maps_onto_lhotse_ids_and_onto_the_wav_tree_alike(voxceleb):
    lhotse = load_corpus(voxceleb / "manifests" / "voxceleb_recordings_test.jsonl.gz")
    trials = read_trials(voxceleb / "veri_test2.txt", known_ids={s.id for s in lhotse.segments()})
    assert trials.enroll[3] == "id10300-ize_eiCFEg0-00003" and trials.test[3] == "id10309--3oBR0OfPRo-00001"
    assert trials.labels.tolist() == [True, False] * 3
    tree = load_corpus(voxceleb, "voxceleb")  # the same list on the wav/ folder: path ids
    by_path = read_trials(voxceleb / "veri_test2.txt", known_ids={s.id for s in tree.segments()})
    assert [e.replace("/", "-") for e in by_path.enroll] == list(trials.enroll)
    assert [t.replace("/", "-") for t in by_path.test] == list(trials.test)


def test_kaldi_target_nontarget_format_reads_the_same(voxceleb, tmp_path):
    kaldi = tmp_path / "vox1_O_cleaned.kaldi"
    kaldi.write_text("".join(f"{e} {t} {'target' if l == '1' else 'nontarget'}\n"
                             for l, e, t in (line.split() for line in VERI_TEST.splitlines())))
    known = {s.id for s in load_corpus(voxceleb / "manifests" / "voxceleb_recordings_test.jsonl.gz").segments()}
    first, second = read_trials(voxceleb / "veri_test2.txt", known), read_trials(kaldi, known)
    assert (first.enroll, first.test, first.labels.tolist()) == (second.enroll, second.test, second.labels.tolist())


def test_a_trial_naming_a_file_of_another_split_names_list_line_and_file(voxceleb, tmp_path):
    listing = tmp_path / "veri_test.txt"
    listing.write_text(VERI_TEST + "0 id10270/x6uYqmx31kE/00001.wav id10001/1zcIwhmdeo4/00001.wav\n")
    known = {s.id for s in load_corpus(voxceleb / "manifests" / "voxceleb_recordings_test.jsonl.gz").segments()}
    with pytest.raises(InputError, match=r"veri_test\.txt:7: id10001/1zcIwhmdeo4/00001\.wav is not a segment of the "
                                         r"corpus \(no segment id .*'id10001-1zcIwhmdeo4-00001'; its ids look like "
                                         r"'id10270-8jEAjG6SegY-00008'\)"):
        read_trials(listing, known)


def test_verify_on_the_test_split_with_the_train_split_for_back_ends(voxceleb, tmp_path, capsys):
    manifests = voxceleb / "manifests"
    out = tmp_path / "out"
    code = main(["verify", "--corpus", str(manifests / "voxceleb_recordings_test.jsonl.gz"),
                 "--train-corpus", str(manifests / "voxceleb_recordings_train.jsonl.gz"),
                 "--trials", str(voxceleb / "veri_test2.txt"), "--encoder", "mfcc", "--no-ceilings", "--backend", "cosine",
                 "--store", str(tmp_path / "store"), "--out", str(out), "--quiet"])
    assert code == 0, capsys.readouterr().err
    results = json.loads((out / "results.json").read_text())
    assert results["n_trials"] == 6


def test_missing_audio_is_listed_and_its_supervisions_skipped(voxceleb, tmp_path):
    from lhotse import RecordingSet, SupervisionSet

    test = voxceleb / "manifests" / "voxceleb_recordings_test.jsonl.gz"
    recordings = RecordingSet.from_file(test).to_eager()
    moved = recordings["id10270-x6uYqmx31kE-00001"]
    moved.sources[0].source = str(tmp_path / "gone.wav")
    recordings.to_file(tmp_path / "vox_recordings_x.jsonl.gz")
    SupervisionSet.from_file(voxceleb / "manifests" / "voxceleb_supervisions_test.jsonl.gz").to_file(
        tmp_path / "vox_supervisions_x.jsonl.gz")
    corpus = load_corpus(tmp_path / "vox_recordings_x.jsonl.gz")
    assert [path for path, _ in corpus.failures] == [str(tmp_path / "gone.wav")]
    assert len(corpus.segments()) == len(VOX1_TEST) - 1
    (tmp_path / "vox_supervisions_x.jsonl.gz").unlink()
    with pytest.raises(InputError, match=r"vox_recordings_x\.jsonl\.gz: no supervisions manifest "
                                         r"vox_supervisions_x\.jsonl\.gz beside it"):
        load_corpus(tmp_path / "vox_recordings_x.jsonl.gz")


def test_librispeech_recipe_parts(tmp_path):
    from lhotse.recipes import prepare_librispeech

    for part, speaker in [("dev-clean", "84"), ("test-clean", "1089")]:
        chapter = tmp_path / "LibriSpeech" / part / speaker / "121123"
        for i in range(2):
            write_wav(chapter / f"{speaker}-121123-000{i}.flac", seed=i)
        (chapter / f"{speaker}-121123.trans.txt").write_text(
            "".join(f"{speaker}-121123-000{i} HELLO NUMBER {i}\n" for i in range(2)))
    prepare_librispeech(tmp_path / "LibriSpeech", output_dir=tmp_path / "manifests")
    with pytest.raises(InputError, match=r"2 splits \(librispeech_recordings_dev-clean\.jsonl\.gz, "
                                         r"librispeech_recordings_test-clean\.jsonl\.gz\)"):
        load_corpus(tmp_path / "manifests")
    corpus = load_corpus(tmp_path / "manifests" / "librispeech_recordings_test-clean.jsonl.gz")
    assert sorted((s.id, s.speaker, s.text) for s in corpus.segments()) == [
        ("1089-121123-0000", "1089", "HELLO NUMBER 0"), ("1089-121123-0001", "1089", "HELLO NUMBER 1")]


def ami_manifests(data, out, mic):
    """lhotse's AMI recipe steps for ``mic`` on a fake meeting (its annotation parser needs AMI's XML)."""
    from lhotse.qa import fix_manifests
    from lhotse.recipes import ami

    if mic == "sdm":
        write_wav(data / "ES2004a" / "audio" / "ES2004a.Array1-01.wav", seconds=3.0)
        audio = ami.prepare_audio_single([data / "ES2004a" / "audio" / "ES2004a.Array1-01.wav"], mic)
    else:
        for headset in range(2):
            write_wav(data / "ES2004a" / "audio" / f"ES2004a.Headset-{headset}.wav", seconds=3.0, seed=headset)
        audio = ami.prepare_audio_grouped(sorted((data / "ES2004a" / "audio").glob("*Headset-?.wav")))
    turns = {("ES2004a", "MEE006", 0): [(0.0, 1.2)], ("ES2004a", "FEE005", 1): [(1.0, 2.0), (2.2, 2.9)]}
    annotations = {key: [ami.AmiSegmentAnnotation("OKAY", key[1], key[1][0], start, end, [])
                         for start, end in spans] for key, spans in turns.items()}
    supervise = ami.prepare_supervision_other if mic == "sdm" else ami.prepare_supervision_ihm
    recordings, supervisions = fix_manifests(audio, supervise(audio, annotations))
    recordings.to_file(out / f"ami-{mic}_recordings_test.jsonl.gz")
    supervisions.to_file(out / f"ami-{mic}_supervisions_test.jsonl.gz")
    return out / f"ami-{mic}_recordings_test.jsonl.gz"


def test_ami_sdm_meeting_is_a_reference_for_train_and_an_input_for_diarize(tmp_path):
    from codecprobe.diarize.recordings import collect_recordings
    from codecprobe.train.conversations import load_conversations

    (tmp_path / "manifests").mkdir()
    manifest = ami_manifests(tmp_path, tmp_path / "manifests", "sdm")
    corpus = load_corpus(tmp_path / "manifests")  # one split in the folder: no need to name it
    assert corpus.speakers() == ["FEE005", "MEE006"]  # AMI's global speaker ids, shared across meetings
    conversations = load_conversations(str(manifest))
    (turns,) = conversations.turns.values()
    assert [t.speaker for t in turns] == ["MEE006", "FEE005", "FEE005"]
    assert [x for t in turns for x in (t.start, t.end)] == pytest.approx([0.0, 1.2, 1.0, 2.0, 2.2, 2.9])
    (recording,), failures = collect_recordings([manifest])
    assert (recording.id, recording.duration, failures) == ("ES2004a", pytest.approx(3.0), [])


def test_ami_ihm_headsets_are_refused_with_the_mic_settings_that_work(tmp_path):
    manifest = ami_manifests(tmp_path, tmp_path, "ihm")
    with pytest.raises(InputError, match=r"ami-ihm_recordings_test\.jsonl\.gz: recording ES2004a has 2 audio files "
                                         r".*prepare with mic='ihm-mix' or 'sdm'"):
        load_corpus(manifest)


def test_supervisions_without_speakers_load_but_verify_names_them(tmp_path, capsys):
    from lhotse import Recording, RecordingSet, SupervisionSegment, SupervisionSet

    for name in ("a", "b", "c"):
        write_wav(tmp_path / f"{name}.wav")
    RecordingSet.from_recordings(Recording.from_file(tmp_path / f"{n}.wav") for n in "abc") \
        .to_file(tmp_path / "x_recordings.jsonl.gz")
    SupervisionSet.from_segments(SupervisionSegment(id=n, recording_id=n, start=0.0, duration=0.5,
                                                    speaker="s1" if n == "a" else None) for n in "abc") \
        .to_file(tmp_path / "x_supervisions.jsonl.gz")
    corpus = load_corpus(tmp_path)
    assert corpus.speakers() == ["s1"] and sorted(s.id for s in corpus.segments()) == ["a", "b", "c"]
    (tmp_path / "t.txt").write_text("1 a.wav b.wav\n0 a.wav c.wav\n")
    assert read_trials(tmp_path / "t.txt", {s.id for s in corpus.segments()}).labels.tolist() == [True, False]
    assert main(["verify", "--corpus", str(tmp_path), "--trials", str(tmp_path / "t.txt"), "--encoder", "mfcc",
                 "--store", str(tmp_path / "store"), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    assert "t.txt: 2 trial segment(s) without a speaker" in capsys.readouterr().err
