"""The contour view (``--view contour``): a 2-D function as filled contours, a 1-D one as its curve.

Each drawing returns a :class:`~optviz.render.style.PathMapper`, which places a path in the axes'
coordinates, clipped to the window. The contour levels (:func:`function_levels`) also colour the
surface view.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap, Normalize

from optviz.functions import TestFunction
from optviz.render.style import Levels, PathMapper, contour_levels
from optviz.themes import Theme

__all__ = ["draw_contours", "draw_curve", "fill_cmap", "function_levels", "path_2d"]


def function_levels(fn: TestFunction) -> Levels:
    """Contour levels from the function's own window (not the grown one), so a diverging path that
    widens the axes does not flatten the interesting region into one colour."""
    grid = _grid(np.asarray(fn.window, dtype=float), 120) if fn.dim == 2 else None
    if grid is None:
        return Levels(np.linspace(0.0, 1.0, 2), False)
    with np.errstate(all="ignore"):
        z = fn.f(grid[2])
    known = [m.value for m in fn.minima if m.kind != "saddle"]
    return contour_levels(z, log=True if fn.log_levels else None, minimum=min(known) if known else None)


def _grid(limits: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    xs = np.linspace(limits[0, 0], limits[0, 1], n)
    ys = np.linspace(limits[1, 0], limits[1, 1], n)
    xx, yy = np.meshgrid(xs, ys)
    return xs, ys, np.stack([xx, yy], axis=-1)


def fill_cmap(theme: Theme) -> LinearSegmentedColormap:
    """The filled-contour colormap of ``theme`` (lowest value first)."""
    cmap = LinearSegmentedColormap.from_list(f"optviz-{theme.name}", list(theme.fill))
    return cmap.with_extremes(under=theme.fill[0], over=theme.fill[-1])


def draw_contours(
    ax: Axes, fn: TestFunction, limits: np.ndarray, levels: Levels, theme: Theme
) -> list[tuple[float, ...]]:
    """Filled contours and contour lines; returns the band colours (for an exact GIF palette)."""
    xs, ys, grid = _grid(limits, 200)
    with np.errstate(all="ignore"):
        z = levels.transform(fn.f(grid))
    # colours span the function's own window; beyond it (a window grown for a diverging path) the
    # fill is the top colour but the contour lines go on
    norm = Normalize(levels.levels[0], levels.levels[-1])
    lines = levels.extended(float(np.nanmax(z)))
    bands = ax.contourf(xs, ys, z, levels=lines, cmap=fill_cmap(theme), norm=norm, extend="both", zorder=0)
    ax.contour(
        xs,
        ys,
        z,
        levels=lines,
        colors=theme.line,
        linewidths=0.7,
        alpha=theme.line_alpha,
        negative_linestyles="solid",  # a log level below 0 is not a negative value: no dashes
        zorder=1,
    )
    ax.set_xlim(*limits[0])
    ax.set_ylim(*limits[1])
    ax.set_xlabel(f"${fn.labels[0]}$")
    ax.set_ylabel(f"${fn.labels[1]}$")
    return [tuple(c) for c in bands.get_facecolor()]


def path_2d(limits: np.ndarray) -> PathMapper:
    """2-D: paths are drawn at their points, clipped to ``limits`` (the axes' window)."""

    def at_points(points: np.ndarray, loss: np.ndarray) -> np.ndarray:
        del loss
        return np.asarray(points, dtype=float)

    return PathMapper(np.asarray(limits, dtype=float), at_points)


def draw_curve(ax: Axes, fn: TestFunction, limits: np.ndarray, theme: Theme) -> PathMapper:
    """1-D: the curve ``f`` over the window; paths are drawn on it at ``(x, f(x))``."""
    xs = np.linspace(limits[0, 0], limits[0, 1], 800)
    with np.errstate(all="ignore"):
        ys = fn.f(xs[:, None])
    finite = ys[np.isfinite(ys)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    pad = 0.06 * (hi - lo or 1.0)
    ylim = (lo - pad, hi + pad)
    ax.plot(xs, ys, color=theme.line, lw=2.2, zorder=2, solid_capstyle="round")
    ax.set_xlim(*limits[0])
    ax.set_ylim(*ylim)
    ax.grid(True, lw=0.6)
    ax.set_xlabel(f"${fn.labels[0]}$")
    ax.set_ylabel(f"$f({fn.labels[0]})$")

    def on_curve(points: np.ndarray, loss: np.ndarray) -> np.ndarray:
        return np.column_stack([np.asarray(points, dtype=float)[:, 0], loss])

    return PathMapper(np.array([limits[0], ylim], dtype=float), on_curve)
