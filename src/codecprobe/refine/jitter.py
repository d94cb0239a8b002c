"""Synthetic hypotheses: a reference whose boundaries are moved by random errors (refiners' training data).

Errors are drawn per distinct boundary *time*: where one speaker hands over to the next at
the same instant (one's offset is the other's onset), both move together, as a system
places one change point there; every other boundary moves on its own. Errors come from a
Gaussian, a Laplace distribution, or the signed errors a real system made (the
``boundaries.json`` of ``codecprobe boundaries``), always within ``max_s``.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from codecprobe.errors import InputError
from codecprobe.refine.config import JitterConfig
from codecprobe.data.turns import Turns

MAX_DRAWS = 100  # redraws of errors beyond max_s, and of turns that would come out too short


class BoundaryErrors:
    """Signed boundary errors (seconds) drawn from the configured distribution, within ``max_s``.

    >>> errors = BoundaryErrors(JitterConfig(scale_s=0.3, max_s=0.5))
    >>> draws = errors.draw(np.random.default_rng(0), 1000)
    >>> bool(np.abs(draws).max() <= 0.5), round(float(np.abs(draws).mean()), 2)  # truncated normal: 0.199
    (True, 0.2)
    """

    def __init__(self, config: JitterConfig):
        self.config = config
        self.measured = measured_errors(config.measured) if config.distribution == "measured" else None
        if self.measured is not None and not np.any(np.abs(self.measured) <= config.max_s):
            raise InputError(f"{config.measured}: no measured boundary error lies within jitter.max_s {config.max_s}")

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        errors = np.empty(n)
        todo = np.arange(n)
        for _ in range(MAX_DRAWS):
            errors[todo] = self._sample(rng, len(todo))
            todo = todo[np.abs(errors[todo]) > self.config.max_s]
            if not len(todo):
                return errors
        errors[todo] = np.clip(errors[todo], -self.config.max_s, self.config.max_s)
        return errors

    def _sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        if self.measured is not None:
            return rng.choice(self.measured, size=n)
        if self.config.distribution == "laplace":
            return rng.laplace(0.0, self.config.scale_s, n)
        return rng.normal(0.0, self.config.scale_s, n)


def measured_errors(path: str | Path) -> np.ndarray:
    """Every signed error (system - reference, seconds) in a ``boundaries.json`` of ``codecprobe boundaries``."""
    try:
        data = json.loads(Path(path).read_text())
        by_kind = data["boundaries"]["signed_errors_s"]
    except FileNotFoundError:
        raise InputError(f"{path}: no such file (jitter.measured: a boundaries.json of `codecprobe boundaries`)") from None
    except (json.JSONDecodeError, KeyError, TypeError):
        raise InputError(f"{path}: not a boundaries.json with signed errors (run `codecprobe boundaries` "
                         "of this version to write one)") from None
    errors = np.asarray([e for kind in sorted(by_kind) for e in by_kind[kind]], dtype=float)
    if not len(errors):
        raise InputError(f"{path}: holds no matched boundary errors to draw from")
    return errors


def jitter_turns(turns: Turns, duration: float, errors: BoundaryErrors, rng: np.random.Generator) -> Turns:
    """``turns`` with each distinct boundary time moved by a drawn error, kept inside ``[0, duration]``
    and rounded to milliseconds.

    A turn that would end less than ``min_turn_s`` after it starts gets new draws for those of its
    boundary times no accepted turn uses; after ``MAX_DRAWS`` tries it keeps its reference times.

    >>> ref = Turns.build("f", [1.0, 3.0], [2.0, 2.0], ["A", "B"])
    >>> out = jitter_turns(ref, 6.0, BoundaryErrors(JitterConfig(scale_s=0.2)), np.random.default_rng(1))
    >>> bool(out.start[1] == out.end[0]), bool(np.all(out.duration > 0))  # the handover at 3.0 moves as one
    (True, True)
    """
    times, index = np.unique(np.concatenate([turns.start, turns.end]), return_inverse=True)
    n = len(turns)
    onset, offset = turns.start.copy(), turns.end.copy()
    moved, fixed = np.zeros(len(times)), np.zeros(len(times), dtype=bool)
    todo = np.arange(n)
    for _ in range(MAX_DRAWS):
        drawn = np.round(np.clip(times + errors.draw(rng, len(times)), 0.0, duration), 3)
        moved = np.where(fixed, moved, drawn)
        start, end = moved[index[todo]], moved[index[n + todo]]
        ok = end - start >= errors.config.min_turn_s
        onset[todo[ok]], offset[todo[ok]] = start[ok], end[ok]
        fixed[index[todo[ok]]] = fixed[index[n + todo[ok]]] = True
        todo = todo[~ok]
        if not len(todo):
            break
    return Turns(turns.recording_id, onset, offset - onset, turns.code.copy(), list(turns.labels))
