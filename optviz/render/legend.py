"""The legend: an entry per run, naming what sets it apart from the others, then one per marker shape."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D

from optviz.functions import TestFunction
from optviz.render.layout import is_wide
from optviz.settings import DrawSettings
from optviz.trajectory import Trajectory

__all__ = ["add_legend"]

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


def add_legend(
    fig: Figure,
    fn: TestFunction,
    trajs: Sequence[Trajectory],
    colors: list[str],
    limits: np.ndarray,
    opts: DrawSettings,
) -> Legend:
    """The figure's legend, anchored nowhere yet (the layout needs its size first).

    Args:
        fig: the figure.
        fn: the function (its minima inside ``limits`` get entries).
        trajs: the runs, one entry each in ``colors``.
        colors: the runs' colours.
        limits: the main axes' window.
        opts: checked settings (theme, figure shape).
    """
    theme = opts.theme
    handles = [Line2D([], [], color=c, lw=1.8, marker="o", ms=5) for c in colors]
    names = _run_labels(trajs)
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
    # a right column holds about ten entries; more (a sweep of learning rates) go in two columns
    ncol = (1 if len(names) <= 10 else 2) if is_wide(opts) else min(2, len(names))
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
