"""What ``codecprobe diarize`` saves (``summary.json``); light, so ``codecprobe report`` can load it."""
from __future__ import annotations

from dataclasses import dataclass, field

from codecprobe.diarize.config import DiarizeConfig
from codecprobe.report.results import Result


@dataclass
class DiarizeResult(Result):
    study = "diarize"
    renderer = "codecprobe.diarize.report:render"
    filename = "summary.json"

    pipeline: dict  # what ran: label, encoders, weights, whether every part is trained
    tuning: str  # where the thresholds come from
    speaker_count: dict
    recordings: list[dict]  # per recording: duration, speakers, turns, time per stage, notes
    failures: list[dict]  # path and reason of every input left out
    totals: dict  # recordings, audio and wall seconds, real-time factor
    outputs: dict  # where the RTTMs are
    config: DiarizeConfig
    provenance: dict
    scores: dict | None = None  # with --reference: DER, JER and VAD error per collar (also scores.json)
    figures: dict[str, str] = field(default_factory=dict)  # recording id -> its plot, relative to the folder
