"""Seed 004's Tier 1 Exp 3: the same systems on the same utterances across encoders (Mimi 12.5 Hz
against EnCodec, say), in measures that compare.

A raw NLL per frame does not compare across encoders: a frame is 80 ms of Mimi and 13 ms of
EnCodec, a step has 512 dimensions in one and 128 in the other, and each latent is z-scored in
its own units. So beside it, per run and system:

- ``nll_per_dim``: per frame / dimensions; ``nll_per_second``: per frame x frame rate (the
  anchors' frames per second of audio);
- ``gain_per_dim`` and ``gain_per_second``: what the system takes off the unconditional
  Gaussian's NLL on the same anchors. A difference of two log-densities of the same targets
  does not depend on the units the latent is measured in (any per-dimension rescaling cancels),
  so it is the measure that compares across encoders: the nats per second of audio the context
  explains about the next step, the answer to Exp 3;
- per run, the vMF against Gaussian difference (Exp 1) and the key's gain over the random key
  (Exp 2) in the same three units.

Every run is measured on the held-out utterances that have at least one anchor in every run
(a 12.5 Hz latent needs ``window + lag`` frames, 0.72 s, where a 75 Hz one needs 0.12 s; the
others are named in ``left_out``), and one bootstrap resamples those utterances for every run at
once, so the intervals of different encoders come from the same resamples.
"""
from __future__ import annotations

import numpy as np

from codecprobe.errors import InputError
from codecprobe.nextlatent.results import estimate, reading
from codecprobe.structure.metrics import bootstrap_sums

UNCONDITIONAL = "unconditional gaussian"
DIFFERENCES = (("Exp 1: vMF + LogNormal vs Gaussian", "gaussian", "vmf"),
               ("Exp 2: key vs random key", "vmf+random_key", "vmf+key"))


def units(frame_rate: float, dim: int) -> dict[str, float]:
    """The factor that turns nats per frame into each unit reported.

    >>> units(12.5, 512)
    {'per_frame': 1.0, 'per_dim': 0.001953125, 'per_second': 12.5}
    """
    return {"per_frame": 1.0, "per_dim": 1 / dim, "per_second": float(frame_rate)}


def in_units(prefix: str, value: float, resamples: np.ndarray, factors: dict[str, float], confidence: float) -> dict:
    """``{prefix}_{unit}``: the estimate with its interval in every unit of ``factors`` (:func:`units`)."""
    return {f"{prefix}_{unit}": estimate(value * factor, resamples * factor, confidence)
            for unit, factor in factors.items()}


def compare_runs(runs, utterances: list[str], config) -> dict:
    """Exp 3 over ``runs`` (:class:`~codecprobe.nextlatent.study.TapRun`, whose arrays follow ``utterances``).

    Returns ``{"utterances", "left_out", "rows", "differences"}``; rows and differences name
    their run by its index in ``runs``.
    """
    names = [[UNCONDITIONAL] + [s.name for s in run.systems] for run in runs]
    common = np.all([run.frames > 0 for run in runs], axis=0)
    if not common.any():
        raise InputError("no held-out utterance has anchors in every encoder's run (window + lag frames); "
                         "lower window or add longer utterances")
    per_utterance = np.column_stack([column for run in runs
                                     for column in (run.frames, run.baseline, *[s.nll for s in run.systems])])[common]
    resampled = bootstrap_sums(per_utterance, config.bootstrap, np.random.default_rng([config.seed, 3]))
    point = per_utterance.sum(axis=0)
    rows, differences, start = [], [], 0
    for index, (run, systems) in enumerate(zip(runs, names)):
        stop = start + 1 + len(systems)
        nll = point[start + 1:stop] / point[start]  # [systems] nats per frame
        nll_resampled = resampled[:, start + 1:stop] / resampled[:, start:start + 1]
        start = stop
        factors = units(run.frame_rate, run.dim)
        for k, system in enumerate(systems):
            row = {"run": index, "system": system,
                   **in_units("nll", nll[k], nll_resampled[:, k], factors, config.confidence)}
            if k:  # what the system takes off the unconditional Gaussian
                row |= in_units("gain", nll[0] - nll[k], nll_resampled[:, 0] - nll_resampled[:, k], factors,
                                config.confidence)
            rows.append(row)
        for what, before, after in DIFFERENCES:
            if before in systems and after in systems:
                a, b = systems.index(before), systems.index(after)
                decrease = in_units("nll_decrease", nll[a] - nll[b], nll_resampled[:, a] - nll_resampled[:, b],
                                    factors, config.confidence)
                differences.append({"run": index, "comparison": what, "from": before, "to": after, **decrease,
                                    "reading": reading(decrease["nll_decrease_per_frame"])})
    return {"utterances": [u for u, keep in zip(utterances, common) if keep],
            "left_out": [u for u, keep in zip(utterances, common) if not keep], "rows": rows,
            "differences": differences}
