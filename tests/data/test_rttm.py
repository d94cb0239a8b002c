import numpy as np
import pytest

from codecprobe.errors import InputError
from codecprobe.data.rttm import Problems, read_rttm, read_rttms, write_rttm
from codecprobe.data.uem import merge_regions, read_uem, write_uem

GOOD = """\
;; comment
SPEAKER ES2004a.Mix-Headset 1 0.37 1.39 <NA> <NA> MEO015 <NA> <NA>
SPKR-INFO ES2004a.Mix-Headset 1 <NA> <NA> <NA> unknown MEO015 <NA> <NA>

SPEAKER ES2004a.Mix-Headset 1 2.00 0.00 <NA> <NA> FEE013 <NA> <NA>
SPEAKER other 1 5 1.5 <NA> <NA> FEE013 <NA>
"""


def test_reads_speaker_lines_verbatim_ids_and_zero_length(tmp_path):
    path = tmp_path / "a.rttm"
    path.write_text(GOOD)
    seg = read_rttm(path)
    assert sorted(seg) == ["ES2004a.Mix-Headset", "other"]
    turns = list(seg["ES2004a.Mix-Headset"])
    assert [(t.speaker, t.start, t.duration) for t in turns] == [("MEO015", 0.37, 1.39), ("FEE013", 2.0, 0.0)]
    assert list(seg["other"])[0].end == 6.5


@pytest.mark.parametrize("line, reason", [
    ("SPEAKER f 1 0.5 <NA> <NA> <NA> A <NA> <NA>", "duration"),
    ("SPEAKER f 1 -1 2 <NA> <NA> A <NA> <NA>", "onset"),
    ("SPEAKER f 1 1 -2 <NA> <NA> A <NA> <NA>", "duration"),
    ("SPEAKER f 1 nan 2 <NA> <NA> A <NA> <NA>", "onset"),
    ("SPEAKER f 1 1 2 <NA> <NA>", "at least 9 fields"),
    ("SPEEKER f 1 1 2 <NA> <NA> A <NA> <NA>", "unknown RTTM record type"),
    ("SPEAKER f 1 1 2 <NA> <NA> John Smith <NA> <NA>", "speaker name with a space"),
    ("SPEAKER f 1 1e308 1e308 <NA> <NA> A <NA> <NA>", "overflows"),  # item 7: onset + duration is infinite
])
def test_strict_errors_name_file_and_line(tmp_path, line, reason):
    path = tmp_path / "bad.rttm"
    path.write_text("SPEAKER f 1 0 1 <NA> <NA> A <NA> <NA>\n" + line + "\n")
    with pytest.raises(InputError, match=rf"bad.rttm:2: .*{reason}"):
        read_rttm(path)


def test_lenient_mode_skips_and_reports(tmp_path):
    path = tmp_path / "bad.rttm"
    path.write_text("SPEAKER f 1 0 1 <NA> <NA> A <NA> <NA>\nSPEAKER f 1 x 1 <NA> <NA> A <NA> <NA>\n"
                    "SPEAKER f 1 3 1 <NA> <NA> John Smith <NA> <NA>\n")
    problems = Problems()
    seg = read_rttm(path, strict=False, problems=problems)
    assert [(t.speaker, t.start) for t in seg["f"]] == [("A", 0.0), ("John", 3.0)]  # md-eval's reading
    assert len(problems.messages) == 2 and "bad.rttm:2" in problems.messages[0]


def test_folders_pool_turns_and_roundtrip(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "1.rttm").write_text("SPEAKER f 1 0 1 <NA> <NA> A <NA> <NA>\n")
    (tmp_path / "d" / "2.rttm").write_text("SPEAKER f 1 2 1 <NA> <NA> B <NA> <NA>\n")
    seg = read_rttms([tmp_path / "d"])
    assert [(t.speaker, t.start) for t in seg["f"]] == [("A", 0.0), ("B", 2.0)]
    write_rttm(tmp_path / "out.rttm", seg)
    again = read_rttm(tmp_path / "out.rttm")
    assert [(t.speaker, t.start, t.duration) for t in again["f"]] == [("A", 0.0, 1.0), ("B", 2.0, 1.0)]


def test_uem_regions_merge_overlaps_and_validate(tmp_path):
    path = tmp_path / "a.uem"
    path.write_text("f.x 1 10 20\nf.x 1 0 5\nf.x 1 4 6\ng 1 0 1\n")
    uem = read_uem(path)
    np.testing.assert_array_equal(uem["f.x"], [[0, 6], [10, 20]])
    write_uem(tmp_path / "b.uem", uem)
    np.testing.assert_array_equal(read_uem(tmp_path / "b.uem")["f.x"], uem["f.x"])
    path.write_text("f 1 0 5\nf 1 5 5\n")
    with pytest.raises(InputError, match=r"a.uem:2: offset"):
        read_uem(path)


def test_touching_regions_stay_apart():
    np.testing.assert_array_equal(merge_regions(np.array([[5, 6], [0, 5]])), [[0, 5], [5, 6]])

