"""Shared test fixtures.

``shared_data`` is the folder of small real speech sets that sits beside the project
(``../shared/data``), ``shared_models`` the folder of trained weights (``../shared/models``);
tests that need them skip with a clear reason where they are absent, as on a user's fresh clone.
"""
from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
SHARED_MODELS = REPO_ROOT.parent / "shared" / "models"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real speech sets not found at {SHARED_DATA} (../shared/data beside the repo)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def shared_models() -> Path:
    if not SHARED_MODELS.is_dir():
        pytest.skip(f"trained weights not found at {SHARED_MODELS} (../shared/models beside the repo)")
    return SHARED_MODELS


@pytest.fixture(scope="session")
def lyra_weights(shared_models) -> Path:
    """Google's four Lyra v2 files (../shared/models/lyra-v2) and the TFLite runtime, else a clean skip."""
    pytest.importorskip("ai_edge_litert.interpreter", reason="the lyra extra (ai-edge-litert) is not installed")
    folder = shared_models / "lyra-v2"
    if not folder.is_dir():
        pytest.skip(f"Lyra weights not found at {folder}")
    return folder
