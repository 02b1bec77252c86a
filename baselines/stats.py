"""Confidence intervals of evaluation results: Wilson for success rates, normal for means."""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

Z95 = 1.959963984540054


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a success rate."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def mean_interval(values: Sequence[float], z: float = Z95) -> tuple[float, float, float]:
    """Mean and its normal-approximation interval (the mean twice for fewer than 2 values)."""
    x = np.asarray(values, dtype=float)
    if len(x) == 0:
        return (float("nan"),) * 3
    m = float(x.mean())
    if len(x) < 2:
        return (m, m, m)
    half = z * float(x.std(ddof=1)) / math.sqrt(len(x))
    return (m, m - half, m + half)


def summarize(episodes: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Success rate, mean return and mean steps with 95% intervals, from per-episode dicts
    with ``success``, ``return`` and ``steps``."""
    n = len(episodes)
    wins = sum(bool(e["success"]) for e in episodes)
    ret, steps = mean_interval([e["return"] for e in episodes]), mean_interval([e["steps"] for e in episodes])
    return {
        "episodes": n,
        "success_rate": wins / n if n else float("nan"),
        "success_rate_ci95": list(wilson_interval(wins, n)),
        "mean_return": ret[0], "mean_return_ci95": [ret[1], ret[2]],
        "mean_steps": steps[0], "mean_steps_ci95": [steps[1], steps[2]],
    }
