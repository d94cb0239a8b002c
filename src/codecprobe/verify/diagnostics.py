"""The diagnostics of the original Mimi analysis (seed 002) of an embedding space, given
speaker (and text) labels.

All similarities are cosines; distances are Euclidean in the space given.

* **acoustics score**: mean similarity of same-speaker/different-text pairs (intra-voice)
  minus that of same-text/different-speaker pairs (inter-voice). Positive: the space
  follows the voice more than the words (target > 0.10; untrained-analysis baseline -0.09).
  Needs text labels with the same text from several speakers (fsdd is built for it);
  otherwise it is ``None``.
* **separability ratio**: mean distance between speaker centroids over mean distance of
  an utterance from its own speaker's centroid (target > 2.0; WavLM ~3.5-4).
* **consistency**: mean similarity of same-speaker pairs (target > 0.80), reported beside
  the mean similarity of different-speaker pairs: where both are high, every embedding
  points the same way and consistency says nothing about speakers.
* **Fisher ratio** per channel: variance of the speaker means over the mean
  within-speaker variance; which channels carry speaker identity.
* **effective dimensionality**: PCA explained variance: components for 90/95/99 %
  of the variance and the participation ratio ``(sum l)^2 / sum l^2``.

Memory grows with segments x dim, never with pairs: every mean over pairs comes from
per-speaker (and per speaker-and-text) sums of the unit vectors, since the cosines of all
pairs within a group add up to ``(|sum u|^2 - sum |u|^2) / 2``. The same sums give the
bootstrap over speakers (:mod:`codecprobe.verify.bootstrap`) its confidence intervals.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from codecprobe.verify.backends import length_normalize
from codecprobe.verify.bootstrap import MIN_SPEAKERS, percentile_interval, speaker_multiplicities

WITH_INTERVALS = ("acoustics_score", "separability", "consistency")


@dataclass(frozen=True)
class Diagnostics:
    acoustics_score: float | None
    intra_voice: float | None  # same speaker, different text
    inter_voice: float | None  # different speaker, same text
    separability: float
    consistency: float  # mean cosine of same-speaker pairs
    different_speakers: float  # mean cosine of different-speaker pairs
    fisher: np.ndarray  # per channel
    explained_variance_ratio: np.ndarray
    n_segments: int
    n_speakers: int
    intervals: dict[str, list[float] | None] = field(default_factory=dict)  # bootstrap over speakers

    def effective_dims(self, fraction: float) -> int:
        """Principal components needed to explain ``fraction`` of the variance."""
        return int(np.searchsorted(np.cumsum(self.explained_variance_ratio), fraction - 1e-12) + 1)

    @property
    def participation_ratio(self) -> float:
        ratio = self.explained_variance_ratio
        return float(ratio.sum() ** 2 / (ratio**2).sum())

    def summary(self, top: int = 10) -> dict:
        return {
            "acoustics_score": self.acoustics_score, "intra_voice": self.intra_voice, "inter_voice": self.inter_voice,
            "separability": self.separability, "consistency": self.consistency,
            "different_speaker_similarity": self.different_speakers,
            "fisher_mean": float(self.fisher.mean()), "fisher_max": float(self.fisher.max()),
            "fisher_top_channels": np.argsort(-self.fisher)[:top].tolist(),
            "dims_90": self.effective_dims(0.90), "dims_95": self.effective_dims(0.95),
            "dims_99": self.effective_dims(0.99), "participation_ratio": self.participation_ratio,
            "n_segments": self.n_segments, "n_speakers": self.n_speakers,
            "intervals": self.intervals,
        }


def diagnose(X: np.ndarray, speakers, texts=None, replicates: int = 0, confidence: float = 0.95,
             seed: int = 0) -> Diagnostics:
    """Diagnostics of embeddings ``X [n, d]`` with a speaker (and optionally text) per row.

    With ``replicates > 0`` and at least 3 speakers, the acoustics score, separability and
    consistency get a ``confidence`` interval from that many bootstrap replicates over speakers.
    """
    X = np.asarray(X, dtype=np.float64)
    speaker_index = np.unique(np.asarray(speakers), return_inverse=True)[1].reshape(-1)
    if speaker_index.max() < 1:
        raise ValueError("diagnostics need at least two speakers")
    text_index = None
    if texts is not None and all(t is not None for t in texts):
        text_index = np.unique(np.asarray(texts), return_inverse=True)[1].reshape(-1)
    pairs = _PairSums(X, speaker_index, text_index)
    if not pairs.same_pairs.sum():
        raise ValueError("diagnostics need at least one speaker with two segments")

    point = pairs.statistics(np.ones(pairs.n_speakers))
    intervals = {}
    if replicates > 0 and pairs.n_speakers >= MIN_SPEAKERS:
        draws = [pairs.statistics(m) for m in speaker_multiplicities(pairs.n_speakers, replicates, seed)]
        intervals = {key: percentile_interval([np.nan if d[key] is None else d[key] for d in draws], confidence)
                     for key in WITH_INTERVALS if point[key] is not None}
    return Diagnostics(
        acoustics_score=point["acoustics_score"], intra_voice=point["intra_voice"], inter_voice=point["inter_voice"],
        separability=point["separability"], consistency=point["consistency"],
        different_speakers=point["different_speakers"],
        fisher=fisher_ratio(X, speaker_index), explained_variance_ratio=explained_variance_ratio(X),
        n_segments=len(X), n_speakers=pairs.n_speakers, intervals=intervals,
    )


class _PairSums:
    """Per-group sums from which every pair statistic follows, for any weighting of the speakers.

    Groups are speakers and, with texts, (speaker, text) cells. For a group G of unit
    vectors, ``sum_{i<j in G} u_i . u_j = (|U_G|^2 - Q_G) / 2`` with ``U_G = sum u`` and
    ``Q_G = sum |u|^2``; pairs across groups follow from the sums of the groups' sums.
    """

    def __init__(self, X: np.ndarray, speaker: np.ndarray, text: np.ndarray | None):
        unit = length_normalize(X)
        norms = np.einsum("ij,ij->i", unit, unit)
        self.n_speakers = int(speaker.max() + 1)
        self.count = np.bincount(speaker, minlength=self.n_speakers).astype(np.float64)
        self.unit_sum = _group_sums(unit, speaker, self.n_speakers)
        self.unit_sum_sq = np.einsum("ij,ij->i", self.unit_sum, self.unit_sum)
        self.same_sum = (self.unit_sum_sq - np.bincount(speaker, norms, self.n_speakers)) / 2
        self.same_pairs = self.count * (self.count - 1) / 2
        # separability: centroid distances and each speaker's summed distance to its centroid
        centroids = _group_sums(X, speaker, self.n_speakers) / self.count[:, None]
        self.within_distance = np.bincount(speaker, np.linalg.norm(X - centroids[speaker], axis=1), self.n_speakers)
        squared = np.einsum("ij,ij->i", centroids, centroids)
        gram = squared[:, None] + squared[None, :] - 2 * centroids @ centroids.T
        self.centroid_distance = np.sqrt(np.maximum(gram, 0.0))
        np.fill_diagonal(self.centroid_distance, 0.0)
        self.cells = None
        if text is not None:
            cell, cell_index = np.unique(speaker * (text.max() + 1) + text, return_inverse=True)
            cell_index = cell_index.reshape(-1)
            cell_speaker, cell_text = cell // (text.max() + 1), cell % (text.max() + 1)
            cell_count = np.bincount(cell_index).astype(np.float64)
            cell_sum = _group_sums(unit, cell_index, len(cell))
            cell_sum_sq = np.einsum("ij,ij->i", cell_sum, cell_sum)
            cell_same = (cell_sum_sq - np.bincount(cell_index, norms, len(cell))) / 2
            by_text = np.argsort(cell_text, kind="stable")  # cells of one text side by side, for reduceat
            self.cells = {
                "speaker": cell_speaker[by_text], "count": cell_count[by_text], "sum": cell_sum[by_text],
                "sum_sq": cell_sum_sq[by_text],
                "text_starts": np.flatnonzero(np.r_[True, np.diff(cell_text[by_text]) != 0]),
                # same speaker and same text, summed per speaker
                "same_sum": np.bincount(cell_speaker, cell_same, self.n_speakers),
                "same_pairs": np.bincount(cell_speaker, cell_count * (cell_count - 1) / 2, self.n_speakers),
            }

    def statistics(self, m: np.ndarray) -> dict:
        """The pair means with speaker s counted ``m[s]`` times (all ones: the statistics themselves)."""
        m = np.asarray(m, dtype=np.float64)
        consistency = _ratio(m @ self.same_sum, m @ self.same_pairs)
        weighted = m @ self.unit_sum
        cross = (weighted @ weighted - (m**2) @ self.unit_sum_sq) / 2
        cross_pairs = ((m @ self.count) ** 2 - (m**2) @ (self.count**2)) / 2
        between = _ratio(m @ self.centroid_distance @ m, m.sum() ** 2 - m @ m)
        within = _ratio(m @ self.within_distance, m @ self.count)
        result = {"consistency": consistency, "different_speakers": _ratio(cross, cross_pairs),
                  "separability": _ratio(between, within), "acoustics_score": None, "intra_voice": None,
                  "inter_voice": None}
        if self.cells is not None:
            c = self.cells
            intra_pairs = m @ (self.same_pairs - c["same_pairs"])
            mc = m[c["speaker"]]
            text_sum = np.add.reduceat(mc[:, None] * c["sum"], c["text_starts"])
            inter_sum = (np.einsum("ij,ij->", text_sum, text_sum) - (mc**2) @ c["sum_sq"]) / 2
            inter_pairs = ((np.add.reduceat(mc * c["count"], c["text_starts"]) ** 2).sum()
                           - (mc**2) @ (c["count"] ** 2)) / 2
            if self._has(intra_pairs) and self._has(inter_pairs):
                intra = (m @ (self.same_sum - c["same_sum"])) / intra_pairs
                inter = inter_sum / inter_pairs
                result.update(acoustics_score=float(intra - inter), intra_voice=float(intra), inter_voice=float(inter))
        return result

    @staticmethod
    def _has(pairs: float) -> bool:
        return pairs > 0.5  # pair counts are whole numbers


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator > 0 else float("nan")


def _group_sums(X: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """``[n_groups, dim]`` sums of the rows of each group (every group non-empty)."""
    order = np.argsort(group, kind="stable")
    starts = np.searchsorted(group[order], np.arange(n_groups))
    return np.add.reduceat(X[order], starts, axis=0)


def fisher_ratio(X: np.ndarray, speaker_index: np.ndarray) -> np.ndarray:
    """Per channel: variance of the speaker means / mean within-speaker variance."""
    n_speakers = int(speaker_index.max() + 1)
    means = _group_sums(X, speaker_index, n_speakers) / np.bincount(speaker_index)[:, None]
    between = means.var(axis=0)
    within = np.stack([X[speaker_index == s].var(axis=0) for s in range(n_speakers)]).mean(axis=0)
    return between / np.where(within > 0, within, np.finfo(float).tiny)


def explained_variance_ratio(X: np.ndarray) -> np.ndarray:
    """PCA explained-variance ratios, largest first (the squared singular values of centred X)."""
    singular = np.linalg.svd(X - X.mean(axis=0), compute_uv=False)
    variance = singular**2
    return variance / variance.sum()
