"""Issue 18 item 7: every encoder module has a light top (standard library, numpy, codecprobe), so that
``--help`` can list every encoder's settings without importing torch, transformers or the model libraries."""
import json
import subprocess
import sys

from codecprobe.encoders.registry import _BUILTIN_MODULES
from tests.conftest import REPO_ROOT


def test_every_builtin_encoder_module_imports_only_stdlib_numpy_and_codecprobe():
    code = f"""
import importlib, json, sys
import numpy
def packages():
    return {{name.split(".")[0] for name in sys.modules}}
before = packages()
found = {{}}
for module in {sorted(set(_BUILTIN_MODULES.values()))!r}:
    importlib.import_module(module)
    found[module] = sorted(packages() - before - set(sys.stdlib_module_names) - {{"codecprobe"}})
    before = packages()
print(json.dumps(found))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(REPO_ROOT / "src"), "PATH": "/usr/bin:/bin"})
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert set(found) == set(_BUILTIN_MODULES.values())
    assert {module: extra for module, extra in found.items() if extra} == {}


def test_ge2e_restates_resemblyzers_hparams():
    from resemblyzer import hparams

    from codecprobe.encoders import ge2e

    assert (ge2e.SAMPLE_RATE, ge2e.MEL_WINDOW_STEP_MS, ge2e.PARTIAL_FRAMES, ge2e.NORMALIZE_TARGET_DBFS) == (
        hparams.sampling_rate, hparams.mel_window_step, hparams.partials_n_frames, hparams.audio_norm_target_dBFS)
