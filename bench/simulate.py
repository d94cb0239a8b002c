"""Benchmark ``codecprobe simulate``: throughput against lhotse's simulator used directly, and
peak memory as the number of recordings grows.

    .venv/bin/python bench/simulate.py [--corpus DIR] [--recordings 40] [--rounds 4] [--memory 200 2000]

Throughput: both make two-speaker conversations of up to three whole utterances per speaker
(lhotse's ``ConversationalMeetingSimulator`` with its Gamma defaults: ``simulate``, then
``load_audio`` and a WAV and RTTM per meeting; ours: ``run_simulation`` with the same shape,
trimming off, writing WAV, RTTM and meta). Each side starts from the corpus folder. The two
alternate in rounds so that a shared machine slows both alike; the ratio is audio seconds
made per wall second. Memory: ``run_simulation`` of small recordings in a fresh subprocess
per size, peak RSS (``ru_maxrss``) reported.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data" / "librispeech-test-other"

SAME_SHAPE = ["speakers.counts=[2]", "speakers.count_weights=[1]", "speakers.min_turns=3", "speakers.max_turns=3",
              "turns.source=utterance", "turns.trim_db=null", "speakers.gain_db.kind=fixed",
              "speakers.gain_db.mean=0"]
SMALL = ["speakers.counts=[2]", "speakers.count_weights=[1]", "speakers.min_turns=2", "speakers.max_turns=3",
         "turns.cut_duration.mean=2.0"]


def ours(corpus: Path, out: Path, n: int, seed: int) -> float:
    """Audio seconds made."""
    from codecprobe.config import load_config
    from codecprobe.simulate import SimulateConfig, run_simulation

    config = load_config(SimulateConfig, None, [f"corpora=['{corpus}']", f"num_recordings={n}", f"seed={seed}",
                                                *SAME_SHAPE])
    return run_simulation(config, out, progress=False).totals.duration


def lhotse_direct(corpus: Path, out: Path, n: int, seed: int) -> float:
    """lhotse's conversational simulator on the same corpus: meetings, then their audio and RTTMs."""
    import contextlib
    import io

    import soundfile as sf
    from lhotse import CutSet
    from lhotse.workflows.meeting_simulation import ConversationalMeetingSimulator

    from codecprobe.data import load_corpus

    loaded = load_corpus(corpus)
    cuts = CutSet.from_manifests(recordings=loaded.recordings, supervisions=loaded.supervisions)
    simulator = ConversationalMeetingSimulator()
    simulator.fit()
    with contextlib.redirect_stderr(io.StringIO()):  # its progress bars
        meetings = simulator.simulate(cuts, num_meetings=n, num_speakers_per_meeting=2,
                                      max_utterances_per_speaker=3, seed=seed)
    out.mkdir(parents=True)
    total = 0.0
    for i, meeting in enumerate(meetings):
        audio = meeting.load_audio()[0]
        sf.write(out / f"m{i:06d}.wav", audio, meeting.sampling_rate, subtype="PCM_16")
        lines = [f"SPEAKER m{i:06d} 1 {s.start:.3f} {s.duration:.3f} <NA> <NA> {s.speaker} <NA> <NA>\n"
                 for s in meeting.supervisions]
        (out / f"m{i:06d}.rttm").write_text("".join(lines))
        total += meeting.duration
    return total


def throughput(corpus: Path, n: int, rounds: int) -> dict:
    times = {"ours": 0.0, "lhotse": 0.0}
    audio = {"ours": 0.0, "lhotse": 0.0}
    with tempfile.TemporaryDirectory() as folder:
        for r in range(rounds):
            for name, function in (("ours", ours), ("lhotse", lhotse_direct)):
                start = time.perf_counter()
                audio[name] += function(corpus, Path(folder) / f"{name}{r}", n, seed=r)
                times[name] += time.perf_counter() - start
    return {name: {"seconds": times[name], "audio_seconds": audio[name], "recordings": n * rounds,
                   "x_real_time": audio[name] / times[name]} for name in times}


MEMORY_SNIPPET = """
import json, resource, sys, time
from codecprobe.config import load_config
from codecprobe.simulate import SimulateConfig, run_simulation
corpus, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
config = load_config(SimulateConfig, None, [f"corpora=['{corpus}']", f"num_recordings={n}"] + json.loads(sys.argv[4]))
start = time.perf_counter()
simulation = run_simulation(config, out, progress=False)
print(json.dumps({"recordings": n, "seconds": time.perf_counter() - start, "hours": simulation.totals.duration / 3600,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def memory(corpus: Path, sizes: list[int]) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for n in sizes:
            done = subprocess.run([sys.executable, "-c", MEMORY_SNIPPET, str(corpus), f"{folder}/m{n}", str(n),
                                   json.dumps(SMALL)], check=True, capture_output=True, text=True)
            rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=SHARED if SHARED.is_dir() else None,
                        help="speaker-labelled corpus (default ../shared/data/librispeech-test-other, else "
                             "synthetic voices)")
    parser.add_argument("--recordings", type=int, default=40, help="recordings per side per round")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--memory", type=int, nargs="*", default=[200, 2000], help="set sizes for peak memory")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        corpus = args.corpus
        if corpus is None:
            from codecprobe.data.synthetic import make_synthetic_corpus

            corpus = make_synthetic_corpus(Path(folder) / "voices", n_speakers=6, utterances_per_speaker=8)
        print(f"corpus: {corpus}")
        speed = throughput(corpus, args.recordings, args.rounds)
        for name, row in speed.items():
            print(f"{name:7s} {row['recordings']} recordings, {row['audio_seconds'] / 60:.1f} min of audio in "
                  f"{row['seconds']:.1f} s: {row['x_real_time']:.1f}x real time")
        print(f"ratio ours / lhotse (audio seconds per wall second): "
              f"{speed['ours']['x_real_time'] / speed['lhotse']['x_real_time']:.2f}")
        for row in memory(corpus, args.memory):
            print(f"memory: {row['recordings']} recordings ({row['hours']:.2f} h) in {row['seconds']:.0f} s, "
                  f"peak RSS {row['peak_rss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
