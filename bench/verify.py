"""Benchmark: EER + minDCF (p_target 0.01 and 0.05) over 1,000,000 trials from cached embeddings.

Embeddings stand in for a latent store's pooled utterances: 5,000 utterances of 500
speakers, 512 dims (Mimi's prequant width). Ours: cosine scoring of the trial pairs,
one sorted sweep for the operating points, EER and two minDCFs from it. Baseline, in
the same run: row-wise cosine of gathered pairs (float64, 16k pairs at a time) and
scikit-learn's ``roc_curve`` with the ``brentq``/``interp1d`` EER idiom and minDCF
over ``roc_curve``'s points; its metrics part is also timed alone on our scores.

    .venv/bin/python bench/verify.py [--trials 1000000] [--repeats 3]
"""
from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.interpolate import interp1d
from scipy.optimize import brentq
from sklearn.metrics import roc_curve

from codecprobe.verify.backends import cosine_pairs
from codecprobe.verify.metrics import eer_from_points, min_dcf_from_points, operating_points

P_TARGETS = (0.01, 0.05)


def ours(X, enroll, test, labels):
    scores = cosine_pairs(X, enroll, test)
    points = operating_points(scores, labels)
    return scores, eer_from_points(points), [min_dcf_from_points(points, p) for p in P_TARGETS]


def baseline_scores(X, enroll, test, chunk=1 << 14):
    unit = X / np.linalg.norm(X, axis=1, keepdims=True)
    return np.concatenate([np.einsum("ij,ij->i", unit[enroll[i:i + chunk]], unit[test[i:i + chunk]])
                           for i in range(0, len(enroll), chunk)])


def baseline(scores, labels):
    fpr, tpr, _ = roc_curve(labels, scores)
    eer = brentq(lambda x: 1.0 - x - interp1d(fpr, tpr)(x), 0.0, 1.0)
    fpr, tpr, _ = roc_curve(labels, scores, drop_intermediate=False)
    dcfs = [((1 - tpr) * p + fpr * (1 - p)).min() / min(p, 1 - p) for p in P_TARGETS]
    return eer, dcfs


def best_of(repeats, function, *args):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = function(*args)
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    speakers = np.repeat(np.arange(500), 10)
    X = (rng.normal(size=(500, 512)) + 50.0)[speakers] + 2.0 * rng.normal(size=(len(speakers), 512))
    enroll = rng.integers(0, len(X), args.trials)
    same = rng.random(args.trials) < 0.5  # half the trials target: the partner from the same speaker
    test = np.where(same, enroll - enroll % 10 + rng.integers(0, 10, args.trials), rng.integers(0, len(X), args.trials))
    labels = speakers[enroll] == speakers[test]

    ours_s, (scores, eer, dcfs) = best_of(args.repeats, ours, X, enroll, test, labels)
    ours_scoring_s, _ = best_of(args.repeats, cosine_pairs, X, enroll, test)
    base_scoring_s, base_scores = best_of(args.repeats, baseline_scores, X, enroll, test)
    base_metrics_s, (base_eer, base_dcfs) = best_of(args.repeats, baseline, scores, labels)
    base_s = base_scoring_s + base_metrics_s
    ours_metrics_s = ours_s - ours_scoring_s

    print(f"{args.trials:,} trials ({labels.sum():,} target), embeddings {X.shape[0]} x {X.shape[1]}, best of {args.repeats}")
    print(f"codecprobe: scoring + EER + minDCF x2  {ours_s:.3f} s  (scoring {ours_scoring_s:.3f} s, metrics {ours_metrics_s:.3f} s)")
    print(f"baseline:   gathered cosine + sklearn roc_curve EER + minDCF x2  {base_s:.3f} s  "
          f"(scoring {base_scoring_s:.3f} s, metrics {base_metrics_s:.3f} s)")
    print(f"speed-up: end to end {base_s / ours_s:.1f}x, metrics alone {base_metrics_s / ours_metrics_s:.1f}x")
    print(f"EER {100 * eer:.6f}% vs {100 * base_eer:.6f}%; "
          + "; ".join(f"minDCF {p}: {d:.6f} vs {b:.6f}" for p, d, b in zip(P_TARGETS, dcfs, base_dcfs))
          + f"; max score diff {np.abs(scores - base_scores).max():.1e}")

if __name__ == "__main__":
    main()
