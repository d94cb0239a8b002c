"""Every knob of ``codecprobe simulate`` with its default, in one typed config.

Load with :func:`codecprobe.config.load_config` (defaults, then a YAML file, then
``key=value`` overrides such as ``timing.overlap_probability=0.3`` or
``speakers.counts=[2,3]``); :meth:`SimulateConfig.validate` refuses bad values before
any work, and the merged config is saved beside the output as ``config.yaml``.

Where the defaults come from (details in docs/simulate.md):

* speakers per recording 1-4 with equal weights and 10-20 turns per speaker: the EEND recipes
  (Fujita et al. 2019; EEND-EDA's equal-size 1/2/3/4-speaker sets);
* turns cut from utterances (or joined from short ones) with lengths of mean 4 s (AMI's mean
  turn, 4.08 s, measured on its train references), each end of a cut moved to a quiet point so
  that it falls between words; EEND and lhotse use whole utterances (``turns.source: utterance``);
* the conversational timing model and its four parameters (same-speaker pause,
  different-speaker pause, overlap, overlap probability) are lhotse's
  ``ConversationalMeetingSimulator`` (BUT's EEND_dataprep; its overlap probability 0.5 is also
  AMI's); the turn-change probability 0.875 is NeMo's simulator default; the pause and overlap
  means and Gamma shapes are set so that recordings land near NeMo's targets (silence 0.15 of a
  recording, overlap 0.10 of speech; AMI measures 0.165 and 0.134): 0.144 and 0.108 from
  LibriSpeech test-other (40 recordings);
* the independent timing model's mean pauses 2/2/5/9 s for 1-4 speakers and the 5-20 dB noise
  SNR: the EEND recipes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from codecprobe.config import ConfigError


@dataclass
class Distribution:
    """A random quantity (seconds, or dB for gains and SNRs).

    ``fixed``: always ``mean``. ``uniform``: between ``minimum`` and ``maximum``.
    ``exponential``: ``minimum`` plus an exponential, with ``mean`` the mean of the whole.
    ``gamma``: ``minimum`` plus a Gamma of shape ``shape``, with ``mean`` the mean of the whole
    (shape 1 is the exponential; below 1, more short values and a longer tail, as real pauses
    have). ``maximum``, when set, caps exponential and gamma draws (a draw above it becomes it).

    >>> rng = np.random.default_rng(0)
    >>> Distribution("fixed", mean=1.5).draw(rng, 3).tolist()
    [1.5, 1.5, 1.5]
    >>> bool(np.all(Distribution("uniform", minimum=-3, maximum=3).draw(rng, 1000) <= 3))
    True
    >>> round(float(Distribution("gamma", mean=2.0, shape=0.5, minimum=0.5).draw(rng, 200_000).mean()), 1)
    2.0
    """

    kind: Literal["fixed", "uniform", "exponential", "gamma"] = "gamma"
    mean: float = 1.0
    shape: float = 1.0
    minimum: float = 0.0
    maximum: float | None = None

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        if self.kind == "fixed":
            return np.full(size, float(self.mean))
        if self.kind == "uniform":
            return rng.uniform(self.minimum, self.maximum, size)
        shape = 1.0 if self.kind == "exponential" else self.shape
        values = self.minimum + rng.gamma(shape, (self.mean - self.minimum) / shape, size)
        return values if self.maximum is None else np.minimum(values, self.maximum)

    def expected_mean(self) -> float:
        """The mean of a draw (the cap ignored); what the report compares observed means with."""
        return (self.minimum + self.maximum) / 2 if self.kind == "uniform" else self.mean

    def check(self, where: str, nonnegative: bool = True) -> None:
        if self.kind == "uniform":
            if self.maximum is None or self.maximum < self.minimum:
                raise ConfigError(f"{where}: a uniform distribution needs minimum <= maximum "
                                  f"(got {self.minimum}, {self.maximum})")
        elif self.kind != "fixed":
            if not self.mean > self.minimum:
                raise ConfigError(f"{where}: mean ({self.mean}) must be above minimum ({self.minimum})")
            if self.kind == "gamma" and not self.shape > 0:
                raise ConfigError(f"{where}: shape must be > 0 (got {self.shape})")
            if self.maximum is not None and self.maximum <= self.minimum:
                raise ConfigError(f"{where}: maximum ({self.maximum}) must be above minimum ({self.minimum})")
        lowest = self.mean if self.kind == "fixed" else self.minimum
        if nonnegative and lowest < 0:
            raise ConfigError(f"{where}: durations cannot be negative (lowest possible value {lowest})")


@dataclass
class SpeakerConfig:
    """Who speaks: how many per recording, how often, how loud, and which speakers may be used."""

    counts: list[int] = field(default_factory=lambda: [1, 2, 3, 4])  # speakers per recording ...
    count_weights: list[float] = field(default_factory=lambda: [1.0, 1.0, 1.0, 1.0])  # ... drawn with these weights
    min_turns: int = 10  # turns per speaker, a uniform integer in [min_turns, max_turns] (EEND: 10-20)
    max_turns: int = 20
    gain_db: Distribution = field(default_factory=lambda: Distribution("uniform", minimum=-3.0, maximum=3.0))
    include_file: str | None = None  # only these speakers (one id per line, '#' comments)
    exclude_file: str | None = None  # never these (e.g. another simulation's speakers.txt)
    split: Literal["all", "train", "held-out"] = "all"  # a seeded split of the remaining speakers
    held_out_fraction: float = 0.25  # share of speakers in the held-out part of that split
    split_seed: int = 0


@dataclass
class TurnConfig:
    """What one turn is: a whole source utterance, or a cut of one."""

    source: Literal["utterance", "cut"] = "cut"
    cut_duration: Distribution = field(  # source "cut": turn lengths (an utterance shorter than a draw is used whole)
        default_factory=lambda: Distribution("gamma", mean=4.0, shape=1.0, minimum=1.0, maximum=15.0))
    cut_snap: float = 0.25  # each end of a cut moves (at most this many s) to the quietest point near it; 0: none
    join: bool = True  # source "cut": an utterance shorter than the drawn length is followed by the speaker's next
    join_pause: Distribution = field(  # ... after a within-turn pause of this length (the RTTM turn spans it)
        default_factory=lambda: Distribution("uniform", minimum=0.1, maximum=0.4))
    min_duration: float = 0.3  # source utterances (after trimming) shorter than this are not used
    trim_db: float | None = 40.0  # trim leading/trailing audio quieter than the peak by this (librosa); None: keep
    level_dbfs: float = -25.0  # every turn is scaled to this RMS level before the speaker's gain


@dataclass
class TimingConfig:
    """When turns start: pauses, overlaps and turn-taking."""

    model: Literal["conversational", "independent"] = "conversational"
    # conversational (lhotse's ConversationalMeetingSimulator, BUT EEND_dataprep):
    turn_change_probability: float = 0.875  # NeMo: the next turn goes to another speaker
    same_speaker_pause: Distribution = field(default_factory=lambda: Distribution("gamma", mean=1.0, shape=0.8))
    different_speaker_pause: Distribution = field(default_factory=lambda: Distribution("gamma", mean=1.0, shape=0.5))
    overlap_probability: float = 0.5  # a change of speaker overlaps the previous turn with this probability
    overlap: Distribution = field(default_factory=lambda: Distribution("gamma", mean=1.5, shape=0.8))
    max_simultaneous_speakers: int = 2  # lhotse's allow_3fold_overlap=False
    fit_rttm: list[str] = field(default_factory=list)  # RTTM files/folders: fit the five above to them (histograms)
    fit_turn_durations: bool = True  # with fit_rttm: the turn lengths too (they replace turns.cut_duration)
    # independent (lhotse's SpeakerIndependentMeetingSimulator, EEND Algorithm 1): each speaker's
    # turns on their own track, exponential pauses with this mean for 1, 2, 3, 4 speakers (last for more)
    independent_pause_means: list[float] = field(default_factory=lambda: [2.0, 2.0, 5.0, 9.0])


@dataclass
class NoiseConfig:
    """Background noise added to the mixture at a drawn SNR (speech power over the speech regions)."""

    kind: Literal["none", "white", "pink", "brown", "folder"] = "none"
    folder: str | None = None  # kind "folder": audio files of noise (a seeded file and offset per recording)
    snr_db: Distribution = field(default_factory=lambda: Distribution("uniform", minimum=5.0, maximum=20.0))


@dataclass
class SimulateConfig:
    corpora: list[str] = field(default_factory=list)  # corpus folders or manifests (any layout)
    layouts: list[str] = field(default_factory=list)  # none: guessed; one: for every corpus; else one per corpus
    names: list[str] = field(default_factory=list)  # corpus names in speaker ids; none: folder names; else one each
    num_recordings: int = 100
    seed: int = 0
    sampling_rate: int = 16000
    audio_format: Literal["pcm16", "float32"] = "pcm16"  # WAV sample format
    # recordings are <prefix>-000000, <prefix>-000001, ... (a prefix ending in '-' or '_': <prefix>000000);
    # None: sim, sim-train or sim-heldout by speakers.split, so a train and a held-out set never share an id
    recording_prefix: str | None = None
    speakers: SpeakerConfig = field(default_factory=SpeakerConfig)
    turns: TurnConfig = field(default_factory=TurnConfig)
    timing: TimingConfig = field(default_factory=TimingConfig)
    noise: NoiseConfig = field(default_factory=NoiseConfig)

    def validate(self) -> None:
        """Raise :class:`ConfigError` (one line, naming the key) for any value the simulator cannot use."""
        from codecprobe.data.layouts import LAYOUTS

        if not self.corpora:
            raise ConfigError("corpora: give at least one corpus (--corpus DIR)")
        if len(self.layouts) not in (0, 1, len(self.corpora)):
            raise ConfigError(f"layouts: give none, one, or one per corpus ({len(self.corpora)}), "
                              f"not {len(self.layouts)}")
        if self.names and len(self.names) != len(self.corpora):
            raise ConfigError(f"names: give none or one per corpus ({len(self.corpora)}), not {len(self.names)}")
        for layout in self.layouts:
            if layout not in LAYOUTS:
                raise ConfigError(f"layouts: unknown layout {layout!r}; known: {', '.join(LAYOUTS)}")
        _require(self.num_recordings >= 0, "num_recordings", "must be >= 0", self.num_recordings)
        _require(self.sampling_rate >= 1000 and self.sampling_rate % 1000 == 0, "sampling_rate",
                 "must be a multiple of 1000 Hz (every RTTM boundary, in whole ms, then falls on a sample)",
                 self.sampling_rate)
        _require(self.recording_prefix is None or (bool(self.recording_prefix) and all(
                     c.isalnum() or c in "_-" for c in self.recording_prefix)),
                 "recording_prefix", "must be letters, digits, '_' or '-' (RTTM ids hold no dots or spaces)",
                 self.recording_prefix)
        speakers = self.speakers
        _require(bool(speakers.counts) and len(speakers.counts) == len(speakers.count_weights),
                 "speakers.counts", "needs one weight per count in speakers.count_weights",
                 f"{speakers.counts} / {speakers.count_weights}")
        _require(all(c >= 1 for c in speakers.counts), "speakers.counts", "must be >= 1", speakers.counts)
        _require(all(w >= 0 for w in speakers.count_weights) and sum(speakers.count_weights) > 0,
                 "speakers.count_weights", "must be >= 0 and not all 0", speakers.count_weights)
        _require(1 <= speakers.min_turns <= speakers.max_turns, "speakers.min_turns",
                 "needs 1 <= min_turns <= max_turns", f"{speakers.min_turns}, {speakers.max_turns}")
        speakers.gain_db.check("speakers.gain_db", nonnegative=False)
        _require(0 < speakers.held_out_fraction < 1, "speakers.held_out_fraction", "must be between 0 and 1",
                 speakers.held_out_fraction)
        turns = self.turns
        turns.cut_duration.check("turns.cut_duration")
        _require(turns.min_duration > 0, "turns.min_duration", "must be > 0", turns.min_duration)
        _require(turns.cut_snap >= 0, "turns.cut_snap", "must be >= 0", turns.cut_snap)
        turns.join_pause.check("turns.join_pause")
        _require(turns.trim_db is None or turns.trim_db > 0, "turns.trim_db", "must be > 0 or null", turns.trim_db)
        timing = self.timing
        for name in ("turn_change_probability", "overlap_probability"):
            value = getattr(timing, name)
            _require(0 <= value <= 1, f"timing.{name}", "must be a probability in [0, 1]", value)
        for name in ("same_speaker_pause", "different_speaker_pause", "overlap"):
            getattr(timing, name).check(f"timing.{name}")
        _require(not timing.fit_rttm or timing.model == "conversational", "timing.fit_rttm",
                 "fits the conversational model; timing.model is 'independent'", timing.fit_rttm)
        _require(timing.max_simultaneous_speakers >= 1, "timing.max_simultaneous_speakers", "must be >= 1",
                 timing.max_simultaneous_speakers)
        _require(bool(timing.independent_pause_means) and all(m > 0 for m in timing.independent_pause_means),
                 "timing.independent_pause_means", "must be one or more means > 0", timing.independent_pause_means)
        _require(self.noise.kind != "folder" or bool(self.noise.folder), "noise.folder",
                 "is needed when noise.kind is 'folder'", self.noise.folder)
        self.noise.snr_db.check("noise.snr_db", nonnegative=False)

    def recording_id(self, index: int) -> str:
        """The id of recording ``index``.

        >>> SimulateConfig().recording_id(7), SimulateConfig(recording_prefix="test-").recording_id(7)
        ('sim-000007', 'test-000007')
        """
        split = {"all": "", "train": "-train", "held-out": "-heldout"}[self.speakers.split]
        prefix = f"sim{split}" if self.recording_prefix is None else self.recording_prefix
        return f"{prefix}{'' if prefix.endswith(('-', '_')) else '-'}{index:06d}"

    def identity(self) -> dict:
        """What fixes the content of recording i: everything but how many recordings are made."""
        from codecprobe.config import config_to_dict

        return {key: value for key, value in config_to_dict(self).items() if key != "num_recordings"}


def _require(ok: bool, key: str, rule: str, value) -> None:
    if not ok:
        raise ConfigError(f"{key}: {rule} (got {value})")
