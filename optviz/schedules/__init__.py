"""Learning-rate schedules: the lr (and, for some, the momentum) of each update k (from 0).

The lr used by update k is what a torch scheduler gives after k calls of ``scheduler.step()``,
stepped once after every ``optimizer.step()``: mostly ``lr * multiplier(k)``; ``cyclic`` gives
absolute lrs, ``cosine_restarts`` an absolute ``eta_min``, ``plateau`` an lr reduced as each run's
loss stalls (computed by the engine as it runs), and ``cyclic`` and ``onecycle`` also set the
optimizer's momentum or beta1 (:mod:`optviz.schedules.cycles`). A chain ``"warmup(steps=W)+cosine"``
warms up for W updates and then runs the next schedule from its own k = 0 (torch's ``SequentialLR``).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from optviz import spec as spec_parser
from optviz.errors import HyperparameterError, SpecError, UnknownNameError
from optviz.schedules.curves import (
    Schedule,
    constant,
    cosine,
    exponential,
    inverse_sqrt,
    linear,
    polynomial,
    step,
    warmup,
)
from optviz.schedules.cycles import Plateau, Rule, cosine_restarts, cyclic, onecycle, plateau

__all__ = [
    "SCHEDULES",
    "Plan",
    "Schedule",
    "constant",
    "cosine",
    "cosine_restarts",
    "cyclic",
    "exponential",
    "inverse_sqrt",
    "linear",
    "momentum_target",
    "multipliers",
    "onecycle",
    "parse",
    "plan",
    "plateau",
    "polynomial",
    "step",
    "warmup",
]


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
    "linear": _Entry(
        linear,
        {"start_factor": 1 / 3, "end_factor": 1.0, "total_iters": 5},
        "linear(start_factor=0.1, total_iters=20)",
        "LinearLR: start_factor to end_factor over total_iters updates",
    ),
    "polynomial": _Entry(
        polynomial,
        {"total_iters": 5, "power": 1.0},
        "polynomial(total_iters=100, power=2)",
        "PolynomialLR: (1 − k/total_iters)^power, 0 from total_iters on",
    ),
    "cosine_restarts": _Entry(
        cosine_restarts,
        {"t_0": None, "t_mult": 1, "eta_min": 0.0},
        "cosine_restarts(t_0=20, t_mult=2)",
        "CosineAnnealingWarmRestarts: cosine to eta_min (an absolute lr) over t_0, t_0·t_mult, … updates",
    ),
    "cyclic": _Entry(
        cyclic,
        {
            "base_lr": None,
            "max_lr": None,
            "step_size_up": 2000,
            "step_size_down": None,
            "mode": "triangular",
            "gamma": 1.0,
            "cycle_momentum": True,
            "base_momentum": 0.8,
            "max_momentum": 0.9,
        },
        "cyclic(base_lr=0.001, max_lr=0.1, step_size_up=20, mode='triangular2')",
        "CyclicLR: absolute lrs base_lr↔max_lr (run's lr unused); mode triangular, triangular2 or exp_range;"
        " cycles momentum/beta1 max_momentum↔base_momentum unless cycle_momentum=false",
    ),
    "onecycle": _Entry(
        onecycle,
        {
            "total_steps": None,
            "pct_start": 0.3,
            "anneal_strategy": "cos",
            "cycle_momentum": True,
            "base_momentum": 0.85,
            "max_momentum": 0.95,
            "div_factor": 25.0,
            "final_div_factor": 1e4,
            "three_phase": False,
        },
        "onecycle(pct_start=0.25, anneal_strategy='linear')",
        "OneCycleLR: max_lr = the run's lr, total_steps = its steps; anneal_strategy cos or linear; also sets"
        " momentum 0.95→0.85→0.95 (SGD's momentum, so gd becomes heavy-ball; RMSprop's; Adam's beta1)"
        " unless cycle_momentum=false",
    ),
    "plateau": _Entry(
        plateau,
        {
            "factor": 0.1,
            "patience": 10,
            "threshold": 1e-4,
            "threshold_mode": "rel",
            "cooldown": 0,
            "min_lr": 0.0,
            "eps": 1e-8,
            "mode": "min",
        },
        "plateau(factor=0.5, patience=5)",
        "ReduceLROnPlateau stepped with loss[k] (each run's own): lr·factor after patience steps without"
        " improvement; threshold_mode rel or abs; min_lr absolute",
    ),
}
#: schedules whose length defaults to the steps left in the run
_RUN_LENGTH = {"cosine": "t_max", "onecycle": "total_steps"}


@dataclass(frozen=True)
class Plan:
    """A schedule over a run of K updates.

    Attributes:
        multipliers: (K,) update k's factor of the run's lr.
        offsets: (K,) an absolute lr added to it, or ``None`` (0): ``lr_k = lr·m_k + b_k``.
        momentum: (K,) the momentum or beta1 each update uses, replacing the optimizer's, or ``None``.
        plateau: the run's lr reduced on plateaus of its loss from update ``plateau.first`` on
            (before it: ``lr·m_k``), or ``None``.
    """

    multipliers: np.ndarray
    offsets: np.ndarray | None = None
    momentum: np.ndarray | None = None
    plateau: Plateau | None = None


def _chain(text: str, total_steps: int) -> tuple[list[Schedule], list[int]]:
    """The chain's schedules and the update at which each starts."""
    chain = spec_parser.parse_chain(text)
    schedules: list[Schedule] = []
    offsets: list[int] = []
    offset = 0
    for i, (name, kwargs) in enumerate(chain):
        if name not in SCHEDULES:
            raise UnknownNameError("schedule", name, SCHEDULES)
        entry = SCHEDULES[name]
        for key in kwargs:
            if key not in entry.params or key == _RUN_LENGTH.get(name) == "total_steps":
                valid = [k for k in entry.params if k != "total_steps" or name != "onecycle"]
                raise UnknownNameError(f"parameter of schedule {name}", key, valid)
        if name in _RUN_LENGTH and _RUN_LENGTH[name] not in kwargs:
            kwargs = {**kwargs, _RUN_LENGTH[name]: max(1, total_steps - offset)}
        missing = [k for k, v in entry.params.items() if v is None and k not in kwargs and k != "step_size_down"]
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
    return schedules, offsets


def parse(text: str | None, total_steps: int) -> Schedule:
    """Build a schedule's multiplier from ``"cosine"``, ``"step(step_size=10, gamma=0.5)"`` or a
    chain ``"warmup(steps=5)+cosine"``. ``total_steps`` fills cosine's ``t_max`` and onecycle's
    ``total_steps``. (:func:`plan` gives the whole schedule: offsets, momentum, plateau.)"""
    if text is None or (isinstance(text, str) and text.strip().lower() in ("", "none", "constant")):
        return constant()
    schedules, offsets = _chain(text, total_steps)
    if len(schedules) == 1:
        return schedules[0]

    def chained(k: int) -> float:
        i = max(0, bisect.bisect_right(offsets, k) - 1)  # the last schedule that has started
        return schedules[i](k - offsets[i])

    return chained


def plan(text: str | None, steps: int) -> Plan:
    """The whole schedule of a run of ``steps`` updates (see :class:`Plan`).

    Raises:
        HyperparameterError: a multiplier or lr leaves the floats (see :func:`multipliers`).
    """
    if text is None or (isinstance(text, str) and text.strip().lower() in ("", "none", "constant")):
        return Plan(multipliers(constant(), steps))
    schedules, starts = _chain(text, steps)
    last, first = schedules[-1], starts[-1]
    values = multipliers(parse(text, steps), steps)
    if not isinstance(last, Rule):
        return Plan(values)
    local = range(max(0, steps - first))
    offsets = momentum = None
    if last.offset is not None:
        offsets = np.zeros(steps)
        offsets[first:] = multipliers(last.offset, len(local))
    if last.momentum is not None:  # during a warm-up: the value torch's constructor sets (its k = 0)
        momentum = np.full(steps, last.momentum(0))
        momentum[first:] = [last.momentum(k) for k in local]
    rule = None if last.plateau is None else _with_first(last.plateau, first)
    return Plan(values, offsets, momentum, rule)


def _with_first(rule: Plateau, first: int) -> Plateau:
    return Plateau(**{**rule.__dict__, "first": first})


def momentum_target(defaults: dict[str, Any]) -> str | None:
    """The hyperparameter a momentum-cycling schedule sets, as torch picks it: ``betas`` (its
    first, beta1) if the optimizer has betas, else ``momentum``, else ``None``."""
    if "betas" in defaults:
        return "betas"
    return "momentum" if "momentum" in defaults else None


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
