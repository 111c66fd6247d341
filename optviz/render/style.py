"""Geometry of the renderer: output suffixes, plot windows, contour levels, frame sampling.

Everything here is plain NumPy and Python, so it is cheap to import before matplotlib is.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "ANIMATED_SUFFIXES",
    "STATIC_SUFFIXES",
    "Levels",
    "contour_levels",
    "frame_steps",
    "plot_window",
]

STATIC_SUFFIXES = (".png", ".svg", ".pdf")
ANIMATED_SUFFIXES = (".gif", ".mp4")

# ------------------------------------------------------------------------------------ plot geometry


def plot_window(
    window: Sequence[tuple[float, float]], paths: Iterable[np.ndarray], *, grow: float = 0.5, pad: float = 0.04
) -> np.ndarray:
    """The axes limits: the function's window, grown to hold the paths, padded a little.

    Growth is capped at ``grow`` window sizes on each side, so a diverging path (points at 1e150)
    leaves the picture instead of shrinking everything else to a dot.

    Args:
        window: ``((lo, hi),)`` per coordinate, the function's own plot window.
        paths: (K, D) arrays of points (finite rows only).
        grow: how many window sizes a path may extend the window by on each side.
        pad: fraction of the final size added on each side.

    Returns:
        (D, 2) array of ``[lo, hi]`` per coordinate.
    """
    base = np.asarray(window, dtype=float)
    lo, hi = base[:, 0].copy(), base[:, 1].copy()
    size = hi - lo
    cap_lo, cap_hi = lo - grow * size, hi + grow * size
    for path in paths:
        path = np.asarray(path, dtype=float).reshape(-1, len(base))
        inside = np.all(np.isfinite(path) & (path >= cap_lo) & (path <= cap_hi), axis=1)
        if inside.any():
            lo = np.minimum(lo, path[inside].min(axis=0))
            hi = np.maximum(hi, path[inside].max(axis=0))
    margin = pad * (hi - lo)
    return np.stack([lo - margin, hi + margin], axis=1)


@dataclass(frozen=True)
class Levels:
    """How to colour a function: draw ``transform(f)`` with these ``levels``.

    Attributes:
        levels: increasing contour levels in transformed units.
        log: values are ``log10(f - shift)`` (clamped at ``floor``) rather than ``f``.
        shift: subtracted before the log, at or below the lowest value, so negative minima work.
        floor: smallest ``f - shift`` shown on a log scale.
    """

    levels: np.ndarray
    log: bool
    shift: float = 0.0
    floor: float = 1.0

    def transform(self, z: np.ndarray) -> np.ndarray:
        """Values in the units of ``levels``; non-finite values become the top level (hills)."""
        z = np.asarray(z, dtype=float)
        top = self.levels[-1] if not self.log else 10.0 ** self.levels[-1] + self.shift
        z = np.where(np.isfinite(z), z, top)
        if not self.log:
            return z
        return np.log10(np.maximum(z - self.shift, self.floor))

    def label(self) -> str:
        return r"$\log_{10}(f - f_{\min})$" if self.log else "$f$"

    def extended(self, top: float, max_levels: int = 40) -> np.ndarray:
        """The levels continued with the same spacing rule up to ``top`` (transformed units), so a
        window grown for a diverging path keeps contour lines beyond the function's own window."""
        levels = self.levels
        if not np.isfinite(top) or top <= levels[-1]:
            return levels
        n = len(levels) - 1
        if self.log:
            step = (levels[-1] - levels[0]) / n
            extra = levels[-1] + step * np.arange(1, max_levels + 1)
        else:
            # quadratic spacing: levels[i] = low + span * (i / n)**2 continued for i > n
            low, span = levels[0], levels[-1] - levels[0]
            extra = low + span * (np.arange(n + 1, n + 1 + max_levels) / n) ** 2
        keep = extra[: int(np.searchsorted(extra, top)) + 1]
        return np.concatenate([levels, keep])


def contour_levels(z: np.ndarray, *, log: bool | None = None, minimum: float | None = None, n: int = 16) -> Levels:
    """Contour levels for the values ``z`` of a function over its plot window.

    Log-spaced when ``log`` is true, or (``log=None``) when the values span decades above their
    minimum, as rosenbrock's do; otherwise quadratically spaced, so a quadratic bowl gets evenly
    spaced ellipses and the valley floor gets as much detail as the hills.

    Args:
        z: function values on a grid over the window (non-finite values are ignored).
        log: force log (True) or linear (False) levels; ``None`` decides from the values.
        minimum: the known global minimum value, if any (the shift for log levels).
        n: number of levels.
    """
    finite = z[np.isfinite(z)]
    if finite.size == 0:
        return Levels(np.linspace(0.0, 1.0, n), False)
    low = float(finite.min()) if minimum is None else min(float(finite.min()), float(minimum))
    high = float(finite.max())
    span = high - low
    if span <= 0:
        return Levels(low + np.linspace(-1.0, 1.0, n), False)
    tenth = float(np.percentile(finite, 10)) - low
    if log is None:
        log = tenth <= 0 or span / tenth > 200
    if log:
        # the floor is a small quantile of the values: it sets how deep into the valley levels go
        floor = max(float(np.percentile(finite - low, 0.5)), span * 1e-9)
        lo_level = math.log10(floor)
        hi_level = math.log10(span)
        if hi_level - lo_level < 1:
            lo_level = hi_level - 1
        return Levels(np.linspace(lo_level, hi_level, n), True, shift=low, floor=10.0**lo_level)
    return Levels(low + span * np.linspace(0.0, 1.0, n) ** 2, False)


def truncate_far(xy: np.ndarray, box: np.ndarray) -> np.ndarray:
    """Cut a path at its first point outside ``box``, ending it where that segment leaves the box.

    A diverging run's last points can be 1e150 away; drawing them would overflow the renderer's
    pixel coordinates. Ending the path on the box edge keeps every segment's direction, so the part
    inside the (much smaller) axes looks exactly as it would with the real points.

    Args:
        xy: (K, D) path (finite rows).
        box: (D, 2) ``[lo, hi]`` per coordinate; may hold infinities.

    Returns:
        (M, D) with M <= K + 1.
    """
    xy = np.asarray(xy, dtype=float)
    lo, hi = box[:, 0], box[:, 1]
    inside = np.all((xy >= lo) & (xy <= hi), axis=1)
    if inside.all():
        return xy
    first_out = int(np.argmin(inside))
    if first_out == 0:
        return xy[:1]
    a, b = xy[first_out - 1], xy[first_out]
    with np.errstate(all="ignore"):
        step = b - a
        exits = np.where(b > hi, (hi - a) / step, np.where(b < lo, (lo - a) / step, 1.0))
    t = float(np.nanmin(exits)) if np.isfinite(exits).any() else 0.0
    return np.vstack([xy[:first_out], a + min(max(t, 0.0), 1.0) * step])


def far_box(limits: np.ndarray, factor: float = 20.0) -> np.ndarray:
    """``limits`` grown by ``factor`` times their size on each side: beyond it nothing is drawn."""
    size = limits[:, 1] - limits[:, 0]
    return np.stack([limits[:, 0] - factor * size, limits[:, 1] + factor * size], axis=1)


def frame_steps(steps: int, frames: int) -> np.ndarray:
    """The steps shown by at most ``frames`` frames: evenly spaced from 0, the last step always included."""
    if steps + 1 <= frames:
        return np.arange(steps + 1)
    return np.unique(np.round(np.linspace(0, steps, frames)).astype(int))
