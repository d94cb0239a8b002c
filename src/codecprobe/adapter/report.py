"""The report of a ``codecprobe train`` study: ``report.md``, ``results.json``, ``config.yaml``, PNG plots.

Every line that shows a system whose inputs come from an encoder with random weights says
so ("UNTRAINED ..."): such a system is the untrained control, as in ``verify``. Its
adapter is trained; what it cannot have is anything the encoder learned.
"""
from __future__ import annotations

from pathlib import Path

import yaml

from codecprobe.config import config_to_dict, save_config
from codecprobe.adapter.evaluate import Evaluation, summarize, verdict
from codecprobe.adapter.study import StudyResult, System, Training
from codecprobe.encoders import weights_label
from codecprobe.report import atomic_write_text, markdown_table, minutes, provenance, slug, write_json
from codecprobe.report.plots import legend, pyplot, save_figure

CONTROL_NOTE = ("UNTRAINED: reads an encoder with random weights; the untrained control "
                "(its adapter is trained, the encoder is not)")


def system_weights_label(system: System) -> str:
    """The encoders' weights, each random or permuted one marked an ``UNTRAINED`` control (as ``verify`` does)."""
    return "; ".join(f"{s.name} {weights_label(s.identity.weights_id, s.identity.trained)}" for s in system.sources)


def write_report(result: StudyResult, out: str | Path) -> dict:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    config = result.config
    systems = {s.name: s for s in result.systems}
    collar = config.verdicts.collar

    system_records = [_system_record(systems[t.system], t) for t in result.trainings]
    evaluation_records = [_evaluation_record(e, config, systems.get(e.system)) for e in result.evaluations]
    baseline_records = [_evaluation_record(b, config, None) for b in result.baselines]
    plots = [_loss_plot(result, out / "loss.png")]
    plots += [_recording_plot(result, corpus, recording, out / f"recording-{slug(corpus)}-{slug(recording)}.png")
              for corpus, recording in _pictured(result)]

    results = {
        "command": "train",
        "systems": system_records,
        "evaluations": evaluation_records,
        "baselines": baseline_records,
        "data": _data(result),
        "verdict_collar": collar,
        "control_note": CONTROL_NOTE,
        "config": config_to_dict(config),
        "provenance": provenance(("lightning",)),
    }
    write_json(out / "results.json", results)
    save_config(config, out / "config.yaml")

    system_rows = [[r["system"], r["weights"], ", ".join(f"{i['encoder']}:{i['tap']} ({i['dim']})" for i in r["inputs"]),
                    r["unfreeze_layers"], f"{r['parameters'] / 1e6:.2f} M", r["steps"], minutes(r["train_seconds"]),
                    _number(r["best_val_loss"])] for r in system_records]
    sections = [
        f"# Diarization adapter study ({len(result.systems)} system{'s' * (len(result.systems) > 1)})",
        _header(result),
        "## Systems",
        markdown_table(["system", "weights", "inputs (dims)", "Mimi layers trained", "trainable parameters",
                        "steps", "training time", "best val loss"], system_rows),
        "## Results",
        f"DER and its parts in % of scored speech, pooled over every window of every recording; "
        f"VAD error = miss + false alarm, confusion = speaker confusion within a window (the seed's split); "
        f"verdict at collar {collar:g} s (good VAD: VAD error < {config.verdicts.vad_good:g} %; good / poor "
        f"speaker ID: confusion < {config.verdicts.confusion_good:g} % / >= {config.verdicts.confusion_poor:g} %).",
    ]
    sections += [f"### Overview: DER / VAD error / confusion at collar {collar:g} s", _overview(result, evaluation_records
                                                                                          + baseline_records, collar)]
    for corpus in [d.name for d in result.data.evals]:
        rows = [r for r in evaluation_records + baseline_records if r["corpus"] == corpus]
        sections += [f"### {corpus}", markdown_table(_result_headers(config), [_result_row(r, config) for r in rows])]
    sections += [f"![{p.stem}]({p.name})" for p in plots if p is not None]  # None: nothing to draw (no loss logged)
    sections += [_footer(result)]
    atomic_write_text(out / "report.md", "\n\n".join(sections) + "\n")
    return results


# -- records ------------------------------------------------------------------------------
def _system_record(system: System, training: Training) -> dict:
    val = [row["val/loss"] for row in training.metrics if row.get("val/loss") is not None]
    return {
        "system": system.name, "weights": system_weights_label(system), "trained_encoders": system.trained_encoders,
        "control": not system.trained_encoders,
        "inputs": [source.describe() | {"dim": dim} for source, dim in zip(system.sources, training.dims)],
        "unfreeze_layers": system.config.unfreeze_layers, "parameters": training.parameters,
        "steps": training.global_step, "train_seconds": training.train_seconds,
        "best_val_loss": min(val) if val else None, "checkpoint": str(training.checkpoint),
        "train_windows": training.train_windows, "val_windows": training.val_windows,
        "dropped_speakers": training.dropped_speakers,
    }


def _evaluation_record(evaluation: Evaluation, config, system: System | None) -> dict:
    collars = {f"{c:g}": evaluation.summary(c) for c in config.collars}
    return {
        "system": evaluation.system, "corpus": evaluation.corpus,
        "weights": system_weights_label(system) if system else "none (no model)",
        "control": bool(system) and not system.trained_encoders,
        "collars": collars,
        "verdict": verdict(collars[f"{config.verdicts.collar:g}"], config.verdicts),
        "windows": evaluation.n_windows,
        "recordings": {rid: {f"{c:g}": summarize(parts[c]) for c in config.collars}
                       for rid, parts in evaluation.recordings.items()},
    }


def _result_headers(config) -> list[str]:
    return ["system", "weights", *[f"DER c={c:g}" for c in config.collars],
            f"miss c={config.verdicts.collar:g}", f"FA c={config.verdicts.collar:g}",
            f"VAD error c={config.verdicts.collar:g}", f"confusion c={config.verdicts.collar:g}", "verdict"]


def _result_row(record: dict, config) -> list:
    main = record["collars"][f"{config.verdicts.collar:g}"]
    return [record["system"], record["weights"], *[record["collars"][f"{c:g}"]["der"] for c in config.collars],
            main["miss"], main["fa"], main["vad_error"], main["confusion"], record["verdict"]]


def _overview(result: StudyResult, records: list[dict], collar: float) -> str:
    """One row per system (and the baseline), one column per evaluation corpus, training time last."""
    corpora = [d.name for d in result.data.evals]
    seconds = {t.system: t.train_seconds for t in result.trainings}
    rows = []
    for name in dict.fromkeys(r["system"] for r in records):
        cells = {r["corpus"]: r["collars"][f"{collar:g}"] for r in records if r["system"] == name}
        label = next(r for r in records if r["system"] == name)
        rows.append([name + (" (UNTRAINED encoder)" if label["control"] else ""),
                     *[f"{c['der']:.1f} / {c['vad_error']:.1f} / {c['confusion']:.1f}" if c else "" for c in
                       (cells.get(corpus) for corpus in corpora)],
                     minutes(seconds[name]) if name in seconds else ""])
    return markdown_table(["system", *corpora, "training time"], rows)


def _data(result: StudyResult) -> dict:
    def describe(d):
        return {"name": d.name, "recordings": len(d.recordings), "speakers": len(d.speakers), "hours": d.hours}

    data = result.data
    train_speakers = set().union(*(d.speakers for d in (data.train, data.val) if d is not None))
    return {
        "train": describe(data.train) if data.train else None, "val": describe(data.val) if data.val else None,
        "evals": [describe(d) | {"speakers_also_in_training": len(d.speakers & train_speakers)} for d in data.evals],
        "grid_rate": result.config.grid_rate, "window_s": result.config.window_s,
        "window_step_s": result.config.window_step_s,
    }


def _header(result: StudyResult) -> str:
    data = _data(result)
    lines = []
    if data["train"]:
        lines.append(f"- training: {data['train']['name']}, {data['train']['recordings']} recordings, "
                     f"{data['train']['speakers']} speaker labels, {data['train']['hours']:.2f} h")
    else:
        lines.append(f"- evaluation of a trained checkpoint: {result.trainings[0].checkpoint}")
    if data["val"]:
        lines.append(f"- validation: {data['val']['recordings']} recordings ({data['val']['hours']:.2f} h)")
    for d in data["evals"]:
        lines.append(f"- evaluation: {d['name']}, {d['recordings']} recordings, {d['speakers']} speaker labels "
                     f"({d['speakers_also_in_training']} of them also in training), {d['hours']:.2f} h")
    lines.append(f"- frames: {data['grid_rate']:g} Hz grid; windows of {data['window_s']:g} s "
                 f"(training step {data['window_step_s']:g} s; evaluation: consecutive windows, each scored alone)")
    controls = [s.name for s in result.systems if not s.trained_encoders]
    if controls:
        lines.append(f"- controls: {', '.join(controls)}: {CONTROL_NOTE}")
    lines.append("- baseline: one speaker speaking through every window (no model)")
    return "\n".join(lines)


def _footer(result: StudyResult) -> str:
    meta = provenance(("lightning",))
    versions = ", ".join(f"{k} {v}" for k, v in meta["versions"].items() if v)
    return (f"## Config\n\n```yaml\n{yaml.safe_dump(config_to_dict(result.config), sort_keys=False)}```\n\n"
            f"## Versions\n\n{versions}; Python {meta['python']} on {meta['platform']}; {meta['created']}")


# -- plots --------------------------------------------------------------------------------
def _loss_plot(result: StudyResult, path: Path) -> Path:
    """Training and validation loss against the step, one colour per system."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    systems = {s.name: s for s in result.systems}
    for index, training in enumerate(result.trainings):
        colour = f"C{index}"
        label = training.system + ("" if systems[training.system].trained_encoders else " (UNTRAINED encoder)")
        train = [(r["step"], r["train/loss"]) for r in training.metrics if r.get("train/loss") is not None]
        val = [(r["step"], r["val/loss"]) for r in training.metrics if r.get("val/loss") is not None]
        if train:
            ax.plot(*zip(*train), color=colour, alpha=0.45, lw=1, label=f"{label}: train")
        if val:
            ax.plot(*zip(*val), color=colour, marker="o", ms=3, lw=1.5, label=f"{label}: validation")
    ax.set_xlabel("optimiser step")
    ax.set_ylabel(f"loss ({result.config.adapter.head}, {result.config.adapter.loss})")
    ax.set_title("Diarization adapter: training and validation loss")
    legend(ax, fontsize=7)
    return save_figure(fig, path)


def _pictured(result: StudyResult, limit: int = 6) -> list[tuple[str, str]]:
    """The recordings drawn: every recording of the evaluation corpora, up to ``limit``, shortest corpora first."""
    chosen = []
    for data in sorted(result.data.evals, key=lambda d: len(d.recordings)):
        for recording in data.recordings:
            if len(chosen) < limit:
                chosen.append((data.name, recording.id))
    return chosen


def _recording_plot(result: StudyResult, corpus: str, recording: str, path: Path) -> Path:
    """Reference speakers against each system's window-local speakers, coloured by the reference speaker
    the scorer mapped them to (grey: unmapped); window edges dotted."""
    plt = pyplot()
    data = next(d for d in result.data.evals if d.name == corpus)
    turns = data.turns[recording]
    speakers = sorted({t[2] for t in turns}, key=lambda s: min(t[0] for t in turns if t[2] == s))
    colour = {speaker: f"C{i % 10}" for i, speaker in enumerate(speakers)}
    evaluations = [e for e in result.evaluations if e.corpus == corpus]
    rows = len(speakers) + len(evaluations)
    fig, ax = plt.subplots(figsize=(12, 0.9 + 0.35 * rows))
    for i, speaker in enumerate(speakers):
        for onset, offset, who in turns:
            if who == speaker:
                ax.barh(i, offset - onset, left=onset, height=0.7, color=colour[speaker])
    labels = [f"reference {s}" for s in speakers]
    systems = {s.name: s for s in result.systems}
    for j, evaluation in enumerate(evaluations):
        y = len(speakers) + j
        for window in evaluation.windows[recording]:
            ax.axvline(window.start, color="grey", lw=0.3, ls=":")
            for onset, offset, speaker in window.turns:
                ax.barh(y, offset - onset, left=onset, height=0.7, color=colour.get(speaker, "lightgrey"))
        untrained = "" if systems[evaluation.system].trained_encoders else " (UNTRAINED)"
        labels.append(f"{evaluation.system}{untrained}")
    ax.set_yticks(range(rows), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("time (s)")
    ax.set_ylabel("reference speaker / system")
    ax.set_title(f"{corpus} / {recording}: reference and window-local hypotheses", fontsize=9)
    return save_figure(fig, path)


# -- formatting ---------------------------------------------------------------------------
def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"
