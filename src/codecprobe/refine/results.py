"""What a ``codecprobe refine`` study saves (``results.json``); light, so ``codecprobe report`` can load it."""
from __future__ import annotations

from dataclasses import dataclass

from codecprobe.refine.config import RefineStudyConfig
from codecprobe.report.results import Result

CONTROL_NOTE = ("UNTRAINED: reads an encoder with random or permuted weights; the untrained control "
                "(its refiner is trained, the encoder is not)")


@dataclass
class RefineResult(Result):
    study = "refine"
    renderer = "codecprobe.refine.report:render"

    refiners: list[dict]  # per system and variant: what it reads, its training
    evaluations: list[dict]  # refiners (and the unrefined hypothesis) x evaluation sets: boundary errors, DER
    gates: list[dict]  # per evaluation set: the seed's gate on the best trained-encoder refiner
    data: dict
    control_note: str
    figures: list[str]
    config: RefineStudyConfig
    provenance: dict
