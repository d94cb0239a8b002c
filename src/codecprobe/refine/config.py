"""Every knob of ``codecprobe refine`` (the boundary-refinement study) with its default, in one typed config.

Load with :func:`codecprobe.config.load_config` (defaults, then a YAML file, then
``key=value`` overrides such as ``trainer.max_steps=500`` or ``jitter.scale_s=0.4``); the
merged config is saved beside the checkpoints and in every report. Values that cannot
work are refused here, before any data is read.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from codecprobe.config import ConfigError
from codecprobe.extract.executor import ExecutorConfig
from codecprobe.store import DEFAULT_STORE
from codecprobe.train.config import TrainerConfig
from codecprobe.train.inputs import InputTap

VARIANTS = ("mlp", "transformer", "diffusion", "contrastive")  # the seed's V1-V4
Variant = Literal["mlp", "transformer", "diffusion", "contrastive"]


@dataclass
class JitterConfig:
    """Synthetic hypotheses: every reference boundary moved by a random error.

    distribution: ``gaussian`` (standard deviation ``scale_s``), ``laplace`` (scale ``scale_s``),
        or ``measured``: errors drawn with replacement from the signed errors in ``measured``, a
        ``boundaries.json`` written by ``codecprobe boundaries`` (the errors a real system makes).
    max_s: errors are drawn again until within this (the matching distance: a boundary moved
        further is not matched back to its reference).
    copies: jittered hypotheses per training recording (each copy its own draws).
    min_turn_s: a turn whose jittered length would fall below this keeps its reference times.
    """

    distribution: Literal["gaussian", "laplace", "measured"] = "gaussian"
    scale_s: float = 0.25
    measured: str | None = None
    max_s: float = 1.0
    copies: int = 4
    min_turn_s: float = 0.05
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.scale_s > 0 or not self.max_s > 0 or self.min_turn_s < 0 or self.copies < 1:
            raise ConfigError("jitter.scale_s and jitter.max_s must be positive, jitter.min_turn_s >= 0 and "
                              "jitter.copies >= 1")
        if (self.distribution == "measured") != (self.measured is not None):
            raise ConfigError("jitter.measured (a boundaries.json) goes with jitter.distribution=measured, and only there")


@dataclass
class SpeakersConfig:
    """Embeddings of the speakers left and right of a boundary, pooled over their turns near it.

    embedding: a speaker-embedding tap (default GE2E partials, 1.6 s each, 2.5 per second).
    context_s: turns within this many seconds of the boundary count.
    min_coverage: embedding frames covered at least this much by the speaker's turns are averaged
        (weighted by coverage); with none, the best-covered one; with no speech at all, absent.
    neighbour_gap_s: the speaker left of an onset is another speaker speaking at the onset or
        having stopped at most this long before it (right of an offset likewise); else silence.
    """

    embedding: InputTap = field(default_factory=lambda: InputTap(encoder="ge2e", tap="partials",
                                                                  options={"partials_rate": 2.5}))
    context_s: float = 3.0
    min_coverage: float = 0.5
    neighbour_gap_s: float = 0.5

    def __post_init__(self) -> None:
        if not self.context_s > 0 or not 0 < self.min_coverage <= 1 or self.neighbour_gap_s < 0:
            raise ConfigError("speakers.context_s must be positive, speakers.min_coverage in (0, 1], "
                              "speakers.neighbour_gap_s >= 0")


@dataclass
class RefinerConfig:
    """Sizes and losses of the four variants (small: each trains in minutes on a CPU).

    d_model, layers, heads, feedforward, dropout: the window Transformer of V2-V4.
    patch_s: the Transformer's token spans this many seconds of frames (4 frames of a 100 Hz tap,
        1 of Mimi's 25 Hz); its heads still score every frame.
    mlp_project, mlp_hidden: V1 projects each frame to ``mlp_project`` dims and flattens the window.
    huber_beta_s: Smooth L1's beta (seconds) for the regressors (V1-V3).
    diffusion_steps, sampling_steps, samples: V3's noise levels in training, DDIM steps and draws
        (their median) at inference.
    temperature: V4's InfoNCE temperature over candidate positions.
    """

    d_model: int = 64
    layers: int = 2
    heads: int = 4
    feedforward: int = 128
    dropout: float = 0.1
    patch_s: float = 0.04
    mlp_project: int = 8
    mlp_hidden: int = 256
    huber_beta_s: float = 0.05
    diffusion_steps: int = 100
    sampling_steps: int = 4
    samples: int = 8
    temperature: float = 1.0

    def __post_init__(self) -> None:
        for name in ("d_model", "layers", "heads", "feedforward", "mlp_project", "mlp_hidden", "diffusion_steps",
                     "sampling_steps", "samples"):
            if getattr(self, name) < 1:
                raise ConfigError(f"refiner.{name} must be >= 1, got {getattr(self, name)}")
        if self.d_model % self.heads or self.d_model % 2:
            raise ConfigError(f"refiner.d_model {self.d_model} must be even and divisible by refiner.heads {self.heads}")
        if not 0 <= self.dropout < 1 or not self.huber_beta_s > 0 or not self.temperature > 0 or not self.patch_s > 0:
            raise ConfigError("refiner.dropout must be in [0, 1), refiner.huber_beta_s, temperature and patch_s "
                              "positive")
        if self.sampling_steps > self.diffusion_steps:
            raise ConfigError("refiner.sampling_steps cannot exceed refiner.diffusion_steps")


@dataclass
class SystemConfig:
    """The frames a refiner reads: one or more encoder taps fused on one grid.

    grid_rate: frames per second of the window (None: the finest rate among the inputs, so a
        100 Hz log-mel keeps its 10 ms resolution and Mimi's 25 Hz SEANet is not interpolated).
    """

    name: str = ""  # default: its inputs, e.g. "logmel" or "lyra-latent+logmel"
    inputs: list[InputTap] = field(default_factory=lambda: [InputTap(encoder="logmel")])
    grid_rate: float | None = None

    def __post_init__(self) -> None:
        if not self.inputs:
            raise ConfigError(f"system {self.name or '?'}: needs at least one input tap")
        if self.grid_rate is not None and not self.grid_rate > 0:
            raise ConfigError(f"system {self.name or '?'}: grid_rate must be positive")


@dataclass
class EvalSet:
    """Recordings with references to evaluate on, pooled under one name.

    hypotheses: RTTM files or folders of a system's output for these recordings (e.g. ``codecprobe
        diarize``); empty: the references jittered (``copies`` hypotheses per recording, drawn from
        ``jitter`` with a seed of their own).
    """

    name: str = ""  # default: the corpus folders' names
    corpora: list[str] = field(default_factory=list)
    layout: str | None = None
    hypotheses: list[str] = field(default_factory=list)
    copies: int = 4

    def __post_init__(self) -> None:
        if not self.corpora:
            raise ConfigError(f"evaluation set {self.name or '?'}: needs at least one corpus")
        if self.copies < 1:
            raise ConfigError(f"evaluation set {self.name or '?'}: copies must be >= 1")


@dataclass
class Gate:
    """Seed 003's Decision Gate 4 on the best variant's reduction of the boundary MAE (percent)."""

    continue_above: float = 10.0
    marginal_above: float = 5.0

    def verdict(self, improvement: float) -> str:
        """The gate's word for an MAE reduction of ``improvement`` percent.

        >>> Gate().verdict(12.0), Gate().verdict(7.5), Gate().verdict(-3.0)
        ('continue', 'marginal', 'stop')
        """
        if improvement > self.continue_above:
            return "continue"
        return "marginal" if improvement >= self.marginal_above else "stop"


def default_trainer() -> TrainerConfig:
    return TrainerConfig(max_steps=1500, batch_size=64, learning_rate=2e-3, warmup_steps=50, val_every_steps=250,
                         checkpoint_every_steps=250, monitor="val/mae", log_every_steps=25)


@dataclass
class RefineStudyConfig:
    # data
    train_corpus: str = ""  # conversations with references (e.g. from `codecprobe simulate`)
    train_layout: str | None = None
    val_corpus: str | None = None  # default: val_fraction of the training recordings (seeded)
    val_layout: str | None = None
    val_fraction: float = 0.1
    split_seed: int = 0
    evals: list[EvalSet] = field(default_factory=list)
    jitter: JitterConfig = field(default_factory=JitterConfig)
    # examples
    window_s: float = 4.0  # frames centred on the hypothesised boundary
    max_offset_s: float = 1.0  # matching distance: a hypothesised boundary further from every reference is unmatched
    speakers: SpeakersConfig = field(default_factory=SpeakersConfig)
    # models
    systems: list[SystemConfig] = field(default_factory=lambda: [SystemConfig()])
    variants: list[Variant] = field(default_factory=lambda: list(VARIANTS))
    refiner: RefinerConfig = field(default_factory=RefinerConfig)
    trainer: TrainerConfig = field(default_factory=default_trainer)
    # extraction
    store: str = DEFAULT_STORE
    device: str = "cpu"
    executor: ExecutorConfig = field(default_factory=ExecutorConfig)  # where extraction runs (docs/scale.md)
    # evaluation
    collars: list[float] = field(default_factory=lambda: [0.0, 0.25])
    gate: Gate = field(default_factory=Gate)

    def __post_init__(self) -> None:
        if not self.window_s > 0 or not 0 < self.max_offset_s < self.window_s / 2:
            raise ConfigError(f"max_offset_s {self.max_offset_s} must be positive and less than half of window_s "
                              f"{self.window_s}: a true boundary must lie inside the window")
        if self.jitter.max_s > self.max_offset_s:
            raise ConfigError(f"jitter.max_s {self.jitter.max_s} exceeds max_offset_s {self.max_offset_s}: such "
                              "boundaries could not be matched back to their reference")
        if not 0 <= self.val_fraction < 1:
            raise ConfigError(f"val_fraction must be in [0, 1), got {self.val_fraction}")
        if not self.systems or not self.variants:
            raise ConfigError("systems and variants: at least one of each")
        if len(set(self.variants)) != len(self.variants):
            raise ConfigError(f"variants: each at most once, got {self.variants}")
        if any(c < 0 for c in self.collars):
            raise ConfigError("collars must be >= 0")
