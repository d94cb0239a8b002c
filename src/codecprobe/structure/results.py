"""What a structure study saves (``results.json``, and the older ``decision.json`` / ``metrics.json``
views of it); light, so ``codecprobe report`` can load it."""
from __future__ import annotations

from dataclasses import dataclass

from codecprobe.encoders.base import SavedTap
from codecprobe.report.results import Result
from codecprobe.structure.config import StructureConfig


@dataclass
class StructureRun(SavedTap):
    """Phase 0 for one tap of one encoder role, as saved."""

    frame_rate: float
    dim: int
    control_note: str
    fit_sample: int  # training anchors the keys were fitted on
    energy_threshold_db: float
    pca_explained_variance: dict  # PCA dims -> share of the context variance
    effective_keys: dict  # scheme -> keys with enough training frames
    rows: list[dict]  # scheme x lag x slice: variance ratios, entropy reductions, with intervals
    speakers: dict  # scheme -> split -> speaker -> variance ratio
    decision: dict  # PASS / FAIL, the schemes and their criteria, the control's decision beside it
    weights_name: str = ""  # a human name for hashed weights ids (EncoderIdentity.weights_name)


@dataclass
class StructureSummary(Result):
    study = "structure"
    renderer = "codecprobe.structure.report:render"

    data: dict  # the corpora and the speaker-disjoint split
    runs: list[StructureRun]
    figures: list[str]
    config: StructureConfig
    provenance: dict
