"""Matplotlib without a display, and atomic PNG writes."""
from __future__ import annotations

import io
from pathlib import Path

from codecprobe.report.files import atomic_write_bytes


def pyplot():
    """``matplotlib.pyplot`` on the Agg backend (imported on first use: it is slow to import)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: str | Path, dpi: int = 110) -> Path:
    """Lay out, write atomically as PNG, and close ``fig``."""
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    pyplot().close(fig)
    atomic_write_bytes(path, buffer.getvalue())
    return Path(path)
