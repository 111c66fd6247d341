"""The 3-D surface view (``--view surface``): the function as a shaded surface, paths drawn on it.

Log-levelled functions (rosenbrock, beale) are drawn as ``log10(f - f_min + delta)``, the z axis
labelled so: on a linear height their valley would be a flat floor under a wall. ``delta`` (the
lowest contour level) keeps the log finite and smooth where ``f`` reaches its minimum, so the
valley floor keeps its true slope instead of being cut flat. Other functions are drawn as ``f``.
Nothing is clipped: the z axis spans the surface.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib as mpl
import numpy as np
from matplotlib.colors import LightSource, LinearSegmentedColormap, to_rgb
from matplotlib.figure import Figure
from mpl_toolkits.mplot3d import Axes3D

from optviz.functions import TestFunction
from optviz.render.style import Levels, PathMapper
from optviz.themes import Theme

__all__ = ["Height", "add_axes", "surface_grid", "surface_height"]

#: grid points per side: fine enough for rastrigin's ripples and for rosenbrock's log valley, a
#: crevice narrower across x1 than a coarser grid's cell (which samples its floor as saw teeth);
#: 57,000 cells draw in about a second, once (animations blit over them)
RESOLUTION = 240
#: the drawn box's sides (matplotlib's default 3-D box aspect): x and y 4 units, z 3
BOX = (4.0, 4.0, 3.0)
#: the camera (degrees)
ELEVATION, AZIMUTH = 32.0, -58.0


@dataclass(frozen=True)
class Height:
    """The surface's height: ``log10(f - shift + delta)`` when ``log``, else ``f``."""

    log: bool
    shift: float = 0.0
    delta: float = 1.0

    def __call__(self, f: np.ndarray) -> np.ndarray:
        f = np.asarray(f, dtype=float)
        if not self.log:
            return f
        with np.errstate(all="ignore"):
            return np.log10(np.maximum(f - self.shift, 0.0) + self.delta)

    def label(self) -> str:
        """The z axis label: says log when the height is a log."""
        if not self.log:
            return "$f$"
        return rf"$\log_{{10}}(f - f_{{\min}} + {_short(self.delta)})$"


def _short(value: float) -> str:
    text = f"{value:.2g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        return rf"{mantissa} \cdot 10^{{{int(exponent)}}}"
    return text


def surface_height(levels: Levels) -> Height:
    """The height for a function coloured by ``levels``: log ones get ``delta`` = the lowest level."""
    if not levels.log:
        return Height(False)
    return Height(True, levels.shift, float(10.0 ** levels.levels[0]))


def _cmap(theme: Theme) -> LinearSegmentedColormap:
    # the contour fill is pale so paths pop on it; a surface needs more contrast to read as 3-D
    stops = (
        ("#234e78", "#4f82b0", "#9dbfdc", "#d9e5ef")
        if theme.name == "light"
        else ("#2b5d86", "#3f7fae", "#86b6d9", "#d8e8f3")
    )
    return LinearSegmentedColormap.from_list(f"optviz-surface-{theme.name}", list(stops))


def surface_grid(
    fn: TestFunction, limits: np.ndarray, height: Height, n: int = RESOLUTION
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The surface as drawn: ``x``, ``y`` and height on an ``n`` x ``n`` grid over ``limits``
    (nothing clipped; overflow becomes the highest finite height)."""
    xs = np.linspace(limits[0, 0], limits[0, 1], n)
    ys = np.linspace(limits[1, 0], limits[1, 1], n)
    xx, yy = np.meshgrid(xs, ys)
    return xx, yy, _heights(fn, height, np.stack([xx, yy], axis=-1))


def _heights(fn: TestFunction, height: Height, xy: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        z = height(fn.f(xy))
    finite = z[np.isfinite(z)]
    top = float(finite.max()) if finite.size else 1.0
    return np.where(np.isfinite(z), z, top)  # overflow (a 1e300 hill) is the highest finite value


def add_axes(
    fig: Figure,
    rect: tuple[float, float, float, float],
    fn: TestFunction,
    limits: np.ndarray,
    levels: Levels,
    theme: Theme,
) -> tuple[Axes3D, PathMapper]:
    """Create the 3-D axes at ``rect`` and draw the surface of ``fn`` over ``limits``.

    Returns:
        The axes and the :class:`~optviz.render.style.PathMapper` that lifts a path onto the surface.
    """
    # a 3-D axis reads its grid colour from rcParams when it is created; there is no setter
    with mpl.rc_context({"grid.color": (*to_rgb(theme.muted), 0.25)}):
        ax = fig.add_axes(rect, projection="3d", computed_zorder=False)
    height = surface_height(levels)
    xx, yy, zz = surface_grid(fn, limits, height)
    z_lo, z_hi = float(zz.min()), float(zz.max())
    if z_hi <= z_lo:
        z_lo, z_hi = z_lo - 1.0, z_hi + 1.0
    # shade in the drawn box's own units (x, y and z each scaled to its side), so the light falls
    # on the slopes as they appear, whatever the function's units
    light = LightSource(azdeg=315, altdeg=45)
    rgb = light.shade(
        zz,
        cmap=_cmap(theme),
        vert_exag=BOX[2] / (z_hi - z_lo),
        dx=BOX[0] / (RESOLUTION - 1),
        dy=BOX[1] / (RESOLUTION - 1),
        blend_mode="soft",
        vmin=z_lo,
        vmax=z_hi,
    )
    _draw_surface(ax, xx, yy, zz, rgb)
    ax.set_xlim(*limits[0])
    ax.set_ylim(*limits[1])
    ax.set_zlim(z_lo, z_hi)
    ax.view_init(elev=ELEVATION, azim=AZIMUTH)
    ax.set_xlabel(f"${fn.labels[0]}$", labelpad=2)
    ax.set_ylabel(f"${fn.labels[1]}$", labelpad=2)
    ax.set_zlabel(height.label(), labelpad=2)
    ax.tick_params(pad=0)
    for axis in (ax.xaxis, ax.yaxis, ax.zaxis):
        axis.set_pane_color(theme.background)
    return ax, _path_mapper(fn, height, limits, 0.015 * (z_hi - z_lo), z_hi)


def _draw_surface(ax: Axes3D, xx: np.ndarray, yy: np.ndarray, zz: np.ndarray, rgb: np.ndarray) -> None:
    """The grid's cells as polygons, in bands drawn from the farthest to the nearest.

    matplotlib sorts a surface's polygons by their mean depth, which on a steep wall puts some of
    a valley floor's tall thin cells in front of the wall that hides them: saw teeth along the
    valley. A height field seen from above has an exact order instead: a cell can only hide cells
    farther away horizontally. Each band, one cell wide across the view, is its own collection,
    drawn in that order (the axes draw by zorder); within a band the depth sort cannot go wrong.
    """
    from mpl_toolkits.mplot3d.art3d import Poly3DCollection

    corners = [(slice(None, -1), slice(None, -1)), (slice(None, -1), slice(1, None))]
    corners += [(slice(1, None), slice(1, None)), (slice(1, None), slice(None, -1))]
    polys = np.stack([np.stack([a[c] for c in corners], axis=-1) for a in (xx, yy, zz)], axis=-1).reshape(-1, 4, 3)
    colors = rgb[:-1, :-1].reshape(-1, rgb.shape[-1])
    # horizontal nearness to the eye, in the drawn box's units (each side scaled to BOX)
    azim = np.radians(AZIMUTH)
    u = (polys[..., 0].mean(axis=1) - xx.min()) / max(np.ptp(xx), 1e-300) * BOX[0]
    v = (polys[..., 1].mean(axis=1) - yy.min()) / max(np.ptp(yy), 1e-300) * BOX[1]
    near = u * np.cos(azim) + v * np.sin(azim)
    cell = (abs(np.cos(azim)) * BOX[0] + abs(np.sin(azim)) * BOX[1]) / (xx.shape[0] - 1)
    band = np.floor((near - near.min()) / cell).astype(int)
    bands = int(band.max()) + 1
    order = np.argsort(band, kind="stable")
    starts = np.searchsorted(band[order], np.arange(bands + 1))
    for b in range(bands):
        idx = order[starts[b] : starts[b + 1]]
        if not len(idx):
            continue
        ax.add_collection3d(
            Poly3DCollection(
                polys[idx],
                facecolors=colors[idx],
                edgecolors=colors[idx],  # no hairline gaps between cells
                linewidths=0,
                antialiased=False,
                zorder=0.5 * b / bands,  # the farthest first, all under the paths
            )
        )


def _path_mapper(fn: TestFunction, height: Height, limits: np.ndarray, lift: float, top: float) -> PathMapper:
    """Paths clipped to the window in x-y (3-D axes do not clip: a diverging path would fly
    across the figure), then lifted onto the surface a little above it."""

    def onto_surface(xy: np.ndarray) -> np.ndarray:
        xy = np.asarray(xy, dtype=float)
        with np.errstate(all="ignore"):
            z = height(fn.f(xy))
        z = np.where(np.isfinite(z) | np.isnan(xy).any(axis=-1), z, top)
        return np.column_stack([xy, z + lift])

    def at_points(points: np.ndarray, loss: np.ndarray) -> np.ndarray:
        del loss  # the surface is drawn from f; recomputing keeps edge points on the surface too
        return np.asarray(points, dtype=float)

    return PathMapper(np.asarray(limits, dtype=float), at_points, onto_surface)
