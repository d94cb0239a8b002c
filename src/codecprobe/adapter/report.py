"""The report of a ``codecprobe train`` study, rendered from its saved results.

Every line that shows a system whose inputs come from an encoder with random weights says
so ("UNTRAINED ..."): such a system is the untrained control, as in ``verify``. Its
adapter is trained; what it cannot have is anything the encoder learned.
"""
from __future__ import annotations

from codecprobe.adapter.results import TrainResult
from codecprobe.report import minutes
from codecprobe.report.model import Bullets, Figure, Report, Section, Table

__all__ = ["TrainResult", "render"]


def render(result: TrainResult) -> Report:
    from codecprobe.config import config_to_dict

    config, collar = result.config, result.verdict_collar
    records = result.evaluations + result.baselines
    system_rows = [[r["system"], r["weights"], ", ".join(f"{i['encoder']}:{i['tap']} ({i['dim']})" for i in r["inputs"]),
                    r["unfreeze_layers"], f"{r['parameters'] / 1e6:.2f} M", r["steps"], minutes(r["train_seconds"]),
                    _number(r["best_val_loss"]), _best_der(r)] for r in result.systems]
    sections = [
        Section("Systems", [Table(["system", "weights", "inputs (dims)", "Mimi layers trained",
                                   "trainable parameters", "steps (evaluated checkpoint)", "training time (to it)",
                                   "best val loss", "best val DER (step) / last"], system_rows)]),
        Section("Results", [
            f"DER and its parts in % of scored speech, pooled over every window of every recording; "
            f"VAD error = miss + false alarm, confusion = speaker confusion within a window (the seed's split); "
            f"verdict at collar {collar:g} s (good VAD: VAD error < {config.verdicts.vad_good:g} %; good / poor "
            f"speaker ID: confusion < {config.verdicts.confusion_good:g} % / >= {config.verdicts.confusion_poor:g} %).",
            f"### Overview: DER / VAD error / confusion at collar {collar:g} s", _overview(result, records, collar)]),
    ]
    for corpus in [d["name"] for d in result.data["evals"]]:
        rows = [_result_row(r, config) for r in records if r["corpus"] == corpus]
        sections.append(Section(None, [f"### {corpus}", Table(_result_headers(config), rows)]))
    sections.append(Section(None, [Figure(name, name.rsplit(".", 1)[0]) for name in result.figures]))
    n = len(result.systems)
    return Report(f"Diarization adapter study ({n} system{'s' * (n > 1)})", [Bullets(_about(result))], sections,
                  config_to_dict(config), result.provenance)


def _result_headers(config) -> list[str]:
    return ["system", "weights", *[f"DER c={c:g}" for c in config.collars],
            f"miss c={config.verdicts.collar:g}", f"FA c={config.verdicts.collar:g}",
            f"VAD error c={config.verdicts.collar:g}", f"confusion c={config.verdicts.collar:g}", "verdict"]


def _result_row(record: dict, config) -> list:
    main = record["collars"][f"{config.verdicts.collar:g}"]
    return [record["system"], record["weights"], *[record["collars"][f"{c:g}"]["der"] for c in config.collars],
            main["miss"], main["fa"], main["vad_error"], main["confusion"], record["verdict"]]


def _overview(result: TrainResult, records: list[dict], collar: float) -> Table:
    """One row per system (and the baseline), one column per evaluation corpus, training time last."""
    corpora = [d["name"] for d in result.data["evals"]]
    seconds = {r["system"]: r["train_seconds"] for r in result.systems if not r.get("pretrained")}
    rows = []
    for name in dict.fromkeys(r["system"] for r in records):
        cells = {r["corpus"]: r["collars"][f"{collar:g}"] for r in records if r["system"] == name}
        label = next(r for r in records if r["system"] == name)
        rows.append([name + (" (UNTRAINED encoder)" if label["control"] else ""),
                     *[f"{c['der']:.1f} / {c['vad_error']:.1f} / {c['confusion']:.1f}" if c else "" for c in
                       (cells.get(corpus) for corpus in corpora)],
                     minutes(seconds[name]) if name in seconds else ""])
    return Table(["system", *corpora, "training time"], rows)


def _about(result: TrainResult) -> list[str]:
    data = result.data
    lines = []
    if data["train"]:
        lines.append(f"training: {data['train']['name']}, {data['train']['recordings']} recordings, "
                     f"{data['train']['speakers']} speaker labels, {data['train']['hours']:.2f} h")
    else:
        lines.append(f"evaluation of a trained checkpoint: {result.systems[0]['checkpoint']}")
    if data["val"]:
        lines.append(f"validation: {data['val']['recordings']} recordings ({data['val']['hours']:.2f} h)")
    for d in data["evals"]:
        lines.append(f"evaluation: {d['name']}, {d['recordings']} recordings, {d['speakers']} speaker labels "
                     f"({d['speakers_also_in_training']} of them also in training), {d['hours']:.2f} h")
    lines.append(f"frames: {data['grid_rate']:g} Hz grid; windows of {data['window_s']:g} s "
                 f"(training step {data['window_step_s']:g} s; evaluation: consecutive windows, each scored alone)")
    controls = [r["system"] for r in result.systems if r["control"]]
    if controls:
        lines.append(f"controls: {', '.join(controls)}: {result.control_note}")
    lines.append("baseline: one speaker speaking through every window (no model)")
    return lines


def _best_der(record: dict) -> str:
    """The lowest validation DER, its step and the last one (``learning.png`` draws the whole curve)."""
    if record.get("pretrained"):
        return "pretrained: not trained here"
    curve = record.get("val_der") or []
    if not curve:
        return "n/a"
    return f"{record['best_val_der']:.1f} ({record['best_val_der_step']}) / {curve[-1][1]:.1f}"


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"
