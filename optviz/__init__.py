"""optviz: see the path an optimizer takes.

>>> import optviz
>>> traj = optviz.run(fn="ravine", opt="sgd(momentum=0.5)", lr=0.6, steps=20, start=(-5, -2))
>>> print(", ".join(f"{v:f}" for v in traj.final))
0.007188, 0.002553

The names below are imported on first use, so that ``optviz --help`` starts without numpy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from optviz.errors import (
    ConfigError,
    HyperparameterError,
    OptvizError,
    OutputError,
    SpecError,
    UnknownNameError,
)

__version__ = "0.1.0"

_LAZY = {
    "MAX_STEPS": ("optviz.api", "MAX_STEPS"),
    "run": ("optviz.api", "run"),
    "run_batch": ("optviz.api", "run_batch"),
    "Minimum": ("optviz.functions", "Minimum"),
    "TestFunction": ("optviz.functions", "TestFunction"),
    "get_function": ("optviz.functions", "get"),
    "function_names": ("optviz.functions", "names"),
    "OPTIMIZERS": ("optviz.optim", "OPTIMIZERS"),
    "SCHEDULES": ("optviz.schedules", "SCHEDULES"),
    "Trajectory": ("optviz.trajectory", "Trajectory"),
    "TrajectoryBatch": ("optviz.trajectory", "TrajectoryBatch"),
    "load": ("optviz.trajectory", "load"),
    "save": ("optviz.trajectory", "save"),
    "register": ("optviz.functions.custom", "register"),
    "plot": ("optviz.notebook", "plot"),
    "animate": ("optviz.notebook", "animate"),
    "Animation": ("optviz.notebook", "Animation"),
    "explore": ("optviz.notebook", "explore"),
    "Explorer": ("optviz.explorer.sweep", "Explorer"),
}

if TYPE_CHECKING:  # pragma: no cover
    from optviz.api import MAX_STEPS, run, run_batch
    from optviz.explorer.sweep import Explorer
    from optviz.functions import Minimum, TestFunction
    from optviz.functions import get as get_function
    from optviz.functions import names as function_names
    from optviz.functions.custom import register
    from optviz.notebook import Animation, animate, explore, plot
    from optviz.optim import OPTIMIZERS
    from optviz.schedules import SCHEDULES
    from optviz.trajectory import Trajectory, TrajectoryBatch, load, save


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attribute = _LAZY[name]
        value = getattr(importlib.import_module(module), attribute)
        globals()[name] = value
        return value
    try:  # submodules, e.g. optviz.api
        return importlib.import_module(f"optviz.{name}")
    except ModuleNotFoundError:
        raise AttributeError(f"module 'optviz' has no attribute {name!r}") from None


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = [
    "MAX_STEPS",
    "OPTIMIZERS",
    "SCHEDULES",
    "Animation",
    "ConfigError",
    "Explorer",
    "HyperparameterError",
    "Minimum",
    "OptvizError",
    "OutputError",
    "SpecError",
    "TestFunction",
    "Trajectory",
    "TrajectoryBatch",
    "UnknownNameError",
    "__version__",
    "animate",
    "explore",
    "function_names",
    "get_function",
    "load",
    "plot",
    "register",
    "run",
    "run_batch",
    "save",
]
