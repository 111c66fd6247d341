"""Data losses: mean squared error over a small data set, with minibatch gradients."""

from __future__ import annotations

import numpy as np

from optviz.errors import HyperparameterError
from optviz.functions.registry import DataFit, Minimum, TestFunction, fixed_sum, pack, register, solve_small

# The textbook's thermometer: readings c in Celsius and u in an unknown unit (c ≈ w·u + b).
CELSIUS = np.array([0.5, 14.0, 15.0, 28.0, 11.0, 8.0, 3.0, -4.0, 6.0, 13.0, 21.0])
UNKNOWN = np.array([35.7, 55.9, 58.2, 81.9, 56.3, 48.9, 33.9, 21.8, 48.4, 60.4, 68.4])


@register("thermometer", "a line through 11 readings; scale=0.1 normalizes the input")
def thermometer(scale: float = 1.0) -> TestFunction:
    if scale == 0:
        raise HyperparameterError("thermometer: scale must be non-zero, e.g. thermometer(scale=0.1)")
    inputs = scale * UNKNOWN

    def residuals(x, idx=None):
        x = np.asarray(x, dtype=float)
        u = inputs if idx is None else inputs[idx]
        c = CELSIUS if idx is None else CELSIUS[idx]
        return x[..., 0, None] * u + x[..., 1, None] - c, u

    # means as fixed-order sums (not numpy's layout-dependent mean), so a batch equals its runs
    def f(x):
        r, _ = residuals(x)
        return fixed_sum(r * r) / len(CELSIUS)

    def batch_grad(x, idx=None):
        r, u = residuals(x, idx)
        return pack(fixed_sum(2 * r * u) / r.shape[-1], fixed_sum(2 * r) / r.shape[-1])

    def grad(x):
        return batch_grad(x)

    def value_and_grad(x):  # the residuals once for both
        r, u = residuals(x)
        n = r.shape[-1]
        return fixed_sum(r * r) / len(CELSIUS), pack(fixed_sum(2 * r * u) / n, fixed_sum(2 * r) / n)

    def predict(x, u):
        """c = w·(scale·u) + b at raw readings ``u`` (P,): ``(..., 2) -> (..., P)``."""
        x = np.asarray(x, dtype=float)
        return x[..., 0, None] * (scale * np.asarray(u, dtype=float)) + x[..., 1, None]

    # least squares from its 2x2 normal equations, by hand: no BLAS or LAPACK in any number
    normal = np.array([[fixed_sum(inputs * inputs), fixed_sum(inputs)], [fixed_sum(inputs), len(inputs)]])
    best = solve_small(normal, np.array([fixed_sum(inputs * CELSIUS), fixed_sum(CELSIUS)]))
    best_point = (float(best[0]), float(best[1]))
    start = (1.0, 0.0)
    scaled = "" if scale == 1 else rf" \cdot {scale:g}"
    lo = np.minimum(start, best)
    hi = np.maximum(start, best)
    pad = np.maximum(0.25 * (hi - lo), 1.0)
    window = tuple((float(a), float(b)) for a, b in zip(lo - pad, hi + pad, strict=True))
    return TestFunction(
        "thermometer",
        "thermometer",
        2,
        f,
        grad,
        rf"\frac{{1}}{{11}}\sum_i\ (w{scaled}u_i + b - c_i)^2",
        start,
        window,
        (Minimum(best_point, float(f(np.asarray(best_point)))),),
        log_levels=True,
        n_samples=len(CELSIUS),
        batch_grad=batch_grad,
        labels=("w", "b"),
        plain_formula=f"(1/11)·Σ ({'' if scale == 1 else f'{scale:g}·'}w·u + b − c)²",
        data=DataFit(UNKNOWN, CELSIUS, predict, ("u", "c"), scale),
        value_and_grad=value_and_grad,
    )
