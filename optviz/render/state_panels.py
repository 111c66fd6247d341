"""Panels of the optimizer's recorded state: ``effective_lr`` and ``velocity``, one line per
coordinate of each run (x₁ solid, x₂ dashed), in the run's colour.

- ``effective_lr``: each coordinate's step size after update k (Adam ``lr/(sqrt(v̂)+eps)``,
  AdaGrad ``lr_k/(sqrt(sum)+eps)``, RMSprop ``lr/(sqrt(square_avg)+eps)``; the lr itself for
  methods without a per-coordinate scale) on a log axis.
- ``velocity``: the momentum buffer by update (bold) beside the raw gradient it averages (faint).

Both need runs made with ``record_state`` (``traj.state``); value k is drawn at step k, as the
lr panel draws the rate update k uses.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from optviz.errors import OutputError
from optviz.i18n import tr
from optviz.render.runs import RunArt
from optviz.trajectory import Trajectory

__all__ = ["STATE_LABELS", "add_state_lines", "check_state", "state_key", "state_lines", "state_scale"]

#: optimizers whose per-coordinate step size is the lr itself
_STEPS_WITH_THE_LR = ("gd", "sgd", "momentum", "nesterov")

STATE_LABELS = {"effective_lr": "step size", "velocity": "momentum"}
_DASHES = ["-", (0, (4, 2)), (0, (1, 1.5))]


def check_state(trajs: list[Trajectory], panels: tuple[str, ...]) -> None:
    """Every run must carry its recorded state when a state panel is drawn."""
    needed = [p for p in panels if p in STATE_LABELS]
    if needed and any(t.state is None for t in trajs):
        raise OutputError(
            f"the {', '.join(needed)} panel needs the optimizer's state: run with record_state=True "
            "(optviz run and sweeps record it when the panel is asked for)"
        )


def state_lines(traj: Trajectory, name: str) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """``(kind, steps, values)`` per line of a run in panel ``name``; kind is ``buffer`` or ``grad``
    and the coordinate is the line's position among those of its kind."""
    state = traj.state or {}
    k = len(traj.lr)
    steps = np.arange(k, dtype=float)
    dim = traj.points.shape[1]
    if name == "effective_lr":
        values = state.get("effective_lr")
        if values is None or not np.isfinite(values).any():
            optimizer = traj.settings.get("optimizer")
            if optimizer not in _STEPS_WITH_THE_LR:  # an adaptive method whose formula is not written yet
                raise OutputError(
                    f"the effective_lr panel is not available for {optimizer} yet; "
                    "it is for adam, adamw, adagrad, rmsprop and the SGD family"
                )
            # plain and momentum SGD: every coordinate steps with the lr itself
            values = np.repeat(np.asarray(traj.lr, dtype=float)[:, None], dim, axis=1)
        return [("buffer", steps, values[:k, i]) for i in range(dim)]
    lines = []
    if "momentum" in state and np.isfinite(state["momentum"]).any():
        lines += [("buffer", steps, state["momentum"][:k, i]) for i in range(dim)]
    if "grad" in state:
        lines += [("grad", steps, state["grad"][:k, i]) for i in range(dim)]
    return lines


def state_scale(name: str, values: list[np.ndarray]) -> tuple[bool, tuple[float, float]]:
    """(log, ylim): effective_lr on a log axis over every finite positive value (at least a
    decade), velocity linear and symmetric about 0 so that the sign of each buffer reads at once."""
    finite = np.concatenate([v[np.isfinite(v)] for v in values] or [np.zeros(0)])
    if name == "effective_lr":
        positive = finite[finite > 0]
        if not positive.size:
            return True, (1e-3, 1.0)
        lo, hi = np.log10(positive.min()) - 0.2, np.log10(positive.max()) + 0.2
        if hi - lo < 1:
            lo, hi = (lo + hi) / 2 - 0.5, (lo + hi) / 2 + 0.5
        return True, (10.0**lo, 10.0**hi)
    top = float(np.abs(finite).max()) if finite.size else 1.0
    top = top if top > 0 else 1.0
    return False, (-1.08 * top, 1.08 * top)


def add_state_lines(ax: Axes, run: RunArt, name: str, lw: float, animated: bool) -> None:
    """The run's lines in a state panel, keyed ``name[i]`` in ``run.series``/``run.panel_lines``."""
    counts: dict[str, int] = {}
    for j, (kind, steps, values) in enumerate(state_lines(run.traj, name)):
        coord = counts.get(kind, 0)
        counts[kind] = coord + 1
        key = f"{name}[{j}]"
        run.series[key] = (steps, values)
        style = (
            {"lw": lw, "alpha": 1.0, "zorder": 3} if kind == "buffer" else {"lw": 0.6 * lw, "alpha": 0.4, "zorder": 2}
        )
        run.panel_lines[key] = ax.plot(
            [], [], color=run.color, ls=_DASHES[coord % len(_DASHES)], animated=animated, **style
        )[0]


def state_key(ax: Axes, name: str, dim: int, font_pt: float, lang: str = "en") -> None:
    """A one-line key above the panel: which line style is which coordinate (and, for velocity,
    which lines are the gradient)."""
    parts = [tr("x₁ solid", lang), tr("x₂ dashed", lang)][:dim] if dim > 1 else []
    if name == "velocity":
        parts.insert(0, tr("bold: buffer, faint: raw g", lang))
    if parts:
        ax.set_title(" · ".join(parts), fontsize=0.7 * font_pt, loc="right", pad=2)
