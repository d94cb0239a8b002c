"""Report of a structure study: ``report.md``, PNG plots, ``metrics.json``, ``decision.json``, ``config.yaml``.

Every table and plot names the encoder, tap and weights; runs with random weights say
UNTRAINED. Several encoders or taps (Tier 1 Exp 3) get a side-by-side table and plot.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from codecprobe.config import config_to_dict, save_config
from codecprobe.encoders import untrained_kind
from codecprobe.report import atomic_write_text, markdown_table, provenance, slug, write_json
from codecprobe.report.plots import pyplot, save_figure
from codecprobe.structure.analysis import SLICES
from codecprobe.structure.decision import failed_criteria
from codecprobe.structure.study import StructureResult, TapRun


def write_structure_report(result: StructureResult, out: str | Path) -> dict:
    """Write every output; returns the content of ``decision.json``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    config = result.config
    _link_controls(result)
    decisions = {
        "command": "structure",
        "primary": _decision_record(result.runs[0]),
        "runs": [_decision_record(run) for run in result.runs],
        "thresholds": config_to_dict(config.thresholds),
    }
    write_json(out / "decision.json", decisions)
    write_json(out / "metrics.json", {
        "command": "structure",
        "data": {"corpora": result.data.summary, "split": result.data.description,
                 "utterances_train": len(result.data.split.train), "utterances_eval": len(result.data.split.eval)},
        "runs": [_metrics_record(run) for run in result.runs],
        "config": config_to_dict(config),
        "provenance": provenance(("faiss-cpu",)),
    })
    save_config(config, out / "config.yaml")

    plots = []
    for run in result.runs:
        tag = _slug(run)
        plots.append(_variance_plot(run, config, out / f"variance_ratio_{tag}.png"))
        plots.append(_cluster_size_plot(run, config, out / f"cluster_sizes_{tag}.png"))
        plots.append(_speaker_plot(run, config, out / f"speakers_{tag}.png"))
    if len(result.runs) > 1:
        plots.insert(0, _comparison_plot(result, out / "comparison.png"))

    sections = [
        f"# Latent-structure gate (seed 004, Phase 0): {', '.join(dict.fromkeys(r.label for r in result.runs))}",
        _header(result),
        "## Decision\n\n" + "\n".join(f"- {_decision_line(run)}" for run in result.runs),
        _criteria_table(result),
    ]
    if len(result.runs) > 1:
        sections += ["## Side by side (Tier 1 Exp 3)", comparison_table(result)]
    for run in result.runs:
        sections += [f"## {run.label}, {run.weights}", _run_notes(run, config), metrics_table(run)]
    sections += [f"![{p.stem}]({p.name})" for p in plots if p is not None]  # None: nothing to draw
    sections.append(_footer(result))
    atomic_write_text(out / "report.md", "\n\n".join(sections) + "\n")
    return decisions


# -- what the runs decided ---------------------------------------------------------------
def _link_controls(result: StructureResult) -> None:
    """Beside a trained encoder's decision, its untrained control's (same encoder and tap)."""
    for run in result.runs:
        if run.role != "encoder":
            continue
        control = next((c for c in result.runs if c.role == "control" and c.identity.encoder == run.identity.encoder
                        and c.tap == run.tap), None)
        if control is not None:
            run.decision["control_decision"] = control.decision["decision"]
            if control.decision["decision"] == "PASS":
                run.decision["control_note"] = ("the untrained control passes too: the structure comes from the "
                                                "architecture and the signal, not from training")


def _decision_record(run: TapRun) -> dict:
    return {"encoder": run.identity.encoder, "role": run.role, "weights_id": run.identity.weights_id,
            "trained": run.identity.trained, "weights": run.identity.weights, "tap": run.tap, **run.decision}


def summary_line(run: TapRun) -> str:
    """``mimi:prequant [weights] FAIL: best scheme ...: failed criteria``, for the console and the report."""
    decision = run.decision
    best = next(s for s in decision["schemes"] if s["scheme"] == decision["best_scheme"])
    line = f"{run.label} [{run.weights}] {decision['decision']} (lag {decision['lag']}): best scheme {best['scheme']}"
    vr = best["variance_ratio_eval"]
    line += f", held-out variance ratio {'undefined' if vr is None else f'{vr:.3f}'}"
    failed = failed_criteria(best)
    if failed:
        line += "; fails " + "; ".join(failed)
    if "control_note" in decision:
        line += f"; NOTE: {decision['control_note']}"
    return line


def _decision_line(run: TapRun) -> str:
    return summary_line(run).replace(f" {run.decision['decision']} ", f" **{run.decision['decision']}** ", 1)


def _criteria_table(result: StructureResult) -> str:
    first = result.runs[0].decision["schemes"][0]["criteria"]
    headers = ["encoder:tap", "weights", "scheme", *[f"{c['name']} ({c['rule']})" for c in first], "scheme passes"]
    rows = []
    for run in result.runs:
        for scheme in run.decision["schemes"]:
            cells = [f"{_fmt(c['value'])} {'ok' if c['passed'] else 'FAIL'}" for c in scheme["criteria"]]
            rows.append([run.label, run.weights, scheme["scheme"], *cells, "yes" if scheme["passed"] else "no"])
    return (f"### Criteria at lag {result.config.lags[0]} (point estimates; intervals in the tables below)\n\n"
            + markdown_table(headers, rows))


# -- tables ------------------------------------------------------------------------------
def comparison_table(result: StructureResult) -> str:
    """The first lag, for every run and scheme: the numbers the decision reads."""
    lag = result.config.lags[0]
    headers = ["encoder:tap", "weights", "scheme", "VR train", "VR held-out [95% CI]", "degradation",
               "VR high-energy", "VR medial", "random VR (train / held-out)", "entropy red. held-out", "excluded",
               "decision"]
    rows = []
    for run in result.runs:
        passing = set(run.decision["passing_schemes"])
        for scheme in dict.fromkeys(r["scheme"] for r in run.analysis.rows):
            by_slice = {r["slice"]: r for r in run.analysis.rows if r["scheme"] == scheme and r["lag"] == lag}
            a = by_slice["all"]
            rows.append([run.label, run.weights, scheme, _fmt(a["variance_ratio_train"]["value"]),
                         _with_ci(a["variance_ratio_eval"]), _fmt(a["cross_speaker_degradation"]["value"]),
                         _fmt(by_slice["high_energy"]["variance_ratio_eval"]["value"]),
                         _fmt(by_slice["medial"]["variance_ratio_eval"]["value"]),
                         f"{_fmt(a['random_variance_ratio_train']['value'])} / "
                         f"{_fmt(a['random_variance_ratio_eval']['value'])}",
                         _fmt(a["entropy_reduction_eval"]["value"]), _percent(a["excluded_mass_train"]),
                         "pass" if scheme in passing else "fail"])
    return markdown_table(headers, rows)


def metrics_table(run: TapRun) -> str:
    headers = ["scheme", "lag", "slice", "frames train / held-out", "excluded train / held-out", "VR train [CI]",
               "VR held-out [CI]", "degradation [CI]", "random VR train", "random VR held-out", "entropy red. train",
               "entropy red. held-out", "random entropy red. held-out"]
    rows = [[r["scheme"], r["lag"], r["slice"], f"{r['frames_train']} / {r['frames_eval']}",
             f"{_percent(r['excluded_mass_train'])} / {_percent(r['excluded_mass_eval'])}",
             _with_ci(r["variance_ratio_train"]), _with_ci(r["variance_ratio_eval"]),
             _with_ci(r["cross_speaker_degradation"]), _with_ci(r["random_variance_ratio_train"]),
             _with_ci(r["random_variance_ratio_eval"]), _fmt(r["entropy_reduction_train"]["value"]),
             _with_ci(r["entropy_reduction_eval"]), _fmt(r["random_entropy_reduction_eval"]["value"])]
            for r in run.analysis.rows]
    return markdown_table(headers, rows)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def _with_ci(value: dict) -> str:
    if value["value"] is None:
        return "n/a"
    return f"{value['value']:.3f} [{_fmt(value['ci_low'])}, {_fmt(value['ci_high'])}]"


# -- text --------------------------------------------------------------------------------
def _header(result: StructureResult) -> str:
    config, data = result.config, result.data
    lines = []
    for run in result.runs:
        state = {"trained": "trained weights", "none": "a baseline without weights"}.get(
            run.identity.weights, f"UNTRAINED control, {untrained_kind(run.identity.weights_id)}: not the real model")
        lines.append(f"- {run.role}: `{run.label}` {run.identity.weights_id} ({state}); {run.dim} dims at "
                     f"{run.frame_rate:g} Hz; {run.control_note}")
    corpora = ", ".join(f"{c['corpus']} ({c['speakers_train']}+{c['speakers_eval']} speakers, "
                        f"{c['utterances_train']}+{c['utterances_eval']} utterances)" for c in data.summary)
    lines.append(f"- data: {corpora}; {sum(c['hours'] for c in data.summary):.2f} h; train+held-out")
    lines.append(f"- split: {data.description}")
    kind = ("z[t+k] - z[t] (displacement)" if config.dynamics == "displacement"
            else "z[t+k] - z[t+k-1] (velocity, context k-1 frames stale)")
    lines.append(f"- frames: context = the {config.window} frames ending at anchor t; dynamics {kind} for lags "
                 f"{config.lags}, z-scored with training-speaker statistics; slices: high-energy = frame t+1 above "
                 f"the {config.high_energy_quantile:g} quantile of training energy, medial = position (t+1)/T in "
                 f"{config.medial_range}")
    lines.append(f"- keys with fewer than {config.min_cluster_size} training frames are excluded; intervals: "
                 f"{config.confidence:.0%} bootstrap over utterances ({config.bootstrap} resamples)")
    lines.append("- VR = variance ratio (within-key / total variance of the dynamics; training speakers with "
                 "degrees-of-freedom correction, held-out speakers with the training keys' means); random = keys "
                 "drawn at random with the scheme's key frequencies (must be ~1.0); degradation = share of the "
                 "explained variance lost on held-out speakers; entropy red. = 1 - H(code | key) / H(code) of the "
                 f"dynamics quantised to {config.dynamics_codebook} codes")
    return "\n".join(lines)


def _run_notes(run: TapRun, config) -> str:
    a = run.analysis
    explained = ", ".join(f"PCA {d}: {100 * v:.1f}% of the context variance"
                          for d, v in a.conditioning.pca_explained.items())
    return (f"Fit sample: {a.sample_size} training anchors; {explained}; high-energy threshold "
            f"{a.energy_threshold:.1f} dB. Decision: {run.decision['decision']}"
            + (f" (passing: {', '.join(run.decision['passing_schemes'])})" if run.decision["passing_schemes"] else ""))


def _footer(result: StructureResult) -> str:
    import yaml

    meta = provenance(("faiss-cpu",))
    versions = ", ".join(f"{k} {v}" for k, v in meta["versions"].items() if v)
    return (f"## Config\n\n```yaml\n{yaml.safe_dump(config_to_dict(result.config), sort_keys=False)}```\n\n"
            f"## Versions\n\n{versions}; Python {meta['python']} on {meta['platform']}; {meta['created']}")


def _metrics_record(run: TapRun) -> dict:
    a = run.analysis
    return {
        "encoder": run.identity.encoder, "role": run.role, "weights_id": run.identity.weights_id,
        "trained": run.identity.trained, "weights": run.identity.weights, "settings": run.identity.settings,
        "tap": run.tap, "frame_rate": run.frame_rate, "dim": run.dim, "control_note": run.control_note,
        "fit_sample": a.sample_size, "energy_threshold_db": a.energy_threshold,
        "pca_explained_variance": {str(d): v for d, v in a.conditioning.pca_explained.items()},
        "effective_keys": {name: len(keys) for name, keys in zip(a.conditioning.labelings, a.effective)},
        "rows": a.rows, "speakers": a.speakers,
    }


def _slug(run: TapRun) -> str:
    return slug(f"{run.identity.encoder}-{run.tap}-{run.role}")


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
