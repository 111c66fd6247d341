"""Minima of a formula given without ``minima=``: searched over its window, marked ``found``.

A grid over the window gives the candidates (grid points lower than all their neighbours, the
lowest first); each is refined by a zoomed grid around it, then by Newton's method on the exact
gradient where that lands nearby on a point with a positive definite Hessian. Elementwise NumPy
and hand-written 2x2 algebra only, so the same points come out on every machine.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from optviz.functions.registry import Minimum, refine_stationary

__all__ = ["MAX_FOUND", "search_minima"]

Array = np.ndarray
#: at most this many minima are kept (the lowest); a periodic formula has one per period
MAX_FOUND = 8
_GRID = {1: 1001, 2: 81}


def search_minima(
    f: Callable[[Array], Array], grad: Callable[[Array], Array], window: tuple[tuple[float, float], ...]
) -> tuple[Minimum, ...]:
    """The minima inside ``window`` (global ones, within rounding of the lowest, first)."""
    dim = len(window)
    axes = [np.linspace(lo, hi, _GRID[dim]) for lo, hi in window]
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1)
    with np.errstate(all="ignore"):
        values = f(grid)
    values = np.where(np.isfinite(values), values, np.inf)
    candidates = _grid_minima(values)
    spacing = np.array([(hi - lo) / (_GRID[dim] - 1) for lo, hi in window])
    scale = float(max(hi - lo for lo, hi in window))
    found: list[tuple[tuple[float, ...], float]] = []
    for index in candidates:
        point = _refine(f, grad, grid[index], spacing, window)
        if point is None:
            continue
        value = float(f(np.asarray(point)))
        if any(np.max(np.abs(np.subtract(point, p))) <= 1e-3 * scale for p, _ in found):
            continue
        found.append((point, value))
        if len(found) == MAX_FOUND:
            break
    if not found:
        return ()
    lowest = min(value for _, value in found)
    return tuple(
        Minimum(point, value, "global" if value <= lowest + 1e-9 * max(1.0, abs(lowest)) else "local", found=True)
        for point, value in sorted(found, key=lambda pair: pair[1])
    )


def _grid_minima(values: Array) -> list[tuple[int, ...]]:
    """Indices of interior grid points lower than every neighbour (ties: not lower than any, and
    lower than one), the lowest first."""
    padded = np.pad(values, 1, constant_values=np.inf)
    inner = tuple(slice(1, -1) for _ in range(values.ndim))
    lower_or_equal = np.isfinite(values)
    strictly = np.zeros(values.shape, dtype=bool)
    for shift in np.ndindex(*(3,) * values.ndim):
        if all(s == 1 for s in shift):
            continue
        neighbour = padded[tuple(slice(s, s + n) for s, n in zip(shift, values.shape, strict=True))]
        lower_or_equal &= values <= neighbour
        strictly |= values < neighbour
    interior = np.zeros(values.shape, dtype=bool)
    interior[inner] = True
    mask = lower_or_equal & strictly & interior
    indices = np.argwhere(mask)
    order = np.argsort(values[mask], kind="stable")
    return [tuple(int(i) for i in indices[k]) for k in order[: 4 * MAX_FOUND]]


def _refine(
    f: Callable[[Array], Array], grad: Callable[[Array], Array], x0: Array, spacing: Array, window: tuple
) -> tuple[float, ...] | None:
    """Newton's method from ``x0`` if it ends inside the window, no higher, at a point with a positive
    definite Hessian; else a zoomed grid search (a kink such as abs(x) has no Newton step), which
    must close in on a point; else ``None``."""
    x = np.asarray(x0, dtype=float)
    with np.errstate(all="ignore"):
        newton = np.asarray(refine_stationary(grad, tuple(float(v) for v in x)))
        if (
            np.all(np.isfinite(newton))
            and _inside(newton, window)
            and float(f(newton)) <= float(f(x))
            and _positive_definite(grad, newton)
        ):
            return tuple(float(v) + 0.0 for v in newton)  # + 0.0: no -0.0
        step = spacing.copy()
        for _ in range(60):  # 11 points a side over +-step; shrink by 5 once the best is inside
            axes = [np.linspace(c - s, c + s, 11) for c, s in zip(x, step, strict=True)]
            local = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1)
            values = f(local)
            index = np.unravel_index(int(np.argmin(np.where(np.isfinite(values), values, np.inf))), values.shape)
            x = local[index]
            if all(0 < i < 10 for i in index):
                step = step / 5
                if np.all(step <= 1e-12 * (1 + np.abs(x))):
                    return tuple(float(v) + 0.0 for v in x) if _inside(x, window) else None
    return None


def _inside(x: Array, window: tuple) -> bool:
    return all(lo <= v <= hi for v, (lo, hi) in zip(x, window, strict=True))


def _positive_definite(grad: Callable[[Array], Array], x: Array) -> bool:
    h = 1e-5 * max(1.0, float(np.max(np.abs(x))))
    columns = [(grad(x + h * e) - grad(x - h * e)) / (2 * h) for e in np.eye(len(x))]
    if len(x) == 1:
        return bool(columns[0][0] > 0)
    (a, b), (c, d) = columns  # symmetric up to rounding: a 2x2 test by hand, no LAPACK
    return bool(a > 0 and a * d - 0.25 * (b + c) ** 2 > 0)
