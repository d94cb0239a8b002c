"""Boundary analysis (hand-computed) and the two commands end to end."""
import argparse
import json

import numpy as np
import pytest

from codecprobe.cli import boundaries as boundaries_cli
from codecprobe.cli import score as score_cli
from codecprobe.errors import InputError
from codecprobe.score.boundaries import analyse_boundaries, match_boundaries

from .helpers import turns


def test_mutual_nearest_matching():
    errors = match_boundaries(np.array([1.0, 2.0, 10.0]), np.array([1.1, 1.2, 5.0]), max_distance=1.0)
    # 1.0 <-> 1.1 are mutual nearest; 2.0 points at 1.2, whose nearest reference is 1.0: unmatched.
    np.testing.assert_allclose(errors, [0.1, np.nan, np.nan])


def test_boundary_report_hand_computed():
    ref = {"f": turns(("A", 0, 10), ("B", 10, 20))}
    sys = {"f": turns(("X", 0.1, 10.3), ("Y", 10.3, 20))}
    report = analyse_boundaries(ref, sys, collars=(0.0, 0.5))
    summary = report.to_dict()["boundaries"]
    # speech boundaries 0 (+0.1) and 20 (0); speaker changes at 10: A's offset (+0.3), B's onset (+0.3).
    assert summary["speech"]["matched"] == 2 and summary["change"]["matched"] == 2
    assert summary["all"]["mean_abs_error_s"] == pytest.approx(0.7 / 4)
    assert summary["all"]["within_200ms"] == pytest.approx(0.5)
    # DER error: 0.1 miss at the start + 0.3 confusion after 10; all of it within 0.5 s of a boundary.
    assert report.collar_curve[0.0].error == pytest.approx(0.4)
    assert report.jitter_share(0.5) == pytest.approx(1.0)


def run(module, argv):
    parser = argparse.ArgumentParser()
    module.add_parser(parser.add_subparsers())
    args = parser.parse_args(argv)
    return args.run(args)


@pytest.fixture
def rttms(tmp_path):
    (tmp_path / "ref.rttm").write_text("SPEAKER f.1 1 0 10 <NA> <NA> A <NA> <NA>\n"
                                       "SPEAKER f.1 1 10 10 <NA> <NA> B <NA> <NA>\n")
    (tmp_path / "sys").mkdir()
    (tmp_path / "sys" / "f.rttm").write_text("SPEAKER f.1 1 0 12 <NA> <NA> X <NA> <NA>\n"
                                             "SPEAKER f.1 1 12 8 <NA> <NA> Y <NA> <NA>\n")
    return tmp_path


def test_score_command_writes_json(rttms, capsys):
    out = rttms / "scores.json"
    assert run(score_cli, ["score", "-r", str(rttms / "ref.rttm"), "-s", str(rttms / "sys"),
                           "--json", str(out), "--per-file"]) == 0
    data = json.loads(out.read_text())
    assert data["files"]["f.1"]["der"] == pytest.approx(10) and data["overall"]["scored"] == pytest.approx(20)
    assert {"miss", "fa", "conf", "jer", "nmi"} <= set(data["overall"])
    assert "| f.1 |" in capsys.readouterr().out


def test_score_command_reports_bad_lines(rttms):
    (rttms / "ref.rttm").write_text("SPEAKER f 1 zero 10 <NA> <NA> A <NA> <NA>\n")
    with pytest.raises(InputError, match="ref.rttm:1"):
        run(score_cli, ["score", "-r", str(rttms / "ref.rttm"), "-s", str(rttms / "sys")])


def test_boundaries_command_writes_report(rttms):
    out = rttms / "report"
    assert run(boundaries_cli, ["boundaries", "-r", str(rttms / "ref.rttm"), "-s", str(rttms / "sys"),
                                "-o", str(out)]) == 0
    assert {p.name for p in out.iterdir()} == {"boundaries.json", "boundaries.md", "boundary_errors.png",
                                               "collar_curve.png"}
    assert json.loads((out / "boundaries.json").read_text())["collar_curve"]["0.00"]["der"] == pytest.approx(10)


@pytest.mark.parametrize("collar, expected", [([], "DER 10.00% (collar 0); "),
                                              (["--collar", "0.5"], "DER 10.00% (collar 0), 8.33% (collar 0.5); ")])
def test_boundaries_command_names_each_collar_once(rttms, capsys, collar, expected):
    """The summary line gave the collar-0 DER twice ("(collar 0), ... (collar 0.0)") without --collar. With
    --collar 0.5: 2 s confused (10-12 s), 1.5 of them outside the collars, of 18 s scored: 8.33 %."""
    assert run(boundaries_cli, ["boundaries", "-r", str(rttms / "ref.rttm"), "-s", str(rttms / "sys"),
                                "-o", str(rttms / "report"), *collar]) == 0
    assert capsys.readouterr().out.startswith(expected)


def test_codecprobe_report_rerenders_the_boundary_report_without_computing(rttms, monkeypatch):
    """Issue 17 item 1: boundaries.json loads back into a BoundaryResult, and `codecprobe report OUT` writes
    the same boundaries.md, byte for byte, with the analysis switched off."""
    from codecprobe.cli.main import main
    from codecprobe.report.results import load_result
    from codecprobe.score import boundaries

    out = rttms / "report"
    assert run(boundaries_cli, ["boundaries", "-r", str(rttms / "ref.rttm"), "-s", str(rttms / "sys"),
                                "-o", str(out)]) == 0
    saved = load_result(out)
    assert saved.collar_curve["0.00"]["der"] == pytest.approx(10) and saved.figures == ["boundary_errors.png",
                                                                                         "collar_curve.png"]
    original = (out / "boundaries.md").read_bytes()
    (out / "boundaries.md").unlink()

    def no_computation(*args, **kwargs):
        raise AssertionError("codecprobe report must not compute")

    monkeypatch.setattr(boundaries, "analyse_boundaries", no_computation)
    assert main(["report", str(out)]) == 0
    assert (out / "boundaries.md").read_bytes() == original
