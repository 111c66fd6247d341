"""The ``data`` panel of a data loss: its points, and each run's model line at the current step.

A data loss (``thermometer``, ``single_weight``) fits a model to data points
(:class:`~optviz.functions.registry.DataFit`). This panel draws the points and, for each run in its
colour, the model's predictions at the run's current parameters: in an animation the line moves as
the fit improves; a picture shows the final line over the start line (faint, dashed).

- The inputs are drawn as the user reads them: ``thermometer(scale=0.1)``'s axis is the raw
  readings u, and its label says that the model sees 0.1·u.
- The axis limits come from the data and the best fit (the function's global minimum), never from
  the runs: an exploding run's line leaves the box instead of squashing the points.
- A run that diverged keeps its line at the last step whose predictions are all finite.

matplotlib is not imported here: :func:`check_data` runs before anything is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from optviz.errors import OutputError
from optviz.functions import TestFunction, get, names
from optviz.functions.registry import DataFit
from optviz.i18n import word
from optviz.settings import DrawSettings

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.lines import Line2D

    from optviz.render.runs import RunArt

__all__ = ["DataArt", "add_data_panel", "check_data", "data_limits", "functions_with_data", "model_line"]

# ---------------------------------------------------------------- the panel's words (one place)
#: the input axis: its symbol; with a scale, drawn as read (the figure's title shows the scale)
INPUT_LABEL = "{x}"
INPUT_SCALED_LABEL = "{x} (raw readings)"
#: the target axis
TARGET_LABEL = "{y}"
#: the key above the panel in a picture (an animation's one moving line needs none)
KEY_PICTURE = "dashed: start · solid: end"
#: asking for the panel on a function without data
NO_DATA_ERROR = (
    "--panels data draws a data loss's points and model line, and {fn} has no data; the functions with data are {names}"
)

#: samples of the model line across the panel (a line needs 2; a curved model more)
SAMPLES = 64
#: margins around the data: a share of the x span, and of the y span
X_MARGIN, Y_MARGIN = 0.08, 0.12
#: a line is cut where it leaves a band this many y spans beyond the panel (the renderer
#: overflows on an exploding run's 1e150)
FAR = 20.0


def functions_with_data() -> list[str]:
    """Registered functions whose default build carries data (a :class:`DataFit`)."""
    return [name for name in names() if get(name).data is not None]


def check_data(fn: TestFunction, panels: tuple[str, ...]) -> None:
    """The ``data`` panel needs a data loss: a one-line error naming those that have data."""
    if "data" in panels and fn.data is None:
        raise OutputError(NO_DATA_ERROR.format(fn=fn.spec, names=", ".join(functions_with_data())))


def data_limits(fn: TestFunction) -> tuple[tuple[float, float], tuple[float, float]]:
    """The panel's x and y limits, from the data and the best fit only.

    x spans the inputs with a margin, and reaches 0 when the inputs sit far from it compared with
    their spread (one point at x = 100: the line through the origin shows its slope). y spans the
    targets and the best fit's line over that x range (the function's global minimum), with a margin.
    """
    data = _data(fn)
    lo, hi = float(data.inputs.min()), float(data.inputs.max())
    if hi - lo < 0.2 * max(abs(lo), abs(hi)):
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    span = hi - lo if hi > lo else max(abs(hi), 1.0)
    xlim = (lo - X_MARGIN * span, hi + X_MARGIN * span)
    ys = [np.asarray(data.targets, dtype=float)]
    best = [m.point for m in fn.minima if m.kind == "global"]
    if best:
        fitted = data.predict(np.asarray(best[0], dtype=float), np.linspace(*xlim, SAMPLES))
        ys.append(fitted[np.isfinite(fitted)])
    y = np.concatenate(ys)
    ylo, yhi = float(y.min()), float(y.max())
    yspan = yhi - ylo if yhi > ylo else max(abs(yhi), 1.0)
    return xlim, (ylo - Y_MARGIN * yspan, yhi + Y_MARGIN * yspan)


def model_line(data: DataFit, params: np.ndarray, xs: np.ndarray, ylim: tuple[float, float]) -> np.ndarray:
    """The model at ``params`` over ``xs``, as (M, 2) rows for a line: each segment cut where it leaves
    a band :data:`FAR` y spans beyond ``ylim`` (NaN rows break the line there)."""
    ys = data.predict(np.asarray(params, dtype=float), xs)
    span = ylim[1] - ylim[0]
    lo, hi = ylim[0] - FAR * span, ylim[1] + FAR * span
    if np.all((ys >= lo) & (ys <= hi)):
        return np.column_stack([xs, ys])
    x0, x1, y0, y1 = xs[:-1], xs[1:], ys[:-1], ys[1:]
    with np.errstate(all="ignore"):
        dy = y1 - y0
        t_lo, t_hi = (lo - y0) / dy, (hi - y0) / dy
        flat = dy == 0
        t_in = np.where(flat, np.where((y0 >= lo) & (y0 <= hi), 0.0, np.inf), np.maximum(0.0, np.minimum(t_lo, t_hi)))
        t_out = np.where(flat, 1.0, np.minimum(1.0, np.maximum(t_lo, t_hi)))
    keep = t_in <= t_out
    # the cut ends are put exactly on the band (y0 + t·dy would round badly from 1e150)
    a_y = np.where(t_in > 0, np.where(y0 < lo, lo, hi), y0)
    b_y = np.where(t_out < 1, np.where(y1 < lo, lo, hi), y1)
    a = np.column_stack([x0 + np.where(t_in > 0, t_in, 0.0) * (x1 - x0), a_y])[keep]
    b = np.column_stack([x0 + np.where(t_out < 1, t_out, 1.0) * (x1 - x0), b_y])[keep]
    rows = np.empty((3 * len(a), 2))
    rows[0::3], rows[1::3], rows[2::3] = a, b, np.nan
    return rows


@dataclass
class DataArt:
    """The data panel's moving parts: one model line per run, and the points drawn over them."""

    data: DataFit
    xs: np.ndarray  # (SAMPLES,) where the model is evaluated
    ylim: tuple[float, float]
    runs: list[RunArt]
    lines: list[Line2D]
    usable: list[np.ndarray]  # per run, (K+1,): the last step <= k whose predictions are finite (-1: none)
    points: Line2D

    def step_of(self, run: int, k: int) -> int:
        """The step whose model run ``run`` shows at frame step ``k`` (-1: nothing to show)."""
        usable = self.usable[run]
        return int(usable[min(max(k, 0), len(usable) - 1)])

    def update(self, k: int) -> None:
        """Each run's line: the model at its point ``k`` (its last finite one past that)."""
        for i, (run, line) in enumerate(zip(self.runs, self.lines, strict=True)):
            j = self.step_of(i, k)
            if j < 0:
                line.set_data([], [])
                continue
            xy = model_line(self.data, run.traj.points[j], self.xs, self.ylim)
            line.set_data(xy[:, 0], xy[:, 1])

    @property
    def artists(self) -> list[Line2D]:
        return [*self.lines, self.points]


def _usable_steps(data: DataFit, points: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """For each step k, the last step <= k whose predictions are all finite (-1 if none), in chunks
    so that 100,000 steps do not need one big array."""
    good = np.zeros(len(points), dtype=bool)
    with np.errstate(all="ignore"):
        for start in range(0, len(points), 4096):
            chunk = data.predict(points[start : start + 4096], xs)
            good[start : start + 4096] = np.isfinite(chunk).all(axis=-1)
    index = np.where(good, np.arange(len(points)), -1)
    return np.maximum.accumulate(index) if len(index) else index


def add_data_panel(ax: Axes, fn: TestFunction, runs: list[RunArt], opts: DrawSettings, animated: bool) -> DataArt:
    """Draw the points, axes and (pictures) start lines in ``ax``; return the moving model lines."""
    from matplotlib.ticker import MaxNLocator

    data = _data(fn)
    theme = opts.theme
    xlim, ylim = data_limits(fn)
    xs = np.linspace(*xlim, SAMPLES)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ticks = opts.max_ticks or "auto"
    ax.xaxis.set_major_locator(MaxNLocator(nbins=ticks, steps=[1, 2, 5, 10]))
    ax.yaxis.set_major_locator(MaxNLocator(nbins=ticks if opts.max_ticks else 5, steps=[1, 2, 5, 10]))
    ax.grid(True, lw=0.6)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    x_name, y_name = data.names
    label = INPUT_LABEL if data.scale == 1 else INPUT_SCALED_LABEL
    ax.set_xlabel(word(label, opts.lang).format(x=x_name))
    ax.set_ylabel(word(TARGET_LABEL, opts.lang).format(y=y_name))
    if not animated:
        ax.set_title(word(KEY_PICTURE, opts.lang), fontsize=0.7 * opts.font_pt, loc="right", pad=2)
    lw = 1.8 * opts.line_scale
    lines, usable = [], []
    for run in runs:
        steps = _usable_steps(data, run.traj.points, xs)
        usable.append(steps)
        if not animated and len(steps) and steps[0] >= 0:  # where the run started, faint and dashed
            xy = model_line(data, run.traj.points[0], xs, ylim)
            ax.plot(xy[:, 0], xy[:, 1], color=run.color, lw=0.7 * lw, ls=(0, (4, 3)), alpha=0.55, zorder=2)
        lines.append(ax.plot([], [], color=run.color, lw=lw, animated=animated, zorder=3)[0])
    points = ax.plot(
        data.inputs,
        data.targets,
        ls="none",
        marker="o",
        ms=6.5 * opts.line_scale,
        color=theme.foreground,
        mec=theme.background,
        mew=0.8 * opts.line_scale,
        animated=animated,  # over the moving lines: redrawn in each frame
        zorder=5,
    )[0]
    return DataArt(data, xs, ylim, runs, lines, usable, points)


def _data(fn: TestFunction) -> DataFit:
    check_data(fn, ("data",))
    assert fn.data is not None
    return fn.data
