"""Minima the runs end in that their function does not list: found from where a run stops.

Plain NumPy (no matplotlib): :mod:`optviz.render.marks` draws them, the legend may name them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from optviz.functions import Minimum, TestFunction
from optviz.trajectory import Trajectory

__all__ = ["found_minima"]


def found_minima(fn: TestFunction, trajs: Sequence[Trajectory]) -> list[Minimum]:
    """Minima the runs end in that ``fn`` does not list (one per place, lowest first).

    A run ends in a minimum when it did not diverge, its last gradient norm is below a thousandth of
    its first, and the Hessian there is positive definite. The point is refined by a few Newton
    steps. It is ``"global"`` when its value is (within rounding) the lowest known value, else
    ``"local"``.
    """
    known = list(fn.minima)
    lowest = min((m.value for m in known if m.kind == "global"), default=None)
    scale = float(np.max([hi - lo for lo, hi in fn.window]))
    found: list[Minimum] = []
    for traj in trajs:
        if traj.diverged or len(traj.points) < 2:
            continue
        g0, g1 = float(traj.grad_norm[0]), float(traj.grad_norm[-1])
        if not (np.isfinite(g1) and g1 <= 1e-3 * max(g0, 1e-300)):
            continue
        point = _refine(fn, traj.points[-1], scale)
        if point is None:
            continue
        near = [m for m in (*known, *found) if np.linalg.norm(np.subtract(m.point, point)) <= 1e-3 * scale]
        if near:
            continue
        value = float(fn.f(point))
        kind = "global" if lowest is not None and value <= lowest + 1e-9 * max(1.0, abs(lowest)) else "local"
        found.append(Minimum(tuple(float(v) for v in point), value, kind))
    return sorted(found, key=lambda m: m.value)


def _refine(fn: TestFunction, x: np.ndarray, scale: float) -> np.ndarray | None:
    """Newton steps from ``x`` (finite-difference Hessian of the exact gradient); ``None`` unless
    they stay near ``x`` and end where the Hessian is positive definite (a minimum, not a saddle)."""
    start = x = np.asarray(x, dtype=float).copy()
    hessian = None
    with np.errstate(all="ignore"):
        for _ in range(8):
            hessian = _hessian(fn, x)
            if not np.all(np.isfinite(hessian)):
                return None
            try:
                step = np.linalg.solve(hessian, fn.grad(x))
            except np.linalg.LinAlgError:
                break
            if not np.all(np.isfinite(step)):
                break
            x = x - step
            if np.linalg.norm(step) <= 1e-12 * max(1.0, float(np.linalg.norm(x))):
                break
        if np.linalg.norm(x - start) > 0.02 * scale:
            return None
        hessian = _hessian(fn, x)
        if not np.all(np.isfinite(hessian)) or np.any(np.linalg.eigvalsh(0.5 * (hessian + hessian.T)) <= 0):
            return None
    return x


def _hessian(fn: TestFunction, x: np.ndarray) -> np.ndarray:
    h = 1e-5 * max(1.0, float(np.abs(x).max()))
    cols = [(fn.grad(x + h * e) - fn.grad(x - h * e)) / (2 * h) for e in np.eye(len(x))]
    return np.stack(cols, axis=1)
