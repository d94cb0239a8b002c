"""The report of a next-latent study, rendered from its saved results.

Every table and plot names the encoder, tap and weights; untrained controls say so.
"""
from __future__ import annotations

from pathlib import PurePath

from codecprobe.nextlatent.results import NextLatentRun, NextLatentSummary
from codecprobe.report.model import Bullets, Figure, Report, Section, Table

__all__ = ["NextLatentSummary", "render", "summary_line"]


def render(summary: NextLatentSummary) -> Report:
    from codecprobe.config import config_to_dict

    sections = []
    for run in summary.runs:
        sections.append(Section(f"{run.label}, {run.short_label}", [
            _run_notes(run), "### Held-out NLL per frame (nats; lower is better)", nll_table(run),
            "### What each change takes off the held-out NLL (nats per frame; paired bootstrap)",
            comparison_table(run)]))
    sections.append(Section(None, [Figure(name, name.rsplit(".", 1)[0]) for name in summary.figures]))
    title = (f"Next-latent models (seed 004 Tier 1 Exp 1 and 2): "
             f"{', '.join(dict.fromkeys(r.label for r in summary.runs))}")
    return Report(title, [Bullets(_about(summary))], sections, config_to_dict(summary.config), summary.provenance)


def summary_line(run: NextLatentRun) -> str:
    parts = [f"{r['system']} {r['nll_per_frame']['value']:.2f}" for r in run.nll]
    line = f"{run.label} [{run.weights_label}] held-out NLL/frame: " + ", ".join(parts)
    for c in run.comparisons:
        if c["comparison"].startswith("Exp"):
            d = c["nll_decrease_per_frame"]
            line += f"; {c['comparison']}: {d['value']:+.2f} [{d['ci_low']:+.2f}, {d['ci_high']:+.2f}]"
    return line


def nll_table(run: NextLatentRun) -> Table:
    steps = {s["system"]: s for s in run.systems}
    rows = []
    for r in run.nll:
        system = steps.get(r["system"])
        v = r["nll_per_frame"]
        rows.append([r["system"], system["head"] if system else "diagonal Gaussian, no context",
                     (system["key"] or "none") if system else "none",
                     f"{v['value']:.3f} [{v['ci_low']:.3f}, {v['ci_high']:.3f}]", f"{r['nll_per_dim']:.4f}",
                     system["global_step"] if system else "-", f"{system['train_seconds']:.0f}" if system else "-",
                     system["parameters"] if system else "-"])
    return Table(["system", "head", "key", "NLL / frame [95% CI]", "NLL / dim", "steps", "train s", "parameters"], rows)


def comparison_table(run: NextLatentRun) -> Table:
    rows = []
    for c in run.comparisons:
        d = c["nll_decrease_per_frame"]
        rows.append([c["comparison"], c["from"], c["to"], f"{d['value']:+.3f} [{d['ci_low']:+.3f}, {d['ci_high']:+.3f}]",
                     f"NLL {c['reading']}"])
    return Table(["comparison", "from", "to", "NLL decrease / frame [95% CI]", "reading"], rows)


def _about(summary: NextLatentSummary) -> list[str]:
    config, data = summary.config, summary.data
    corpora = ", ".join(f"{c['corpus']} ({c['speakers_train']}+{c['speakers_eval']} speakers)" for c in data["corpora"])
    lines = [f"data: {corpora}; {data['split']}; {config.val_fraction:g} of the training utterances "
             "pick the best checkpoint (validation NLL)",
             f"task: predict the step z[t+{config.lag}] - z[t] from the {config.window} frames ending at t "
             "(frames z-scored with training statistics), Phase 0's anchors",
             "gaussian: diagonal Gaussian head; vmf: von Mises-Fisher direction x LogNormal length, scored in R^D "
             "(polar Jacobian included), so NLLs compare directly; +key: an embedding of the context's Phase 0 "
             f"key ({config.key_scheme.name}, fitted on the training speakers) is added to the input; +random_key: "
             "keys drawn at random with the same frequencies (the control)",
             f"model: MLP {config.model.layers} x {config.model.hidden}; training: {config.trainer.max_steps} steps "
             f"of {config.trainer.batch_size}, AdamW {config.trainer.learning_rate:g}, {config.trainer.schedule} "
             "schedule, checkpoints and resume (codecprobe.train)",
             f"intervals: {config.confidence:.0%} bootstrap over held-out utterances ({config.bootstrap} "
             "resamples), paired for differences"]
    for run in summary.runs:
        state = " (UNTRAINED control: not the real model)" if run.weights == "untrained" else ""
        lines.append(f"{run.role}: `{run.label}` {run.weights_id}{state}; {run.control_note}")
    return lines


def _run_notes(run: NextLatentRun) -> str:
    return (f"{run.dim} dims; anchors: {run.anchors['train']} training, {run.anchors['val']} validation, "
            f"{run.anchors['eval']} held-out. Checkpoints: "
            + ", ".join(f"`{PurePath(s['checkpoint']).parent.name}/{PurePath(s['checkpoint']).name}`"
                        for s in run.systems))
