"""Marks over the function in the main axes: run paths, head markers, starts, ends, minima, 1-D arrows."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch

from optviz.functions import TestFunction
from optviz.render.runs import RunArt
from optviz.settings import DrawSettings
from optviz.themes import Theme
from optviz.trajectory import Trajectory

__all__ = ["PathMapper", "draw_arrows", "draw_ends", "draw_minima", "draw_path", "draw_starts"]

#: ``xy_of(points, loss) -> (M, 2 or 3)``: a path in the main axes' coordinates (from the view)
PathMapper = Callable[[np.ndarray, np.ndarray], np.ndarray]
#: paths longer than this get a marker every few steps (a marker per step would be a solid tube)
MAX_MARKERS = 200
#: 1-D arrows: at most this many per run, only on segments at least ARROW_MIN_PX long
MAX_ARROWS = 40
ARROW_MIN_PX = 14.0


def draw_minima(ax: Axes, fn: TestFunction, theme: Theme, xy_of: PathMapper, animated: bool) -> list[Artist]:
    """A star per global minimum, a dot per local one, a cross per saddle, where inside the axes."""
    style = {
        "global": {"marker": "*", "ms": 16},
        "local": {"marker": "o", "ms": 8},
        "saddle": {"marker": "X", "ms": 10},
    }
    out = []
    for minimum in fn.minima:
        xy = xy_of(np.asarray(minimum.point, dtype=float)[None, :], np.array([minimum.value]))
        if not len(xy) or not _inside(ax, xy[0]):
            continue
        out += ax.plot(
            *xy.T,
            animated=animated,
            ls="none",
            mfc=theme.marker,
            mec=theme.foreground,
            mew=1.2,
            zorder=8,  # over the paths, under heads and end dots: a run that arrives stays visible
            **style.get(minimum.kind, style["local"]),
        )
    return out


def _inside(ax: Axes, xy: np.ndarray) -> bool:
    (x0, x1), (y0, y1) = sorted(ax.get_xlim()), sorted(ax.get_ylim())
    return bool(x0 <= xy[0] <= x1 and y0 <= xy[1] <= y1)


def draw_path(
    ax: Axes, traj: Trajectory, color: str, xy: np.ndarray, opts: DrawSettings, animated: bool
) -> tuple[Line2D, Line2D | None]:
    """A run's path (empty until the scene's ``update``) and, when animated, its head marker."""
    n = len(traj.points)
    every = max(1, n // MAX_MARKERS)
    ms = 5.0 if every == 1 else 3.5
    if opts.view == "surface":
        ms *= 0.7
    line_kw = {
        "color": color,
        "lw": 1.8,
        "marker": "o",
        "ms": ms,
        "markevery": every,
        "zorder": 6,
        "animated": animated,
    }
    if opts.view != "surface" and traj.points.shape[1] == 1:
        line_kw.update(lw=1.2, alpha=0.9)
    path = ax.plot(*xy[:0].T, **line_kw)[0]
    if not animated:
        return path, None
    head = ax.plot(
        *xy[:0].T,
        ls="none",
        marker="o",
        ms=11,
        mfc=color,
        mec=opts.theme.background,
        mew=1.8,
        zorder=9,
        animated=True,
    )[0]
    return path, head


def draw_starts(ax: Axes, runs: list[RunArt], theme: Theme, animated: bool) -> list[Artist]:
    """A square where the runs start (one per distinct start point)."""
    out = []
    seen: set[tuple[float, ...]] = set()
    for run in runs:
        if not len(run.xy):
            continue
        key = tuple(np.round(run.xy[0], 12))
        if key in seen:
            continue
        seen.add(key)
        out += ax.plot(
            *run.xy[:1].T,
            ls="none",
            marker="s",
            ms=9,
            mfc=theme.marker,
            mec=theme.foreground,
            mew=1.4,
            zorder=7,
            animated=animated,
        )
    return out


def draw_ends(ax: Axes, runs: list[RunArt], theme: Theme) -> None:
    """Static figures: a larger dot where each run ended, a cross where a diverged run left the numbers."""
    for run in runs:
        if not len(run.xy):
            continue
        end = run.xy[-1:]
        if run.traj.diverged:
            ax.plot(*end.T, ls="none", marker="X", ms=12, mfc=run.color, mec=theme.foreground, mew=1.0, zorder=9)
        else:
            ax.plot(*end.T, ls="none", marker="o", ms=10, mfc=run.color, mec=theme.background, mew=1.8, zorder=9)


def draw_arrows(ax: Axes, runs: list[RunArt]) -> None:
    """1-D: arrows along the path show the order of the steps (points overlap on a curve)."""
    for run in runs:
        pixels = ax.transData.transform(run.xy)
        drawn = 0
        for k in range(len(run.xy) - 1):
            if np.hypot(*(pixels[k + 1] - pixels[k])) < ARROW_MIN_PX:
                continue
            ax.add_patch(
                FancyArrowPatch(
                    run.xy[k],
                    run.xy[k + 1],
                    arrowstyle="-|>",
                    mutation_scale=14,
                    color=run.color,
                    lw=1.4,
                    shrinkA=4,
                    shrinkB=5,
                    zorder=7,
                )
            )
            drawn += 1
            if drawn >= MAX_ARROWS:
                break
