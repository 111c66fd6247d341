"""One run as Python floats: the optimizers' own update code, run coordinate by coordinate.

A NumPy call on a (1, 2) array costs about half a microsecond whatever it computes, so one run
spends its time in call overhead. An elementwise optimizer (``Stepper.elementwise``) treats each
coordinate on its own, so its ``init`` and ``update`` can run on one float per coordinate instead.
The code is not copied: :func:`scalar_stepper` rebinds the same code objects to a namespace whose
``np`` is :data:`SCALAR_NUMPY`, the few NumPy functions the updates use, written for floats with
NumPy's results bit for bit (IEEE double arithmetic is the same either way; ``sqrt`` is correctly
rounded in both; ``maximum``/``minimum``/``sign`` keep NumPy's NaN rules).

The shims and the rebinding are in :mod:`optviz.engine_floats`; a loop generated from the same
code (:mod:`optviz.engine_trace`) makes the updates where the update traces.

Python raises where NumPy returns inf or NaN (``x / 0.0``, ``math.sqrt(-1)``): then
:func:`run_scalar` gives up and the engine runs the array path from the start, so such runs come
out exactly as before, only slower.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from optviz import engine_trace
from optviz.engine_floats import SCALAR_NUMPY, rebind

__all__ = ["SCALAR_NUMPY", "ScalarStepper", "run_scalar", "scalar_stepper"]


class ScalarStepper(NamedTuple):
    """An elementwise stepper for one coordinate as a float: its ``init`` and ``update`` rebound
    (:func:`optviz.engine_floats.rebind`), and ``source``, its own update, which
    :mod:`optviz.engine_trace` traces into a loop."""

    init: Callable
    update: Callable
    source: Callable


def scalar_stepper(stepper: Any) -> ScalarStepper | None:
    """An elementwise stepper for one coordinate as a float, or ``None``."""
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
    return ScalarStepper(rebind(stepper.init), rebind(stepper.update), stepper.update)


#: a generated loop is asked for before each of the first this many updates, the float path making
#: one update in between (a state may change its shape at first: SGD's momentum buffer is None
#: before the first update)
TRACE_ATTEMPTS = 3


def run_scalar(
    stepper: ScalarStepper,
    grad_of: Callable[[np.ndarray], np.ndarray],
    start: np.ndarray,
    lrs: list[float],
    record_every: int = 1,
) -> tuple[np.ndarray, list[int], int] | None:
    """Advance one run from ``start`` (D,) with update k at rate ``lrs[k]``.

    Returns the recorded points ((K, D) float64), their step numbers, and ``last``, the number
    of updates made (fewer than ``len(lrs)`` when every coordinate turned non-finite and the run
    stopped, as the array path does); ``None`` where Python raised and the array path must run.
    ``grad_of`` takes and returns a (1, D) array (noise-free; clipping included).

    The updates run in a loop generated from the update (:mod:`optviz.engine_trace`) where it
    traces, else one update call per coordinate and step; the same operations either way.
    """
    coords = [float(c) for c in start]
    steps = len(lrs)
    states = [stepper.init(c) for c in coords]
    x = np.array([coords])
    rows = list(coords)  # the recorded points, one after the other (one array at the end)
    k, last = 0, steps
    attempts = TRACE_ATTEMPTS if engine_trace.worth_generating(stepper.source, steps) else 0
    try:
        while k < steps:
            loop = engine_trace.loop_for(stepper.source, states, record_every == 1) if k < attempts else None
            if loop is not None:
                last, coords, states = loop.run(grad_of, x, lrs, k, record_every, rows, coords, states)
                break
            stop = k + 1 if k + 1 < attempts else steps
            k, coords, stopped = _float_steps(
                stepper.update, grad_of, x, lrs, k, stop, record_every, rows, coords, states
            )
            if coords is None:
                return None
            if stopped:
                last = k
                break
    except (ArithmeticError, ValueError, TypeError, AttributeError):
        return None
    at = [0] + [j for j in range(1, last + 1) if j % record_every == 0 or j == steps]
    return np.array(rows).reshape(len(at), -1), at, last


def _float_steps(
    update: Callable,
    grad_of: Callable,
    x: np.ndarray,
    lrs: list[float],
    start: int,
    stop: int,
    record_every: int,
    rows: list,
    coords: list[float],
    states: list,
) -> tuple[int, list[float] | None, bool]:
    """Updates ``start`` to ``stop``, one update call per coordinate (``states`` updated in place).
    Returns the next update's number, the coordinates (``None``: not floats, the array path must
    run) and whether the run stopped, every coordinate non-finite."""
    steps, dim = len(lrs), len(coords)
    for k in range(start, stop):
        grad = grad_of(x).tolist()[0]
        lr = lrs[k]
        new = []
        for i in range(dim):
            value, states[i] = update(grad[i], states[i], coords[i], lr)
            new.append(value)
        if type(new[0]) is not float:
            return k, None, False
        coords = new
        x[0] = coords
        if (k + 1) % record_every == 0 or k + 1 == steps:
            rows.extend(coords)
        if k % 32 == 31 and not any(math.isfinite(c) for c in coords):
            return k + 1, coords, True
    return stop, coords, False
