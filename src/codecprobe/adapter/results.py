"""What a ``codecprobe train`` study saves (``results.json``); light, so ``codecprobe report`` can load it."""
from __future__ import annotations

from dataclasses import dataclass

from codecprobe.adapter.config import TrainStudyConfig
from codecprobe.report.results import Result

CONTROL_NOTE = ("UNTRAINED: reads an encoder with random weights; the untrained control "
                "(its adapter is trained, the encoder is not)")


@dataclass
class TrainResult(Result):
    study = "train"
    renderer = "codecprobe.adapter.report:render"

    systems: list[dict]  # per system: inputs, weights, training (steps, time, best validation loss)
    evaluations: list[dict]  # systems x evaluation corpora: DER and its parts per collar, the verdict
    baselines: list[dict]  # one per evaluation corpus: one speaker speaking through every window
    data: dict  # the corpora (recordings, speakers, hours) and the grid and windows
    verdict_collar: float
    control_note: str
    figures: list[str]  # file names, in the report's order
    config: TrainStudyConfig
    provenance: dict
