"""The figures of a structure study, drawn when it runs (they need the key sizes and the per-speaker
values of the analysis); the report embeds them by name."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from codecprobe.report import slug
from codecprobe.report.plots import pyplot, save_figure
from codecprobe.structure.analysis import SLICES
from codecprobe.structure.study import StructureResult, TapRun


def draw(result: StructureResult, out: Path) -> list[str]:
    """Per run: variance ratios, key sizes, per-speaker ratios; over several runs a comparison first."""
    config, plots = result.config, []
    for run in result.runs:
        tag = slug(f"{run.identity.encoder}-{run.tap}-{run.role}")
        plots.append(_variance_plot(run, config, out / f"variance_ratio_{tag}.png"))
        plots.append(_cluster_size_plot(run, config, out / f"cluster_sizes_{tag}.png"))
        plots.append(_speaker_plot(run, config, out / f"speakers_{tag}.png"))
    if len(result.runs) > 1:
        plots.insert(0, _comparison_plot(result, out / "comparison.png"))
    return [p.name for p in plots if p is not None]


def _title(run: TapRun) -> str:
    return f"{run.label}, {run.weights}"


# -- plots -------------------------------------------------------------------------------
def _variance_plot(run: TapRun, config, path: Path) -> Path:
    """Variance ratio against lag, a panel per slice: train dashed, held-out solid with intervals."""
    plt = pyplot()
    fig, axes = plt.subplots(1, len(SLICES), figsize=(4.2 * len(SLICES), 3.8), sharey=True, squeeze=False)
    schemes = list(dict.fromkeys(r["scheme"] for r in run.analysis.rows))
    for ax, slice_name in zip(axes[0], SLICES):
        for k, scheme in enumerate(schemes):
            rows = [r for r in run.analysis.rows if r["scheme"] == scheme and r["slice"] == slice_name]
            lags = np.array([r["lag"] for r in rows], float) + 0.05 * (k - len(schemes) / 2)
            held = _values(rows, "variance_ratio_eval")
            line = ax.errorbar(lags, held[0], yerr=held[1:], marker="o", capsize=3, label=f"{scheme} held-out")
            ax.plot(lags, _values(rows, "variance_ratio_train")[0], ls="--", marker="x", color=line[0].get_color(),
                    label=f"{scheme} train")
            ax.plot(lags, _values(rows, "random_variance_ratio_eval")[0], ls=":", marker=".", color="grey",
                    label="random keys" if k == 0 else None)
        ax.axhline(config.thresholds.variance_ratio, color="red", lw=0.8, label="threshold")
        ax.set_xticks(config.lags)
        ax.set_xlabel("lag k (frames)")
        ax.set_ylabel("variance ratio (within / total)")
        ax.set_title(f"{slice_name} frames", fontsize=9)
    axes[0][-1].legend(fontsize=6)
    fig.suptitle(f"Dynamics variance explained by context keys: {_title(run)}", fontsize=10)
    return save_figure(fig, path)


def _values(rows: list[dict], key: str) -> np.ndarray:
    """[value, distance down to the interval, up to it] per row (NaN where undefined)."""
    value = np.array([np.nan if r[key]["value"] is None else r[key]["value"] for r in rows])
    low = np.array([np.nan if r[key]["ci_low"] is None else r[key]["ci_low"] for r in rows])
    high = np.array([np.nan if r[key]["ci_high"] is None else r[key]["ci_high"] for r in rows])
    return np.stack([value, np.nan_to_num(value - low), np.nan_to_num(high - value)])


def _cluster_size_plot(run: TapRun, config, path: Path) -> Path:
    """How many training frames each effective key holds, per scheme."""
    plt = pyplot()
    conditioning = run.analysis.conditioning
    n = len(conditioning.schemes)
    fig, axes = plt.subplots(1, n, figsize=(4 * n, 3.4), squeeze=False)
    for ax, scheme, counts in zip(axes[0], conditioning.schemes, run.analysis.key_counts):
        if len(counts):
            ax.hist(counts, bins=np.logspace(np.log10(config.min_cluster_size), np.log10(counts.max() + 1), 30))
        ax.set_xscale("log")
        ax.set_xlabel("training frames per key")
        ax.set_ylabel("keys")
        ax.set_title(f"{scheme.name}: {len(counts)} of {scheme.n_keys} keys effective", fontsize=9)
    fig.suptitle(f"Key sizes (>= {config.min_cluster_size} training frames): {_title(run)}", fontsize=10)
    return save_figure(fig, path)


def _speaker_plot(run: TapRun, config, path: Path) -> Path:
    """Per-speaker variance ratio at the first lag (all frames): one dot per speaker."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(1.6 + 1.6 * len(run.analysis.speakers), 3.8))
    for k, splits in enumerate(run.analysis.speakers.values()):
        for offset, (split, color) in zip((-0.15, 0.15), (("train", "tab:blue"), ("eval", "tab:orange"))):
            values = list(splits[split].values())
            jitter = np.random.default_rng(0).uniform(-0.06, 0.06, len(values))
            ax.scatter(np.full(len(values), k + offset) + jitter, values, s=10, color=color,
                       label=("training speakers" if split == "train" else "held-out speakers") if k == 0 else None)
    ax.axhline(config.thresholds.variance_ratio, color="red", lw=0.8, label="threshold")
    ax.axhline(1.0, color="grey", lw=0.5, ls=":")
    ax.set_xticks(range(len(run.analysis.speakers)), list(run.analysis.speakers))
    ax.set_xlabel("conditioning scheme")
    ax.set_ylabel(f"variance ratio per speaker (lag {config.lags[0]})")
    ax.legend(fontsize=7)
    ax.set_title(f"Per-speaker variance ratio: {_title(run)}", fontsize=9)
    return save_figure(fig, path)


def _comparison_plot(result: StructureResult, path: Path) -> Path:
    """Held-out variance ratio at the first lag, a bar per run in each scheme's group; controls hatched."""
    plt = pyplot()
    lag = result.config.lags[0]
    schemes = list(dict.fromkeys(r["scheme"] for r in result.runs[0].analysis.rows))
    width = 0.8 / len(result.runs)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.2 * len(schemes) * len(result.runs) ** 0.5 + 3), 4.2))
    for i, run in enumerate(result.runs):
        rows = [next(r for r in run.analysis.rows if r["scheme"] == s and r["lag"] == lag and r["slice"] == "all")
                for s in schemes]
        values = _values(rows, "variance_ratio_eval")
        ax.bar(np.arange(len(schemes)) + (i - (len(result.runs) - 1) / 2) * width, values[0], width,
               yerr=values[1:], capsize=2, hatch="//" if run.identity.weights == "untrained" else None,
               label=f"{run.label}" + (" (UNTRAINED control)" if run.identity.weights == "untrained" else ""))
    ax.axhline(result.config.thresholds.variance_ratio, color="red", lw=0.8, label="threshold")
    ax.axhline(1.0, color="grey", lw=0.5, ls=":", label="no structure")
    ax.set_xticks(range(len(schemes)), schemes)
    ax.set_xlabel("conditioning scheme")
    ax.set_ylabel(f"held-out variance ratio (lag {lag})")
    ax.legend(fontsize=7)
    ax.set_title("Latent structure side by side (hatched: untrained controls)", fontsize=10)
    return save_figure(fig, path)
