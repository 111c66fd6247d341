"""Schedules that are more than a multiplier of the run's lr: absolute lrs (``cyclic``,
``cosine_restarts``' ``eta_min``), cycled momentum (``cyclic``, ``onecycle``) and an lr that
depends on the run's loss (``plateau``), each following its torch scheduler.

A :class:`Rule` gives, for update k, ``lr_k = lr · multiplier(k) + offset(k)`` and the momentum
(or Adam's beta1) update k uses; a :class:`Plateau` is stepped by the engine with each run's loss.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from optviz import spec
from optviz.errors import HyperparameterError
from optviz.schedules.curves import positive_int, real, restart_phase

__all__ = ["Plateau", "PlateauState", "Rule", "cosine_restarts", "cyclic", "onecycle", "plateau"]


@dataclass(frozen=True)
class Rule:
    """A schedule with parts beyond the multiplier; calling it gives the multiplier.

    Attributes:
        multiplier: k -> the factor of the run's lr.
        offset: k -> an absolute lr added to it (``None``: 0).
        momentum: k -> the momentum (SGD, RMSprop) or beta1 (Adam-type) update k uses, which
            replaces the optimizer's own (``None``: the optimizer's own).
        plateau: the lr is the run's own, reduced on plateaus of its loss (``None``: not).
    """

    multiplier: Callable[[int], float]
    offset: Callable[[int], float] | None = None
    momentum: Callable[[int], float] | None = None
    plateau: Plateau | None = None

    def __call__(self, k: int) -> float:
        return self.multiplier(k)


def cosine_restarts(t_0: int, t_mult: int = 1, eta_min: float = 0.0) -> Rule:
    """torch's ``CosineAnnealingWarmRestarts``: ``eta_min + (lr − eta_min)·(1 + cos(π·T_cur/T_i))/2``,
    ``T_cur`` counting the updates since the last restart and ``T_i`` the period, ``t_0`` at
    first and ``t_mult`` times longer after each restart.

    ``eta_min`` is an absolute lr, as in torch: every run anneals down to the same ``eta_min``
    whatever its own lr (the rate is ``c·lr + (1 − c)·eta_min`` with ``c`` the cosine factor).
    """
    t_0 = positive_int("cosine_restarts", "t_0", t_0)
    t_mult = positive_int("cosine_restarts", "t_mult", t_mult)
    eta_min = real("cosine_restarts", "eta_min", eta_min, low=0.0)
    phase = restart_phase(t_0, t_mult)

    def factor(k: int) -> float:
        return (1 + math.cos(math.pi * phase(k))) / 2

    offset = None if eta_min == 0 else (lambda k: eta_min * (1 - factor(k)))
    return Rule(factor, offset)


CYCLIC_MODES = ("triangular", "triangular2", "exp_range")


def cyclic(
    base_lr: float,
    max_lr: float,
    step_size_up: int = 2000,
    step_size_down: int | None = None,
    mode: str = "triangular",
    gamma: float = 1.0,
    cycle_momentum: bool = True,
    base_momentum: float = 0.8,
    max_momentum: float = 0.9,
) -> Rule:
    """torch's ``CyclicLR``: the lr climbs from ``base_lr`` to ``max_lr`` in ``step_size_up``
    updates and back in ``step_size_down`` (default: the same), its amplitude kept
    (``triangular``), halved every cycle (``triangular2``) or scaled by ``gamma**k``
    (``exp_range``). The lrs are absolute: the run's lr is not used.

    With ``cycle_momentum`` (torch's default) the momentum, or Adam's beta1, moves the other way,
    from ``max_momentum`` down to ``base_momentum`` as the lr rises; optimizers without one need
    ``cycle_momentum=false``.
    """
    base_lr = real("cyclic", "base_lr", base_lr, low=0.0)
    max_lr = real("cyclic", "max_lr", max_lr, low=0.0)
    up = float(positive_int("cyclic", "step_size_up", step_size_up))
    down = up if step_size_down is None else float(positive_int("cyclic", "step_size_down", step_size_down))
    mode = spec.choice("cyclic", "mode", mode, CYCLIC_MODES)
    gamma = real("cyclic", "gamma", gamma, low=0.0)
    cycle_momentum = _flag("cyclic", "cycle_momentum", cycle_momentum)
    base_momentum = real("cyclic", "base_momentum", base_momentum, low=0.0, high=1.0)
    max_momentum = real("cyclic", "max_momentum", max_momentum, low=0.0, high=1.0)
    total = up + down
    ratio = up / total

    def where(k: int) -> tuple[float, float]:
        """torch's ``scale_factor`` and scale of update k (``last_epoch = k``)."""
        cycle = math.floor(1 + k / total)
        x = 1.0 + k / total - cycle
        factor = x / ratio if x <= ratio else (x - 1) / (ratio - 1)
        if mode == "triangular":
            scale = 1.0
        elif mode == "triangular2":
            scale = 1 / (2.0 ** (cycle - 1))
        else:
            scale = gamma**k
        return factor, scale

    def lr(k: int) -> float:
        factor, scale = where(k)
        return base_lr + (max_lr - base_lr) * factor * scale

    def momentum(k: int) -> float:
        factor, scale = where(k)
        return max_momentum - (max_momentum - base_momentum) * factor * scale

    return Rule(lambda k: 0.0, lr, momentum if cycle_momentum else None)


ANNEAL = ("cos", "linear")


def onecycle(
    total_steps: int,
    pct_start: float = 0.3,
    anneal_strategy: str = "cos",
    cycle_momentum: bool = True,
    base_momentum: float = 0.85,
    max_momentum: float = 0.95,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    three_phase: bool = False,
) -> Rule:
    """torch's ``OneCycleLR`` with the run's lr as ``max_lr`` and its steps as ``total_steps``:
    from ``lr/div_factor`` up to ``lr`` over the first ``pct_start`` of the run, then down to
    ``lr/div_factor/final_div_factor`` (``three_phase``: back to ``lr/div_factor`` first, then down).

    With ``cycle_momentum`` (torch's default) the momentum moves the other way, from
    ``max_momentum`` down to ``base_momentum`` at the peak lr and back: SGD's momentum (plain
    ``gd`` becomes heavy-ball SGD), RMSprop's momentum, Adam-type beta1 (whose bias correction
    uses the current beta1, as torch's does). ``cycle_momentum=false`` keeps the optimizer's own.
    """
    total_steps = positive_int("onecycle", "total_steps", total_steps)
    pct_start = real("onecycle", "pct_start", pct_start, low=0.0, high=1.0)
    anneal = spec.choice("onecycle", "anneal_strategy", anneal_strategy, ANNEAL)
    cycle_momentum = _flag("onecycle", "cycle_momentum", cycle_momentum)
    base_momentum = real("onecycle", "base_momentum", base_momentum, low=0.0, high=1.0)
    max_momentum = real("onecycle", "max_momentum", max_momentum, low=0.0, high=1.0)
    div_factor = real("onecycle", "div_factor", div_factor, low=0.0)
    final_div_factor = real("onecycle", "final_div_factor", final_div_factor, low=0.0)
    if div_factor == 0 or final_div_factor == 0:
        raise HyperparameterError("schedule onecycle: div_factor and final_div_factor must be > 0, e.g. 25 and 1e4")
    three_phase = _flag("onecycle", "three_phase", three_phase)
    initial, peak = 1.0 / div_factor, 1.0
    low = initial / final_div_factor
    up_end = float(pct_start * total_steps) - 1
    if three_phase:
        phases = [
            (up_end, initial, peak, max_momentum, base_momentum),
            (float(2 * pct_start * total_steps) - 2, peak, initial, base_momentum, max_momentum),
            (total_steps - 1, initial, low, max_momentum, max_momentum),
        ]
    else:
        phases = [
            (up_end, initial, peak, max_momentum, base_momentum),
            (total_steps - 1, peak, low, base_momentum, max_momentum),
        ]

    def blend(start: float, end: float, pct: float) -> float:
        if anneal == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def at(k: int, which: int) -> float:
        if k > total_steps:
            raise HyperparameterError(
                f"schedule onecycle: update {k} is past total_steps={total_steps}; give total_steps >= the steps"
            )
        start_step = 0.0
        for i, phase in enumerate(phases):
            if k <= phase[0] or i == len(phases) - 1:
                pct = (k - start_step) / (phase[0] - start_step)
                return blend(phase[1 + which], phase[2 + which], pct)
            start_step = phase[0]
        raise AssertionError("unreachable")

    return Rule(lambda k: at(k, 0), None, (lambda k: at(k, 2)) if cycle_momentum else None)


class PlateauState(NamedTuple):
    """Each run's ``ReduceLROnPlateau`` state: ``(N, 1)`` lr, ``(N,)`` best loss, bad steps, cooldown."""

    lr: np.ndarray
    best: np.ndarray
    bad: np.ndarray
    cooldown: np.ndarray


@dataclass(frozen=True)
class Plateau:
    """torch's ``ReduceLROnPlateau`` for N runs at once, stepped with each run's loss; ``first``
    is the update it starts at (after a warm-up)."""

    mode: str
    factor: float
    patience: int
    threshold: float
    threshold_mode: str
    cooldown: int
    min_lr: float
    eps: float
    first: int = 0

    def start(self, lr: Any, n_runs: int) -> PlateauState:
        rates = np.array(np.broadcast_to(np.asarray(lr, dtype=float).reshape(-1, 1), (n_runs, 1)))
        worse = math.inf if self.mode == "min" else -math.inf
        return PlateauState(rates, np.full(n_runs, worse), np.zeros(n_runs, int), np.zeros(n_runs, int))

    def step(self, state: PlateauState, loss: np.ndarray) -> PlateauState:
        """``scheduler.step(loss)``, elementwise with torch's float arithmetic."""
        best = state.best
        if self.mode == "min":
            better = loss < (best * (1.0 - self.threshold) if self.threshold_mode == "rel" else best - self.threshold)
        else:
            better = loss > (best * (self.threshold + 1.0) if self.threshold_mode == "rel" else best + self.threshold)
        best = np.where(better, loss, best)
        bad = np.where(better, 0, state.bad + 1)
        cooling = state.cooldown > 0
        cooldown = np.where(cooling, state.cooldown - 1, state.cooldown)
        bad = np.where(cooling, 0, bad)
        reduce = bad > self.patience
        lr = state.lr
        if reduce.any():
            lowered = np.maximum(lr * self.factor, self.min_lr)
            lr = np.where(reduce[:, None] & (lr - lowered > self.eps), lowered, lr)
            cooldown = np.where(reduce, self.cooldown, cooldown)
            bad = np.where(reduce, 0, bad)
        return PlateauState(lr, best, bad, cooldown)


def plateau(
    factor: float = 0.1,
    patience: int = 10,
    threshold: float = 1e-4,
    threshold_mode: str = "rel",
    cooldown: int = 0,
    min_lr: float = 0.0,
    eps: float = 1e-8,
    mode: str = "min",
) -> Rule:
    """torch's ``ReduceLROnPlateau``, stepped after update k with ``loss[k]``, the loss where that
    update's gradient was taken: after more than ``patience`` steps without a ``threshold``
    improvement the lr is multiplied by ``factor`` (not below the absolute ``min_lr``, and only
    if it falls by more than ``eps``), then ``cooldown`` steps pass before counting again. The lr
    depends on each run's losses, so the engine computes it as it goes."""
    factor = real("plateau", "factor", factor, low=0.0)
    if factor >= 1:
        raise HyperparameterError(f"schedule plateau: factor={factor!r} must be < 1, e.g. factor=0.1")
    rule = Plateau(
        spec.choice("plateau", "mode", mode, ("min", "max")),
        factor,
        _whole("plateau", "patience", patience),
        real("plateau", "threshold", threshold, low=0.0),
        spec.choice("plateau", "threshold_mode", threshold_mode, ("rel", "abs")),
        _whole("plateau", "cooldown", cooldown),
        real("plateau", "min_lr", min_lr, low=0.0),
        real("plateau", "eps", eps, low=0.0),
    )
    return Rule(lambda k: 1.0, plateau=rule)


def _whole(schedule: str, key: str, value: Any) -> int:
    """A whole number >= 0."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(value)
        or value != int(value)
        or value < 0
    ):
        raise HyperparameterError(f"schedule {schedule}: {key}={value!r} must be a whole number >= 0")
    return int(value)


def _flag(schedule: str, key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise HyperparameterError(f"schedule {schedule}: {key}={value!r} must be true or false, e.g. {key}=false")
