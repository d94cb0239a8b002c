"""The report of a structure study, rendered from its saved results.

Every table and plot names the encoder, tap and weights; runs with random weights say
UNTRAINED. Several encoders or taps (Tier 1 Exp 3) get a side-by-side table and plot.
"""
from __future__ import annotations

from codecprobe.encoders.base import untrained_kind
from codecprobe.report.model import Bullets, Figure, Footnoted, Report, Section, Table
from codecprobe.structure.decision import failed_criteria
from codecprobe.structure.results import StructureRun, StructureSummary

__all__ = ["StructureSummary", "render", "summary_line"]


def render(summary: StructureSummary) -> Report:
    from codecprobe.config import config_to_dict

    config, runs = summary.config, summary.runs
    sections = [Section("Decision", [
        Bullets([_decision_line(run) for run in runs]),
        f"### Criteria at lag {config.lags[0]} (point estimates; intervals in the tables below)",
        _criteria_table(summary)])]
    if len(runs) > 1:
        sections.append(Section("Side by side (Tier 1 Exp 3)", [comparison_table(summary)]))
    for run in runs:
        sections.append(Section(f"{run.label}, {run.short_label}", [_run_notes(run), metrics_table(run)]))
    sections.append(Section(None, [Figure(name, name.rsplit(".", 1)[0]) for name in summary.figures]))
    title = f"Latent-structure gate (seed 004, Phase 0): {', '.join(dict.fromkeys(r.label for r in runs))}"
    return Report(title, [Bullets(_about(summary))], sections, config_to_dict(config), summary.provenance)


# -- what the runs decided ---------------------------------------------------------------
def summary_line(run: StructureRun) -> str:
    """``mimi:prequant [weights] FAIL: best scheme ...: failed criteria``, for the console and the report."""
    decision = run.decision
    best = next(s for s in decision["schemes"] if s["scheme"] == decision["best_scheme"])
    line = f"{run.label} [{run.weights_label}] {decision['decision']} (lag {decision['lag']}): best scheme {best['scheme']}"
    vr = best["variance_ratio_eval"]
    line += f", held-out variance ratio {'undefined' if vr is None else f'{vr:.3f}'}"
    failed = failed_criteria(best)
    if failed:
        line += "; fails " + "; ".join(failed)
    if "control_note" in decision:
        line += f"; NOTE: {decision['control_note']}"
    return line


def _decision_line(run: StructureRun) -> str:
    return summary_line(run).replace(f" {run.decision['decision']} ", f" **{run.decision['decision']}** ", 1)


def _criteria_table(result: StructureSummary) -> Table:
    first = result.runs[0].decision["schemes"][0]["criteria"]
    headers = ["encoder:tap", "weights", "scheme", *[f"{c['name']} ({c['rule']})" for c in first], "scheme passes"]
    rows = []
    for run in result.runs:
        for scheme in run.decision["schemes"]:
            cells = [f"{_fmt(c['value'])} {'ok' if c['passed'] else 'FAIL'}" for c in scheme["criteria"]]
            rows.append([run.label, Footnoted(run.short_label, run.weights_label), scheme["scheme"], *cells, "yes" if scheme["passed"] else "no"])
    return Table(headers, rows)


# -- tables ------------------------------------------------------------------------------
def comparison_table(result: StructureSummary) -> Table:
    """The first lag, for every run and scheme: the numbers the decision reads."""
    lag = result.config.lags[0]
    headers = ["encoder:tap", "weights", "scheme", "VR train", "VR held-out [95% CI]", "degradation",
               "VR high-energy", "VR medial", "random VR (train / held-out)", "entropy red. held-out", "excluded",
               "decision"]
    rows = []
    for run in result.runs:
        passing = set(run.decision["passing_schemes"])
        for scheme in dict.fromkeys(r["scheme"] for r in run.rows):
            by_slice = {r["slice"]: r for r in run.rows if r["scheme"] == scheme and r["lag"] == lag}
            a = by_slice["all"]
            rows.append([run.label, Footnoted(run.short_label, run.weights_label), scheme, _fmt(a["variance_ratio_train"]["value"]),
                         _with_ci(a["variance_ratio_eval"]), _fmt(a["cross_speaker_degradation"]["value"]),
                         _fmt(by_slice["high_energy"]["variance_ratio_eval"]["value"]),
                         _fmt(by_slice["medial"]["variance_ratio_eval"]["value"]),
                         f"{_fmt(a['random_variance_ratio_train']['value'])} / "
                         f"{_fmt(a['random_variance_ratio_eval']['value'])}",
                         _fmt(a["entropy_reduction_eval"]["value"]), _percent(a["excluded_mass_train"]),
                         "pass" if scheme in passing else "fail"])
    return Table(headers, rows)


def metrics_table(run: StructureRun) -> Table:
    headers = ["scheme", "lag", "slice", "frames train / held-out", "excluded train / held-out", "VR train [CI]",
               "VR held-out [CI]", "degradation [CI]", "random VR train", "random VR held-out", "entropy red. train",
               "entropy red. held-out", "random entropy red. held-out"]
    rows = [[r["scheme"], r["lag"], r["slice"], f"{r['frames_train']} / {r['frames_eval']}",
             f"{_percent(r['excluded_mass_train'])} / {_percent(r['excluded_mass_eval'])}",
             _with_ci(r["variance_ratio_train"]), _with_ci(r["variance_ratio_eval"]),
             _with_ci(r["cross_speaker_degradation"]), _with_ci(r["random_variance_ratio_train"]),
             _with_ci(r["random_variance_ratio_eval"]), _fmt(r["entropy_reduction_train"]["value"]),
             _with_ci(r["entropy_reduction_eval"]), _fmt(r["random_entropy_reduction_eval"]["value"])]
            for r in run.rows]
    return Table(headers, rows)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def _with_ci(value: dict) -> str:
    if value["value"] is None:
        return "n/a"
    return f"{value['value']:.3f} [{_fmt(value['ci_low'])}, {_fmt(value['ci_high'])}]"


# -- text --------------------------------------------------------------------------------
def _about(result: StructureSummary) -> list[str]:
    config, data = result.config, result.data
    lines = []
    for run in result.runs:
        state = {"trained": "trained weights", "none": "a baseline without weights"}.get(
            run.weights, f"UNTRAINED control, {untrained_kind(run.weights_id)}: not the real model")
        lines.append(f"{run.role}: `{run.label}` {run.weights_id} ({state}); {run.dim} dims at "
                     f"{run.frame_rate:g} Hz; {run.control_note}")
    corpora = ", ".join(f"{c['corpus']} ({c['speakers_train']}+{c['speakers_eval']} speakers, "
                        f"{c['utterances_train']}+{c['utterances_eval']} utterances)" for c in data["corpora"])
    lines.append(f"data: {corpora}; {sum(c['hours'] for c in data['corpora']):.2f} h; train+held-out")
    lines.append(f"split: {data['split']}")
    kind = ("z[t+k] - z[t] (displacement)" if config.dynamics == "displacement"
            else "z[t+k] - z[t+k-1] (velocity, context k-1 frames stale)")
    lines.append(f"frames: context = the {config.window} frames ending at anchor t; dynamics {kind} for lags "
                 f"{config.lags}, z-scored with training-speaker statistics; slices: high-energy = frame t+1 above "
                 f"the {config.high_energy_quantile:g} quantile of training energy, medial = position (t+1)/T in "
                 f"{config.medial_range}")
    lines.append(f"keys with fewer than {config.min_cluster_size} training frames are excluded; intervals: "
                 f"{config.confidence:.0%} bootstrap over utterances ({config.bootstrap} resamples)")
    lines.append("VR = variance ratio (within-key / total variance of the dynamics; training speakers with "
                 "degrees-of-freedom correction, held-out speakers with the training keys' means); random = keys "
                 "drawn at random with the scheme's key frequencies (must be ~1.0); degradation = share of the "
                 "explained variance lost on held-out speakers; entropy red. = 1 - H(code | key) / H(code) of the "
                 f"dynamics quantised to {config.dynamics_codebook} codes")
    return lines


def _run_notes(run: StructureRun) -> str:
    explained = ", ".join(f"PCA {d}: {100 * v:.1f}% of the context variance"
                          for d, v in run.pca_explained_variance.items())
    return (f"Fit sample: {run.fit_sample} training anchors; {explained}; high-energy threshold "
            f"{run.energy_threshold_db:.1f} dB. Decision: {run.decision['decision']}"
            + (f" (passing: {', '.join(run.decision['passing_schemes'])})" if run.decision["passing_schemes"] else ""))
