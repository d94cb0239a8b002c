"""The report of a ``codecprobe refine`` study: ``report.md``, ``results.json``, ``config.yaml``, refined
RTTMs and one PNG per evaluation set.

Every row of a refiner that reads an encoder with random weights says so (``UNTRAINED``): it is
the untrained control (the refiner is trained, the encoder is not). The unrefined hypothesis is
the baseline every refiner is compared with, on the same boundaries.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

from codecprobe.config import config_to_dict, save_config
from codecprobe.refine.metrics import TOLERANCES_S, improvement
from codecprobe.refine.study import IDENTITY, Evaluation, StudyResult, Training
from codecprobe.report import atomic_write_text, markdown_table, minutes, provenance, slug, write_json
from codecprobe.report.plots import pyplot, save_figure
from codecprobe.score.rttm import write_rttm

CONTROL_NOTE = ("UNTRAINED: reads an encoder with random or permuted weights; the untrained control "
                "(its refiner is trained, the encoder is not)")
KINDS = ("all", "change", "other")  # every matched boundary; those at a speaker change; the rest


def write_report(result: StudyResult, out: str | Path) -> dict:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    config = result.config
    labels = {(t.system, t.variant): t for t in result.trainings}
    refiners = [_refiner_record(t) for t in result.trainings]
    evaluations = [_evaluation_record(e, labels.get((e.system, e.variant))) for e in result.evaluations]
    for e in result.evaluations:
        name = IDENTITY if e.variant == IDENTITY else f"{e.system}-{e.variant}"
        write_rttm(out / "rttm" / slug(e.eval_set) / f"{slug(name)}.rttm", e.refined)
    gates = [_gate(config, name, [r for r in evaluations if r["eval_set"] == name]) for name in _eval_sets(result)]
    plots = [_error_plot(result, name, out / f"errors-{slug(name)}.png") for name in _eval_sets(result)]

    results = {"command": "refine", "refiners": refiners, "evaluations": evaluations, "gates": gates,
               "data": _data(result), "control_note": CONTROL_NOTE, "config": config_to_dict(config),
               "provenance": provenance(("lightning",))}
    write_json(out / "results.json", results)
    save_config(config, out / "config.yaml")

    sections = [f"# Boundary refinement study ({len(refiners)} refiner{'s' * (len(refiners) != 1)})", _header(result),
                "## Refiners",
                markdown_table(["system", "variant", "weights", "grid", "parameters", "steps", "training time",
                                "best val MAE (ms)"],
                               [[r["system"], r["variant"], r["weights"], f"{r['grid']['rate']:g} Hz x "
                                 f"{r['grid']['window_frames']}", f"{r['parameters'] / 1e3:.0f} k", r["steps"],
                                 minutes(r["train_seconds"]), _ms(r["best_val_mae_s"])] for r in refiners]),
                "## Results",
                "Boundary errors over the matched boundaries of each set (every hypothesised boundary within "
                f"{config.max_offset_s:g} s of a reference one, matched as `codecprobe boundaries` matches them), "
                "the same boundaries for every row; *change* = the matched reference boundary is a speaker change. "
                "MAE change: reduction of the MAE against the unrefined hypothesis (positive: better). DER in % "
                "(md-eval's, each recording whole)."]
    for name, gate in zip(_eval_sets(result), gates):
        rows = [r for r in evaluations if r["eval_set"] == name]
        sections += [f"### {name}", _results_table(rows, config.collars),
                     f"Gate (seed 003, best refiner {gate['best'] or 'n/a'}: MAE change "
                     f"{_percent(gate['improvement_pct'])}): **{gate['verdict']}** (continue above "
                     f"{config.gate.continue_above:g} %, marginal from {config.gate.marginal_above:g} %, else stop)"]
    sections += [f"![{p.stem}]({p.name})" for p in plots if p is not None]  # None: nothing to draw
    sections += [_footer(result)]
    atomic_write_text(out / "report.md", "\n\n".join(sections) + "\n")
    return results


# -- records ------------------------------------------------------------------------------
def _refiner_record(training: Training) -> dict:
    val = [row["val/mae"] for row in training.metrics if row.get("val/mae") is not None]
    description = training.description
    return description | {"control": not description["trained_encoders"],
                          "parameters": training.parameters, "steps": training.global_step,
                          "train_seconds": training.train_seconds, "best_val_mae_s": min(val) if val else None,
                          "checkpoint": str(training.checkpoint), "train_boundaries": training.train_windows,
                          "val_boundaries": training.val_windows}


def _evaluation_record(evaluation: Evaluation, training: Training | None) -> dict:
    metrics = {kind: evaluation.metrics(kind) for kind in KINDS}
    description = training.description if training else None
    return {"eval_set": evaluation.eval_set, "system": evaluation.system, "variant": evaluation.variant,
            "weights": description["weights"] if description else "none (the hypothesis as given)",
            "control": bool(description) and not description["trained_encoders"],
            "boundaries": metrics, "der": {f"{c:g}": d.to_dict() for c, d in evaluation.der.items()}}


def _gate(config, name: str, rows: list[dict]) -> dict:
    """The seed's gate on the trained-encoder refiner that lowers the MAE most (controls do not count)."""
    [baseline] = [r for r in rows if r["variant"] == IDENTITY]
    for row in rows:
        row["mae_change_pct"] = improvement(baseline["boundaries"]["all"], row["boundaries"]["all"])
    candidates = [r for r in rows if r["variant"] != IDENTITY and not r["control"] and r["mae_change_pct"] is not None]
    best = max(candidates, key=lambda r: r["mae_change_pct"], default=None)
    value = best["mae_change_pct"] if best else None
    return {"eval_set": name, "best": f"{best['system']} {best['variant']}" if best else None,
            "improvement_pct": value, "verdict": config.gate.verdict(value) if best else "n/a (no trained refiner)"}


def _results_table(rows: list[dict], collars: list[float]) -> str:
    within = [f"within {round(t * 1000)} ms" for t in TOLERANCES_S]
    headers = ["system", "variant", "weights", "n", "MAE (ms)", "RMSE (ms)", *within, "MAE change",
               "MAE (ms) / change", "MAE (ms) / other", *[f"DER c={c:g}" for c in collars]]
    table = []
    for r in rows:
        b = r["boundaries"]["all"]
        table.append([r["system"] + (" (UNTRAINED encoder)" if r["control"] else ""), r["variant"], r["weights"],
                      b["n"], _ms(b["mae_s"]), _ms(b["rmse_s"]),
                      *[_share(b[f"within_{round(t * 1000)}ms"]) for t in TOLERANCES_S],
                      _percent(r.get("mae_change_pct")), _ms(r["boundaries"]["change"]["mae_s"]),
                      _ms(r["boundaries"]["other"]["mae_s"]), *[r["der"][f"{c:g}"]["der"] for c in collars]])
    return markdown_table(headers, table)


def _eval_sets(result: StudyResult) -> list[str]:
    return [e.name for e in result.data.evals]


def _data(result: StudyResult) -> dict:
    def hours(sets):
        return sum(r.duration for c in sets for r in c.recordings) / 3600

    data = result.data
    described = {}
    for name, part in (("train", data.train), ("val", data.val)):
        if part is not None:
            described[name] = {"name": part.name, "recordings": len(part.recordings), "hours": hours([part]),
                               "boundaries": int(result.sets[name].examples.matched.sum())}
    described["evals"] = [{"name": e.name, "recordings": sum(len(c.recordings) for c in e.conversations),
                           "hours": hours(e.conversations), "hypotheses": "jittered references" if
                           e.hypotheses is None else ", ".join(e.config.hypotheses),
                           "boundaries": len(result.sets[e.name].examples),
                           "matched": int(result.sets[e.name].examples.matched.sum())} for e in data.evals]
    described["systems"] = {s.name: s.rate for s in result.systems}
    return described


def _header(result: StudyResult) -> str:
    config, data = result.config, _data(result)
    jitter = config.jitter
    drawn = (f"measured errors of {jitter.measured}" if jitter.distribution == "measured"
             else f"{jitter.distribution}, scale {jitter.scale_s:g} s")
    lines = []
    if "train" in data:
        t = data["train"]
        lines.append(f"- training: {t['name']}, {t['recordings']} recordings ({t['hours']:.2f} h), "
                     f"{jitter.copies} jittered copies each, {t['boundaries']} boundaries; jitter {drawn}, "
                     f"within {jitter.max_s:g} s")
    if "val" in data:
        lines.append(f"- validation: {data['val']['recordings']} recordings, {data['val']['boundaries']} boundaries")
    for e in data["evals"]:
        lines.append(f"- evaluation: {e['name']}, {e['recordings']} recordings ({e['hours']:.2f} h); hypotheses: "
                     f"{e['hypotheses']}; {e['boundaries']} boundaries, {e['matched']} matched")
    lines.append(f"- windows of {config.window_s:g} s centred on each hypothesised boundary; systems: "
                 + ", ".join(f"{name} ({rate:g} Hz)" for name, rate in data["systems"].items())
                 + f"; speakers left and right: {config.speakers.embedding.encoder}:"
                   f"{config.speakers.embedding.tap or 'default'}")
    if any(not t.description["trained_encoders"] for t in result.trainings):
        lines.append(f"- controls: {CONTROL_NOTE}")
    return "\n".join(lines)


def _footer(result: StudyResult) -> str:
    meta = provenance(("lightning",))
    versions = ", ".join(f"{k} {v}" for k, v in meta["versions"].items() if v)
    return (f"## Config\n\n```yaml\n{yaml.safe_dump(config_to_dict(result.config), sort_keys=False)}```\n\n"
            f"## Versions\n\n{versions}; Python {meta['python']} on {meta['platform']}; {meta['created']}")


# -- plot ---------------------------------------------------------------------------------
def _error_plot(result: StudyResult, name: str, path: Path) -> Path:
    """Cumulative share of matched boundaries within each absolute error, one line per row of the table."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    controls = {(t.system, t.variant) for t in result.trainings if not t.description["trained_encoders"]}
    for e in (e for e in result.evaluations if e.eval_set == name):
        errors = np.sort(np.abs(e.errors)) * 1000
        label = IDENTITY if e.variant == IDENTITY else f"{e.system} {e.variant}"
        if (e.system, e.variant) in controls:
            label += " (UNTRAINED encoder)"
        ax.plot(errors, np.arange(1, len(errors) + 1) / max(1, len(errors)), label=label,
                ls="--" if e.variant == IDENTITY else "-", color="black" if e.variant == IDENTITY else None)
    ax.set_xlim(0, 1000 * result.config.max_offset_s)
    ax.set_xlabel("absolute boundary error (ms)")
    ax.set_ylabel("share of matched boundaries")
    ax.set_title(f"{name}: boundary error before and after refinement", fontsize=9)
    ax.legend(fontsize=6)
    ax.grid(alpha=0.3)
    return save_figure(fig, path)


# -- formatting ---------------------------------------------------------------------------
def _ms(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{1000 * seconds:.0f}"


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.0f} %"


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.1f} %"
