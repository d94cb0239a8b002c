"""Shared test fixtures.

``shared_data`` is the folder of small real speech sets that sits beside the project
(``../shared/data``); tests that need it skip with a clear reason where it is absent,
as on a user's fresh clone.
"""
from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real speech sets not found at {SHARED_DATA} (../shared/data beside the repo)")
    return SHARED_DATA
