"""Benchmark the diarization scorer against spy-der and pyannote.metrics on a generated set.

    .venv/bin/python bench/score.py [--files 10] [--hours 1] [--memory-files 200]

Generates (seeded) recordings with 8 speakers, ~10k reference and ~9k system turns per
hour, times our DER and DER+JER+clustering and spy-der on the whole set, pyannote.metrics
on a short subset (rates compared per audio hour), and measures the peak memory of
scoring a large set in a fresh subprocess. All inputs are built before timing starts.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import numpy as np

from codecprobe.data import Turns
from codecprobe.score import DiarizationScorer


def generate(n_files: int, hours: float, seed: int = 0, speakers: int = 8):
    """Reference: alternating turns with some overlap; system: jittered, merged and mislabelled copy."""
    rng = np.random.default_rng(seed)
    reference, system = {}, {}
    for i in range(n_files):
        fid = f"rec{i:04d}"
        n = int(10_000 * hours)
        duration = np.round(rng.gamma(2.0, 0.1, n) + 0.05, 3)
        gaps = rng.normal(0.09, 0.1, n)
        onset = np.round(np.maximum(np.cumsum(np.r_[0, (duration + gaps)[:-1]]), 0), 3)
        who = rng.integers(0, speakers, n)
        reference[fid] = Turns(fid, onset, duration, who, [f"spk{k}" for k in range(speakers)])
        keep = rng.random(n) > 0.1                      # ~9k system turns: some dropped
        s_on = np.round(np.maximum(onset[keep] + rng.normal(0, 0.03, keep.sum()), 0), 3)
        s_dur = np.round(np.maximum(duration[keep] + rng.normal(0, 0.03, keep.sum()), 0.02), 3)
        s_who = np.where(rng.random(keep.sum()) < 0.1, rng.integers(0, speakers, keep.sum()), who[keep])
        system[fid] = Turns(fid, s_on, s_dur, s_who, [f"S{k}" for k in range(speakers)])
    return reference, system


def ours(reference, system, **options):
    scorer = DiarizationScorer(**options)
    for fid in sorted(reference):
        regions = np.array([[0.0, max(reference[fid].end.max(), system[fid].end.max())]])
        scorer.add(fid, reference[fid], system[fid], regions)
    return scorer.result()


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - start, result


def spyder_der(reference, system):
    import spyder

    def tuples(seg):
        return {f: [(t.speaker, t.start, t.end) for t in ft] for f, ft in seg.items()}

    ref, sys_ = tuples(reference), tuples(system)
    uem = {f: [(0.0, max(reference[f].end.max(), system[f].end.max()))] for f in reference}
    return timed(spyder.DER, ref, sys_, uem=uem)


def pyannote_der(reference, system):
    from pyannote.core import Segment, Timeline
    from pyannote.metrics.diarization import DiarizationErrorRate

    pairs = [(reference[f].to_annotation().support(), system[f].to_annotation().support(),
              Timeline([Segment(0.0, max(reference[f].end.max(), system[f].end.max()))])) for f in reference]
    metric = DiarizationErrorRate()

    def run():
        for r, s, u in pairs:
            metric(r, s, uem=u)
        return abs(metric)
    return timed(run)


def crop(segmentation, seconds):
    out = {}
    for fid, ft in segmentation.items():
        keep = ft.end <= seconds
        out[fid] = Turns(fid, ft.start[keep], ft.duration[keep], ft.code[keep], ft.labels)
    return out


def peak_memory(files: int, hours: float) -> dict:
    """Score ``files`` x ``hours`` in a fresh process; report peak RSS (MB) and turns."""
    code = f"""
import resource, json, sys
sys.path.insert(0, 'bench')
from score import generate, ours
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
ref, sys_ = generate({files}, {hours}, seed=1)
turns = sum(len(t) for t in ref.values()) + sum(len(t) for t in sys_.values())
result = ours(ref, sys_)
print(json.dumps({{"turns": turns, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "start_mb": before / 1024, "der": result.overall.der.der}}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--hours", type=float, default=1.0, help="hours per recording")
    parser.add_argument("--pyannote-minutes", type=float, default=5.0, help="length of the pyannote subset (1 file)")
    parser.add_argument("--memory-files", type=int, default=200, help="files of the memory run (0: skip)")
    args = parser.parse_args()

    reference, system = generate(args.files, args.hours)
    turns = sum(map(len, reference.values())), sum(map(len, system.values()))
    audio_hours = args.files * args.hours
    print(f"set: {args.files} x {args.hours} h, {turns[0]} reference and {turns[1]} system turns")

    t_der, r_der = timed(ours, reference, system, jer=False, clustering=False)
    t_jer, r_jer = timed(ours, reference, system, clustering=False)
    t_all, r_all = timed(ours, reference, system)
    t_spy, spy = spyder_der(reference, system)
    first = sorted(reference)[0]
    sub_ref, sub_sys = crop({first: reference[first]}, 60 * args.pyannote_minutes), \
        crop({first: system[first]}, 60 * args.pyannote_minutes)
    sub_hours = args.pyannote_minutes / 60
    t_pya, pya = pyannote_der(sub_ref, sub_sys)
    t_sub, r_sub = timed(ours, sub_ref, sub_sys, jer=False, clustering=False)

    rows = [
        ("ours DER", t_der, audio_hours, r_der.overall.der.der),
        ("ours DER+JER", t_jer, audio_hours, r_jer.overall.der.der),
        ("ours DER+JER+B3/MI/NMI", t_all, audio_hours, r_all.overall.der.der),
        ("spy-der DER", t_spy, audio_hours, 100 * spy["Overall"].der),
        (f"pyannote.metrics DER ({args.pyannote_minutes:g} min)", t_pya, sub_hours, 100 * pya),
        (f"ours DER ({args.pyannote_minutes:g} min)", t_sub, sub_hours, r_sub.overall.der.der),
    ]
    print(f"\n{'scorer':40s} {'seconds':>9s} {'s per audio h':>14s} {'DER %':>8s}")
    for name, seconds, hours, der in rows:
        print(f"{name:40s} {seconds:9.3f} {seconds / hours:14.4f} {der:8.3f}")
    rate = {name: seconds / hours for name, seconds, hours, _ in rows}
    print(f"\nspy-der / ours DER time: {t_spy / t_der:.1f}x  (target >= 1)")
    print(f"pyannote / ours DER per audio hour (same {args.pyannote_minutes:g} min): "
          f"{rate[rows[4][0]] / rate[rows[5][0]]:.0f}x  (target >= 200)")
    print(f"JER alone / DER time: {(t_jer - t_der) / t_der:.2f}x  (target <= 2); "
          f"DER+JER+clustering / DER: {t_all / t_der:.2f}x")
    if args.memory_files:
        memory = peak_memory(args.memory_files, args.hours)
        print(f"\nmemory: {args.memory_files} x {args.hours} h, {memory['turns']} turns: peak RSS "
              f"{memory['peak_mb']:.0f} MB (interpreter and imports {memory['start_mb']:.0f} MB), "
              f"DER {memory['der']:.2f}%")


if __name__ == "__main__":
    main()
