"""Side panels: a per-step curve of loss, gradient norm or learning rate for each run (and the
optimizer's state, :mod:`optviz.render.state_panels`).

Limits are fixed from the whole runs before anything is drawn, so an animation's panels do not
rescale as the curves grow. Loss and gradient norm are drawn on log axes whenever no value is
negative: a value of exactly 0 is drawn at a floor line labelled 0, below the smallest positive
value, and the axis spans at least a decade, so a constant reads as flat.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, Locator, LogLocator, MaxNLocator, NullLocator

from optviz.i18n import tr, word
from optviz.render.chart import power_label
from optviz.render.layout import Layout, shows_x_labels
from optviz.render.runs import RunArt
from optviz.render.state_panels import STATE_LABELS, add_state_lines, state_key, state_lines, state_scale
from optviz.render.style import truncate_far
from optviz.settings import DrawSettings
from optviz.trajectory import Trajectory

__all__ = ["PANEL_LABELS", "PanelScale", "add_panels", "limit_ticks", "panel_scale", "series"]

PANEL_LABELS = {"loss": "loss", "grad_norm": r"$\|\nabla f\|$", "lr": "lr"}
#: a log panel spans at least this many decades, so that a constant (8.00 to 8.06) reads as flat
MIN_DECADES = 1.0
#: a linear loss panel spans at least this share of its largest |value|, for the same reason
MIN_LINEAR_SPAN = 0.2
#: tick spacings (times a power of ten) that read as round numbers: 1, 2, 5 (no 1.5 nor 2.5)
_ROUND_STEPS = [1, 2, 5, 10]


@dataclass(frozen=True)
class PanelScale:
    """How a panel shows its values.

    Attributes:
        log: a log axis.
        ylim: the axis limits.
        floor: log panels with a value of exactly 0: where those values are drawn (a dotted line
            labelled 0, below every positive value); else ``None``.
    """

    log: bool
    ylim: tuple[float, float]
    floor: float | None = None


def series(traj: Trajectory, name: str) -> tuple[np.ndarray, np.ndarray]:
    """A run's values of panel ``name`` by step (``lr[k]`` is the rate update k uses): the
    recorded steps with ``record_every``."""
    values = {"loss": traj.loss, "grad_norm": traj.grad_norm, "lr": traj.lr}[name]
    return traj.step[: len(values)].astype(float), np.asarray(values, dtype=float)


def add_panels(
    fig: Figure, layout: Layout, runs: list[RunArt], opts: DrawSettings, steps: int, animated: bool
) -> dict[str, Axes]:
    """One axes per panel (loss, grad_norm, lr) with a curve per run, limits fixed from whole runs."""
    panels: dict[str, Axes] = {}
    rects = layout.panels
    theme = opts.theme
    for i, (name, rect) in enumerate(zip(opts.panels, rects, strict=True)):
        ax = fig.add_axes(rect)
        panels[name] = ax
        if name == "data":  # drawn by optviz.render.data_panel: it needs the function's data
            continue
        if name in STATE_LABELS:
            _state_panel(ax, rect, runs, opts, name, steps, animated)
            _finish(ax, layout, opts, i, len(rects), steps, word(STATE_LABELS[name], opts.lang))
            continue
        values = [series(run.traj, name) for run in runs]
        scale = panel_scale(name, [v for _, v in values])
        if scale.log:
            ax.set_yscale("log")
            ax.yaxis.set_minor_locator(NullLocator())  # minor ticks clutter a small panel (and cost ~50 ms)
            ax.yaxis.set_major_locator(_LogTicks(scale, _y_ticks(rect, opts)))
            ax.yaxis.set_major_formatter(FuncFormatter(_log_label(scale)))
        else:
            ax.yaxis.set_major_locator(MaxNLocator(nbins=_y_ticks(rect, opts), steps=_ROUND_STEPS))
        ax.set_ylim(*scale.ylim)
        _finish(ax, layout, opts, i, len(rects), steps, word(PANEL_LABELS[name], opts.lang))
        if name == "lr":
            _momentum_twin(ax, runs, opts)
        if scale.floor is not None:
            ax.axhline(scale.floor, color=theme.muted, lw=1.0, ls=(0, (1, 2)), zorder=2)
        box = np.array([[-np.inf, np.inf], _far_values(scale.ylim, scale.log)])
        lw = 1.8 * opts.line_scale
        for run, (x, v) in zip(runs, values, strict=True):
            if scale.floor is not None:
                v = np.where(v == 0, scale.floor, v)
            xy = truncate_far(np.column_stack([x, v]), box) if len(x) else np.zeros((0, 2))
            run.series[name] = (xy[:, 0], xy[:, 1])
            run.panel_lines[name] = ax.plot([], [], color=run.color, lw=lw, animated=animated, zorder=3)[0]
            if animated:
                run.panel_heads[name] = ax.plot(
                    [], [], ls="none", marker="o", ms=6 * opts.line_scale, color=run.color, animated=True, zorder=4
                )[0]
    return panels


@functools.lru_cache(maxsize=32)
def _momentum_of(schedule: str | None, steps: int) -> np.ndarray | None:
    from optviz import schedules

    return None if schedule is None else schedules.plan(schedule, steps).momentum


def _momentum_twin(ax: Axes, runs: list[RunArt], opts: DrawSettings) -> None:
    """The momentum (or Adam's beta1) that ``cyclic`` and ``onecycle`` set, dashed in each run's
    colour on a right-hand axis of the lr panel; drawn whole, as the schedule fixes it beforehand."""
    from optviz.optim.registry import OPTIMIZERS
    from optviz.schedules import momentum_target

    lines = []
    for run in runs:
        settings = run.traj.settings
        values = _momentum_of(settings.get("schedule"), int(settings.get("steps", 0)))
        entry = OPTIMIZERS.get(settings.get("optimizer", ""))
        if values is not None and entry is not None and momentum_target(entry.defaults) is not None:
            lines.append((run, values[: len(run.traj.lr)], momentum_target(entry.defaults)))
    if not lines:
        return
    twin = ax.twinx()
    for run, values, _ in lines:
        twin.plot(np.arange(len(values)), values, color=run.color, lw=1.2 * opts.line_scale, ls=(0, (4, 2)), zorder=2)
    lo = min(float(v.min()) for _, v, _ in lines)
    hi = max(float(v.max()) for _, v, _ in lines)
    pad = 0.08 * (hi - lo) if hi > lo else 0.05
    twin.set_ylim(lo - pad, hi + pad)
    twin.yaxis.set_major_locator(MaxNLocator(nbins=2, steps=_ROUND_STEPS))
    twin.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    # the panels reach the figure's right edge: the momentum scale is written inside the panel
    size = float(np.atleast_1d(twin.yaxis.get_ticklabels()[0].get_fontsize() if twin.yaxis.get_ticklabels() else 10)[0])
    twin.tick_params(axis="y", colors=opts.theme.muted, direction="in", pad=-2.6 * size, labelsize=0.85 * size)
    names = {"β₁" if target == "betas" else "momentum" for *_, target in lines}
    twin.text(
        1.0,
        1.0,
        "- - " + " / ".join(sorted(names)),
        transform=twin.transAxes,
        ha="right",
        va="bottom",
        color=opts.theme.muted,
        fontsize=0.85 * size,
    )
    for side in ("top", "left", "bottom", "right"):
        twin.spines[side].set_visible(False)


def _finish(ax: Axes, layout: Layout, opts: DrawSettings, i: int, count: int, steps: int, label: str) -> None:
    """The step axis, grid, spines and labels every panel shares."""
    ax.set_xlim(-0.01 * steps, 1.01 * steps)
    # steps are whole numbers: no tick at 2.5
    ax.xaxis.set_major_locator(
        MaxNLocator(nbins=opts.max_ticks or "auto", steps=[1, 2, 2.5, 4, 5, 10], integer=True, min_n_ticks=2)
    )
    ax.grid(True, lw=0.6)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_ylabel(label)
    if not layout.stacked or shows_x_labels(opts.panels, i):
        ax.set_xlabel(tr("step", opts.lang))
    else:
        ax.tick_params(labelbottom=False)


def _state_panel(
    ax: Axes, rect: tuple[float, ...], runs: list[RunArt], opts: DrawSettings, name: str, steps: int, animated: bool
) -> None:
    """An ``effective_lr`` or ``velocity`` panel (:mod:`optviz.render.state_panels`)."""
    lines = [[v for _, _, v in state_lines(run.traj, name)] for run in runs]
    log, ylim = state_scale(name, [v for run_lines in lines for v in run_lines])
    if log:
        scale = PanelScale(True, ylim)
        ax.set_yscale("log")
        ax.yaxis.set_minor_locator(NullLocator())
        ax.yaxis.set_major_locator(_LogTicks(scale, _y_ticks(rect, opts)))
        ax.yaxis.set_major_formatter(FuncFormatter(_log_label(scale)))
    else:
        ax.yaxis.set_major_locator(MaxNLocator(nbins=_y_ticks(rect, opts), steps=_ROUND_STEPS))
        ax.axhline(0.0, color=opts.theme.muted, lw=0.8, zorder=2)
    ax.set_ylim(*ylim)
    for run in runs:
        add_state_lines(ax, run, name, 1.8 * opts.line_scale, animated)
    dim = runs[0].traj.points.shape[1] if runs else 1
    state_key(ax, name, dim, opts.font_pt, opts.lang)


def _y_ticks(rect: tuple[float, ...], opts: DrawSettings) -> int:
    """At most one y tick label per 2.5 label heights of a panel (and the preset's limit)."""
    label_px = 0.85 * opts.font_pt * opts.dpi / 72
    fits = max(2, int(rect[3] * opts.height / (2.5 * label_px)))
    return min(fits, opts.max_ticks or 6)


def limit_ticks(ax: Axes, opts: DrawSettings) -> None:
    """At most the preset's number of ticks on a linear 2-D axes (``--preset talk``)."""
    if opts.max_ticks:
        ax.xaxis.set_major_locator(MaxNLocator(nbins=opts.max_ticks, steps=_ROUND_STEPS))
        ax.yaxis.set_major_locator(MaxNLocator(nbins=opts.max_ticks, steps=_ROUND_STEPS))


def _log_label(scale: PanelScale):
    """Tick labels of a log panel: powers of ten, plain numbers (5, 10, 20) on an axis of under two
    decades, and 0 at the floor."""
    lo, hi = np.log10(scale.ylim)
    short = hi - lo < 2 and -3 <= lo and hi <= 5

    def label(value: float, pos: int | None = None) -> str:
        if scale.floor is not None and np.isclose(value, scale.floor, rtol=1e-9, atol=0.0):
            return "0"
        return f"{value:g}" if short else power_label(value, pos, plain=range(0))

    return label


class _LogTicks(Locator):
    """Decades (with 2 and 5 when the axis spans under two decades), at most ``max_ticks`` of
    them, and the zero floor's tick; no tick between the floor and the smallest value."""

    def __init__(self, scale: PanelScale, max_ticks: int):
        super().__init__()
        lo, hi = np.log10(scale.ylim)
        subs = (1.0, 2.0, 5.0) if hi - lo < 2 else (1.0,)
        self._base = LogLocator(subs=subs, numticks=max_ticks + 1)
        self._scale = scale

    def set_axis(self, axis) -> None:
        super().set_axis(axis)
        self._base.set_axis(axis)

    def __call__(self) -> list[float]:
        lo, hi = self.axis.get_view_interval()
        return self.tick_values(lo, hi)

    def tick_values(self, vmin: float, vmax: float) -> list[float]:
        ticks = [float(t) for t in self._base.tick_values(vmin, vmax) if vmin <= t <= vmax]
        floor = self._scale.floor
        if floor is None:
            return ticks
        return [floor, *(t for t in ticks if t > floor * 10**0.5)]


def _far_values(ylim: tuple[float, float], log: bool) -> list[float]:
    if log:
        return [0.0, np.inf]  # logs of finite values never overflow the renderer
    lo, hi = ylim
    return [lo - 20 * (hi - lo), hi + 20 * (hi - lo)]


def panel_scale(name: str, values: list[np.ndarray]) -> PanelScale:
    """The axis of panel ``name`` for the runs' ``values``.

    Loss and gradient norm: a log axis when no value is negative, spanning at least
    :data:`MIN_DECADES`; values of exactly 0 are drawn at a floor half a decade below the lowest
    limit. A run that blows up (diverged, or finite but growing to 1e60) would squash every other
    curve flat, so each run's contribution to the top is capped at three decades above its start
    (twice the calm runs' span on a linear axis): its curve leaves the panel instead. The learning
    rate is linear from 0.
    """
    finite = [v[np.isfinite(v)] for v in values]
    finite = [v for v in finite if v.size]
    if not finite:
        return PanelScale(False, (0.0, 1.0))
    allv = np.concatenate(finite)
    if name == "lr":
        hi = float(allv.max())
        return PanelScale(False, (0.0, 1.08 * hi if hi > 0 else 1.0))
    positive = allv[allv > 0]
    if allv.min() >= 0 and positive.size:
        return _log_scale(finite, positive, zeros=bool((allv == 0).any()))
    return _linear_scale(finite, allv)


def _log_scale(finite: list[np.ndarray], positive: np.ndarray, zeros: bool) -> PanelScale:
    lo = float(positive.min())
    # each run's top: its largest value, at most three decades above its start
    tops = [min(float(v.max()), float(v[0]) * 1e3 if v[0] > 0 else float(v.max())) for v in finite]
    hi = max(max(tops), lo)
    lo_log, hi_log = np.log10(lo) - 0.3, np.log10(hi) + 0.3
    if hi_log - lo_log < MIN_DECADES:
        middle = (lo_log + hi_log) / 2
        lo_log, hi_log = middle - MIN_DECADES / 2, middle + MIN_DECADES / 2
    # a loss that underflows through the subnormals (5e-324) would put the floor at 10**-324.9 == 0
    lo_log, hi_log = max(lo_log, -300.0), min(hi_log, 308.0)
    if not zeros:
        return PanelScale(True, (10.0**lo_log, 10.0**hi_log))
    floor_log = lo_log - 0.5
    return PanelScale(True, (10.0 ** (floor_log - 0.15), 10.0**hi_log), floor=10.0**floor_log)


def _linear_scale(finite: list[np.ndarray], allv: np.ndarray) -> PanelScale:
    # limits from the runs that stay within a millionfold of where they started; a run that
    # blows up (cubic falling to -1e300) may only stretch them by twice their span
    calm = [v for v in finite if abs(v[-1]) <= 1e6 * (abs(v[0]) + 1)] or [v[: max(2, len(v) // 5)] for v in finite]
    calm_all = np.concatenate(calm)
    lo, hi = float(calm_all.min()), float(calm_all.max())
    span = hi - lo if hi > lo else max(abs(hi), 1.0) * 0.1
    lo, hi = max(float(allv.min()), lo - 2 * span), min(float(allv.max()), hi + 2 * span)
    # a nearly constant value reads as flat, not as a fall across the whole panel
    least = MIN_LINEAR_SPAN * max(abs(lo), abs(hi))
    if hi - lo < least:
        middle = (lo + hi) / 2
        lo, hi = middle - least / 2, middle + least / 2
    pad = 0.05 * (hi - lo) if hi > lo else max(abs(hi), 1.0) * 0.1
    return PanelScale(False, (lo - pad, hi + pad))
