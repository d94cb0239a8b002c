"""The Ray executor: Ray Data reads and resamples the audio, a pool of Ray actors encodes it.

The calling process (the driver) turns the extraction plan into a Ray dataset with one
row per length-bucketed batch. Ray Data tasks read each batch with
:func:`~codecprobe.extract.pipeline.read_segments`, the local executor's reader, so bad
audio fails the same way; a fixed pool of actors, each holding its own copy of the model
(rebuilt from the encoder's recipe, on ``cuda`` when the actor holds a GPU), encodes the
batches and writes each as one shard into the store folder with
:func:`~codecprobe.extract.pipeline.encode_to_shard`. The driver commits each shard's
rows as it arrives; no worker ever opens the index. On a cluster the store folder must
be the same path on every node (a shared filesystem).

Reading reserves no CPU: it is light next to encoding (resampling 30 s of audio takes
~13 ms, encoding it with Mimi ~3.5 CPU-seconds), so, like the local executor's reader
thread, the read tasks share the encoders' cores, at most two per actor at a time.
"""
from __future__ import annotations

import logging
import os
import pickle
import socket
from pathlib import Path
from typing import Iterator, Sequence

from codecprobe.encoders.base import Encoder, EncoderIdentity
from codecprobe.encoders.registry import EncoderRecipe
from codecprobe.errors import InputError
from codecprobe.extract.executor import INSTALL_RAY, ExecutorConfig
from codecprobe.extract.pipeline import BatchOutcome, SegmentJob, encode_to_shard, read_segments

READS_PER_WORKER = 2  # read tasks in flight per actor: its next batch is read while it encodes


def run_on_ray(batches: list[list[SegmentJob]], encoder: Encoder, taps: Sequence[str], root: str | os.PathLike,
               config: ExecutorConfig) -> Iterator[BatchOutcome]:
    """Join the cluster and start encoding the batches; outcomes arrive in the order the batches finish."""
    if not batches:
        return iter(())
    if encoder.recipe is None:
        raise InputError(f"encoder {encoder.name!r} was not made by build_encoder, so Ray workers cannot rebuild it")
    ray = connect(config)
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False  # extract() shows its own
    logging.getLogger("ray.data").setLevel(logging.ERROR)  # no notes on each execution's start and end

    # Rows carry our values pickled: Ray Data would turn whatever fits Arrow into Arrow types
    # (tuples come back as lists), so a batch's failures would not compare equal to the local ones.
    rows = ray.data.from_items([{"index": index, "jobs": pickle.dumps(jobs)} for index, jobs in enumerate(batches)],
                               override_num_blocks=len(batches))  # one batch per block: streamed one by one
    workers = min(config.workers, len(batches))  # an actor without a batch would only load a model
    rows = rows.map(_read_row, fn_kwargs={"rate": encoder.sample_rate}, num_cpus=0,
                    compute=ray.data.TaskPoolStrategy(size=min(READS_PER_WORKER * workers, len(batches))))
    rows = rows.map(EncoderActor, fn_constructor_args=(encoder.recipe, encoder.identity(), list(taps),
                                                       str(Path(root).resolve()), config),
                    compute=ray.data.ActorPoolStrategy(size=workers),
                    num_cpus=config.cpus_per_worker, num_gpus=config.gpus_per_worker)
    return (pickle.loads(row["outcome"]) for row in rows.iter_rows())


def connect(config: ExecutorConfig):
    """The ``ray`` module, joined to ``config.address`` unless this process has joined a cluster already."""
    try:
        import ray
        import ray.data  # noqa: F401  (the [data] part of the extra)
    except ImportError:
        raise InputError(INSTALL_RAY) from None
    if not ray.is_initialized():
        ray.init(address=config.address, include_dashboard=False, logging_level=logging.WARNING)
    return ray


def _read_row(row: dict, rate: int) -> dict:
    return {"index": row["index"], "read": pickle.dumps(read_segments(pickle.loads(row["jobs"]), rate))}


class EncoderActor:
    """One Ray actor: its own copy of the model, encoding read batches into shards of the store."""

    def __init__(self, recipe: EncoderRecipe, identity: EncoderIdentity, taps: list[str], root: str,
                 config: ExecutorConfig):
        # Ray sets OMP_NUM_THREADS, and with it torch's thread count, to the actor's whole CPUs (at least 1)
        self.encoder = recipe.build(device="cuda" if config.gpus_per_worker > 0 else "cpu")
        if self.encoder.identity() != identity:  # its rows are keyed by the driver's identity
            raise RuntimeError(f"a Ray worker on {socket.gethostname()} built {self.encoder.identity()}, not the "
                               f"driver's {identity}: install the same packages and weights on every node")
        self.taps = taps
        self.root = root

    def __call__(self, row: dict) -> dict:
        loaded, failed = pickle.loads(row["read"])
        return {"outcome": pickle.dumps(encode_to_shard(self.encoder, self.taps, self.root, row["index"], loaded, failed))}
