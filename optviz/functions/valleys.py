"""Distances to a curve of minima, for functions whose minima are not isolated points."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

__all__ = ["hyperbola_distance"]

Array = np.ndarray

#: points of each branch searched before refining: t = ±sqrt(|q|)·e^s for s in [-12, 12]
_GRID = np.linspace(-12.0, 12.0, 481)
#: points per block, so a large batch needs at most a few MB at a time
_BLOCK = 2048


def hyperbola_distance(q: float) -> Callable[[Array], Array]:
    """The Euclidean distance from points ``(..., 2)`` to the hyperbola ``x1·x2 = q`` (``q != 0``).

    The hyperbola is the curve ``(t, q/t)``. Each point takes the nearest of a log-spaced grid of
    ``t`` on both branches, then Newton's method on the derivative of the squared distance refines
    it; only elementwise numpy, so a point gives the same distance alone or in any batch.
    """
    if q == 0 or not math.isfinite(q):
        raise ValueError(f"the hyperbola x1·x2 = q needs a finite q != 0, got {q!r}")
    half = math.sqrt(abs(q)) * np.exp(_GRID)
    grid = np.concatenate([-half[::-1], half])

    def squared(t: Array, p1: Array, p2: Array) -> Array:
        return (t - p1) ** 2 + (q / t - p2) ** 2

    def nearest(p1: Array, p2: Array) -> Array:
        t = grid[np.argmin(squared(grid, p1[:, None], p2[:, None]), axis=1)]
        best = squared(t, p1, p2)
        for _ in range(30):
            # d/dt of the squared distance, halved, and its derivative
            slope = (t - p1) - (q / t - p2) * q / (t * t)
            curve = 1 + (q / (t * t)) ** 2 + 2 * (q / t - p2) * q / (t * t * t)
            step = np.where(curve > 0, slope / np.where(curve > 0, curve, 1), 0.0)
            moved = t - step
            moved = np.where(moved * t > 0, moved, t)  # stay on the branch
            value = squared(moved, p1, p2)
            better = value < best
            t, best = np.where(better, moved, t), np.where(better, value, best)
        return np.sqrt(best)

    def distance(x: Array) -> Array:
        x = np.asarray(x, dtype=float)
        p1, p2 = x[..., 0].reshape(-1), x[..., 1].reshape(-1)
        out = np.empty(p1.shape)
        with np.errstate(all="ignore"):
            for i in range(0, len(p1), _BLOCK):
                out[i : i + _BLOCK] = nearest(p1[i : i + _BLOCK], p2[i : i + _BLOCK])
        return out.reshape(x.shape[:-1])

    return distance
