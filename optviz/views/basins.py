"""Basins of attraction: which known minimum each start of a grid reaches, and in how many steps.

Every start of a ``grid × grid`` lattice over the function's window (cell centres) is run for
every optimizer and lr through the engine's batch (:func:`optviz.api.run_settings` with an
``(M, 2)`` start array), in batches of about :data:`CHUNK_BYTES` of recorded paths (some 4000
starts at 500 steps): the numbers are the same bits in any batch, and one batch of all 40,000
starts would record 640 MB, whose fresh memory pages cost more to touch (2-4× the time on the
development VM) than the loop over chunks does. A run is then:

- **diverged** if it overflowed (its ``diverged_at``);
- **reached minimum i** if its last point lies within ``tol`` (Euclidean distance) of the known
  stationary point i (``fn.minima``, saddles included; for a function whose minima form a curve,
  such as two_layer, within ``tol`` of that curve); the steps it took are the first step from which
  the path stays within ``tol`` of it until the end;
- **not converged** otherwise (still moving, stuck on a plateau, or cycling).

The default ``tol`` is 1/1000 of the window's longer side (0.01 on himmelblau's 10 × 10 window).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optviz import api, engine
from optviz.errors import HyperparameterError, SpecError
from optviz.functions import Minimum, TestFunction
from optviz.functions import get as get_function
from optviz.trajectory import TrajectoryBatch

__all__ = ["DIVERGED", "NOT_CONVERGED", "TOL_SHARE", "BasinMap", "BasinPanel", "basins", "classify", "grid_starts"]

NOT_CONVERGED, DIVERGED = -1, -2
#: the default tolerance, as a share of the window's longer side
TOL_SHARE = 1e-3
#: steps examined at once when finding where each path settled (going back from the end)
_BLOCK = 32
#: the most panels (optimizer × lr) one picture holds
MAX_PANELS = 6
#: recorded paths per batch of starts (see the module's docstring)
CHUNK_BYTES = 64_000_000


@dataclass(frozen=True)
class BasinPanel:
    """One optimizer at one lr: per grid cell, what became of the run (``labels``: index into the
    map's targets, :data:`NOT_CONVERGED` or :data:`DIVERGED`) and the steps it took (to settle, or
    to overflow; the run's steps when not converged). Rows are y, columns x."""

    label: str
    labels: np.ndarray
    steps: np.ndarray


@dataclass(frozen=True)
class BasinMap:
    """The panels of one picture, on one grid.

    Attributes:
        targets: the stationary points a run can reach (``fn.minima``, then the curve of minima
            as a :class:`~optviz.functions.Minimum` of kind ``"valley"`` if the function has one).
        xs, ys: the grid's cell centres.
    """

    fn: TestFunction
    xs: np.ndarray
    ys: np.ndarray
    targets: tuple[Minimum, ...]
    tol: float
    steps: int
    panels: tuple[BasinPanel, ...]


def grid_starts(window: tuple[tuple[float, float], ...], grid: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cell centres ``xs``, ``ys`` of a ``grid × grid`` lattice over ``window`` and the (grid², 2)
    start points, row by row (y outer, x inner)."""
    (x0, x1), (y0, y1) = window
    xs = x0 + (x1 - x0) * (np.arange(grid) + 0.5) / grid
    ys = y0 + (y1 - y0) * (np.arange(grid) + 0.5) / grid
    gx, gy = np.meshgrid(xs, ys)
    return xs, ys, np.stack([gx.ravel(), gy.ravel()], axis=1)


def _targets(fn: TestFunction) -> tuple[Minimum, ...]:
    extra = (Minimum(fn.minima[0].point, fn.minima[0].value, "valley"),) if fn.valley is not None else ()
    return tuple(fn.minima) + extra


def _distance(fn: TestFunction, targets: tuple[Minimum, ...], target: int, x: np.ndarray) -> np.ndarray:
    """Distance from points ``x`` (..., D) to target ``target`` (a point, or the curve of minima)."""
    if targets[target].kind == "valley":
        return fn.valley(x)
    diff = x - np.asarray(targets[target].point)
    return np.sqrt(diff[..., 0] * diff[..., 0] + diff[..., 1] * diff[..., 1])


def classify(batch: TrajectoryBatch, fn: TestFunction, tol: float) -> tuple[np.ndarray, np.ndarray]:
    """Each run's outcome (a target index, :data:`NOT_CONVERGED` or :data:`DIVERGED`) and the steps
    it took (see the module's docstring). Arrays of shape (N,)."""
    targets = _targets(fn)
    final = batch.final
    n_runs, last = len(batch), batch.points.shape[1] - 1
    distances = np.stack([_distance(fn, targets, i, final) for i in range(len(targets))]) if targets else None
    labels = np.full(n_runs, NOT_CONVERGED)
    if distances is not None:
        nearest = np.argmin(distances, axis=0)
        labels = np.where(distances[nearest, np.arange(n_runs)] <= tol, nearest, NOT_CONVERGED)
    labels = np.where(batch.diverged, DIVERGED, labels)
    steps = np.where(batch.diverged, batch.diverged_at, last)
    # going back from the last step, the first step outside tol of the run's target ends its search
    timed = batch.points.transpose(1, 0, 2)  # (K+1, N, D); the engine's own layout is (K+1, D, N)
    settled = np.full(n_runs, -1)  # the last step outside tol (-1: inside from the start)
    for target in range(len(targets)):
        runs = np.flatnonzero(labels == target)
        open_ = np.ones(len(runs), dtype=bool)
        stop = last + 1
        while stop > 0 and open_.any():
            start = max(0, stop - _BLOCK)
            inside = _distance(fn, targets, target, timed[start:stop, runs[open_]]) <= tol  # (B, n)
            outside_any = ~inside.all(axis=0)
            # the last outside step in this block, for the runs that have one
            last_out = start + (stop - start - 1) - np.argmin(inside[::-1], axis=0)
            found = np.flatnonzero(open_)[outside_any]
            settled[runs[found]] = last_out[outside_any]
            open_[found] = False
            stop = start
    reached = labels >= 0
    steps = np.where(reached, settled + 1, steps)
    return labels, steps


def basins(
    fn: str | TestFunction,
    opts: list[str],
    lr: float | list[float] | None = None,
    steps: int = 500,
    grid: int = 200,
    tol: float | None = None,
    **options: object,
) -> BasinMap:
    """Run every start of a ``grid × grid`` lattice over ``fn``'s window with every optimizer × lr,
    as one batch per update rule, and classify each run.

    ``options`` are :func:`optviz.run_batch`'s (``schedule``, ``noise``, hyperparameters, ...).

    Raises:
        SpecError: ``fn`` is not 2-D.
        HyperparameterError: a bad grid or tol, more than :data:`MAX_PANELS` panels, or runs whose
            paths would not fit the memory budget (before anything runs).
    """
    fn = get_function(fn)
    if fn.dim != 2:
        raise SpecError(f"basins need a 2-D function; {fn.spec} is {fn.dim}-D")
    if isinstance(grid, bool) or not isinstance(grid, int) or not 2 <= grid <= 1000:
        raise HyperparameterError(f"--grid {grid!r} must be a whole number from 2 to 1000, e.g. --grid 200")
    longer = max(hi - lo for lo, hi in fn.window)
    tol = TOL_SHARE * longer if tol is None else tol
    if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not 0 < tol < longer:
        raise HyperparameterError(f"--tol {tol!r} must be a distance > 0 and below the window's size {longer:g}")
    xs, ys, starts = grid_starts(fn.window, grid)
    lrs = None if lr is None else lr if isinstance(lr, list) else [lr]
    series = api.expand(fn, opts, lrs, steps=steps, hyper=_hyper(options), **_common(options))
    if len(series) > MAX_PANELS:
        raise HyperparameterError(
            f"{len(series)} panels (optimizers × learning rates); one picture holds at most {MAX_PANELS}"
        )
    labels = np.empty((len(series), len(starts)), dtype=int)
    taken = np.empty((len(series), len(starts)), dtype=int)
    chunk = max(1, CHUNK_BYTES // engine.record_bytes(series[0].steps, len(series), fn.dim))
    for lo in range(0, len(starts), chunk):
        part = starts[lo : lo + chunk]
        batch = api.run_settings(series, part)  # runs in the order series × starts
        found, steps_taken = classify(batch, fn, tol)
        labels[:, lo : lo + len(part)] = found.reshape(len(series), len(part))
        taken[:, lo : lo + len(part)] = steps_taken.reshape(len(series), len(part))
        del batch
    panels = tuple(
        BasinPanel(run.label, labels[i].reshape(grid, grid), taken[i].reshape(grid, grid))
        for i, run in enumerate(series)
    )
    return BasinMap(fn, xs, ys, _targets(fn), float(tol), int(steps), panels)


def _common(options: dict[str, object]) -> dict[str, object]:
    """The options that are fields of :class:`~optviz.settings.RunSettings` (the rest are
    hyperparameters)."""
    from optviz.settings import RunSettings, settings_of

    fields = settings_of(RunSettings)
    return {k: v for k, v in options.items() if k in fields and k not in ("hyper", "start")}


def _hyper(options: dict[str, object]) -> dict[str, object]:
    from optviz.settings import RunSettings, settings_of

    fields = settings_of(RunSettings)
    return {k: v for k, v in options.items() if k not in fields}
