"""The figures of a next-latent study, drawn when it runs; the report embeds them by name."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from codecprobe.nextlatent.study import NextLatentResult, TapRun
from codecprobe.report.plots import pyplot, save_figure


def draw(result: NextLatentResult, out: Path) -> list[str]:
    """Per run: held-out NLL per system and the training curves; the names of the figures drawn."""
    plots = []
    for run in result.runs:
        slug = f"{run.identity.encoder}-{run.tap}-{run.role}"
        plots += [_nll_plot(run, out / f"nll_{slug}.png"), _curve_plot(run, out / f"training_{slug}.png")]
    return [p.name for p in plots if p is not None]


def _title(run: TapRun) -> str:
    return f"{run.label}, {run.weights}"


def _nll_plot(run: TapRun, path: Path) -> Path:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(1.6 + 1.3 * len(run.rows), 4))
    values = np.array([r["nll_per_frame"]["value"] for r in run.rows])
    errors = np.array([[r["nll_per_frame"]["value"] - r["nll_per_frame"]["ci_low"],
                        r["nll_per_frame"]["ci_high"] - r["nll_per_frame"]["value"]] for r in run.rows]).T
    ax.bar(range(len(values)), values, yerr=errors, capsize=3, color="tab:blue")
    ax.set_xticks(range(len(values)), [r["system"] for r in run.rows], rotation=20)
    ax.set_xlabel("system")
    ax.set_ylabel("held-out NLL per frame (nats)")
    ax.set_title(f"Next-step NLL: {_title(run)}", fontsize=9)
    return save_figure(fig, path)


def _curve_plot(run: TapRun, path: Path) -> Path:
    """Training and validation NLL against step (from each system's merged metrics.csv)."""
    from codecprobe.train.run import TrainingRun

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for system in run.systems:
        rows = TrainingRun(system.checkpoint.parent).metrics()
        for key, style in (("train/loss", "-"), ("val/loss", "o--")):
            points = [(r["step"], r[key]) for r in rows if r.get(key) is not None]
            if points:
                ax.plot(*zip(*points), style, label=f"{system.name} {key.split('/')[0]}", markersize=3)
    ax.set_xlabel("optimiser step")
    ax.set_ylabel("NLL per frame (nats)")
    ax.legend(fontsize=6)
    ax.set_title(f"Training: {_title(run)}", fontsize=9)
    return save_figure(fig, path)
