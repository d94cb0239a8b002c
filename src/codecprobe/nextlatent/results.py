"""What a next-latent study saves (``results.json``); light, so ``codecprobe report`` can load it."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from codecprobe.nextlatent.config import NextLatentConfig
from codecprobe.encoders.base import SavedTap
from codecprobe.report.results import Result


def estimate(value: float, resamples: np.ndarray, confidence: float) -> dict:
    """A point estimate with the central ``confidence`` percentile interval of its bootstrap ``resamples``."""
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(resamples, [tail, 100 - tail])
    return {"value": float(value), "ci_low": float(low), "ci_high": float(high)}


def reading(decrease: dict) -> str:
    """What a paired NLL decrease with its interval says: "lower", "higher" or "no clear change"."""
    return "lower" if decrease["ci_low"] > 0 else ("higher" if decrease["ci_high"] < 0 else "no clear change")


@dataclass
class NextLatentRun(SavedTap):
    """Tier 1 for one tap of one encoder role, as saved."""

    frame_rate: float  # frames per second: NLL per second = NLL per frame x frame_rate
    dim: int
    control_note: str
    anchors: dict  # train / val / eval
    nll: list[dict]  # per system: NLL per frame with its interval, NLL per dim
    comparisons: list[dict]  # paired differences (Exp 1, Exp 2) with their reading
    systems: list[dict]  # per trained system: head, key, checkpoint, steps, time, parameters
    weights_name: str = ""  # a human name for hashed weights ids (EncoderIdentity.weights_name)


@dataclass
class NextLatentSummary(Result):
    study = "nextlatent"
    renderer = "codecprobe.nextlatent.report:render"

    runs: list[NextLatentRun]
    across: dict  # Exp 3: the runs on the same held-out utterances, in comparable units (nextlatent.across)
    data: dict  # the corpora and the speaker-disjoint split
    figures: list[str]
    config: NextLatentConfig
    provenance: dict
