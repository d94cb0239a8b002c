"""Every knob of ``codecprobe verify`` / ``diagnose`` with its default, in one typed config.

Load with :func:`codecprobe.config.load_config` (defaults, then a YAML file, then
``key=value`` overrides such as ``thresholds.eer_viable=25`` or ``probe.max_epochs=50``);
the merged config is saved beside every report.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from codecprobe.extract.executor import ExecutorConfig


@dataclass
class Thresholds:
    """The seeds' verdict thresholds (EER in percent)."""

    eer_straightforward: float = 15.0  # seed 000: below this the adapter's job is straightforward
    eer_viable: float = 20.0  # seed 000: below this the adapter is viable
    eer_agnostic: float = 45.0  # at or above: speaker-agnostic (seed 000: "EER ~ 50%")
    control_margin: float = 2.0  # EER points the encoder must beat its untrained control by
    acoustics_score: float = 0.10  # seed 002: intra-voice minus inter-voice similarity
    separability: float = 2.0  # seed 002: inter / intra speaker distance
    consistency: float = 0.80  # seed 002: mean same-speaker cosine


@dataclass
class DetectionCost:
    p_targets: list[float] = field(default_factory=lambda: [0.01, 0.05])
    c_miss: float = 1.0
    c_fa: float = 1.0


@dataclass
class ProbeConfig:
    """Step 0.5's linear layer (see :class:`codecprobe.verify.backends.LinearProbe`)."""

    max_epochs: int = 100
    learning_rate: float = 0.01
    weight_decay: float = 0.0001
    batch_size: int = 1024
    standardize: bool = True


@dataclass
class StudyConfig:
    # data
    corpus: str = ""
    layout: str | None = None
    trials: str | None = None  # VoxCeleb-format trial list, paths relative to the corpus root
    train_corpus: str | None = None  # back-ends are fitted here; else on held-out speakers of corpus
    train_layout: str | None = None
    train_fraction: float = 0.5  # share of speakers held out for fitting when there is no train corpus
    split_seed: int = 0
    max_trials_per_class: int | None = None  # None: every pair of the evaluation segments
    trial_seed: int = 0
    exclude_same_recording: bool = False
    # encoder
    encoder: str = "mimi"
    encoder_options: dict = field(default_factory=dict)  # the encoder's settings (--encoder-opt key=value)
    taps: list[str] = field(default_factory=list)  # empty: the encoder's default taps
    sweep: bool = False  # every tap of the encoder
    weights: str | None = None
    random_init: bool = False
    seed: int = 0
    device: str = "cpu"
    control: bool = True  # also run the same encoder untrained (seeded random weights; lyra: permuted weights)
    control_seed: int = 0
    store: str = "runs/store"
    executor: ExecutorConfig = field(default_factory=ExecutorConfig)  # where extraction runs (local or ray)
    # embeddings and back-ends
    pooling: Literal["mean", "mean+std"] = "mean"
    vad: bool = False  # pool Silero-VAD speech frames only
    vad_threshold: float = 0.5
    backends: list[str] = field(default_factory=lambda: ["cosine", "center"])
    pca_components: int = 64
    lda_components: int | None = None
    asnorm_top_k: int = 300
    probe: ProbeConfig = field(default_factory=ProbeConfig)
    # diagnostics
    max_diagnostic_segments: int = 3000  # seeded sample above this (pairwise matrices grow as n^2)
    # metrics and verdicts
    dcf: DetectionCost = field(default_factory=DetectionCost)
    thresholds: Thresholds = field(default_factory=Thresholds)
