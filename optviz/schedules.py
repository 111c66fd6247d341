"""Learning-rate schedules: pure functions of the update index k (from 0) to a multiplier.

The lr used by update k is ``lr * multiplier(k)``, as with a torch scheduler stepped after every
``optimizer.step()``. A chain ``"warmup(steps=W)+cosine"`` warms up for W updates and then runs the
next schedule from its own k = 0 (torch's ``SequentialLR``).
"""

from __future__ import annotations

import bisect
import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from optviz import spec as spec_parser
from optviz.errors import HyperparameterError, SpecError, UnknownNameError

__all__ = [
    "SCHEDULES",
    "Schedule",
    "constant",
    "cosine",
    "exponential",
    "inverse_sqrt",
    "multipliers",
    "parse",
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
    step_size = _positive_int("step", "step_size", step_size)
    gamma = _number("step", "gamma", gamma, low=0.0)
    return lambda k: gamma ** (k // step_size)


def exponential(gamma: float) -> Schedule:
    """``gamma ** k``: torch's ``ExponentialLR``."""
    gamma = _number("exponential", "gamma", gamma, low=0.0)
    return lambda k: gamma**k


def cosine(t_max: int) -> Schedule:
    """``(1 + cos(pi k / t_max)) / 2``: torch's ``CosineAnnealingLR`` with ``eta_min=0`` (periodic after t_max)."""
    t_max = _positive_int("cosine", "t_max", t_max)
    return lambda k: (1 + math.cos(math.pi * k / t_max)) / 2


def warmup(steps: int) -> Schedule:
    """``min(1, (k + 1) / steps)``: a linear warm-up over ``steps`` updates."""
    steps = _positive_int("warmup", "steps", steps)
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
    warmup = _positive_int("inverse_sqrt", "warmup", warmup)
    return lambda k: min((k + 1) / warmup, math.sqrt(warmup / (k + 1)))


@dataclass(frozen=True)
class _Entry:
    factory: Callable[..., Schedule]
    params: dict[str, Any]  # name -> default (None: required, or filled from the run)
    example: str
    description: str


SCHEDULES: dict[str, _Entry] = {
    "constant": _Entry(constant, {}, "constant", "multiplier 1"),
    "step": _Entry(step, {"step_size": None, "gamma": 0.1}, "step(step_size=10, gamma=0.5)", "gamma^(k // step_size)"),
    "exponential": _Entry(exponential, {"gamma": None}, "exponential(gamma=0.95)", "gamma^k"),
    "cosine": _Entry(
        cosine, {"t_max": None}, "cosine(t_max=100)", "(1 + cos(πk/t_max))/2; t_max defaults to the steps"
    ),
    "warmup": _Entry(
        warmup, {"steps": None}, "warmup(steps=10)", "min(1, (k+1)/steps); chain: warmup(steps=10)+cosine"
    ),
    "inverse_sqrt": _Entry(
        inverse_sqrt,
        {"warmup": None},
        "inverse_sqrt(warmup=10)",
        "min((k+1)/warmup, √(warmup/(k+1))): the Transformer's, peak 1 at the warmup-th update",
    ),
}


def parse(text: str | None, total_steps: int) -> Schedule:
    """Build a schedule from ``"cosine"``, ``"step(step_size=10, gamma=0.5)"`` or a chain
    ``"warmup(steps=5)+cosine"``. ``total_steps`` fills cosine's default ``t_max``."""
    if text is None or (isinstance(text, str) and text.strip().lower() in ("", "none", "constant")):
        return constant()
    chain = spec_parser.parse_chain(text)
    schedules: list[Schedule] = []
    offsets: list[int] = []
    offset = 0
    for i, (name, kwargs) in enumerate(chain):
        if name not in SCHEDULES:
            raise UnknownNameError("schedule", name, SCHEDULES)
        entry = SCHEDULES[name]
        for key in kwargs:
            if key not in entry.params:
                raise UnknownNameError(f"parameter of schedule {name}", key, entry.params)
        if name == "cosine" and "t_max" not in kwargs:
            kwargs = {**kwargs, "t_max": max(1, total_steps - offset)}
        missing = [k for k, v in entry.params.items() if v is None and k not in kwargs]
        if missing:
            raise SpecError(f"schedule {name} needs {', '.join(missing)}, e.g. {entry.example}")
        if i < len(chain) - 1 and name != "warmup":
            raise SpecError(
                f"only warmup can be followed by another schedule (got {name} first), e.g. warmup(steps=10)+cosine"
            )
        schedules.append(entry.factory(**kwargs))
        offsets.append(offset)
        if name == "warmup":
            offset += kwargs["steps"]
    if len(schedules) == 1:
        return schedules[0]

    def chained(k: int) -> float:
        i = max(0, bisect.bisect_right(offsets, k) - 1)  # the last schedule that has started
        return schedules[i](k - offsets[i])

    return chained


def multipliers(schedule: Schedule, steps: int) -> np.ndarray:
    """The multipliers of updates 0 … steps−1 as a float64 array.

    Raises:
        HyperparameterError: a multiplier leaves the floats (``exponential(gamma=2)`` over 2000
            steps): the lr it gives would be meaningless, not a divergence of the optimizer.
    """
    values = np.empty(steps)
    for k in range(steps):
        try:
            values[k] = schedule(k)
        except OverflowError:
            values[k] = math.inf
        if not math.isfinite(values[k]):
            raise HyperparameterError(
                f"the schedule's multiplier overflows at update {k}; use a gamma <= 1, or fewer steps"
            )
    return values


def _positive_int(schedule: str, key: str, value: Any) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(value)
        or value != int(value)
        or value < 1
    ):
        raise HyperparameterError(f"schedule {schedule}: {key}={value!r} must be a whole number >= 1")
    return int(value)


def _number(schedule: str, key: str, value: Any, low: float) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value < low:
        raise HyperparameterError(f"schedule {schedule}: {key}={value!r} must be a finite number >= {low:g}")
    return float(value)
