"""The scene: every artist of one figure, built once, then shown at any step.

:func:`build_scene` draws a figure on an Agg canvas without pyplot. Its moving parts (paths, head
markers, panel curves, step counter) are plain artists whose data :meth:`Scene.update` sets to any
step, so a picture is "the scene at its last step" (:mod:`optviz.render.static`) and an animation
is the same scene with those artists marked animated, blitted over a background drawn once
(:mod:`optviz.render.player`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.mathtext import MathTextParser

from optviz.functions import TestFunction
from optviz.i18n import tr
from optviz.render.arrows import Arrows, add_arrows
from optviz.render.contour import draw_contours, draw_curve, function_levels, path_2d
from optviz.render.data_panel import DataArt, add_data_panel
from optviz.render.glyphs import remember_measures
from optviz.render.layout import arrange, legend_room, main_aspect, window
from optviz.render.legend import RunValues, add_legend, add_values
from optviz.render.marks import (
    draw_arrows,
    draw_crossings,
    draw_ends,
    draw_minima,
    draw_path,
    draw_reached_minima,
    draw_starts,
    show_path,
)
from optviz.render.panels import add_panels, limit_ticks
from optviz.render.runs import RunArt
from optviz.render.style import frame_steps, plot_window
from optviz.render.title import StepCounter, add_title
from optviz.settings import DrawSettings
from optviz.themes import run_colors, run_markers
from optviz.trajectory import Trajectory

__all__ = ["Scene", "build_scene"]

_MATHTEXT = MathTextParser("path")  # what RendererAgg makes for each new renderer


def _new_parser_after_fork() -> None:
    """A forked process (sweep workers) gets a parser of its own: the parent's holds its parsed
    formulas' FreeType fonts, whose open font files share their read offset with the parent's
    and the other workers' (two processes reading at once: "FT_Load_Glyph ... invalid outline").
    matplotlib empties its own font cache after a fork for the same reason."""
    global _MATHTEXT
    _MATHTEXT = MathTextParser("path")


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_parser_after_fork)


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
    markers: list[Artist] = field(default_factory=list)  # start, minima and edge markers, drawn over the paths
    flat_colors: list[tuple[float, ...]] = field(default_factory=list)  # large single-colour areas (contour bands)
    values: RunValues | None = None  # animations: each run's loss beside its legend entry
    arrows: Arrows | None = None  # --show: gradient, update, momentum arrows
    data: DataArt | None = None  # the data panel's model lines

    def update(self, k: int, grow: bool = True) -> None:
        """Show every run's first ``k`` updates (``points[0..k]``); runs that stopped earlier show all.

        ``grow=False`` leaves the lines of :meth:`RunArt.growing` (paths, casings, panel curves)
        alone: the player draws only their new rows (setting them all would copy every row).
        """
        for run in self.runs:
            show_path(run, k, self.is3d, grow)  # the path clipped to the window, its head and edge marks
            for name, line in run.panel_lines.items():
                steps, values = run.series[name]
                j = min(k + 1, len(steps))  # lr[k] is the rate update k uses, shown at step k
                if grow:
                    line.set_data(steps[:j], values[:j])
                head = run.panel_heads.get(name)
                if head is not None:
                    head.set_data(steps[max(j - 1, 0) : j], values[max(j - 1, 0) : j])
        if self.counter is not None:
            self.counter.step = k
        if self.values is not None:
            self.values.update(k)
        if self.arrows is not None and self.counter is not None:  # animations: at each head
            self.arrows.update(k)
        if self.data is not None:
            self.data.update(k)

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
        if self.values is not None:
            out.extend(self.values.texts)
        if self.arrows is not None and self.counter is not None:
            out.extend(self.arrows.artists)
        if self.data is not None:
            out.extend(self.data.artists)
        return sorted(out, key=lambda artist: artist.get_zorder())


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
    # formulas laid out once per process: each renderer's own parser would parse a title again
    # (pyparsing, ~4 ms); its cache is keyed by the text, font, dpi and antialiasing, and the rc
    # settings mathtext also reads are the same pinned ones in every render
    renderer = canvas.get_renderer()
    renderer.mathtext_parser = _MATHTEXT
    remember_measures(renderer)  # texts measured once per process, not once per figure
    colors = run_colors(theme, len(trajs))
    is3d = opts.view == "surface"
    steps = _last_step(trajs)

    limits = window(plot_window(fn.window, [t.points for t in trajs]), opts, fn.dim)
    levels = function_levels(fn)
    aspect = main_aspect(fn, limits, opts)
    frames = frame_steps(steps, opts.frames) if animated else None
    shapes = run_markers(len(trajs))
    legend, tails = add_legend(fig, fn, trajs, (colors, shapes), limits, opts, legend_room(opts, aspect), frames)
    box = legend.get_window_extent(canvas.get_renderer())
    layout = arrange(opts, (box.width, box.height), aspect)
    legend.set_bbox_to_anchor(layout.legend_anchor, transform=fig.transFigure)

    flat_colors: list[tuple[float, ...]] = []
    if is3d:
        from optviz.render import surface

        main, xy_of = surface.add_axes(fig, layout.main, fn, limits, levels, theme)
    else:
        main = fig.add_axes(layout.main)
        if fn.dim == 1:
            xy_of = draw_curve(main, fn, limits, theme)
            if opts.ylim is not None:
                main.set_ylim(*opts.ylim)
        else:
            flat_colors = draw_contours(main, fn, limits, levels, theme)
            xy_of = path_2d(limits)
        limit_ticks(main, opts)
    markers = draw_minima(main, fn, theme, xy_of, animated)

    runs = []
    for traj, color, shape in zip(trajs, colors, shapes, strict=True):
        clip = xy_of.path(traj.points, traj.loss)
        path, head = draw_path(main, traj, color, clip, opts, animated)
        _restyle(path, head, shape, opts.line_scale)
        runs.append(RunArt(traj, color, clip, path, head))
    markers += draw_starts(main, runs, theme, animated)
    markers += draw_crossings(main, runs, opts, animated)
    markers += draw_reached_minima(main, fn, runs, theme, xy_of, animated)
    panels = add_panels(fig, layout, runs, opts, steps, animated)
    data = add_data_panel(panels["data"], fn, runs, opts, animated) if "data" in panels else None
    counter = (
        StepCounter(fig, layout.counter_xy, steps, opts.font_pt, theme.muted, tr("counter", opts.lang))
        if animated
        else None
    )
    add_title(fig, fn, opts, layout, counter.left if counter else layout.counter_xy[0] * opts.width, trajs)
    values = add_values(fig, legend, tails, trajs, opts, steps) if animated else None
    arrows = add_arrows(main, runs, opts, limits, animated)
    scene = Scene(
        fig, canvas, main, panels, runs, counter, steps, opts, is3d, markers, flat_colors, values, arrows, data
    )
    if not animated:
        scene.update(steps)
        draw_ends(main, runs, theme)
        if fn.dim == 1:
            draw_arrows(main, runs)
    return scene


def _restyle(path: Any, head: Any, shape: str, line_scale: float) -> None:
    """A run's own marker shape (the second cue beside its colour), lines thicker by ``line_scale``."""
    path.set_marker(shape)
    path.set_linewidth(path.get_linewidth() * line_scale)
    if head is not None:
        head.set_marker(shape)


def _last_step(trajs: Sequence[Trajectory]) -> int:
    """The step axis ends where the last run does: its planned steps, or the step where it diverged
    (if every run blew up early, 5000 planned steps would leave the panels and frames empty)."""
    ends = [t.diverged_at if t.diverged else int(t.settings.get("steps", t.steps)) for t in trajs]
    return max([1, *ends])
