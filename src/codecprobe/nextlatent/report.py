"""Report of a next-latent study: ``report.md``, ``results.json``, ``config.yaml`` and plots.

Every table and plot names the encoder, tap and weights; untrained controls say so.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from codecprobe.config import config_to_dict, save_config
from codecprobe.nextlatent.study import NextLatentResult, TapRun
from codecprobe.report import atomic_write_text, markdown_table, provenance, write_json
from codecprobe.report.plots import pyplot, save_figure


def write_nextlatent_report(result: NextLatentResult, out: str | Path) -> dict:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    config = result.config
    results = {
        "command": "nextlatent",
        "runs": [_record(run) for run in result.runs],
        "data": {"corpora": result.data.summary, "split": result.data.description},
        "config": config_to_dict(config),
        "provenance": provenance(("lightning",)),
    }
    write_json(out / "results.json", results)
    save_config(config, out / "config.yaml")
    plots = []
    for run in result.runs:
        slug = f"{run.identity.encoder}-{run.tap}-{run.role}"
        plots += [_nll_plot(run, out / f"nll_{slug}.png"), _curve_plot(run, out / f"training_{slug}.png")]
    sections = [f"# Next-latent models (seed 004 Tier 1 Exp 1 and 2): "
                f"{', '.join(dict.fromkeys(r.label for r in result.runs))}", _header(result)]
    for run in result.runs:
        sections += [f"## {run.label}, {run.weights}", _run_notes(run, config),
                     "### Held-out NLL per frame (nats; lower is better)", nll_table(run),
                     "### What each change takes off the held-out NLL (nats per frame; paired bootstrap)",
                     comparison_table(run)]
    sections += [f"![{p.stem}]({p.name})" for p in plots if p is not None]  # None: nothing to draw
    atomic_write_text(out / "report.md", "\n\n".join(sections) + "\n")
    return results


def summary_line(run: TapRun) -> str:
    parts = [f"{r['system']} {r['nll_per_frame']['value']:.2f}" for r in run.rows]
    line = f"{run.label} [{run.weights}] held-out NLL/frame: " + ", ".join(parts)
    for c in run.comparisons:
        if c["comparison"].startswith("Exp"):
            d = c["nll_decrease_per_frame"]
            line += f"; {c['comparison']}: {d['value']:+.2f} [{d['ci_low']:+.2f}, {d['ci_high']:+.2f}]"
    return line


def nll_table(run: TapRun) -> str:
    steps = {s.name: s for s in run.systems}
    rows = []
    for r in run.rows:
        system = steps.get(r["system"])
        v = r["nll_per_frame"]
        rows.append([r["system"], system.head if system else "diagonal Gaussian, no context",
                     (system.key or "none") if system else "none",
                     f"{v['value']:.3f} [{v['ci_low']:.3f}, {v['ci_high']:.3f}]", f"{r['nll_per_dim']:.4f}",
                     system.global_step if system else "-", f"{system.train_seconds:.0f}" if system else "-",
                     system.parameters if system else "-"])
    return markdown_table(["system", "head", "key", "NLL / frame [95% CI]", "NLL / dim", "steps", "train s",
                           "parameters"], rows)


def comparison_table(run: TapRun) -> str:
    rows = []
    for c in run.comparisons:
        d = c["nll_decrease_per_frame"]
        verdict = "lower" if d["ci_low"] > 0 else ("higher" if d["ci_high"] < 0 else "no clear change")
        rows.append([c["comparison"], c["from"], c["to"], f"{d['value']:+.3f} [{d['ci_low']:+.3f}, {d['ci_high']:+.3f}]",
                     f"NLL {verdict}"])
    return markdown_table(["comparison", "from", "to", "NLL decrease / frame [95% CI]", "reading"], rows)


def _header(result: NextLatentResult) -> str:
    config, data = result.config, result.data
    corpora = ", ".join(f"{c['corpus']} ({c['speakers_train']}+{c['speakers_eval']} speakers)" for c in data.summary)
    lines = [f"- data: {corpora}; {data.description}; {config.val_fraction:g} of the training utterances "
             "pick the best checkpoint (validation NLL)",
             f"- task: predict the step z[t+{config.lag}] - z[t] from the {config.window} frames ending at t "
             "(frames z-scored with training statistics), Phase 0's anchors",
             "- gaussian: diagonal Gaussian head; vmf: von Mises-Fisher direction x LogNormal length, scored in R^D "
             "(polar Jacobian included), so NLLs compare directly; +key: an embedding of the context's Phase 0 "
             f"key ({config.key_scheme.name}, fitted on the training speakers) is added to the input; +random_key: "
             "keys drawn at random with the same frequencies (the control)",
             f"- model: MLP {config.model.layers} x {config.model.hidden}; training: {config.trainer.max_steps} steps "
             f"of {config.trainer.batch_size}, AdamW {config.trainer.learning_rate:g}, {config.trainer.schedule} "
             "schedule, checkpoints and resume (codecprobe.train)",
             f"- intervals: {config.confidence:.0%} bootstrap over held-out utterances ({config.bootstrap} "
             "resamples), paired for differences"]
    for run in result.runs:
        state = " (UNTRAINED control: not the real model)" if run.identity.weights == "untrained" else ""
        lines.append(f"- {run.role}: `{run.label}` {run.identity.weights_id}{state}; {run.control_note}")
    return "\n".join(lines)


def _run_notes(run: TapRun, config) -> str:
    return (f"{run.dim} dims; anchors: {run.items['train']} training, {run.items['val']} validation, "
            f"{run.items['eval']} held-out. Checkpoints: "
            + ", ".join(f"`{s.checkpoint.parent.name}/{s.checkpoint.name}`" for s in run.systems))


def _record(run: TapRun) -> dict:
    return {"encoder": run.identity.encoder, "role": run.role, "weights_id": run.identity.weights_id,
            "trained": run.identity.trained, "weights": run.identity.weights, "settings": run.identity.settings,
            "tap": run.tap, "dim": run.dim,
            "control_note": run.control_note, "anchors": run.items, "nll": run.rows, "comparisons": run.comparisons,
            "systems": [{"system": s.name, "head": s.head, "key": s.key, "checkpoint": str(s.checkpoint),
                         "global_step": s.global_step, "train_seconds": s.train_seconds, "parameters": s.parameters}
                        for s in run.systems]}


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
    import csv

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for system in run.systems:
        metrics = system.checkpoint.parent / "metrics.csv"
        if not metrics.is_file():
            continue
        rows = list(csv.DictReader(open(metrics)))
        for key, style in (("train/loss", "-"), ("val/loss", "o--")):
            points = [(float(r["step"]), float(r[key])) for r in rows if r.get(key)]
            if points:
                ax.plot(*zip(*points), style, label=f"{system.name} {key.split('/')[0]}", markersize=3)
    ax.set_xlabel("optimiser step")
    ax.set_ylabel("NLL per frame (nats)")
    ax.legend(fontsize=6)
    ax.set_title(f"Training: {_title(run)}", fontsize=9)
    return save_figure(fig, path)
