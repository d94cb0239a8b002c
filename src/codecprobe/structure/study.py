"""The pipeline behind ``codecprobe structure``: seed 004's Phase 0 gate for any encoders and taps.

1. :func:`load_data`: every corpus is loaded and its speakers split, per corpus, into a seeded
   training share (``train_fraction``) and held-out speakers; speakers are named
   ``corpus/speaker`` so that corpora never share one.
2. :func:`plan_encoders`: each encoder of the config and, beside a trained neural encoder, its
   untrained control (as ``verify`` does); taps are checked before any work.
3. Extraction of what the latent store lacks (``codecprobe.extract``), then for every encoder
   role and tap the four streamed passes of :func:`codecprobe.structure.analysis.analyse` and the
   decision (:func:`codecprobe.structure.decision.decide`).
"""
from __future__ import annotations

from dataclasses import dataclass, field


from codecprobe.structure.analysis import Analysis, analyse
from codecprobe.structure.config import StructureConfig
from codecprobe.structure.data import RoleTap, StudyData, load_data, plan_encoders
from codecprobe.structure.decision import decide
from codecprobe.structure.frames import AudioEnergy, StoreFrames


@dataclass
class TapRun(RoleTap):
    """Phase 0 for one tap of one encoder role."""

    frame_rate: float
    dim: int
    control_note: str
    analysis: Analysis
    decision: dict


@dataclass
class StructureResult:
    config: StructureConfig
    data: StudyData
    runs: list[TapRun] = field(default_factory=list)


def run_structure(config: StructureConfig, progress: bool = True) -> StructureResult:
    from codecprobe.extract import ensure_extracted
    from codecprobe.store import open_store

    config.check()
    data = load_data(config.corpora, config.layout, config.train_fraction, config.split_seed)
    plans = plan_encoders(config.encoders, config.device, config.control, config.control_seed)
    result = StructureResult(config, data)
    with open_store(config.store) as store:
        for plan in plans:
            for role in plan.roles:
                for corpus in data.corpora:
                    ensure_extracted(corpus, role.encoder, plan.taps, store, progress=progress)
                for tap in plan.taps:
                    energy = AudioEnergy(data.spans, store.frame_rate(role.identity, tap))
                    source = StoreFrames(store, role.identity, tap, energy)
                    label = f"{role.identity.encoder}:{tap}" + (" (untrained)" if role.identity.weights == "untrained" else "")
                    analysis = analyse(source, data.split, config, label, progress)
                    dim = len(analysis.conditioning.normaliser.frame_mean)
                    result.runs.append(TapRun(role.name, role.identity, tap, source.frame_rate, dim,
                                              plan.control_note, analysis, decide(analysis.rows, config)))
    return result
