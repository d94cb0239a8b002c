"""Benchmark: extraction on Ray (1 and 2 encoder actors) against the local executor, in one run.

Run from the repository root:
    .venv/bin/python bench/scale.py [--corpus DIR] [--speakers N] [--repeats 3] [--threads 1] [--batch-seconds 30]

Encoder: Mimi ``prequant`` with seeded random weights (the trained weights are not available
offline; the cost per audio second is the architecture's, so it is realistic), on
../shared/data/librispeech-test-other (or its first N speakers). One local Ray instance is
started first (its start-up is timed and reported apart: a cluster is started once, not per
job). Then, interleaved and repeated, each into a fresh store, with T torch threads per model:

- local: ``extract()`` in this process (torch on T threads, the next batch read on a thread);
- ray x1: one actor with ``--cpus-per-worker T`` (so torch gets T threads too), reading in Ray
  Data tasks;
- ray x2: two actors with T CPUs each.

T defaults to 1: on a machine whose cores other jobs keep busy, torch on 2 threads runs 3-4x
slower than on 1 (its threads wait on each other), which would swamp what is measured here. Ray
starts its workers 15 niceness steps below its own processes; on a shared machine that alone
would starve them, so the benchmark gives them the driver's niceness (RAY_worker_niceness=0).

A job's start-up (Ray: actors spawned, each importing torch and building its model) is a fixed
cost that a long job amortizes; each repeat also times it, as the extraction of the corpus's two
shortest files in two batches. Besides wall time, each run's CPU time is measured: of this
process for local, of this process and every Ray process (daemons, read tasks, actors) for Ray.
On a machine shared with other users' jobs, wall time measures the share the scheduler gave us
(Linux's autogroup shares the CPU between sessions, however many processes each runs, so a second
worker cannot take more of it); CPU time does not depend on that share, and CPU time per audio
second is what a dedicated machine would turn into wall time.

Prints median start-up, wall and CPU seconds, real-time factors, the Ray overhead at one worker
against local (target within 15 %), the 2-worker speed-up and CPU cost, the store's size per
audio hour, and checks that every Ray store holds the same entries as the local one (largest
array difference; torch's thread count can change float rounding).
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from codecprobe.data import load_corpus
from codecprobe.encoders import BuildOptions, build_encoder
from codecprobe.extract import ExecutorConfig, extract
from codecprobe.store import LatentStore

REPO = Path(__file__).resolve().parents[1]


def subset(corpus_dir: Path, speakers: int | None, into: Path) -> Path:
    """The first ``speakers`` speaker folders of the corpus, copied into ``into``."""
    if speakers is None:
        return corpus_dir
    for folder in sorted(p for p in corpus_dir.iterdir() if p.is_dir())[:speakers]:
        shutil.copytree(folder, into / folder.name)
    return into


def largest_difference(store: LatentStore, reference: LatentStore, identity, tap: str) -> float:
    ids = [e.segment_id for e in reference.entries()]
    if [e.segment_id for e in store.entries()] != ids:
        raise SystemExit(f"{store.root}: the Ray store's entries differ from the local store's")
    expected = dict(reference.read_many(ids, identity, tap))
    return max(float(np.abs(frames - expected[segment]).max()) for segment, frames in store.read_many(ids, identity, tap))


def shortest_files(corpus_dir: Path, count: int, into: Path) -> Path:
    """A corpus of the corpus's ``count`` shortest files: extracting it costs a job's start-up and little more."""
    (into / "speaker").mkdir(parents=True)
    for path in sorted(corpus_dir.rglob("*.flac"), key=lambda p: p.stat().st_size)[:count]:
        shutil.copy(path, into / "speaker" / path.name)
    return into


class CPUSeconds:
    """CPU seconds used by this process, or by it and all its descendants (Ray's processes), from /proc.

    Sampled every 0.2 s on a thread, so that workers which exit during the run (Ray ends a job's
    actors) still count, less at most their last 0.2 s. Unlike wall time, this does not grow when
    other users' jobs take the cores.
    """

    TICKS = os.sysconf("SC_CLK_TCK")

    def __init__(self, tree: bool):
        self.tree = tree
        self.seconds = 0.0

    def __enter__(self) -> "CPUSeconds":
        self._start = self._sample()
        self._last = dict(self._start)
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join()
        self._last.update(self._sample())
        self.seconds = sum(cpu - self._start.get(pid, 0.0) for pid, cpu in self._last.items())

    def _watch(self) -> None:
        while not self._done.wait(0.2):
            self._last.update(self._sample())

    def _sample(self) -> dict[int, float]:
        parent, cpu = {}, {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:  # the process has just exited
                continue
            parent[int(entry)] = int(fields[1])
            cpu[int(entry)] = (int(fields[11]) + int(fields[12])) / self.TICKS  # utime + stime, all threads
        ours, frontier = {os.getpid()}, [os.getpid()]
        while self.tree and frontier:
            children = [pid for pid, ppid in parent.items() if ppid in frontier and pid not in ours]
            ours.update(children)
            frontier = children
        return {pid: cpu[pid] for pid in ours if pid in cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "data" / "librispeech-test-other")
    parser.add_argument("--speakers", type=int, help="only the first N speaker folders (default: all)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="torch threads per model (default 1)")
    parser.add_argument("--batch-seconds", type=float, default=30.0,
                        help="padded audio per batch (default 30: enough batches to share between 2 workers)")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        sys.exit(f"corpus not found: {args.corpus}")
    import ray
    import torch

    os.environ["RAY_worker_niceness"] = "0"
    started = time.perf_counter()
    ray.init(num_cpus=max(os.cpu_count(), 2 * args.threads), include_dashboard=False, logging_level="WARNING")
    ray_start = time.perf_counter() - started
    torch.set_num_threads(args.threads)
    runs = {
        "local": ExecutorConfig(),
        "ray x1": ExecutorConfig("ray", workers=1, cpus_per_worker=args.threads),
        "ray x2": ExecutorConfig("ray", workers=2, cpus_per_worker=args.threads),
    }
    encoder = build_encoder("mimi", BuildOptions(random_init=True))
    wall = {name: [] for name in runs}
    cpu = {name: [] for name in runs}
    start_wall = {name: [] for name in runs}
    start_cpu = {name: [] for name in runs}
    differences: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        corpus = load_corpus(subset(args.corpus, args.speakers, Path(tmp) / "corpus"))
        tiny = load_corpus(shortest_files(args.corpus, 2, Path(tmp) / "tiny"))
        audio_seconds = sum(s.duration for s in corpus.segments())
        tiny_seconds = sum(s.duration for s in tiny.segments())
        print(f"corpus {args.corpus.name}{f' (first {args.speakers} speakers)' if args.speakers else ''}: "
              f"{len(corpus.segments())} utterances, {audio_seconds / 60:.1f} min, batches of {args.batch_seconds:g} s; "
              f"{os.cpu_count()} cores, {args.threads} torch thread(s) per model; "
              f"Ray instance started in {ray_start:.1f} s", flush=True)

        def run(name: str, what, store_dir: Path, batch_size: int) -> tuple[float, float]:
            with LatentStore(store_dir) as store, CPUSeconds(tree=name != "local") as used:
                summary = extract(what, encoder, ["prequant"], store, batch_seconds=args.batch_seconds,
                                  max_batch_size=batch_size, progress=False, executor=runs[name])
            assert summary.n_extracted == len(what.segments()) and not summary.failures
            return summary.wall_seconds, used.seconds

        for repeat in range(args.repeats):
            order = list(runs)[repeat % len(runs):] + list(runs)[:repeat % len(runs)]  # rotate who goes first
            for name in order:
                # two one-file batches, so that "ray x2" starts both its actors
                seconds, used = run(name, tiny, Path(tmp) / f"tiny-{name}-{repeat}", batch_size=1)
                start_wall[name].append(seconds)
                start_cpu[name].append(used)
                seconds, used = run(name, corpus, Path(tmp) / f"{name}-{repeat}", batch_size=32)
                wall[name].append(seconds)
                cpu[name].append(used)
                print(f"  repeat {repeat + 1} {name}: start-up {start_wall[name][-1]:.1f} s, {start_cpu[name][-1]:.1f} "
                      f"CPU-s; corpus {seconds:.1f} s, {used:.1f} CPU-s", flush=True)
            with LatentStore(Path(tmp) / f"local-{repeat}") as reference:
                for name in ("ray x1", "ray x2"):
                    with LatentStore(Path(tmp) / f"{name}-{repeat}") as store:
                        differences[name] = max(differences.get(name, 0.0),
                                                largest_difference(store, reference, encoder.identity(), "prequant"))
        shards = sum(f.stat().st_size for f in (Path(tmp) / "local-0" / "shards").iterdir())

    m = {name: {"start wall": statistics.median(start_wall[name]), "start cpu": statistics.median(start_cpu[name]),
                "wall": statistics.median(wall[name]), "cpu": statistics.median(cpu[name])} for name in runs}
    for values in m.values():  # CPU-s per audio-s once started: the corpus run less the start-up run
        values["marginal"] = (values["cpu"] - values["start cpu"]) / (audio_seconds - tiny_seconds)
    local = m["local"]
    print(f"\n{'':8s} {'start-up':>16s}   {'corpus':>40s}   {'once started':>24s}")
    print(f"{'executor':8s} {'wall s':>7s} {'CPU-s':>8s}   {'wall s':>7s} {'x real time':>11s} {'vs local':>8s} "
          f"{'CPU-s':>8s}   {'CPU-s per audio-s':>17s} {'vs local':>8s}   corpus wall runs (s)")
    for name, v in m.items():
        print(f"{name:8s} {v['start wall']:7.1f} {v['start cpu']:8.1f}   {v['wall']:7.1f} "
              f"{audio_seconds / v['wall']:11.1f} {local['wall'] / v['wall']:7.2f}x {v['cpu']:8.1f}   "
              f"{v['marginal']:17.4f} {v['marginal'] / local['marginal']:7.2f}x   "
              + ", ".join(f"{x:.1f}" for x in wall[name]))
    one, two = m["ray x1"], m["ray x2"]
    for label, key in (("wall time of the whole job", "wall"), ("CPU time of the whole job", "cpu"),
                       ("CPU time per audio second once started", "marginal")):
        overhead = one[key] / local[key] - 1
        print(f"Ray at 1 worker against local, {label}: {overhead:+.1%} (target within 15 %: "
              f"{'met' if overhead <= 0.15 else 'NOT met'})")
    print(f"2 workers against 1: {one['wall'] / two['wall']:.2f}x the speed (wall), "
          f"{two['marginal'] / one['marginal']:.2f}x the CPU time per audio second once started")
    print(f"store: {shards / 1e6:.1f} MB of shards for {audio_seconds / 3600:.3f} h of audio "
          f"({shards / 1e9 / (audio_seconds / 3600):.3f} GB per audio hour)")
    for name, difference in differences.items():
        print(f"{name}: same entries as local; largest array difference {difference:.2e}")


if __name__ == "__main__":
    main()
