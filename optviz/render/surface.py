"""The 3-D surface view (``--view surface``): the function as a shaded surface, paths drawn on it.

Log-levelled functions (rosenbrock, beale) are drawn as ``log10(f - f_min)``, the same values the
contour view colours by; otherwise their valley would be a flat floor under a wall.
"""

from __future__ import annotations

from collections.abc import Callable

import matplotlib as mpl
import numpy as np
from matplotlib.colors import LightSource, LinearSegmentedColormap, to_rgb
from matplotlib.figure import Figure
from mpl_toolkits.mplot3d import Axes3D

from optviz.functions import TestFunction
from optviz.render.style import Levels, truncate_far
from optviz.themes import Theme

__all__ = ["add_axes"]

#: grid points per side: enough for rastrigin's ripples, few enough to draw in ~50 ms
RESOLUTION = 80


def _cmap(theme: Theme) -> LinearSegmentedColormap:
    # the contour fill is pale so paths pop on it; a surface needs more contrast to read as 3-D
    stops = (
        ("#234e78", "#4f82b0", "#9dbfdc", "#d9e5ef")
        if theme.name == "light"
        else ("#2b5d86", "#3f7fae", "#86b6d9", "#d8e8f3")
    )
    return LinearSegmentedColormap.from_list(f"optviz-surface-{theme.name}", list(stops))


def _z(fn: TestFunction, levels: Levels, xy: np.ndarray, floor: float) -> np.ndarray:
    with np.errstate(all="ignore"):
        z = levels.transform(fn.f(xy))
    return np.clip(z, floor, levels.levels[-1])


def add_axes(
    fig: Figure,
    rect: tuple[float, float, float, float],
    fn: TestFunction,
    limits: np.ndarray,
    levels: Levels,
    theme: Theme,
) -> tuple[Axes3D, Callable[[np.ndarray, np.ndarray], np.ndarray]]:
    """Create the 3-D axes at ``rect`` and draw the surface of ``fn`` over ``limits``.

    Returns:
        The axes and ``xy_of(points, loss) -> (M, 3)``, which lifts a path onto the surface.
    """
    # a 3-D axis reads its grid colour from rcParams when it is created; there is no setter
    with mpl.rc_context({"grid.color": (*to_rgb(theme.muted), 0.25)}):
        ax = fig.add_axes(rect, projection="3d", computed_zorder=False)
    xs = np.linspace(limits[0, 0], limits[0, 1], RESOLUTION)
    ys = np.linspace(limits[1, 0], limits[1, 1], RESOLUTION)
    xx, yy = np.meshgrid(xs, ys)
    floor = levels.levels[0]
    zz = _z(fn, levels, np.stack([xx, yy], axis=-1), floor)
    if levels.log:
        # a log surface dips into a narrow crevice along a valley floor (rosenbrock) that a grid
        # can only sample as saw teeth: flatten the lowest few percent into a smooth channel
        floor = float(np.percentile(zz, 4))
        zz = np.maximum(zz, floor)
    light = LightSource(azdeg=315, altdeg=45)
    rgb = light.shade(zz, cmap=_cmap(theme), vert_exag=0.0, blend_mode="soft", vmin=floor, vmax=levels.levels[-1])
    ax.plot_surface(
        xx, yy, zz, facecolors=rgb, rstride=1, cstride=1, linewidth=0, antialiased=False, shade=False, zorder=0
    )
    ax.set_xlim(*limits[0])
    ax.set_ylim(*limits[1])
    ax.set_zlim(floor, levels.levels[-1])
    ax.view_init(elev=32, azim=-58)
    ax.set_xlabel(f"${fn.labels[0]}$", labelpad=2)
    ax.set_ylabel(f"${fn.labels[1]}$", labelpad=2)
    ax.set_zlabel(levels.label(), labelpad=2)
    ax.tick_params(pad=0)
    for axis in (ax.xaxis, ax.yaxis, ax.zaxis):
        axis.set_pane_color(theme.background)
    return ax, _path_mapper(fn, levels, limits, floor)


def _path_mapper(
    fn: TestFunction, levels: Levels, limits: np.ndarray, floor: float
) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """``(points, loss) -> (M, 3)``: a path lifted onto the surface, cut where it leaves the window
    (3-D axes do not clip, so a diverging path would otherwise fly across the figure)."""
    lift = 0.015 * (levels.levels[-1] - floor)

    def xy_of(points: np.ndarray, loss: np.ndarray) -> np.ndarray:
        del loss  # the surface is drawn from f; recomputing keeps the exit point on the surface too
        xy = truncate_far(points, limits)
        return np.column_stack([xy, _z(fn, levels, xy, floor) + lift])

    return xy_of
