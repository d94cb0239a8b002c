"""Peak memory of the speaker-space diagnostics: per-pair vectors against per-speaker sums.

    .venv/bin/python bench/diagnose_memory.py [--corpus ../shared/data/fsdd/recordings] [--baseline-src DIR]

The case of issue 7: ``codecprobe diagnose`` on fsdd with GE2E, whose seeded speaker split leaves
1,500 evaluation segments of 3 speakers (256-dim utterance embeddings, 1.1 M pairs). Each figure
is the peak RSS of a fresh process:

1. the diagnostics alone on those 1,500 embeddings, computed the way they were before (the unit
   vectors of both ends of every pair gathered into two [pairs, dim] arrays: memory grows with
   pairs x dim; the function is copied below as it was), and as they are now (per-speaker sums:
   memory grows with segments x dim), with the study's default 200 bootstrap replicates;
2. with ``--baseline-src`` (the ``src`` folder of the code before, e.g. ``git archive 1355bb8 src``),
   the whole ``codecprobe diagnose --corpus fsdd --encoder ge2e`` command of both versions, each with
   its own warm store (extraction is done once beforehand and not measured).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]

PAIRWISE = '''
import numpy as np

def pairwise_diagnostics(X, speakers, texts):
    """The diagnostics as computed before: the vectors of every pair materialised."""
    speaker_index = np.unique(np.asarray(speakers), return_inverse=True)[1]
    unit = X / np.linalg.norm(X, axis=1, keepdims=True)
    first, second = np.triu_indices(len(X), k=1)
    similarity = np.einsum("ij,ij->i", unit[first], unit[second])
    same_speaker = speaker_index[first] == speaker_index[second]
    text_index = np.unique(np.asarray(texts), return_inverse=True)[1]
    same_text = text_index[first] == text_index[second]
    intra = similarity[same_speaker & ~same_text].mean()
    inter = similarity[~same_speaker & same_text].mean()
    return {"acoustics_score": float(intra - inter), "consistency": float(similarity[same_speaker].mean())}
'''


def measure(code: str, env: dict | None = None) -> dict:
    """Run ``code`` in a fresh interpreter; its printed JSON (if any) plus peak RSS (MB) and wall seconds.

    Peak RSS comes from GNU time: Linux carries a process's peak RSS across exec, so waiting on
    the child here would report at least this (large) process's size.
    """
    start = time.perf_counter()
    out = subprocess.run(["/usr/bin/time", "-f", "%M", sys.executable, "-c", code], capture_output=True, text=True,
                         env=env)
    if out.returncode not in (0, 1):
        raise RuntimeError(out.stderr[-2000:])
    last = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""
    result = json.loads(last) if last.startswith("{") else {}
    peak_kb = float(out.stderr.strip().splitlines()[-1])
    return result | {"peak_mb": peak_kb / 1024, "seconds": time.perf_counter() - start}


def command(src: Path, corpus: Path, store: Path, out: Path) -> str:
    argv = ["diagnose", "--corpus", str(corpus), "--encoder", "ge2e", "--store", str(store), "--out", str(out),
            "--quiet"]
    return f"import sys; sys.path.insert(0, {str(src)!r}); from codecprobe.cli.main import main; main({argv!r})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "data" / "fsdd" / "recordings")
    parser.add_argument("--baseline-src", type=Path, help="src folder of the code to compare the command against")
    parser.add_argument("--work", type=Path, help="keep the stores here (warm for the next run); default: a temporary "
                                                  "folder, removed at the end")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-diagnose-"))

    # the 1,500 evaluation embeddings, as the study computes them (GE2E utterance tap, its canonical preprocessing)
    from codecprobe.encoders import BuildOptions, build_encoder, utterance_settings
    from codecprobe.store import LatentStore
    from codecprobe.encoders.spec import EncoderSpec
    from codecprobe.verify.config import StudyConfig
    from codecprobe.verify.study import EmbeddingSource, split_data

    config = StudyConfig(corpus=str(args.corpus), encoders=[EncoderSpec("ge2e")], ceilings=[], store=str(work / "store"))
    split = split_data(config, with_trials=False)
    encoder = build_encoder("ge2e", BuildOptions(settings=utterance_settings("ge2e", {})))
    with LatentStore(config.store) as store:
        source = EmbeddingSource(encoder, store, config, progress=False)
        source.extract(split.corpus, ["utterance"])
        X = source.embeddings(split.corpus, split.eval_segments, "utterance")
    speakers = [s.speaker for s in split.eval_segments]
    texts = [s.text for s in split.eval_segments]
    np.savez(work / "embeddings.npz", X=X, speakers=speakers, texts=texts)
    n_pairs = len(X) * (len(X) - 1) // 2
    print(f"{len(X)} segments of {len(set(speakers))} speakers, dim {X.shape[1]}, {n_pairs} pairs")

    load = f"import json, numpy as np; data = np.load({str(work / 'embeddings.npz')!r}); " \
           "X, speakers, texts = data['X'], data['speakers'], data['texts']\n"
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    before = measure(load + PAIRWISE + "print(json.dumps(pairwise_diagnostics(X, speakers, texts)))", env)
    after = measure(load + "from codecprobe.verify.diagnostics import diagnose\n"
                    "d = diagnose(X, speakers, texts, replicates=200)\n"
                    "print(json.dumps({'acoustics_score': d.acoustics_score, 'consistency': d.consistency}))", env)
    baseline = measure("import numpy", env)
    print(f"\n{'diagnostics of the embeddings':44s} {'peak RSS MB':>12s} {'seconds':>8s}  acoustics / consistency")
    for name, row in (("python + numpy alone", baseline), ("per-pair vectors (before)", before),
                      ("per-speaker sums, 200 bootstrap replicates", after)):
        values = f"{row['acoustics_score']:.6f} / {row['consistency']:.6f}" if "consistency" in row else ""
        print(f"{name:44s} {row['peak_mb']:12.0f} {row['seconds']:8.2f}  {values}")
    print(f"peak RSS above python + numpy: before / after = "
          f"{(before['peak_mb'] - baseline['peak_mb']) / (after['peak_mb'] - baseline['peak_mb']):.0f}x")

    if args.baseline_src:
        rows = {}
        for name, src in (("after", REPO / "src"), ("before", args.baseline_src)):
            store, out = work / f"store-{name}", work / f"out-{name}"
            measure(command(src, args.corpus, store, out))  # extraction and caches, not measured
            rows[name] = measure(command(src, args.corpus, store, out))
        print(f"\n{'codecprobe diagnose --encoder ge2e (warm store)':48s} {'peak RSS MB':>12s} {'seconds':>8s}")
        for name, row in rows.items():
            print(f"{name:48s} {row['peak_mb']:12.0f} {row['seconds']:8.1f}")
        print(f"before / after peak RSS: {rows['before']['peak_mb'] / rows['after']['peak_mb']:.1f}x  "
              "(target: after < 1024 MB)")
    if not args.work:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
