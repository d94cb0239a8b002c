"""The pipeline behind ``codecprobe nextlatent``: seed 004's Tier 1 Exp 1, 2 and 3 for any encoder taps.

1. Phase 0's data (:func:`codecprobe.structure.data.load_data`: pooled corpora, per-corpus
   speaker split) and every encoder with, beside a trained one, its untrained control; taps are
   checked before any work; the store gets what it lacks.
2. Per encoder role and tap: Phase 0's key scheme (``key_scheme``, default ``mean_vq64``) and its
   random baseline are fitted on the training speakers
   (:func:`codecprobe.structure.analysis.fit_keys`); the frames go into a frame bank; every anchor
   gets its keys.
3. Every system (``gaussian``, ``vmf``, ``vmf+key``, ``vmf+random_key``) is trained with
   :class:`codecprobe.train.run.TrainingRun` (checkpoints, resume, the best validation checkpoint kept) on the
   training speakers' anchors, and its negative log-likelihood is summed per held-out utterance,
   beside an unconditional diagonal Gaussian fitted on the training targets.
4. NLL per frame and paired differences (Exp 1: vMF against Gaussian; Exp 2: what the key, and a
   random key, take off the NLL), each with a bootstrap interval over held-out utterances.
5. Exp 3 (:mod:`.across`): every run on the held-out utterances they all have anchors in, in
   measures that compare across frame rates and dimensions (per second, per dimension, gains).
"""
from __future__ import annotations

import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import lightning as L
import numpy as np
import torch

from codecprobe.encoders import EncoderIdentity
from codecprobe.errors import InputError
from codecprobe.nextlatent.across import compare_runs
from codecprobe.nextlatent.config import NextLatentConfig
from codecprobe.nextlatent.data import StepWindows
from codecprobe.nextlatent.model import NextLatentModule
from codecprobe.nextlatent.results import estimate as interval
from codecprobe.structure.analysis import compute_threads, fit_keys
from codecprobe.structure.conditioning import Conditioning
from codecprobe.structure.config import StructureConfig
from codecprobe.structure.frames import StoreFrames, Windows
from codecprobe.structure.metrics import bootstrap_sums
from codecprobe.structure.data import RoleTap, StudyData, load_data, plan_encoders
from codecprobe.train import FrameBank, TapSource, WindowDataModule, build_bank, stack_batch
from codecprobe.train.run import TrainingRun

EVAL_BATCH = 512


@dataclass
class SystemRun:
    name: str
    head: str
    key: str  # "" (none), the scheme's name, or "random:<scheme>"
    checkpoint: Path
    global_step: int
    train_seconds: float
    parameters: int
    nll: np.ndarray = field(repr=False)  # [held-out utterances] summed NLL, nats


@dataclass
class TapRun(RoleTap):
    """Tier 1 for one tap of one encoder role; arrays over the held-out utterances (``split.eval``, in order)."""

    frame_rate: float
    dim: int
    control_note: str
    items: dict[str, int]  # anchors in train / val / eval
    frames: np.ndarray = field(repr=False)  # [held-out utterances] anchors
    baseline: np.ndarray = field(repr=False)  # [held-out utterances] NLL of the unconditional Gaussian
    systems: list[SystemRun] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)  # NLL per frame of each system, with intervals
    comparisons: list[dict] = field(default_factory=list)  # paired differences (Exp 1, Exp 2)


@dataclass
class NextLatentResult:
    config: NextLatentConfig
    data: StudyData
    runs: list[TapRun] = field(default_factory=list)
    across: dict = field(default_factory=dict)  # Exp 3: every run on the same utterances (.across.compare_runs)


def run_nextlatent(config: NextLatentConfig, out: str | Path, progress: bool = True) -> NextLatentResult:
    from codecprobe.extract import ensure_extracted
    from codecprobe.store import open_store

    if not config.corpora:
        raise InputError("no corpus given (corpora / --corpus)")
    out = Path(out)
    data = load_data(config.corpora, config.layout, config.train_fraction, config.split_seed)
    plans = plan_encoders(config.encoders, config.device, config.control, config.control_seed)
    _check_distinct(plans)
    result = NextLatentResult(config, data)
    with open_store(config.store) as store:
        for plan in plans:
            for role in plan.roles:
                for corpus in data.corpora:
                    ensure_extracted(corpus, role.encoder, plan.taps, store, progress=progress)
                for tap in plan.taps:
                    result.runs.append(run_tap(store, role.name, role.identity, tap, data, config,
                                               out / "runs" / run_slug(role.identity.encoder, tap, role.name),
                                               progress, plan.control_note))
    result.across = compare_runs(result.runs, data.split.eval, config)
    return result


def run_slug(encoder: str, tap: str, role: str) -> str:
    """A run's name in folders and figure files: ``<encoder>-<tap>-<role>``."""
    return f"{encoder}-{tap}-{role}"


def _check_distinct(plans) -> None:
    """Two runs may not share a checkpoint folder (one would resume the other's training)."""
    seen: dict[str, str] = {}
    for plan in plans:
        for role in plan.roles:
            for tap in plan.taps:
                slug = run_slug(role.identity.encoder, tap, role.name)
                if slug in seen:
                    raise InputError(f"encoders: {role.identity.encoder}:{tap} runs twice as the {role.name} "
                                     f"({seen[slug]} and {role.identity.weights_id}); list each encoder once and "
                                     "let control: true add its untrained control")
                seen[slug] = role.identity.weights_id


def run_tap(store, role: str, identity: EncoderIdentity, tap: str, data: StudyData, config: NextLatentConfig,
            folder: Path, progress: bool = True, control_note: str = "") -> TapRun:
    """Keys, frame bank, every system trained (or resumed) in ``folder/systems/<name>`` and evaluated."""
    split = data.split
    ids = split.train + split.eval
    counts = {i: n for i, n in store.frame_counts(identity, tap).items() if i in set(ids)}
    conditioning = _fit_keys(store, identity, tap, split, counts, config, progress)
    frame_rate = store.frame_rate(identity, tap)
    bank = build_bank(store, [(i, counts[i]) for i in ids], [TapSource(identity, tap)], frame_rate, progress)
    keys = _anchor_keys(bank, conditioning, config)
    normaliser = conditioning.normaliser
    rng = np.random.default_rng(config.seed)
    held = set(rng.permutation(split.train)[:max(1, int(round(config.val_fraction * len(split.train))))].tolist())
    rows = {name: [bank.index(i) for i in part] for name, part in
            (("train", [i for i in split.train if i not in held]), ("val", sorted(held)), ("eval", split.eval))}

    def windows(part: str, which: str | None) -> StepWindows:
        return StepWindows(bank, rows[part], config.window, config.lag, normaliser.frame_mean, normaliser.frame_std,
                           keys[which] if which else None)

    train_set, val_set, eval_set = windows("train", None), windows("val", None), windows("eval", None)
    if len(train_set) < config.trainer.batch_size or len(eval_set) == 0:
        raise InputError(f"{identity.encoder}:{tap}: {len(train_set)} training and {len(eval_set)} held-out anchors "
                         f"(window {config.window}, lag {config.lag}); need at least one batch "
                         f"({config.trainer.batch_size}) and one held-out anchor")
    eval_utterance = np.repeat(np.arange(len(rows["eval"])), eval_set.per_row)
    run = TapRun(role, identity, tap, frame_rate, bank.dim, control_note,
                 {"train": len(train_set), "val": len(val_set), "eval": len(eval_set)},
                 eval_set.per_row.astype(float), _baseline_nll(train_set, eval_set, eval_utterance))
    for system in config.systems:
        head = "gaussian" if system == "gaussian" else "vmf"
        which = {"vmf+key": "scheme", "vmf+random_key": "random"}.get(system)
        key_name = {"scheme": config.key_scheme.name, "random": f"random:{config.key_scheme.name}"}.get(which, "")
        _say(f"{identity.encoder}:{tap} ({role}): training {system}", progress)
        L.seed_everything(config.trainer.seed, workers=True, verbose=False)
        module = NextLatentModule(
            asdict(config.model), bank.dim, config.window, config.lag, head,
            keys=conditioning.schemes[0].n_keys if which else 0, key=key_name,
            inputs=TapSource(identity, tap).describe(), system=system)
        datamodule = WindowDataModule(windows("train", which), windows("val", which), config.trainer.batch_size,
                                      config.trainer.seed, config.trainer.workers)
        training = TrainingRun(folder / "systems" / system)
        trained = training.fit(module, datamodule, config.trainer, saved_config=config)
        finished, best = training.read()
        checkpoint = finished.checkpoint
        nll = _summed_nll(best, windows("eval", which), eval_utterance, len(rows["eval"]))
        run.systems.append(SystemRun(system, head, key_name, checkpoint, trained.global_step, trained.train_seconds,
                                     sum(p.numel() for p in module.parameters()), nll))
    _summarise(run, config)
    return run


def _fit_keys(store, identity, tap, split, counts, config: NextLatentConfig, progress: bool) -> Conditioning:
    """Phase 0's key scheme and its random baseline, fitted on the training speakers' frames."""
    phase0 = StructureConfig(corpora=config.corpora, window=config.window, lags=[config.lag],
                             schemes=[config.key_scheme], fit_frames=config.fit_frames, kmeans=config.kmeans,
                             dynamics_codebook=2,  # fitted with the keys, unused here
                             seed=config.seed)
    source = StoreFrames(store, identity, tap, lambda _, n: np.zeros(n, np.float32))  # energies are not used
    with compute_threads(phase0.threads):
        conditioning, _, _ = fit_keys(source.stream(split.train), counts, split.train, phase0)
    _say(f"{identity.encoder}:{tap}: keys {config.key_scheme.name} fitted", progress)
    return conditioning


def _anchor_keys(bank: FrameBank, conditioning: Conditioning, config: NextLatentConfig) -> dict[str, dict]:
    """Per bank row, the key scheme's and its random baseline's key of every anchor."""
    keys: dict[str, dict] = {"scheme": {}, "random": {}}
    with compute_threads(1):
        for row, uid in enumerate(bank.ids):
            windows = Windows(conditioning.normaliser.frames(bank.frames(row)), config.window, config.lag)
            scheme, random = conditioning.keys(uid, windows)
            keys["scheme"][row], keys["random"][row] = scheme, random
    return keys


def _baseline_nll(train: StepWindows, held_out: StepWindows, utterance: np.ndarray) -> np.ndarray:
    """Per held-out utterance, the NLL of a diagonal Gaussian fitted to the training targets (no context)."""
    targets = np.stack([train[i]["target"].numpy() for i in range(len(train))]).astype(np.float64)
    mean, variance = targets.mean(axis=0), targets.var(axis=0) + 1e-12
    nll = np.array([0.5 * (np.log(2 * np.pi * variance) + (held_out[i]["target"].numpy() - mean) ** 2 / variance).sum()
                    for i in range(len(held_out))])
    return np.bincount(utterance, weights=nll, minlength=int(utterance.max(initial=-1)) + 1)


@torch.no_grad()
def _summed_nll(module: NextLatentModule, items: StepWindows, utterance: np.ndarray, n_utterances: int) -> np.ndarray:
    module.eval()
    values = []
    for start in range(0, len(items), EVAL_BATCH):
        batch = stack_batch([items[i] for i in range(start, min(start + EVAL_BATCH, len(items)))])
        values.append(module.nll(batch).double().numpy())
    return np.bincount(utterance, weights=np.concatenate(values), minlength=n_utterances)


def _summarise(run: TapRun, config: NextLatentConfig) -> None:
    """NLL per frame of every system and the baseline, and the paired differences, with bootstrap intervals."""
    names = ["unconditional gaussian"] + [s.name for s in run.systems]
    per_utterance = np.column_stack([run.frames, run.baseline, *[s.nll for s in run.systems]])
    resampled = bootstrap_sums(per_utterance, config.bootstrap, np.random.default_rng([config.seed, 2]))
    point = per_utterance.sum(axis=0)

    def estimate(value: float, resamples: np.ndarray) -> dict:
        return interval(value, resamples, config.confidence)

    per_frame = point[1:] / point[0]
    resampled_per_frame = resampled[:, 1:] / resampled[:, :1]
    run.rows = [{"system": name, "nll_per_frame": estimate(per_frame[k], resampled_per_frame[:, k]),
                 "nll_per_dim": float(per_frame[k] / run.dim)} for k, name in enumerate(names)]
    pairs = [("context (Gaussian vs unconditional Gaussian)", "unconditional gaussian", "gaussian"),
             ("Exp 1: vMF + LogNormal vs Gaussian", "gaussian", "vmf"),
             (f"Exp 2: key {config.key_scheme.name} injected", "vmf", "vmf+key"),
             ("Exp 2 control: random key injected", "vmf", "vmf+random_key")]
    run.comparisons = []
    for what, before, after in pairs:
        if before in names and after in names:
            a, b = names.index(before), names.index(after)
            run.comparisons.append({"comparison": what, "from": before, "to": after,
                                    "nll_decrease_per_frame": estimate(per_frame[a] - per_frame[b],
                                                                       resampled_per_frame[:, a]
                                                                       - resampled_per_frame[:, b])})


def _say(message: str, progress: bool) -> None:
    if progress:
        print(message, file=sys.stderr)



# -- what is saved ------------------------------------------------------------------------
def write_nextlatent(result: NextLatentResult, out: str | Path):
    """Draw the figures, read each comparison, save ``results.json`` and write the report; the saved summary."""
    from codecprobe.nextlatent.figures import draw
    from codecprobe.nextlatent.results import NextLatentRun, NextLatentSummary, reading
    from codecprobe.report import provenance
    from codecprobe.report.results import write_study

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    runs = [NextLatentRun(
        encoder=run.identity.encoder, role=run.role, weights_id=run.identity.weights_id, trained=run.identity.trained,
        weights=run.identity.weights, settings=run.identity.settings, tap=run.tap, frame_rate=run.frame_rate,
        dim=run.dim, control_note=run.control_note, anchors=run.items, nll=run.rows,
        comparisons=[c | {"reading": reading(c["nll_decrease_per_frame"])} for c in run.comparisons],
        systems=[{"system": s.name, "head": s.head, "key": s.key, "checkpoint": str(s.checkpoint),
                  "global_step": s.global_step, "train_seconds": s.train_seconds, "parameters": s.parameters}
                 for s in run.systems], weights_name=run.identity.weights_name) for run in result.runs]
    summary = NextLatentSummary(runs, result.across,
                                {"corpora": result.data.summary, "split": result.data.description},
                                draw(result, out), result.config, provenance(("lightning",)))
    write_study(summary, out)
    return summary
