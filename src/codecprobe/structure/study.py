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
from pathlib import Path

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


# -- what is saved ------------------------------------------------------------------------
def write_structure(result: StructureResult, out: str | Path):
    """Set each trained run's control decision beside it, draw the figures, save ``results.json`` (and its
    ``decision.json`` and ``metrics.json`` views) and write the report; the saved summary."""
    from codecprobe.config import config_to_dict
    from codecprobe.report import provenance, write_json
    from codecprobe.report.results import write_study
    from codecprobe.structure.figures import draw
    from codecprobe.structure.results import StructureSummary

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    _link_controls(result)
    data = result.data
    summary = StructureSummary(
        data={"corpora": data.summary, "split": data.description, "utterances_train": len(data.split.train),
              "utterances_eval": len(data.split.eval)},
        runs=[_saved_run(run) for run in result.runs], figures=draw(result, out), config=result.config,
        provenance=provenance(("faiss-cpu",)))
    decisions = [{key: getattr(run, key) for key in ("encoder", "role", "weights_id", "trained", "weights", "tap")}
                 | run.decision for run in summary.runs]
    write_json(out / "decision.json", {"command": "structure", "primary": decisions[0], "runs": decisions,
                                       "thresholds": config_to_dict(result.config.thresholds)})
    metrics = summary.to_dict()
    write_json(out / "metrics.json", {"command": "structure", "data": metrics["data"],
                                      "runs": [{k: v for k, v in run.items() if k != "decision"}
                                               for run in metrics["runs"]],
                                      "config": metrics["config"], "provenance": summary.provenance})
    write_study(summary, out)
    return summary


def _link_controls(result: StructureResult) -> None:
    """Beside a trained encoder's decision, its untrained control's (same encoder and tap)."""
    for run in result.runs:
        if run.role != "encoder":
            continue
        control = next((c for c in result.runs if c.role == "control" and c.identity.encoder == run.identity.encoder
                        and c.tap == run.tap), None)
        if control is not None:
            run.decision["control_decision"] = control.decision["decision"]
            if control.decision["decision"] == "PASS":
                run.decision["control_note"] = ("the untrained control passes too: the structure comes from the "
                                                "architecture and the signal, not from training")


def _saved_run(run: TapRun):
    from codecprobe.structure.results import StructureRun

    a = run.analysis
    return StructureRun(
        encoder=run.identity.encoder, role=run.role, weights_id=run.identity.weights_id,
        trained=run.identity.trained, weights=run.identity.weights, settings=run.identity.settings, tap=run.tap,
        frame_rate=run.frame_rate, dim=run.dim, control_note=run.control_note, fit_sample=a.sample_size,
        energy_threshold_db=a.energy_threshold,
        pca_explained_variance={str(d): v for d, v in a.conditioning.pca_explained.items()},
        effective_keys={name: len(keys) for name, keys in zip(a.conditioning.labelings, a.effective)},
        rows=a.rows, speakers=a.speakers, decision=run.decision, weights_name=run.identity.weights_name)
