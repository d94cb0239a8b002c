"""Opt-in: our scores against dscore (md-eval-22 inside) on real references.

Runs only when ``CODECPROBE_DSCORE`` points to a dscore checkout (``score.py`` and
``scorelib/md-eval-22.pl``); ``CODECPROBE_DSCORE_PYTHON`` names the interpreter that has
dscore's dependencies (numpy, scipy, tabulate, intervaltree; default ``python3``). Perl must
be installed. No dscore code is part of this project.
"""
import os
import subprocess
from pathlib import Path

import pytest

from codecprobe.data.rttm import read_rttms, write_rttm
from codecprobe.data.uem import read_uem
from codecprobe.score import score

from .helpers import perturbed

DSCORE = os.environ.get("CODECPROBE_DSCORE")
pytestmark = pytest.mark.skipif(
    not DSCORE or not (Path(DSCORE) / "score.py").is_file(),
    reason="set CODECPROBE_DSCORE to a dscore checkout to compare with md-eval-22 (opt-in)")
COLUMNS = ["der", "jer", "b3_precision", "b3_recall", "b3_f1", None, None, None, None, "mi", "nmi"]
SETTINGS = [(0.0, False), (0.0, True), (0.25, False), (0.25, True)]


def run_dscore(ref_dir, sys_dir, uem, collar, ignore_overlaps):
    command = [os.environ.get("CODECPROBE_DSCORE_PYTHON", "python3"), "score.py", "--n_digits", "6",
               "-r", *sorted(map(str, Path(ref_dir).glob("*.rttm"))),
               "-s", *sorted(map(str, Path(sys_dir).glob("*.rttm"))), "--collar", str(collar)]
    if uem:
        command += ["-u", str(uem)]
    if ignore_overlaps:
        command.append("--ignore_overlaps")
    out = subprocess.run(command, cwd=DSCORE, capture_output=True, text=True, check=True).stdout
    rows = {}
    for line in out.splitlines()[2:]:
        name = "TOTAL" if line.startswith("*** OVERALL ***") else line.split()[0]
        values = line.replace("*** OVERALL ***", "TOTAL").split()[1:]
        rows[name] = {k: float(v) for k, v in zip(COLUMNS, values) if k}
    return rows


def compare(tmp_path, reference, uem_path=None):
    system = perturbed(reference, seed=7)
    for name, seg in (("ref", reference), ("sys", system)):
        (tmp_path / name).mkdir(exist_ok=True)
        write_rttm(tmp_path / name / f"{name}.rttm", seg)
    ref, sys = read_rttms([tmp_path / "ref"]), read_rttms([tmp_path / "sys"])
    uem = read_uem(uem_path) if uem_path else None
    worst = 0.0
    for collar, ignore in SETTINGS:
        theirs = run_dscore(tmp_path / "ref", tmp_path / "sys", uem_path, collar, ignore)
        ours = score(ref, sys, uem=uem, collar=collar, ignore_overlaps=ignore)
        for fid, row in theirs.items():
            mine = (ours.overall if fid == "TOTAL" else ours.files[fid]).to_dict()
            for key, value in row.items():
                tolerance = 0.01 if key in ("der", "jer") else 1e-5   # table has 6 decimals
                assert abs(mine[key] - value) <= tolerance, (fid, collar, ignore, key, mine[key], value)
                worst = max(worst, abs(mine[key] - value) if key in ("der", "jer") else 0.0)
    return worst


def test_voxconverse_without_uem(shared_data, tmp_path):
    files = sorted((shared_data / "voxconverse-rttm" / "dev").glob("*.rttm"))[:4]
    assert compare(tmp_path, read_rttms(files)) < 0.01


def test_ami_with_uem(shared_data, tmp_path):
    files = sorted((shared_data / "ami-rttm" / "only_words" / "rttms" / "dev").glob("*.rttm"))[:2]
    reference = read_rttms(files)
    uem_lines = [line for fid in reference
                 for line in (shared_data / "ami-rttm" / "uems" / "dev" / f"{fid}.uem").read_text().splitlines()]
    (tmp_path / "all.uem").write_text("\n".join(uem_lines) + "\n")
    assert compare(tmp_path, reference, tmp_path / "all.uem") < 0.01
