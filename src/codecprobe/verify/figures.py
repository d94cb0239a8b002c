"""The figures of a verify / diagnose study, drawn when it runs (they need the scores and the
per-channel statistics, which ``results.json`` does not keep); the report embeds them by name."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from codecprobe.report.plots import legend, pyplot, save_figure
from codecprobe.verify.study import StudyResult, VerifyRow


# 0.1 ... 40 % as DET plots show them, then 60 and 80 %: an untrained control's curve lies near chance
DET_TICKS = np.array([0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8])
DET_RANGE = (0.0005, 0.9)  # the error rates the DET axes span


def draw_verify(result: StudyResult, out: Path) -> list[str]:
    """DET curves, score histograms and, over several taps, the EER across them; the names of those drawn."""
    plots = [_det_plot(result, out / "det.png"), _score_plot(result, out / "scores.png")]
    if len(result.taps) > 1:
        plots.append(_sweep_plot(result, out / "sweep.png", "eer", "EER (%)", chance=50.0))
    return [p.name for p in plots if p is not None]


def draw_diagnose(result: StudyResult, out: Path) -> list[str]:
    """Fisher ratios, explained variance and, over several taps, each diagnostic across them."""
    plots = [_fisher_plot(result, out / "fisher.png"), _variance_plot(result, out / "variance.png")]
    if len(result.taps) > 1:
        for key in ("acoustics_score", "separability", "consistency"):
            plots.append(_sweep_plot(result, out / f"sweep_{key}.png", key, key.replace("_", " ")))
    return [p.name for p in plots if p is not None]


# -- plots --------------------------------------------------------------------------------
def _role_title(result: StudyResult, role: str, tap: str | None = None) -> str:
    """The encoder's weights in a few words, an untrained control or a weightless baseline said so
    (the full weights id is in the report's header and footnotes), and the tap."""
    identity = next(r.identity for r in result.roles if r.name == role)
    return identity.short_label() + ("" if tap is None else f", tap {tap}")


def _det_plot(result: StudyResult, path: Path) -> Path | None:
    """DET curves of the first tap (and of back-ends over all taps), one panel per encoder role, on
    normal-deviate (probit) axes: both error rates through the inverse normal CDF, so scores from two
    Gaussians draw a straight line."""
    from scipy.stats import norm

    plt = pyplot()
    roles = [r.name for r in result.roles]
    tap = result.taps[0]
    fig, axes = plt.subplots(1, len(roles), figsize=(5.5 * len(roles), 5.2), squeeze=False)
    low, high = norm.ppf(DET_RANGE[0]), norm.ppf(DET_RANGE[1])
    all_taps = "+".join(result.taps)  # the row of a back-end over all taps (weighted-sum)
    for ax, role in zip(axes[0], roles):
        for row in (r for r in result.rows if r.role == role and r.tap in (tap, all_taps)):
            p_fa, p_miss = _thin(row.points.p_fa, row.points.p_miss)
            ax.plot(norm.ppf(np.clip(p_fa, 1e-4, 1 - 1e-4)), norm.ppf(np.clip(p_miss, 1e-4, 1 - 1e-4)),
                    label=f"{row.backend} (EER {row.eer:.1f}%)")
        ax.plot([low, high], [low, high], color="grey", lw=0.5, ls=":", label="miss = false alarm (EER)")
        ax.plot([low, -low], [-low, low], color="black", lw=0.8, ls="--", label="chance (random scores)")
        ax.set_xticks(norm.ppf(DET_TICKS), [f"{100 * t:g}" for t in DET_TICKS])
        ax.set_yticks(norm.ppf(DET_TICKS), [f"{100 * t:g}" for t in DET_TICKS])
        ax.set_xlim(low, high)
        ax.set_ylim(low, high)
        ax.set_xlabel("false alarm rate (%)")
        ax.set_ylabel("miss rate (%)")
        ax.set_title(f"{role}: {_role_title(result, role, tap)}", fontsize=9)
        legend(ax, fontsize=8)
    return save_figure(fig, path)


def _score_plot(result: StudyResult, path: Path) -> Path | None:
    """Same- and different-speaker score histograms of the first tap (or all taps, weighted-sum): roles x back-ends."""
    plt = pyplot()
    roles = [r.name for r in result.roles]
    backends = list(result.config.backends)
    tap = result.taps[0]
    fig, axes = plt.subplots(len(roles), len(backends), figsize=(3.8 * len(backends), 3.0 * len(roles)),
                             squeeze=False)
    labels = result.split.trials.labels
    for i, role in enumerate(roles):
        for j, backend in enumerate(backends):
            row = next(r for r in result.rows if r.role == role and r.tap in (tap, "+".join(result.taps))
                       and r.backend == backend)
            ax = axes[i][j]
            low, high = row.scores.min(), row.scores.max()
            bins = np.linspace(low, high, 50) if high > low else np.linspace(low - 0.5, high + 0.5, 3)
            ax.hist(row.scores[~labels], bins=bins, alpha=0.6, density=True, label="different speaker")
            ax.hist(row.scores[labels], bins=bins, alpha=0.6, density=True, label="same speaker")
            ax.set_xlabel(f"{backend} score")
            ax.set_ylabel("density")
            ax.set_title(f"{role} {backend}: EER {row.eer:.1f}%", fontsize=9)
            legend(ax, fontsize=7)
    fig.suptitle("; ".join(f"{role}: {_role_title(result, role, tap)}" for role in roles), fontsize=9)
    return save_figure(fig, path)


def _sweep_plot(result: StudyResult, path: Path, key: str, label: str, chance: float | None = None) -> Path | None:
    """One value across the taps, a line per back-end; the control dashed; chance level where it exists."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(max(6, 0.6 * len(result.taps)), 4.2))
    for role, style in (("encoder", "-"), ("control", "--")):
        for backend in result.config.backends:
            values = [_value(next((r for r in result.rows if r.role == role and r.tap == tap and r.backend == backend),
                                  None), key) for tap in result.taps]
            if any(v is not None for v in values):
                ax.plot(result.taps, [np.nan if v is None else v for v in values], style, marker="o",
                        label=f"{role} {backend}")
    if chance is not None and ax.lines:
        ax.axhline(chance, color="black", lw=0.8, ls=":", label=f"chance ({chance:g})")
    ax.set_xlabel("tap")
    ax.set_ylabel(label)
    ax.tick_params(axis="x", rotation=45)
    ax.set_title(" vs ".join(_role_title(result, r.name) for r in result.roles) + ", across taps",
                 fontsize=9)
    legend(ax, fontsize=7)
    return save_figure(fig, path)


def _fisher_plot(result: StudyResult, path: Path) -> Path | None:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for row in (r for r in result.rows if r.tap == result.taps[0]):
        ax.plot(np.sort(row.diagnostics.fisher)[::-1], label=f"{row.role} {row.backend}")
    ax.set_yscale("log")
    ax.set_xlabel("channel (sorted by Fisher ratio)")
    ax.set_ylabel("Fisher ratio (between / within speaker variance)")
    ax.set_title("per-channel speaker discriminability: " + " vs ".join(
        _role_title(result, r.name, result.taps[0]) for r in result.roles), fontsize=8)
    legend(ax, fontsize=7)
    return save_figure(fig, path)


def _variance_plot(result: StudyResult, path: Path) -> Path | None:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for row in (r for r in result.rows if r.tap == result.taps[0]):
        ax.plot(np.arange(1, len(row.diagnostics.explained_variance_ratio) + 1),
                np.cumsum(row.diagnostics.explained_variance_ratio), label=f"{row.role} {row.backend}")
    ax.set_xscale("log")
    ax.set_xlabel("principal components")
    ax.set_ylabel("cumulative explained variance")
    ax.set_title("effective dimensionality: " + " vs ".join(
        _role_title(result, r.name, result.taps[0]) for r in result.roles), fontsize=8)
    legend(ax, fontsize=7)
    return save_figure(fig, path)


def _value(row, key: str):
    if row is None:
        return None
    return row.eer if isinstance(row, VerifyRow) else row.diagnostics.summary()[key]


def _thin(x: np.ndarray, y: np.ndarray, limit: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """At most ``limit`` points of a curve, for plotting."""
    if len(x) <= limit:
        return x, y
    keep = np.unique(np.linspace(0, len(x) - 1, limit).astype(int))
    return x[keep], y[keep]
