"""Kyutai's Mimi codec encoder (transformers' ``MimiModel``), with taps along the way.

Mimi turns 24 kHz audio into a 512-dim latent at 12.5 Hz (one frame per 1920 samples):
a causal SEANet convolution stack down to 25 Hz, an 8-layer causal transformer
(250-frame sliding window) at 25 Hz, a stride-2 convolution down to 12.5 Hz, and a
split residual vector quantizer with 32 codebooks. The taps, in network order:

- ``seanet``: SEANet output, the transformer's input (512-dim, 25 Hz);
- ``layer1`` .. ``layer8``: the output of each transformer layer (512-dim, 25 Hz);
- ``prequant``: the latent before quantization (512-dim, 12.5 Hz), the default tap;
- ``quant1`` .. ``quant32``: the quantizer's decoding of the first n codes, i.e. the
  latent the codec reconstructs from n codebooks (512-dim, 12.5 Hz).

Frames: the input is zero-padded on the right to a multiple of 1920 samples (as moshi
does), so a signal of ``s`` samples gives ``ceil(s / 1920)`` frames at 12.5 Hz and
twice that at 25 Hz; frame i covers samples ``[i * hop, (i + 1) * hop)``. Every part of
Mimi is causal, so padding on the right never changes earlier frames: a batch is padded
to its longest signal and each output cut back to its own length.

Long recordings are encoded in chunks with transformers' streaming path, which carries
the convolutions' left context (``padding_cache``) and the transformer's key/value cache
(the last 249 frames, all the 250-frame window needs) from chunk to chunk. Chunked
latents equal one-pass latents up to float rounding (2.4e-5 at most on 30 s of speech,
values up to 18); the chunk length is still part of the encoder's identity, so a cached
latent always comes from exactly the settings that are reported. It bounds memory, which grows with it (one pass over 60 s of audio needs ~2.3 GB); small chunks
are also faster on CPU (5 s: 0.10 CPU-s per audio-s on one thread, 20 s: 0.15).

Weights (``BuildOptions.weights``) and their ``weights_id``:

- a Hugging Face id, default ``kyutai/mimi`` (``owner/name`` or ``owner/name@revision``),
  read through the Hugging Face cache: ``hf:kyutai/mimi@<commit>``;
- a local transformers-format folder (``config.json`` + ``model*.safetensors``):
  ``dir:<sha256 prefix of those files>``;
- Kyutai's original moshi-format checkpoint file
  (``tokenizer-e351c8d8-checkpoint125.safetensors``), converted on load by
  :mod:`codecprobe.encoders.mimi_checkpoint`: ``file:<sha256 prefix of the file>``;
- ``random_init=True``: the same architecture with seeded random weights, including
  random non-zero codebooks: ``random-init:seed=<n>``, ``trained=False``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator, Sequence

import numpy as np

from codecprobe.encoders.base import Encoder, EncoderIdentity, FrameSequence, mono_signal
from codecprobe.encoders.hf_weights import HASH_CHARS, load_pretrained, problem_summary, resolve_weights, seeded, sha256
from codecprobe.encoders.registry import BuildOptions, register
from codecprobe.errors import InputError

if TYPE_CHECKING:  # torch and transformers load when a model is built, not when --help lists the settings
    import torch
    from transformers import MimiConfig, MimiModel

DEFAULT_WEIGHTS = "kyutai/mimi"


@dataclass(frozen=True)
class MimiSettings:
    """Settings of the Mimi adapter (``--encoder-opt chunk_seconds=10``).

    chunk_seconds: audio per forward pass, summed over the signals of a batch (a batch
        of 4 gets 1.25 s each at the default). Rounded down to whole 1920-sample frames,
        at least one. Peak memory grows with it; the output changes by float rounding only.
    """

    chunk_seconds: float = 5.0

    def __post_init__(self) -> None:
        if not self.chunk_seconds > 0:
            raise InputError(f"chunk_seconds must be positive, got {self.chunk_seconds}")


class MimiEncoder(Encoder):
    """Mimi's encoder half and quantizer; build it with :func:`build_mimi`."""

    name = "mimi"

    def __init__(self, model: MimiModel, weights_id: str, trained: bool, settings: MimiSettings = MimiSettings(),
                 weights_name: str = ""):
        if model.encoder is None:
            raise ValueError("the MimiModel has no encoder (built with encoder_config=None)")
        self.model = model.eval()
        self.settings = settings
        self._weights_id = weights_id
        self._trained = trained
        self._weights_name = weights_name
        config = model.config
        self.sample_rate = config.sampling_rate
        self.frame_samples = config.frame_size  # 1920: samples per 12.5 Hz frame
        fine = config.latent_stride  # 25 Hz taps: 2 frames per 1920 samples
        self._frames_per_hop = {
            "seanet": fine,
            **{f"layer{n}": fine for n in range(1, config.num_hidden_layers + 1)},
            "prequant": 1,
            **{f"quant{n}": 1 for n in range(1, config.num_quantizers + 1)},
        }

    @property
    def taps(self) -> tuple[str, ...]:
        return tuple(self._frames_per_hop)

    @property
    def default_taps(self) -> tuple[str, ...]:
        return ("prequant",)

    @property
    def sweep_taps(self) -> tuple[str, ...]:
        """Every tap, except that of the quantizer's n-codebook taps only n = 1, 2, 4, 8 are kept."""
        kept = {"quant1", "quant2", "quant4", "quant8"}
        return tuple(tap for tap in self.taps if not tap.startswith("quant") or tap in kept)

    def bitrate_kbps(self, tap: str) -> float | None:
        """``quantN``: N codebooks of ``codebook_size`` entries at 12.5 Hz (2048 entries: 8 codebooks = 1.1 kbps,
        32 = 4.4 kbps, Moshi's and DATES' settings); None before the quantizer."""
        (tap,) = self.check_taps([tap])
        if not tap.startswith("quant"):
            return None
        config = self.model.config
        return int(tap[len("quant"):]) * math.log2(config.codebook_size) * config.frame_rate / 1000

    def identity(self) -> EncoderIdentity:
        settings = {"sample_rate": self.sample_rate, "dtype": "float32", "pad_to_multiple_of": self.frame_samples,
                    "chunk_seconds": self.settings.chunk_seconds}
        if not self._trained:  # seeded random weights are drawn by this torch version's generator
            import torch

            settings["torch"] = str(torch.__version__)  # a plain str: checkpoints load with weights_only
        return EncoderIdentity(self.name, self._weights_id, self._trained, settings, self._weights_name)

    def encode_batch(self, audios: Sequence[np.ndarray], taps: Sequence[str]) -> list[dict[str, FrameSequence]]:
        taps = self.check_taps(taps)
        signals = [mono_signal(audio, index) for index, audio in enumerate(audios)]
        if not signals:
            return []
        frame_counts = [math.ceil(len(signal) / self.frame_samples) for signal in signals]
        outputs = self._encode_padded(signals, max(frame_counts) * self.frame_samples, taps)
        results = []
        for item, frames in enumerate(frame_counts):
            result = {}
            for tap in taps:
                per_hop = self._frames_per_hop[tap]
                rate = per_hop * self.sample_rate / self.frame_samples
                result[tap] = self.frames(outputs[tap][item, : frames * per_hop], rate, tap)
            results.append(result)
        return results

    def _encode_padded(self, signals: list[np.ndarray], samples: int, taps: list[str]) -> dict[str, np.ndarray]:
        """Encode the signals zero-padded to ``samples`` (a multiple of 1920), chunk by chunk.

        Returns ``{tap: [signal, frames, dim]}``. Each chunk's padded batch is built as it
        is needed, so a long recording is never copied whole.
        """
        import torch

        chunk = self._chunk_samples(len(signals))
        pieces: dict[str, list[torch.Tensor]] = {tap: [] for tap in taps}
        state = None
        for start in range(0, samples, chunk):
            block = np.zeros((len(signals), 1, min(chunk, samples - start)), dtype=np.float32)
            for row, signal in zip(block, signals):
                piece = signal[start : start + chunk]
                row[0, : len(piece)] = piece
            values, state = self._forward_chunk(block, taps, state)
            for tap, value in values.items():
                pieces[tap].append(value)
        return {tap: torch.cat(values, dim=1).numpy() for tap, values in pieces.items()}

    def encode_stream(self, blocks: Iterable[np.ndarray], taps: Sequence[str]) -> Iterator[dict[str, FrameSequence]]:
        """Encode one long signal handed over in consecutive blocks of any length; yield each chunk's
        frames per tap as it is done.

        The signal is cut into the same ``chunk_seconds`` chunks as :meth:`encode` cuts it and
        the streaming caches are carried across blocks, so the concatenated output equals
        ``encode`` of the whole signal while only one block and one chunk are held at a time.
        """
        taps = self.check_taps(taps)
        chunk = self._chunk_samples(1)
        pending, state = np.zeros(0, np.float32), None
        for block in blocks:
            pending = np.concatenate([pending, mono_signal(block, 0)])
            while len(pending) >= chunk:
                values, state = self._forward_chunk(pending[None, None, :chunk], taps, state)
                pending = pending[chunk:]
                yield self._sequences(values)
        if len(pending):  # the last, shorter chunk, zero-padded to whole frames
            padded = np.zeros((1, 1, math.ceil(len(pending) / self.frame_samples) * self.frame_samples), np.float32)
            padded[0, 0, : len(pending)] = pending
            values, _ = self._forward_chunk(padded, taps, state)
            yield self._sequences(values)

    def _sequences(self, values: dict[str, torch.Tensor]) -> dict[str, FrameSequence]:
        """One signal's ``[1, frames, dim]`` tap outputs as frame sequences."""
        return {tap: self.frames(value[0].numpy(), self._frames_per_hop[tap] * self.sample_rate / self.frame_samples, tap)
                for tap, value in values.items()}

    def _chunk_samples(self, n_signals: int) -> int:
        """Samples per signal in one forward pass: ``chunk_seconds`` shared by the batch, whole frames."""
        return max(1, int(self.settings.chunk_seconds * self.sample_rate / n_signals) // self.frame_samples) * self.frame_samples

    def _forward_chunk(self, block: np.ndarray, taps: list[str], state):
        """One streaming forward pass over ``block`` ``[batch, 1, samples]``; returns the taps
        ``{tap: [batch, frames, dim]}`` and the caches to carry to the next chunk."""
        import torch

        device = next(self.model.parameters()).device
        cache, padding_cache = state or (None, None)
        with torch.no_grad():  # not inference_mode: the codebooks cache tensors made on first use
            out = self.model.encoder(
                torch.from_numpy(np.ascontiguousarray(block)).to(device),
                cache=cache,  # transformers >= 5.25; past_key_values is deprecated
                padding_cache=padding_cache,
                use_streaming=True,
                output_hidden_states=any(tap == "seanet" or tap.startswith("layer") for tap in taps),
            )
            values = {tap: value.float().cpu() for tap, value in self._chunk_taps(out, taps).items()}
        return values, (out.cache, out.padding_cache)

    def _chunk_taps(self, out, taps: list[str]) -> dict[str, torch.Tensor]:
        """The requested taps of one encoder output, each ``[batch, frames, dim]``."""
        latents = out.latents  # [batch, 512, frames]
        quant_sizes = [int(tap[len("quant") :]) for tap in taps if tap.startswith("quant")]
        if quant_sizes:
            # [batch, codebooks, frames]; a residual quantizer's first n codes do not depend on the rest
            codes = self.model.quantizer.encode(latents, num_quantizers=max(quant_sizes)).transpose(0, 1)
        values = {}
        for tap in taps:
            if tap == "seanet":
                values[tap] = out.hidden_states[0]
            elif tap.startswith("layer"):
                values[tap] = out.hidden_states[int(tap[len("layer") :])]
            elif tap == "prequant":
                values[tap] = latents.transpose(1, 2)
            else:
                values[tap] = self.model.quantizer.decode(codes[:, : int(tap[len("quant") :])]).transpose(1, 2)
        return values


@register("mimi", settings=MimiSettings)
def build_mimi(options: BuildOptions, settings: MimiSettings = MimiSettings()) -> MimiEncoder:
    """Build Mimi's encoder from ``options.weights`` (default ``kyutai/mimi``) or seeded random weights."""
    if options.random_init:
        if options.weights is not None:
            raise InputError(f"mimi: random_init and weights {options.weights!r} both given; choose one")
        model, weights_id = random_mimi(options.seed), f"random-init:seed={options.seed}"
    else:
        model, weights_id = load_mimi(options.weights or DEFAULT_WEIGHTS)
    name = "" if options.random_init else f"Mimi (Kyutai, {options.weights or DEFAULT_WEIGHTS})"
    return MimiEncoder(model.to(options.device), weights_id, trained=not options.random_init, settings=settings,
                       weights_name=name)


def encoder_only_config() -> MimiConfig:
    """The published Mimi architecture without its decoder half (half the memory)."""
    from transformers import MimiConfig

    config = MimiConfig()
    config.decoder_config = None
    return config


def random_mimi(seed: int, config: MimiConfig | None = None) -> MimiModel:
    """Mimi (default: :func:`encoder_only_config`) with seeded random weights and random non-zero codebooks.

    transformers initialises every codebook to zeros (every code would be 0); here each
    codebook gets N(0, 1) entries, so the quantized taps vary with the input.
    """
    from transformers import MimiModel

    with seeded(seed):
        model = MimiModel(config or encoder_only_config())
        for name, buffer in model.quantizer.named_buffers():
            if name.endswith("codebook.embed_sum"):
                buffer.normal_()
    return model.eval()


def load_mimi(weights: str) -> tuple[MimiModel, str]:
    """Load encoder-only Mimi weights from a moshi checkpoint file, a local folder or the hub."""
    from transformers import MimiModel

    path = Path(weights).expanduser()
    if path.is_file():
        from codecprobe.encoders.mimi_checkpoint import load_moshi_checkpoint

        model = MimiModel(encoder_only_config())
        _load_state(model, load_moshi_checkpoint(path, model.config), path)
        return model.eval(), "file:" + sha256(path)[:HASH_CHARS]
    folder, weights_id = resolve_weights(
        weights, "Mimi", alternatives="a local transformers-format folder or Kyutai's moshi checkpoint file")
    return load_pretrained(MimiModel, folder, "Mimi's encoder", decoder_config=None), weights_id


def _load_state(model: MimiModel, state: dict[str, torch.Tensor], source: Path) -> None:
    """Load a complete state dict, or raise InputError naming ``source`` and what did not fit."""
    expected = model.state_dict()
    problems = {
        "missing_keys": sorted(expected.keys() - state.keys()),
        "unexpected_keys": sorted(state.keys() - expected.keys()),
        "mismatched_keys": sorted(key for key in state.keys() & expected.keys() if state[key].shape != expected[key].shape),
    }
    problems = {name: keys for name, keys in problems.items() if keys}
    if problems:
        raise InputError(f"{source}: weights do not fit Mimi's encoder: {problem_summary(problems)}")
    model.load_state_dict(state)
