"""The scene (function background, paths, side panels) and static figures: PNG, SVG, PDF.

A :class:`Scene` is built once on an Agg canvas without pyplot. Its moving parts (paths, head
markers, panel curves, step counter) are plain artists whose data :meth:`Scene.update` sets to any
step, so a static figure is "the scene at its last step" and an animation is the same scene with
those artists marked animated and blitted over a background drawn once.

Layout is computed here in pixels from the font size, before anything is drawn, instead of by
``tight_layout``/``constrained_layout``: it is faster, and blitting needs geometry that never
changes after the background is grabbed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.colors import LinearSegmentedColormap, Normalize, to_rgb
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch
from matplotlib.ticker import FuncFormatter, NullLocator

from optviz.functions import TestFunction
from optviz.output import atomic_path
from optviz.render.reproducible import rc_context, savefig_options
from optviz.render.style import Levels, contour_levels, far_box, plot_window, truncate_far
from optviz.settings import DrawSettings
from optviz.themes import Theme, run_colors
from optviz.trajectory import Trajectory

__all__ = ["Scene", "build_scene", "save_static"]

PANEL_LABELS = {"loss": "loss", "grad_norm": r"$\|\nabla f\|$", "lr": "lr"}
#: paths longer than this get a marker every few steps (a marker per step would be a solid tube)
MAX_MARKERS = 200
#: 1-D arrows: at most this many per run, only on segments at least ARROW_MIN_PX long
MAX_ARROWS = 40
ARROW_MIN_PX = 14.0


@dataclass
class RunArt:
    """The artists and data of one run."""

    traj: Trajectory
    color: str
    label: str
    xy: np.ndarray  # (M, 2) or (M, 3): the path in main-axes coordinates, cut where it leaves far away
    path: Any  # Line2D (Line3D in the surface view)
    head: Any | None = None  # animated head marker
    series: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    panel_lines: dict[str, Line2D] = field(default_factory=dict)
    panel_heads: dict[str, Line2D] = field(default_factory=dict)


@dataclass
class Scene:
    """A figure with its moving artists; :meth:`update` shows the runs up to a step."""

    fig: Figure
    canvas: FigureCanvasAgg
    main: Axes
    panels: dict[str, Axes]
    runs: list[RunArt]
    counter: StepCounter | None
    steps: int
    options: DrawSettings
    is3d: bool = False
    markers: list[Artist] = field(default_factory=list)  # start and minima markers, drawn over the paths
    flat_colors: list[tuple[float, ...]] = field(default_factory=list)  # large single-colour areas (contour bands)

    def update(self, k: int) -> None:
        """Show every run's first ``k`` updates (``points[0..k]``); runs that stopped earlier show all."""
        for run in self.runs:
            # ``xy`` row i is point i, except that a path cut far away ends one row early, on the exit point
            m = min(k + 1, len(run.xy))
            _set_path(run.path, run.xy[:m], self.is3d)
            if run.head is not None:
                _set_path(run.head, run.xy[max(m - 1, 0) : m], self.is3d)
            for name, line in run.panel_lines.items():
                steps, values = run.series[name]
                j = min(k + 1, len(steps))  # lr[k] is the rate update k uses, shown at step k
                line.set_data(steps[:j], values[:j])
                head = run.panel_heads.get(name)
                if head is not None:
                    head.set_data(steps[max(j - 1, 0) : j], values[max(j - 1, 0) : j])
        if self.counter is not None:
            self.counter.step = k

    @property
    def animated(self) -> list[Artist]:
        """The artists drawn over the background in each frame, in a full draw's order.

        Besides the moving ones this holds the start and minima markers: they sit above the paths,
        so they must be redrawn after them (a full ``canvas.draw`` sorts by zorder the same way).
        """
        out: list[Artist] = [run.path for run in self.runs] + self.markers
        for run in self.runs:
            if run.head is not None:
                out.append(run.head)
            out.extend(run.panel_lines.values())
            out.extend(run.panel_heads.values())
        if self.counter is not None:
            out.append(self.counter)
        return sorted(out, key=lambda artist: artist.get_zorder())


def _set_path(line: Any, xy: np.ndarray, is3d: bool) -> None:
    if is3d:
        line.set_data_3d(xy[:, 0], xy[:, 1], xy[:, 2])
    else:
        line.set_data(xy[:, 0], xy[:, 1])


class StepCounter(Artist):
    """``step k / K`` in the title band: the words are drawn once with the background, the number
    is pasted from digit bitmaps rendered once.

    matplotlib 3.11 lays out and rasterises every glyph of a new string on each draw (~1.5 ms
    for this label, more than all the paths of a frame together); digits are tabular in DejaVu
    Sans, so pasting cached digit cells at multiples of one advance looks the same.
    """

    def __init__(self, fig: Figure, xy: tuple[float, float], steps: int, font_pt: float, color: str):
        super().__init__()
        self.step = 0
        self.set_animated(True)
        renderer = fig.canvas.get_renderer()
        prop = FontProperties(size=font_pt)
        self._digits = len(str(steps))
        self._advance = renderer.get_text_width_height_descent("0", prop, False)[0]
        x_right, y_base = xy[0] * fig.bbox.width, xy[1] * fig.bbox.height
        suffix = fig.text(xy[0], xy[1], f"/ {steps}", ha="right", va="baseline", fontproperties=prop, color=color)
        space = 0.6 * self._advance
        self._right = x_right - suffix.get_window_extent(renderer).width - space
        prefix_right = self._right - self._digits * self._advance - space
        fig.text(
            prefix_right / fig.bbox.width, xy[1], "step", ha="right", va="baseline", fontproperties=prop, color=color
        )
        self._cells, self._baseline = _digit_cells(prop, fig.dpi, self._advance)
        self._rgb = np.array([round(255 * c) for c in to_rgb(color)], dtype=np.uint8)
        self._y = y_base
        fig.add_artist(self)

    def _image(self) -> np.ndarray:
        text = str(self.step).rjust(self._digits)[-self._digits :]
        cell_h, cell_w = self._cells[0].shape
        width = math.ceil(self._digits * self._advance) + cell_w
        image = np.empty((cell_h, width, 4), dtype=np.uint8)
        image[..., :3] = self._rgb
        alpha = image[..., 3]
        alpha[:] = 0
        for i, char in enumerate(text):
            if char != " ":
                x = round(i * self._advance)
                # one colour for all: where neighbouring cells overlap, coverage combines by max
                np.maximum(alpha[:, x : x + cell_w], self._cells[int(char)], out=alpha[:, x : x + cell_w])
        return image

    def draw(self, renderer: Any) -> None:
        if not self.get_visible():
            return
        image = self._image()
        x = round(self._right - self._digits * self._advance) - _CELL_PAD
        y = round(self._y - (image.shape[0] - self._baseline))
        gc = renderer.new_gc()
        renderer.draw_image(gc, x, y, np.ascontiguousarray(image[::-1]))  # bottom row first
        gc.restore()
        self.stale = False


#: pixels of room on each side of a digit cell: glyphs may overhang their advance
_CELL_PAD = 3


def _digit_cells(prop: FontProperties, dpi: float, advance: float) -> tuple[list[np.ndarray], int]:
    """Coverage (alpha) cells of the digits 0-9 and the baseline row in them."""
    size_px = prop.get_size_in_points() * dpi / 72
    height = math.ceil(1.5 * size_px) + 2
    baseline = math.ceil(1.15 * size_px) + 1
    width = math.ceil(advance) + 2 * _CELL_PAD
    cells = []
    for digit in "0123456789":
        renderer = RendererAgg(width, height, dpi)
        renderer.draw_text(renderer.new_gc(), _CELL_PAD, baseline, digit, prop, 0)
        cells.append(np.asarray(renderer.buffer_rgba())[..., 3].copy())
    return cells, baseline


# --------------------------------------------------------------------------------------------- build


def build_scene(trajs: Sequence[Trajectory], fn: TestFunction, options: DrawSettings, *, animated: bool) -> Scene:
    """Draw everything that does not move and create the moving artists (empty until ``update``).

    Args:
        trajs: the runs, all on ``fn``.
        fn: the function (its window, formula and minima set the background).
        options: checked settings.
        animated: mark moving artists animated (excluded from ``canvas.draw``, for blitting) and add
            head markers and a step counter; otherwise add start/end markers and 1-D arrows.
    """
    opts = options
    theme = opts.theme
    fig = Figure(figsize=(opts.width / opts.dpi, opts.height / opts.dpi), dpi=opts.dpi)
    canvas = FigureCanvasAgg(fig)
    colors = run_colors(theme, len(trajs))
    is3d = opts.view == "surface"
    steps = _last_step(trajs)

    limits = plot_window(fn.window, [t.points for t in trajs])
    levels = _levels(fn)
    labels = _run_labels(trajs)
    legend = _legend(fig, fn, trajs, labels, colors, limits, theme, opts)
    layout = _layout(canvas, opts, legend, _main_aspect(fn, limits, opts))
    legend.set_bbox_to_anchor(layout.legend_anchor, transform=fig.transFigure)

    flat_colors: list[tuple[float, ...]] = []
    if is3d:
        from optviz.render import surface

        main, xy_of = surface.add_axes(fig, layout.main, fn, limits, levels, theme)
    else:
        main = fig.add_axes(layout.main)
        if fn.dim == 1:
            xy_of = _draw_curve(main, fn, limits, theme)
        else:
            flat_colors = _draw_contours(main, fn, limits, levels, theme)
            xy_of = _path_2d(limits)
    markers = _draw_minima(main, fn, theme, xy_of, animated)

    runs = [
        _add_run(main, traj, color, label, xy_of(traj.points, traj.loss), opts, animated)
        for traj, color, label in zip(trajs, colors, labels, strict=True)
    ]
    markers += _draw_starts(main, runs, theme, animated)
    panels = _add_panels(fig, layout, runs, opts, steps, animated)
    _add_title(fig, fn, opts, layout)
    counter = StepCounter(fig, layout.counter_xy, steps, opts.font_pt, theme.muted) if animated else None
    scene = Scene(fig, canvas, main, panels, runs, counter, steps, opts, is3d, markers, flat_colors)
    if not animated:
        scene.update(steps)
        _draw_ends(main, runs, theme)
        if fn.dim == 1:
            _draw_arrows(main, runs)
    return scene


def _last_step(trajs: Sequence[Trajectory]) -> int:
    """The step axis ends where the last run does: its planned steps, or the step where it diverged
    (if every run blew up early, 5000 planned steps would leave the panels and frames empty)."""
    ends = [t.diverged_at if t.diverged else int(t.settings.get("steps", t.steps)) for t in trajs]
    return max([1, *ends])


def save_static(trajs: Sequence[Trajectory], fn: TestFunction, path: Path, options: DrawSettings) -> Path:
    """Render the runs to ``path`` (.png, .svg or .pdf), written atomically."""
    fmt = path.suffix.lower()[1:]
    with rc_context(options.theme.rc(options.font_pt)):
        scene = build_scene(trajs, fn, options, animated=False)
        with atomic_path(path) as tmp:
            scene.fig.savefig(
                tmp, format=fmt, dpi=options.dpi, facecolor=options.theme.background, **savefig_options(fmt)
            )
    return path


# ------------------------------------------------------------------------------------------- layout


@dataclass(frozen=True)
class _Layout:
    main: tuple[float, float, float, float]
    panels: list[tuple[float, float, float, float]]
    stacked: bool  # panels in one column sharing the step axis (else side by side, each labelled)
    legend_anchor: tuple[float, float]
    title_xy: tuple[float, float]
    counter_xy: tuple[float, float]


def _em(opts: DrawSettings) -> float:
    """Pixels per body-font em."""
    return opts.font_pt * opts.dpi / 72.0


def _main_aspect(fn: TestFunction, limits: np.ndarray, opts: DrawSettings) -> float | None:
    """Height/width of the main axes box: equal scales for 2-D windows that are not too elongated
    (so gradients look perpendicular to contours), a square-ish box in 3-D, free otherwise."""
    if opts.view == "surface":
        return 0.85
    if fn.dim == 2:
        ratio = (limits[1, 1] - limits[1, 0]) / (limits[0, 1] - limits[0, 0])
        if 0.4 <= ratio <= 2.5:
            return float(ratio)
    return None


def _layout(canvas: FigureCanvasAgg, opts: DrawSettings, legend: Any, aspect: float | None) -> _Layout:
    """Place the title band, legend, main axes and panels (figure fractions) from the font size."""
    box = legend.get_window_extent(canvas.get_renderer())
    if opts.width >= 1.2 * opts.height:
        return _wide_layout(opts, box.width, box.height, aspect)
    return _tall_layout(opts, box.height, aspect)


class _Frame:
    """Pixel geometry shared by both layouts: margins in ems, and pixel -> figure fraction."""

    def __init__(self, opts: DrawSettings, aspect: float | None):
        self.width, self.height, self.em, self.aspect = opts.width, opts.height, _em(opts), aspect
        self.top, self.bottom, self.left, self.right = 3.0 * self.em, 3.4 * self.em, 5.2 * self.em, 1.2 * self.em
        self.title_y = 1 - 0.5 * self.top / self.height

    def frac(self, x: float, y: float, w: float, h: float) -> tuple[float, float, float, float]:
        return (x / self.width, y / self.height, max(w, 1.0) / self.width, max(h, 1.0) / self.height)

    def fit(self, w: float, h: float) -> tuple[float, float]:
        """The largest box of the wanted aspect inside ``w`` x ``h`` (all of it if the aspect is free)."""
        if self.aspect is None:
            return w, h
        return (h / self.aspect, h) if w * self.aspect > h else (w, w * self.aspect)

    def title_and_counter(self) -> tuple[tuple[float, float], tuple[float, float]]:
        return (self.left / self.width, self.title_y), (1 - self.right / self.width, self.title_y)


def _wide_layout(opts: DrawSettings, legend_w: float, legend_h: float, aspect: float | None) -> _Layout:
    """Main plot on the left; legend on top of a right column of panels that share the step axis."""
    g, n = _Frame(opts, aspect), len(opts.panels)
    gap = 6.0 * g.em if n else 2.0 * g.em  # room for the panels' tick labels and y label
    column = max(legend_w, 14 * g.em if n else legend_w)
    avail_h = g.height - g.top - g.bottom
    main_w, main_h = g.fit(min(g.width - g.left - g.right - gap - column, 0.62 * g.width), avail_h)
    x1 = g.left + main_w + gap
    legend_top = g.height - g.top
    panels_top = legend_top - legend_h - (1.8 * g.em if legend_h > 1 else 0)
    step_gap = 1.0 * g.em
    panel_h = (panels_top - g.bottom - (n - 1) * step_gap) / n if n else 0
    panels = [
        g.frac(x1, g.bottom + (n - 1 - i) * (panel_h + step_gap), g.width - g.right - x1, panel_h) for i in range(n)
    ]
    main = g.frac(g.left, g.bottom + (avail_h - main_h) / 2, main_w, main_h)
    legend_x = (x1 - 4.0 * g.em * (n > 0)) / g.width  # aligned with the panels' y labels
    return _Layout(main, panels, True, (legend_x, legend_top / g.height), *g.title_and_counter())


def _tall_layout(opts: DrawSettings, legend_h: float, aspect: float | None) -> _Layout:
    """Legend under the title, the main plot, then the panels side by side at the bottom."""
    g, n = _Frame(opts, aspect), len(opts.panels)
    panel_h = 0.22 * g.height if n else 0
    main_bottom = g.bottom + panel_h + (3.8 * g.em if n else 0)
    main_top = g.height - g.top - legend_h - 0.8 * g.em
    avail_w = g.width - g.left - g.right
    main_w, main_h = g.fit(avail_w, main_top - main_bottom)
    gap = 6.0 * g.em
    panel_w = (avail_w - (n - 1) * gap) / n if n else 0
    panels = [g.frac(g.left + i * (panel_w + gap), g.bottom, panel_w, panel_h) for i in range(n)]
    main = g.frac(g.left + (avail_w - main_w) / 2, main_bottom + (main_top - main_bottom - main_h) / 2, main_w, main_h)
    legend_xy = ((g.left - 0.4 * g.em) / g.width, (g.height - g.top) / g.height)
    return _Layout(main, panels, False, legend_xy, *g.title_and_counter())


# --------------------------------------------------------------------------------------- background


def _levels(fn: TestFunction) -> Levels:
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


def _draw_contours(
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
    ax.contour(xs, ys, z, levels=lines, colors=theme.line, linewidths=0.7, alpha=theme.line_alpha, zorder=1)
    ax.set_xlim(*limits[0])
    ax.set_ylim(*limits[1])
    ax.set_xlabel(f"${fn.labels[0]}$")
    ax.set_ylabel(f"${fn.labels[1]}$")
    return [tuple(c) for c in bands.get_facecolor()]


def _path_2d(limits: np.ndarray):
    box = far_box(limits)

    def xy_of(points: np.ndarray, loss: np.ndarray) -> np.ndarray:
        del loss
        return truncate_far(points, box)

    return xy_of


def _draw_curve(ax: Axes, fn: TestFunction, limits: np.ndarray, theme: Theme):
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
    box = far_box(np.array([limits[0], ylim]))

    def xy_of(points: np.ndarray, loss: np.ndarray) -> np.ndarray:
        return truncate_far(np.column_stack([points[:, 0], loss]), box)

    return xy_of


def _draw_minima(ax: Axes, fn: TestFunction, theme: Theme, xy_of, animated: bool) -> list[Artist]:
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


def _add_run(
    ax: Axes, traj: Trajectory, color: str, label: str, xy: np.ndarray, opts: DrawSettings, animated: bool
) -> RunArt:
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
    run = RunArt(traj, color, label, xy, path)
    if animated:
        run.head = ax.plot(
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
    return run


def _draw_starts(ax: Axes, runs: list[RunArt], theme: Theme, animated: bool) -> list[Artist]:
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


def _draw_ends(ax: Axes, runs: list[RunArt], theme: Theme) -> None:
    """Static figures: a larger dot where each run ended, a cross where a diverged run left the numbers."""
    for run in runs:
        if not len(run.xy):
            continue
        end = run.xy[-1:]
        if run.traj.diverged:
            ax.plot(*end.T, ls="none", marker="X", ms=12, mfc=run.color, mec=theme.foreground, mew=1.0, zorder=9)
        else:
            ax.plot(*end.T, ls="none", marker="o", ms=10, mfc=run.color, mec=theme.background, mew=1.8, zorder=9)


def _draw_arrows(ax: Axes, runs: list[RunArt]) -> None:
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


# ------------------------------------------------------------------------------------------- legend


#: settings named in a legend entry when the runs of one figure differ in them
_DISTINGUISHING = ("schedule", "noise", "batch_size", "seed", "clip_norm", "clip_value")


def _run_labels(trajs: Sequence[Trajectory]) -> list[str]:
    """``"adam, lr=0.16 · final loss 1.2e-05"``; a setting the runs differ in (start point,
    schedule, noise, batch size, seed, clipping) is added."""
    differing = [k for k in _DISTINGUISHING if len({repr(t.settings.get(k)) for t in trajs}) > 1]
    starts = {tuple(t.settings.get("start", ())) for t in trajs}
    labels = []
    for i, traj in enumerate(trajs):
        s = traj.settings
        name = traj.label if "opt" in s and "lr" in s else f"run {i + 1}"
        for key in differing:
            value = s.get(key)
            name += f", {value}" if key == "schedule" and value else f", {key}={value if value is not None else '—'}"
        if len(starts) > 1 and s.get("start") is not None:
            name += " from (" + ", ".join(f"{v:g}" for v in s["start"]) + ")"
        if traj.diverged:
            labels.append(f"{name} · diverged at step {traj.diverged_at}")
        else:
            labels.append(f"{name} · final loss {traj.final_loss:.3g}")
    return labels


def _legend(
    fig: Figure,
    fn: TestFunction,
    trajs,
    labels: list[str],
    colors: list[str],
    limits: np.ndarray,
    theme: Theme,
    opts: DrawSettings,
) -> Any:
    handles = [Line2D([], [], color=c, lw=1.8, marker="o", ms=5) for c in colors]
    names = list(labels)
    if any(len(t.points) for t in trajs):
        handles.append(Line2D([], [], ls="none", marker="s", ms=8, mfc=theme.marker, mec=theme.foreground, mew=1.4))
        names.append("start")
    kinds = {m.kind for m in fn.minima if _within(m.point, limits)}
    for kind, marker, ms, text in (
        ("global", "*", 13, "global minimum"),
        ("local", "o", 7, "local minimum"),
        ("saddle", "X", 9, "saddle point"),
    ):
        if kind in kinds:
            handles.append(
                Line2D([], [], ls="none", marker=marker, ms=ms, mfc=theme.marker, mec=theme.foreground, mew=1.2)
            )
            names.append(text)
    wide = opts.width >= 1.2 * opts.height
    # a right column holds about ten entries; more (a sweep of learning rates) go in two columns
    ncol = (1 if len(names) <= 10 else 2) if wide else min(2, len(names))
    return fig.legend(
        handles,
        names,
        loc="upper left",
        ncol=ncol,
        frameon=False,
        borderaxespad=0.0,
        borderpad=0.0,
        handlelength=1.8,
        columnspacing=1.4,
        labelspacing=0.45,
    )


def _within(point: Sequence[float], limits: np.ndarray) -> bool:
    return all(lo <= v <= hi for v, (lo, hi) in zip(point, limits, strict=False))


def _add_title(fig: Figure, fn: TestFunction, opts: DrawSettings, layout: _Layout) -> None:
    if opts.title is not None:
        text = opts.title
    else:
        text = f"{fn.spec}:   $f({', '.join(fn.labels)}) = {fn.formula}$"
    title = fig.text(*layout.title_xy, text, ha="left", va="center", fontsize=1.25 * opts.font_pt)
    # long formulas (beale) must fit beside the step counter: shrink rather than overflow
    room = (1 - layout.title_xy[0]) * opts.width - 9 * _em(opts)
    renderer = fig.canvas.get_renderer()
    width = title.get_window_extent(renderer).width
    if width > room > 0:
        title.set_fontsize(max(0.6 * opts.font_pt, title.get_fontsize() * room / width))


# ------------------------------------------------------------------------------------------- panels


def _series(traj: Trajectory, name: str) -> tuple[np.ndarray, np.ndarray]:
    values = {"loss": traj.loss, "grad_norm": traj.grad_norm, "lr": traj.lr}[name]
    return np.arange(len(values), dtype=float), np.asarray(values, dtype=float)


def _add_panels(
    fig: Figure, layout: _Layout, runs: list[RunArt], opts: DrawSettings, steps: int, animated: bool
) -> dict[str, Axes]:
    """One axes per panel (loss, grad_norm, lr) with a curve per run, limits fixed from whole runs."""
    panels: dict[str, Axes] = {}
    rects = layout.panels
    for i, (name, rect) in enumerate(zip(opts.panels, rects, strict=True)):
        ax = fig.add_axes(rect)
        panels[name] = ax
        series = [_series(run.traj, name) for run in runs]
        log, ylim = _panel_scale(name, [v for _, v in series])
        if log:
            ax.set_yscale("log")
            ax.yaxis.set_minor_locator(NullLocator())  # minor ticks clutter a small panel (and cost ~50 ms)
            ax.yaxis.set_major_formatter(FuncFormatter(_power_label))
        ax.set_ylim(*ylim)
        ax.set_xlim(-0.01 * steps, 1.01 * steps)
        ax.grid(True, lw=0.6)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.set_ylabel(PANEL_LABELS[name])
        if not layout.stacked or i == len(rects) - 1:
            ax.set_xlabel("step")
        else:
            ax.tick_params(labelbottom=False)
        box = np.array([[-np.inf, np.inf], _far_values(ylim, log)])
        for run, (x, v) in zip(runs, series, strict=True):
            xy = truncate_far(np.column_stack([x, v]), box) if len(x) else np.zeros((0, 2))
            run.series[name] = (xy[:, 0], xy[:, 1])
            run.panel_lines[name] = ax.plot([], [], color=run.color, lw=1.8, animated=animated, zorder=3)[0]
            if animated:
                run.panel_heads[name] = ax.plot(
                    [], [], ls="none", marker="o", ms=6, color=run.color, animated=True, zorder=4
                )[0]
    return panels


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _power_label(value: float, pos: int | None = None) -> str:
    """``10⁻³`` in plain Unicode: matplotlib's log labels are mathtext, whose parser costs ~5 ms a label."""
    del pos
    if value <= 0 or not np.isfinite(value):
        return ""
    exponent = np.log10(value)
    if abs(exponent - round(exponent)) > 1e-9:
        return f"{value:g}"
    return "10" + str(round(exponent)).translate(_SUPERSCRIPT)


def _far_values(ylim: tuple[float, float], log: bool) -> list[float]:
    if log:
        return [0.0, np.inf]  # logs of finite values never overflow the renderer
    lo, hi = ylim
    return [lo - 20 * (hi - lo), hi + 20 * (hi - lo)]


def _panel_scale(name: str, values: list[np.ndarray]) -> tuple[bool, tuple[float, float]]:
    """Log scale when every value is positive and they span more than a decade, else linear.

    A run that blows up (diverged, or finite but growing to 1e60) would squash every other curve
    flat, so each run's contribution to the top is capped: three decades above its start on a log
    scale, twice the span of the calm runs on a linear one. Its curve leaves the panel instead.
    """
    finite = [v[np.isfinite(v)] for v in values]
    finite = [v for v in finite if v.size]
    if not finite:
        return False, (0.0, 1.0)
    allv = np.concatenate(finite)
    if name == "lr":
        hi = float(allv.max())
        return False, (0.0, 1.08 * hi if hi > 0 else 1.0)
    lo = float(allv.min())
    if lo > 0 and allv.max() > 10 * lo:
        hi = max(min(float(v.max()), float(v[0]) * 1e3) for v in finite)
        return True, (lo / 2.0, min(hi * 2.0, 1e308))
    # linear: limits from the runs that stay within a millionfold of where they started; a run that
    # blows up (cubic falling to -1e300) may only stretch them by twice their span
    calm = [v for v in finite if abs(v[-1]) <= 1e6 * (abs(v[0]) + 1)] or [v[: max(2, len(v) // 5)] for v in finite]
    calm_all = np.concatenate(calm)
    lo, hi = float(calm_all.min()), float(calm_all.max())
    span = hi - lo if hi > lo else max(abs(hi), 1.0) * 0.1
    lo, hi = max(float(allv.min()), lo - 2 * span), min(float(allv.max()), hi + 2 * span)
    pad = 0.05 * (hi - lo) if hi > lo else max(abs(hi), 1.0) * 0.1
    return False, (lo - pad, hi + pad)
