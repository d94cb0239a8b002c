"""Every knob of ``codecprobe verify`` / ``diagnose`` with its default, in one typed config.

Load with :func:`codecprobe.config.load_config` (defaults, then a YAML file, then
``key=value`` overrides such as ``thresholds.eer_viable=25`` or ``probe.max_epochs=50``);
the merged config is saved beside every report.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from codecprobe.encoders.spec import EncoderSpec
from codecprobe.extract.executor import ExecutorConfig
from codecprobe.store import DEFAULT_STORE


@dataclass
class Thresholds:
    """The verdict thresholds, with the values of the original Mimi study (EER in percent).

    The one place they live: reports state them through :meth:`plain_words`, and the README
    states the same lines (a test checks that it does).
    """

    eer_straightforward: float = 15.0  # below: an adapter's job is straightforward
    eer_viable: float = 20.0  # below: enough speaker signal to train an adapter on
    eer_agnostic: float = 45.0  # at or above: speaker-agnostic (chance is 50)
    control_margin: float = 2.0  # EER points a trained encoder must beat its untrained control by
    acoustics_score: float = 0.10  # intra-voice minus inter-voice similarity
    separability: float = 2.0  # centroid distance over distance to the own centroid
    consistency: float = 0.80  # mean same-speaker cosine
    min_eval_speakers: int = 5  # fewer evaluation speakers: no verdict
    min_participation_ratio: float = 1.5  # below: a degenerate space, its ratios carry no verdict

    def plain_words(self, subject: str = "the encoder") -> list[str]:
        """Each threshold as one sentence about ``subject`` (e.g. ``ge2e:utterance``).

        >>> Thresholds().plain_words("mfcc")[0]
        'EER below 15%: speaker identity is so plain in mfcc that an adapter would have a straightforward job.'
        """
        return [
            f"EER below {self.eer_straightforward:g}%: speaker identity is so plain in {subject} that an adapter "
            "would have a straightforward job.",
            f"EER below {self.eer_viable:g}%: {subject} carries enough speaker signal to train an adapter on (viable).",
            f"EER from {self.eer_viable:g}% to {self.eer_agnostic:g}%: a weak speaker signal; at {self.eer_agnostic:g}% "
            f"or more {subject} is speaker-agnostic (chance is 50%).",
            f"A trained encoder must beat its untrained control (the same network with random weights) by "
            f"{self.control_margin:g} EER points; otherwise the architecture and the signal, not training, explain "
            "its EER.",
            f"Acoustics score above {self.acoustics_score:g}: in {subject}, two utterances of one speaker saying "
            "different things are closer (mean cosine) than two speakers saying the same thing, by more than "
            f"{self.acoustics_score:g}.",
            f"Separability above {self.separability:g}: speaker centroids lie more than {self.separability:g} times "
            "farther apart than an utterance lies from its own speaker's centroid.",
            f"Consistency above {self.consistency:g}: two utterances of one speaker have a mean cosine above "
            f"{self.consistency:g} - meaningful only where different speakers score clearly lower.",
            f"Separability and the Fisher ratios carry no verdict where the space is degenerate (participation "
            f"ratio below {self.min_participation_ratio:g}: its variance lies almost all on one direction): they then "
            "measure how speakers spread along that one direction, not whether whole embeddings tell speakers "
            "apart, and can disagree with the EER.",
            f"No verdict on fewer than {self.min_eval_speakers} evaluation speakers: the figures are given (with "
            "their intervals from 3 speakers on), the verdicts withheld; evaluate on more speakers, e.g. every "
            "speaker of the corpus with a separate --train-corpus.",
        ]


@dataclass
class BootstrapConfig:
    """Confidence intervals by bootstrap over speakers (:mod:`codecprobe.verify.bootstrap`)."""

    replicates: int = 200  # 0: no intervals
    confidence: float = 0.95
    seed: int = 0


@dataclass
class DetectionCost:
    p_targets: list[float] = field(default_factory=lambda: [0.01, 0.05])
    c_miss: float = 1.0
    c_fa: float = 1.0


@dataclass
class CalibrationConfig:
    """Linear calibration of every back-end's scores to LLRs (:mod:`codecprobe.verify.calibration`), fitted on
    trials among the training speakers; Cllr and actDCF are computed on the calibrated evaluation scores."""

    max_trials_per_class: int = 20000  # calibration trials drawn among the training segments (seed: trial_seed)
    prior: float = 0.5  # the prior the logistic regression weights targets to
    inverse_penalty: float = 1.0  # C, inverse strength of the L2 penalty on the slope (finite on separable trials)


@dataclass
class ProbeConfig:
    """Step 0.5's linear layer (see :class:`codecprobe.verify.backends.LinearProbe`)."""

    max_epochs: int = 100
    learning_rate: float = 0.01
    weight_decay: float = 0.0001
    batch_size: int = 1024
    standardize: bool = True


@dataclass
class PLDAConfig:
    """The two-covariance PLDA back-end (:class:`codecprobe.verify.plda.TwoCovariancePLDA`)."""

    n_components: int = 64  # reduce to at most this many dims (LDA: and at most training speakers - 1)
    reduction: str = "lda"  # lda (Kaldi's recipe), pca (whitening) or none
    length_norm: bool = True
    n_iter: int = 10  # EM iterations


@dataclass
class WeightedSumConfig:
    """SUPERB's weighted sum over every tap (:class:`codecprobe.verify.heads.WeightedLayerSum`)."""

    layer_norm: bool = True  # layer-normalise each tap's frames first (s3prl's default is False; see docs/verify.md)
    max_epochs: int = 200
    learning_rate: float = 0.01
    weight_decay: float = 0.0001
    batch_size: int = 256


@dataclass
class PoolingHeadConfig:
    """DASB's trained pooling head (:class:`codecprobe.verify.heads.PoolingHead`)."""

    channels: int = 128
    embedding_dim: int = 128
    attentive: bool = True  # attentive statistics pooling; false: plain mean and standard deviation
    margin: float = 0.2  # additive angular margin (radians)
    scale: float = 30.0
    crop_frames: int = 200  # training crop length in frames
    max_epochs: int = 40
    batch_size: int = 32
    learning_rate: float = 0.001
    weight_decay: float = 0.0001


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
    # encoders, side by side in one table (empty taps: each one's primary utterance taps, else its default taps)
    encoders: list[EncoderSpec] = field(default_factory=lambda: [EncoderSpec()])
    # dedicated speaker encoders run beside them as the ceiling rows, without a control ([]: none); one that is
    # also among the encoders runs once, as an encoder
    ceilings: list[EncoderSpec] = field(default_factory=lambda: [EncoderSpec("campplus", ["embedding"]),
                                                                 EncoderSpec("ge2e", ["utterance"])])
    # the encoder's canonical utterance-level preprocessing and primary taps (GE2E: Resemblyzer's silence
    # trimming, tap utterance); encoder settings and taps given here win over it
    canonical_preprocessing: bool = True
    sweep: bool = False  # every tap of each encoder (not of the ceilings)
    device: str = "cpu"
    control: bool = True  # also run the same encoder untrained (seeded random weights; lyra: permuted weights)
    control_seed: int = 0
    store: str = DEFAULT_STORE
    executor: ExecutorConfig = field(default_factory=ExecutorConfig)  # where extraction runs (local or ray)
    # embeddings and back-ends
    pooling: Literal["mean", "mean+std"] = "mean"
    vad: bool = False  # pool Silero-VAD speech frames only
    vad_threshold: float = 0.5
    backends: list[str] = field(default_factory=lambda: ["cosine", "center"])
    # verify: every seeded back-end (probe, weighted-sum, pooling-head) is fitted `seeds` times, with seeds
    # backend_seed .. backend_seed + seeds - 1, and its EER and minDCF reported as mean and std over them;
    # diagnose fits it once, with backend_seed
    seeds: int = 1
    backend_seed: int = 0
    pca_components: int = 64
    lda_components: int | None = None
    asnorm_top_k: int = 300
    probe: ProbeConfig = field(default_factory=ProbeConfig)
    plda: PLDAConfig = field(default_factory=PLDAConfig)
    weighted_sum: WeightedSumConfig = field(default_factory=WeightedSumConfig)
    pooling_head: PoolingHeadConfig = field(default_factory=PoolingHeadConfig)
    # diagnostics
    max_diagnostic_segments: int = 3000  # seeded sample above this (the PCA and Fisher ratio take n x dim each)
    # metrics and verdicts
    dcf: DetectionCost = field(default_factory=DetectionCost)
    calibration: CalibrationConfig = field(default_factory=CalibrationConfig)
    bootstrap: BootstrapConfig = field(default_factory=BootstrapConfig)
    thresholds: Thresholds = field(default_factory=Thresholds)

    def check(self) -> None:
        """Refuse what cannot work, before any encoder is built (one line naming the setting)."""
        from codecprobe.config import ConfigError

        if not self.corpus:
            raise ConfigError("corpus: none given (--corpus, or corpus in --config)")
        if not self.encoders:
            raise ConfigError("encoders: no encoder given (--encoder, or encoders in --config)")
        names = [spec.encoder for spec in self.encoders]
        if twice := sorted({name for name in names if names.count(name) > 1}):
            raise ConfigError(f"encoders: {', '.join(twice)} listed twice; list each encoder once, with all its "
                              "taps (--tap, or NAME:TAP,TAP)")
        if len({spec.encoder for spec in self.ceilings}) < len(self.ceilings):
            raise ConfigError("ceilings: an encoder listed twice; list each ceiling once")
        if self.seeds < 1:
            raise ConfigError(f"seeds (--seeds) must be >= 1, got {self.seeds}")
