"""Every knob of ``codecprobe structure`` with its default, in one typed config.

Load with :func:`codecprobe.config.load_config` (defaults, then a YAML file, then
``key=value`` overrides such as ``lags=[1]`` or ``thresholds.variance_ratio=0.5``); the
merged config is saved beside every report. The defaults are seed 004's Phase 0
(``configs/phase0.yaml`` of the seed): a window of 8 frames, lags 1, 2 and 4, the three
conditioning schemes, clusters of at least 100 training frames, and its decision thresholds.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from codecprobe.errors import InputError
from codecprobe.store import DEFAULT_STORE


@dataclass
class EncoderChoice:
    """One encoder of the study and the taps to analyse (several encoders: Tier 1 Exp 3)."""

    encoder: str = "mimi"
    taps: list[str] = field(default_factory=list)  # empty: the encoder's default taps
    weights: str | None = None
    random_init: bool = False
    seed: int = 0  # seed of random_init weights
    encoder_options: dict = field(default_factory=dict)  # the encoder's settings (--encoder-opt key=value)


@dataclass
class SchemeConfig:
    """One way to turn a context window into a discrete key.

    ``mean_vq``: the window's frames averaged, then k-means with ``clusters`` centroids.
    ``pca_vq``: the window flattened, PCA to ``pca_dims``, then k-means.
    ``pca_bins``: the window flattened, PCA to ``pca_dims``, each component cut into ``bins``
    equal-count bins (quartiles for 4); the key is the tuple of bin indices (``bins ** pca_dims`` keys).
    """

    name: str = "mean_vq64"
    kind: Literal["mean_vq", "pca_vq", "pca_bins"] = "mean_vq"
    clusters: int = 64
    pca_dims: int = 8
    bins: int = 4


def _seed_schemes() -> list[SchemeConfig]:
    return [SchemeConfig("mean_vq64", "mean_vq", clusters=64),
            SchemeConfig("pca8_vq256", "pca_vq", clusters=256, pca_dims=8),
            SchemeConfig("pca8_quartile", "pca_bins", pca_dims=8, bins=4)]


@dataclass
class KMeansConfig:
    """k-means of the ``*_vq`` schemes and of the dynamics codebook (entropy)."""

    backend: Literal["faiss", "sklearn"] = "faiss"  # sklearn: the reference implementation, slower
    iterations: int = 25  # Lloyd iterations (faiss niter; sklearn max_iter)
    restarts: int = 1  # faiss nredo / sklearn n_init; the best objective is kept


@dataclass
class Thresholds:
    """Seed 004's decision criteria; a scheme passes when every one holds at the first lag."""

    variance_ratio: float = 0.6  # within-cluster / total variance of the dynamics, train and held-out
    cross_speaker_degradation: float = 0.20  # relative loss of explained variance on held-out speakers
    confound_margin: float = 0.05  # the confound slices may reach variance_ratio + this
    random_tolerance: float = 0.05  # the random-assignment baseline must lie within 1 +- this
    max_excluded_mass: float = 0.10  # share of frames in clusters below min_cluster_size ("too fine")


@dataclass
class StructureConfig:
    # data: every speaker-labelled corpus is pooled; speakers are split per corpus
    corpora: list[str] = field(default_factory=list)
    layout: str | None = None  # one layout for every corpus; None: guessed per corpus
    train_fraction: float = 0.8  # share of each corpus's speakers the conditioning is fitted on (seed: 200/251)
    split_seed: int = 0
    # encoders
    encoders: list[EncoderChoice] = field(default_factory=lambda: [EncoderChoice()])
    device: str = "cpu"
    control: bool = True  # also run a trained neural encoder with seeded random weights
    control_seed: int = 0
    store: str = DEFAULT_STORE
    # frame dataset
    window: int = 8  # context frames, ending at the anchor frame t
    lags: list[int] = field(default_factory=lambda: [1, 2, 4])  # the first lag decides
    dynamics: Literal["displacement", "velocity"] = "displacement"  # z[t+k]-z[t], or z[t+k]-z[t+k-1] (seed's stale context)
    high_energy_quantile: float = 0.5  # high-energy slice: frames above this quantile of training-frame energy
    medial_range: list[float] = field(default_factory=lambda: [0.17, 0.83])  # utterance-medial slice (position)
    # conditioning
    schemes: list[SchemeConfig] = field(default_factory=_seed_schemes)
    fit_frames: int = 20000  # seeded sample of training anchors that PCA, k-means and bins are fitted on
    kmeans: KMeansConfig = field(default_factory=KMeansConfig)
    min_cluster_size: int = 100  # clusters with fewer training frames are excluded (mass reported)
    dynamics_codebook: int = 64  # k-means codes of the dynamics for the entropy reduction
    entropy_smoothing: float = 0.5  # additive (Krichevsky-Trofimov) smoothing of code counts
    # statistics
    bootstrap: int = 1000  # resamples of utterances for the confidence intervals
    confidence: float = 0.95
    seed: int = 0  # fit sample, k-means, random baseline, bootstrap
    threads: int = 1  # BLAS and faiss threads while analysing (0: the libraries' defaults); see analysis.py
    thresholds: Thresholds = field(default_factory=Thresholds)

    def check(self) -> None:
        """Refuse values that cannot work, before any extraction."""
        problems = []
        if not self.corpora:
            problems.append("no corpus given (corpora / --corpus)")
        if not 0 < self.train_fraction < 1:
            problems.append(f"train_fraction must lie in (0, 1), got {self.train_fraction}")
        if not self.encoders:
            problems.append("no encoder given")
        if self.window < 1:
            problems.append(f"window must be >= 1, got {self.window}")
        if not self.lags or min(self.lags) < 1:
            problems.append(f"lags must be >= 1, got {self.lags}")
        if not 0 < self.high_energy_quantile < 1:
            problems.append(f"high_energy_quantile must lie in (0, 1), got {self.high_energy_quantile}")
        if len(self.medial_range) != 2 or not 0 <= self.medial_range[0] < self.medial_range[1] <= 1:
            problems.append(f"medial_range must be [low, high] within [0, 1], got {self.medial_range}")
        if not self.schemes:
            problems.append("no conditioning scheme")
        if len({s.name for s in self.schemes}) != len(self.schemes):
            problems.append("scheme names must be distinct")
        for s in self.schemes:
            if s.kind != "pca_bins" and s.clusters < 2:
                problems.append(f"scheme {s.name}: clusters must be >= 2")
            if s.kind != "mean_vq" and s.pca_dims < 1:
                problems.append(f"scheme {s.name}: pca_dims must be >= 1")
            if s.kind == "pca_bins" and (s.bins < 2 or s.bins ** s.pca_dims > 2 ** 62):
                problems.append(f"scheme {s.name}: bins must be >= 2 and bins ** pca_dims fit in 62 bits")
        if self.fit_frames < 2:
            problems.append("fit_frames must be >= 2")
        if self.dynamics_codebook < 2:
            problems.append("dynamics_codebook must be >= 2")
        if self.min_cluster_size < 1:
            problems.append("min_cluster_size must be >= 1")
        if self.entropy_smoothing <= 0:
            problems.append("entropy_smoothing must be > 0")
        if self.bootstrap < 10:
            problems.append("bootstrap must be >= 10 resamples")
        if not 0 < self.confidence < 1:
            problems.append(f"confidence must lie in (0, 1), got {self.confidence}")
        if problems:
            raise InputError("structure config: " + "; ".join(problems))
