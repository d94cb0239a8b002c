"""The report of a next-latent study, rendered from its saved results.

Every table and plot names the encoder, tap and weights; untrained controls say so.
"""
from __future__ import annotations

from pathlib import PurePath

from codecprobe.nextlatent.results import NextLatentRun, NextLatentSummary
from codecprobe.report.model import Bullets, Figure, Footnoted, Report, Section, Table

__all__ = ["NextLatentSummary", "render", "summary_line"]


def render(summary: NextLatentSummary) -> Report:
    from codecprobe.config import config_to_dict

    sections = [_across_section(summary)] if len(summary.runs) > 1 else []
    for run in summary.runs:
        sections.append(Section(f"{run.label}, {run.short_label}", [
            _run_notes(run), "### Held-out NLL per frame (nats; lower is better)", nll_table(run),
            "### What each change takes off the held-out NLL (nats per frame; paired bootstrap)",
            comparison_table(run)]))
    sections.append(Section(None, [Figure(name, name.rsplit(".", 1)[0]) for name in summary.figures]))
    title = (f"Next-latent models (seed 004 Tier 1 {'Exp 1, 2 and 3' if len(summary.runs) > 1 else 'Exp 1 and 2'}): "
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
                     _interval(v), f"{r['nll_per_dim']:.4f}",
                     system["global_step"] if system else "-", f"{system['train_seconds']:.0f}" if system else "-",
                     system["parameters"] if system else "-"])
    return Table(["system", "head", "key", "NLL / frame [95% CI]", "NLL / dim", "steps", "train s", "parameters"], rows)


def comparison_table(run: NextLatentRun) -> Table:
    rows = []
    for c in run.comparisons:
        d = c["nll_decrease_per_frame"]
        rows.append([c["comparison"], c["from"], c["to"], _interval(d, 3, "+"), f"NLL {c['reading']}"])
    return Table(["comparison", "from", "to", "NLL decrease / frame [95% CI]", "reading"], rows)


def _across_section(summary: NextLatentSummary) -> Section:
    across = summary.across
    left_out = (f"; {len(across['left_out'])} held-out utterance(s) without an anchor in some run left out: "
                + ", ".join(f"`{u}`" for u in across["left_out"])) if across["left_out"] else ""
    return Section("Across encoders (Tier 1 Exp 3)", [
        f"Every run on the same {len(across['utterances'])} held-out utterances{left_out}. NLL per frame does not "
        "compare across encoders (frame rates, dimensions and units differ); the gain over the unconditional "
        "Gaussian on the same anchors does: its nats per second say how much the context tells about the next "
        "step per second of audio. Intervals: one paired bootstrap over these utterances for every run.",
        "### Held-out NLL and the gain over the unconditional Gaussian (nats; lower NLL, higher gain is better)",
        across_table(summary),
        "### What each change takes off the held-out NLL, in every unit (paired bootstrap)",
        across_difference_table(summary)])


def across_table(summary: NextLatentSummary) -> Table:
    rows = []
    for r in summary.across["rows"]:
        run = summary.runs[r["run"]]
        rows.append([*_run_cells(run), r["system"], _interval(r["nll_per_frame"]), f"{r['nll_per_dim']['value']:.4f}",
                     _interval(r["nll_per_second"], 1),
                     _interval(r["gain_per_second"], 1, "+") if "gain_per_second" in r else "-",
                     _interval(r["gain_per_dim"], 4, "+") if "gain_per_dim" in r else "-"])
    return Table(["encoder:tap", "weights", "Hz", "dims", "system", "NLL / frame [95% CI]", "NLL / dim",
                  "NLL / s [95% CI]", "gain / s [95% CI]", "gain / dim [95% CI]"], rows)


def across_difference_table(summary: NextLatentSummary) -> Table:
    rows = [[*_run_cells(summary.runs[d["run"]]), d["comparison"], _interval(d["nll_decrease_per_frame"], 3, "+"),
             _interval(d["nll_decrease_per_dim"], 4, "+"), _interval(d["nll_decrease_per_second"], 1, "+"),
             f"NLL {d['reading']}"] for d in summary.across["differences"]]
    return Table(["encoder:tap", "weights", "Hz", "dims", "comparison", "decrease / frame [95% CI]",
                  "decrease / dim [95% CI]", "decrease / s [95% CI]", "reading"], rows)


def _run_cells(run: NextLatentRun) -> list:
    """Which run a row is about; an untrained control says UNTRAINED in the cell itself."""
    weights = run.short_label if run.weights != "untrained" else f"UNTRAINED {run.short_label}"
    return [run.label, Footnoted(weights, run.weights_label), f"{run.frame_rate:g}", run.dim]


def _interval(value: dict, digits: int = 3, sign: str = "") -> str:
    return (f"{value['value']:{sign}.{digits}f} [{value['ci_low']:{sign}.{digits}f}, "
            f"{value['ci_high']:{sign}.{digits}f}]")


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
        lines.append(f"{run.role}: `{run.label}` {run.weights_id}{state}; {run.dim} dims at {run.frame_rate:g} Hz; "
                     f"{run.control_note}")
    return lines


def _run_notes(run: NextLatentRun) -> str:
    return (f"{run.dim} dims; anchors: {run.anchors['train']} training, {run.anchors['val']} validation, "
            f"{run.anchors['eval']} held-out. Checkpoints: "
            + ", ".join(f"`{PurePath(s['checkpoint']).parent.name}/{PurePath(s['checkpoint']).name}`"
                        for s in run.systems))
