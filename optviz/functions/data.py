"""Data losses: mean squared error over a small data set, with minibatch gradients."""

from __future__ import annotations

import numpy as np

from optviz.errors import HyperparameterError
from optviz.functions.registry import Minimum, TestFunction, pack, register

# The textbook's thermometer: readings c in Celsius and u in an unknown unit (c ≈ w·u + b).
CELSIUS = np.array([0.5, 14.0, 15.0, 28.0, 11.0, 8.0, 3.0, -4.0, 6.0, 13.0, 21.0])
UNKNOWN = np.array([35.7, 55.9, 58.2, 81.9, 56.3, 48.9, 33.9, 21.8, 48.4, 60.4, 68.4])


@register("thermometer", "fit c = w·scale·u + b to 11 readings; scale=0.1 normalizes the input")
def thermometer(scale: float = 1.0) -> TestFunction:
    if scale == 0:
        raise HyperparameterError("thermometer: scale must be non-zero, e.g. thermometer(scale=0.1)")
    inputs = scale * UNKNOWN

    def residuals(x, idx=None):
        x = np.asarray(x, dtype=float)
        u = inputs if idx is None else inputs[idx]
        c = CELSIUS if idx is None else CELSIUS[idx]
        return x[..., 0, None] * u + x[..., 1, None] - c, u

    def f(x):
        r, _ = residuals(x)
        return (r * r).mean(-1)

    def batch_grad(x, idx=None):
        r, u = residuals(x, idx)
        return pack((2 * r * u).mean(-1), (2 * r).mean(-1))

    def grad(x):
        return batch_grad(x)

    design = np.stack([inputs, np.ones_like(inputs)], axis=1)
    best = np.linalg.solve(design.T @ design, design.T @ CELSIUS)
    best_point = (float(best[0]), float(best[1]))
    start = (1.0, 0.0)
    scaled = "" if scale == 1 else rf" \cdot {scale:g}"
    lo = np.minimum(start, best)
    hi = np.maximum(start, best)
    pad = np.maximum(0.25 * (hi - lo), 1.0)
    window = tuple((float(a), float(b)) for a, b in zip(lo - pad, hi + pad, strict=True))
    return TestFunction(
        "thermometer",
        f"thermometer(scale={scale:g})",
        2,
        f,
        grad,
        rf"\frac{{1}}{{11}}\sum_i\ (w{scaled}u_i + b - c_i)^2",
        start,
        window,
        (Minimum(best_point, float(f(np.asarray(best_point)))),),
        {"scale": scale},
        log_levels=True,
        n_samples=len(CELSIUS),
        batch_grad=batch_grad,
        labels=("w", "b"),
    )
