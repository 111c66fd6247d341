"""Optimizer names: each maps to a stepper factory, torch's default lr and preset options."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from optviz import spec as spec_parser
from optviz.errors import UnknownNameError
from optviz.optim.adadelta import adadelta
from optviz.optim.adafactor import adafactor
from optviz.optim.adagrad import adagrad
from optviz.optim.adam import adam, adamw
from optviz.optim.adamax import adamax
from optviz.optim.asgd import asgd
from optviz.optim.base import Stepper
from optviz.optim.lbfgs import lbfgs
from optviz.optim.nadam import nadam
from optviz.optim.radam import radam
from optviz.optim.rmsprop import rmsprop
from optviz.optim.rprop import rprop
from optviz.optim.sgd import sgd

__all__ = ["OPTIMIZERS", "OptimizerEntry", "get_entry", "names", "resolve"]


@dataclass(frozen=True)
class OptimizerEntry:
    """A registered optimizer name.

    Attributes:
        name: the name users type (``"momentum"``).
        factory: the stepper factory (``sgd``).
        lr: torch's default learning rate for it.
        preset: options the name fixes (``{"momentum": 0.9}`` for ``momentum``).
        description: one line for ``optviz list``.
        torch_name: the torch.optim class it matches.
    """

    name: str
    factory: Callable[..., Stepper]
    lr: float
    preset: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    torch_name: str = ""

    @property
    def defaults(self) -> dict[str, Any]:
        """Every option with its default, the preset applied (``lr`` first)."""
        params = inspect.signature(self.factory).parameters
        return {"lr": self.lr, **{k: p.default for k, p in params.items()}, **self.preset}

    def build(self, **options: Any) -> Stepper:
        return self.factory(**{**self.preset, **options})


_ENTRIES = [
    OptimizerEntry("gd", sgd, 1e-3, {}, "gradient descent: θ ← θ − lr·g", "SGD"),
    OptimizerEntry("sgd", sgd, 1e-3, {}, "alias of gd; with momentum/nesterov/dampening options", "SGD"),
    OptimizerEntry("momentum", sgd, 1e-3, {"momentum": 0.9}, "SGD with heavy-ball momentum 0.9", "SGD"),
    OptimizerEntry("nesterov", sgd, 1e-3, {"momentum": 0.9, "nesterov": True}, "SGD with Nesterov momentum 0.9", "SGD"),
    OptimizerEntry("adagrad", adagrad, 1e-2, {}, "per-coordinate steps from the sum of squared gradients", "Adagrad"),
    OptimizerEntry("rmsprop", rmsprop, 1e-2, {}, "per-coordinate steps from a running average of g²", "RMSprop"),
    OptimizerEntry("adadelta", adadelta, 1.0, {}, "RMSprop with step sizes in the parameters' units", "Adadelta"),
    OptimizerEntry("adam", adam, 1e-3, {}, "momentum + RMSprop, bias-corrected", "Adam"),
    OptimizerEntry("adamw", adamw, 1e-3, {}, "Adam with decoupled weight decay (default 1e-2)", "AdamW"),
    OptimizerEntry("adamax", adamax, 2e-3, {}, "Adam with the infinity norm", "Adamax"),
    OptimizerEntry("nadam", nadam, 2e-3, {}, "Adam with Nesterov momentum", "NAdam"),
    OptimizerEntry("radam", radam, 1e-3, {}, "rectified Adam: momentum steps until the variance is tractable", "RAdam"),
    OptimizerEntry(
        "adafactor", adafactor, 1e-2, {}, "steps relative to the parameters' RMS, update RMS clipped", "Adafactor"
    ),
    OptimizerEntry("asgd", asgd, 1e-2, {}, "SGD with a decaying step and a running average ax of the points", "ASGD"),
    OptimizerEntry("lbfgs", lbfgs, 1.0, {}, "quasi-Newton from the last steps; many evaluations per step", "LBFGS"),
    OptimizerEntry(
        "rprop", rprop, 1e-2, {}, "sign steps; per-coordinate sizes ×1.2 while the sign holds, ×0.5 on a flip", "Rprop"
    ),
]
OPTIMIZERS: dict[str, OptimizerEntry] = {entry.name: entry for entry in _ENTRIES}


def names() -> list[str]:
    return list(OPTIMIZERS)


def get_entry(name: str) -> OptimizerEntry:
    if name not in OPTIMIZERS:
        raise UnknownNameError("optimizer", name, OPTIMIZERS)
    return OPTIMIZERS[name]


def resolve(spec: str, overrides: dict[str, Any] | None = None) -> tuple[OptimizerEntry, dict[str, Any]]:
    """Parse an optimizer spec and merge ``overrides`` (given first, so the spec wins).

    Returns the entry and the explicit options (``lr`` included if given), after checking
    that every key is one the optimizer takes.
    """
    name, kwargs = spec_parser.parse(spec)
    entry = get_entry(name)
    options = {**(overrides or {}), **kwargs}
    valid = entry.defaults
    for key in options:
        if key not in valid:
            raise UnknownNameError(f"hyperparameter of {name}", key, valid)
    return entry, options
