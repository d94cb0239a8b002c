"""Every knob of ``codecprobe nextlatent`` (seed 004 Tier 1 Exp 1, 2 and 3), with its default.

Load with :func:`codecprobe.config.load_config` (defaults, a YAML file, then ``key=value``
overrides such as ``trainer.max_steps=2000`` or ``model.hidden=1024``). The data split,
the context window and the injected key are Phase 0's (``codecprobe structure``), so the two
studies' numbers are about the same frames and keys.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from codecprobe.config import ConfigError
from codecprobe.encoders.spec import EncoderSpec
from codecprobe.store import DEFAULT_STORE
from codecprobe.structure.config import KMeansConfig, SchemeConfig
from codecprobe.train.config import TrainerConfig

SYSTEMS = ("gaussian", "vmf", "vmf+key", "vmf+random_key")


@dataclass
class ModelConfig:
    """The next-latent network: an MLP over the flattened context window, and its output head.

    ``gaussian`` heads predict a mean and a per-dimension log variance (within
    ``log_variance``); ``vmf`` heads a unit mean direction, a concentration ``log kappa``
    (within ``log_kappa``) and the mean and ``log sigma`` (within ``log_sigma``) of the
    log-magnitude (the seed's bounds). ``key_dims``: the width of the injected key's embedding.
    """

    hidden: int = 512
    layers: int = 2
    dropout: float = 0.0
    key_dims: int = 16
    log_kappa: list[float] = field(default_factory=lambda: [-2.0, 12.0])
    log_sigma: list[float] = field(default_factory=lambda: [-5.0, 2.0])
    log_variance: list[float] = field(default_factory=lambda: [-12.0, 6.0])

    def __post_init__(self) -> None:
        if self.hidden < 1 or self.layers < 1 or self.key_dims < 1 or not 0 <= self.dropout < 1:
            raise ConfigError("model: hidden, layers and key_dims must be >= 1 and dropout in [0, 1)")
        for name in ("log_kappa", "log_sigma", "log_variance"):
            bounds = getattr(self, name)
            if len(bounds) != 2 or not bounds[0] < bounds[1]:
                raise ConfigError(f"model.{name} must be [low, high] with low < high, got {bounds}")


@dataclass
class ShortTraining(TrainerConfig):
    """A run that fits this CPU: about one epoch of Mimi's 12.5 Hz anchors over 2 hours of speech.

    Its own defaults, not a ``TrainerConfig`` built with other values: a config that sets any one
    trainer key (``--set trainer.max_steps=25000``) builds the section from the class's defaults,
    so these must be the class's.
    """

    max_steps: int = 600
    batch_size: int = 128
    warmup_steps: int = 50
    val_every_steps: int | None = 200
    checkpoint_every_steps: int = 200
    threads: int | None = 1


@dataclass
class NextLatentConfig:
    # data: Phase 0's pooled corpora and per-corpus speaker split
    corpora: list[str] = field(default_factory=list)
    layout: str | None = None
    train_fraction: float = 0.8
    split_seed: int = 0
    val_fraction: float = 0.1  # seeded share of the training utterances that picks the best checkpoint
    # encoders: several are compared on the same held-out utterances (Tier 1 Exp 3)
    encoders: list[EncoderSpec] = field(default_factory=lambda: [EncoderSpec()])
    device: str = "cpu"
    control: bool = True  # also run a trained neural encoder with seeded random weights
    control_seed: int = 0
    store: str = DEFAULT_STORE
    # what is predicted from what
    window: int = 8  # context frames ending at the anchor t
    lag: int = 1  # target: z[t+lag] - z[t] of frames z-scored with training statistics
    systems: list[Literal["gaussian", "vmf", "vmf+key", "vmf+random_key"]] = field(
        default_factory=lambda: list(SYSTEMS))
    # the injected key (Exp 2): a Phase 0 scheme fitted on the training speakers, and its random baseline
    key_scheme: SchemeConfig = field(default_factory=SchemeConfig)  # mean_vq64
    fit_frames: int = 20000
    kmeans: KMeansConfig = field(default_factory=KMeansConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    trainer: ShortTraining = field(default_factory=ShortTraining)
    # statistics
    bootstrap: int = 1000  # resamples of held-out utterances for the intervals
    confidence: float = 0.95
    seed: int = 0  # splits of utterances, keys' fit sample

    def __post_init__(self) -> None:
        problems = []
        if not self.encoders:
            problems.append("no encoder given (encoders / --encoder)")
        if not 0 < self.train_fraction < 1:
            problems.append(f"train_fraction must lie in (0, 1), got {self.train_fraction}")
        if not 0 < self.val_fraction < 1:
            problems.append(f"val_fraction must lie in (0, 1), got {self.val_fraction}")
        if self.window < 1 or self.lag < 1:
            problems.append("window and lag must be >= 1")
        if not self.systems or len(set(self.systems)) != len(self.systems):
            problems.append("systems must name at least one system, each once")
        if self.bootstrap < 10 or not 0 < self.confidence < 1:
            problems.append("bootstrap must be >= 10 and confidence in (0, 1)")
        if problems:
            raise ConfigError("nextlatent config: " + "; ".join(problems))
