"""Issue 7, item 1: `verify --encoder ge2e` against Resemblyzer's own documented use, before and after.

    .venv/bin/python bench/ge2e_canonical.py [--corpus DIR ...] [--baseline-src DIR] [--work DIR]

For each corpus, on the same held-out speakers and trials (verify's seeded split, every pair,
cosine scoring, no untrained control):

- ``direct``: Resemblyzer as its README uses it, ``preprocess_wav`` (volume normalisation and
  WebRTC-VAD trimming of long silences) on the samples soundfile reads, then ``embed_utterance``;
- ``now``: ``run_verify`` with its defaults (GE2E's canonical preprocessing, ``utterance`` tap);
- ``untrimmed``: the same with ``canonical_preprocessing=false`` (what an utterance-level study
  did before: the audio as it is);
- ``before`` (with ``--baseline-src``, the ``src`` folder of the code before issue 7, e.g.
  ``git archive 1355bb8 src``): its ``codecprobe verify --tap utterance --backend cosine
  --no-control`` in a fresh process.

Prints one Markdown table of EERs (%) and each one's distance from ``direct``.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from codecprobe.threads import torch_threads  # noqa: E402
from codecprobe.verify import metrics  # noqa: E402
from codecprobe.encoders.spec import EncoderSpec  # noqa: E402
from codecprobe.verify.config import BootstrapConfig, StudyConfig  # noqa: E402
from codecprobe.verify.study import run_verify  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"


def study_eer(corpus: Path, store: Path, canonical: bool):
    """EER (%) of verify's utterance tap with cosine scoring, and the study result (its split and trials)."""
    config = StudyConfig(corpus=str(corpus), encoders=[EncoderSpec("ge2e", ["utterance"])], ceilings=[], store=str(store),
                         control=False, backends=["cosine"], canonical_preprocessing=canonical,
                         bootstrap=BootstrapConfig(replicates=0))
    result = run_verify(config, progress=False)
    (row,) = result.rows
    return row.eer, result


def direct_eer(result) -> float:
    """Resemblyzer's documented use on the study's own evaluation segments and trials."""
    from resemblyzer import VoiceEncoder, preprocess_wav

    model = VoiceEncoder(device="cpu", verbose=False)
    corpus = result.split.corpus
    with torch_threads(1):
        embedding = {s.id: model.embed_utterance(preprocess_wav(*sf.read(corpus.audio_path(s.recording_id),
                                                                         dtype="float32")))
                     for s in result.split.eval_segments}
    trials = result.split.trials
    scores = np.array([embedding[a] @ embedding[b] for a, b in zip(trials.enroll, trials.test)])
    return 100 * metrics.eer(scores, trials.labels)


def before_eer(baseline_src: Path, corpus: Path, work: Path) -> float:
    """The code before issue 7, as a user ran it, in a fresh process."""
    out = work / "before-report"
    subprocess.run([sys.executable, "-m", "codecprobe.cli.main", "verify", "--corpus", str(corpus), "--encoder",
                    "ge2e", "--tap", "utterance", "--backend", "cosine", "--no-control", "--store",
                    str(work / "before-store"), "--out", str(out), "--quiet"],
                   env={**os.environ, "PYTHONPATH": str(baseline_src)}, check=True, stdout=subprocess.DEVNULL)
    results = json.loads((out / "results.json").read_text())
    (row,) = [r for r in results["results"] if r["tap"] == "utterance" and r["backend"] == "cosine"]
    return row["eer"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, nargs="+",
                        default=[SHARED / "timit-sample", SHARED / "librispeech-test-other"])
    parser.add_argument("--baseline-src", type=Path, help="src folder of the code before issue 7 (default: none)")
    parser.add_argument("--work", type=Path, help="folder for stores and reports (default: a temporary one)")
    args = parser.parse_args()
    work_root = args.work or Path(tempfile.mkdtemp(prefix="ge2e-canonical-"))
    print("| corpus | evaluation speakers | trials | direct (Resemblyzer) | now | untrimmed | before |")
    print("|---|---|---|---|---|---|---|")
    for corpus in args.corpus:
        work = work_root / corpus.name
        now, result = study_eer(corpus, work / "store", canonical=True)
        untrimmed, _ = study_eer(corpus, work / "store", canonical=False)
        direct = direct_eer(result)
        before = before_eer(args.baseline_src, corpus, work) if args.baseline_src else None
        speakers = len({s.speaker for s in result.split.eval_segments})

        def cell(eer, direct=direct):
            return "n/a" if eer is None else f"{eer:.2f} ({eer - direct:+.2f})"

        print(f"| {corpus.name} | {speakers} | {len(result.split.trials.labels)} | {direct:.2f} | {cell(now)} | "
              f"{cell(untrimmed)} | {cell(before)} |", flush=True)


if __name__ == "__main__":
    main()
