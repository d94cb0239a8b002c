"""Seed 003's boundary metrics: MAE, RMSE and accuracy within 50 / 100 / 200 ms, and the improvement
over the unrefined hypothesis on the same boundaries."""
from __future__ import annotations

import numpy as np

TOLERANCES_S = (0.05, 0.1, 0.2)


def boundary_metrics(errors: np.ndarray) -> dict:
    """Summary of signed boundary errors (seconds); ``None`` values when there are none.

    >>> m = boundary_metrics(np.array([0.03, -0.08, 0.15, -0.4]))
    >>> m["n"], round(m["mae_s"], 3), round(m["rmse_s"], 3), m["within_50ms"], m["within_100ms"], m["within_200ms"]
    (4, 0.165, 0.218, 0.25, 0.5, 0.75)
    """
    errors = np.abs(np.asarray(errors, dtype=float))
    if not len(errors):
        return {"n": 0, "mae_s": None, "rmse_s": None, "median_s": None,
                **{f"within_{round(t * 1000)}ms": None for t in TOLERANCES_S}}
    return {"n": int(len(errors)), "mae_s": float(errors.mean()), "rmse_s": float(np.sqrt(np.mean(errors ** 2))),
            "median_s": float(np.median(errors)),
            **{f"within_{round(t * 1000)}ms": float(np.mean(errors <= t + 1e-9)) for t in TOLERANCES_S}}


def improvement(before: dict, after: dict) -> float | None:
    """Reduction of the MAE in percent of the unrefined hypothesis's (negative: the refiner made it worse).

    >>> round(improvement({"mae_s": 0.2}, {"mae_s": 0.15}), 6)
    25.0
    """
    if not before["mae_s"] or after["mae_s"] is None:
        return None
    return 100.0 * (1.0 - after["mae_s"] / before["mae_s"])
