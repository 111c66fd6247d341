"""What every stepper shares: the ``Stepper`` pair of pure functions and hyperparameter checks.

A stepper advances N runs at once. ``params`` and ``grad`` are ``(N, D)`` float64 arrays; ``lr``
is this step's learning rate, a float or an ``(N, 1)`` array (torch's ``param_group["lr"]``). A
hyperparameter is a float, or an ``(N, 1)`` array when it differs across the batch; options that
change the code path (``nesterov``, ``amsgrad``, ...) are plain bools. ``update`` returns a new
params array and a new state and never writes into its arguments, so old states stay valid.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from optviz.errors import HyperparameterError

__all__ = [
    "Hyper",
    "Stepper",
    "betas_pair",
    "check",
    "decay_weights",
    "ema_of_square",
    "flag",
    "hyper",
    "in_range",
    "lerp",
    "power",
]

Array = np.ndarray
Hyper = float | Array  # a float, or an (N, 1) array of per-run values


class Stepper(NamedTuple):
    """An optimizer as two pure functions.

    Attributes:
        init: ``init(params (N, D)) -> state``.
        update: ``update(grad (N, D), state, params (N, D), lr) -> (new_params, new_state)``.
        effective_lr: adaptive methods: ``effective_lr(state, lr) -> (N, D)``, each coordinate's step
            size after the update that made ``state`` with rate ``lr`` (``None``: the lr itself).
        closure_update: optimizers that evaluate the function inside a step (L-BFGS, torch's
            ``optimizer.step(closure)``): ``closure_update(evaluate, state, params, lr) ->
            (new_params, new_state)`` with ``evaluate(x (M, D)) -> (loss (M,), grad (M, D))``; the
            new state's ``evaluations`` (N,) counts the step's evaluations and ``iterates``
            (N, I, D) holds its inner points. The engine then calls it instead of ``update``.
        elementwise: ``init`` and ``update`` treat every coordinate on its own and use only
            arithmetic, this module's helpers and the numpy functions of
            :data:`optviz.engine_scalar.SCALAR_NUMPY`, so the engine may run one run's coordinates as
            Python floats through the same code (:func:`optviz.engine_scalar.scalar_stepper`).
        buffers: ``buffers(params) -> out``: arrays an ``update(..., out)`` writes its new params
            and state into instead of allocating them. The engine passes the same set at every
            step, so from the second step on they are the inputs themselves: the update reads each
            element of an input before it writes that element of its output (elementwise, with
            scratch arrays of its own). Its field ``spare`` is the engine's: the gradient passed,
            when nothing else holds it, which the update may then use as a scratch array once it
            has read the gradient for the last time (``None``: it may not). ``None``: ``update``
            takes no ``out``.
    """

    init: Callable[[Array], Any]
    update: Callable[[Array, Any, Array, Hyper], tuple[Array, Any]]
    effective_lr: Callable[[Any, Hyper], Array] | None = None
    closure_update: Callable[[Callable[[Array], tuple[Array, Array]], Any, Array, Hyper], tuple[Array, Any]] | None = (
        None
    )
    elementwise: bool = False
    buffers: Callable[[Array], Any] | None = None


def hyper(name: str, value: Any) -> Hyper:
    """A hyperparameter as a float, or as an ``(N, 1)`` float64 array if given per run."""
    if isinstance(value, bool) or isinstance(value, str) or value is None:
        raise HyperparameterError(f"{name}={value!r} must be a number, e.g. {name}=0.9")
    if isinstance(value, numbers.Real):
        return float(value)
    if not isinstance(value, np.ndarray):  # per-run values come as arrays from run_batch; users give numbers
        raise HyperparameterError(f"{name}={value!r} must be a number, e.g. {name}=0.9")
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise HyperparameterError(f"{name}={value!r} must be a number, e.g. {name}=0.9") from None
    if array.ndim == 0:
        return float(array)
    return array.reshape(-1, 1)


def flag(name: str, value: Any) -> bool:
    """A boolean option (``nesterov=true``)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise HyperparameterError(f"{name}={value!r} must be true or false, e.g. {name}=true")


def check(ok: bool, message: str) -> None:
    """Raise a :class:`HyperparameterError` with ``message`` unless ``ok``."""
    if not ok:
        raise HyperparameterError(message)


def in_range(name: str, value: Hyper, low: float, high: float = math.inf, *, high_open: bool = False) -> Hyper:
    """Check ``low <= value <= high`` (``< high`` with ``high_open``) elementwise, NaN rejected."""
    finite = isinstance(value, float) and math.isfinite(value)
    if finite and low <= value and (value < high if high_open else value <= high):
        return value  # the usual case, without numpy (an optimizer is built several times per run)
    array = np.asarray(value)
    if not np.all(np.isfinite(array)):
        raise HyperparameterError(f"invalid {name}: {_show(value)}; it must be a finite number")
    ok = np.all(array >= low) and (np.all(array < high) if high_open else np.all(array <= high))
    if not ok:
        bound = (
            f"in [{low:g}, {high:g})"
            if high_open
            else (f">= {low:g}" if high == math.inf else f"in [{low:g}, {high:g}]")
        )
        raise HyperparameterError(f"invalid {name}: {_show(value)}; it must be {bound}")
    return value


def betas_pair(value: Any) -> tuple[Hyper, Hyper]:
    """``betas`` as a pair ``(beta1, beta2)``, each in [0, 1)."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise HyperparameterError(f"betas={value!r} must be a pair, e.g. betas=(0.9, 0.999)")
    beta1 = in_range("beta1 (betas[0])", hyper("betas[0]", value[0]), 0.0, 1.0, high_open=True)
    beta2 = in_range("beta2 (betas[1])", hyper("betas[1]", value[1]), 0.0, 1.0, high_open=True)
    return beta1, beta2


def _show(value: Hyper) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return np.array2string(np.asarray(value).ravel(), precision=4, threshold=6)


def lerp(start: Array, end: Array, weight: Hyper, out: Array | None = None, scratch: Array | None = None) -> Array:
    """torch.lerp's arithmetic, term for term, so paths match torch to the last bit where it can.

    ``out``: an array to write the result into, which may be ``start`` itself (each element of
    ``start`` is read before it is written); ``scratch``: one more (neither); ``None`` allocates.
    The two spellings are the same operations in the same order (tests/test_determinism.py checks
    a batch, computed in buffers, against its runs made one at a time, computed as floats).
    """
    if isinstance(weight, float):
        if out is None:
            return start + weight * (end - start) if abs(weight) < 0.5 else end - (end - start) * (1 - weight)
        t = np.subtract(end, start, scratch)  # ``out`` by position here: cheaper per call
        if abs(weight) < 0.5:  # start + weight * (end - start)
            t = np.multiply(weight, t, t)
            return np.add(start, t, out)
        t = np.multiply(t, 1 - weight, t)  # end - (end - start) * (1 - weight)
        return np.subtract(end, t, out)
    return np.where(np.abs(weight) < 0.5, start + weight * (end - start), end - (end - start) * (1 - weight))


def power(base: Hyper, exponent: Hyper) -> Hyper:
    """``base ** exponent`` with Python's float power (C ``pow``) for every value.

    torch raises its Python-float hyperparameters to powers this way (``beta1 ** step``);
    numpy's array power can differ in the last bit, and a batch must equal its single runs
    exactly, so array arguments are evaluated per distinct value. A negative base with a
    fractional exponent gives NaN (Python would return a complex number).
    """
    if isinstance(base, float) and isinstance(exponent, (float, int)):
        return _pow(base, exponent)
    b, e = np.broadcast_arrays(np.asarray(base, dtype=float), np.asarray(exponent, dtype=float))
    pairs, where = np.unique(np.stack([b.ravel(), e.ravel()], axis=1), axis=0, return_inverse=True)
    values = np.array([_pow(x, y) for x, y in pairs.tolist()])
    return values[where.ravel()].reshape(b.shape)


def _pow(base: float, exponent: float) -> float:
    if base < 0 and exponent != int(exponent):
        return math.nan
    try:
        return base**exponent
    except OverflowError:
        return math.inf


def ema_of_square(
    average: Array, grad: Array, decay: Hyper, out: Array | None = None, scratch: Array | None = None
) -> Array:
    """``decay·average + (1 − decay)·grad²``: torch's ``avg.mul_(decay).addcmul_(grad, grad, value=1 - decay)``.

    ``out``: the array to write the result into, which may be ``average`` itself; ``scratch``:
    one more (neither ``average`` nor ``grad``); ``None`` allocates.
    """
    if out is None:
        return decay * average + (1 - decay) * grad * grad
    total = np.multiply(decay, average, out)
    term = np.multiply(1 - decay, grad, scratch)
    term = np.multiply(term, grad, term)
    return np.add(total, term, total)


def decay_weights(grad: Array, params: Array, lr: Hyper, weight_decay: Hyper, decoupled: bool) -> tuple[Array, Array]:
    """torch's two weight decays, as ``(grad, params)``: L2, ``grad + wd·param``, or decoupled
    (AdamW), ``param·(1 − lr·wd)`` before the step."""
    if decoupled:
        return grad, params * (1 - lr * weight_decay)
    return grad + weight_decay * params, params
