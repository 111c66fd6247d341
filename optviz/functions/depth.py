"""Depth multiplies the gradient: one weight used ``depth`` times, the chain f(w) = (x·w^L − y)².

A deep linear net with every weight equal is ``x·w^L``; its gradient carries ``L·w^(L−1)``, so
above ``|w| = 1`` it grows geometrically with the depth (exploding gradients) and below it shrinks
(vanishing gradients). Powers are products written out (repeated squaring), never numpy's ``**``,
whose vectorized kernels round differently on different CPUs.
"""

from __future__ import annotations

import numpy as np

from optviz.errors import HyperparameterError
from optviz.functions.registry import Minimum, TestFunction, offset, register

#: the deepest chain: w^100 already overflows float64 for |w| > 1220
MAX_DEPTH = 100

_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def power(w, n: int):
    """``w ** n`` for a whole ``n >= 1`` by repeated squaring: elementwise products only, the same
    bits on every CPU, for a Python float or an array alike."""
    result = None
    base = w
    while True:
        if n & 1:
            result = base if result is None else result * base
        n >>= 1
        if not n:
            return result
        base = base * base


def _root(ratio: float, depth: int) -> float:
    """The real ``w >= 0`` with ``w^depth = ratio`` (``ratio >= 0``), by bisection on products, so
    the minima are the same bits everywhere (no libm ``pow``)."""
    lo, hi = 0.0, max(1.0, ratio)
    while True:
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        if power(mid, depth) < ratio:
            lo = mid
        else:
            hi = mid
    return lo if abs(power(lo, depth) - ratio) < abs(power(hi, depth) - ratio) else hi


def _formula(depth: int, x: float, y: float) -> tuple[str, str]:
    """The mathtext and plain formulas: ``(w^{5} - 1)^2`` and ``(w⁵ − 1)²``."""
    coefficient = {1.0: "", -1.0: "-"}.get(x, f"{x:g}")
    plain_coefficient = {1.0: "", -1.0: "−"}.get(x, f"{x:g}·")
    power_tex = "w" if depth == 1 else f"w^{{{depth}}}"
    power_plain = "w" if depth == 1 else "w" + str(depth).translate(_SUPERSCRIPT)
    constant = "" if y == 0 else f" {'-' if y > 0 else '+'} {abs(y):g}"
    return rf"({coefficient}{power_tex}{constant})^2", f"({plain_coefficient}{power_plain}{offset(y)})²"


@register("chain", "depth multiplies the gradient: it explodes above |w| = 1, vanishes below")
def chain(depth: float = 10, x: float = 1.0, y: float = 1.0) -> TestFunction:
    if depth != int(depth) or not 1 <= depth <= MAX_DEPTH:
        raise HyperparameterError(
            f"chain: depth={depth:g} must be a whole number from 1 to {MAX_DEPTH}, e.g. chain(depth=20)"
        )
    if x == 0:
        raise HyperparameterError("chain: x must be non-zero, e.g. chain(depth=5, x=1)")
    depth_ = int(depth)
    ratio = y / x
    if not np.isfinite(ratio):
        raise HyperparameterError(f"chain: y/x = {y:g}/{x:g} overflows float64; use values nearer 1")

    def parts(w):
        w = np.asarray(w, dtype=float)
        inner = power(w, depth_ - 1) if depth_ > 1 else np.ones_like(w)
        return inner, x * (inner * w) - y  # w^(L−1) and the error x·w^L − y

    def f(w):
        _, error = parts(np.asarray(w, dtype=float)[..., 0])
        return error * error

    def grad(w):
        inner, error = parts(w)
        return 2 * error * x * depth_ * inner

    # the minima: x·w^L = y, at ±root when L is even; where no real root exists (L even, y/x < 0)
    # the error is smallest at w = 0. For L >= 2, w = 0 is stationary (the gradient vanishes there).
    even = depth_ % 2 == 0
    root = _root(abs(ratio), depth_)
    if ratio == 0:
        minima = (Minimum((0.0,), 0.0),)
    elif even and ratio < 0:
        minima = (Minimum((0.0,), y * y),)
    elif even:
        minima = (Minimum((root,), 0.0), Minimum((-root,), 0.0))
    else:
        root = root if ratio > 0 else -root
        minima = (Minimum((root,), 0.0),)
    if depth_ > 1 and minima[0].point != (0.0,):
        minima += (Minimum((0.0,), y * y, "saddle"),)  # flat: a maximum (L even) or an inflection

    # start 10% beyond the root, where a deep chain's gradient is already large
    start = float(f"{1.1 * root:.6g}") if root > 0 and np.isfinite(1.1 * root) else 1.1
    if minima[0].point[0] < 0:
        start = -start
    # f grows like e^(L·δ) past the root: a window only 0.5/L wider than the start keeps the start
    # visibly up the wall at every depth (at depth 20 a window to 1.32 would be a wall of height 1e6
    # flattening the rest); it shows the start's side and the flat plateau around w = 0
    reach = (1 + 0.5 / depth_) * max(abs(start), root)
    window = (-0.25 * reach, reach) if start > 0 else (-reach, 0.25 * reach)
    formula, plain = _formula(depth_, x, y)
    return TestFunction(
        "chain",
        "chain",
        1,
        f,
        grad,
        formula,
        (start,),
        (window,),
        minima,
        labels=("w",),
        plain_formula=plain,
    )
