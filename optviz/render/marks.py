"""Marks over the function in the main axes: run paths, head markers, starts, ends, minima, 1-D arrows.

Paths are clipped to the window (:class:`~optviz.render.style.ClippedPath`): a path that leaves and
comes back is drawn in both parts, a small diamond marks where it leaves (filled) and where it comes
back (hollow), and a point beyond the window (the end, or the head of an animation) is shown on the
edge as an arrowhead pointing at it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.markers import MarkerStyle
from matplotlib.patches import FancyArrowPatch
from matplotlib.path import Path
from matplotlib.transforms import Affine2D

from optviz.functions import Minimum, TestFunction
from optviz.render.casing import display_xy, draw_casings
from optviz.render.minima import found_minima
from optviz.render.runs import RunArt
from optviz.render.style import ClippedPath, PathMapper, clip_path
from optviz.settings import DrawSettings
from optviz.themes import Theme
from optviz.trajectory import Trajectory

__all__ = [
    "PathMapper",
    "draw_arrows",
    "draw_crossings",
    "draw_ends",
    "draw_minima",
    "draw_path",
    "draw_reached_minima",
    "draw_starts",
    "legend_marks",
    "set_line_data",
    "show_path",
    "step_marks",
]

#: paths longer than this get a marker every few steps (a marker per step would be a solid tube)
MAX_MARKERS = 200
#: 1-D arrows: at most this many per run, only on segments at least ARROW_MIN_PX long
MAX_ARROWS = 40
ARROW_MIN_PX = 14.0
#: marker shapes and sizes (points) of the things drawn on a path
MINIMUM_STYLE = {
    "global": {"marker": "*", "ms": 16},
    "local": {"marker": "o", "ms": 8},
    "saddle": {"marker": "X", "ms": 10},
}
EDGE_MS = 6.5  # where a path leaves the window (filled diamond) or comes back (hollow diamond)
HEAD_MS, END_MS, OUTSIDE_MS = 11.0, 10.0, 17.0  # animated head, static end dot, arrowhead at the edge
RING_MS = 17.0  # a ring around an end dot that sits on a local minimum


# ---------------------------------------------------------------------------------------- minima


def draw_minima(ax: Axes, fn: TestFunction, theme: Theme, xy_of: PathMapper, animated: bool) -> list[Artist]:
    """A star per global minimum, a dot per local one, a cross per saddle, where inside the axes."""
    return _draw_points(ax, fn.minima, theme, xy_of, animated)


def _draw_points(
    ax: Axes, minima: Sequence[Minimum], theme: Theme, xy_of: PathMapper, animated: bool, label: str = ""
) -> list[Artist]:
    out = []
    for minimum in minima:
        xy = xy_of.point(np.asarray(minimum.point, dtype=float)[None, :], np.array([minimum.value]))
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
            label=label.format(kind=minimum.kind),
            **MINIMUM_STYLE.get(minimum.kind, MINIMUM_STYLE["local"]),
        )
    return out


def _inside(ax: Axes, xy: np.ndarray) -> bool:
    (x0, x1), (y0, y1) = sorted(ax.get_xlim()), sorted(ax.get_ylim())
    return bool(x0 <= xy[0] <= x1 and y0 <= xy[1] <= y1)


def draw_reached_minima(
    ax: Axes, fn: TestFunction, runs: list[RunArt], theme: Theme, xy_of: PathMapper, animated: bool
) -> list[Artist]:
    """Mark the minima the runs end in: those ``fn`` does not list (:func:`found_minima`) as the
    listed ones are marked (a star if global, a dot if local), and a ring around every local
    minimum a run ends on, which its end dot would otherwise hide."""
    found = found_minima(fn, [run.traj for run in runs])
    out = _draw_points(ax, found, theme, xy_of, animated, label="{kind} minimum (found)")
    ends = [display_xy(ax, run.clip.ends[-1:])[0] for run in runs if len(run.clip.ends) and not run.traj.diverged]
    reach = 0.5 * END_MS * ax.figure.dpi / 72.0  # pixels: the end dot covers the minimum's dot
    for minimum in (*fn.minima, *found):
        if minimum.kind != "local":
            continue  # a star is larger than an end dot; a saddle is not a minimum
        xy = xy_of.point(np.asarray(minimum.point, dtype=float)[None, :], np.array([minimum.value]))
        if not _inside(ax, xy[0]):
            continue
        at = display_xy(ax, xy)[0]
        if not any(np.hypot(*(end - at)) <= reach for end in ends):
            continue
        out += ax.plot(
            *xy.T,
            ls="none",
            marker="o",
            ms=RING_MS,
            mfc="none",
            mec=theme.foreground,
            mew=1.5,
            zorder=9.5,  # over the end dot it surrounds
            animated=animated,
            label="local minimum reached",
        )
    return out


def legend_marks(
    fn: TestFunction, trajs: Sequence[Trajectory], limits: np.ndarray, theme: Theme
) -> list[tuple[Line2D, str]]:
    """Legend handles for the marks this module adds where the runs need them: where a path leaves
    the window and comes back, an end beyond it, a minimum found or reached (for the legend,
    which is laid out before the paths are drawn; only the window's ``limits`` are needed).
    """
    box = np.asarray(limits, dtype=float)
    leaves = comes = beyond = False
    big = float(np.finfo(float).max)
    for traj in trajs:
        points = np.nan_to_num(np.asarray(traj.points, dtype=float), nan=0.0, posinf=big, neginf=-big)
        if np.all((points >= box[:, 0]) & (points <= box[:, 1])):
            continue  # inside throughout (as clip_path tells inside): never leaves, ends inside
        clip = clip_path(traj.points, box)
        leaves |= bool(len(clip.exits))
        comes |= bool(len(clip.entries))
        beyond |= bool(len(clip.inside)) and not bool(clip.inside[-1]) and not traj.diverged
    found = found_minima(fn, trajs)
    marker = {"ls": "none", "mec": theme.foreground}
    out: list[tuple[Line2D, str]] = []
    if leaves:
        out.append((Line2D([], [], marker="D", ms=EDGE_MS, mfc=theme.muted, mew=0.9, **marker), "leaves the window"))
    if comes:
        out.append((Line2D([], [], marker="D", ms=EDGE_MS, mfc=theme.background, mew=1.6, **marker), "comes back"))
    if beyond:
        out.append(
            (
                Line2D([], [], marker=_arrow(0.0), ms=OUTSIDE_MS, mfc=theme.muted, mew=1.0, **marker),
                "ends outside the window",
            )
        )
    for kind in ("global", "local"):
        if any(m.kind == kind for m in found):
            style = MINIMUM_STYLE[kind]
            handle = Line2D([], [], mfc=theme.marker, mew=1.2, **style, **marker)
            out.append((handle, f"{kind} minimum (found)"))
    return out


# ------------------------------------------------------------------------------------------ paths


def draw_path(
    ax: Axes, traj: Trajectory, color: str, clip: ClippedPath, opts: DrawSettings, animated: bool
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
        "markevery": [],  # set by show_path: the path's own points, not where it crosses the edge
        "zorder": 6,
        "animated": animated,
    }
    if opts.view != "surface" and traj.points.shape[1] == 1:
        line_kw.update(lw=1.2, alpha=0.9)
    path = ax.plot(*clip.xy[:0].T, **line_kw)[0]
    if not animated:
        return path, None
    head = ax.plot(
        *clip.xy[:0].T,
        ls="none",
        marker="o",
        ms=HEAD_MS,
        mfc=color,
        mec=opts.theme.background,
        mew=1.8,
        zorder=9,
        animated=True,
        clip_on=False,  # on the window's edge when the head is beyond it
    )[0]
    return path, head


def show_path(run: RunArt, k: int, is3d: bool, grow: bool = True) -> None:
    """Show ``run``'s path up to point ``k``: the line, its step markers, where it left and came
    back, its casing, and the head (on the edge, pointing out, when the point is beyond it).
    With ``grow=False`` the path and casing lines are left alone (the player draws them)."""
    clip = run.clip
    m = clip.rows(k)
    if grow:
        set_line_data(run.path, clip.xy[:m], is3d)
        marks = step_marks(run)
        run.path.set_markevery(marks[: int(np.searchsorted(marks, m))].tolist())
    if run.head is not None:
        j = min(k, len(clip.ends) - 1)
        set_line_data(run.head, clip.ends[j : j + 1], is3d)
        _end_style(run.head, run, j, HEAD_MS)
    if run.leaves is not None:
        set_line_data(run.leaves, clip.exits[: int(np.searchsorted(clip.exit_steps, k, side="right"))], is3d)
    if run.returns is not None:
        set_line_data(run.returns, clip.entries[: int(np.searchsorted(clip.entry_steps, k, side="right"))], is3d)
    if grow and run.casing is not None and run.casing_rows is not None:
        set_line_data(run.casing, run.casing_xy[: run.casing_rows[m]], is3d)


def step_marks(run: RunArt) -> np.ndarray:
    """The rows of ``run.clip.xy`` that get a step marker (every few steps on a long path)."""
    if run.marks is None:
        clip = run.clip
        every = max(1, len(run.traj.points) // MAX_MARKERS)
        run.marks = clip.point_rows[clip.point_index % every == 0]
    return run.marks


def set_line_data(line: Line2D, xy: np.ndarray, is3d: bool) -> None:
    """Set a line's vertices: (M, 2) rows, or (M, 3) on the surface view's 3-D axes."""
    if is3d:
        line.set_data_3d(xy[:, 0], xy[:, 1], xy[:, 2])  # type: ignore[attr-defined]
    else:
        line.set_data(xy[:, 0], xy[:, 1])


def _end_style(line: Line2D, run: RunArt, j: int, inside_ms: float) -> None:
    """The run's own marker (its path's) at a point inside the window; beyond it, an arrowhead on
    the edge pointing at it. Sizes follow the path's line width (a text scale thickens both)."""
    scale = _scale(run)
    if run.clip.inside[j] or run.head_angle is None:
        marker = run.path.get_marker()
        if line.get_marker() != marker:  # a new MarkerStyle each frame costs more than the head's drawing
            line.set_marker(marker)
        line.set_markersize(inside_ms * scale)
        line.set_markeredgewidth(1.8)
    else:
        line.set_marker(_arrow(float(run.head_angle[j])))
        line.set_markersize(OUTSIDE_MS * scale)
        line.set_markeredgewidth(1.0)  # a thin outline: the dart is narrow


def _scale(run: RunArt) -> float:
    """How much thicker than drawn by :func:`draw_path` the run's path has been made."""
    nominal = 1.2 if run.traj.points.shape[1] == 1 and run.path.axes.name != "3d" else 1.8
    return float(run.path.get_linewidth()) / nominal


#: an arrowhead (a dart) pointing along +x: unlike a triangle, it points one way at any angle
_DART = Path([(1.0, 0.0), (-0.8, 0.8), (-0.4, 0.0), (-0.8, -0.8), (1.0, 0.0)], closed=True)


def _arrow(angle: float) -> MarkerStyle:
    """An arrowhead pointing ``angle`` degrees (counter-clockwise from +x on the screen)."""
    return MarkerStyle(_DART, transform=Affine2D().rotate_deg(angle))


def _box_size(ax: Axes) -> np.ndarray:
    return np.array([abs(np.subtract(*ax.get_xlim())), abs(np.subtract(*ax.get_ylim()))])


def _outward_angles(ax: Axes, clip: ClippedPath) -> np.ndarray:
    """Screen angle (degrees) from each point's place on the edge toward the point (0 inside)."""
    step = np.zeros_like(clip.ends)
    step[:, :2] = 0.02 * clip.toward * _box_size(ax)
    a, b = display_xy(ax, clip.ends), display_xy(ax, clip.ends + step)
    return np.degrees(np.arctan2(b[:, 1] - a[:, 1], b[:, 0] - a[:, 0]))


def draw_crossings(ax: Axes, runs: list[RunArt], opts: DrawSettings, animated: bool) -> list[Artist]:
    """Per run: diamonds where its path leaves the window (filled) and comes back (hollow), the
    direction of its points beyond the window (for the head and end arrowheads), and a lighter,
    wider casing under the parts where a later-drawn run covers it (several runs from one start).

    Returns the new artists (empty until the scene's ``update``), drawn over the background.
    """
    theme = opts.theme
    out: list[Artist] = []
    for run in runs:
        clip = run.clip
        if not clip.inside.all():
            run.head_angle = _outward_angles(ax, clip)
        if len(clip.exits):
            run.leaves = _edge_mark(ax, run, run.color, theme.foreground, 0.9, "leaves the window", animated)
            out.append(run.leaves)
        if len(clip.entries):
            run.returns = _edge_mark(ax, run, theme.background, run.color, 1.6, "comes back", animated)
            out.append(run.returns)
    out += draw_casings(ax, runs, opts, animated)
    return out


def draw_starts(ax: Axes, runs: list[RunArt], theme: Theme, animated: bool) -> list[Artist]:
    """A square where the runs start (one per distinct start point). A start beyond the window gets
    none: a square on the edge would mark a point the run never visited; the path's entry diamond
    shows where it comes in."""
    out = []
    seen: set[tuple[float, ...]] = set()
    for run in runs:
        if not len(run.clip.ends) or not run.clip.inside[0]:
            continue
        key = tuple(np.round(run.clip.ends[0], 12))
        if key in seen:
            continue
        seen.add(key)
        out += ax.plot(
            *run.clip.ends[:1].T,
            ls="none",
            marker="s",
            ms=9,
            mfc=theme.marker,
            mec=theme.foreground,
            mew=1.4,
            zorder=7,
            animated=animated,
            clip_on=False,
        )
    return out


def draw_ends(ax: Axes, runs: list[RunArt], theme: Theme) -> None:
    """Static figures: a larger dot where each run ended, a cross where a diverged run left the
    numbers; an end beyond the window is drawn on its edge (an arrowhead pointing at it)."""
    for run in runs:
        clip = run.clip
        if not len(clip.ends):
            continue
        end = clip.ends[-1:]
        if run.traj.diverged:
            ax.plot(
                *end.T,
                ls="none",
                marker="X",
                ms=12 * _scale(run),
                mfc=run.color,
                mec=theme.foreground,
                mew=1.0,
                zorder=9,
                clip_on=False,
            )
            continue
        line = ax.plot(
            *end.T, ls="none", marker="o", mfc=run.color, mec=theme.background, mew=1.8, zorder=9, clip_on=False
        )[0]
        _end_style(line, run, len(clip.ends) - 1, END_MS)


def draw_arrows(ax: Axes, runs: list[RunArt]) -> None:
    """1-D: arrows along the path show the order of the steps (points overlap on a curve)."""
    for run in runs:
        xy = run.clip.xy
        pixels = ax.transData.transform(xy)
        drawn = 0
        for k in range(len(xy) - 1):
            if not (np.isfinite(xy[k]).all() and np.isfinite(xy[k + 1]).all()):
                continue
            if np.hypot(*(pixels[k + 1] - pixels[k])) < ARROW_MIN_PX:
                continue
            ax.add_patch(
                FancyArrowPatch(
                    xy[k],
                    xy[k + 1],
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


def _edge_mark(ax: Axes, run: RunArt, face: str, edge: str, width: float, label: str, animated: bool) -> Artist:
    """An empty diamond marker artist on the window's edge (its points are set per frame)."""
    return ax.plot(
        [],
        [],
        ls="none",
        marker="D",
        ms=EDGE_MS * _scale(run),
        mfc=face,
        mec=edge,
        mew=width,
        zorder=7,
        animated=animated,
        clip_on=False,
        label=label,
    )[0]
