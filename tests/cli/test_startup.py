"""Item 12: `codecprobe --help` and `codecprobe score` start without torch or lhotse (2.5 s and 270 MB before)."""
import json
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT

HEAVY = ("torch", "lhotse", "scipy", "librosa", "transformers", "matplotlib")


def modules_after(argv: list[str]) -> list[str]:
    """Run ``codecprobe ARGV`` in a fresh interpreter; the heavy modules it imported."""
    code = f"""
import contextlib, io, json, sys
from codecprobe.cli.main import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    try:
        main({argv!r})
    except SystemExit:
        pass
print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(REPO_ROOT / "src"), "PATH": "/usr/bin:/bin"})
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("argv", [["--help"], ["score", "--help"], ["boundaries", "--help"]])
def test_help_imports_nothing_heavy(argv):
    assert modules_after(argv) == []


def test_score_imports_neither_torch_nor_lhotse(tmp_path):
    rttm = tmp_path / "a.rttm"
    rttm.write_text("SPEAKER a 1 0.0 2.0 <NA> <NA> x <NA> <NA>\nSPEAKER a 1 2.5 1.0 <NA> <NA> y <NA> <NA>\n")
    assert modules_after(["score", "-r", str(rttm), "-s", str(rttm), "--json", str(tmp_path / "out.json")]) == []
    assert json.loads((tmp_path / "out.json").read_text())["overall"]["der"] == 0.0  # it did score
