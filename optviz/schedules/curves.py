"""Schedules that are a multiplier of the run's lr, and the checks every schedule uses.

Each factory returns a pure function of the update index k (from 0). The new ones follow torch's
``LinearLR``, ``PolynomialLR`` and ``CosineAnnealingWarmRestarts`` in closed form (torch steps
some of them recursively; the two agree to a few ulps).
"""

from __future__ import annotations

import bisect
import math
import numbers
from collections.abc import Callable
from typing import Any

from optviz.errors import HyperparameterError

__all__ = [
    "Schedule",
    "constant",
    "cosine",
    "exponential",
    "inverse_sqrt",
    "linear",
    "polynomial",
    "positive_int",
    "real",
    "restart_phase",
    "step",
    "warmup",
]

Schedule = Callable[[int], float]


def constant() -> Schedule:
    """Multiplier 1 at every step."""
    return lambda k: 1.0


def step(step_size: int, gamma: float = 0.1) -> Schedule:
    """``gamma ** (k // step_size)``: torch's ``StepLR``.

    Examples:
        >>> [step(step_size=2, gamma=0.5)(k) for k in range(5)]
        [1.0, 1.0, 0.5, 0.5, 0.25]
    """
    step_size = positive_int("step", "step_size", step_size)
    gamma = real("step", "gamma", gamma, low=0.0)
    return lambda k: gamma ** (k // step_size)


def exponential(gamma: float) -> Schedule:
    """``gamma ** k``: torch's ``ExponentialLR``."""
    gamma = real("exponential", "gamma", gamma, low=0.0)
    return lambda k: gamma**k


def cosine(t_max: int) -> Schedule:
    """``(1 + cos(pi k / t_max)) / 2``: torch's ``CosineAnnealingLR`` with ``eta_min=0`` (periodic after t_max)."""
    t_max = positive_int("cosine", "t_max", t_max)
    return lambda k: (1 + math.cos(math.pi * k / t_max)) / 2


def warmup(steps: int) -> Schedule:
    """``min(1, (k + 1) / steps)``: a linear warm-up over ``steps`` updates."""
    steps = positive_int("warmup", "steps", steps)
    return lambda k: min(1.0, (k + 1) / steps)


def inverse_sqrt(warmup: int) -> Schedule:
    """``min((k + 1) / warmup, sqrt(warmup / (k + 1)))``: the Transformer's schedule, a linear
    warm-up to 1 at update ``warmup − 1`` (the ``warmup``-th update), then decay as 1/√step.

    ``math.sqrt`` of a Python float is correctly rounded, so the multipliers are the same bits
    everywhere.

    Examples:
        >>> [round(inverse_sqrt(warmup=4)(k), 4) for k in range(8)]
        [0.25, 0.5, 0.75, 1.0, 0.8944, 0.8165, 0.7559, 0.7071]
    """
    warmup = positive_int("inverse_sqrt", "warmup", warmup)
    return lambda k: min((k + 1) / warmup, math.sqrt(warmup / (k + 1)))


def linear(start_factor: float = 1 / 3, end_factor: float = 1.0, total_iters: int = 5) -> Schedule:
    """``start + (end − start)·min(k, total_iters)/total_iters``: torch's ``LinearLR``.

    Examples:
        >>> [round(linear(start_factor=0.5, end_factor=1.0, total_iters=2)(k), 3) for k in range(4)]
        [0.5, 0.75, 1.0, 1.0]
    """
    start_factor = real("linear", "start_factor", start_factor, low=0.0, high=1.0)
    if start_factor == 0:
        raise HyperparameterError("schedule linear: start_factor=0 must be > 0 (torch refuses it too), e.g. 0.1")
    end_factor = real("linear", "end_factor", end_factor, low=0.0, high=1.0)
    total_iters = positive_int("linear", "total_iters", total_iters)
    return lambda k: start_factor + (end_factor - start_factor) * min(k, total_iters) / total_iters


def polynomial(total_iters: int = 5, power: float = 1.0) -> Schedule:
    """``(1 − min(k, total_iters)/total_iters) ** power``: torch's ``PolynomialLR`` (0 from
    update ``total_iters`` on).

    Examples:
        >>> [polynomial(total_iters=4, power=2.0)(k) for k in range(6)]
        [1.0, 0.5625, 0.25, 0.0625, 0.0, 0.0]
    """
    total_iters = positive_int("polynomial", "total_iters", total_iters)
    power = real("polynomial", "power", power, low=0.0)
    return lambda k: (1.0 - min(total_iters, k) / total_iters) ** power


def restart_phase(t_0: int, t_mult: int) -> Callable[[int], float]:
    """``T_cur / T_i`` of update k, as torch's ``CosineAnnealingWarmRestarts.step()`` counts them:
    ``T_cur`` goes up by one per step and wraps at ``T_i``, which then grows ``t_mult``-fold."""
    starts = [0]  # the updates at which a period starts, extended as k asks

    def phase(k: int) -> float:
        while starts[-1] <= k:
            last = len(starts) - 1
            starts.append(starts[-1] + t_0 * t_mult**last)
        i = bisect.bisect_right(starts, k) - 1
        return (k - starts[i]) / (starts[i + 1] - starts[i])

    return phase


def positive_int(schedule: str, key: str, value: Any) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(value)
        or value != int(value)
        or value < 1
    ):
        raise HyperparameterError(f"schedule {schedule}: {key}={value!r} must be a whole number >= 1")
    return int(value)


def real(schedule: str, key: str, value: Any, low: float, high: float = math.inf) -> float:
    """A finite number in ``[low, high]``."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(value)
        or not low <= value <= high
    ):
        bound = f">= {low:g}" if high == math.inf else f"in [{low:g}, {high:g}]"
        raise HyperparameterError(f"schedule {schedule}: {key}={value!r} must be a finite number {bound}")
    return float(value)
