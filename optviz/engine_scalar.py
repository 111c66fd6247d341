"""One run as Python floats: the optimizers' own update code, run coordinate by coordinate.

A NumPy call on a (1, 2) array costs about half a microsecond whatever it computes, so one run
spends its time in call overhead. An elementwise optimizer (``Stepper.elementwise``) treats each
coordinate on its own, so its ``init`` and ``update`` can run on one float per coordinate instead.
The code is not copied: :func:`scalar_stepper` rebinds the same code objects to a namespace whose
``np`` is :data:`SCALAR_NUMPY`, the few NumPy functions the updates use, written for floats with
NumPy's results bit for bit (IEEE double arithmetic is the same either way; ``sqrt`` is correctly
rounded in both; ``maximum``/``minimum``/``sign`` keep NumPy's NaN rules).

Python raises where NumPy returns inf or NaN (``x / 0.0``, ``math.sqrt(-1)``): then
:func:`run_scalar` gives up and the engine runs the array path from the start, so such runs come
out exactly as before, only slower.
"""

from __future__ import annotations

import math
import types
from collections.abc import Callable
from typing import Any

import numpy as np

from optviz.optim import base

__all__ = ["SCALAR_NUMPY", "run_scalar", "scalar_stepper"]


def _maximum(a: float, b: float) -> float:
    return a if a >= b or a != a else b  # NaN in either gives NaN, as np.maximum


def _minimum(a: float, b: float) -> float:
    return a if a <= b or a != a else b


def _sign(a: float) -> float:
    return 1.0 if a > 0 else (-1.0 if a < 0 else a)  # ±0 and NaN as they are, as np.sign


#: the NumPy functions an elementwise update may call, for Python floats (``out`` is ignored: a
#: float has no place to write into)
SCALAR_NUMPY = types.SimpleNamespace(
    sqrt=lambda a, out=None: math.sqrt(a),
    add=lambda a, b, out=None: a + b,
    subtract=lambda a, b, out=None: a - b,
    multiply=lambda a, b, out=None: a * b,
    divide=lambda a, b, out=None: a / b,
    abs=abs,
    maximum=lambda a, b, out=None: _maximum(a, b),
    minimum=_minimum,
    sign=_sign,
    where=lambda condition, a, b: a if condition else b,
    asarray=lambda value: value,
    any=bool,
    all=bool,
    zeros_like=lambda value: 0.0,
    isfinite=math.isfinite,
    ndarray=np.ndarray,
    nan=math.nan,
    inf=math.inf,
)

_REBOUND: dict[int, dict[str, Any]] = {}  # id(module globals) -> the scalar namespace made from it


def _scalar_globals(module_globals: dict[str, Any]) -> dict[str, Any]:
    """A copy of an optimizer module's namespace with ``np`` the scalar one, and the optimizer
    helpers it calls (``lerp``, ``power``, ``root_plus_eps`` ...) rebound the same way."""
    key = id(module_globals)
    if key not in _REBOUND:
        namespace = dict(module_globals)
        _REBOUND[key] = namespace
        namespace["np"] = SCALAR_NUMPY
        for name, value in module_globals.items():
            if isinstance(value, types.FunctionType) and value.__module__.startswith("optviz.optim"):
                namespace[name] = _rebind(value)
        if module_globals.get("power") is base.power:
            # what power() itself calls for a float base and exponent, the only kind here
            namespace["power"] = base._pow
    return _REBOUND[key]


def _rebind(function: types.FunctionType) -> types.FunctionType:
    """The same code and closure, looking its globals up in the scalar namespace."""
    return types.FunctionType(
        function.__code__,
        _scalar_globals(function.__globals__),
        function.__name__,
        function.__defaults__,
        function.__closure__,
    )


def scalar_stepper(stepper: Any) -> tuple[Callable, Callable] | None:
    """``(init, update)`` of an elementwise stepper for one coordinate as a float, or ``None``."""
    if not stepper.elementwise or stepper.closure_update is not None:
        return None
    for cell in stepper.update.__closure__ or ():
        try:
            contents = cell.cell_contents
        except ValueError:  # a name of the factory not bound yet
            continue
        if isinstance(contents, np.ndarray) or (
            isinstance(contents, tuple) and any(isinstance(c, np.ndarray) for c in contents)
        ):
            return None  # per-run hyperparameters: a batch, not one run
    return _rebind(stepper.init), _rebind(stepper.update)


def run_scalar(
    stepper: tuple[Callable, Callable],
    grad_of: Callable[[np.ndarray], np.ndarray],
    start: np.ndarray,
    lrs: list[float],
    record_every: int = 1,
) -> tuple[list[list[float]], list[int], int] | None:
    """Advance one run from ``start`` (D,) with update k at rate ``lrs[k]``.

    Returns the recorded points (rows of D floats), their step numbers, and ``last``, the number
    of updates made (fewer than ``len(lrs)`` when every coordinate turned non-finite and the run
    stopped, as the array path does); ``None`` where Python raised and the array path must run.
    ``grad_of`` takes and returns a (1, D) array (noise-free; clipping included).
    """
    init, update = stepper
    coords = [float(c) for c in start]
    dim, steps = len(coords), len(lrs)
    states = [init(c) for c in coords]
    x = np.array([coords])
    rows, at = [coords], [0]
    last = steps
    try:
        for k in range(steps):
            grad = grad_of(x).tolist()[0]
            lr = lrs[k]
            new = []
            for i in range(dim):
                value, states[i] = update(grad[i], states[i], coords[i], lr)
                new.append(value)
            if type(new[0]) is not float:
                return None
            coords = new
            x[0] = coords
            if (k + 1) % record_every == 0 or k + 1 == steps:
                rows.append(coords)
                at.append(k + 1)
            if k % 32 == 31 and not any(math.isfinite(c) for c in coords):
                last = k + 1
                break
    except (ArithmeticError, ValueError, TypeError, AttributeError):
        return None
    return rows, at, last
