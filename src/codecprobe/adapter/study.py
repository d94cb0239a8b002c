"""The pipeline behind ``codecprobe train``: the seed's Steps 1 and 1.5 and its hybrid, for any encoder taps.

1. :func:`load_data` and :func:`build_systems`: read the corpora (a corpus without speaker
   turns is refused) and build every encoder a system reads, checking taps and settings;
   nothing is extracted or trained before all of it is known to be usable.
2. :func:`prepare`: extract into the latent store what it lacks (one pass per encoder and
   corpus, all taps at once), and build each system's frame banks.
3. :func:`train_system`: the adapter (and, for Step 1.5, Mimi's top layers) on the training
   windows, through :class:`codecprobe.train.run.TrainingRun` (checkpoints, resume, CSV metrics).
4. :func:`evaluate_all`: DER and the seed's split on each held-out corpus, on the
   adapter's own windows, beside a one-speaker baseline.
"""
from __future__ import annotations

import dataclasses
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import lightning as L
import numpy as np
import torch

from codecprobe.adapter.config import AdapterConfig, InputTap, SystemConfig, TrainStudyConfig
from codecprobe.train.conversations import check_distinct_ids, Conversations, DiarizationWindows, load_conversations, load_training
from codecprobe.adapter.evaluate import Evaluation, evaluate, evaluate_one_speaker, evaluate_segmentation
from codecprobe.adapter.model import mimi_config_dict
from codecprobe.adapter.module import DiarizationModule
from codecprobe.encoders import Encoder
from codecprobe.errors import InputError
from codecprobe.store import LatentStore, open_store
from codecprobe.train import FrameBank, TapSource, WindowDataModule, build_bank
from codecprobe.train.grid import grid_frames
from codecprobe.train.inputs import build_input, extract_inputs, input_record
from codecprobe.train.run import FinishedRun, TrainingRun, read_run

# the window model each ``pretrained`` system runs (its encoder and tap; read per window, never stored)
PRETRAINED = {"segmentation": InputTap("segmentation", ["speakers"], settings={"speakers": "hard"})}
MIMI_LAYER_RATE_RATIO = 2  # Mimi's transformer runs at 25 Hz, twice its 12.5 Hz latent rate
NORM_SAMPLE_WINDOWS = 64  # training windows whose frames set the input standardisation


# -- data and systems ---------------------------------------------------------------------
@dataclass
class StudyData:
    train: Conversations | None  # None: evaluation only
    val: Conversations | None
    evals: list[Conversations]

    def all(self) -> list[Conversations]:
        return [d for d in (self.train, self.val, *self.evals) if d is not None]


def load_data(config: TrainStudyConfig, training: bool = True) -> StudyData:
    """The training, validation and evaluation conversations (``training=False``: evaluation only)."""
    if training and not config.train_corpus:
        raise InputError("no training corpus: set train_corpus (--train-corpus)")
    layouts = config.eval_layouts if len(config.eval_layouts) > 1 else (config.eval_layouts or [None]) * len(
        config.eval_corpora)
    evals = [load_conversations(path, layout) for path, layout in zip(config.eval_corpora, layouts)]
    for index, conversations in enumerate(evals):  # two corpora in folders of one name stay apart in reports
        if any(other.name == conversations.name for other in evals[:index]):
            conversations.name = f"{conversations.name}#{index + 1}"
    if not training:
        if not evals:
            raise InputError("nothing to evaluate on: give eval_corpora (--eval-corpus)")
        check_distinct_ids(evals)
        return StudyData(None, None, evals)
    train, val = load_training(config)
    data = StudyData(train, val, evals)
    check_distinct_ids(data.all())
    return data


@dataclass
class System:
    """A system as built: its name, config, the taps it reads and the encoders that make them."""

    name: str
    config: SystemConfig
    sources: list[TapSource]
    encoders: list[Encoder]
    input_rate: float  # the grid its inputs are read on

    @property
    def trained_encoders(self) -> bool:
        """False when an input comes from an untrained control (MFCCs have no weights and are not one)."""
        return all(source.identity.weights != "untrained" for source in self.sources)

    def inputs(self, dims: list[int]) -> list[dict]:
        """What a checkpoint records about each input: identity, offset, dims and how to build it again."""
        return [input_record(source, dim, tap) for source, dim, tap in zip(self.sources, dims, self.config.inputs)]


def build_systems(config: TrainStudyConfig) -> list[System]:
    """Every system's encoders (each distinct one built once), taps checked, frame offsets resolved."""
    built: dict[str, Encoder] = {}
    systems = []
    for system in config.systems:
        sources, encoders = [], []
        for tap in [PRETRAINED[system.pretrained]] if system.pretrained else system.inputs:
            encoder, source = build_input(tap, config.device, built, f"system {system.name or len(systems) + 1}")
            sources.append(source)
            encoders.append(encoder)
        name = system.name or system.pretrained or "+".join(f"{s.identity.encoder}-{s.tap}" for s in sources)
        if any(other.name == name for other in systems):
            raise InputError(f"two systems are named {name!r}: give them distinct names")
        rate = config.grid_rate
        if system.unfreeze_layers:
            native = encoders[0].sample_rate / encoders[0].frame_samples
            if abs(native - config.grid_rate) > 1e-9:
                raise InputError(f"system {name}: unfreezing Mimi needs grid_rate {native:g} (its frame rate)")
            rate = config.grid_rate * MIMI_LAYER_RATE_RATIO
        systems.append(System(name, system, sources, encoders, rate))
    return systems


def system_from_checkpoint(module: DiarizationModule) -> System:
    """The system a checkpoint was trained as, its encoders built again and checked to be the same."""
    built = module.input_encoders()
    inputs = [InputTap.from_record(stored["build"]) for stored in module.hparams.inputs]
    config = SystemConfig(module.hparams.system, inputs, module.hparams.unfreeze_layers,
                          module.hparams.mimi_learning_rate)
    return System(module.hparams.system, config, [source for _, source in built], [encoder for encoder, _ in built],
                  float(module.hparams.grid["input_rate"]))


# -- extraction and frame banks -----------------------------------------------------------
def prepare(config: TrainStudyConfig, data: StudyData, systems: list[System], store: LatentStore,
            progress: bool = True) -> None:
    """Extract every tap every system reads, for every corpus, into the store (what is there is skipped)."""
    corpora = {id(d.corpus): (d.name, d.corpus) for d in data.all()}.values()
    extract_inputs(corpora, [pair for s in systems if not s.config.pretrained for pair in zip(s.encoders, s.sources)],
                   store, progress, config.executor)


def bank_of(store: LatentStore, system: System, conversations: Conversations, grid_rate: float,
            progress: bool = True) -> FrameBank:
    ratio = int(round(system.input_rate / grid_rate))
    segments = [(r.id, grid_frames(r.duration, grid_rate) * ratio) for r in conversations.recordings]
    return build_bank(store, segments, system.sources, system.input_rate, progress)


def windows_of(config: TrainStudyConfig, bank: FrameBank, conversations: Conversations, step_frames: int,
               input_ratio: int) -> DiarizationWindows:
    return DiarizationWindows(bank, conversations.activities(config.grid_rate), config.window_frames, step_frames,
                              config.adapter.speakers, input_ratio)


# -- training -----------------------------------------------------------------------------
@dataclass
class Training:
    system: str
    checkpoint: Path | None  # the one evaluated: best.ckpt, or last.ckpt without validation; None: pretrained
    global_step: int
    train_seconds: float
    parameters: int  # trainable
    dims: list[int]  # of each input
    train_windows: int
    val_windows: int
    dropped_speakers: int  # active speakers of training windows beyond the adapter's slots
    metrics: list[dict] = field(default_factory=list)


def build_module(config: TrainStudyConfig, system: System, dims: list[int]) -> DiarizationModule:
    mimi = system.encoders[0].model if system.config.unfreeze_layers else None
    module = DiarizationModule(
        adapter=asdict(config.adapter), inputs=system.inputs(dims),
        grid={"rate": config.grid_rate, "input_rate": system.input_rate, "window_frames": config.window_frames},
        unfreeze_layers=system.config.unfreeze_layers, mimi_config=mimi_config_dict(mimi) if mimi else None,
        mimi_learning_rate=system.config.mimi_learning_rate, system=system.name)
    if mimi is not None:
        module.mimi.load_from(mimi)
    return module


def train_system(config: TrainStudyConfig, system: System, train: DiarizationWindows, val: DiarizationWindows | None,
                 run: TrainingRun) -> bool:
    """Train (or resume) one system; False in the extra processes of a DDP run."""
    L.seed_everything(config.trainer.seed, workers=True, verbose=False)
    module = build_module(config, system, train.bank.dims)
    sample = np.random.default_rng(config.trainer.seed).permutation(len(train))[:NORM_SAMPLE_WINDOWS]
    module.fit_input_norm(torch.stack([train[int(i)]["features"] for i in sample]))
    data = WindowDataModule(train, val, config.trainer.batch_size, config.trainer.seed, config.trainer.workers)
    return run.fit(module, data, config.trainer, saved_config=config) is not None


def training_of(finished: FinishedRun, module: DiarizationModule) -> Training:
    """What a checkpoint says about its training (the window counts are the study's to fill in)."""
    return Training(module.hparams.system, finished.checkpoint, finished.global_step, finished.train_seconds,
                    finished.parameters, [i["dim"] for i in module.hparams.inputs], 0, 0, 0, finished.metrics)


# -- the study ----------------------------------------------------------------------------
@dataclass
class StudyResult:
    config: TrainStudyConfig
    data: StudyData
    systems: list[System]
    trainings: list[Training]
    evaluations: list[Evaluation]  # systems x evaluation corpora
    baselines: list[Evaluation]  # one per evaluation corpus


def run_study(config: TrainStudyConfig, out: str | Path, progress: bool = True, evaluate_only: bool = False,
              prepare_only: bool = False) -> StudyResult | None:
    """Train and evaluate every system; None in the extra processes of a DDP run (rank > 0)."""
    out = Path(out)
    data = load_data(config)
    systems = build_systems(config)
    if config.trainer.processes > 1 and len(systems) > 1:
        raise InputError(f"training on {config.trainer.processes} processes takes one system per command; "
                         f"this config has {len(systems)} ({', '.join(s.name for s in systems)})")
    runs = {system.name: TrainingRun(out / "systems" / system.name) for system in systems if not system.config.pretrained}
    if evaluate_only:
        for run in runs.values():
            run.require_trained()
    trainings, evaluations = [], []
    with open_store(config.store) as store:
        prepare(config, data, systems, store, progress)
        banks = {(s.name, id(d)): bank_of(store, s, d, config.grid_rate, progress) for s in systems for d in data.all()
                 if not s.config.pretrained}
    if prepare_only:
        return None
    for system in systems:
        if system.config.pretrained:
            trainings.append(Training(system.name, None, 0, 0.0, 0, [3], 0, 0, 0))
            evaluations += [evaluate_pretrained(system, conversations, config, progress) for conversations in data.evals]
            continue
        run = runs[system.name]
        if not evaluate_only:
            ratio = int(round(system.input_rate / config.grid_rate))
            say(f"training {system.name}", progress)
            train = windows_of(config, banks[system.name, id(data.train)], data.train, config.step_frames, ratio)
            val = windows_of(config, banks[system.name, id(data.val)], data.val, config.window_frames, ratio) \
                if data.val else None
            if not train_system(config, system, train, val, run):  # an extra DDP process
                return None
        finished, module = run.read()
        trainings.append(training_of(finished, module))
        evaluations += evaluate_all(module, data.evals, {id(d): banks[system.name, id(d)] for d in data.evals},
                                    config, progress)
    return StudyResult(config, data, systems, trainings, evaluations, baselines(config, data.evals))


def run_checkpoint(config: TrainStudyConfig, checkpoint: str | Path, progress: bool = True) -> StudyResult:
    """Evaluate one trained checkpoint on ``config.eval_corpora``: its inputs are extracted with the
    encoders it was trained on (built again and checked to be the same), on its own grid and windows."""
    finished, module = read_run(checkpoint)
    training = training_of(finished, module)
    grid = module.hparams.grid
    config = dataclasses.replace(config, grid_rate=grid["rate"], window_s=grid["window_frames"] / grid["rate"],
                                 adapter=AdapterConfig(**module.hparams.adapter))
    data = load_data(config, training=False)
    system = system_from_checkpoint(module)
    with open_store(config.store) as store:
        prepare(config, data, [system], store, progress)
        banks = {id(d): bank_of(store, system, d, config.grid_rate, progress) for d in data.evals}
    evaluations = evaluate_all(module, data.evals, banks, config, progress)
    return StudyResult(config, data, [system], [training], evaluations, baselines(config, data.evals))


def evaluate_all(module: DiarizationModule, evals: list[Conversations], banks: dict[int, FrameBank],
                 config: TrainStudyConfig, progress: bool) -> list[Evaluation]:
    """``module`` on every evaluation corpus; ``banks`` by ``id()`` of the corpus's conversations."""
    results = []
    for conversations in evals:
        say(f"evaluating {module.hparams.system} on {conversations.name}", progress)
        results.append(evaluate(module, conversations, banks[id(conversations)], config.collars))
    return results


def evaluate_pretrained(system: System, conversations: Conversations, config: TrainStudyConfig,
                        progress: bool) -> Evaluation:
    """A ``pretrained`` system on the adapters' windows of one corpus (no training, nothing stored)."""
    say(f"evaluating {system.name} on {conversations.name}", progress)
    grid = {"rate": config.grid_rate, "window_frames": config.window_frames}
    return evaluate_segmentation(conversations, grid, config.collars, system.encoders[0], system.name)


def baselines(config: TrainStudyConfig, evals: list[Conversations]) -> list[Evaluation]:
    grid = {"rate": config.grid_rate, "window_frames": config.window_frames}
    return [evaluate_one_speaker(d, grid, config.collars) for d in evals]


def say(message: str, progress: bool) -> None:
    if progress:
        print(message, file=sys.stderr)


# -- what is saved ------------------------------------------------------------------------
def write_train(result: StudyResult, out: str | Path):
    """Draw the figures and the verdicts, save ``results.json`` and write the report; the saved result."""
    from codecprobe.adapter.figures import draw
    from codecprobe.adapter.results import CONTROL_NOTE, TrainResult
    from codecprobe.report import provenance
    from codecprobe.report.results import write_study

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    config = result.config
    systems = {s.name: s for s in result.systems}
    saved = TrainResult(
        systems=[_system_record(systems[t.system], t) for t in result.trainings],
        evaluations=[_evaluation_record(e, config, systems.get(e.system)) for e in result.evaluations],
        baselines=[_evaluation_record(b, config, None) for b in result.baselines],
        data=_data(result), verdict_collar=config.verdicts.collar, control_note=CONTROL_NOTE,
        figures=draw(result, out), config=config, provenance=provenance(("lightning",)))
    write_study(saved, out)
    return saved


def system_weights_label(system: System) -> str:
    """The encoders' weights, each random or permuted one marked an ``UNTRAINED`` control (as ``verify`` does)."""
    from codecprobe.encoders import weights_label

    return "; ".join(f"{s.name} {weights_label(s.identity.weights_id, s.identity.trained)}" for s in system.sources)


def _system_record(system: System, training: Training) -> dict:
    val = [row["val/loss"] for row in training.metrics if row.get("val/loss") is not None]
    curve = learning_curve(training.metrics)
    best = min(curve, key=lambda point: point[1]) if curve else None
    return {
        "system": system.name, "weights": system_weights_label(system), "trained_encoders": system.trained_encoders,
        "control": not system.trained_encoders,
        "inputs": [source.describe() | {"dim": dim} for source, dim in zip(system.sources, training.dims)],
        "unfreeze_layers": system.config.unfreeze_layers, "parameters": training.parameters,
        "steps": training.global_step, "train_seconds": training.train_seconds,
        "best_val_loss": min(val) if val else None,
        "checkpoint": str(training.checkpoint) if training.checkpoint else None, "pretrained": system.config.pretrained,
        "val_der": curve, "best_val_der": best[1] if best else None, "best_val_der_step": best[0] if best else None,
        "train_windows": training.train_windows, "val_windows": training.val_windows,
        "dropped_speakers": training.dropped_speakers,
    }


def learning_curve(metrics: list[dict]) -> list[list[float]]:
    """``[step, validation DER %]`` at every validation of a run's metrics (the learning curve)."""
    return [[int(row["step"]), round(row["val/der"], 3)] for row in metrics if row.get("val/der") is not None]


def _evaluation_record(evaluation: Evaluation, config: TrainStudyConfig, system: System | None) -> dict:
    from codecprobe.adapter.evaluate import summarize, verdict

    collars = {f"{c:g}": evaluation.summary(c) for c in config.collars}
    return {
        "system": evaluation.system, "corpus": evaluation.corpus,
        "weights": system_weights_label(system) if system else "none (no model)",
        "control": bool(system) and not system.trained_encoders,
        "collars": collars,
        "verdict": verdict(collars[f"{config.verdicts.collar:g}"], config.verdicts),
        "windows": evaluation.n_windows,
        "recordings": {rid: {f"{c:g}": summarize(parts[c]) for c in config.collars}
                       for rid, parts in evaluation.recordings.items()},
    }


def _data(result: StudyResult) -> dict:
    def describe(d):
        return {"name": d.name, "recordings": len(d.recordings), "speakers": len(d.speakers), "hours": d.hours}

    data = result.data
    train_speakers = set().union(*(d.speakers for d in (data.train, data.val) if d is not None))
    return {
        "train": describe(data.train) if data.train else None, "val": describe(data.val) if data.val else None,
        "evals": [describe(d) | {"speakers_also_in_training": len(d.speakers & train_speakers)} for d in data.evals],
        "grid_rate": result.config.grid_rate, "window_s": result.config.window_s,
        "window_step_s": result.config.window_step_s,
    }
