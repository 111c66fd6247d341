"""Analytic 1-D test functions with exact gradients: the textbook's first examples."""

from __future__ import annotations

import math

import numpy as np

from optviz.errors import HyperparameterError
from optviz.functions.registry import DataFit, Minimum, TestFunction, offset, register


def _minima_1d(grad, f, lo: float, hi: float, n: int = 4001) -> tuple[Minimum, ...]:
    """Every minimum of a 1-D function inside [lo, hi], lowest first: sign changes of grad from
    − to +, refined by bisection to machine precision. All are local: the caller's function is
    unbounded, so none is global."""
    xs = np.linspace(lo, hi, n)
    g = grad(xs[:, None])[:, 0]
    found = []
    for i in np.flatnonzero((g[:-1] < 0) & (g[1:] >= 0)):
        a, b = xs[i], xs[i + 1]
        for _ in range(200):
            mid = 0.5 * (a + b)
            if mid in (a, b):
                break
            if grad(np.array([mid]))[0] < 0:
                a = mid
            else:
                b = mid
        x = b if abs(grad(np.array([b]))[0]) < abs(grad(np.array([a]))[0]) else a
        found.append((float(f(np.array([x]))), float(x)))
    found.sort()
    return tuple(Minimum((x,), v, "local") for v, x in found)


@register("square", "the textbook's first example: a parabola")
def square() -> TestFunction:
    def f(x):
        return np.asarray(x, dtype=float)[..., 0] ** 2

    def grad(x):
        return 2 * np.asarray(x, dtype=float)

    return TestFunction(
        "square",
        "square",
        1,
        f,
        grad,
        "x^2",
        (10.0,),
        ((-10.5, 10.5),),
        (Minimum((0.0,), 0.0),),
        labels=("x",),
        plain_formula="x²",
    )


@register("xcos", "local minima that trap a small step")
def xcos(c: float = 0.15) -> TestFunction:
    if c <= 0:
        raise HyperparameterError(f"xcos: c={c} must be > 0, e.g. xcos(c=0.15)")
    w = c * math.pi
    half = min(10.5, max(3.0, 1.575 / c))

    def f(x):
        x = np.asarray(x, dtype=float)[..., 0]
        return x * np.cos(w * x)

    def grad(x):
        x = np.asarray(x, dtype=float)
        return np.cos(w * x) - w * x * np.sin(w * x)

    return TestFunction(
        "xcos",
        "xcos",
        1,
        f,
        grad,
        rf"x\cos({'' if c == 1 else f'{c:g}'}\pi x)",
        (round(0.952 * half, 6),),
        ((-half, half),),
        # the minima a run from inside the window can reach lie within half a period (1/c) beyond it:
        # xcos(c=1) starts at 2.856 and ends at 3.033, outside its window [-3, 3]
        _minima_1d(grad, f, -half - 1 / c, half + 1 / c),
        labels=("x",),
        plain_formula=f"x·cos({'' if c == 1 else f'{c:g}'}πx)",
    )


@register("cubic", "the gradient vanishes at a saddle point: no minimum")
def cubic() -> TestFunction:
    def f(x):
        x = np.asarray(x, dtype=float)[..., 0]
        return x * x * x

    def grad(x):
        return 3 * np.asarray(x, dtype=float) ** 2

    return TestFunction(
        "cubic",
        "cubic",
        1,
        f,
        grad,
        "x^3",
        (1.0,),
        ((-1.2, 1.2),),
        (Minimum((0.0,), 0.0, "saddle"),),
        labels=("x",),
        plain_formula="x³",
    )


@register("single_weight", "one weight, a large input: each step multiplies the error by 1 − 2·lr·x²")
def single_weight(x: float = 100.0, y: float = 110.0) -> TestFunction:
    if x == 0:
        raise HyperparameterError("single_weight: x must be non-zero, e.g. single_weight(x=100)")
    data_x, data_y = x, y

    def f(w):
        w = np.asarray(w, dtype=float)[..., 0]
        return (data_x * w - data_y) ** 2

    def grad(w):
        w = np.asarray(w, dtype=float)
        return 2 * data_x * (data_x * w - data_y)

    best = data_y / data_x
    # from the start to its mirror image across the minimum, where a step with factor −1 lands
    start = 1.0
    mirror = 2 * best - start
    margin = 0.5 * (abs(best - start) or 0.5)
    lo, hi = min(start, mirror) - margin, max(start, mirror) + margin
    return TestFunction(
        "single_weight",
        "single_weight",
        1,
        f,
        grad,
        rf"({x:g}w - {y:g})^2",
        (start,),
        ((lo, hi),),
        (Minimum((best,), 0.0),),
        labels=("w",),
        plain_formula=f"({x:g}·w{offset(y)})²",
        # the model y = w·x at inputs xs (P,): (..., 1) -> (..., P)
        data=DataFit(np.array([data_x]), np.array([data_y]), lambda w, xs: w[..., 0, None] * xs, ("x", "y")),
    )
