"""Every knob of ``codecprobe train`` (the diarization adapter study) with its default, in one typed config.

Load with :func:`codecprobe.config.load_config` (defaults, then a YAML file, then
``key=value`` overrides such as ``trainer.max_steps=500`` or ``adapter.loss=pit``); the
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
from codecprobe.encoders.spec import InputTap


@dataclass
class SystemConfig:
    """One model to train and evaluate: its inputs and, for Mimi, how many top layers train with it.

    unfreeze_layers: k of Mimi's 8 encoder-transformer layers trained with the adapter (the seed's
        Step 1.5, k = 3), plus the downsample; the input must then be Mimi's ``layer{8-k}`` tap (the
        output of the last frozen layer). 0: Mimi frozen.
    mimi_learning_rate: the learning rate of those layers (``trainer.learning_rates.mimi`` overrides it).
    pretrained: a trained window model evaluated as it is, with no adapter and no training:
        ``segmentation`` is pyannote's segmentation-3.0 on each window's audio, its 3 local
        speakers (the most probable powerset class) on the label grid, scored as an adapter's
        outputs are (the trained-segmentation row; :func:`~codecprobe.adapter.evaluate.evaluate_segmentation`).
        Such a system reads audio, not taps: it takes no ``inputs``.
    """

    name: str = ""  # default: its inputs, e.g. "mimi-prequant+ge2e-partials"
    inputs: list[InputTap] = field(default_factory=lambda: [InputTap()])
    unfreeze_layers: int = 0
    mimi_learning_rate: float = 1e-5
    pretrained: Literal["segmentation"] | None = None

    def __post_init__(self) -> None:
        if self.pretrained:
            if self.inputs not in ([], [InputTap()]) or self.unfreeze_layers:
                raise ConfigError(f"system {self.name or self.pretrained}: pretrained: {self.pretrained} reads "
                                  f"audio: give it no inputs and no unfreeze_layers")
            self.inputs = []
            return
        if not self.inputs:
            raise ConfigError(f"system {self.name or '?'}: needs at least one input tap")
        if self.unfreeze_layers:
            expected = "seanet" if self.unfreeze_layers == 8 else f"layer{8 - self.unfreeze_layers}"
            if not 1 <= self.unfreeze_layers <= 8:
                raise ConfigError(f"system {self.name}: unfreeze_layers must be 0-8, got {self.unfreeze_layers}")
            if len(self.inputs) != 1 or self.inputs[0].encoder != "mimi" or self.inputs[0].tap != expected:
                raise ConfigError(f"system {self.name}: unfreezing Mimi's top {self.unfreeze_layers} layers trains "
                                  f"from the output of the last frozen one: one input, mimi tap {expected!r}")
        if not self.mimi_learning_rate > 0:
            raise ConfigError(f"system {self.name}: mimi_learning_rate must be positive")


@dataclass
class AdapterConfig:
    """The adapter (seed 001 Step 1: Linear(D -> 384), 4 Transformer layers, a head over 4 speakers)."""

    d_model: int = 384
    layers: int = 4
    heads: int = 8
    feedforward: int = 1536
    dropout: float = 0.1
    speakers: int = 4  # S: output slots, the most speakers a window can hold
    head: Literal["sigmoid", "powerset"] = "sigmoid"
    max_active: int = 2  # powerset: most speakers at once
    loss: Literal["pit", "sort", "hybrid"] = "hybrid"
    sort_weight: float = 0.5
    pit_weight: float = 0.5
    threshold: float = 0.5  # sigmoid outputs: a speaker is active above this

    def __post_init__(self) -> None:
        for name in ("d_model", "layers", "heads", "feedforward", "speakers", "max_active"):
            if getattr(self, name) < 1:
                raise ConfigError(f"adapter.{name} must be >= 1, got {getattr(self, name)}")
        if self.d_model % self.heads or self.d_model % 2:
            raise ConfigError(f"adapter.d_model {self.d_model} must be even and divisible by adapter.heads {self.heads}")
        if not 0 <= self.dropout < 1 or not 0 < self.threshold < 1:
            raise ConfigError("adapter.dropout must be in [0, 1) and adapter.threshold in (0, 1)")
        if self.head == "powerset" and self.loss != "pit":
            raise ConfigError("the powerset head trains with permutation-invariant NLL: set adapter.loss=pit")
        if self.max_active > self.speakers:
            raise ConfigError(f"adapter.max_active {self.max_active} exceeds adapter.speakers {self.speakers}")
        if self.sort_weight < 0 or self.pit_weight < 0 or self.sort_weight + self.pit_weight == 0:
            raise ConfigError("adapter.sort_weight and pit_weight must be >= 0, not both 0")


@dataclass
class Verdicts:
    """The seed's reading of its numbers ("good VAD, poor speaker ID": FA + miss 4.6 %, confusion ~33 %)."""

    collar: float = 0.25  # the collar the verdict reads
    vad_good: float = 10.0  # FA + miss (% of scored speech) below this: good VAD
    confusion_good: float = 10.0  # confusion below this: good speaker ID
    confusion_poor: float = 25.0  # at or above this: poor speaker ID (between: fair)


@dataclass
class TrainStudyConfig:
    # data
    train_corpus: str = ""  # conversations with references (e.g. from `codecprobe simulate`)
    train_layout: str | None = None
    val_corpus: str | None = None  # default: val_fraction of the training recordings (seeded)
    val_layout: str | None = None
    val_fraction: float = 0.1
    eval_corpora: list[str] = field(default_factory=list)  # held-out recordings with references
    eval_layouts: list[str] = field(default_factory=list)  # none: guessed; one: for every corpus; else one per corpus
    split_seed: int = 0
    # models
    systems: list[SystemConfig] = field(default_factory=lambda: [SystemConfig()])
    adapter: AdapterConfig = field(default_factory=AdapterConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    # frames and windows
    grid_rate: float = 12.5  # Hz: labels and outputs (Mimi prequant's rate)
    window_s: float = 10.0  # training and evaluation window
    window_step_s: float = 5.0  # step between training windows
    # extraction
    store: str = DEFAULT_STORE
    device: str = "cpu"
    executor: ExecutorConfig = field(default_factory=ExecutorConfig)  # where extraction runs (docs/scale.md)
    # evaluation
    collars: list[float] = field(default_factory=lambda: [0.0, 0.25])
    verdicts: Verdicts = field(default_factory=Verdicts)

    def __post_init__(self) -> None:
        if not self.grid_rate > 0:
            raise ConfigError(f"grid_rate must be positive, got {self.grid_rate}")
        if self.window_frames < 1 or not self.window_step_s > 0:
            raise ConfigError(f"window_s {self.window_s} must hold at least one {self.grid_rate:g} Hz frame "
                              f"and window_step_s must be positive")
        if not 0 <= self.val_fraction < 1:
            raise ConfigError(f"val_fraction must be in [0, 1), got {self.val_fraction}")
        if not self.systems:
            raise ConfigError("systems: at least one system to train")
        if len(self.eval_layouts) not in (0, 1, len(self.eval_corpora)):
            raise ConfigError(f"eval_layouts (--eval-layout): give none, one, or one per eval corpus "
                              f"({len(self.eval_corpora)}), not {len(self.eval_layouts)}")
        if any(c < 0 for c in self.collars) or self.verdicts.collar not in self.collars:
            raise ConfigError(f"collars must be >= 0 and include verdicts.collar ({self.verdicts.collar})")

    @property
    def window_frames(self) -> int:
        return int(round(self.window_s * self.grid_rate))

    @property
    def step_frames(self) -> int:
        return max(1, int(round(self.window_step_s * self.grid_rate)))
