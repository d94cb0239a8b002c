"""Phase 0 of seed 004 over one tap of one encoder, streamed in four passes.

Nothing holds the corpus in memory: each pass reads the utterances back from the
:class:`~codecprobe.structure.frames.FrameSource` (the store, shard by shard) and keeps only
sufficient statistics.

1. Training speakers: per-dimension moments of the frames and of each lag's dynamics
   (normalisation), every anchor's energy (the high-energy threshold), and a seeded sample
   of ``fit_frames`` anchors' contexts and dynamics. The schemes (PCA, k-means, bins), their
   random baselines and the dynamics codebooks are fitted on that sample.
2. Training speakers: how many frames each key gets; keys with at least
   ``min_cluster_size`` frames are *effective*, the others are excluded from every metric
   (train and held-out alike; the excluded mass is reported).
3. Training speakers: per key, lag and slice, the sum of the normalised dynamics and the
   counts of the dynamics codes: the prediction rule (the cluster's mean dynamics) and
   ``p(code | key)``.
4. Every speaker: per utterance, squared errors around the key's mean and around the grand
   mean, and code log-losses with and without the key; the metrics and their bootstrap
   intervals over utterances come from these sums (:mod:`codecprobe.structure.metrics`).

BLAS and faiss run on ``config.threads`` threads (default 1): on this project's shared 2-core
machine their spin-waiting threads made a 100-row faiss search 90x, a faiss k-means fit 7x and
a scikit-learn PCA 25x slower with 2 threads than with 1 (measured 2026-11, load ~10). Give
``threads: 0`` on a machine of your own.
"""
from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np
from tqdm.auto import tqdm

from codecprobe.structure import metrics
from codecprobe.structure.conditioning import (Conditioning, FitSample, Normaliser, RunningMoments,
                                               fit_conditioning)
from codecprobe.structure.config import StructureConfig
from codecprobe.structure.frames import FrameSource, Windows, n_anchors

SLICES = ("all", "high_energy", "medial")


@dataclass
class SpeakerSplit:
    """Utterance ids of the training and held-out speakers, and each utterance's speaker."""

    train: list[str]
    eval: list[str]
    speaker: dict[str, str]


@dataclass
class Analysis:
    """Phase 0 for one tap: the fitted conditioning, the per-utterance sums, and what came of them."""

    conditioning: Conditioning
    energy_threshold: float
    sample_size: int
    effective: list[np.ndarray]  # per labeling: keys with >= min_cluster_size training frames
    key_counts: list[np.ndarray]  # per labeling: training frames of each effective key
    sums: metrics.UtteranceSums
    rows: list[dict] = field(default_factory=list)  # metrics per scheme x lag x slice
    speakers: dict[str, dict] = field(default_factory=dict)  # scheme -> split -> speaker -> variance ratio


def analyse(source: FrameSource, split: SpeakerSplit, config: StructureConfig, label: str = "",
            progress: bool = True) -> Analysis:
    """Run the four passes and the metrics for one tap."""
    with compute_threads(config.threads):
        return _analyse(source, split, config, label, progress)


@contextlib.contextmanager
def compute_threads(count: int) -> Iterator[None]:
    """BLAS (threadpoolctl) and faiss (OpenMP) limited to ``count`` threads; 0 leaves them be."""
    import faiss
    from threadpoolctl import threadpool_limits

    if count <= 0:
        yield
        return
    previous = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(count)
    try:
        with threadpool_limits(count):
            yield
    finally:
        faiss.omp_set_num_threads(previous)


def _analyse(source: FrameSource, split: SpeakerSplit, config: StructureConfig, label: str,
             progress: bool) -> Analysis:
    max_lag = max(config.lags)
    counts = source.frame_counts(split.train + split.eval)
    if sum(n_anchors(counts[i], config.window, max_lag) for i in split.train) < 2:
        _too_short(config, "training")
    if sum(n_anchors(counts[i], config.window, max_lag) for i in split.eval) < 1:
        _too_short(config, "held-out")

    def passing(ids: list[str], number: int) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
        return tqdm(source.stream(ids), total=len(ids), disable=not progress, file=sys.stderr, leave=False,
                    desc=f"{label} pass {number}/4", dynamic_ncols=True)

    conditioning, threshold, sample_size = fit_keys(passing(split.train, 1), counts, split.train, config)
    prepare = _AnchorData(conditioning, threshold, config)
    effective, key_counts = _count_keys(prepare, passing(split.train, 2), config)
    rule = _fit_rule(prepare, passing(split.train, 3), effective, config)
    ids = split.train + split.eval
    sums = _utterance_sums(prepare, passing(ids, 4), ids, effective, rule, config)
    analysis = Analysis(conditioning, threshold, sample_size, effective, key_counts, sums)
    metrics.summarise(analysis, split, config)
    return analysis


def _too_short(config: StructureConfig, which: str) -> None:
    from codecprobe.errors import InputError

    raise InputError(f"the {which} speakers' utterances are too short: an anchor needs {config.window} context "
                     f"frames and {max(config.lags)} frames ahead (window={config.window}, lags={config.lags})")


# -- pass 1: normalisation, energy threshold, fit sample ----------------------------------
def fit_keys(stream, counts: dict[str, int], train: list[str],
             config: StructureConfig) -> tuple[Conditioning, float, int]:
    """Pass 1 over the training utterances ``stream``, then everything fitted on its sample: the
    conditioning, the high-energy threshold (dB) and the sample's size. (Tier 1 Exp 2 injects
    these keys into a next-latent model.)"""
    normaliser, sample, threshold = _first_pass(stream, counts, train, config)
    conditioning = fit_conditioning(normaliser, sample, config.schemes, config.kmeans, config.dynamics_codebook,
                                    config.seed)
    return conditioning, threshold, len(sample.flat)


def _first_pass(stream, counts: dict[str, int], train: list[str], config: StructureConfig):
    max_lag = max(config.lags)
    order = sorted(train)
    anchors = np.array([n_anchors(counts[i], config.window, max_lag) for i in order])
    offsets = np.concatenate([[0], np.cumsum(anchors)])
    rng = np.random.default_rng(config.seed)
    chosen = np.sort(rng.choice(offsets[-1], size=min(config.fit_frames, int(offsets[-1])), replace=False))
    # rows of the sample, in (utterance id, anchor) order whatever order the store streams in
    first_row = dict(zip(order, np.searchsorted(chosen, offsets[:-1])))
    picks = {uid: chosen[first_row[uid]:first_row[uid] + n] - offsets[k]
             for k, (uid, n) in enumerate(zip(order, np.diff(np.searchsorted(chosen, offsets)))) if n}

    frame_moments = dynamics_moments = flat = sample_dynamics = None
    energies = []
    for uid, z, energy in stream:
        if frame_moments is None:
            dim = z.shape[1]
            frame_moments = RunningMoments(dim)
            dynamics_moments = {lag: RunningMoments(dim) for lag in config.lags}
            flat = np.empty((len(chosen), config.window * dim), np.float32)  # the only large allocation
            sample_dynamics = {lag: np.empty((len(chosen), dim), np.float32) for lag in config.lags}
        frame_moments.add(z)
        windows = Windows(z, config.window, max_lag)
        for lag in config.lags:
            dynamics_moments[lag].add(windows.dynamics(lag, config.dynamics))
        energies.append(energy[windows.anchors + 1])
        if uid in picks:
            rows = slice(first_row[uid], first_row[uid] + len(picks[uid]))
            chosen_anchors = windows.anchors[picks[uid]]
            flat[rows] = windows.flat_context(chosen_anchors)
            for lag in config.lags:
                sample_dynamics[lag][rows] = windows.dynamics(lag, config.dynamics, chosen_anchors)

    normaliser = Normaliser(frame_moments.mean, frame_moments.std,
                            {lag: m.mean for lag, m in dynamics_moments.items()},
                            {lag: m.std for lag, m in dynamics_moments.items()})
    normaliser.normalise_contexts(flat)
    for lag, dynamics in sample_dynamics.items():
        normaliser.normalise_raw_dynamics(lag, dynamics)
    threshold = float(np.quantile(np.concatenate(energies), config.high_energy_quantile))
    return normaliser, FitSample(flat, sample_dynamics, config.window), threshold


# -- per-utterance anchor data, concatenated into blocks ----------------------------------
@dataclass
class _Block:
    utterance: np.ndarray  # [n] index of each anchor's utterance
    keys: list[np.ndarray]  # per labeling, [n]
    slices: np.ndarray  # [len(SLICES), n] bool
    dynamics: list[np.ndarray]  # per lag, [n, D] normalised (passes 3 and 4)
    codes: list[np.ndarray]  # per lag, [n] dynamics code


class _AnchorData:
    """Turns one utterance into its anchors' keys, slice flags, dynamics and dynamics codes."""

    def __init__(self, conditioning: Conditioning, energy_threshold: float, config: StructureConfig):
        self.conditioning, self.energy_threshold, self.config = conditioning, energy_threshold, config

    def __call__(self, uid: str, z: np.ndarray, energy: np.ndarray, with_dynamics: bool) -> _Block | None:
        config, normaliser = self.config, self.conditioning.normaliser
        windows = Windows(normaliser.frames(z), config.window, max(config.lags))
        anchors = windows.anchors
        if len(anchors) == 0:
            return None
        position = (anchors + 1) / len(z)
        low, high = config.medial_range
        slices = np.stack([np.ones(len(anchors), bool), energy[anchors + 1] > self.energy_threshold,
                           (position >= low) & (position <= high)])
        dynamics, codes = [], []
        if with_dynamics:
            for lag in config.lags:
                d = normaliser.dynamics(lag, windows.dynamics(lag, config.dynamics))
                dynamics.append(d)
                codes.append(self.conditioning.codebooks[lag].predict(d))
        return _Block(np.zeros(len(anchors), np.int64), self.conditioning.keys(uid, windows), slices, dynamics, codes)

    def blocks(self, stream, with_dynamics: bool, index: dict[str, int] | None = None) -> Iterator[_Block]:
        """Anchor data of many utterances in blocks of about a few million values."""
        pending: list[_Block] = []
        size, limit = 0, None
        for uid, z, energy in stream:
            block = self(uid, z, energy, with_dynamics)
            if block is None:
                continue
            if index is not None:
                block.utterance[:] = index[uid]
            limit = limit or max(1024, 4_000_000 // (z.shape[1] * (len(self.config.lags) + 1)))
            pending.append(block)
            size += len(block.utterance)
            if size >= limit:
                yield _concatenate(pending)
                pending, size = [], 0
        if pending:
            yield _concatenate(pending)


def _concatenate(blocks: list[_Block]) -> _Block:
    return _Block(np.concatenate([b.utterance for b in blocks]),
                  [np.concatenate(k) for k in zip(*(b.keys for b in blocks))],
                  np.concatenate([b.slices for b in blocks], axis=1),
                  [np.concatenate(d) for d in zip(*(b.dynamics for b in blocks))],
                  [np.concatenate(c) for c in zip(*(b.codes for b in blocks))])


def _rows(effective: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row of each key among the sorted effective keys, and whether it is effective at all."""
    rows = np.searchsorted(effective, keys)
    clipped = np.minimum(rows, max(len(effective) - 1, 0))
    valid = (rows < len(effective)) & (effective[clipped] == keys) if len(effective) else np.zeros(len(keys), bool)
    return clipped, valid


# -- pass 2: effective keys ---------------------------------------------------------------
def _count_keys(prepare: _AnchorData, stream, config: StructureConfig) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per labeling, the keys with >= min_cluster_size training frames (sorted) and their counts.

    Only keys that occur are counted, so 4^8 quartile cells cost what the data holds."""
    n = len(prepare.conditioning.labelings)
    seen = [(np.zeros(0, np.int64), np.zeros(0, np.int64)) for _ in range(n)]
    for block in prepare.blocks(stream, with_dynamics=False):
        for i, keys in enumerate(block.keys):
            known, counts = seen[i]
            merged, inverse = np.unique(np.concatenate([known, keys]), return_inverse=True)
            weights = np.concatenate([counts, np.ones(len(keys), np.int64)])
            seen[i] = (merged, np.bincount(inverse, weights=weights).astype(np.int64))
    keep = [counts >= config.min_cluster_size for _, counts in seen]
    return [keys[k] for (keys, _), k in zip(seen, keep)], [counts[k] for (_, counts), k in zip(seen, keep)]


# -- pass 3: the prediction rule ----------------------------------------------------------
@dataclass
class _Prediction:
    """What the training speakers' frames in effective keys say, for one labeling, lag and slice."""

    mean: np.ndarray  # [K_eff, D] mean dynamics per key (the grand mean for keys unseen in the slice)
    grand: np.ndarray  # [D]
    log_conditional: np.ndarray  # [K_eff, codes] log p(code | key), smoothed
    log_marginal: np.ndarray  # [codes] log p(code), smoothed


@dataclass
class _Rule:
    predictions: dict[tuple[int, int, int], _Prediction]  # (labeling, lag index, slice index)
    keys_present: np.ndarray  # [labeling, slice] effective keys with >= 1 training frame in the slice


def _fit_rule(prepare: _AnchorData, stream, effective: list[np.ndarray], config: StructureConfig) -> _Rule:
    from scipy.sparse import csr_matrix

    n_codes, slices = config.dynamics_codebook, range(len(SLICES))
    counts = {(i, s): np.zeros(len(e)) for i, e in enumerate(effective) for s in slices}
    sums: dict[tuple[int, int, int], np.ndarray] = {}
    code_counts: dict[tuple[int, int, int], np.ndarray] = {}
    for block in prepare.blocks(stream, with_dynamics=True):
        for i, keys in enumerate(block.keys):
            rows, valid = _rows(effective[i], keys)
            k = len(effective[i])
            for s in slices:
                mask = valid & block.slices[s]
                r = rows[mask]
                counts[i, s] += np.bincount(r, minlength=k)
                onehot = csr_matrix((np.ones(len(r), np.float32), (r, np.arange(len(r)))), shape=(k, len(r)))
                for j, dynamics in enumerate(block.dynamics):
                    added = (onehot @ dynamics[mask]).astype(np.float64)  # float32 within a block only
                    sums[i, j, s] = sums[i, j, s] + added if (i, j, s) in sums else added
                    codes = np.bincount(r * n_codes + block.codes[j][mask], minlength=k * n_codes)
                    code_counts[i, j, s] = code_counts.get((i, j, s), 0) + codes.reshape(k, n_codes)
    alpha = config.entropy_smoothing
    predictions = {}
    for (i, j, s), total in sums.items():
        n, c = counts[i, s], code_counts[i, j, s]
        grand = total.sum(axis=0) / max(n.sum(), 1)
        mean = np.where(n[:, None] > 0, total / np.maximum(n, 1)[:, None], grand)
        predictions[i, j, s] = _Prediction(mean.astype(np.float32), grand.astype(np.float32),
                                           np.log((c + alpha) / (n[:, None] + alpha * n_codes)),
                                           np.log((c.sum(axis=0) + alpha) / (n.sum() + alpha * n_codes)))
    present = np.array([[int((counts[i, s] > 0).sum()) for s in slices] for i in range(len(effective))])
    return _Rule(predictions, present)


# -- pass 4: per-utterance sums -----------------------------------------------------------
def _utterance_sums(prepare: _AnchorData, stream, ids: list[str], effective: list[np.ndarray], rule: _Rule,
                    config: StructureConfig) -> metrics.UtteranceSums:
    index = {uid: i for i, uid in enumerate(ids)}
    values = np.zeros((len(ids), len(effective), len(config.lags), len(SLICES), metrics.N_STATS))
    for block in prepare.blocks(stream, with_dynamics=True, index=index):
        _add_block(values, block, effective, rule)
    return metrics.UtteranceSums(ids, values, rule.keys_present)


def _add_block(values: np.ndarray, block: _Block, effective: list[np.ndarray], rule: _Rule) -> None:
    n_utt = len(values)

    def per_utterance(mask: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(block.utterance[mask], weights=weights, minlength=n_utt)

    for i, keys in enumerate(block.keys):
        rows, valid = _rows(effective[i], keys)
        for s in range(len(SLICES)):
            inside, outside = valid & block.slices[s], ~valid & block.slices[s]
            r = rows[inside]
            values[:, i, :, s, metrics.N_IN] += per_utterance(inside)[:, None]
            values[:, i, :, s, metrics.N_OUT] += per_utterance(outside)[:, None]
            for j, dynamics in enumerate(block.dynamics):
                d, codes, rule_here = dynamics[inside], block.codes[j][inside], rule.predictions[i, j, s]
                values[:, i, j, s, metrics.SSE_WITHIN] += per_utterance(inside, _squared_norms(d - rule_here.mean[r]))
                values[:, i, j, s, metrics.SSE_TOTAL] += per_utterance(inside, _squared_norms(d - rule_here.grand))
                values[:, i, j, s, metrics.LOSS_CONDITIONAL] += per_utterance(
                    inside, -rule_here.log_conditional[r, codes])
                values[:, i, j, s, metrics.LOSS_MARGINAL] += per_utterance(inside, -rule_here.log_marginal[codes])


def _squared_norms(rows: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", rows, rows)
