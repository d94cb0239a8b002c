"""Benchmark: the whole Phase-0 structure study, time and peak memory per million frames at two sizes,
faiss k-means (ours) against scikit-learn's ``KMeans`` in the same pipeline, in the same run.

Data: generated latent sequences of known structure (``codecprobe.structure.synthetic``, the
hidden-cluster walk), 512 dims as Mimi's prequant, 250 frames per utterance (20 s at 12.5 Hz),
10 utterances per speaker, written to a latent store before anything is timed. A run is
``analyse`` with the default config (three schemes, lags 1/2/4, 1000 bootstrap resamples): four
streamed passes over the store, metrics, intervals. Each run is a fresh subprocess, so its peak
RSS (``ru_maxrss``) is its own; the two k-means back-ends alternate at each size. Also timed
alone: the k-means fits of the study (K=64 on 512 dims, K=256 on 8 dims) at the default fit
sample (20,000) and at 200,000 points.

    .venv/bin/python bench/structure.py [--sizes 250000 1000000] [--repeats 1] [--work DIR]
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np

DIM, FRAMES, PER_SPEAKER, RATE = 512, 250, 10, 12.5
IDENTITY = ("synthetic", "cyclic-walk", True)


def energy(segment_id: str, n_frames: int) -> np.ndarray:
    return np.random.default_rng(zlib.crc32(segment_id.encode())).normal(-30, 10, n_frames).astype(np.float32)


def write_store(root: Path, frames: int) -> None:
    from codecprobe.encoders import EncoderIdentity
    from codecprobe.store import LatentStore
    from codecprobe.store.latent_store import NewEntry
    from codecprobe.structure.synthetic import utterances

    speakers = frames // (FRAMES * PER_SPEAKER)
    identity = EncoderIdentity(*IDENTITY, {"dim": DIM})
    batch = []
    with LatentStore(root) as store:
        for uid, _, z, _ in utterances("cyclic", speakers, PER_SPEAKER, FRAMES, DIM, noise=0.3, seed=0):
            batch.append(NewEntry(uid, "latent", "generated", z, RATE))
            if len(batch) == 200:
                store.put_many(identity, batch)
                batch = []
        store.put_many(identity, batch)


def child(store_root: str, backend: str) -> None:
    """One timed study in this (fresh) process; prints a JSON line."""
    from codecprobe.encoders import EncoderIdentity
    from codecprobe.store import LatentStore
    from codecprobe.structure.analysis import analyse
    from codecprobe.structure.config import StructureConfig
    from codecprobe.structure.decision import decide
    from codecprobe.structure.frames import StoreFrames
    from codecprobe.structure.synthetic import speaker_split

    config = StructureConfig(corpora=["generated"])
    config.kmeans.backend = backend
    identity = EncoderIdentity(*IDENTITY, {"dim": DIM})
    with LatentStore(store_root) as store:
        counts = store.frame_counts(identity, "latent")
        speaker_of = {uid: uid.split("/")[0] for uid in counts}
        split = speaker_split(speaker_of, int(round(0.8 * len(set(speaker_of.values())))))
        start = time.perf_counter()
        analysis = analyse(StoreFrames(store, identity, "latent", energy), split, config, progress=False)
        seconds = time.perf_counter() - start
    decision = decide(analysis.rows, config)
    print(json.dumps({"seconds": seconds, "frames": sum(counts.values()), "decision": decision["decision"],
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "variance_ratio_eval": decision["schemes"][0]["variance_ratio_eval"]}))


def run_child(store_root: Path, backend: str) -> dict:
    output = subprocess.run([sys.executable, __file__, "--child", str(store_root), "--backend", backend],
                            check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def kmeans_alone(points: int) -> list[tuple[str, float, float]]:
    """(what, faiss seconds, sklearn seconds) for the study's two k-means shapes, one thread each."""
    from threadpoolctl import threadpool_limits

    import faiss
    from codecprobe.structure.conditioning import KMeans
    from codecprobe.structure.config import KMeansConfig

    rng = np.random.default_rng(0)
    rows = []
    faiss.omp_set_num_threads(1)
    for clusters, dim in ((64, DIM), (256, 8)):
        x = rng.standard_normal((points, dim)).astype(np.float32)
        times = {}
        for backend in ("faiss", "sklearn"):
            with threadpool_limits(1):
                start = time.perf_counter()
                KMeans(clusters, KMeansConfig(backend=backend), seed=0).fit(x, "bench")
                times[backend] = time.perf_counter() - start
        rows.append((f"K={clusters} on {points:,} x {dim}", times["faiss"], times["sklearn"]))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[250_000, 1_000_000], help="frames in the store")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--work", type=Path, help="folder for the generated stores (default: a temporary one)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--backend", default="faiss", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.backend)
        return

    work = args.work or Path(tempfile.mkdtemp(prefix="bench-structure-"))
    print(f"Phase-0 study on generated latents ({DIM} dims, {FRAMES} frames per utterance); "
          f"default config; every run a fresh process; machine shared, load {Path('/proc/loadavg').read_text().split()[0]}")
    print("| frames | k-means | seconds | s per M frames | peak RSS (MB) | decision |")
    print("|---|---|---|---|---|---|")
    summary = []
    for size in args.sizes:
        root = work / f"store-{size}"
        if not (root / "index.sqlite").exists():
            write_store(root, size)
        results = {"faiss": [], "sklearn": []}
        for _ in range(args.repeats):
            for backend in ("faiss", "sklearn"):  # interleaved: both see the same load
                result = run_child(root, backend)
                results[backend].append(result)
                print(f"| {result['frames']:,} | {backend} | {result['seconds']:.1f} | "
                      f"{result['seconds'] / result['frames'] * 1e6:.1f} | {result['peak_rss_mb']:.0f} | "
                      f"{result['decision']} (VR {result['variance_ratio_eval']:.3f}) |", flush=True)
        best = {b: min(r["seconds"] for r in rs) for b, rs in results.items()}
        summary.append((size, best["sklearn"] / best["faiss"],
                        max(r["peak_rss_mb"] for r in results["faiss"])))
    for size, ratio, rss in summary:
        print(f"{size:,} frames: sklearn / faiss whole-study time {ratio:.2f}x; faiss peak RSS {rss:.0f} MB")
    print("\nk-means alone (one thread each):")
    for points in (20_000, 200_000):
        for what, faiss_s, sklearn_s in kmeans_alone(points):
            print(f"  {what}: faiss {faiss_s:.2f} s, sklearn {sklearn_s:.2f} s, ratio {sklearn_s / faiss_s:.1f}x")
    if args.work is None:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
