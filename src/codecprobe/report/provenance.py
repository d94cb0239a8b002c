"""What produced a result: package versions, platform, time."""
from __future__ import annotations

import datetime
import platform
import sys

_PACKAGES = ("codecprobe", "numpy", "scipy", "torch", "transformers", "scikit-learn", "lhotse", "soundfile", "soxr")


def provenance(extra_packages: tuple[str, ...] = ()) -> dict:
    import importlib.metadata  # here, not at the top: 20-60 ms that `codecprobe score` does not need

    versions = {}
    for name in _PACKAGES + tuple(extra_packages):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "versions": versions,
    }
