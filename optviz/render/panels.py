"""Side panels: a per-step curve of loss, gradient norm or learning rate for each run.

Limits are fixed from the whole runs before anything is drawn, so an animation's panels do not
rescale as the curves grow.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullLocator

from optviz.render.layout import Layout
from optviz.render.runs import RunArt
from optviz.render.style import truncate_far
from optviz.settings import DrawSettings
from optviz.trajectory import Trajectory

__all__ = ["PANEL_LABELS", "add_panels"]

PANEL_LABELS = {"loss": "loss", "grad_norm": r"$\|\nabla f\|$", "lr": "lr"}


def _series(traj: Trajectory, name: str) -> tuple[np.ndarray, np.ndarray]:
    values = {"loss": traj.loss, "grad_norm": traj.grad_norm, "lr": traj.lr}[name]
    return np.arange(len(values), dtype=float), np.asarray(values, dtype=float)


def add_panels(
    fig: Figure, layout: Layout, runs: list[RunArt], opts: DrawSettings, steps: int, animated: bool
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
