"""The stability map measured instead of computed: a grid of (lr, momentum) run through the engine.

Works on any function: every cell of the grid is a run of SGD (heavy-ball or Nesterov momentum
β, or plain GD) at lr from one start, all as one batch (:func:`optviz.run_batch` with per-run
momentum), and the cell is coloured by the loss above the known minimum after K steps. A run that
overflowed, or whose loss ended above the start's, diverged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optviz import api
from optviz.errors import HyperparameterError, SpecError
from optviz.functions import TestFunction
from optviz.views.common import best_value, gap
from optviz.views.stability import QUADRATICS, RULES, curvatures, default_lr_range

__all__ = ["EmpiricalMap", "empirical_map", "spec_for"]


@dataclass(frozen=True)
class EmpiricalMap:
    """Rows are β (one row, β = 0, for GD), columns lr (cell centres).

    Attributes:
        values: ``f(x_K) − f*`` of each run (the loss for a function with no known minimum),
            NaN where it diverged.
        diverged: overflowed, or ended above the start's loss.
        start_gap: the same measure at the start point.
    """

    rule: str
    lrs: np.ndarray
    betas: np.ndarray
    steps: int
    values: np.ndarray
    diverged: np.ndarray
    start_gap: float
    curvatures: tuple[float, ...] | None  # the closed form's, when fn is a convex quadratic
    has_minimum: bool = True  # values are loss − f* (else the loss: no known minimum)


def spec_for(rule: str, beta: float) -> str:
    """The optimizer spec of one row: ``sgd``, ``sgd(momentum=0.5)``, ``sgd(momentum=0.5, nesterov=true)``."""
    if rule == "gd" or beta == 0:
        return "sgd"
    return f"sgd(momentum={beta!r}, nesterov=true)" if rule == "nesterov" else f"sgd(momentum={beta!r})"


def empirical_map(
    fn: TestFunction,
    rule: str,
    lr_range: tuple[float, float] | None,
    beta_range: tuple[float, float] = (0.0, 0.99),
    resolution: int = 60,
    steps: int = 100,
    start: object = None,
    **options: object,
) -> EmpiricalMap:
    """Run the (lr, β) grid (cell centres; ``resolution`` per axis) for ``steps`` updates.

    ``lr_range`` may be left out for a convex quadratic (the closed form's range is used).

    Raises:
        HyperparameterError: no lr range for a function the closed form does not cover, or a grid
            over the memory budget.
    """
    if rule not in RULES:
        raise SpecError(f"unknown update rule {rule!r}; use one of {', '.join(RULES)}")
    hs = _curvatures(fn)
    if rule == "gd":
        beta_range = (0.0, 0.0)
    if lr_range is None:
        if hs is None:
            raise HyperparameterError(
                f"--empirical on {fn.spec} needs the lr range to scan: give --lr LO..HI, e.g. --lr 0..0.02"
            )
        lr_range = default_lr_range(rule, hs, beta_range)
    lo, hi = lr_range
    lrs = lo + (hi - lo) * (np.arange(resolution) + 0.5) / resolution
    if rule == "gd":
        betas = np.zeros(1)
    else:
        betas = beta_range[0] + (beta_range[1] - beta_range[0]) * (np.arange(resolution) + 0.5) / resolution
    opts = [spec_for(rule, float(b)) for b in betas]
    batch = api.run_batch(fn, opts, [float(v) for v in lrs], steps, start, **options)
    start_gap = float(gap(fn, batch.loss[0, 0]))
    final = gap(fn, batch.loss[:, -1]).reshape(len(betas), len(lrs))
    diverged = batch.diverged.reshape(len(betas), len(lrs)) | ~(final <= start_gap)
    values = np.where(diverged, np.nan, final)
    return EmpiricalMap(rule, lrs, betas, int(steps), values, diverged, start_gap, hs, best_value(fn) is not None)


def _curvatures(fn: TestFunction) -> tuple[float, ...] | None:
    if fn.name not in QUADRATICS:
        return None
    try:
        return curvatures(fn)
    except SpecError:
        return None
