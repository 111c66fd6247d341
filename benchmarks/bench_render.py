"""Render speed: optviz's GIF against a matplotlib FuncAnimation script that draws the same picture.

The reference animation: ravine, gd / momentum / adam at lr 0.4, 100 steps, 100 frames at 10 fps,
800x450, contour map + loss panel. The baseline is what a careful matplotlib user would write for
that same picture: a pyplot figure, the contours drawn once with optviz's own contour levels
(``optviz.render.style.contour_levels``) over optviz's own window (``plot_window``), the same
colours, marker shapes, legend (with each run's current loss) and log-scaled loss panel,
``set_data`` per frame, ``blit=True``, saved with ``FuncAnimation.save`` and ``PillowWriter``.
Both draw the same precomputed runs in this process. Not copied: optviz's pale casings where
paths coincide, its tick thinning, and its longer hold of the last frame (PillowWriter gives
every frame the same delay); none changes what a frame costs to draw much.

Method (see rounds.py): one untimed warm-up of each renderer (imports, font caches), then
``--rounds`` rounds of optviz GIF, baseline GIF, optviz PNG (1280x720, informational); the
speed-up is baseline/optviz per round, reported as the median [min, max] of those ratios.

Targets: optviz GIF >= 35x as fast as the baseline, and <= 200 KB.

    .venv/bin/python benchmarks/bench_render.py [--rounds 7] [--out-dir /tmp/optviz-bench]
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from rounds import COMPARISON_HEADERS, Rounds, alternate, format_table, method_lines, spread, verdict

import optviz
from optviz.functions import TestFunction
from optviz.functions import get as get_function
from optviz.render import render
from optviz.render.contour import fill_cmap
from optviz.render.style import Levels, contour_levels, frame_steps, plot_window
from optviz.settings import default_dpi
from optviz.themes import THEMES, run_colors, run_markers

FUNCTION = "ravine"
OPTIMIZERS = ("gd", "momentum", "adam")
LR, STEPS, FRAMES, FPS = 0.4, 100, 100, 10
WIDTH, HEIGHT = 800, 450
PANEL = "loss"
FONT_PT = 12.0  # optviz's body font size

TARGET_SPEEDUP, TARGET_GIF_KB = 35.0, 200.0


def reference_runs() -> list[optviz.Trajectory]:
    return [optviz.run(FUNCTION, opt, lr=LR, steps=STEPS) for opt in OPTIMIZERS]


def optviz_gif(runs: list[optviz.Trajectory], path: Path) -> None:
    render(runs, FUNCTION, path, size=f"{WIDTH}x{HEIGHT}", frames=FRAMES, fps=FPS, panels=PANEL)


def optviz_png(runs: list[optviz.Trajectory], path: Path) -> None:
    render(runs, FUNCTION, path, size="16:9", panels=PANEL)


# ------------------------------------------------------------------------------------ the baseline


def optviz_levels(fn: TestFunction) -> Levels:
    """optviz's contour levels: ``contour_levels`` over the function's own window, 120x120 points,
    shifted by the known minimum (the same call the renderer makes)."""
    xx, yy = np.meshgrid(*(np.linspace(lo, hi, 120) for lo, hi in fn.window))
    z = fn.f(np.stack([xx, yy], axis=-1))
    known = [m.value for m in fn.minima if m.kind != "saddle"]
    return contour_levels(z, log=True if fn.log_levels else None, minimum=min(known) if known else None)


def draw_contours(ax, fn: TestFunction, limits: np.ndarray, theme) -> None:
    """Filled contours and lines at optviz's levels, continued over the window grown for the paths."""
    levels = optviz_levels(fn)
    xs, ys = (np.linspace(lo, hi, 200) for lo, hi in limits)
    xx, yy = np.meshgrid(xs, ys)
    z = levels.transform(fn.f(np.stack([xx, yy], axis=-1)))
    lines = levels.extended(float(np.nanmax(z)))
    norm = (levels.levels[0], levels.levels[-1])
    ax.contourf(xs, ys, z, levels=lines, cmap=fill_cmap(theme), vmin=norm[0], vmax=norm[1], extend="both", zorder=0)
    ax.contour(xs, ys, z, levels=lines, colors=theme.line, linewidths=0.7, alpha=theme.line_alpha, zorder=1)
    ax.set_xlim(*limits[0])
    ax.set_ylim(*limits[1])
    ax.set_aspect("equal")
    ax.set_xlabel(f"${fn.labels[0]}$")
    ax.set_ylabel(f"${fn.labels[1]}$")


def loss_limits(runs: list[optviz.Trajectory]) -> tuple[float, float]:
    """The loss panel's log-scale limits as optviz sets them (every run's loss is positive here)."""
    low = min(float(t.loss.min()) for t in runs)
    high = max(min(float(t.loss.max()), float(t.loss[0]) * 1e3) for t in runs)
    return low / 2, high * 2


@dataclass
class BaselineArtists:
    """What the baseline's frames change: per run its path, head marker, loss curve and curve
    head, its legend text (the current loss), and the step counter."""

    paths: list = field(default_factory=list)
    heads: list = field(default_factory=list)
    curves: list = field(default_factory=list)
    curve_heads: list = field(default_factory=list)
    values: list = field(default_factory=list)
    counter: Any = None

    def all(self) -> list:
        return [*self.paths, *self.heads, *self.curves, *self.curve_heads, *self.values, self.counter]


def baseline_figure(plt, runs: list[optviz.Trajectory]) -> tuple[Any, BaselineArtists]:
    """The still parts drawn once (contours, markers, panel, legend, title) and the moving artists, empty."""
    fn = get_function(FUNCTION)
    theme = THEMES["light"]
    dpi = default_dpi(WIDTH, HEIGHT)
    fig = plt.figure(figsize=(WIDTH / dpi, HEIGHT / dpi), dpi=dpi)
    ax = fig.add_axes((0.07, 0.12, 0.58, 0.76))
    panel = fig.add_axes((0.72, 0.09, 0.26, 0.63))
    draw_contours(ax, fn, plot_window(fn.window, [t.points for t in runs]), theme)
    marker_style = {"ls": "none", "mfc": theme.marker, "mec": theme.foreground}
    start = ax.plot(*runs[0].points[0], marker="s", ms=9, mew=1.4, zorder=7, **marker_style)
    minimum = ax.plot(0.0, 0.0, marker="*", ms=13, mew=1.2, zorder=8, **marker_style)
    moving = BaselineArtists()
    for color, marker in zip(run_colors(theme, len(runs)), run_markers(len(runs)), strict=True):
        moving.paths += ax.plot([], [], color=color, lw=1.8, marker=marker, ms=5, zorder=6)
        moving.heads += ax.plot(
            [], [], ls="none", marker=marker, ms=11, mfc=color, mec=theme.background, mew=1.8, zorder=9
        )
        moving.curves += panel.plot([], [], color=color, lw=1.8, zorder=3)
        moving.curve_heads += panel.plot([], [], ls="none", marker="o", ms=6, color=color, zorder=4)
    draw_loss_panel(panel, runs)
    legend = fig.legend(
        [*moving.paths, *start, *minimum],
        [t.label for t in runs] + ["start", "global minimum"],
        loc="upper left",
        bbox_to_anchor=(0.66, 0.93),
        frameon=False,
    )
    moving.values = legend.get_texts()[: len(runs)]
    fig.text(
        0.07, 0.95, f"{fn.spec}:   $f({', '.join(fn.labels)}) = {fn.formula}$", va="center", fontsize=1.25 * FONT_PT
    )
    # an Axes text placed in figure coordinates: Figure.draw skips figure-level artists marked
    # animated (blit=True marks them) even while saving, so a fig.text counter would never show
    moving.counter = ax.text(0.98, 0.95, "", transform=fig.transFigure, ha="right", va="center", color=theme.muted)
    return fig, moving


def draw_loss_panel(panel, runs: list[optviz.Trajectory]) -> None:
    panel.set_yscale("log")
    panel.set_ylim(*loss_limits(runs))
    panel.set_xlim(-0.01 * STEPS, 1.01 * STEPS)
    panel.grid(True, lw=0.6)
    panel.spines[["top", "right"]].set_visible(False)
    panel.set_xlabel("step")
    panel.set_ylabel("loss")


def show_step(moving: BaselineArtists, runs: list[optviz.Trajectory], k: int) -> list:
    """Set every moving artist to step ``k``; returns them (FuncAnimation's blit list)."""
    for i, traj in enumerate(runs):
        moving.paths[i].set_data(traj.points[: k + 1, 0], traj.points[: k + 1, 1])
        moving.heads[i].set_data(traj.points[k : k + 1, 0], traj.points[k : k + 1, 1])
        moving.curves[i].set_data(np.arange(k + 1), traj.loss[: k + 1])
        moving.curve_heads[i].set_data([k], traj.loss[k : k + 1])
        # as optviz: the current loss in the legend, "final loss" on the last frame
        value = "final loss" if k == STEPS else "loss"
        moving.values[i].set_text(f"{traj.label} · {value} {traj.loss[k]:.3g}")
    moving.counter.set_text(f"step {k} / {STEPS}")
    return moving.all()


def funcanimation_gif(runs: list[optviz.Trajectory], path: Path) -> None:
    """The same picture as :func:`optviz_gif`, the way a careful matplotlib user would animate it.

    Contours, axes, legend and title are drawn once; each frame only updates the moving artists
    (``set_data``, ``set_text``), and ``blit=True`` is set. ``Animation.save`` still draws the
    whole figure for every frame (blitting only applies on screen), then ``PillowWriter``
    quantizes every frame on its own: that is the cost being measured.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation, PillowWriter

    with plt.rc_context(THEMES["light"].rc(FONT_PT)):
        fig, moving = baseline_figure(plt, runs)
        frames = frame_steps(STEPS, FRAMES)  # the steps optviz shows
        anim = FuncAnimation(
            fig, lambda k: show_step(moving, runs, k), frames=frames, blit=True, cache_frame_data=False
        )
        anim.save(path, writer=PillowWriter(fps=FPS))
        plt.close(fig)


# ---------------------------------------------------------------------------------------- reporting


def file_facts(path: Path) -> str:
    with Image.open(path) as image:
        frames = getattr(image, "n_frames", 1)
        return f"{frames} frame{'s' * (frames > 1)}, {image.size[0]}x{image.size[1]}, {kilobytes(path):.0f} KB"


def kilobytes(path: Path) -> float:
    return path.stat().st_size / 1e3


def report(rounds: Rounds, files: dict[str, Path]) -> None:
    times = rounds.times
    print(
        f"reference animation: {FUNCTION}, {', '.join(OPTIMIZERS)} at lr {LR}, {STEPS} steps, "
        f"{FRAMES} frames at {FPS} fps, {WIDTH}x{HEIGHT}, contour + {PANEL} panel"
    )
    for line in method_lines(rounds, "one untimed warm-up of each first (imports, font caches)"):
        print(line)
    print()
    label = "GIF: optviz vs FuncAnimation + PillowWriter"
    speed = rounds.compare(label, "optviz GIF", "FuncAnimation GIF", faster=True, target=TARGET_SPEEDUP)
    gif_kb, base_kb = kilobytes(files["optviz GIF"]), kilobytes(files["FuncAnimation GIF"])
    size_row = [
        "GIF file size: optviz vs FuncAnimation",
        f"{gif_kb:.0f} KB",
        f"{base_kb:.0f} KB",
        f"{base_kb / gif_kb:.2f}× smaller",
        "—",
        f"≤ {TARGET_GIF_KB:g} KB",
        verdict(gif_kb <= TARGET_GIF_KB),
    ]
    png_row = ["optviz PNG 1280x720 (no baseline)", spread(times["optviz PNG"]), "—", "—", "—", "—", "info"]
    print(format_table(COMPARISON_HEADERS, [speed.cells(), size_row, png_row]))
    print()
    for name, values in times.items():
        per_frame = "" if "PNG" in name else f"; per frame {spread([v / FRAMES for v in values])}"
        print(f"{name}: median [min, max] {spread(values)}{per_frame}")
    for name, path in files.items():
        print(f"{name} file: {file_facts(path)}")
    print(f"files in {files['optviz GIF'].parent}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="alternating rounds (default 7, about 2 minutes)")
    parser.add_argument("--out-dir", type=Path, default=None, help="keep the files here (default: a temp folder)")
    args = parser.parse_args()
    out_dir = args.out_dir or Path(tempfile.mkdtemp(prefix="optviz-bench-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {
        "optviz GIF": out_dir / "optviz.gif",
        "FuncAnimation GIF": out_dir / "funcanimation.gif",
        "optviz PNG": out_dir / "optviz.png",
    }
    runs = reference_runs()
    contenders = {
        "optviz GIF": lambda: optviz_gif(runs, files["optviz GIF"]),
        "FuncAnimation GIF": lambda: funcanimation_gif(runs, files["FuncAnimation GIF"]),
        "optviz PNG": lambda: optviz_png(runs, files["optviz PNG"]),
    }
    for warm_up in contenders.values():
        warm_up()
    report(alternate(contenders, args.rounds), files)


if __name__ == "__main__":
    main()
