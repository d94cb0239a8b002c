"""``simulation.json`` and ``report.md`` of a simulated set: what was asked for against what came out."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from codecprobe.config import config_to_dict
from codecprobe.report import provenance
from codecprobe.report.model import Report, Section, Table
from codecprobe.report.results import Result, write_study
from codecprobe.simulate.config import SimulateConfig

if TYPE_CHECKING:
    from codecprobe.simulate.study import Simulation

MAX_ROWS_IN_MARKDOWN = 100
# Real conversations to compare with, measured the same way (codecprobe.simulate.statistics) on
# AMI's train references (only_words RTTMs) and VoxConverse dev; NeMo's simulator targets.
REAL = {
    "mean_turn": "AMI 4.08, VoxConverse 8.56",
    "turn_change_share": "AMI 0.78, VoxConverse 0.58, NeMo 0.875",
    "same_speaker_pause": "AMI 2.12, VoxConverse 0.89",
    "different_speaker_pause": "AMI 1.30, VoxConverse 0.63",
    "overlap_share_of_changes": "AMI 0.68, VoxConverse 0.51",
    "overlap": "AMI 5.12, VoxConverse 6.31 (backchannels in long turns)",
    "silence_ratio": "AMI 0.165, VoxConverse 0.060, NeMo 0.15",
    "overlap_ratio": "AMI 0.134, VoxConverse 0.037, NeMo 0.10",
}


@dataclass
class SimulationResult(Result):
    """``simulation.json`` of a finished set: what was asked for against what came out."""

    study = "simulate"
    renderer = "codecprobe.simulate.report:render"
    filename = "simulation.json"

    identity: dict  # what must match for a rerun into the same folder
    complete: bool
    config: SimulateConfig
    provenance: dict
    output: dict  # where each kind of file is, and the audio format
    pool: dict  # the source corpora and the speaker pool
    timing: dict
    expected: dict  # what the config asks for, in the terms the statistics measure
    overall: dict  # the statistics over every recording
    recordings: list[dict]  # one row per recording


def write_simulation_report(simulation: Simulation) -> SimulationResult:
    """Write ``simulation.json`` (complete) and ``report.md`` into the output folder; return the result."""
    from codecprobe.simulate.sources import describe_pool

    config = simulation.config
    result = SimulationResult(
        identity=simulation.identity, complete=True, config=config, provenance=provenance(),
        output={
            "layout": "rttm", "audio": "audio/<recording>.wav", "rttm": "rttm/<recording>.rttm",
            "uem": "all.uem", "meta": "meta/<recording>.json", "speaker_labels": "global",
            "sampling_rate": config.sampling_rate,
            "sample_format": "16-bit PCM" if config.audio_format == "pcm16" else "32-bit float",
        },
        pool=describe_pool(simulation.pool),
        timing=simulation.timing.describe() if config.timing.model == "conversational"
        else {"model": "independent", "pause_means": config.timing.independent_pause_means},
        expected=expected(simulation), overall=simulation.totals.summary(), recordings=simulation.rows)
    write_study(result, simulation.out)
    return result


def expected(simulation: Simulation) -> dict:
    """What the config asks for, in the terms the statistics measure."""
    config = simulation.config
    weights = config.speakers.count_weights
    shares = {str(c): w / sum(weights) for c, w in zip(config.speakers.counts, weights) if w > 0}
    values = {"speakers_per_recording": shares,
              "turns_per_speaker": (config.speakers.min_turns + config.speakers.max_turns) / 2,
              "mean_turn": None}
    if config.turns.source == "cut":
        fitted = simulation.timing.turn_duration
        values["mean_turn"] = (fitted or config.turns.cut_duration).expected_mean()
    if config.timing.model == "conversational":
        timing = simulation.timing.describe()
        values.update({
            "turn_change_share": timing["turn_change_probability"],
            "overlap_share_of_changes": timing["overlap_probability"],
            "mean": {"same_speaker_pause": timing["same_speaker_pause_mean"],
                     "different_speaker_pause": timing["different_speaker_pause_mean"],
                     "overlap": timing["overlap_mean"]},
        })
    return values


def render(result: SimulationResult) -> Report:
    overall, wanted, config, pool = result.overall, result.expected, result.config, result.pool
    recordings = [[r["recording"], r["duration"], len(r["speakers"]), r["turns"], r["speech_ratio"],
                   r["overlap_ratio"], r["silence_ratio"], "-" if r["snr_db"] is None else r["snr_db"]]
                  for r in result.recordings[:MAX_ROWS_IN_MARKDOWN]]
    shown = [Table(["recording", "duration (s)", "speakers", "turns", "speech", "overlap / speech", "silence",
                    "SNR (dB)"], recordings)]
    if len(result.recordings) > MAX_ROWS_IN_MARKDOWN:
        shown.append(f"(first {MAX_ROWS_IN_MARKDOWN} of {len(result.recordings)}; all in simulation.json)")
    about = (f"Made by `codecprobe simulate` (seed {config.seed}, {config.timing.model} timing). "
             f"{result.output['sampling_rate']} Hz mono WAV ({result.output['sample_format']}) in `audio/`, "
             "reference RTTMs (overlaps kept) in `rttm/`, `all.uem`, speaker labels global across recordings "
             "(`corpus.yaml`). Load with `--layout rttm`.")
    sections = [
        Section("Sources", [
            Table(["corpus", "layout", "speakers", "utterances", "path"],
                  [[c["name"], c["layout"], c["speakers"], c["utterances"], c["path"]] for c in pool["corpora"]]),
            f"Speaker pool, {_restrictions(config.speakers)}: {pool['speakers']} speakers (`speaker_pool.txt`); "
            f"{overall['speakers_used']} of them appear in the recordings (`speakers.txt`)."]),
        Section("Asked for and observed", [
            Table(["quantity", "config", "observed", "real conversations"], _comparison_rows(overall, wanted),
                  float_format="{:.3f}"),
            "Pauses and overlaps are measured over the turns in onset order, from the latest end so far "
            "(see docs/simulate.md). An overlap is cut short where it would make a speaker overlap themself "
            "or more speakers talk at once than allowed, so the observed mean overlap is below the drawn one."]),
        Section("Recordings", shown),
    ]
    return Report(f"Simulated conversations: {overall['recordings']} recordings, {overall['hours']:.2f} h",
                  [about], sections, config_to_dict(config), result.provenance)


def _comparison_rows(overall: dict, wanted: dict) -> list[list]:
    def value(x):
        return "-" if x is None else x

    counts = sorted(set(wanted["speakers_per_recording"]) | set(overall["speakers_per_recording"]), key=int)
    n = overall["recordings"] or 1
    rows = [[f"share of {c}-speaker recordings", value(wanted["speakers_per_recording"].get(c)),
             overall["speakers_per_recording"].get(c, 0) / n, ""] for c in counts]
    spoken = sum(int(c) * k for c, k in overall["speakers_per_recording"].items())
    rows.append(["turns per speaker", wanted["turns_per_speaker"], overall["turns"] / spoken if spoken else None, ""])
    rows.append(["mean turn (s)", value(wanted["mean_turn"]), overall["mean_turn"], REAL["mean_turn"]])
    if "turn_change_share" in wanted:
        rows += [
            ["turn-change share", wanted["turn_change_share"], value(overall["turn_change_share"]),
             REAL["turn_change_share"]],
            ["same-speaker pause mean (s)", wanted["mean"]["same_speaker_pause"],
             value(overall["mean"]["same_speaker_pause"]), REAL["same_speaker_pause"]],
            ["different-speaker pause mean (s)", wanted["mean"]["different_speaker_pause"],
             value(overall["mean"]["different_speaker_pause"]), REAL["different_speaker_pause"]],
            ["overlap share of speaker changes", wanted["overlap_share_of_changes"],
             value(overall["overlap_share_of_changes"]), REAL["overlap_share_of_changes"]],
            ["overlap mean (s)", wanted["mean"]["overlap"], value(overall["mean"]["overlap"]), REAL["overlap"]],
        ]
    rows += [["speech ratio", "-", overall["speech_ratio"], ""],
             ["silence ratio", "-", overall["silence_ratio"], REAL["silence_ratio"]],
             ["overlap ratio (of speech)", "-", overall["overlap_ratio"], REAL["overlap_ratio"]]]
    return rows


def _restrictions(speakers) -> str:
    parts = [f"only {speakers.include_file}" if speakers.include_file else "",
             f"without {speakers.exclude_file}" if speakers.exclude_file else "",
             f"{speakers.split} part of a seeded split (held-out fraction {speakers.held_out_fraction}, "
             f"seed {speakers.split_seed})" if speakers.split != "all" else ""]
    return "; ".join(p for p in parts if p) or "every speaker of the corpora"
