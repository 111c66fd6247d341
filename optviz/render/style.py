"""Geometry of the renderer: output suffixes, plot windows, contour levels, frame sampling.

Everything here is plain NumPy and Python, so it is cheap to import before matplotlib is.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np

__all__ = [
    "ANIMATED_SUFFIXES",
    "STATIC_SUFFIXES",
    "ClippedPath",
    "Levels",
    "PathMapper",
    "clip_path",
    "contour_levels",
    "frame_steps",
    "grid_resolution",
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
        floor: smallest ``f - shift`` kept on a log scale (smaller values are clamped to it); well
            below the lowest level, so that level's contour is interpolated, not a plateau's edge.
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
    # the grid's floats tell values apart only this far: levels closer to each other or to the
    # minimum would be drawn from rounding noise, as jagged or broken lines
    resolution = grid_resolution(z)
    if log:
        # the lowest level is a small quantile of the values (how deep into the valley levels go),
        # at least a decade above the resolution
        resolved = math.log10(resolution) + 1
        lo_level = max(math.log10(max(float(np.percentile(finite - low, 0.5)), span * 1e-9)), resolved)
        hi_level = math.log10(span)
        if hi_level - lo_level < 1:
            lo_level = max(hi_level - 1, resolved)
        # fewer levels if the first gap, 10**lo_level * (10**step - 1), would not be resolved
        n_log = min(n, 1 + int((hi_level - lo_level) / math.log10(1 + 1.5 * resolution / 10.0**lo_level)))
        if n_log >= 3:
            # values are clamped (before the log) far below the lowest level: clamped at that
            # level, the valley would be a plateau at exactly the level, and its contour would
            # trace the plateau's edge cell by cell, a jagged line instead of an interpolated curve
            clamp = max(resolution, 10.0**lo_level * 1e-3)
            return Levels(np.linspace(lo_level, hi_level, n_log), True, shift=low, floor=clamp)
        # values within a few resolutions of each other: no log scale to speak of
    # quadratic spacing; fewer levels if the first gap (span / (n - 1)**2) would not be resolved
    n = max(2, min(n, 1 + int(math.sqrt(span / resolution))))
    return Levels(low + span * np.linspace(0.0, 1.0, n) ** 2, False)


#: values closer than this many float spacings of a grid's largest value are not told apart
RESOLUTION_ULPS = 1e3


def grid_resolution(z: np.ndarray) -> float:
    """The smallest difference of function values a grid resolves: ``RESOLUTION_ULPS`` float
    spacings (``eps``) of its largest ``|f|``. A log level of ``f - f_min`` below it would be
    drawn from rounding noise: a jagged or broken contour."""
    finite = np.abs(np.asarray(z, dtype=float))
    finite = finite[np.isfinite(finite)]
    top = float(finite.max()) if finite.size else 1.0
    return RESOLUTION_ULPS * float(np.finfo(float).eps) * max(top, 1e-300)


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


# ---------------------------------------------------------------------------- paths in a window

#: row kinds of a :class:`ClippedPath`
POINT, EXIT, ENTRY, PASS, BREAK = 1, 2, 3, 4, 5


@dataclass(frozen=True)
class ClippedPath:
    """A run's path clipped to the visible box: every part inside it is drawn, however often the
    path leaves and comes back, and nothing outside it (a diverging run's 1e150 would overflow the
    renderer's pixel coordinates).

    Rows of ``xy`` are the line's vertices in drawing order: the path's own points, the points
    where a segment crosses the box's edge, and NaN rows where the line breaks (matplotlib draws no
    segment to or from a NaN). A segment from point ``i`` to ``i + 1`` is drawn from step ``i + 1``
    on, so the rows shown at step ``k`` are a prefix: ``xy[: rows(k)]``.

    Attributes:
        xy: (M, D) vertices, NaN rows between the parts.
        row_step: (M,) the step from which each row is drawn (non-decreasing).
        kind: (M,) ``POINT``, ``EXIT`` (the path leaves the box here), ``ENTRY`` (it comes back),
            ``PASS`` (a segment between two outside points crossing the box) or ``BREAK``.
        point_rows: (P,) the rows that are the path's own points; ``point_index`` (P,) which ones.
        exits, entries: (E, D), (R, D) where the path leaves the box and where it comes back in (on
            its edge); ``exit_steps``, ``entry_steps`` the steps that draw them.
        inside: (K,) whether each point is inside the box (edges included).
        ends: (K, D) each point, or the nearest point of the box where it is outside.
        toward: (K, D) unit vectors, in fractions of the box's size, from ``ends[k]`` toward an
            outside point (zero inside): where to point an arrow at a point beyond the edge.
    """

    xy: np.ndarray
    row_step: np.ndarray
    kind: np.ndarray
    point_rows: np.ndarray
    point_index: np.ndarray
    exits: np.ndarray
    exit_steps: np.ndarray
    entries: np.ndarray
    entry_steps: np.ndarray
    inside: np.ndarray
    ends: np.ndarray
    toward: np.ndarray

    def rows(self, k: int) -> int:
        """How many rows of ``xy`` show the path up to point ``k``."""
        return int(np.searchsorted(self.row_step, k, side="right"))

    def mapped(self, lift: Callable[[np.ndarray], np.ndarray]) -> ClippedPath:
        """The same path with every coordinate row mapped by ``lift`` ((M, D) -> (M, D'), NaN rows
        kept NaN), e.g. onto a 3-D surface."""
        return replace(self, xy=lift(self.xy), exits=lift(self.exits), entries=lift(self.entries), ends=lift(self.ends))


def clip_path(xy: np.ndarray, box: np.ndarray) -> ClippedPath:
    """Clip the polyline ``xy`` to ``box`` segment by segment (Liang–Barsky).

    A segment inside is kept; one that leaves ends on the box's edge (an ``EXIT``), one that comes
    back starts on it (an ``ENTRY``), one between two outside points that crosses the box is drawn
    across it; then the line breaks. Works for any finite values (1e300 included).

    Args:
        xy: (K, D) path.
        box: (D, 2) ``[lo, hi]`` per coordinate, finite.
    """
    big = float(np.finfo(float).max)
    xy = np.nan_to_num(np.asarray(xy, dtype=float), nan=0.0, posinf=big, neginf=-big)
    k, dim = xy.shape
    lo, hi = np.asarray(box, dtype=float)[:, 0], np.asarray(box, dtype=float)[:, 1]
    size = np.where(hi > lo, hi - lo, 1.0)
    inside = np.all((xy >= lo) & (xy <= hi), axis=1)
    ends = np.clip(xy, lo, hi)
    with np.errstate(all="ignore"):
        away = xy - ends
        scale = np.abs(away).max(axis=1, keepdims=True)
        toward = np.where(scale > 0, away / np.where(scale > 0, scale, 1.0), 0.0) / size
        norm = np.linalg.norm(toward, axis=1, keepdims=True)
        toward = np.where(norm > 0, toward / np.where(norm > 0, norm, 1.0), 0.0)

    a, b = xy[:-1], xy[1:]
    a_in, b_in = inside[:-1], inside[1:]

    def crossing(start: np.ndarray, step: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Walking ``start + t * step`` (0 <= t <= 1): where it is inside the box, ``t`` from
        ``t_in`` to ``t_out``, and those two points. Both are computed from ``start``, precise
        when ``start`` is near the box however far the other end is (from that end, ``1 - t``
        would round to 0), so each crossing is measured from the segment's end inside."""
        with np.errstate(all="ignore"):
            t_lo, t_hi = (lo - start) / step, (hi - start) / step  # step may be +-inf: t is then +-0
            flat = step == 0
            t_in = np.where(flat, -np.inf, np.minimum(t_lo, t_hi)).max(axis=1, initial=-np.inf)
            t_out = np.where(flat, np.inf, np.maximum(t_lo, t_hi)).min(axis=1, initial=np.inf)
            t_in = np.where((flat & ((start < lo) | (start > hi))).any(axis=1), np.inf, t_in)  # beside an edge
            t_in, t_out = np.maximum(t_in, 0.0), np.minimum(t_out, 1.0)
            points = [start + t[:, None] * step for t in (t_in, t_out)]  # 0 * inf: NaN, taken as start
        p_in, p_out = (np.clip(np.where(np.isfinite(p), p, start), lo, hi) for p in points)
        return t_in, t_out, p_in, p_out

    with np.errstate(all="ignore"):
        d = b - a
    t_in, t_out, p_in, p_out = crossing(a, d)
    _, _, _, back_out = crossing(b, -d)  # from b: where the segment, walked backwards, leaves
    crosses = t_in < t_out
    leaves = a_in & ~b_in
    comes = ~a_in & b_in
    passes = ~a_in & ~b_in & crosses
    n = len(a)
    slots = np.full((n, 3, dim), np.nan)
    kinds = np.zeros((n, 3), dtype=np.int8)
    both = a_in & b_in
    slots[both, 0], kinds[both, 0] = b[both], POINT
    slots[leaves, 0], kinds[leaves, 0], kinds[leaves, 1] = p_out[leaves], EXIT, BREAK
    slots[comes, 0], kinds[comes, 0] = back_out[comes], ENTRY
    slots[comes, 1], kinds[comes, 1] = b[comes], POINT
    slots[passes, 0], slots[passes, 1], kinds[passes, :] = p_in[passes], p_out[passes], (PASS, PASS, BREAK)
    keep = kinds.ravel() != 0
    rows = slots.reshape(-1, dim)[keep]
    kind = kinds.ravel()[keep]
    row_step = np.repeat(np.arange(1, n + 1), 3)[keep]
    if k and inside[0]:
        rows = np.vstack([xy[:1], rows])
        kind = np.concatenate([[POINT], kind]).astype(np.int8)
        row_step = np.concatenate([[0], row_step])
    point_rows = np.flatnonzero(kind == POINT)
    exit_rows, entry_rows = kind == EXIT, kind == ENTRY
    return ClippedPath(
        xy=rows,
        row_step=row_step,
        kind=kind,
        point_rows=point_rows,
        point_index=row_step[point_rows],
        exits=rows[exit_rows],
        exit_steps=row_step[exit_rows],
        entries=rows[entry_rows],
        entry_steps=row_step[entry_rows],
        inside=inside,
        ends=ends,
        toward=toward,
    )


@dataclass(frozen=True)
class PathMapper:
    """How runs are placed in the main axes of a view.

    Attributes:
        box: (2, 2) the visible window, in the coordinates ``to_box`` gives.
        to_box: ``(points (K, D), loss (K,)) -> (K, 2)``: the map's coordinates (the points in 2-D,
            ``(x, f(x))`` on a 1-D curve).
        lift: ``(M, 2) -> (M, 3)`` onto the surface in the 3-D view (NaN rows stay NaN), else ``None``.
    """

    box: np.ndarray
    to_box: Callable[[np.ndarray, np.ndarray], np.ndarray]
    lift: Callable[[np.ndarray], np.ndarray] | None = None

    def point(self, points: np.ndarray, loss: np.ndarray) -> np.ndarray:
        """Where points are drawn, without clipping (for markers that are inside)."""
        xy = self.to_box(points, loss)
        return xy if self.lift is None else self.lift(xy)

    def path(self, points: np.ndarray, loss: np.ndarray) -> ClippedPath:
        """A run's path clipped to the window (and lifted onto the surface in 3-D)."""
        clipped = clip_path(self.to_box(points, loss), self.box)
        return clipped if self.lift is None else clipped.mapped(self.lift)


def frame_steps(steps: int, frames: int) -> np.ndarray:
    """The steps shown by at most ``frames`` frames: evenly spaced from 0, the last step always included."""
    if steps + 1 <= frames:
        return np.arange(steps + 1)
    return np.unique(np.round(np.linspace(0, steps, frames)).astype(int))
