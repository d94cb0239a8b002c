"""The figures of a ``codecprobe refine`` study, drawn when it runs (they need every boundary's error);
the report embeds them by name."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from codecprobe.refine.study import IDENTITY, StudyResult
from codecprobe.report import slug
from codecprobe.report.plots import pyplot, save_figure


def draw(result: StudyResult, out: Path) -> list[str]:
    """One error plot per evaluation set; the names of the figures drawn."""
    plots = [_error_plot(result, e.name, out / f"errors-{slug(e.name)}.png") for e in result.data.evals]
    return [p.name for p in plots if p is not None]


# -- plot ---------------------------------------------------------------------------------
def _error_plot(result: StudyResult, name: str, path: Path) -> Path:
    """Cumulative share of matched boundaries within each absolute error, one line per row of the table."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    controls = {(t.system, t.variant) for t in result.trainings if not t.description["trained_encoders"]}
    for e in (e for e in result.evaluations if e.eval_set == name):
        errors = np.sort(np.abs(e.errors)) * 1000
        label = IDENTITY if e.variant == IDENTITY else f"{e.system} {e.variant}"
        if (e.system, e.variant) in controls:
            label += " (UNTRAINED encoder)"
        ax.plot(errors, np.arange(1, len(errors) + 1) / max(1, len(errors)), label=label,
                ls="--" if e.variant == IDENTITY else "-", color="black" if e.variant == IDENTITY else None)
    ax.set_xlim(0, 1000 * result.config.max_offset_s)
    ax.set_xlabel("absolute boundary error (ms)")
    ax.set_ylabel("share of matched boundaries")
    ax.set_title(f"{name}: boundary error before and after refinement", fontsize=9)
    ax.legend(fontsize=6)
    ax.grid(alpha=0.3)
    return save_figure(fig, path)
