"""The report of a ``codecprobe refine`` study, rendered from its saved results.

Every row of a refiner that reads an encoder with random weights says so (``UNTRAINED``): it is
the untrained control (the refiner is trained, the encoder is not). The unrefined hypothesis is
the baseline every refiner is compared with, on the same boundaries.
"""
from __future__ import annotations

from codecprobe.refine.metrics import TOLERANCES_S
from codecprobe.refine.results import RefineResult
from codecprobe.report import minutes
from codecprobe.report.model import Bullets, Figure, Report, Section, Table

__all__ = ["RefineResult", "render"]


def render(result: RefineResult) -> Report:
    from codecprobe.config import config_to_dict

    config, refiners = result.config, result.refiners
    sections = [
        Section("Refiners", [Table(
            ["system", "variant", "weights", "grid", "parameters", "steps", "training time", "best val MAE (ms)"],
            [[r["system"], r["variant"], r["weights"], f"{r['grid']['rate']:g} Hz x {r['grid']['window_frames']}",
              f"{r['parameters'] / 1e3:.0f} k", r["steps"], minutes(r["train_seconds"]), _ms(r["best_val_mae_s"])]
             for r in refiners])]),
        Section("Results", [
            "Boundary errors over the matched boundaries of each set (every hypothesised boundary within "
            f"{config.max_offset_s:g} s of a reference one, matched as `codecprobe boundaries` matches them), "
            "the same boundaries for every row; *change* = the matched reference boundary is a speaker change. "
            "MAE change: reduction of the MAE against the unrefined hypothesis (positive: better). DER in % "
            "(md-eval's, each recording whole)."]),
    ]
    for gate in result.gates:
        rows = [r for r in result.evaluations if r["eval_set"] == gate["eval_set"]]
        sections.append(Section(None, [
            f"### {gate['eval_set']}", _results_table(rows, config.collars),
            f"Gate (seed 003, best refiner {gate['best'] or 'n/a'}: MAE change "
            f"{_percent(gate['improvement_pct'])}): **{gate['verdict']}** (continue above "
            f"{config.gate.continue_above:g} %, marginal from {config.gate.marginal_above:g} %, else stop)"]))
    sections.append(Section(None, [Figure(name, name.rsplit(".", 1)[0]) for name in result.figures]))
    return Report(f"Boundary refinement study ({len(refiners)} refiner{'s' * (len(refiners) != 1)})",
                  [Bullets(_about(result))], sections, config_to_dict(config), result.provenance)


def _results_table(rows: list[dict], collars: list[float]) -> Table:
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
    return Table(headers, table)


def _about(result: RefineResult) -> list[str]:
    config, data = result.config, result.data
    jitter = config.jitter
    drawn = (f"measured errors of {jitter.measured}" if jitter.distribution == "measured"
             else f"{jitter.distribution}, scale {jitter.scale_s:g} s")
    lines = []
    if "train" in data:
        t = data["train"]
        lines.append(f"training: {t['name']}, {t['recordings']} recordings ({t['hours']:.2f} h), "
                     f"{jitter.copies} jittered copies each, {t['boundaries']} boundaries; jitter {drawn}, "
                     f"within {jitter.max_s:g} s")
    if "val" in data:
        lines.append(f"validation: {data['val']['recordings']} recordings, {data['val']['boundaries']} boundaries")
    for e in data["evals"]:
        lines.append(f"evaluation: {e['name']}, {e['recordings']} recordings ({e['hours']:.2f} h); hypotheses: "
                     f"{e['hypotheses']}; {e['boundaries']} boundaries, {e['matched']} matched")
    lines.append(f"windows of {config.window_s:g} s centred on each hypothesised boundary; systems: "
                 + ", ".join(f"{name} ({rate:g} Hz)" for name, rate in data["systems"].items())
                 + f"; speakers left and right: {config.speakers.embedding.encoder}:"
                   f"{config.speakers.embedding.tap or 'default'}")
    if any(r["control"] for r in result.refiners):
        lines.append(f"controls: {result.control_note}")
    return lines


# -- formatting ---------------------------------------------------------------------------
def _ms(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{1000 * seconds:.0f}"


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.0f} %"


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.1f} %"
