"""Issue 18 item 11: the corpus properties a verify / diagnose report states (sessions, too few speakers)."""
import numpy as np

from codecprobe.verify.sessions import corpus_properties
from codecprobe.verify.trials import Trials

# LibriSpeech per-file ids: speaker 1688 read two chapters, speaker 1998 one
LIBRI = {"1688/1688-142285-0000": "1688", "1688/1688-142285-0001": "1688", "1688/1688-990-0000": "1688",
         "1998/1998-15444-0000": "1998", "1998/1998-15444-0001": "1998"}


def trials(*pairs):
    return Trials(tuple(e for e, _, _ in pairs), tuple(t for _, t, _ in pairs), np.array([l for *_, l in pairs]), "test")


def test_issue18_item11_same_chapter_trials_are_counted_from_librispeech_names():
    pairs = trials(("1688/1688-142285-0000", "1688/1688-142285-0001", True),   # one chapter
                   ("1688/1688-142285-0000", "1688/1688-990-0000", True),      # two chapters
                   ("1998/1998-15444-0000", "1998/1998-15444-0001", True),     # one chapter
                   ("1688/1688-142285-0000", "1998/1998-15444-0000", False))
    properties = corpus_properties(LIBRI, min_speakers=2, trials=pairs)
    assert properties.sessions_from == "the LibriSpeech chapter id in each file name"
    assert (properties.same_session_targets, properties.single_session_speakers) == (2, 1)
    assert properties.notes == ["2 of 3 same-speaker trials (67%) share a session (read from the LibriSpeech "
                                "chapter id in each file name): the EER is somewhat optimistic"]


def test_issue18_item11_one_chapter_per_speaker_makes_every_target_trial_same_session():
    one_chapter = {i: s for i, s in LIBRI.items() if "-990-" not in i}
    pairs = trials(("1688/1688-142285-0000", "1688/1688-142285-0001", True),
                   ("1998/1998-15444-0000", "1998/1998-15444-0001", True),
                   ("1688/1688-142285-0001", "1998/1998-15444-0001", False))
    properties = corpus_properties(one_chapter, min_speakers=5, trials=pairs)
    assert properties.same_session_targets == 2
    assert properties.notes[0].startswith("all 2 same-speaker trials share a session") and "optimistic" in properties.notes[0]
    assert properties.notes[1] == "2 evaluation speakers: verdicts are withheld below 5"


def test_issue18_item11_voxceleb_videos_are_sessions_and_diagnose_says_so_without_trials():
    vox = {"id1/vidA/00001": "id1", "id1/vidB/00002": "id1", "id2/vidC/00001": "id2", "id2/vidC/00002": "id2"}
    cross = trials(("id1/vidA/00001", "id1/vidB/00002", True), ("id1/vidA/00001", "id2/vidC/00001", False))
    properties = corpus_properties(vox, min_speakers=2, trials=cross)
    assert properties.sessions_from == "the folder each file lies in, e.g. VoxCeleb's video"
    assert (properties.same_session_targets, properties.single_session_speakers, properties.notes) == (0, 1, [])
    folders = {"p225/p225_003": "p225", "p225/p225_008": "p225", "p226/p226_001": "p226"}
    (note,) = corpus_properties(folders, min_speakers=2).notes  # diagnose: no trials
    assert note.startswith("every evaluation speaker was recorded in one session (read from one recording folder "
                           "per speaker)")
