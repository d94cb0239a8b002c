"""Reports of a verify / diagnose study: ``report.md``, PNG plots, ``results.json``, ``config.yaml``.

The verdicts use the thresholds of :class:`~codecprobe.verify.config.Thresholds` (the
values of the original Mimi study), stated in plain words for the encoder and tap under
study in every report. Each figure carries its bootstrap interval over speakers; on too
few evaluation speakers the verdicts are withheld, with the reason. A trained encoder is
also judged against its untrained control: an EER that random weights match says nothing
about what training put in the latents. A metric that cannot tell speakers apart by
construction (consistency where different speakers are just as similar) is flagged,
not passed as meeting its target.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from codecprobe.config import config_to_dict, save_config
from codecprobe.encoders import weights_label
from codecprobe.report import atomic_write_text, markdown_table, provenance, write_json
from codecprobe.report.plots import legend, pyplot, save_figure
from codecprobe.verify.config import Thresholds
from codecprobe.verify.study import DiagnoseRow, StudyResult, VerifyRow


# -- verdicts -----------------------------------------------------------------------------
def withheld(n_speakers: int, thresholds: Thresholds) -> str | None:
    """Why no verdict can be given on this many evaluation speakers, or None if one can."""
    if n_speakers < thresholds.min_eval_speakers:
        return f"verdict withheld: only {n_speakers} evaluation speakers (a verdict needs {thresholds.min_eval_speakers})"
    return None


def eer_verdict(eer: float, thresholds: Thresholds, n_speakers: int, interval: list[float] | None = None) -> str:
    """The reading of an EER in percent, or why there is none."""
    reason = withheld(n_speakers, thresholds)
    if reason:
        return reason
    if eer < thresholds.eer_straightforward:
        verdict = f"adapter straightforward (EER < {thresholds.eer_straightforward:g}%)"
    elif eer < thresholds.eer_viable:
        verdict = f"adapter viable (EER < {thresholds.eer_viable:g}%)"
    elif eer >= thresholds.eer_agnostic:
        verdict = f"speaker-agnostic (EER >= {thresholds.eer_agnostic:g}%, chance is 50%)"
    else:
        verdict = f"weak speaker signal ({thresholds.eer_viable:g}% <= EER < {thresholds.eer_agnostic:g}%)"
    lines = [v for v in (thresholds.eer_straightforward, thresholds.eer_viable, thresholds.eer_agnostic)
             if interval and interval[0] < v <= interval[1]]
    if lines:
        verdict += (f"; uncertain: the interval crosses the {' and '.join(f'{v:g}%' for v in lines)} "
                    + ("lines" if len(lines) > 1 else "line"))
    return verdict


def control_verdict(eer: float, control_eer: float, thresholds: Thresholds) -> str:
    gain = control_eer - eer
    if gain > thresholds.control_margin:
        return f"{gain:.1f} EER points better than the untrained control"
    return (f"no better than the untrained control ({eer:.1f}% vs {control_eer:.1f}%): "
            "the architecture and the signal, not training, explain this EER")


def diagnostic_verdicts(row: dict, thresholds: Thresholds) -> dict[str, str]:
    """A verdict per diagnostic with a target; degenerate ones are flagged, not passed."""
    reason = withheld(row["n_speakers"], thresholds)
    checks = {"acoustics_score": thresholds.acoustics_score, "separability": thresholds.separability,
              "consistency": thresholds.consistency}
    verdicts = {}
    for key, target in checks.items():
        value, interval = row[key], row["intervals"].get(key)
        if value is None:
            verdicts[key] = "not measurable (needs the same text from several speakers)"
        elif key == "consistency" and row["different_speaker_similarity"] >= target:
            verdicts[key] = (f"degenerate: different speakers are as similar (mean cosine "
                             f"{row['different_speaker_similarity']:.2f}), every embedding points the same way; "
                             "consistency says nothing here (see the centred back-end)")
        elif reason:
            verdicts[key] = reason
        else:
            verdicts[key] = f"{'meets' if value > target else 'below'} target (> {target:g})"
            if interval and interval[0] < target <= interval[1]:
                verdicts[key] += "; uncertain: the interval crosses the target"
    return verdicts


# -- verify -------------------------------------------------------------------------------
def write_verify_report(result: StudyResult, out: str | Path) -> dict:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    config, thresholds = result.config, result.config.thresholds
    rows: list[VerifyRow] = result.rows
    controls = {(r.tap, r.backend): r for r in rows if r.role == "control"}
    primary = rows[0]
    n_speakers = _data(result)["eval_speakers"]

    records = []
    for row in rows:
        record = row.to_dict() | {"verdict": eer_verdict(row.eer, thresholds, n_speakers, row.eer_interval)}
        control = controls.get((row.tap, row.backend)) if row.role == "encoder" else None
        if control is not None:
            record["control_eer"] = control.eer
            record["against_control"] = control_verdict(row.eer, control.eer, thresholds)
        records.append(record)

    plots = [_det_plot(result, out / "det.png"), _score_plot(result, out / "scores.png")]
    if len(result.taps) > 1:
        plots.append(_sweep_plot(result, out / "sweep.png", "eer", "EER (%)", chance=50.0))

    results = _write_results(result, out, records, {
        "command": "verify",
        "eer": primary.eer,
        "eer_interval": primary.eer_interval,
        "min_dcf": {str(p): v for p, v in primary.min_dcf.items()},
        "act_dcf": records[0]["act_dcf"],
        "cllr": records[0]["cllr"],
        "min_cllr": records[0]["min_cllr"],
        "mean_pos": primary.summary.mean_pos,
        "mean_neg": primary.summary.mean_neg,
        "n_trials": primary.summary.n_trials,
        "primary": {"tap": primary.tap, "backend": primary.backend},
    })

    p_targets = list(config.dcf.p_targets)
    headers = ["role", "weights", "tap", "back-end", "EER %", _interval_header(config),
               *[f"{kind}DCF {p:g}" for p in p_targets for kind in ("min", "act")], "Cllr", "min Cllr",
               "mean same", "mean diff", "gap", "score range", "probe train acc", "verdict", "vs control"]
    table = [[r["role"], weights_label(r["weights_id"], r["trained"]), r["tap"], r["backend"], r["eer"],
              _interval(r["eer_interval"], "{:.1f}-{:.1f}"),
              *[_number(values and values[str(p)], "{:.4f}") for p in p_targets for values in (r["min_dcf"], r["act_dcf"])],
              _number(r["cllr"], "{:.3f}"), _number(r["min_cllr"], "{:.3f}"),
              f"{r['mean_pos']:.3f}", f"{r['mean_neg']:.3f}", f"{r['gap']:.3f}",
              f"[{r['score_min']:.3f}, {r['score_max']:.3f}]",
              "" if r["training_accuracy"] is None else f"{100 * r['training_accuracy']:.1f}%",
              r["verdict"], r.get("against_control", "")] for r in records]
    headline = (f"**{primary.identity.encoder}:{primary.tap}, {primary.backend}: EER {primary.eer:.2f}%**"
                f"{_interval(primary.eer_interval, ' ({:.1f}-{:.1f}%)')}: {records[0]['verdict']}")
    if "against_control" in records[0]:
        headline += f"; {records[0]['against_control']}"
    text = "\n\n".join([
        f"# Speaker verification: {config.encoder} on {result.split.corpus.name}",
        _header(result),
        headline,
        markdown_table(headers, table),
        _calibration_note(result),
        *_paired_section(records, config),
        *_tap_weights_section(records),
        _thresholds_section(result, verify=True),
        *_embedded(plots),
        *_failures_section(result),
        _footer(result),
    ])
    atomic_write_text(out / "report.md", text + "\n")
    return results


# -- diagnose -----------------------------------------------------------------------------
def write_diagnose_report(result: StudyResult, out: str | Path) -> dict:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    config, thresholds = result.config, result.config.thresholds
    rows: list[DiagnoseRow] = result.rows
    records = [row.to_dict() for row in rows]
    for record in records:
        record["verdicts"] = diagnostic_verdicts(record, thresholds)

    plots = [_fisher_plot(result, out / "fisher.png"), _variance_plot(result, out / "variance.png")]
    if len(result.taps) > 1:
        for key in ("acoustics_score", "separability", "consistency"):
            plots.append(_sweep_plot(result, out / f"sweep_{key}.png", key, key.replace("_", " ")))

    results = _write_results(result, out, records, {"command": "diagnose", "primary": records[0]})

    def fmt(record, key):
        value = record[key]
        return "n/a" if value is None else f"{value:.3f}" + _interval(record["intervals"].get(key), " [{:.2f}, {:.2f}]")

    headers = ["role", "weights", "tap", "back-end", "acoustics", "intra-voice", "inter-voice", "separability",
               "consistency", "different speakers", "Fisher mean", "Fisher max", "dims 90%", "dims 95%",
               "participation ratio"]
    table = [[r["role"], weights_label(r["weights_id"], r["trained"]), r["tap"], r["backend"],
              fmt(r, "acoustics_score"), fmt(r, "intra_voice"), fmt(r, "inter_voice"), fmt(r, "separability"),
              fmt(r, "consistency"), fmt(r, "different_speaker_similarity"), fmt(r, "fisher_mean"),
              fmt(r, "fisher_max"), r["dims_90"], r["dims_95"], fmt(r, "participation_ratio")] for r in records]
    verdict_rows = [[r["role"], r["tap"], r["backend"], *r["verdicts"].values()] for r in records]
    text = "\n\n".join([
        f"# Speaker-space diagnostics: {config.encoder} on {result.split.corpus.name}",
        _header(result),
        "acoustics = intra-voice (same speaker, different text) minus inter-voice (same text, different "
        "speakers) cosine; separability = mean distance between speaker centroids / mean distance to the own "
        "centroid; consistency = mean same-speaker cosine, beside the mean different-speaker cosine; Fisher = "
        "per-channel between/within speaker variance; "
        f"diagnostics over {rows[0].diagnostics.n_segments} evaluation segments of "
        f"{rows[0].diagnostics.n_speakers} speakers; brackets: {_confidence(config)} intervals by bootstrap over "
        "speakers.",
        markdown_table(headers, table),
        "## Verdicts",
        markdown_table(["role", "tap", "back-end",
                        f"acoustics > {thresholds.acoustics_score:g}", f"separability > {thresholds.separability:g}",
                        f"consistency > {thresholds.consistency:g}"], verdict_rows),
        _thresholds_section(result, verify=False),
        *_embedded(plots),
        *_failures_section(result),
        _footer(result),
    ])
    atomic_write_text(out / "report.md", text + "\n")
    return results


# -- shared pieces ------------------------------------------------------------------------
def _write_results(result: StudyResult, out: Path, records: list[dict], headline: dict) -> dict:
    """``results.json`` (the headline fields, then what every study records) and ``config.yaml``."""
    results = headline | {
        "encoder": _identity(result.roles[0].identity),
        "control": _identity(result.roles[1].identity) if len(result.roles) > 1 else None,
        "control_note": result.control_note,
        "preprocessing": result.preprocessing,
        "data": _data(result),
        "failures": [{"input": where, "reason": reason} for where, reason in result.failures],
        "thresholds_in_words": result.config.thresholds.plain_words(_subject(result)),
        "results": records,
        "config": config_to_dict(result.config),
        "provenance": provenance(),
    }
    write_json(out / "results.json", results)
    save_config(result.config, out / "config.yaml")
    return results


def _identity(identity) -> dict:
    return {"encoder": identity.encoder, "weights_id": identity.weights_id, "trained": identity.trained,
            "weights": identity.weights, "settings": identity.settings}


def _data(result: StudyResult) -> dict:
    split = result.split
    data = {
        "corpus": str(result.config.corpus), "layout": split.corpus.layout,
        "eval_segments": len(split.eval_segments), "eval_speakers": len({s.speaker for s in split.eval_segments}),
        "train_corpus": split.train_corpus.name, "train_segments": len(split.train_segments),
        "train_speakers": len({s.speaker for s in split.train_segments}), "split": split.description,
        "n_failures": len(result.failures),
    }
    if split.trials is not None:
        data |= {"trials": split.trials.source, "n_trials": len(split.trials), "n_target": split.trials.n_target}
    return data


def _header(result: StudyResult) -> str:
    data = _data(result)
    lines = [f"- {role.name}: {role.identity.describe()}" for role in result.roles]
    lines.append(f"- control: {result.control_note}")
    lines.append(f"- preprocessing: {result.preprocessing}")
    lines.append(f"- evaluation: {data['eval_segments']} segments of {data['eval_speakers']} speakers "
                 f"({result.split.corpus.name}, layout {data['layout']})")
    if "trials" in data:
        lines.append(f"- trials: {data['n_trials']} ({data['n_target']} same-speaker), {data['trials']}")
    lines.append(f"- disjointness: {data['split']}; {data['train_segments']} segments of "
                 f"{data['train_speakers']} speakers")
    lines.append(f"- pooling: {result.config.pooling}" + (" over Silero-VAD speech frames" if result.config.vad else ""))
    if result.failures:
        lines.append(f"- **{len(result.failures)} input(s) could not be read or encoded and are left out** "
                     "(listed at the end)")
    return "\n".join(lines)


def _subject(result: StudyResult) -> str:
    return f"{result.config.encoder}:{result.taps[0]}" + (" (and the other taps)" if len(result.taps) > 1 else "")


def _thresholds_section(result: StudyResult, verify: bool) -> str:
    """The thresholds in plain words for the encoder under study (those of this study first)."""
    words = result.config.thresholds.plain_words(_subject(result))
    ours, others = (words[:4], words[4:7]) if verify else (words[4:7], words[:4])
    return "\n".join([f"## What the verdicts mean for {_subject(result)}", "",
                      *[f"- {line}" for line in ours + words[7:]], "",
                      "The other thresholds of the original Mimi study, for comparison:", "",
                      *[f"- {line}" for line in others]])


def _failures_section(result: StudyResult) -> list[str]:
    if not result.failures:
        return []
    return [f"## Inputs left out ({len(result.failures)})",
            markdown_table(["input", "reason"], [[where, reason] for where, reason in result.failures])]


def _embedded(plots: list[Path | None]) -> list[str]:
    return [f"![{p.stem}]({p.name})" for p in plots if p is not None]


def _confidence(config) -> str:
    return f"{100 * config.bootstrap.confidence:g}%"


def _interval_header(config) -> str:
    return f"{_confidence(config)} interval"


def _paired_section(records: list[dict], config) -> list[str]:
    """The paired bootstrap tests: each back-end against the first, the encoder against its control."""
    table = [[f"{r['role']} {r['tap']} {r['backend']}", " ".join(t["against"].values()),
              f"{t['eer_difference']:+.2f}", _interval(t["interval"], "{:+.1f} to {:+.1f}"),
              _number(t["p_value"], "{:.3f}")] for r in records for t in r["paired_tests"]]
    if not table:
        return []
    return ["## Paired tests",
            f"EER of the row minus EER of what it is compared with, on the same trials; {_confidence(config)} "
            f"interval and two-sided p-value by paired bootstrap over speakers ({config.bootstrap.replicates} "
            "replicates, each drawn once for both systems; none below 3 speakers).",
            markdown_table(["row", "against", "EER difference (points)", _interval_header(config), "p"], table)]


def _tap_weights_section(records: list[dict]) -> list[str]:
    """The weighted sum's learned weight of each tap (softmax, summing to 1)."""
    rows = [r for r in records if (r["training"] or {}).get("layer_weights")]
    if not rows:
        return []
    taps = list(rows[0]["training"]["layer_weights"])
    return ["## Learned tap weights (weighted-sum)",
            markdown_table(["role", *taps, "loss first -> last epoch"],
                           [[r["role"], *[f"{r['training']['layer_weights'][t]:.3f}" for t in taps],
                             f"{r['training']['first_loss']:.3f} -> {r['training']['last_loss']:.3f}"] for r in rows])]


def _calibration_note(result: StudyResult) -> str:
    config = result.config
    return (f"minDCF and min Cllr (after the best monotone recalibration) need no calibration. actDCF (Bayes decisions "
            f"at threshold log(c_fa (1 - p) / (c_miss p)), c_miss {config.dcf.c_miss:g}, c_fa {config.dcf.c_fa:g}) and "
            "Cllr judge each back-end's scores as log-likelihood ratios once calibrated by logistic regression "
            f"(prior {config.calibration.prior:g}) on up to {config.calibration.max_trials_per_class} same- and as many "
            "different-speaker trials among the training speakers (n/a without them). A back-end fitted on those "
            "speakers separates them better than unseen ones, so its calibration is over-confident on the trials: "
            "there actDCF and Cllr err on the pessimistic side.")


def _number(value: float | None, template: str) -> str:
    return "n/a" if value is None else template.format(value)


def _interval(interval: list[float] | None, template: str) -> str:
    return "" if interval is None else template.format(*interval)


def _footer(result: StudyResult) -> str:
    import yaml

    meta = provenance()
    versions = ", ".join(f"{k} {v}" for k, v in meta["versions"].items() if v)
    return (f"## Config\n\n```yaml\n{yaml.safe_dump(config_to_dict(result.config), sort_keys=False)}```\n\n"
            f"## Versions\n\n{versions}; Python {meta['python']} on {meta['platform']}; {meta['created']}")


# -- plots --------------------------------------------------------------------------------
def _role_title(result: StudyResult, role: str, tap: str) -> str:
    """``encoder:tap, weights`` with an untrained control or a weightless baseline said so."""
    identity = next(r.identity for r in result.roles if r.name == role)
    return f"{identity.encoder}:{tap}, {weights_label(identity.weights_id, identity.trained)}"


def _det_plot(result: StudyResult, path: Path) -> Path | None:
    """DET curves (normal-deviate axes) of the first tap, one panel per encoder role."""
    from scipy.stats import norm

    plt = pyplot()
    roles = [r.name for r in result.roles]
    tap = result.taps[0]
    fig, axes = plt.subplots(1, len(roles), figsize=(5.5 * len(roles), 5.2), squeeze=False)
    ticks = np.array([0.001, 0.01, 0.05, 0.1, 0.2, 0.4, 0.5])
    low, high = norm.ppf(1e-3), norm.ppf(0.6)
    for ax, role in zip(axes[0], roles):
        for row in (r for r in result.rows if r.role == role and r.tap in (tap, "+".join(result.taps))):
            p_fa, p_miss = _thin(row.points.p_fa, row.points.p_miss)
            ax.plot(norm.ppf(np.clip(p_fa, 1e-4, 1 - 1e-4)), norm.ppf(np.clip(p_miss, 1e-4, 1 - 1e-4)),
                    label=f"{row.backend} (EER {row.eer:.1f}%)")
        ax.plot([low, high], [low, high], color="grey", lw=0.5, ls=":", label="miss = false alarm (EER)")
        ax.plot([low, -low], [-low, low], color="black", lw=0.8, ls="--", label="chance (random scores)")
        ax.set_xticks(norm.ppf(ticks), [f"{100 * t:g}" for t in ticks])
        ax.set_yticks(norm.ppf(ticks), [f"{100 * t:g}" for t in ticks])
        ax.set_xlim(low, high)
        ax.set_ylim(low, high)
        ax.set_xlabel("false alarm rate (%)")
        ax.set_ylabel("miss rate (%)")
        ax.set_title(f"{role}: {_role_title(result, role, tap)}", fontsize=9)
        legend(ax, fontsize=8)
    return save_figure(fig, path)


def _score_plot(result: StudyResult, path: Path) -> Path | None:
    """Same- and different-speaker score histograms of the first tap: roles x back-ends."""
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
    ax.set_title(" vs ".join(_role_title(result, r.name, "<tap>") for r in result.roles), fontsize=9)
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
