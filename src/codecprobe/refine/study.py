"""The pipeline behind ``codecprobe refine``: seed 003's boundary refiners, trained and judged.

1. :func:`load_data` and :func:`build_systems`: the training conversations (a validation share
   set aside), the evaluation sets, every encoder a system or the speaker embedding reads;
   all checked before anything is extracted or trained.
2. :func:`prepare`: extract what the latent store lacks, build each system's frame banks
   (its taps fused on its grid) and the speaker-embedding tracks.
3. :func:`example_sets`: hypotheses (jittered references, or a system's RTTMs) and their
   boundaries matched to the references, with the speaker context of every boundary.
4. :func:`train_refiner`: each variant on each system through :class:`codecprobe.train.run.TrainingRun`
   (checkpoints, resume, CSV metrics; ``best.ckpt`` at the lowest validation MAE).
5. :func:`evaluate_all`: boundary MAE / RMSE / accuracy and DER before and after refinement
   on every evaluation set, beside the unrefined hypothesis, and the seed's gate.
"""
from __future__ import annotations

import dataclasses
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import lightning as L
import numpy as np
import torch

from codecprobe.train.conversations import check_distinct_ids, Conversations, load_conversations, load_training
from codecprobe.encoders import Encoder
from codecprobe.errors import InputError
from codecprobe.extract import ExecutorConfig
from codecprobe.refine.apply import apply_offsets, bounded_times, refine_examples
from codecprobe.refine.config import EvalSet, RefineStudyConfig, SystemConfig
from codecprobe.refine.data import BoundaryWindows
from codecprobe.refine.examples import BoundaryExamples, build_examples, jittered_hypotheses, make_hypothesis
from codecprobe.refine.frames import embedding_tracks, finest_rate, refiner_bank
from codecprobe.refine.jitter import BoundaryErrors
from codecprobe.refine.metrics import boundary_metrics
from codecprobe.refine.module import VARIANT_MODULES, RefinerModule
from codecprobe.data.rttm import read_rttms
from codecprobe.data.turns import Turns
from codecprobe.score import DerComponents, score
from codecprobe.store import LatentStore, open_store
from codecprobe.train import FrameBank, TapSource, WindowDataModule, load_module
from codecprobe.train.inputs import build_input, extract_inputs, input_record
from codecprobe.train.run import TrainingRun

NORM_SAMPLE_WINDOWS = 256  # training windows whose frames set the input standardisation
EVAL_SEED = 1000  # jittered evaluation hypotheses draw from seeds EVAL_SEED + set index, away from training's


# -- data and systems ---------------------------------------------------------------------
@dataclass
class EvalData:
    """An evaluation set: its recordings with references and, where given, a system's hypotheses for them."""

    config: EvalSet
    name: str
    conversations: list[Conversations]
    hypotheses: dict[str, Turns] | None  # None: the references jittered

    @property
    def recordings(self) -> list[tuple[str, float, Turns]]:
        return recordings_of(self.conversations)


def recordings_of(sets: list[Conversations]) -> list[tuple[str, float, Turns]]:
    """``(recording id, duration, reference turns)`` of every recording of ``sets``."""
    return [(r.id, r.duration, c.reference(r.id)) for c in sets for r in c.recordings]


@dataclass
class StudyData:
    train: Conversations | None
    val: Conversations | None
    evals: list[EvalData]

    def conversations(self) -> list[Conversations]:
        return [c for c in (self.train, self.val) if c is not None] + [c for e in self.evals for c in e.conversations]


def load_data(config: RefineStudyConfig, training: bool = True) -> StudyData:
    """Training and validation conversations and the evaluation sets (their hypotheses read and checked)."""
    if training and not config.train_corpus:
        raise InputError("no training corpus: set train_corpus (--train-corpus)")
    evals = []
    for index, eval_set in enumerate(config.evals):
        sets = [load_conversations(path, eval_set.layout) for path in eval_set.corpora]
        name = eval_set.name or "+".join(c.name for c in sets)
        if any(other.name == name for other in evals):
            name = f"{name}#{index + 1}"
        evals.append(EvalData(eval_set, name, sets, given_hypotheses(eval_set, sets)))
    if not training:
        if not evals:
            raise InputError("nothing to evaluate on: give evals (--eval-corpus)")
        check_distinct_ids([c for e in evals for c in e.conversations])
        return StudyData(None, None, evals)
    train, val = load_training(config)
    data = StudyData(train, val, evals)
    check_distinct_ids(data.conversations())
    return data


def given_hypotheses(eval_set: EvalSet, sets: list[Conversations]) -> dict[str, Turns] | None:
    """The hypothesis RTTMs of an evaluation set (None: jittered references); they must name its recordings."""
    if not eval_set.hypotheses:
        return None
    hypotheses = read_rttms(eval_set.hypotheses)
    ids = {r.id for c in sets for r in c.recordings}
    if not ids & set(hypotheses):
        raise InputError(f"{', '.join(eval_set.hypotheses)}: no hypothesis for any recording of "
                         f"{', '.join(eval_set.corpora)} (file ids {sorted(hypotheses)[:3]}..., recordings "
                         f"{sorted(ids)[:3]}...)")
    return hypotheses


@dataclass
class RefineSystem:
    """A system as built: the taps its refiners read, the encoders that make them, and its grid (once known)."""

    name: str
    config: SystemConfig
    sources: list[TapSource]
    encoders: list[Encoder]
    rate: float | None = None

    @property
    def trained_encoders(self) -> bool:
        return all(source.identity.trained for source in self.sources)


@dataclass
class Speaker:
    """The speaker-embedding tap and its encoder."""

    encoder: Encoder
    source: TapSource


def build_systems(config: RefineStudyConfig) -> tuple[list[RefineSystem], Speaker]:
    """Every system's encoders (each distinct one built once, the speaker encoder too), taps checked."""
    built: dict[str, Encoder] = {}
    systems = []
    for system in config.systems:
        pairs = [build_input(tap, config.device, built, f"system {system.name or len(systems) + 1}")
                 for tap in system.inputs]
        sources = [source for _, source in pairs]
        name = system.name or "+".join(f"{s.identity.encoder}-{s.tap}" for s in sources)
        if any(other.name == name for other in systems):
            raise InputError(f"two systems are named {name!r}: give them distinct names")
        systems.append(RefineSystem(name, system, sources, [encoder for encoder, _ in pairs], system.grid_rate))
    encoder, source = build_input(config.speakers.embedding, config.device, built, "speakers.embedding")
    return systems, Speaker(encoder, source)


# -- extraction, frame banks, examples ------------------------------------------------------
@dataclass
class ExampleSet:
    """One set's hypotheses and boundaries, and its frame bank per system."""

    name: str
    examples: BoundaryExamples
    banks: dict[str, FrameBank] = field(default_factory=dict)
    jittered: bool = True


def prepare(config: RefineStudyConfig, data: StudyData, systems: list[RefineSystem], speaker: Speaker,
            store: LatentStore, progress: bool = True) -> dict[str, ExampleSet]:
    """Extract every tap into the store, then build the example sets (``train``, ``val``, each evaluation
    set by name) with their frame banks; each system's grid rate is resolved from the stored taps."""
    corpora = {id(c.corpus): (c.name, c.corpus) for c in data.conversations()}.values()
    inputs = [pair for s in systems for pair in zip(s.encoders, s.sources)] + [(speaker.encoder, speaker.source)]
    extract_inputs(corpora, inputs, store, progress, config.executor)
    for system in systems:
        system.rate = system.config.grid_rate or finest_rate(store, system.sources)
    sets = example_sets(config, data, embedding_tracks(store, speaker.source,
                                                       [r for r, _, _ in recordings_of(data.conversations())]))
    for example_set in sets.values():
        recordings = sorted({(h.recording_id, h.duration) for h in example_set.examples.hypotheses})
        if recordings:
            example_set.banks = {s.name: refiner_bank(store, s.sources, s.rate, recordings, progress) for s in systems}
    return sets


def example_sets(config: RefineStudyConfig, data: StudyData, tracks) -> dict[str, ExampleSet]:
    """Hypotheses and their boundaries for training, validation and every evaluation set."""
    errors = BoundaryErrors(config.jitter)
    speakers = config.speakers

    def examples(hypotheses):
        return build_examples(hypotheses, tracks, speakers.context_s, speakers.min_coverage, speakers.neighbour_gap_s)

    sets = {}
    for name, part, seed in (("train", data.train, config.jitter.seed), ("val", data.val, config.jitter.seed + 1)):
        if part is not None:
            hypotheses = jittered_hypotheses(recordings_of([part]), errors, config.jitter.copies, seed,
                                             config.max_offset_s)
            sets[name] = ExampleSet(name, examples(hypotheses))
    for index, eval_data in enumerate(data.evals):
        if eval_data.hypotheses is None:
            hypotheses = jittered_hypotheses(eval_data.recordings, errors, eval_data.config.copies,
                                             EVAL_SEED + index, config.max_offset_s)
        else:
            hypotheses = [make_hypothesis(rid, rid, duration, eval_data.hypotheses.get(rid), reference,
                                          config.max_offset_s) for rid, duration, reference in eval_data.recordings]
        sets[eval_data.name] = ExampleSet(eval_data.name, examples(hypotheses), jittered=eval_data.hypotheses is None)
    return sets


def window_grid(config: RefineStudyConfig, rate: float) -> dict:
    """A system's grid: ``rate``, the frames per Transformer token (``patch``, from ``refiner.patch_s``) and the
    frames of a ``window_s`` window, rounded to an even number of tokens (a window is centred on a frame edge)."""
    patch = max(1, int(round(config.refiner.patch_s * rate)))
    return {"rate": float(rate), "patch": patch,
            "window_frames": 2 * patch * max(1, int(round(config.window_s * rate / (2 * patch))))}


def matched_windows(example_set: ExampleSet, system: RefineSystem, window: int) -> BoundaryWindows:
    """The windows of a set's matched boundaries (those with a target), for training and validation."""
    rows = np.flatnonzero(example_set.examples.matched)
    return BoundaryWindows(example_set.examples, example_set.banks[system.name], window, rows)


# -- training -----------------------------------------------------------------------------
@dataclass
class Training:
    system: str
    variant: str
    checkpoint: Path  # the one evaluated: best.ckpt, or last.ckpt without validation
    global_step: int
    train_seconds: float
    parameters: int
    train_windows: int
    val_windows: int
    description: dict  # RefinerModule.describe()
    metrics: list[dict] = field(default_factory=list)


def build_module(config: RefineStudyConfig, variant: str, system: RefineSystem, speaker: Speaker,
                 windows: BoundaryWindows) -> RefinerModule:
    rate = float(system.rate)
    bank = windows.bank
    embedding_dim = (windows.context_dim - 4) // 2
    speakers = {key: value for key, value in asdict(config.speakers).items() if key != "embedding"}
    return VARIANT_MODULES[variant](
        refiner=asdict(config.refiner),
        inputs=[input_record(s, dim, tap) for s, dim, tap in zip(system.sources, bank.dims, system.config.inputs)],
        embedding=input_record(speaker.source, embedding_dim, config.speakers.embedding),
        speakers=speakers, grid=window_grid(config, rate), context_dim=windows.context_dim,
        max_offset_s=config.max_offset_s, system=system.name)


def train_refiner(config: RefineStudyConfig, variant: str, system: RefineSystem, speaker: Speaker,
                  train: BoundaryWindows, val: BoundaryWindows | None, run: TrainingRun) -> bool:
    """Train (or resume) one variant on one system; False in the extra processes of a DDP run."""
    L.seed_everything(config.trainer.seed, workers=True, verbose=False)
    module = build_module(config, variant, system, speaker, train)
    sample = np.random.default_rng(config.trainer.seed).permutation(len(train))[:NORM_SAMPLE_WINDOWS]
    items = [train[int(i)] for i in sample]
    module.fit_input_norm(torch.stack([i["features"] for i in items]), torch.stack([i["mask"] for i in items]))
    data = WindowDataModule(train, val, config.trainer.batch_size, config.trainer.seed, config.trainer.workers)
    return run.fit(module, data, config.trainer, saved_config=config) is not None


def load_refiner(checkpoint: str | Path) -> RefinerModule:
    """The refiner a checkpoint holds (an error naming the file if it holds something else)."""
    module = load_module(checkpoint)
    _check_refiner(module, checkpoint)
    return module


def _check_refiner(module, checkpoint) -> None:
    if not isinstance(module, RefinerModule):
        raise InputError(f"{checkpoint}: not a boundary refiner (it holds a {type(module).__name__})")


def finished_training(run: TrainingRun) -> tuple[Training, RefinerModule]:
    """What the run's checkpoint says about its training, and the refiner it holds (window counts: the study's)."""
    finished, module = run.read()
    _check_refiner(module, finished.checkpoint)
    return Training(module.hparams.system, module.variant, finished.checkpoint, finished.global_step,
                    finished.train_seconds, finished.parameters, 0, 0, module.describe(), finished.metrics), module


# -- evaluation ---------------------------------------------------------------------------
IDENTITY = "unrefined"


@dataclass
class Evaluation:
    """One refiner (or the unrefined hypothesis) on one evaluation set."""

    eval_set: str
    system: str  # "" for the unrefined hypothesis
    variant: str  # IDENTITY for the unrefined hypothesis
    errors: np.ndarray  # signed errors of the matched boundaries after refinement (s)
    change: np.ndarray  # which of them are speaker changes
    der: dict[float, DerComponents]
    refined: dict[str, Turns]

    def metrics(self, kind: str = "all") -> dict:
        """Boundary metrics of ``all`` matched boundaries, those at a speaker ``change``, or the ``other`` ones."""
        if kind == "all":
            return boundary_metrics(self.errors)
        return boundary_metrics(self.errors[self.change if kind == "change" else ~self.change])


def evaluate_set(example_set: ExampleSet, offsets: np.ndarray, system: str, variant: str,
                 collars: list[float]) -> Evaluation:
    """Boundary errors and DER of a set's hypotheses moved by ``offsets`` (zeros: the unrefined hypothesis).

    A matched boundary's error after refinement is where it ended up in the refined RTTM (bounds
    applied, milliseconds) minus the reference boundary it was matched to before refinement.
    """
    examples = example_set.examples
    moved = np.zeros(len(examples))
    for index, hypothesis in enumerate(examples.hypotheses):
        rows = examples.rows_of(index)
        moved[rows] = bounded_times(hypothesis.turns, offsets[rows], hypothesis.duration)
    matched = examples.matched
    refined = apply_offsets(examples, offsets)
    return Evaluation(example_set.name, system, variant, (moved - examples.time - examples.target)[matched],
                      examples.change[matched], der_of(examples, refined, collars), refined)


def der_of(examples: BoundaryExamples, system: dict[str, Turns], collars: list[float]) -> dict[float, DerComponents]:
    """DER components of each hypothesis against its reference over its whole recording, pooled, per collar."""
    reference = {h.name: h.reference for h in examples.hypotheses}
    uem = {h.name: np.array([[0.0, h.duration]]) for h in examples.hypotheses}
    return {c: score(reference, system, uem, collar=c, jer=False, clustering=False).overall.der for c in collars}


def evaluate_all(config: RefineStudyConfig, data: StudyData, sets: dict[str, ExampleSet],
                 modules: list[RefinerModule], progress: bool = True) -> list[Evaluation]:
    """The unrefined hypothesis and every refiner on every evaluation set."""
    results = []
    for example_set in (sets[e.name] for e in data.evals):
        results.append(evaluate_set(example_set, np.zeros(len(example_set.examples)), "", IDENTITY, config.collars))
        for module in modules:
            say(f"evaluating {module.hparams.system} {module.variant} on {example_set.name}", progress)
            offsets, _ = refine_examples(module, example_set.examples, example_set.banks[module.hparams.system])
            results.append(evaluate_set(example_set, offsets, module.hparams.system, module.variant, config.collars))
    return results


# -- the study ----------------------------------------------------------------------------
@dataclass
class StudyResult:
    config: RefineStudyConfig
    data: StudyData
    systems: list[RefineSystem]
    sets: dict[str, ExampleSet]
    trainings: list[Training]
    evaluations: list[Evaluation]


def run_study(config: RefineStudyConfig, out: str | Path, progress: bool = True, evaluate_only: bool = False,
              prepare_only: bool = False) -> StudyResult | None:
    """Train every variant on every system and evaluate them; None after ``prepare_only`` and in the extra
    processes of a DDP run (rank > 0)."""
    out = Path(out)
    data = load_data(config)
    systems, speaker = build_systems(config)
    runs = [(system, variant) for system in systems for variant in config.variants]
    if config.trainer.processes > 1 and len(runs) > 1:
        raise InputError(f"training on {config.trainer.processes} processes takes one system and one variant per "
                         f"command; this config has {len(runs)}")
    folders = {(system.name, variant): TrainingRun(out / "systems" / system.name / variant) for system, variant in runs}
    if evaluate_only:
        for run in folders.values():
            run.require_trained()
    with open_store(config.store) as store:
        sets = prepare(config, data, systems, speaker, store, progress)
    if prepare_only:
        return None
    trainings, modules = [], []
    for system, variant in runs:
        run = folders[system.name, variant]
        if not evaluate_only:
            window = window_grid(config, system.rate)["window_frames"]
            train = matched_windows(sets["train"], system, window)
            val = matched_windows(sets["val"], system, window) if "val" in sets else None
            say(f"training {variant} on {system.name} ({len(train)} boundaries, {window} frames of "
                f"{1000 / system.rate:g} ms)", progress)
            if not train_refiner(config, variant, system, speaker, train, val, run):
                return None
        training, module = finished_training(run)
        training.train_windows = int(sets["train"].examples.matched.sum())
        training.val_windows = int(sets["val"].examples.matched.sum()) if "val" in sets else 0
        trainings.append(training)
        modules.append(module)
    evaluations = evaluate_all(config, data, sets, modules, progress)
    return StudyResult(config, data, systems, sets, trainings, evaluations)


# -- applying a trained refiner -------------------------------------------------------------
@dataclass
class Refined:
    """Hypotheses refined by one checkpoint, and where the recordings have references, the unrefined and
    refined boundary errors and DER (else None)."""

    module: RefinerModule
    turns: dict[str, Turns]
    before: Evaluation | None
    after: Evaluation | None


def refine_hypotheses(checkpoint: str | Path, corpus: str | Path, layout: str | None, hypotheses: list[str],
                      store_path: str | Path, device: str = "cpu", collars: tuple[float, ...] = (0.0, 0.25),
                      progress: bool = True, executor: ExecutorConfig | None = None) -> Refined:
    """Move every boundary of the hypothesis RTTMs (e.g. ``codecprobe diarize`` output) by a trained refiner.

    Every hypothesis file id must be a recording of ``corpus`` (checked before any work); the refiner's
    input taps and speaker embedding are extracted into the store where missing.
    """
    from lhotse import RecordingSet, SupervisionSet

    from codecprobe.data import load_corpus

    module = load_refiner(checkpoint)
    given = read_rttms(hypotheses)
    recordings = load_corpus(str(corpus), layout)
    durations = {r.id: r.duration for r in recordings.recordings}
    unknown = sorted(set(given) - set(durations))
    if unknown:
        raise InputError(f"{', '.join(map(str, hypotheses))}: file id {unknown[0]!r} is no recording of {corpus} "
                         f"({len(unknown)} such)")
    if not given:
        raise InputError(f"{', '.join(map(str, hypotheses))}: no hypothesis turns")
    references = {}
    for segment in recordings.supervisions:
        if segment.speaker is not None and segment.recording_id in given:
            references.setdefault(segment.recording_id, []).append(segment)
    subset = dataclasses.replace(recordings, whole_recordings=True, supervisions=SupervisionSet.from_segments([]),
                                 recordings=RecordingSet.from_recordings(r for r in recordings.recordings
                                                                         if r.id in given))
    inputs = module.input_encoders(device)
    embedding = module.embedding_encoder(device)
    with open_store(store_path) as store:
        extract_inputs([(recordings.name, subset)], inputs + [embedding], store, progress, executor)
        ids = sorted(given)
        bank = refiner_bank(store, [source for _, source in inputs], module.frame_rate,
                            [(rid, durations[rid]) for rid in ids], progress)
        tracks = embedding_tracks(store, embedding[1], ids)
    max_offset = module.hparams.max_offset_s
    made = [make_hypothesis(rid, rid, durations[rid], given[rid], reference_turns(rid, references.get(rid)),
                            max_offset) for rid in ids]
    examples = build_examples(made, tracks, **module.hparams.speakers)
    offsets, turns = refine_examples(module, examples, bank)
    if not references:
        return Refined(module, turns, None, None)
    example_set = ExampleSet(recordings.name, examples, {module.hparams.system: bank}, jittered=False)
    return Refined(module, turns, evaluate_set(example_set, np.zeros(len(examples)), "", IDENTITY, list(collars)),
                   evaluate_set(example_set, offsets, module.hparams.system, module.variant, list(collars)))


def reference_turns(recording_id: str, segments: list | None) -> Turns | None:
    return Turns.from_supervisions(segments)[recording_id] if segments else None


def say(message: str, progress: bool) -> None:
    if progress:
        print(message, file=sys.stderr)


# -- what is saved ------------------------------------------------------------------------
KINDS = ("all", "change", "other")  # every matched boundary; those at a speaker change; the rest


def write_refine(result: StudyResult, out: str | Path):
    """Write the refined RTTMs and the figures, draw the gates, save ``results.json`` and write the report."""
    from codecprobe.refine.figures import draw
    from codecprobe.refine.results import CONTROL_NOTE, RefineResult
    from codecprobe.report import provenance, slug
    from codecprobe.report.results import write_study
    from codecprobe.data.rttm import write_rttm

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    labels = {(t.system, t.variant): t for t in result.trainings}
    evaluations = [_evaluation_record(e, labels.get((e.system, e.variant))) for e in result.evaluations]
    for e in result.evaluations:
        name = IDENTITY if e.variant == IDENTITY else f"{e.system}-{e.variant}"
        write_rttm(out / "rttm" / slug(e.eval_set) / f"{slug(name)}.rttm", e.refined)
    names = [e.name for e in result.data.evals]
    gates = [_gate(result.config, name, [r for r in evaluations if r["eval_set"] == name]) for name in names]
    saved = RefineResult(refiners=[_refiner_record(t) for t in result.trainings], evaluations=evaluations,
                         gates=gates, data=_data(result), control_note=CONTROL_NOTE, figures=draw(result, out),
                         config=result.config, provenance=provenance(("lightning",)))
    write_study(saved, out)
    return saved


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


def _gate(config: RefineStudyConfig, name: str, rows: list[dict]) -> dict:
    """The seed's gate on the trained-encoder refiner that lowers the MAE most (controls do not count)."""
    from codecprobe.refine.metrics import improvement

    [baseline] = [r for r in rows if r["variant"] == IDENTITY]
    for row in rows:
        row["mae_change_pct"] = improvement(baseline["boundaries"]["all"], row["boundaries"]["all"])
    candidates = [r for r in rows if r["variant"] != IDENTITY and not r["control"] and r["mae_change_pct"] is not None]
    best = max(candidates, key=lambda r: r["mae_change_pct"], default=None)
    value = best["mae_change_pct"] if best else None
    return {"eval_set": name, "best": f"{best['system']} {best['variant']}" if best else None,
            "improvement_pct": value, "verdict": config.gate.verdict(value) if best else "n/a (no trained refiner)"}


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
