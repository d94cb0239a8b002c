"""Item 8: `score` and `boundaries` warn (as dscore does) about files on one side only and about
nothing scored, and never print a figure over nothing as if it were a measurement."""
import json

from codecprobe.cli.main import main

A = "SPEAKER a 1 0.0 2.0 <NA> <NA> x <NA> <NA>\n"
B = "SPEAKER b 1 0.0 2.0 <NA> <NA> y <NA> <NA>\n"


def run(capsys, *argv):
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_files_on_one_side_only_are_warned_about(tmp_path, capsys):
    (tmp_path / "ref.rttm").write_text(A + B)
    (tmp_path / "sys.rttm").write_text(A)
    status, out, err = run(capsys, "score", "-r", str(tmp_path / "ref.rttm"), "-s", str(tmp_path / "sys.rttm"))
    assert status == 0
    assert 'warning: file "b" is only in the reference: all its speech counts as missed' in err
    assert "| TOTAL | 4.00 | 50.00 |" in out  # b's two seconds are missed: scored, and said so


def test_nothing_scored_is_a_warning_not_a_figure(tmp_path, capsys):
    (tmp_path / "refs").mkdir()  # a folder with no RTTM in it
    (tmp_path / "sys.rttm").write_text(A)
    (tmp_path / "a.uem").write_text("other 1 0.0 10.0\n")
    status, out, err = run(capsys, "score", "-r", str(tmp_path / "refs"), "-s", str(tmp_path / "sys.rttm"),
                           "--json", str(tmp_path / "out.json"))
    assert status == 1
    assert "refs: folder holds no .rttm files" in err and "the reference holds no speaker turns" in err
    assert "nothing was scored" in err
    assert "| TOTAL | 0.00 | n/a | n/a |" in out
    assert json.loads((tmp_path / "out.json").read_text())["overall"]["der"] is None

    (tmp_path / "ref.rttm").write_text(A)
    status, out, err = run(capsys, "score", "-r", str(tmp_path / "ref.rttm"), "-s", str(tmp_path / "sys.rttm"),
                           "-u", str(tmp_path / "a.uem"))
    assert status == 1
    assert 'UEM file "other" is in neither the reference nor the system' in err
    assert "1 file(s) of the reference or system are not in the UEM and are not scored: a" in err


def test_boundaries_never_report_an_error_over_no_boundaries(tmp_path, capsys):
    (tmp_path / "ref.rttm").write_text(A)
    (tmp_path / "sys.rttm").write_text("SPEAKER a 1 5.0 2.0 <NA> <NA> x <NA> <NA>\n")  # far beyond 1 s: no match
    status, out, err = run(capsys, "boundaries", "-r", str(tmp_path / "ref.rttm"), "-s", str(tmp_path / "sys.rttm"),
                           "-o", str(tmp_path / "report"))
    assert status == 0
    assert "no reference boundary matched a system boundary" in out and "median" not in out
    data = json.loads((tmp_path / "report" / "boundaries.json").read_text())
    assert data["boundaries"]["all"]["median_abs_error_s"] is None
    # item 4: no empty histogram written or embedded; the collar curve has something to show
    assert not (tmp_path / "report" / "boundary_errors.png").exists()
    markdown = (tmp_path / "report" / "boundaries.md").read_text()
    assert "boundary_errors.png" not in markdown and "(collar_curve.png)" in markdown

    (tmp_path / "empty.rttm").write_text("")
    status, out, err = run(capsys, "boundaries", "-r", str(tmp_path / "empty.rttm"), "-s", str(tmp_path / "sys.rttm"),
                           "-o", str(tmp_path / "report2"))
    assert status == 1 and "nothing was scored" in err and "DER" not in out
