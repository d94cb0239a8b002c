"""Google's Lyra v2 speech codec (SoundStream encoder, residual vector quantizer, LyraGAN decoder), TFLite.

Lyra turns 16 kHz audio into one 64-dim latent per 320-sample (20 ms) frame with a causal,
streaming SoundStream encoder; a residual vector quantizer of up to 46 codebooks of 16 entries
(4 bits each) codes it (16 quantizers: Lyra's 3.2 kbps mode, 46: its 9.2 kbps mode), and the
LyraGAN decoder turns each frame back into 320 samples. The taps:

- ``latent``: the encoder's output before quantization (64-dim, 50 Hz), the default tap;
- ``quant1`` .. ``quant46``: the quantizer's decoding of the first n codes (64-dim, 50 Hz),
  i.e. the latent the decoder receives at n * 200 bit/s.

Frames: the encoder graph takes exactly 320 samples per call and returns one frame, so a
signal of ``s`` samples is zero-padded on the right to whole frames and gives ``ceil(s / 320)``
of them; frame i comes out after samples ``[320 i, 320 (i + 1))``. Measured on these weights:
an impulse changes the frame that holds it first and most (no look-ahead, no lag), and the
decoder's output lines up with the input at lag 0, so frame i spans ``[i / 50, (i + 1) / 50)`` s
like any other encoder's frame. The padding changes only the last frame (the graph is causal).

State: the encoder and decoder graphs are streaming; their convolution histories live in
TFLite resource variables, which ``reset_all_variables()`` does not reset (after it, the first
~22 frames differ from a fresh start). Every signal therefore goes through a fresh interpreter
built from the model bytes kept in memory, so its frames do not depend on what was encoded
before or beside it (``tests/encoders/test_lyra.py`` checks exact equality; ``bench/extract.py``
measures the cost). The quantizer keeps no state and one interpreter serves every signal.
Interpreters are built as Lyra's own C++ builds them: XNNPack kernels for the encoder and the
decoder, TFLite's built-in kernels for the quantizer. (The two kernel sets differ on the
encoder's int8 layers, by up to 1.6 on latents that reach 36.)

Weights (``BuildOptions.weights``) and their ``weights_id``:

- a folder with the four files Google publishes in ``lyra/model_coeffs`` of
  github.com/google/lyra (``soundstream_encoder.tflite``, ``quantizer.tflite``,
  ``lyragan.tflite``, ``lyra_config.binarypb``): ``dir:<sha256 prefix over those files>``;
- none: the copy in ``../shared/models/lyra-v2`` beside the project, where it exists (a test
  and demo default, not part of the project);
- ``random_init=True``: the same graphs with every weight tensor of the chosen weights
  randomly permuted (:mod:`codecprobe.encoders.tflite_permute`): the weights' values stay,
  what training put in their arrangement goes: ``permuted:seed=<n>:<trained weights id>``,
  ``trained=False``.
"""
from __future__ import annotations

import hashlib
import math
import os
from dataclasses import dataclass, fields
from importlib.metadata import version
from pathlib import Path
from typing import Sequence

import numpy as np

from codecprobe.encoders.base import Encoder, EncoderIdentity, FrameSequence, mono_signal
from codecprobe.encoders.registry import BuildOptions, register
from codecprobe.errors import InputError
from codecprobe.quiet import native_stderr_silenced

SAMPLE_RATE = 16000
FRAME_SAMPLES = 320
FRAME_RATE = SAMPLE_RATE / FRAME_SAMPLES  # 50 Hz
LATENT_DIM = 64
NUM_QUANTIZERS = 46
WEIGHT_FILES = ("soundstream_encoder.tflite", "quantizer.tflite", "lyragan.tflite", "lyra_config.binarypb")
SHARED_WEIGHTS = Path(__file__).resolve().parents[3].parent / "shared" / "models" / "lyra-v2"
INSTALL_HINT = ("the lyra encoder needs the TFLite runtime: pip install 'codecprobe[lyra]' "
                "(or: pip install ai-edge-litert)")
_HASH_CHARS = 16


@dataclass(frozen=True)
class LyraSettings:
    """Settings of the Lyra adapter (``--encoder-opt threads=2``).

    threads: threads of each TFLite interpreter. One is fastest on these 20 ms frames (and
        is what Lyra itself uses); the frames are the same with any count.
    """

    threads: int = 1

    def __post_init__(self) -> None:
        if self.threads < 1:
            raise InputError(f"threads must be at least 1, got {self.threads}")


@dataclass(frozen=True)
class LyraGraphs:
    """The three TFLite models as bytes, kept to build fresh interpreters from."""

    encoder: bytes  # soundstream_encoder.tflite
    quantizer: bytes  # quantizer.tflite
    decoder: bytes  # lyragan.tflite


class LyraEncoder(Encoder):
    """Lyra's encoder and quantizer (and, for checks, its decoder); build it with :func:`build_lyra`."""

    name = "lyra"
    sample_rate = SAMPLE_RATE
    untrained_from_weights = True
    max_codebooks = NUM_QUANTIZERS
    kbps_per_codebook = 0.2  # 4 bits x 50 Hz: 16 codebooks = 3.2 kbps, 46 = 9.2 kbps

    def __init__(self, graphs: LyraGraphs, weights_id: str, trained: bool, settings: LyraSettings = LyraSettings(),
                 weights_name: str = ""):
        self.graphs = graphs
        self.settings = settings
        self._identity = EncoderIdentity(self.name, weights_id, trained, {
            "sample_rate": SAMPLE_RATE, "frame_samples": FRAME_SAMPLES, "pad": "zeros to whole frames",
            "threads": settings.threads, "ai_edge_litert": version("ai-edge-litert"),  # kernels change numbers
        }, weights_name)
        quantizer = self._interpreter(graphs.quantizer, xnnpack=False)
        self._quantize = quantizer.get_signature_runner("encode")
        self._dequantize = quantizer.get_signature_runner("decode")

    @property
    def taps(self) -> tuple[str, ...]:
        return ("latent", *(f"quant{n}" for n in range(1, NUM_QUANTIZERS + 1)))

    @property
    def default_taps(self) -> tuple[str, ...]:
        return ("latent",)

    @property
    def sweep_taps(self) -> tuple[str, ...]:
        return ("latent", *(f"quant{n}" for n in (1, 2, 4, 8, 16, NUM_QUANTIZERS)))

    def bitrate_kbps(self, tap: str) -> float | None:
        """``quantN``: N codebooks of 4 bits at 50 Hz (quant16: 3.2 kbps, quant30: 6, quant46: 9.2)."""
        (tap,) = self.check_taps([tap])
        return int(tap[len("quant"):]) * self.kbps_per_codebook if tap.startswith("quant") else None

    def identity(self) -> EncoderIdentity:
        return self._identity

    def encode_batch(self, audios: Sequence[np.ndarray], taps: Sequence[str]) -> list[dict[str, FrameSequence]]:
        taps = self.check_taps(taps)
        sizes = sorted({int(tap[len("quant"):]) for tap in taps if tap.startswith("quant")})
        results = []
        for index, audio in enumerate(audios):
            latent = self.latents(mono_signal(audio, index))
            arrays = {"latent": latent, **self._quantized(latent, sizes)}
            results.append({tap: self.frames(arrays[tap], FRAME_RATE, tap) for tap in taps})
        return results

    def latents(self, signal: np.ndarray) -> np.ndarray:
        """``[ceil(len / 320), 64]``: the signal, zero-padded to whole frames, through a fresh encoder."""
        frames = np.zeros((math.ceil(len(signal) / FRAME_SAMPLES), 1, FRAME_SAMPLES), np.float32)
        frames.reshape(-1)[: len(signal)] = signal
        return _stream(self._interpreter(self.graphs.encoder), frames).reshape(len(frames), LATENT_DIM)

    def decode(self, latents: np.ndarray) -> np.ndarray:
        """16 kHz audio (320 samples per frame) from ``[frames, 64]`` latents, through a fresh LyraGAN decoder."""
        frames = np.ascontiguousarray(latents, dtype=np.float32).reshape(-1, 1, 1, LATENT_DIM)
        return _stream(self._interpreter(self.graphs.decoder), frames).reshape(-1)

    def resynthesise(self, audio: np.ndarray, n_codebooks: int) -> np.ndarray:
        """``audio`` through the whole codec at ``n_codebooks`` x 200 bit/s: encoder, the first
        ``n_codebooks`` codes, LyraGAN; 16 kHz, as long as ``audio`` (the padded tail cut off)."""
        if not 1 <= n_codebooks <= NUM_QUANTIZERS:
            raise InputError(f"lyra has codebooks 1..{NUM_QUANTIZERS}, not {n_codebooks}")
        signal = mono_signal(audio, 0)
        latent = self._quantized(self.latents(signal), [n_codebooks])[f"quant{n_codebooks}"]
        return self.decode(latent)[: len(signal)]

    def _quantized(self, latent: np.ndarray, sizes: list[int]) -> dict[str, np.ndarray]:
        """``{"quant<n>": [frames, 64]}``: each frame coded once with the largest n, decoded from its first n codes.

        A residual quantizer's first n codes do not depend on how many follow. The decode graph
        reads the code -1 as "no codeword" (as Lyra's decoder pads a low-bitrate packet).
        """
        if not sizes:
            return {}
        count = np.array(sizes[-1], np.int32)
        codes = np.stack([self._quantize(input_frames=frame[None, None], num_quantizers=count)["output_0"][:, 0, 0]
                          for frame in latent], axis=1)  # [46, frames]; -1 beyond ``count``
        rank = np.arange(NUM_QUANTIZERS)[:, None]
        return {f"quant{n}": self._dequantize(encoding_indices=np.where(rank < n, codes, -1)[:, None, :])["output_0"][0]
                for n in sizes}

    def _interpreter(self, graph: bytes, xnnpack: bool = True):
        from ai_edge_litert.interpreter import Interpreter, OpResolverType

        resolver = OpResolverType.AUTO if xnnpack else OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
        with native_stderr_silenced():  # TFLite's C++ logs "INFO: Created TensorFlow Lite XNNPACK delegate"
            interpreter = Interpreter(model_content=graph, num_threads=self.settings.threads,
                                      experimental_op_resolver_type=resolver)
            interpreter.allocate_tensors()
        return interpreter


def _stream(interpreter, frames: np.ndarray) -> np.ndarray:
    """Feed ``frames`` one call each to a one-input, one-output graph; its outputs, stacked."""
    source = interpreter.get_input_details()[0]["index"]
    sink = interpreter.get_output_details()[0]["index"]
    outputs = []
    for frame in frames:
        interpreter.set_tensor(source, frame)
        interpreter.invoke()
        outputs.append(interpreter.get_tensor(sink))  # a copy
    return np.stack(outputs)


@register("lyra", settings=LyraSettings)
def build_lyra(options: BuildOptions, settings: LyraSettings = LyraSettings()) -> LyraEncoder:
    """Lyra from the weights folder (default: the shared copy); ``random_init`` permutes its weights."""
    try:
        import ai_edge_litert.interpreter  # noqa: F401  (an optional dependency: say how to get it)
    except ImportError:
        raise InputError(INSTALL_HINT) from None
    if options.device != "cpu":
        raise InputError(f"lyra runs on the CPU only (TFLite), not on device {options.device!r}")
    folder = weights_folder(options.weights)
    graphs, weights_id = load_graphs(folder)
    if options.random_init:
        from codecprobe.encoders.tflite_permute import permute_weights

        graphs = LyraGraphs(*(permute_weights(getattr(graphs, f.name), options.seed) for f in fields(LyraGraphs)))
        weights_id = f"permuted:seed={options.seed}:{weights_id}"
    return LyraEncoder(graphs, weights_id, trained=not options.random_init, settings=settings,
                       weights_name=f"Lyra v2 (Google, {os.path.relpath(folder)})")


def weights_folder(weights: str | None) -> Path:
    """The folder named, else the shared copy beside the project; InputError if neither holds Lyra's files."""
    if weights is None:
        if not SHARED_WEIGHTS.is_dir():
            raise InputError("lyra needs its weights: pass --weights DIR, a folder with "
                             f"{', '.join(WEIGHT_FILES)} (lyra/model_coeffs of github.com/google/lyra)")
        return SHARED_WEIGHTS
    folder = Path(weights).expanduser()
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder; lyra's weights are a folder with {', '.join(WEIGHT_FILES)}")
    missing = [name for name in WEIGHT_FILES if not (folder / name).is_file()]
    if missing:
        raise InputError(f"{folder}: not a Lyra weights folder (missing {', '.join(missing)}; "
                         "see lyra/model_coeffs of github.com/google/lyra)")
    return folder


def load_graphs(folder: Path) -> tuple[LyraGraphs, str]:
    """The three graphs' bytes and the folder's ``dir:`` weights id (over all four files)."""
    from ai_edge_litert import schema_py_generated as schema

    contents = {name: (folder / name).read_bytes() for name in WEIGHT_FILES}
    for name in WEIGHT_FILES[:3]:
        if not schema.Model.ModelBufferHasIdentifier(contents[name], 0):
            raise InputError(f"{folder / name}: not a TFLite model")
    listing = "".join(f"{name} {hashlib.sha256(data).hexdigest()}\n" for name, data in contents.items())
    return LyraGraphs(*(contents[name] for name in WEIGHT_FILES[:3])), "dir:" + _sha256_prefix(listing.encode())


def _sha256_prefix(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:_HASH_CHARS]
