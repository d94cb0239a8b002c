"""The figures of a next-latent study, drawn when it runs; the report embeds them by name."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from codecprobe.nextlatent.study import NextLatentResult, TapRun, run_slug
from codecprobe.report.plots import pyplot, save_figure


def draw(result: NextLatentResult, out: Path) -> list[str]:
    """Over several runs the Exp 3 comparison first; per run: held-out NLL per system and the training
    curves; the names of the figures drawn."""
    plots = [_across_plot(result, out / "across_encoders.png")] if len(result.runs) > 1 else []
    for run in result.runs:
        slug = run_slug(run.identity.encoder, run.tap, run.role)
        plots += [_nll_plot(run, out / f"nll_{slug}.png"), _curve_plot(run, out / f"training_{slug}.png")]
    return [p.name for p in plots if p is not None]


def _across_plot(result: NextLatentResult, path: Path) -> Path:
    """Exp 3: each system's gain over the unconditional Gaussian, in nats per second and per dimension, a bar
    per run in each system's group; untrained controls hatched and labelled."""
    plt = pyplot()
    systems = [s.name for s in result.runs[0].systems]
    width = 0.8 / len(result.runs)
    fig, axes = plt.subplots(1, 2, figsize=(max(8.0, 1.6 * len(systems) * len(result.runs) ** 0.5 + 4), 4.4))
    for ax, unit, label in ((axes[0], "gain_per_second", "nats per second of audio"),
                            (axes[1], "gain_per_dim", "nats per frame and dimension")):
        for i, run in enumerate(result.runs):
            rows = {r["system"]: r[unit] for r in result.across["rows"] if r["run"] == i and unit in r}
            at = [k for k, s in enumerate(systems) if s in rows]
            values = np.array([[rows[systems[k]][key] for k in at] for key in ("value", "ci_low", "ci_high")])
            untrained = run.identity.weights == "untrained"
            ax.bar(np.array(at) + (i - (len(result.runs) - 1) / 2) * width, values[0], width,
                   yerr=[values[0] - values[1], values[2] - values[0]], capsize=2, hatch="//" if untrained else None,
                   label=f"{run.label}, {run.frame_rate:g} Hz, {run.dim} dims"
                         + (" (UNTRAINED control)" if untrained else ""))
        ax.axhline(0, color="grey", lw=0.5)
        ax.set_xticks(range(len(systems)), systems, rotation=15)
        ax.set_xlabel("system")
        ax.set_ylabel("NLL below the unconditional Gaussian")
        ax.set_title(label, fontsize=9)  # the unit: a y label holding it too is cut off at this height
    axes[0].legend(fontsize=6)
    fig.suptitle(f"Exp 3: the same {len(result.across['utterances'])} held-out utterances across encoders "
                 "(hatched: UNTRAINED controls)", fontsize=10)
    return save_figure(fig, path)


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
