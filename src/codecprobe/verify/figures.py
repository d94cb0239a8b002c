"""The figures of a verify / diagnose study, drawn when it runs (they need the scores and the
per-channel statistics, which ``results.json`` does not keep); the report embeds them by name."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from codecprobe.encoders.base import weights_kind
from codecprobe.report.plots import legend, pyplot, save_figure
from codecprobe.verify import metrics
from codecprobe.verify.study import StudyResult, VerifyRow


# 0.1 ... 40 % as DET plots show them, then 60 and 80 %: an untrained control's curve lies near chance
DET_TICKS = np.array([0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8])
DET_RANGE = (0.0005, 0.9)  # the error rates the DET axes span


def draw_verify(result: StudyResult, out: Path) -> list[str]:
    """DET curves, score histograms and, over several taps or encoders, the EER across taps and, for taps with a
    bitrate, against it; the names of those drawn."""
    plots = [_det_plot(result, out / "det.png"), _score_plot(result, out / "scores.png")]
    if _across(result):
        plots.append(_sweep_plot(result, out / "sweep.png", "eer", "EER (%)", chance=50.0))
    if any(plan.kbps for plan in result.plans):
        plots.append(_kbps_plot(result, out / "kbps.png"))
    return [p.name for p in plots if p is not None]


def draw_diagnose(result: StudyResult, out: Path) -> list[str]:
    """Fisher ratios, explained variance and, over several taps or encoders, each diagnostic across taps."""
    plots = [_fisher_plot(result, out / "fisher.png"), _variance_plot(result, out / "variance.png")]
    if _across(result):
        for key in ("acoustics_score", "separability", "consistency"):
            plots.append(_sweep_plot(result, out / f"sweep_{key}.png", key, key.replace("_", " ")))
    return [p.name for p in plots if p is not None]


def _across(result: StudyResult) -> bool:
    """Whether there is anything to draw across taps: several taps, or several encoders."""
    return len(result.plans) > 1 or len(result.plans[0].taps) > 1


# -- plots --------------------------------------------------------------------------------
def _title(identity, tap: str | None = None) -> str:
    """The encoder's weights in a few words, an untrained control or a weightless baseline said so
    (the full weights id is in the report's header and footnotes), and the tap."""
    return identity.short_label() + ("" if tap is None else f", tap {tap}")


def _panels(result: StudyResult) -> list[tuple]:
    """(plan, role) of every encoder role, with the rows of its first tap (and of back-ends over all its taps)."""
    panels = []
    for plan in result.plans:
        shown = (plan.taps[0], "+".join(plan.taps))
        for role in plan.roles:
            rows = [r for r in result.rows if r.identity == role.identity and r.role == role.name and r.tap in shown]
            panels.append((plan, role, rows))
    return panels


def _det_plot(result: StudyResult, path: Path) -> Path | None:
    """DET curves of each encoder's first tap (and of back-ends over all taps), one panel per encoder role, on
    normal-deviate (probit) axes: both error rates through the inverse normal CDF, so scores from two
    Gaussians draw a straight line."""
    from scipy.stats import norm

    plt = pyplot()
    panels = _panels(result)
    columns = min(len(panels), 3)
    lines = -(-len(panels) // columns)
    fig, axes = plt.subplots(lines, columns, figsize=(5.5 * columns, 5.2 * lines), squeeze=False)
    low, high = norm.ppf(DET_RANGE[0]), norm.ppf(DET_RANGE[1])
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    for ax, (plan, role, rows) in zip(axes.flat, panels):
        for row in rows:
            p_fa, p_miss = _thin(row.points.p_fa, row.points.p_miss)
            ax.plot(norm.ppf(np.clip(p_fa, 1e-4, 1 - 1e-4)), norm.ppf(np.clip(p_miss, 1e-4, 1 - 1e-4)),
                    label=f"{row.backend} (EER {100 * metrics.eer_from_points(row.points):.1f}%)")
        ax.plot([low, high], [low, high], color="grey", lw=0.5, ls=":", label="miss = false alarm (EER)")
        ax.plot([low, -low], [-low, low], color="black", lw=0.8, ls="--", label="chance (random scores)")
        ax.set_xticks(norm.ppf(DET_TICKS), [f"{100 * t:g}" for t in DET_TICKS])
        ax.set_yticks(norm.ppf(DET_TICKS), [f"{100 * t:g}" for t in DET_TICKS])
        ax.set_xlim(low, high)
        ax.set_ylim(low, high)
        ax.set_xlabel("false alarm rate (%)")
        ax.set_ylabel("miss rate (%)")
        ax.set_title(f"{role.name}: {_title(role.identity, plan.taps[0])}", fontsize=9)
        legend(ax, fontsize=8)
    return save_figure(fig, path)


def _score_plot(result: StudyResult, path: Path) -> Path | None:
    """Same- and different-speaker score histograms of each encoder's first tap (or all taps, weighted-sum):
    encoder roles x back-ends."""
    plt = pyplot()
    panels = _panels(result)
    backends = list(result.config.backends)
    fig, axes = plt.subplots(len(panels), len(backends), figsize=(3.8 * len(backends), 3.0 * len(panels)),
                             squeeze=False)
    labels = result.split.trials.labels
    for i, (plan, role, rows) in enumerate(panels):
        for j, backend in enumerate(backends):
            row = next(r for r in rows if r.backend == backend)
            ax = axes[i][j]
            low, high = row.scores.min(), row.scores.max()
            bins = np.linspace(low, high, 50) if high > low else np.linspace(low - 0.5, high + 0.5, 3)
            ax.hist(row.scores[~labels], bins=bins, alpha=0.6, density=True, label="different speaker")
            ax.hist(row.scores[labels], bins=bins, alpha=0.6, density=True, label="same speaker")
            ax.set_xlabel(f"{backend} score")
            ax.set_ylabel("density")
            name = f"{plan.name} " if len(result.plans) > 1 else ""
            ax.set_title(f"{name}{role.name} {backend}: EER {100 * metrics.eer_from_points(row.points):.1f}%",
                         fontsize=9)
            legend(ax, fontsize=7)
    fig.suptitle("; ".join(f"{role.name}: {_title(role.identity, plan.taps[0])}" for plan, role, _ in panels),
                 fontsize=9)
    return save_figure(fig, path)


def _lines(result: StudyResult, palette):
    """(plan, role, back-end, style, colour, label) of every line across taps: each encoder and back-end solid in a
    colour of its own, its control dashed in the same colour, every untrained one labelled so; the ceilings apart
    (they are drawn level)."""
    for plan in (p for p in result.plans if p.kind == "encoder"):
        for backend in result.config.backends:
            colour = next(palette)
            for role, style in zip(plan.roles, ("-", "--")):
                untrained = weights_kind(role.identity.weights_id, role.identity.trained) == "untrained"
                kind = " (control)" if style == "--" else " (UNTRAINED)" if untrained else ""
                yield plan, role, backend, style, colour, f"{plan.name} {backend}{kind}"


def _at_taps(result: StudyResult, plan, role, backend: str, key: str, taps: list[str], name: str):
    """A role and back-end's value at each of ``taps`` (None where it has no row), and the line's label; a back-end
    over all of the encoder's taps at once (weighted-sum) has one value, drawn level across them."""
    def value(tap):
        return _value(next((r for r in result.rows if r.identity == role.identity and r.role == role.name
                            and r.tap == tap and r.backend == backend), None), key)

    values = [value(tap) for tap in taps]
    if taps and all(v is None for v in values) and len(plan.taps) > 1:
        return [value("+".join(plan.taps))] * len(taps), f"{name}, all taps"
    return values, name


def _palette():
    """The colours of matplotlib's default cycle, one after another."""
    import itertools

    return itertools.cycle(pyplot().rcParams["axes.prop_cycle"].by_key()["color"])


def _ceilings(result: StudyResult, ax, key: str, palette) -> None:
    """Each ceiling's value per back-end as a level line."""
    for plan in (p for p in result.plans if p.kind == "ceiling"):
        for backend in result.config.backends:
            value = _value(next((r for r in result.rows if r.identity == plan.roles[0].identity
                                 and r.backend == backend and r.tap == plan.taps[0]), None), key)
            if value is not None:
                ax.axhline(value, ls=":", lw=1.2, color=next(palette),
                           label=f"ceiling {plan.name}:{plan.taps[0]} {backend}")


def _sweep_plot(result: StudyResult, path: Path, key: str, label: str, chance: float | None = None) -> Path | None:
    """One value across the taps (of every encoder, in order), a line per encoder and back-end; the control dashed;
    the ceilings level; chance level where it exists."""
    plt = pyplot()
    taps = list(dict.fromkeys(tap for plan in result.plans if plan.kind == "encoder" for tap in plan.taps))
    fig, ax = plt.subplots(figsize=(max(7, 0.6 * len(taps)), 4.6))
    palette = _palette()
    for plan, role, backend, style, colour, name in _lines(result, palette):
        values, name = _at_taps(result, plan, role, backend, key, plan.taps, name)
        if any(v is not None for v in values):
            ax.plot([taps.index(t) for t in plan.taps], [np.nan if v is None else v for v in values], style,
                    marker="o", color=colour, label=name)
    _ceilings(result, ax, key, palette)
    if chance is not None and ax.lines:
        ax.axhline(chance, color="black", lw=0.8, ls=":", label=f"chance ({chance:g})")
    ax.set_xticks(range(len(taps)), taps)
    ax.set_xlabel("tap")
    ax.set_ylabel(label)
    ax.tick_params(axis="x", rotation=45)
    ax.set_title(" vs ".join(_title(role.identity) for plan in result.plans if plan.kind == "encoder"
                             for role in plan.roles) + ", across taps", fontsize=9)
    legend(ax, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return save_figure(fig, path)


def _kbps_plot(result: StudyResult, path: Path) -> Path | None:
    """The EER against the bitrate of each quantizer tap, a line per encoder and back-end (the control dashed);
    the ceilings level; taps without a bitrate are not drawn."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.6))
    palette = _palette()
    for plan, role, backend, style, colour, name in _lines(result, palette):
        taps = sorted(plan.kbps, key=plan.kbps.get)
        values, name = _at_taps(result, plan, role, backend, "eer", taps, name)
        if any(v is not None for v in values):
            ax.plot([plan.kbps[t] for t in taps], [np.nan if v is None else v for v in values], style, marker="o",
                    color=colour, label=name)
    _ceilings(result, ax, "eer", palette)
    ax.axhline(50.0, color="black", lw=0.8, ls=":", label="chance (50)")
    ax.set_xlabel("bitrate (kbps)")
    ax.set_ylabel("EER (%)")
    ax.set_title("EER against bitrate: " + ", ".join(_title(plan.roles[0].identity) for plan in result.plans
                                                     if plan.kbps), fontsize=9)
    legend(ax, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return save_figure(fig, path)


def _fisher_plot(result: StudyResult, path: Path) -> Path | None:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for plan, _, rows in _panels(result):
        for row in (r for r in rows if r.tap == plan.taps[0]):
            ax.plot(np.sort(row.diagnostics.fisher)[::-1], label=_line_label(result, plan, row))
    ax.set_yscale("log")
    ax.set_xlabel("channel (sorted by Fisher ratio)")
    ax.set_ylabel("Fisher ratio (between / within speaker variance)")
    ax.set_title("per-channel speaker discriminability: " + " vs ".join(
        _title(role.identity, plan.taps[0]) for plan, role, _ in _panels(result)), fontsize=8)
    legend(ax, fontsize=7)
    return save_figure(fig, path)


def _variance_plot(result: StudyResult, path: Path) -> Path | None:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for plan, _, rows in _panels(result):
        for row in (r for r in rows if r.tap == plan.taps[0]):
            ax.plot(np.arange(1, len(row.diagnostics.explained_variance_ratio) + 1),
                    np.cumsum(row.diagnostics.explained_variance_ratio), label=_line_label(result, plan, row))
    ax.set_xscale("log")
    ax.set_xlabel("principal components")
    ax.set_ylabel("cumulative explained variance")
    ax.set_title("effective dimensionality: " + " vs ".join(
        _title(role.identity, plan.taps[0]) for plan, role, _ in _panels(result)), fontsize=8)
    legend(ax, fontsize=7)
    return save_figure(fig, path)


def _line_label(result: StudyResult, plan, row) -> str:
    return (f"{plan.name} " if len(result.plans) > 1 else "") + f"{row.role} {row.backend}"


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
