"""Light start (issue 17 item 6, issue 18 item 7): every ``--help``, and ``codecprobe score`` on one file,
import no heavy library and not the extraction pipeline; ``codecprobe.train.grid`` imports no Lightning.
Timings are in bench/startup.py; these tests check the cause (what gets imported), which holds on any machine."""
import json
import subprocess
import sys

from codecprobe.cli.main import command_modules
from tests.conftest import REPO_ROOT

HEAVY = ("torch", "lightning", "lhotse", "scipy", "librosa", "transformers", "resemblyzer", "matplotlib",
         "codecprobe.extract.pipeline")


def heavy_after(steps: list[str]) -> dict[str, list[str]]:
    """Run each step (``codecprobe ARGV`` as a list, or ``import MODULE``) in turn in one fresh interpreter;
    the heavy modules each one imported first."""
    code = f"""
import contextlib, importlib, io, json, sys
from codecprobe.cli.main import main
found = {{}}
for step in {steps!r}:
    before = {{m for m in {HEAVY!r} if m in sys.modules}}
    if isinstance(step, str):
        importlib.import_module(step)
    else:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            try:
                main(step)
            except SystemExit:
                pass
    found[" ".join(step) if isinstance(step, list) else step] = sorted(
        m for m in {HEAVY!r} if m in sys.modules and m not in before)
print(json.dumps(found))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(REPO_ROOT / "src"), "PATH": "/usr/bin:/bin"})
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_every_help_imports_nothing_heavy():
    steps = [["--help"]] + [[command, "--help"] for command in command_modules()]
    found = heavy_after(steps)
    assert len(found) == len(steps)
    assert {step: modules for step, modules in found.items() if modules} == {}


def test_score_imports_neither_torch_nor_lhotse_nor_the_extraction_pipeline(tmp_path):
    rttm = tmp_path / "a.rttm"
    rttm.write_text("SPEAKER a 1 0.0 2.0 <NA> <NA> x <NA> <NA>\nSPEAKER a 1 2.5 1.0 <NA> <NA> y <NA> <NA>\n")
    argv = ["score", "-r", str(rttm), "-s", str(rttm), "--json", str(tmp_path / "out.json")]
    assert heavy_after([argv]) == {" ".join(argv): []}
    assert json.loads((tmp_path / "out.json").read_text())["overall"]["der"] == 0.0  # it did score


def test_train_grid_imports_no_lightning_nor_torch():
    assert heavy_after(["codecprobe.train.grid"]) == {"codecprobe.train.grid": []}


def test_train_package_names_still_load():
    import codecprobe.train
    from codecprobe.train import TrainerConfig, to_grid  # light ones: fit & co. load Lightning, tested in tests/train
    from codecprobe.train.config import TrainerConfig as direct
    from codecprobe.train.grid import to_grid as direct_grid

    assert TrainerConfig is direct and to_grid is direct_grid
    assert {"fit", "FrameBank", "WindowDataModule", "read_checkpoint"} <= set(codecprobe.train.__all__)
