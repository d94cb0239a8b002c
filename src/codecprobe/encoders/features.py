"""Hand-made baselines: log-mel filterbanks and MFCCs (librosa, 16 kHz).

They answer "how much speaker identity is there before any learning?". Both are
computed with librosa's own functions; every parameter sits in a config dataclass
and in :meth:`identity`'s settings. Frames are centred (``center=True``, zero
padding): frame i is centred on ``i * hop`` seconds and there are
``1 + len(audio) // hop_samples`` of them.

Log is ``10 * log10(max(power, amin))`` (librosa's ``power_to_db`` with a fixed
reference and *no* ``top_db`` clipping, which would tie every frame to the loudest
one). Cepstral mean normalisation (CMN) subtracts each utterance's mean frame; it is
off by default because it makes a frame depend on the rest of the signal it was
encoded with, and because the long-term spectrum it removes carries speaker identity.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from importlib.metadata import version
from typing import Sequence

import numpy as np

from codecprobe.encoders.base import Encoder, EncoderIdentity, FrameSequence
from codecprobe.encoders.registry import BuildOptions, register
from codecprobe.errors import InputError

SAMPLE_RATE = 16000


@dataclass(frozen=True)
class LogMelConfig:
    n_mels: int = 40
    window_s: float = 0.025
    hop_s: float = 0.010
    n_fft: int = 512  # window zero-padded to this FFT size
    window: str = "hamming"  # any scipy.signal.get_window name
    fmin: float = 20.0
    fmax: float = 7600.0
    amin: float = 1e-10  # power floor before the log
    cmn: bool = False

    def __post_init__(self) -> None:
        if not 0 < self.win_length <= self.n_fft:
            raise InputError(f"window_s {self.window_s} gives {self.win_length} samples; it must be 1-n_fft ({self.n_fft})")
        if self.hop_length < 1:
            raise InputError(f"hop_s {self.hop_s} is shorter than one sample at {SAMPLE_RATE} Hz")
        if not 0 <= self.fmin < self.fmax <= SAMPLE_RATE / 2:
            raise InputError(f"need 0 <= fmin < fmax <= {SAMPLE_RATE // 2} Hz, got fmin={self.fmin}, fmax={self.fmax}")

    @property
    def win_length(self) -> int:
        return int(round(self.window_s * SAMPLE_RATE))

    @property
    def hop_length(self) -> int:
        return int(round(self.hop_s * SAMPLE_RATE))


@dataclass(frozen=True)
class MfccConfig(LogMelConfig):
    n_mfcc: int = 20  # DCT-II (orthonormal) coefficients kept, c0 included

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0 < self.n_mfcc <= self.n_mels:
            raise InputError(f"n_mfcc must be 1-n_mels ({self.n_mels}), got {self.n_mfcc}")


class _FeatureEncoder(Encoder):
    """One tap, named after the encoder; no weights."""

    sample_rate = SAMPLE_RATE

    def __init__(self, config: LogMelConfig):
        self.config = config

    @property
    def taps(self) -> tuple[str, ...]:
        return (self.name,)

    @property
    def default_taps(self) -> tuple[str, ...]:
        return (self.name,)

    def identity(self) -> EncoderIdentity:  # no weights: trained=False and no random-init id (see weights_kind)
        return EncoderIdentity(self.name, f"librosa:{version('librosa')}", False, asdict(self.config))

    def frame_offset(self, tap: str) -> float:
        """Frame i is centred on ``i * hop`` s (``center=True``), half a hop before its grid interval's centre."""
        return -self.config.hop_length / SAMPLE_RATE / 2

    def encode_batch(self, audios: Sequence[np.ndarray], taps: Sequence[str]) -> list[dict[str, FrameSequence]]:
        taps = self.check_taps(taps)
        frame_rate = SAMPLE_RATE / self.config.hop_length
        results = []
        for audio in audios:
            features = self._features(self._log_mel(np.asarray(audio, dtype=np.float32)))
            if self.config.cmn:
                features = features - features.mean(axis=1, keepdims=True)
            results.append({tap: self.frames(features.T, frame_rate, tap) for tap in taps})
        return results

    def _log_mel(self, audio: np.ndarray) -> np.ndarray:
        """``[n_mels, frames]`` log-mel power in dB."""
        import librosa

        c = self.config
        power = librosa.feature.melspectrogram(
            y=audio, sr=SAMPLE_RATE, n_fft=c.n_fft, hop_length=c.hop_length, win_length=c.win_length,
            window=c.window, center=True, pad_mode="constant", power=2.0, n_mels=c.n_mels, fmin=c.fmin, fmax=c.fmax,
        )
        return librosa.power_to_db(power, ref=1.0, amin=c.amin, top_db=None)

    def _features(self, log_mel: np.ndarray) -> np.ndarray:
        return log_mel


class LogMelEncoder(_FeatureEncoder):
    name = "logmel"

    def __init__(self, config: LogMelConfig | None = None):
        super().__init__(config or LogMelConfig())


class MfccEncoder(_FeatureEncoder):
    name = "mfcc"
    config: MfccConfig

    def __init__(self, config: MfccConfig | None = None):
        super().__init__(config or MfccConfig())

    def _features(self, log_mel: np.ndarray) -> np.ndarray:
        import librosa

        return librosa.feature.mfcc(S=log_mel, n_mfcc=self.config.n_mfcc, dct_type=2, norm="ortho")


def _no_weights(name: str, options: BuildOptions) -> None:
    if options.random_init or options.weights is not None:
        raise InputError(f"{name} is a feature extractor and has no weights: random_init and weights do not apply")


@register("logmel", settings=LogMelConfig)
def build_logmel(options: BuildOptions, config: LogMelConfig = LogMelConfig()) -> LogMelEncoder:
    _no_weights("logmel", options)
    return LogMelEncoder(config)


@register("mfcc", settings=MfccConfig)
def build_mfcc(options: BuildOptions, config: MfccConfig = MfccConfig()) -> MfccEncoder:
    _no_weights("mfcc", options)
    return MfccEncoder(config)
