"""An untrained control for TFLite graphs: the same model with every weight tensor randomly permuted.

TFLite weights cannot be re-initialised the way a torch module can (the file holds no
initialisers, and int8 layers carry scales fitted to the trained values). The control keeps
the graph and each weight tensor's values, and shuffles them: each tensor keeps its value
distribution, and what training put in the arrangement (which input feeds which output,
which codeword sits where) is destroyed.

A TFLite file is a flatbuffer whose constant tensors live in ``buffers``. Shuffling the values
inside a buffer changes neither its length nor any offset, so :func:`permute_weights` edits a
copy of the model's bytes in place, and every byte outside the permuted buffers stays as it
was. Which buffers are weights: every constant that is float32, int8, or a quantized int32
(a bias), with more than one element. Left alone: int32 shape, axis and index constants, and
the initial values of a streaming model's state (inputs of ``ASSIGN_VARIABLE``; zeros in Lyra).

How each is shuffled, so that its *real* values (``scale * (q - zero_point)``) keep their
distribution:

- float32, and int8/int32 with one scale for the whole tensor: the whole buffer;
- int8 with one scale per channel: among the elements that share a scale (each channel's
  values, or all channels that share one scale). Moving a value into a channel of another
  scale would change it, and requantizing would clip 0.4-2.8 % of Lyra's values;
- int32 with one scale per channel (biases of int8 layers): the real values are shuffled
  across the tensor and requantized to the scale of the channel each lands in (exact to half
  a quantum, and int32 cannot clip).

A buffer that several tensors share (Lyra's quantizer reads each codebook from one buffer in
its encode and decode graphs) is shuffled once, so its users stay consistent. Each buffer
draws from its own generator, ``np.random.default_rng([seed, buffer_index])``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_DTYPES = {"FLOAT32": np.float32, "INT8": np.int8, "INT32": np.int32}


@dataclass(frozen=True)
class WeightBuffer:
    """One permutable constant buffer and how its values are read."""

    index: int  # in the model's buffers
    dtype: type
    shape: tuple[int, ...]
    scale: np.ndarray | None  # None: not quantized
    zero_point: np.ndarray | None
    axis: int  # quantized dimension (per-channel scales)


def weight_buffers(model) -> list[WeightBuffer]:
    """The buffers :func:`permute_weights` shuffles, from a parsed ``schema_py_generated.Model``."""
    from ai_edge_litert import schema_py_generated as schema

    types = {value: name for name, value in vars(schema.TensorType).items() if not name.startswith("_")}
    assign = schema.BuiltinOperator.ASSIGN_VARIABLE
    graphs = [model.Subgraphs(g) for g in range(model.SubgraphsLength())]
    state_inits = set()  # zeros the converter may have merged with zero weights: skipped first
    for graph in graphs:
        for o in range(graph.OperatorsLength()):
            op = graph.Operators(o)
            code = model.OperatorCodes(op.OpcodeIndex())
            if max(code.BuiltinCode(), code.DeprecatedBuiltinCode()) == assign:
                state_inits.add(graph.Tensors(int(op.InputsAsNumpy()[1])).Buffer())
    found: dict[int, WeightBuffer] = {}
    for graph in graphs:
        for t in range(graph.TensorsLength()):
            tensor = graph.Tensors(t)
            index, kind = tensor.Buffer(), types[tensor.Type()]
            buffer = model.Buffers(index)
            if buffer.Offset() > 1:
                raise ValueError(f"buffer {index} is stored outside the flatbuffer; not supported")
            quant = tensor.Quantization()
            quantized = quant is not None and quant.ScaleLength() > 0
            if (index in state_inits or buffer.DataLength() == 0 or kind not in _DTYPES or (kind == "INT32" and not quantized)
                    or tensor.ShapeLength() == 0 or int(np.prod(tensor.ShapeAsNumpy())) < 2):
                continue
            entry = WeightBuffer(
                index, _DTYPES[kind], tuple(int(n) for n in tensor.ShapeAsNumpy()),
                quant.ScaleAsNumpy().astype(np.float64) if quantized else None,
                quant.ZeroPointAsNumpy().astype(np.int64) if quantized and quant.ZeroPointLength() else None,
                quant.QuantizedDimension() if quantized else 0,
            )
            if index in found and (found[index].dtype, _scales(found[index])) != (entry.dtype, _scales(entry)):
                raise ValueError(f"buffer {index} is shared by tensors of different types or scales")
            found.setdefault(index, entry)
    return [entry for _, entry in sorted(found.items())]


def permute_weights(model_bytes: bytes, seed: int) -> bytes:
    """A copy of a TFLite model whose weight buffers are shuffled (seeded); see the module docstring."""
    from ai_edge_litert import schema_py_generated as schema

    data = bytearray(model_bytes)
    model = schema.Model.GetRootAs(data, 0)
    for entry in weight_buffers(model):
        view = model.Buffers(entry.index).DataAsNumpy().view(entry.dtype)  # writes go into ``data``
        rng = np.random.default_rng([seed, entry.index])
        view[:] = _shuffled(view.reshape(entry.shape), entry, rng).ravel()
    return bytes(data)


def _shuffled(values: np.ndarray, entry: WeightBuffer, rng: np.random.Generator) -> np.ndarray:
    if entry.scale is None or len(entry.scale) == 1:
        return rng.permutation(values.ravel()).reshape(values.shape)
    channels = np.moveaxis(values, entry.axis, 0).reshape(len(entry.scale), -1)  # [channel, element]
    zero = np.zeros(len(entry.scale), np.int64) if entry.zero_point is None else entry.zero_point
    if entry.dtype is np.int32:  # real values across the tensor, requantized where they land
        real = rng.permutation(((channels - zero[:, None]) * entry.scale[:, None]).ravel()).reshape(channels.shape)
        out = np.round(real / entry.scale[:, None]) + zero[:, None]
    else:  # among the elements that share a scale
        out = channels.copy()
        for scale in np.unique(entry.scale):
            group = entry.scale == scale
            out[group] = rng.permutation(channels[group].ravel()).reshape(out[group].shape)
    moved = out.astype(values.dtype).reshape(np.moveaxis(values, entry.axis, 0).shape)
    return np.moveaxis(moved, 0, entry.axis)


def _scales(entry: WeightBuffer) -> tuple:
    return () if entry.scale is None else tuple(entry.scale.tolist())
