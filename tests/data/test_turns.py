"""The time data model: turns built, refused, written, read back, and converted to lhotse and pyannote.core."""
import json
import subprocess
import sys

import numpy as np
import pytest

from codecprobe.data import Turn, Turns
from codecprobe.data.rttm import RTTM_DIGITS, format_rttm, read_rttm, write_rttm
from codecprobe.data.turns import group_turns
from codecprobe.data.uem import from_timeline, to_timeline
from codecprobe.errors import InputError
from tests.conftest import REPO_ROOT

# Two recordings; in "meeting" bob overlaps alice, and alice overlaps herself (twice the same span, then
# a turn inside another), as RTTM allows; "call" has a zero-length turn.
RTTM = """\
SPEAKER call 1 0.000 0.000 <NA> <NA> x <NA> <NA>
SPEAKER call 1 0.250 3.125 <NA> <NA> y <NA> <NA>
SPEAKER meeting 1 0.000 2.500 <NA> <NA> alice <NA> <NA>
SPEAKER meeting 1 1.500 2.000 <NA> <NA> bob <NA> <NA>
SPEAKER meeting 1 1.500 2.000 <NA> <NA> bob <NA> <NA>
SPEAKER meeting 1 2.000 0.250 <NA> <NA> alice <NA> <NA>
SPEAKER meeting 1 2.000 4.750 <NA> <NA> alice <NA> <NA>
"""


def meeting() -> Turns:
    return Turns.build("meeting", [0.0, 1.5, 1.5, 2.0, 2.0], [2.5, 2.0, 2.0, 0.25, 4.75],
                       ["alice", "bob", "bob", "alice", "alice"])


def rows(turns: Turns) -> list[tuple[float, float, str]]:
    return [(t.start, t.duration, t.speaker) for t in turns]


def test_rttm_text_reads_into_turns_and_writes_back_the_same_text(tmp_path):
    path = tmp_path / "in.rttm"
    path.write_text(RTTM)
    turns = read_rttm(path)
    assert sorted(turns) == ["call", "meeting"]
    assert rows(turns["meeting"]) == rows(meeting())
    assert turns["meeting"].labels == ["alice", "bob"] and turns["meeting"].end.tolist() == [2.5, 3.5, 3.5, 2.25, 6.75]
    assert format_rttm(turns) == RTTM
    write_rttm(tmp_path / "out.rttm", turns)
    assert (tmp_path / "out.rttm").read_text() == RTTM


def test_turns_go_to_lhotse_supervisions_and_back():
    supervisions = meeting().to_supervisions()
    assert [(s.id, s.recording_id, s.start, s.duration, s.speaker) for s in supervisions][:2] == [
        ("meeting-000000", "meeting", 0.0, 2.5, "alice"), ("meeting-000001", "meeting", 1.5, 2.0, "bob")]
    back = Turns.from_supervisions(supervisions)
    assert list(back) == ["meeting"] and rows(back["meeting"]) == rows(meeting())


def test_turns_go_to_a_pyannote_annotation_and_back_with_a_speakers_own_overlaps():
    from pyannote.core import Segment

    annotation = meeting().to_annotation()
    assert annotation.uri == "meeting" and len(list(annotation.itertracks())) == 5  # the repeated bob turn is kept
    assert sorted(annotation.labels()) == ["alice", "bob"]
    # pyannote's own view agrees: alice speaks 0-6.75 once her overlaps are merged, bob 1.5-3.5
    assert annotation.label_timeline("alice").support().segments_list_ == [Segment(0.0, 6.75)]
    assert annotation.label_duration("bob") == pytest.approx(2.0)  # two identical 2 s turns: 2 s of speech
    back = Turns.from_annotation(annotation)
    assert back.recording_id == "meeting" and rows(back) == rows(meeting())


def test_annotation_times_that_are_not_binary_fractions_come_back_to_within_rounding():
    turns = Turns.build("r", [0.1, 0.7], [0.2, 1.3], ["a", "b"])
    back = Turns.from_annotation(turns.to_annotation(), recording_id="other")
    assert back.recording_id == "other" and back.speakers == ["a", "b"]
    np.testing.assert_allclose(back.start, turns.start, rtol=0, atol=1e-12)
    np.testing.assert_allclose(back.duration, turns.duration, rtol=0, atol=1e-12)


def test_scoring_regions_go_to_a_pyannote_timeline_and_back():
    regions = np.array([[0.0, 1.5], [2.0, 4.25]])
    timeline = to_timeline(regions, uri="r")
    assert timeline.uri == "r" and timeline.duration() == pytest.approx(3.75)
    np.testing.assert_array_equal(from_timeline(timeline), regions)


def test_dictionaries_round_trip():
    turns = meeting()
    data = json.loads(json.dumps(turns.to_dict()))
    assert rows(Turns.from_dict(data)) == rows(turns)
    turn = next(iter(turns))
    assert Turn.from_dict(turn.to_dict()) == turn and turn.end == 2.5


def test_turns_of_several_recordings_are_grouped_by_recording():
    grouped = group_turns([Turn("b", 1.0, 1.0, "x"), Turn("a", 0.0, 2.0, "y"), Turn("b", 0.0, 0.5, "z")])
    assert sorted(grouped) == ["a", "b"] and rows(grouped["b"]) == [(1.0, 1.0, "x"), (0.0, 0.5, "z")]
    assert len(Turns.empty("c")) == 0 and Turns.empty("c").labels == []


@pytest.mark.parametrize("build, message", [
    (lambda: Turn("r", 1.0, -0.5, "a"), "duration -0.5"),
    (lambda: Turn("r", float("nan"), 1.0, "a"), "start nan"),
    (lambda: Turn("r", 1.0, float("inf"), "a"), "duration inf"),
    (lambda: Turns.build("r", [0.0, 2.0], [1.0, -1.0], ["a", "b"]), "start 2.0 duration -1.0"),
    (lambda: Turns.build("r", [0.0, float("nan")], [1.0, 1.0], ["a", "b"]), "start nan"),
    (lambda: Turns.build("r", [1e308], [1e308], ["a"]), "ends past any finite time"),
    (lambda: Turns.build("r", [0.0, 1.0], [1.0], ["a", "b"]), "2 starts, 1 durations"),
    (lambda: Turns("r", [0.0], [1.0], [3], ["a"]), "speaker codes outside"),
])
def test_invariants_are_refused_with_one_line_errors(build, message):
    with pytest.raises(InputError, match="recording 'r'") as error:
        build()
    assert message in str(error.value) and "\n" not in str(error.value)


def test_as_written_is_what_the_written_rttm_reads_back_to_the_last_bit(tmp_path):
    # an 80 ms frame grid (0.08 * 3 = 0.24000000000000002) and values just off and on a tie
    start = np.array([0.08 * 3, 0.08 * 7, 3.0005, 0.0005, 1 / 3, 2.0])
    duration = np.array([0.08 * 5, 0.08 * 11, 0.0015, 2.0004999, 2 / 3, 0.1 + 0.2])
    turns = Turns.build("r", start, duration, ["a", "b", "a", "b", "a", "b"])
    write_rttm(tmp_path / "r.rttm", {"r": turns})
    back = read_rttm(tmp_path / "r.rttm")["r"]
    written = turns.as_written(RTTM_DIGITS)
    assert back.start.tolist() == written.start.tolist() and back.duration.tolist() == written.duration.tolist()
    assert back.end.tolist() == written.end.tolist() and back.speakers == written.speakers
    assert written.start.tolist() != turns.start.tolist()  # the case is not trivial
    assert format_rttm({"r": written}) == format_rttm({"r": turns})


def test_data_imports_neither_the_scorer_nor_lhotse_for_turns_and_rttm():
    """Issue 17 item 4: ``data/`` no longer imports ``score/``; turns and RTTM stay light."""
    code = """
import json, sys
import codecprobe.data, codecprobe.data.rttm, codecprobe.data.uem, codecprobe.data.turns
light = sorted(m for m in ("lhotse", "torch", "pyannote.core") if m in sys.modules)
import codecprobe.data.layouts, codecprobe.data.corpus, codecprobe.data.synthetic
print(json.dumps([light, sorted(m for m in sys.modules if m.startswith("codecprobe.score"))]))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(REPO_ROOT / "src"), "PATH": "/usr/bin:/bin"})
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [[], []]
