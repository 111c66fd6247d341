"""optviz: see the path an optimizer takes.

>>> import optviz
>>> traj = optviz.run(fn="ravine", opt="sgd(momentum=0.5)", lr=0.6, steps=20, start=(-5, -2))
>>> print(", ".join(f"{v:f}" for v in traj.final))
0.007188, 0.002553
"""

from optviz.api import MAX_STEPS, run, run_batch
from optviz.errors import (
    ConfigError,
    HyperparameterError,
    OptvizError,
    OutputError,
    SpecError,
    UnknownNameError,
)
from optviz.functions import Minimum, TestFunction
from optviz.functions import get as get_function
from optviz.functions import names as function_names
from optviz.optim import OPTIMIZERS
from optviz.schedules import SCHEDULES
from optviz.trajectory import Trajectory, TrajectoryBatch, load, save

__version__ = "0.1.0"

__all__ = [
    "MAX_STEPS",
    "OPTIMIZERS",
    "SCHEDULES",
    "ConfigError",
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
    "function_names",
    "get_function",
    "load",
    "run",
    "run_batch",
    "save",
]
