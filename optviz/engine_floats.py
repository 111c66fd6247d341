"""Python floats for the optimizers' update code, and tracers that record what it computes.

A NumPy call on a (1, 2) array costs about half a microsecond whatever it computes, so one run
spends its time in call overhead. An elementwise optimizer (``Stepper.elementwise``) treats each
coordinate on its own, so its ``init`` and ``update`` can run on one float per coordinate instead.
The code is not copied: :func:`rebind` gives the same code objects a namespace whose ``np`` is
:data:`SCALAR_NUMPY`, the few NumPy functions the updates use, written for floats with NumPy's
results bit for bit (IEEE double arithmetic is the same either way; ``sqrt`` is correctly rounded
in both; ``maximum``/``minimum``/``sign`` keep NumPy's NaN rules).

With ``np`` :data:`TRACE_NUMPY` instead, the same code runs on :class:`Tracer` objects and records
its operations (:mod:`optviz.engine_trace` makes a loop of them). Operations on constants only
(the hyperparameters) are computed as the float path computes them. A trace refuses
(:class:`Refused`) where the code branches on a traced value, converts one (``float(x)``) or meets
a type it cannot follow.
"""

from __future__ import annotations

import math
import types
from collections.abc import Callable
from typing import Any

import numpy as np

from optviz.optim import base

__all__ = [
    "PRIMITIVES",
    "SCALAR_NUMPY",
    "TRACE_NUMPY",
    "Refused",
    "Trace",
    "Tracer",
    "flatten",
    "rebind",
    "same_value",
    "trace_power",
    "unflatten",
    "value_kind",
]


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


_REBOUND: dict[tuple[int, int], dict[str, Any]] = {}  # (module globals, np) -> the namespace made


def rebind(function: types.FunctionType, numpy: Any = SCALAR_NUMPY, power: Callable = base._pow) -> types.FunctionType:
    """The same code and closure, looking its globals up in a copy of its module's namespace whose
    ``np`` is ``numpy`` and whose ``power`` is ``power`` (``base._pow``: what ``power()`` itself
    calls for a float base and exponent, the only kind here), with the optimizer helpers it calls
    (``lerp``, ``root_plus_eps`` ...) rebound the same way."""
    return types.FunctionType(
        function.__code__,
        _globals(function.__globals__, numpy, power),
        function.__name__,
        function.__defaults__,
        function.__closure__,
    )


def _globals(module_globals: dict[str, Any], numpy: Any, power: Callable) -> dict[str, Any]:
    key = (id(module_globals), id(numpy))
    if key not in _REBOUND:
        namespace = dict(module_globals)
        _REBOUND[key] = namespace
        namespace["np"] = numpy
        for name, value in module_globals.items():
            if isinstance(value, types.FunctionType) and value.__module__.startswith("optviz.optim"):
                namespace[name] = rebind(value, numpy, power)
        if module_globals.get("power") is base.power:
            namespace["power"] = power
    return _REBOUND[key]


# --------------------------------------------------------------------------------------- tracing

COMPARISONS = frozenset(["<", "<=", ">", ">=", "==", "!="])


class Refused(Exception):
    """The update did something a trace cannot follow: the float path runs instead."""


class Tracer:
    """A number of one step's update, recorded as the operation that makes it.

    ``kind`` is the Python type the value has when the loop runs (float, int or bool);
    ``isinstance(tracer, float)`` answers for it, as the float path's value would.
    """

    __slots__ = ("index", "kind", "trace")
    __array_ufunc__ = None  # NumPy scalars defer to the tracer's reflected operators
    __hash__ = object.__hash__

    def __init__(self, trace: Trace, index: int, kind: type) -> None:
        self.trace, self.index, self.kind = trace, index, kind

    @property
    def __class__(self) -> type:  # type: ignore[override]
        return self.kind

    def _refuse(self, *args: Any) -> Any:
        raise Refused("a traced number used as a truth value, a float or an index")

    __bool__ = __float__ = __int__ = __index__ = __iter__ = __len__ = __round__ = _refuse

    def __neg__(self) -> Tracer:
        return self.trace.unary("-", self)

    def __pos__(self) -> Tracer:
        return self.trace.unary("+", self)

    def __abs__(self) -> Tracer:
        return self.trace.call(abs, (self,), _numeric(self.kind))


def _operators(symbol: str) -> tuple[Callable, Callable]:
    def forward(self: Tracer, other: Any) -> Tracer:
        return self.trace.binary(symbol, self, other)

    def reverse(self: Tracer, other: Any) -> Tracer:
        return self.trace.binary(symbol, other, self)

    return forward, reverse


for _symbol, _name in [("+", "add"), ("-", "sub"), ("*", "mul"), ("/", "truediv"), ("**", "pow")]:
    _forward, _reverse = _operators(_symbol)
    setattr(Tracer, f"__{_name}__", _forward)
    setattr(Tracer, f"__r{_name}__", _reverse)
for _symbol, _name in [("<", "lt"), ("<=", "le"), (">", "gt"), (">=", "ge"), ("==", "eq"), ("!=", "ne")]:
    setattr(Tracer, f"__{_name}__", _operators(_symbol)[0])


def _numeric(kind: type) -> type:
    return int if kind is bool else kind


class Trace:
    """The operations recorded, in order; equal operations on equal arguments are recorded once."""

    def __init__(self) -> None:
        self.ops: list[tuple[str, Any, tuple[Any, ...]]] = []  # (what, operator or callable, args)
        self.names: dict[int, str] = {}  # index of an input -> its name in the loop
        self.memo: dict[tuple, Tracer] = {}

    def input(self, name: str, kind: type) -> Tracer:
        tracer = self._add(("input", name), "input", name, (), kind)
        self.names[tracer.index] = name
        return tracer

    def kind_of(self, value: Any) -> type:
        if type(value) is Tracer:
            if value.trace is not self:
                raise Refused("a number of another trace")
            return value.kind
        if type(value) in (float, int, bool):
            return type(value)
        raise Refused(f"a {type(value).__name__} in the update's arithmetic")

    def key_of(self, value: Any) -> tuple:
        kind = self.kind_of(value)
        if type(value) is Tracer:
            return ("t", value.index)
        return (kind, value.hex() if kind is float else value)

    def _add(self, key: tuple, what: str, op: Any, args: tuple, kind: type) -> Tracer:
        if key not in self.memo:
            self.memo[key] = Tracer(self, len(self.ops), kind)
            self.ops.append((what, op, args))
        return self.memo[key]

    def binary(self, symbol: str, a: Any, b: Any) -> Tracer:
        ka, kb = self.kind_of(a), self.kind_of(b)
        if symbol in COMPARISONS:
            kind: type = bool
        elif symbol == "/":
            kind = float
        elif symbol == "**":  # float ** int is a float; a float power is one only for a base >= 0
            const_base = type(a) is float and a >= 0
            if not (ka is float and kb in (int, bool)) and not (const_base and kb is float):
                raise Refused("a power whose type the trace cannot tell")
            kind = float
        else:
            kind = float if float in (ka, kb) else int
        key = ("binary", symbol, self.key_of(a), self.key_of(b))
        return self._add(key, "binary", symbol, (a, b), kind)

    def unary(self, symbol: str, a: Any) -> Tracer:
        return self._add(("unary", symbol, self.key_of(a)), "unary", symbol, (a,), _numeric(self.kind_of(a)))

    def call(self, function: Callable, args: tuple, kind: type) -> Tracer:
        key = ("call", id(function), *(self.key_of(a) for a in args))
        return self._add(key, "call", function, args, kind)


def _same_kind(*kinds: type) -> type:
    if len(set(kinds)) != 1:
        raise Refused("a choice between numbers of different types")
    return kinds[0]


def _float_only(kind: type) -> type:
    if kind is not float:
        raise Refused("sign of an integer")
    return float


def _power_kind(base_kind: type, exponent_kind: type) -> type:
    if base_kind is not float:
        raise Refused("an integer power")
    return float


#: SCALAR_NUMPY's functions that branch on their arguments, traced as one call each: what the
#: loop calls (the shim, or what the shim calls with the same arguments) and the result's type
PRIMITIVES: dict[str, tuple[Callable, Callable[..., type]]] = {
    "sqrt": (math.sqrt, lambda a: float),
    "maximum": (_maximum, _same_kind),
    "minimum": (_minimum, _same_kind),
    "sign": (_sign, _float_only),
    "where": (SCALAR_NUMPY.where, lambda c, a, b: _same_kind(a, b)),
    "isfinite": (math.isfinite, lambda a: bool),
    "any": (bool, lambda a: bool),
    "all": (bool, lambda a: bool),
}


def _traced(shim: Callable, direct: Callable, kind: Callable[..., type]) -> Callable:
    """``shim`` for constants; for traced arguments one recorded call of ``direct``."""

    def traced(*args: Any, out: Any = None) -> Any:
        tracers = [a for a in args if type(a) is Tracer]
        if not tracers:
            return shim(*args)
        trace = tracers[0].trace
        return trace.call(direct, args, kind(*(trace.kind_of(a) for a in args)))

    return traced


def trace_power(base_value: Any, exponent: Any) -> Any:
    """``power`` of the float path (``base._pow``), traced through where it does not branch on a
    traced value (``beta ** step``), else one recorded call."""
    tracers = [a for a in (base_value, exponent) if type(a) is Tracer]
    if not tracers:
        return base._pow(base_value, exponent)
    try:
        return base._pow(base_value, exponent)
    except Refused:
        trace = tracers[0].trace
        kind = _power_kind(trace.kind_of(base_value), trace.kind_of(exponent))
        return trace.call(base._pow, (base_value, exponent), kind)


TRACE_NUMPY = types.SimpleNamespace(**vars(SCALAR_NUMPY))
for _name, (_direct, _kind) in PRIMITIVES.items():
    setattr(TRACE_NUMPY, _name, _traced(getattr(SCALAR_NUMPY, _name), _direct, _kind))


# ------------------------------------------------------------------------------------ the state


def flatten(state: Any, leaves: list) -> Any:
    """The state's shape (tuples, NamedTuples, None) with its numbers appended to ``leaves``."""
    if state is None:
        return None
    if isinstance(state, tuple):
        return (type(state), tuple(flatten(part, leaves) for part in state))
    kind = type(state) if type(state) is not Tracer else state.kind
    if kind not in (float, int, bool):
        raise Refused(f"a {kind.__name__} in the state")
    leaves.append(state)
    return kind


def unflatten(shape: Any, leaves: list) -> Any:
    """The state of ``shape`` with its numbers taken from the front of ``leaves``."""
    if shape is None:
        return None
    if isinstance(shape, tuple):
        kind, parts = shape
        values = [unflatten(part, leaves) for part in parts]
        return kind(*values) if hasattr(kind, "_fields") else kind(values)
    return leaves.pop(0)


def value_kind(value: Any) -> type:
    return value.kind if type(value) is Tracer else type(value)


def same_value(values: list) -> bool:
    first = values[0]
    if type(first) is float:
        return all(type(v) is float and v.hex() == first.hex() for v in values)
    return all(type(v) is type(first) and v == first for v in values)
