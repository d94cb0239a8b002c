"""GE2E speaker encoder: Resemblyzer's ``VoiceEncoder`` (3-layer LSTM, 256-dim, 16 kHz).

Resemblyzer embeds an utterance by cutting it into 1.6 s *partials* (160 mel frames of
10 ms) every ``1 / partials_rate`` seconds, embedding each (unit-norm, non-negative)
and L2-normalising their mean. This adapter exposes that computation tap by tap:

- ``mel``: the network's input, a 40-band mel *power* spectrogram at 100 Hz
  (librosa, 25 ms window, ``center=True``: frame i is centred on ``i / 100`` s);
- ``partials``: one embedding per partial at ``1 / hop`` Hz (default hop 0.77 s);
  partial i covers ``[i * hop, i * hop + 1.6)`` s, so its centre lies 0.8 s after the
  start of its frame on the ``[i / rate, (i + 1) / rate)`` grid;
- ``utterance``: one frame, exactly what ``VoiceEncoder.embed_utterance`` returns; its
  frame rate is 1 / (the audio's duration), so the frame spans the whole input.

Resemblyzer's ``preprocess_wav`` does two things; we keep them apart. Volume
normalisation (raise quiet audio to -30 dBFS, the level the model was trained at) is a
gain, so it keeps time alignment and is on by default. Trimming long silences with
WebRTC VAD removes audio, so frame times no longer match the input: it is off by
default, and when switched on only the ``utterance`` tap is offered. Utterance-level
studies (verify, diagnose) switch it on: ``preprocess_wav`` then ``embed_utterance`` is
Resemblyzer's documented use, and the ``utterance`` tap is GE2E's primary tap there
(see :class:`~codecprobe.encoders.registry.UtteranceUse`).

Weights (``BuildOptions.weights``) and their ``weights_id``:

- default, the ``pretrained.pt`` inside the Resemblyzer wheel:
  ``resemblyzer:<version>:<sha256 prefix>``;
- a local checkpoint in Resemblyzer's format (``{"model_state": ...}``):
  ``file:<sha256 prefix>``;
- ``random_init=True``: PyTorch's default initialisation from the seed:
  ``random-init:seed=<n>``, ``trained=False``.
"""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

from codecprobe.encoders.base import Encoder, EncoderIdentity, FrameSequence
from codecprobe.encoders.registry import BuildOptions, UtteranceUse, register
from codecprobe.errors import InputError

if TYPE_CHECKING:  # torch and resemblyzer load when the model is built, not when --help lists the settings
    from resemblyzer import VoiceEncoder

# Resemblyzer's hparams, restated so that the settings check without importing it (and torch); a test compares
SAMPLE_RATE = 16000  # hparams.sampling_rate
MEL_WINDOW_STEP_MS = 10  # hparams.mel_window_step
PARTIAL_FRAMES = 160  # hparams.partials_n_frames
NORMALIZE_TARGET_DBFS = -30  # hparams.audio_norm_target_dBFS

_MEL_RATE = 1000 / MEL_WINDOW_STEP_MS  # 100 Hz
_PARTIAL_SECONDS = PARTIAL_FRAMES / _MEL_RATE  # 1.6 s
_PARTIALS_PER_FORWARD = 256  # bounds the LSTM's activation memory on long audio


@dataclass(frozen=True)
class GE2EConfig:
    """Settings of the GE2E adapter; the defaults are Resemblyzer's own.

    partials_rate: partials per second (``embed_utterance``'s ``rate``); the hop is
        rounded to whole mel frames, so 1.3 gives a 0.77 s hop.
    min_coverage: keep the last, zero-padded partial if at least this share of it is audio.
    normalize_volume: raise audio quieter than -30 dBFS to -30 dBFS before encoding.
        The gain depends on the whole signal given, so a segment encoded alone and the
        same segment inside a longer file can differ.
    trim_silences: apply Resemblyzer's WebRTC-VAD silence trimming (``preprocess_wav``).
    """

    partials_rate: float = 1.3
    min_coverage: float = 0.75
    normalize_volume: bool = True
    trim_silences: bool = False

    def __post_init__(self) -> None:
        hop_frames = self.hop_frames
        if not 0 < hop_frames <= PARTIAL_FRAMES:
            raise InputError(
                f"partials_rate {self.partials_rate} gives a hop of {hop_frames} mel frames; "
                f"it must be 1-{PARTIAL_FRAMES} (rate {_MEL_RATE / PARTIAL_FRAMES:g}-{_MEL_RATE:g})"
            )
        if not 0 < self.min_coverage <= 1:
            raise InputError(f"min_coverage must be in (0, 1], got {self.min_coverage}")

    @property
    def hop_frames(self) -> int:
        """Mel frames between partial starts, rounded as ``compute_partial_slices`` does."""
        return int(np.round(_MEL_RATE / self.partials_rate))

    @property
    def hop_seconds(self) -> float:
        return self.hop_frames / _MEL_RATE


class GE2EEncoder(Encoder):
    name = "ge2e"
    sample_rate = SAMPLE_RATE

    def __init__(self, options: BuildOptions | None = None, config: GE2EConfig | None = None):
        options = options or BuildOptions()
        if options.random_init and options.weights is not None:
            raise InputError(f"ge2e: random_init and weights {options.weights!r} both given; choose one")
        from resemblyzer import VoiceEncoder

        self.config = config or GE2EConfig()
        self._model = VoiceEncoder(device=options.device, verbose=False)  # loads the wheel's weights
        if options.random_init:
            _randomise(self._model, options.seed)
            self._weights_id, self._trained = f"random-init:seed={options.seed}", False
        elif options.weights is not None:
            self._weights_id, self._trained = _load_weights(self._model, Path(options.weights)), True
        else:
            self._weights_id, self._trained = _builtin_weights_id(), True
        self._model.eval()

    @property
    def taps(self) -> tuple[str, ...]:
        return ("utterance",) if self.config.trim_silences else ("mel", "partials", "utterance")

    @property
    def default_taps(self) -> tuple[str, ...]:
        return ("utterance",) if self.config.trim_silences else ("partials", "utterance")

    def identity(self) -> EncoderIdentity:
        settings = asdict(self.config) | {
            "normalize_target_dbfs": NORMALIZE_TARGET_DBFS,
            "partial_window_s": _PARTIAL_SECONDS,
            "partial_hop_s": self.config.hop_seconds,
        }
        if not self._trained:  # seeded random weights are drawn by this torch version's generator
            import torch

            settings["torch"] = str(torch.__version__)  # a plain str: checkpoints load with weights_only
        return EncoderIdentity(self.name, self._weights_id, self._trained, settings)

    def frame_offset(self, tap: str) -> float:
        """Partial i covers ``[i * hop, i * hop + 1.6)`` s, centred 0.8 s after its frame's start;
        mel frame i is centred on ``i / 100`` s; the utterance frame spans the input."""
        if tap == "partials":
            return _PARTIAL_SECONDS / 2 - self.config.hop_seconds / 2
        if tap == "mel":
            return -0.5 / _MEL_RATE
        return 0.0

    @property
    def partials_frame_rate(self) -> float:
        return 1 / self.config.hop_seconds

    def encode_batch(self, audios: Sequence[np.ndarray], taps: Sequence[str]) -> list[dict[str, FrameSequence]]:
        taps = self.check_taps(taps)
        if not audios:
            return []
        prepared = [self._partial_mels(self._preprocess(audio)) for audio in audios]
        embeddings = self._embed(np.concatenate([partials for _, partials, _ in prepared]))
        results, first = [], 0
        for audio, (mel, partials, n_audio_frames) in zip(audios, prepared):
            partial_embeds = embeddings[first : first + len(partials)]
            first += len(partials)
            mean = partial_embeds.mean(axis=0)
            duration = max(len(audio), 1) / self.sample_rate
            arrays = {
                "mel": (mel[:n_audio_frames], _MEL_RATE),
                "partials": (partial_embeds, self.partials_frame_rate),
                "utterance": ((mean / np.linalg.norm(mean))[None, :], 1 / duration),
            }
            results.append({tap: self.frames(*arrays[tap], tap) for tap in taps})
        return results

    def _preprocess(self, audio: np.ndarray) -> np.ndarray:
        from resemblyzer import normalize_volume, trim_long_silences

        audio = np.asarray(audio, dtype=np.float32)
        if self.config.normalize_volume and np.any(audio):  # silence has no level to normalise
            audio = normalize_volume(audio, NORMALIZE_TARGET_DBFS, increase_only=True)
        if self.config.trim_silences:
            audio = trim_long_silences(audio)
        return audio

    def _partial_mels(self, audio: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
        """The mel spectrogram, its partial windows ``[n, 160, 40]``, and how many mel frames the audio itself has.

        As in ``embed_utterance``, the audio is zero-padded to the end of the last
        partial; librosa pads with zeros too, so the first ``1 + len // hop`` mel
        frames are those of the unpadded audio.
        """
        from resemblyzer import VoiceEncoder, wav_to_mel_spectrogram

        wav_slices, mel_slices = VoiceEncoder.compute_partial_slices(
            len(audio), self.config.partials_rate, self.config.min_coverage
        )
        padded = np.pad(audio, (0, max(0, wav_slices[-1].stop - len(audio))))
        mel = wav_to_mel_spectrogram(padded)
        n_audio_frames = 1 + len(audio) // (SAMPLE_RATE * MEL_WINDOW_STEP_MS // 1000)
        return mel, np.stack([mel[s] for s in mel_slices]), n_audio_frames

    def _embed(self, partials: np.ndarray) -> np.ndarray:
        import torch

        from codecprobe.threads import torch_threads

        device = self._model.device
        with torch.no_grad(), torch_threads(1):
            chunks = [
                self._model(torch.from_numpy(partials[i : i + _PARTIALS_PER_FORWARD]).to(device)).cpu().numpy()
                for i in range(0, len(partials), _PARTIALS_PER_FORWARD)
            ]
        return np.concatenate(chunks)


def _randomise(model: VoiceEncoder, seed: int) -> None:
    """PyTorch's default initialisation of the same layers, from a seeded generator."""
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model.lstm.reset_parameters()
        model.linear.reset_parameters()


def _load_weights(model: VoiceEncoder, path: Path) -> str:
    """Load a Resemblyzer-format checkpoint (``{"model_state": ...}``); return its weights id."""
    import torch

    try:
        state = torch.load(path, map_location="cpu")["model_state"]
    except FileNotFoundError:
        raise InputError(f"{path}: GE2E weights file not found") from None
    except Exception as error:
        raise InputError(f"{path}: not a Resemblyzer checkpoint with a 'model_state' ({error})") from None
    missing = sorted(set(model.state_dict()) - set(state))
    if missing:
        raise InputError(f"{path}: checkpoint lacks {missing}")
    model.load_state_dict({key: state[key] for key in model.state_dict()})
    return f"file:{_sha256_prefix(path)}"  # content, not name: a renamed copy is the same weights


def _builtin_weights_id() -> str:
    import resemblyzer

    weights = Path(resemblyzer.__file__).with_name("pretrained.pt")  # where VoiceEncoder looks by default
    return f"resemblyzer:{version('resemblyzer')}:{_sha256_prefix(weights)}"


def _sha256_prefix(path: Path, length: int = 16) -> str:  # as Mimi's weights ids
    return hashlib.sha256(path.read_bytes()).hexdigest()[:length]


UTTERANCE_USE = UtteranceUse(
    settings={"trim_silences": True}, taps=("utterance",),
    note="Resemblyzer's documented use: preprocess_wav (volume normalisation, then WebRTC-VAD trimming of long "
         "silences) before embed_utterance",
)


@register("ge2e", settings=GE2EConfig, utterance=UTTERANCE_USE)
def build_ge2e(options: BuildOptions, config: GE2EConfig = GE2EConfig()) -> GE2EEncoder:
    return GE2EEncoder(options, config)
