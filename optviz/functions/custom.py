"""Your own Python function at run time: ``optviz.register(name, f, grad, dim, start, window)``.

The function joins the registry under ``name`` (so ``optviz.run(fn=name)``, sweeps, views and
``optviz list functions`` in the same process know it) and the returned
:class:`~optviz.TestFunction` can be passed as ``fn=`` directly. Before that, ``f`` and ``grad``
are checked: they must follow the array convention (points ``(..., D)``, ``x[..., 0]`` the first
coordinate) and ``grad`` must match central differences of ``f`` at points across the window.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from optviz.errors import HyperparameterError, SpecError
from optviz.functions.registry import REGISTRY, Minimum, TestFunction, _Entry

__all__ = ["register"]

#: names added by :func:`register`; they may be registered again (a notebook cell run twice)
USER_NAMES: set[str] = set()
#: points of the window where the gradient is checked, besides the start
CHECK_POINTS = 12


def register(
    name: str,
    f: Callable[[np.ndarray], Any],
    grad: Callable[[np.ndarray], Any],
    dim: int,
    start: Sequence[float] | float,
    window: Sequence[Sequence[float]] | Sequence[float],
    minima: Sequence[Any] = (),
    *,
    formula: str | None = None,
    description: str = "your own function",
) -> TestFunction:
    """Add a function of your own and return it, checked.

    Args:
        name: its name for specs (``optviz.run(fn=name)``), letters, digits and ``_``.
        f: the value, ``(..., D) -> (...)``: write ``x[..., 0]``, ``x[..., 1]`` for the coordinates
            so that one call serves a batch of runs and a contour grid.
        grad: its exact gradient, ``(..., D) -> (..., D)``.
        dim: 1 or 2.
        start: the default start point.
        window: the plot window: ``(lo, hi)`` in 1-D, ``((x_lo, x_hi), (y_lo, y_hi))`` in 2-D.
        minima: known minima, as points (their values are computed) or :class:`~optviz.Minimum`.
        formula: mathtext for titles (without ``$``; default: the name).
        description: one line for ``optviz list functions``.

    Raises:
        SpecError: a bad name, dimension, start, window or minimum, or ``f``/``grad`` that do not
            take ``(..., D)`` arrays.
        HyperparameterError: ``grad`` does not match the finite differences of ``f``.

    Example (it registers ``my_bowl`` for the rest of the session)::

        bowl = optviz.register(
            "my_bowl",
            lambda x: x[..., 0] ** 2 + 3 * x[..., 1] ** 2,
            lambda x: np.stack([2 * x[..., 0], 6 * x[..., 1]], axis=-1),
            dim=2, start=(-4, 2), window=((-5, 5), (-3, 3)), minima=[(0, 0)],
        )
        optviz.run(fn=bowl, opt="adam", lr=0.3, steps=50)
    """
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z_0-9]*", name):
        raise SpecError(f"register: the name {name!r} must be letters, digits and _, e.g. 'my_bowl'")
    if (name in REGISTRY and name not in USER_NAMES) or name == "expr":
        raise SpecError(f"register: {name!r} is a built-in function; choose another name")
    if isinstance(dim, bool) or dim not in (1, 2):
        raise SpecError(f"register {name!r}: dim={dim!r} must be 1 or 2")
    if not callable(f) or not callable(grad):
        raise SpecError(f"register {name!r}: f and grad must be functions of an array of points")
    from optviz.spec import parse_point

    start_point = parse_point(start, dim)
    box = _window(name, window, dim)
    f_checked, grad_checked = _checked_calls(name, f, grad, dim, box)
    _check_gradient(name, f_checked, grad_checked, np.array([start_point, *_sample(box, CHECK_POINTS)]))
    fn = TestFunction(
        name,
        name,
        dim,
        f_checked,
        grad_checked,
        formula or rf"\mathrm{{{name}}}".replace("_", r"\_"),
        start_point,
        box,
        _minima(name, minima, dim, f_checked),
        description=description,
        plain_formula=name,
    )
    REGISTRY[name] = _Entry(lambda: fn, {}, description, lambda: fn)
    USER_NAMES.add(name)
    return fn


def _window(name: str, window: Any, dim: int) -> tuple[tuple[float, float], ...]:
    pairs = window
    if dim == 1 and len(window) == 2 and all(_is_number(v) for v in window):
        pairs = (window,)
    try:
        box = tuple((float(lo), float(hi)) for lo, hi in pairs)
    except (TypeError, ValueError):
        box = ()
    if len(box) != dim or not all(math.isfinite(lo) and math.isfinite(hi) and lo < hi for lo, hi in box):
        example = "(-5, 5)" if dim == 1 else "((-5, 5), (-3, 3))"
        raise SpecError(
            f"register {name!r}: window={window!r} needs {dim} (lo, hi) pair(s) with lo < hi, e.g. {example}"
        )
    return box


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating))


def _sample(box: tuple[tuple[float, float], ...], n: int) -> np.ndarray:
    """``n`` fixed points spread over the window (a seeded draw, away from its edges)."""
    rng = np.random.default_rng(20261121)
    lo, hi = np.array(box).T
    return lo + (0.05 + 0.9 * rng.random((n, len(box)))) * (hi - lo)


def _checked_calls(name: str, f: Callable, grad: Callable, dim: int, box: Any) -> tuple[Callable, Callable]:
    """``f`` and ``grad`` returning float arrays, after checking their shapes on a batch of points."""

    def f_array(x: np.ndarray) -> np.ndarray:
        return np.asarray(f(x), dtype=float)

    def grad_array(x: np.ndarray) -> np.ndarray:
        return np.asarray(grad(x), dtype=float)

    batch = _sample(box, 3)
    grid = np.stack([batch, batch[::-1]])  # (2, 3, D): a grid of points, as contours call it
    convention = "take points of shape (..., D) (write x[..., 0], x[..., 1]) and return"
    try:
        values, slopes = f_array(grid), grad_array(grid)
    except Exception as exc:  # the user's code: any error is theirs to fix, reported in one line
        raise SpecError(f"register {name!r}: f or grad failed on a (2, 3, {dim}) array of points ({exc})") from None
    if values.shape != grid.shape[:-1]:
        raise SpecError(f"register {name!r}: f must {convention} shape (...); it gave {values.shape} for {grid.shape}")
    if slopes.shape != grid.shape:
        raise SpecError(
            f"register {name!r}: grad must {convention} shape (..., D); it gave {slopes.shape} for {grid.shape}"
        )
    single = np.array([float(f_array(point)) for point in grid.reshape(-1, dim)]).reshape(grid.shape[:-1])
    if not np.allclose(single, values, rtol=1e-12, atol=1e-300, equal_nan=True):
        raise SpecError(
            f"register {name!r}: f gives other values for a batch of points than one by one; {convention} (...)"
        )
    return f_array, grad_array


def _check_gradient(name: str, f: Callable, grad: Callable, points: np.ndarray) -> None:
    """``grad`` against Richardson-extrapolated central differences of ``f`` at ``points``."""
    with np.errstate(all="ignore"):
        values, slopes = f(points), grad(points)
        checked = 0
        for point, value, slope in zip(points, values, slopes, strict=True):
            if not (np.isfinite(value) and np.all(np.isfinite(slope))):
                continue
            h = 1e-3 * max(1.0, float(np.max(np.abs(point))))
            numeric = np.array([_richardson(f, point, unit * h) for unit in np.eye(len(point))])
            if not np.all(np.isfinite(numeric)):
                continue
            checked += 1
            if np.any(np.abs(slope - numeric) > 1e-5 * (1 + np.abs(numeric) + abs(float(value)))):
                shown = ", ".join(f"{v:.6g}" for v in point)
                raise HyperparameterError(
                    f"register {name!r}: grad does not match f at ({shown}): grad gives "
                    f"({', '.join(f'{v:.6g}' for v in slope)}), f's finite differences "
                    f"({', '.join(f'{v:.6g}' for v in numeric)}); fix grad (the derivative of f by each coordinate)"
                )
    if checked < 3:
        raise SpecError(f"register {name!r}: f or grad is not finite at the start and over most of the window")


def _richardson(f: Callable, point: np.ndarray, step: np.ndarray) -> float:
    def central(s: np.ndarray) -> float:
        return float((f(point + s) - f(point - s)) / (2 * np.max(np.abs(s))))

    return (4 * central(step / 2) - central(step)) / 3


def _minima(name: str, minima: Sequence[Any], dim: int, f: Callable) -> tuple[Minimum, ...]:
    """Given :class:`Minimum` records as they are; points with their values, ``"global"`` if
    (within rounding) the lowest, else ``"local"``."""
    from optviz.spec import parse_point

    given = [m for m in minima if isinstance(m, Minimum)]
    points = []
    for m in minima:
        if isinstance(m, Minimum):
            continue
        try:
            point = parse_point((m,) if _is_number(m) else m, dim)
        except SpecError:
            raise SpecError(f"register {name!r}: minimum {m!r} must be a point of {dim} number(s)") from None
        points.append((point, float(f(np.asarray(point)))))
    lowest = min([v for _, v in points] + [m.value for m in given], default=0.0)
    near = lowest + 1e-9 * max(1.0, abs(lowest))
    return (*given, *(Minimum(p, v, "global" if v <= near else "local") for p, v in points))
