"""Analytic 2-D test functions with exact gradients."""

from __future__ import annotations

import math

import numpy as np

from optviz.errors import HyperparameterError
from optviz.functions.registry import (
    Minimum,
    TestFunction,
    fixed_sum,
    offset,
    pack,
    refine_stationary,
    register,
)
from optviz.functions.valleys import hyperbola_distance

Array = np.ndarray


def _xy(x: Array) -> tuple[Array, Array]:
    x = np.asarray(x, dtype=float)
    return x[..., 0], x[..., 1]


def _refined(grad, f, guesses: list[tuple[tuple[float, ...], str]]) -> tuple[Minimum, ...]:
    points = [(refine_stationary(grad, g), kind) for g, kind in guesses]
    return tuple(Minimum(p, float(f(np.asarray(p))), kind) for p, kind in points)


def _num(v: float) -> str:
    return f"{v:g}"


def _quadratic(name: str, formula: str, a: float, b: float, angle: float = 0.0, **kwargs) -> TestFunction:
    """f = a·u² + b·v² with (u, v) the point rotated by ``angle`` degrees.

    Written out term by term rather than as ``x @ H``: BLAS picks its kernel (and an FMA's rounding)
    by batch size and CPU, and a run must give the same bits alone or in any batch. Unrotated, a
    gradient costs one multiply per coordinate (and shares nothing with the value).
    """
    if angle == 0:
        diagonal = np.array([2 * a, 2 * b])

        def f(x):
            x1, x2 = _xy(x)
            return a * (x1 * x1) + b * (x2 * x2)

        def grad(x):
            return np.asarray(x, dtype=float) * diagonal

        return TestFunction(name, name, 2, f, grad, formula, **kwargs)

    t = math.radians(angle)
    cos, sin = math.cos(t), math.sin(t)

    def uv(x):
        x1, x2 = _xy(x)
        return cos * x1 - sin * x2, sin * x1 + cos * x2

    def f(x):
        u, v = uv(x)
        return a * (u * u) + b * (v * v)

    def grad_at(u, v):  # chain rule: d/dx1 = cos·f_u + sin·f_v, d/dx2 = −sin·f_u + cos·f_v
        f_u, f_v = 2 * a * u, 2 * b * v
        return pack(cos * f_u + sin * f_v, cos * f_v - sin * f_u)

    def grad(x):
        return grad_at(*uv(x))

    def value_and_grad(x):  # the rotation once for both, then f's and grad's arithmetic
        u, v = uv(x)
        return a * (u * u) + b * (v * v), grad_at(u, v)

    return TestFunction(name, name, 2, f, grad, formula, value_and_grad=value_and_grad, **kwargs)


@register("bowl", "a well-conditioned bowl")
def bowl() -> TestFunction:
    return _quadratic(
        "bowl",
        "x_1^2 + 2x_2^2",
        1.0,
        2.0,
        start=(-5.0, -2.0),
        window=((-5.5, 1.5), (-2.5, 2.5)),
        minima=(Minimum((0.0, 0.0), 0.0),),
        plain_formula="x1² + 2·x2²",
    )


@register("ravine", "an ill-conditioned valley; angle= rotates it")
def ravine(a: float = 0.1, b: float = 2.0, angle: float = 0.0) -> TestFunction:
    if a <= 0 or b <= 0:
        raise HyperparameterError(f"ravine: a={a} and b={b} must be > 0, e.g. ravine(a=0.1, b=2)")
    if angle == 0:
        formula = rf"{_num(a)}x_1^2 + {_num(b)}x_2^2"
        text = f"{_num(a)}·x1² + {_num(b)}·x2²"
    else:
        formula = rf"{_num(a)}u^2 + {_num(b)}v^2,\ (u, v) = x\ \mathrm{{rotated}}\ {_num(angle)}^\circ"
        text = f"{_num(a)}·u² + {_num(b)}·v², (u, v) = x rotated by {_num(angle)}°"
    half = 5.5
    return _quadratic(
        "ravine",
        formula,
        a,
        b,
        angle,
        start=(-5.0, -2.0),
        window=((-5.5, 1.5), (-2.5, 2.5)) if angle == 0 else ((-half, half), (-half, half)),
        minima=(Minimum((0.0, 0.0), 0.0),),
        plain_formula=text,
    )


@register("rosenbrock", "the banana valley")
def rosenbrock(a: float = 1.0, b: float = 100.0) -> TestFunction:
    def f(x):
        x1, x2 = _xy(x)
        return (a - x1) ** 2 + b * (x2 - x1 * x1) ** 2

    def grad(x):
        x1, x2 = _xy(x)
        inner = x2 - x1 * x1
        return pack(-2 * (a - x1) - 4 * b * x1 * inner, 2 * b * inner)

    def value_and_grad(x):  # a − x1 and x2 − x1² once for both
        x1, x2 = _xy(x)
        outer, inner = a - x1, x2 - x1 * x1
        return outer**2 + b * inner**2, pack(-2 * outer - 4 * b * x1 * inner, 2 * b * inner)

    return TestFunction(
        "rosenbrock",
        "rosenbrock",
        2,
        f,
        grad,
        rf"({_num(a)} - x_1)^2 + {_num(b)}(x_2 - x_1^2)^2",
        (-1.2, 1.0),
        ((-2.0, 2.0), (-1.0, 3.0)),
        (Minimum((a, a * a), 0.0),),
        log_levels=True,
        plain_formula=f"({_num(a)} − x1)² + {_num(b)}·(x2 − x1²)²",
        value_and_grad=value_and_grad,
    )


@register("beale", "flat plateaus and steep walls")
def beale() -> TestFunction:
    def terms(x):
        x1, x2 = _xy(x)
        return x1, x2, 1.5 - x1 + x1 * x2, 2.25 - x1 + x1 * x2**2, 2.625 - x1 + x1 * (x2 * x2 * x2)

    def f(x):
        _, _, t1, t2, t3 = terms(x)
        return t1**2 + t2**2 + t3**2

    def grad(x):
        x1, x2, t1, t2, t3 = terms(x)
        g1 = 2 * t1 * (x2 - 1) + 2 * t2 * (x2**2 - 1) + 2 * t3 * (x2 * x2 * x2 - 1)
        g2 = 2 * t1 * x1 + 4 * t2 * x1 * x2 + 6 * t3 * x1 * x2**2
        return pack(g1, g2)

    return TestFunction(
        "beale",
        "beale",
        2,
        f,
        grad,
        r"(1.5 - x_1 + x_1x_2)^2 + (2.25 - x_1 + x_1x_2^2)^2 + (2.625 - x_1 + x_1x_2^3)^2",
        (1.0, 1.5),
        ((-4.5, 4.5), (-4.5, 4.5)),
        (Minimum((3.0, 0.5), 0.0),),
        log_levels=True,
        plain_formula="(1.5 − x1 + x1·x2)² + (2.25 − x1 + x1·x2²)² + (2.625 − x1 + x1·x2³)²",
    )


@register("himmelblau", "four equal minima")
def himmelblau() -> TestFunction:
    def f(x):
        x1, x2 = _xy(x)
        return (x1 * x1 + x2 - 11) ** 2 + (x1 + x2 * x2 - 7) ** 2

    def grad(x):
        x1, x2 = _xy(x)
        a = x1 * x1 + x2 - 11
        b = x1 + x2 * x2 - 7
        return pack(4 * x1 * a + 2 * b, 2 * a + 4 * x2 * b)

    guesses = [
        ((3.0, 2.0), "global"),
        ((-2.805118, 3.131312), "global"),
        ((-3.779310, -3.283186), "global"),
        ((3.584428, -1.848126), "global"),
    ]
    return TestFunction(
        "himmelblau",
        "himmelblau",
        2,
        f,
        grad,
        r"(x_1^2 + x_2 - 11)^2 + (x_1 + x_2^2 - 7)^2",
        (0.0, 0.0),
        ((-5.0, 5.0), (-5.0, 5.0)),
        _refined(grad, f, guesses),
        log_levels=True,
        plain_formula="(x1² + x2 − 11)² + (x1 + x2² − 7)²",
    )


@register("booth", "a tilted quadratic valley")
def booth() -> TestFunction:
    def f(x):
        x1, x2 = _xy(x)
        return (x1 + 2 * x2 - 7) ** 2 + (2 * x1 + x2 - 5) ** 2

    def grad(x):
        x1, x2 = _xy(x)
        a = x1 + 2 * x2 - 7
        b = 2 * x1 + x2 - 5
        return pack(2 * a + 4 * b, 4 * a + 2 * b)

    return TestFunction(
        "booth",
        "booth",
        2,
        f,
        grad,
        r"(x_1 + 2x_2 - 7)^2 + (2x_1 + x_2 - 5)^2",
        (-5.0, -5.0),
        ((-10.0, 10.0), (-10.0, 10.0)),
        (Minimum((1.0, 3.0), 0.0),),
        log_levels=True,
        plain_formula="(x1 + 2·x2 − 7)² + (2·x1 + x2 − 5)²",
    )


@register("rastrigin", "a lattice of local minima")
def rastrigin() -> TestFunction:
    def f(x):
        x = np.asarray(x, dtype=float)
        return 20 + fixed_sum(x * x - 10 * np.cos(2 * np.pi * x))

    def grad(x):
        x = np.asarray(x, dtype=float)
        return 2 * x + 20 * np.pi * np.sin(2 * np.pi * x)

    return TestFunction(
        "rastrigin",
        "rastrigin",
        2,
        f,
        grad,
        r"20 + \sum_i\ (x_i^2 - 10\cos 2\pi x_i)",
        (3.3, -2.6),
        ((-5.12, 5.12), (-5.12, 5.12)),
        # of the lattice, the local minima that runs from the default start end in (gd, momentum,
        # nesterov, adam, adagrad, rmsprop and others at lr 1e-4 to 1)
        _refined(grad, f, [((0.0, 0.0), "global"), ((3.0, -3.0), "local"), ((2.0, -3.0), "local")]),
        plain_formula="20 + x1² + x2² − 10·(cos 2πx1 + cos 2πx2)",
    )


@register("ackley", "a needle in a bumpy plain")
def ackley() -> TestFunction:
    def parts(x):
        x1, x2 = _xy(x)
        r = np.sqrt(0.5 * (x1 * x1 + x2 * x2))
        wave = np.exp(0.5 * (np.cos(2 * np.pi * x1) + np.cos(2 * np.pi * x2)))
        return x1, x2, r, wave

    def f(x):
        _, _, r, wave = parts(x)
        return -20 * np.exp(-0.2 * r) - wave + math.e + 20

    def grad(x):
        x1, x2, r, wave = parts(x)
        # the cone term has no derivative at the origin; 0 is its (sub)gradient of least norm
        with np.errstate(divide="ignore", invalid="ignore"):
            cone = np.where(r > 0, 2 * np.exp(-0.2 * r) / np.where(r > 0, r, 1), 0.0)
        return pack(
            cone * x1 + np.pi * np.sin(2 * np.pi * x1) * wave,
            cone * x2 + np.pi * np.sin(2 * np.pi * x2) * wave,
        )

    return TestFunction(
        "ackley",
        "ackley",
        2,
        f,
        grad,
        r"-20e^{-0.2\sqrt{(x_1^2 + x_2^2)/2}} - e^{(\cos 2\pi x_1 + \cos 2\pi x_2)/2} + e + 20",
        (3.5, -2.8),
        ((-5.0, 5.0), (-5.0, 5.0)),
        # the origin is a kink (no gradient to refine on); the local minima are those runs from the
        # default start end in (gd, momentum, nesterov, adam, adagrad, rmsprop and others at lr 1e-4 to 1)
        (
            Minimum((0.0, 0.0), 0.0),
            *_refined(
                grad,
                f,
                [((3.0, -3.0), "local"), ((2.0, -2.0), "local"), ((0.0, -3.0), "local"), ((-1.0, -3.0), "local")],
            ),
        ),
        plain_formula="20 + e − 20·exp(−0.2·r) − exp(½(cos 2πx1 + cos 2πx2)), r = √(½(x1² + x2²))",
    )


@register("saddle", "a saddle point, no minimum")
def saddle() -> TestFunction:
    return _quadratic(
        "saddle",
        "x_1^2 - x_2^2",
        1.0,
        -1.0,
        start=(-2.0, 0.05),
        window=((-2.5, 2.5), (-2.5, 2.5)),
        minima=(Minimum((0.0, 0.0), 0.0, "saddle"),),
        plain_formula="x1² − x2²",
    )


@register("monkey_saddle", "a saddle with three valleys")
def monkey_saddle() -> TestFunction:
    def f(x):
        x1, x2 = _xy(x)
        return x1 * x1 * x1 - 3 * x1 * x2 * x2

    def grad(x):
        x1, x2 = _xy(x)
        return pack(3 * x1 * x1 - 3 * x2 * x2, -6 * x1 * x2)

    return TestFunction(
        "monkey_saddle",
        "monkey_saddle",
        2,
        f,
        grad,
        "x_1^3 - 3x_1x_2^2",
        (1.0, 0.05),
        ((-1.5, 1.5), (-1.5, 1.5)),
        (Minimum((0.0, 0.0), 0.0, "saddle"),),
        plain_formula="x1³ − 3·x1·x2²",
    )


@register("six_hump_camel", "two global and four local minima")
def six_hump_camel() -> TestFunction:
    def f(x):
        x1, x2 = _xy(x)
        s1, s2 = x1 * x1, x2 * x2
        return (4 - 2.1 * s1 + s1 * s1 / 3) * s1 + x1 * x2 + (-4 + 4 * s2) * s2

    def grad(x):
        x1, x2 = _xy(x)
        cube1 = x1 * x1 * x1
        return pack(8 * x1 - 8.4 * cube1 + 2 * (cube1 * x1 * x1) + x2, x1 - 8 * x2 + 16 * (x2 * x2 * x2))

    guesses = [
        ((0.0898, -0.7126), "global"),
        ((-0.0898, 0.7126), "global"),
        ((-1.7036, 0.7961), "local"),
        ((1.7036, -0.7961), "local"),
        ((-1.6071, -0.5687), "local"),
        ((1.6071, 0.5687), "local"),
    ]
    return TestFunction(
        "six_hump_camel",
        "six_hump_camel",
        2,
        f,
        grad,
        r"(4 - 2.1x_1^2 + x_1^4/3)x_1^2 + x_1x_2 + (4x_2^2 - 4)x_2^2",
        (-1.5, 1.0),
        ((-2.2, 2.2), (-1.2, 1.2)),
        _refined(grad, f, guesses),
        plain_formula="(4 − 2.1·x1² + x1⁴/3)·x1² + x1·x2 + (4·x2² − 4)·x2²",
    )


@register("styblinski_tang", "one global and three local minima")
def styblinski_tang() -> TestFunction:
    def f(x):
        x = np.asarray(x, dtype=float)
        square = x * x
        return 0.5 * fixed_sum(square * square - 16 * square + 5 * x)

    def grad(x):
        x = np.asarray(x, dtype=float)
        return 2 * (x * x * x) - 16 * x + 2.5

    low, high = -2.903534, 2.746803
    guesses = [((low, low), "global"), ((low, high), "local"), ((high, low), "local"), ((high, high), "local")]
    return TestFunction(
        "styblinski_tang",
        "styblinski_tang",
        2,
        f,
        grad,
        r"\frac{1}{2}\sum_i\ (x_i^4 - 16x_i^2 + 5x_i)",
        (4.5, 4.5),
        ((-5.0, 5.0), (-5.0, 5.0)),
        _refined(grad, f, guesses),
        plain_formula="½(x1⁴ − 16·x1² + 5·x1) + ½(x2⁴ − 16·x2² + 5·x2)",
    )


@register("two_layer", "a two-layer linear net: a saddle, a hyperbola of minima")
def two_layer(x: float = 100.0, y: float = 110.0) -> TestFunction:
    data_x, data_y = x, y

    def f(w):
        w1, w2 = _xy(w)
        return (data_x * w1 * w2 - data_y) ** 2

    def grad(w):
        w1, w2 = _xy(w)
        r2 = 2 * data_x * (data_x * w1 * w2 - data_y)
        return pack(r2 * w2, r2 * w1)

    # the minima are the whole hyperbola w1·w2 = y/x (its valley); its two points nearest 0 stand for it
    minima, valley = (), None
    if data_x != 0 and data_y != 0:
        valley = hyperbola_distance(data_y / data_x)
    if data_x != 0 and data_y / data_x > 0:
        k = math.sqrt(data_y / data_x)
        minima = (Minimum((k, k), 0.0), Minimum((-k, -k), 0.0))
    elif data_x != 0 and data_y / data_x < 0:
        k = math.sqrt(-data_y / data_x)
        minima = (Minimum((k, -k), 0.0), Minimum((-k, k), 0.0))
    return TestFunction(
        "two_layer",
        "two_layer",
        2,
        f,
        grad,
        rf"({_num(x)}w_1w_2 - {_num(y)})^2",
        (-1.5, 0.5),
        ((-2.0, 2.0), (-2.0, 2.0)),
        (*minima, Minimum((0.0, 0.0), float(data_y**2), "saddle")),
        log_levels=True,
        labels=("w_1", "w_2"),
        plain_formula=f"({_num(x)}·w1·w2{offset(y)})²",
        valley=valley,
    )
