"""Phase 0's measures, from per-utterance sums, with bootstrap intervals over utterances.

Pass 4 of :mod:`codecprobe.structure.analysis` leaves, for every utterance, key set
(``labeling``: a scheme or its random baseline), lag and slice, six sums over the anchors
whose key is effective: the number of frames in and out of effective keys, the squared error
of the dynamics around the key's mean (``within``) and around the grand mean (``total``), and
the log-loss of the dynamics code with and without the key. Means and code probabilities
come from the training speakers. Every measure is a ratio of such sums, so a bootstrap
resample of utterances is a weighted sum of rows: ``weights [B, U] @ sums [U, ...]``.

- **variance ratio** (training speakers): within / total with degrees of freedom,
  ``(within / (N - K)) / (total / (N - 1))`` for ``K`` key means estimated on these frames, so
  that keys that carry no information give 1.0 in expectation, not ``1 - K/N``.
- **variance ratio** (held-out speakers): within / total, both predictors from the training
  speakers: how much of a new speaker's dynamics the training keys' means explain.
- **entropy reduction**: ``1 - H(code | key) / H(code)`` of the dynamics quantised with a
  k-means codebook; on the training speakers the in-sample (plug-in) value, on the
  held-out speakers a cross-entropy with the training distributions (it can go below 0).
- **cross-speaker degradation**: the share of the training speakers' explained variance
  ``1 - VR`` that the held-out speakers lose: ``(VR_eval - VR_train) / (1 - VR_train)``.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

N_IN, N_OUT, SSE_WITHIN, SSE_TOTAL, LOSS_CONDITIONAL, LOSS_MARGINAL = range(6)
N_STATS = 6
RESAMPLES_PER_CHUNK = 100


@dataclass
class UtteranceSums:
    ids: list[str]
    values: np.ndarray  # [utterances, labelings, lags, slices, N_STATS]
    keys_present: np.ndarray  # [labelings, slices]: key means estimated on the training speakers


def measures(train: np.ndarray, held_out: np.ndarray, keys_present: np.ndarray) -> dict[str, np.ndarray]:
    """Every measure from summed statistics ``[..., labelings, lags, slices, N_STATS]``.

    >>> train = np.array([[[[90.0, 10.0, 40.0, 100.0, 50.0, 100.0]]]])  # N=90, K=10
    >>> held_out = np.array([[[[50.0, 0.0, 30.0, 60.0, 40.0, 50.0]]]])
    >>> m = measures(train, held_out, keys_present=np.array([[10]]))
    >>> round(float(m["variance_ratio_train"][0, 0, 0]), 4)  # (40 / 80) / (100 / 89)
    0.445
    >>> [round(float(m[k][0, 0, 0]), 4) for k in ("variance_ratio_eval", "entropy_reduction_eval", "excluded_mass_train")]
    [0.5, 0.2, 0.1]
    """
    present = keys_present[:, None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        n = train[..., N_IN]
        vr_train = np.where(n - present > 0, (train[..., SSE_WITHIN] / (n - present))
                            / (train[..., SSE_TOTAL] / (n - 1)), np.nan)
        vr_eval = held_out[..., SSE_WITHIN] / held_out[..., SSE_TOTAL]
        explained = 1 - vr_train
        return {
            "frames_train": train[..., N_IN],
            "frames_eval": held_out[..., N_IN],
            "excluded_mass_train": train[..., N_OUT] / (train[..., N_IN] + train[..., N_OUT]),
            "excluded_mass_eval": held_out[..., N_OUT] / (held_out[..., N_IN] + held_out[..., N_OUT]),
            "variance_ratio_train": vr_train,
            "variance_ratio_eval": vr_eval,
            "entropy_reduction_train": 1 - train[..., LOSS_CONDITIONAL] / train[..., LOSS_MARGINAL],
            "entropy_reduction_eval": 1 - held_out[..., LOSS_CONDITIONAL] / held_out[..., LOSS_MARGINAL],
            "cross_speaker_degradation": np.where(explained > 0, (vr_eval - vr_train) / explained, np.nan),
        }


def bootstrap_sums(values: np.ndarray, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Sums over ``resamples`` resamples (with replacement) of the rows of ``values``.

    >>> rows = np.arange(4.0)[:, None]
    >>> sums = bootstrap_sums(rows, 3, np.random.default_rng(0))
    >>> sums.shape, bool(np.all((sums >= 0) & (sums <= 12)))
    ((3, 1), True)
    """
    flat = values.reshape(len(values), -1)
    out = np.empty((resamples, flat.shape[1]))
    uniform = np.full(len(values), 1 / len(values))
    for start in range(0, resamples, RESAMPLES_PER_CHUNK):
        count = min(RESAMPLES_PER_CHUNK, resamples - start)
        out[start:start + count] = rng.multinomial(len(values), uniform, size=count) @ flat
    return out.reshape(resamples, *values.shape[1:])


def summarise(analysis, split, config) -> None:
    """Fill ``analysis.rows`` (every measure with its interval, per scheme x lag x slice) and
    ``analysis.speakers`` (per-speaker variance ratios at the first lag, all frames)."""
    from codecprobe.structure.analysis import SLICES

    sums = analysis.sums
    n_train = len(split.train)
    train, held_out = sums.values[:n_train], sums.values[n_train:]
    point = measures(train.sum(axis=0), held_out.sum(axis=0), sums.keys_present)
    rng = np.random.default_rng([config.seed, 1])
    resampled = measures(bootstrap_sums(train, config.bootstrap, rng), bootstrap_sums(held_out, config.bootstrap, rng),
                         sums.keys_present)
    tail = 100 * (1 - config.confidence) / 2
    with warnings.catch_warnings():  # undefined measures (no frames in a slice) stay NaN, reported as null
        warnings.simplefilter("ignore", RuntimeWarning)
        low = {k: np.nanpercentile(v, tail, axis=0) for k, v in resampled.items()}
        high = {k: np.nanpercentile(v, 100 - tail, axis=0) for k, v in resampled.items()}

    def estimate(key: str, index: tuple) -> dict:
        return {"value": _number(point[key][index]), "ci_low": _number(low[key][index]),
                "ci_high": _number(high[key][index])}

    conditioning = analysis.conditioning
    n_schemes = len(conditioning.schemes)
    analysis.rows = []
    for i, scheme in enumerate(conditioning.schemes):
        random = n_schemes + i
        for j, lag in enumerate(config.lags):
            for s, slice_name in enumerate(SLICES):
                real, baseline = (i, j, s), (random, j, s)
                analysis.rows.append({
                    "scheme": scheme.name, "kind": scheme.config.kind, "lag": lag, "slice": slice_name,
                    "keys": scheme.n_keys, "effective_keys": len(analysis.effective[i]),
                    "frames_train": int(point["frames_train"][real]), "frames_eval": int(point["frames_eval"][real]),
                    "excluded_mass_train": _number(point["excluded_mass_train"][real]),
                    "excluded_mass_eval": _number(point["excluded_mass_eval"][real]),
                    "variance_ratio_train": estimate("variance_ratio_train", real),
                    "variance_ratio_eval": estimate("variance_ratio_eval", real),
                    "cross_speaker_degradation": estimate("cross_speaker_degradation", real),
                    "entropy_reduction_train": estimate("entropy_reduction_train", real),
                    "entropy_reduction_eval": estimate("entropy_reduction_eval", real),
                    "random_variance_ratio_train": estimate("variance_ratio_train", baseline),
                    "random_variance_ratio_eval": estimate("variance_ratio_eval", baseline),
                    "random_entropy_reduction_train": estimate("entropy_reduction_train", baseline),
                    "random_entropy_reduction_eval": estimate("entropy_reduction_eval", baseline),
                })
    analysis.speakers = {scheme.name: {"train": _per_speaker(train[:, i, 0, 0], split.train, split.speaker),
                                       "eval": _per_speaker(held_out[:, i, 0, 0], split.eval, split.speaker)}
                         for i, scheme in enumerate(conditioning.schemes)}


def _per_speaker(values: np.ndarray, ids: list[str], speaker_of: dict[str, str]) -> dict[str, float]:
    """within / total per speaker (the training rule applied to each speaker's frames)."""
    speakers = sorted({speaker_of[i] for i in ids})
    position = {s: k for k, s in enumerate(speakers)}
    index = np.array([position[speaker_of[i]] for i in ids])
    within = np.bincount(index, weights=values[:, SSE_WITHIN], minlength=len(speakers))
    total = np.bincount(index, weights=values[:, SSE_TOTAL], minlength=len(speakers))
    return {s: float(w / t) for s, w, t in zip(speakers, within, total) if t > 0}


def _number(value) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None
