"""``--show`` arrows at the current point of each path: the gradient (−∇f, downhill), the update
actually taken (``points[k+1] − points[k]``) and the momentum buffer (drawn as −buffer, the way it
moves the point), from the runs' recorded state.

Every arrow of a figure is drawn at ``scale`` times its vector, one factor chosen so that most
(80 %) are at most about a sixth of the window and said in the arrows' key, so that arrows can be compared. In an
animation the arrows sit at each run's head (they describe the update that leaves it); a picture
shows them at the steps of ``show_at``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.quiver import Quiver

from optviz.errors import OutputError
from optviz.i18n import tr, word
from optviz.render.runs import RunArt
from optviz.settings import DrawSettings
from optviz.trajectory import Trajectory

__all__ = ["ARROW_COLORS", "Arrows", "add_arrows", "arrow_steps", "arrow_vectors"]

#: one colour per kind of arrow (the run is the arrow's tail: its path's point)
ARROW_COLORS = {"gradient": "#d1495b", "update": "#222222", "momentum": "#7b4fbf"}
_LABELS = {"gradient": "−∇f", "update": "update", "momentum": "−momentum"}
#: the 80th percentile of a figure's arrows is drawn this share of the window's diagonal
_LONGEST = 1 / 6


def arrow_vectors(traj: Trajectory, kind: str) -> np.ndarray:
    """(K, D) vectors of ``kind`` at ``points[k]``, NaN where a run has none (no momentum).

    ``update`` is exactly ``points[k+1] − points[k]``; ``gradient`` is −g, the gradient update k
    used (noise and clipping included); ``momentum`` is −buffer after update k.
    """
    steps = len(traj.points) - 1
    if kind == "update":
        return traj.points[1:] - traj.points[:-1]
    state = traj.state or {}
    name = "grad" if kind == "gradient" else "momentum"
    if name not in state:
        return np.full((steps, traj.points.shape[1]), np.nan)
    return -state[name][:steps]


def arrow_steps(show_at: tuple[int, ...] | int | None, steps: int) -> list[int]:
    """The steps of a picture that get arrows: the given ones (below ``steps``), every k-th, or
    about eight spread over the run."""
    if isinstance(show_at, tuple):
        return [k for k in show_at if k < steps]
    every = show_at if isinstance(show_at, int) else max(1, round(steps / 8))
    return list(range(0, steps, every))


@dataclass
class Arrows:
    """The figure's arrows; :meth:`update` moves an animation's to each run's head at step k."""

    scale: float
    kinds: tuple[str, ...]
    vectors: list[dict[str, np.ndarray]]  # per run: kind -> (K, D)
    runs: list[RunArt]
    quivers: dict[str, Quiver] = field(default_factory=dict)

    def update(self, k: int) -> None:
        for kind, quiver in self.quivers.items():
            xy, uv = [], []
            for run, vectors in zip(self.runs, self.vectors, strict=True):
                v = vectors[kind]
                ok = k < len(v) and np.isfinite(v[k]).all()
                xy.append(run.traj.points[k] if ok else (np.nan, np.nan))
                uv.append(v[k] * self.scale if ok else (0.0, 0.0))
            quiver.set_offsets(np.array(xy, dtype=float))
            quiver.set_UVC(*np.array(uv, dtype=float).T)

    @property
    def artists(self) -> list[Quiver]:
        return list(self.quivers.values())


def add_arrows(ax: Axes, runs: list[RunArt], opts: DrawSettings, limits: np.ndarray, animated: bool) -> Arrows | None:
    """The ``--show`` arrows (``None`` without), their key in the main axes' corner."""
    if not opts.show or not runs:
        return None
    if runs[0].traj.points.shape[1] != 2 or opts.view != "contour":
        raise OutputError("--show draws arrows on a 2-D function's contour view; drop --show or use --view contour")
    if any(run.traj.state is None for run in runs) and set(opts.show) - {"update"}:
        raise OutputError("--show gradient/momentum needs the optimizer's state: run with record_state=True")
    vectors = [{kind: arrow_vectors(run.traj, kind) for kind in opts.show} for run in runs]
    steps = [arrow_steps(opts.show_at, len(run.traj.points) - 1) for run in runs]
    if animated:
        shown = [np.concatenate([v[kind] for kind in opts.show]) for v in vectors]
    else:
        shown = [np.concatenate([v[kind][ks] for kind in opts.show]) for v, ks in zip(vectors, steps, strict=True)]
    lengths = np.concatenate([np.hypot(*s.T) for s in shown if len(s)] or [np.zeros(0)])
    lengths = lengths[np.isfinite(lengths) & (lengths > 0)]
    diagonal = float(np.hypot(*(limits[:, 1] - limits[:, 0])))
    # from a high quantile rather than the longest: the first gradients of a run dwarf the rest
    scale = _round_scale(_LONGEST * diagonal / np.quantile(lengths, 0.8)) if lengths.size else 1.0
    arrows = Arrows(scale, opts.show, vectors, runs)
    width = 0.004 * opts.line_scale
    for kind in opts.show:
        style = dict(angles="xy", scale_units="xy", scale=1.0, color=ARROW_COLORS[kind], width=width, zorder=10)
        if animated:
            starts = np.array([run.traj.points[0] for run in runs])
            zeros = np.zeros(len(runs))
            quiver = ax.quiver(starts[:, 0], starts[:, 1], zeros, zeros, animated=True, **style)
            arrows.quivers[kind] = quiver
            continue
        xy, uv = [], []
        for run, v, ks in zip(runs, vectors, steps, strict=True):
            for k in ks:
                if np.isfinite(v[kind][k]).all() and np.isfinite(run.traj.points[k]).all():
                    xy.append(run.traj.points[k])
                    uv.append(v[kind][k] * scale)
        if xy:
            xy, uv = np.array(xy), np.array(uv)
            arrows.quivers[kind] = ax.quiver(xy[:, 0], xy[:, 1], uv[:, 0], uv[:, 1], **style)
    handles = [Line2D([], [], color=ARROW_COLORS[kind], lw=2.5 * opts.line_scale) for kind in opts.show]
    ax.legend(
        handles,
        [word(_LABELS[kind], opts.lang) for kind in opts.show],
        title=tr("arrows ×{scale}", opts.lang, scale=f"{scale:g}"),
        loc="lower right",
        fontsize=0.8 * opts.font_pt,
        title_fontsize=0.8 * opts.font_pt,
        framealpha=0.85,
    )
    return arrows


def _round_scale(value: float) -> float:
    """The largest 1, 2 or 5 times a power of ten at most ``value``: a factor that reads at once."""
    power = 10.0 ** np.floor(np.log10(value))
    for step in (5, 2, 1):
        if step * power <= value:
            return float(step * power)
    return float(power)
