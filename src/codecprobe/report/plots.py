"""Matplotlib without a display, atomic PNG writes, and the rules every plot follows.

A plot must stand alone: :func:`save_figure` refuses a figure whose drawn axes lack an
axis label or a title, and writes nothing (returning None) for a figure with nothing
drawn, so no empty plot is ever written or embedded. :func:`legend` adds a legend only
where labelled lines exist, so a legend always matches what is drawn. Titles wider than
their panel are broken onto lines that fit it, so neighbouring titles never overlap.
"""
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


def legend(ax, **options) -> None:
    """A legend of the labelled artists of ``ax``, or none if nothing drawn is labelled."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(handles, labels, **options)


def save_figure(fig, path: str | Path, dpi: int = 110) -> Path | None:
    """Lay out, write atomically as PNG, and close ``fig``; None (nothing written) if nothing is drawn."""
    drawn = [ax for ax in fig.axes if ax.lines or ax.patches or ax.collections or ax.images]
    if not drawn:
        pyplot().close(fig)
        return None
    titled = bool(fig.get_suptitle())
    for ax in drawn:
        missing = [what for what, text in (("x label", ax.get_xlabel()), ("y label", ax.get_ylabel()),
                                           ("title", ax.get_title() or titled)) if not text]
        if missing:
            pyplot().close(fig)
            raise ValueError(f"{path}: a plot needs a {' and a '.join(missing)}")
    _fit_titles(fig)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    pyplot().close(fig)
    atomic_write_bytes(path, buffer.getvalue())
    return Path(path)


def _fit_titles(fig) -> None:
    """Break each panel's title onto lines no wider than its panel, and the figure's title onto lines
    no wider than the figure, measured as drawn (with a margin: the layout still moves the panels)."""
    import textwrap

    renderer = fig.canvas.get_renderer()

    def fit(title, width: float, set_text) -> None:
        text = title.get_text()
        drawn = title.get_window_extent(renderer).width
        if not text or drawn <= 0.9 * width:
            return
        longest = max(len(line) for line in text.split("\n"))
        chars = max(10, int(longest * 0.9 * width / drawn))
        set_text("\n".join(textwrap.fill(line, chars) for line in text.split("\n")))

    for ax in fig.axes:
        fit(ax.title, ax.get_window_extent(renderer).width, ax.title.set_text)
    if fig.get_suptitle():
        fit(fig._suptitle, fig.bbox.width, fig._suptitle.set_text)
