"""The registry of test functions: frozen records built by parameterised factories.

Array convention: ``f`` maps ``(..., D) -> (...)`` and ``grad`` maps ``(..., D) -> (..., D)``; the
last axis holds the coordinates, so one call serves an ``(N, D)`` batch of runs or an ``(H, W, D)``
contour grid.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from optviz import spec as spec_parser
from optviz.errors import HyperparameterError, UnknownNameError

__all__ = [
    "REGISTRY",
    "DataFit",
    "Minimum",
    "TestFunction",
    "fixed_sum",
    "get",
    "names",
    "offset",
    "pack",
    "register",
    "solve_small",
]

Array = np.ndarray


def pack(*columns: Array) -> Array:
    """Stack per-coordinate arrays into ``(..., D)``, coordinate-major (Fortran order).

    The engine keeps a batch as an (N, D) array in Fortran order, so that each coordinate is one
    contiguous row of N values: numpy's broadcasting of (N, 1) hyperparameters and its sums over
    D are then several times faster than with D = 2 innermost.
    """
    columns = np.broadcast_arrays(*columns)
    out = np.empty((*columns[0].shape, len(columns)), order="F")
    for i, column in enumerate(columns):
        out[..., i] = column
    return out


def offset(value: float) -> str:
    """A constant added in a plain formula: `` − 110`` for 110, `` + 3`` for −3, nothing for 0."""
    if value == 0:
        return ""
    return f" {'−' if value > 0 else '+'} {abs(value):g}"


def fixed_sum(x: Array) -> Array:
    """Sum over the last axis in one fixed pairwise order: ``(..., n) -> (...)``.

    numpy's ``sum(-1)`` chooses its order of additions from the array's memory layout and length
    (pairwise along a contiguous axis, row after row across a strided one), so a run's value could
    round differently in a batch than alone. Here each level adds the first half to the second,
    elementwise, so every result depends on its own row only. For two coordinates it is ``x0 + x1``.
    """
    while x.shape[-1] > 1:
        n = x.shape[-1]
        half = n // 2
        paired = x[..., :half] + x[..., half : 2 * half]
        x = paired if n % 2 == 0 else np.concatenate([paired, x[..., 2 * half :]], axis=-1)
    return x[..., 0]


def solve_small(matrix: Array, rhs: Array) -> Array:
    """Solve a 1x1 or 2x2 system by hand (Cramer's rule), never through LAPACK, whose kernels,
    and so whose last bits, depend on the CPU."""
    matrix, rhs = np.asarray(matrix, dtype=float), np.asarray(rhs, dtype=float)
    if rhs.shape == (1,):
        return rhs / matrix[0, 0]
    (a, b), (c, d) = matrix
    det = a * d - b * c
    return np.array([(d * rhs[0] - b * rhs[1]) / det, (a * rhs[1] - c * rhs[0]) / det])


@dataclass(frozen=True)
class Minimum:
    """A known stationary point: ``kind`` is ``"global"``, ``"local"`` or ``"saddle"``."""

    point: tuple[float, ...]
    value: float
    kind: str = "global"
    #: searched for numerically (an ``expr`` function given no ``minima=``), not known exactly
    found: bool = False


@dataclass(frozen=True, eq=False)
class DataFit:
    """The data a data loss fits, and the model it fits to them (for the ``data`` panel).

    Attributes:
        inputs: (M,) the inputs as the user reads them (the raw readings, even when the model
            scales them).
        targets: (M,) the values the model should predict.
        predict: ``(params (..., D), inputs (P,)) -> (..., P)``: the model's predictions at
            ``params`` for the inputs, written out by hand (no ``@``).
        names: the input's and the target's symbols (``("u", "c")``).
        scale: the model sees ``scale · input`` (thermometer(scale=0.1)); 1 for raw inputs.
    """

    inputs: Array
    targets: Array
    predict: Callable[[Array, Array], Array]
    names: tuple[str, str] = ("x", "y")
    scale: float = 1.0


@dataclass(frozen=True)
class TestFunction:
    """One test function with its exact gradient and what a plot of it needs.

    Attributes:
        name: registry name (``"ravine"``).
        spec: the canonical spec, only the parameters that differ from their defaults
            (``"ravine(angle=30)"``); :func:`get` of it gives this function back.
        dim: 1 or 2 (number of coordinates).
        f: value, ``(..., D) -> (...)``.
        grad: exact gradient, ``(..., D) -> (..., D)``.
        formula: matplotlib mathtext for titles (without ``$``).
        start: default start point.
        window: plot window, ``((x1min, x1max),)`` in 1-D or ``((x1min, x1max), (x2min, x2max))``.
        minima: known minima (global first), plus notable saddles.
        params: every parameter of the factory, as floats (``{"a": 0.1, "b": 2.0, "angle": 30.0}``).
        log_levels: contours need log-spaced levels (values span decades).
        n_samples: number of data points for data losses (minibatches), else ``None``.
        batch_grad: for data losses, ``(x (N, D), idx (B,)) -> (N, D)``: the gradient of the mean
            loss over the samples ``idx``.
        description: what it shows, one short line for ``optviz list`` (the formula is its own column).
        labels: axis labels in mathtext (default ``x`` in 1-D, ``x_1``, ``x_2`` in 2-D).
        plain_formula: the formula as plain text for the terminal (``0.1·x1² + 2·x2²``): no
            mathtext, so that ``optviz list`` and ``optviz show`` print it as it reads.
        valley: for functions whose minima form a curve (``two_layer``'s hyperbola), the distance
            ``(..., D) -> (...)`` from points to that curve; ``minima`` then holds points standing for it.
        data: for data losses, the data and the model fitted to them (:class:`DataFit`), else ``None``.
        value_and_grad: ``x -> (f(x), grad(x))`` in one pass, sharing what both compute (the
            rotated coordinates, a residual), for a function where that saves work, else ``None``;
            the same numbers bit for bit as ``f`` and ``grad`` (tests/test_recording.py checks).
            The engine uses it for the recorded steps of large batches; :meth:`loss_and_grad`
            answers for every function.

    ``name``, ``spec``, ``params`` and ``description`` are set by :func:`register`, the one
    place that names a function; a factory gives its name for the first two.
    """

    name: str
    spec: str
    dim: int
    f: Callable[[Array], Array]
    grad: Callable[[Array], Array]
    formula: str
    start: tuple[float, ...]
    window: tuple[tuple[float, float], ...]
    minima: tuple[Minimum, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)
    log_levels: bool = False
    n_samples: int | None = None
    batch_grad: Callable[[Array, Array], Array] | None = None
    description: str = ""
    labels: tuple[str, ...] = ()
    plain_formula: str = ""
    valley: Callable[[Array], Array] | None = None
    data: DataFit | None = None
    value_and_grad: Callable[[Array], tuple[Array, Array]] | None = None

    __test__ = False  # not a pytest class, despite the name

    def __post_init__(self) -> None:
        if not self.labels:
            object.__setattr__(self, "labels", ("x",) if self.dim == 1 else ("x_1", "x_2"))

    def loss_and_grad(self, x: Array) -> tuple[Array, Array]:
        """``(f(x), grad(x))``, in one pass where the function has a ``value_and_grad``."""
        if self.value_and_grad is not None:
            return self.value_and_grad(x)
        return self.f(x), self.grad(x)

    def nearest_minimum_distance(self, x: Array) -> Array:
        """Euclidean distance from each point ``(..., D)`` to the nearest global or local minimum
        (or to the curve of minima, for a function with a ``valley``).

        NaN where the function has no known minimum (``saddle``, ``cubic``).
        """
        x = np.asarray(x, dtype=float)
        points = [m.point for m in self.minima if m.kind != "saddle"]
        if not points:
            return np.full(x.shape[:-1], np.nan)
        diff = x[..., None, :] - np.asarray(points)
        nearest = np.sqrt(fixed_sum(diff * diff)).min(-1)
        return nearest if self.valley is None else np.minimum(nearest, self.valley(x))


@dataclass(frozen=True)
class _Entry:
    factory: Callable[..., TestFunction]  # the public, registered callable: equal to get()
    defaults: dict[str, Any]
    description: str
    build: Callable[..., TestFunction]  # cached: every parameter given, as a float


REGISTRY: dict[str, _Entry] = {}
#: spec names built by a module of their own from the parsed ``kwargs``, not by a factory:
#: ``expr(FORMULA, ...)`` (:mod:`optviz.functions.expr` adds itself on import)
BUILDERS: dict[str, Callable[[dict[str, Any]], TestFunction]] = {}


def register(name: str, description: str = "") -> Callable[[Callable[..., TestFunction]], Callable[..., TestFunction]]:
    """Register a factory ``f(**params) -> TestFunction``; its keyword defaults are the parameters.

    The factory builds the mathematics; the registry is the one place that names the result
    (``name``, ``spec``, ``params``, ``description``). The decorated name is replaced by a
    function that goes through the same checks and cache as :func:`get`, so
    ``classic.ravine(angle=30)`` and ``get("ravine(angle=30)")`` are the same function.
    """

    def decorate(factory: Callable[..., TestFunction]) -> Callable[..., TestFunction]:
        signature = inspect.signature(factory)
        defaults = {
            p.name: p.default for p in signature.parameters.values() if p.default is not inspect.Parameter.empty
        }

        @functools.lru_cache(maxsize=64)
        def build(**params: float) -> TestFunction:
            changed = {k: v for k, v in params.items() if v != defaults[k]}
            spec = short_spec(name, changed)
            with np.errstate(all="ignore"):  # extreme parameters are reported below, not warned about
                fn = factory(**params)
            _check_finite(spec, fn)
            return dataclasses.replace(fn, name=name, spec=spec, params=params, description=description)

        @functools.wraps(factory)
        def make(*args: float, **kwargs: float) -> TestFunction:
            return _build(name, signature.bind(*args, **kwargs).arguments)

        REGISTRY[name] = _Entry(make, defaults, description, build)
        return make

    return decorate


def _check_finite(spec: str, fn: TestFunction) -> None:
    """A function whose own start, window or minima leave the floats cannot be drawn or run."""
    numbers_ = [*fn.start, *(v for pair in fn.window for v in pair)]
    numbers_ += [v for m in fn.minima for v in (*m.point, m.value)]
    if not all(math.isfinite(v) for v in numbers_):
        raise HyperparameterError(
            f"{spec}: its parameters are too extreme for float64 (its minima or window overflow); "
            "use values nearer the defaults"
        )


def short_spec(name: str, changed: dict[str, float]) -> str:
    """``ravine(angle=30)``: the name with only the parameters that differ from their defaults."""
    if not changed:
        return name
    text = ", ".join(
        f"{k}={int(v) if float(v).is_integer() and abs(v) < 1e15 else repr(float(v))}" for k, v in changed.items()
    )
    return f"{name}({text})"


def names() -> list[str]:
    """Registered function names, in registration order."""
    return list(REGISTRY)


def defaults(name: str) -> dict[str, Any]:
    return dict(REGISTRY[name].defaults) if name in REGISTRY else {}


def get(spec: str | TestFunction) -> TestFunction:
    """Build a function from a spec string: ``get("ravine(angle=30)")``.

    Raises:
        UnknownNameError: unknown function or parameter (with suggestions).
        HyperparameterError: a parameter that is not a finite number.

    Examples:
        >>> fn = get("ravine(angle=30)")
        >>> fn.dim, fn.params["angle"]
        (2, 30.0)
    """
    if isinstance(spec, TestFunction):
        return spec
    name, kwargs = spec_parser.parse(spec)
    if name in BUILDERS:
        return BUILDERS[name](kwargs)
    if name not in REGISTRY:
        raise UnknownNameError("function", name, [*REGISTRY, *BUILDERS])
    return _build(name, kwargs)


def _build(name: str, kwargs: dict[str, Any]) -> TestFunction:
    """Check ``kwargs`` against the registered parameters and build (or reuse) the function."""
    entry = REGISTRY[name]
    for key, value in kwargs.items():
        if key not in entry.defaults:
            raise UnknownNameError(f"parameter of {name}", key, entry.defaults)
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
            raise HyperparameterError(
                f"{name}: {key}={value!r} must be a finite number, e.g. {key}={entry.defaults[key]}"
            )
    return entry.build(**{k: float(v) for k, v in {**entry.defaults, **kwargs}.items()})


def refine_stationary(grad: Callable[[Array], Array], x0: tuple[float, ...], iters: int = 50) -> tuple[float, ...]:
    """Newton's method on ``grad = 0`` from ``x0``, with a central-difference Jacobian of the exact gradient.

    The fixed point is where the exact gradient vanishes, so the approximate Jacobian only affects
    the speed of convergence, not the answer.
    """
    x = np.asarray(x0, dtype=float)
    h = 1e-6
    for _ in range(iters):
        g = grad(x)
        jac = np.stack([(grad(x + h * e) - grad(x - h * e)) / (2 * h) for e in np.eye(x.size)], axis=-1)
        step = solve_small(jac, g)
        x = x - step
        if np.max(np.abs(step)) < 1e-15 * (1 + np.max(np.abs(x))):
            break
    return tuple(float(v) for v in x)
