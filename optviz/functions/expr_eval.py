"""NumPy functions from sympy expressions, built as a tree of closures: no generated code.

sympy's ``lambdify`` prints an expression as Python source and runs it with ``exec``. Here each
node of the (common-subexpression-eliminated) expression becomes a small closure over NumPy's
ufuncs instead, so nothing is ever executed from text, and the arithmetic is chosen on purpose:

- integer powers up to :data:`MAX_PRODUCT_POWER` are products by repeated squaring
  (``x**2`` is ``x*x``): exact IEEE multiplications, the same bits on every CPU, where
  ``np.power`` with a non-trivial exponent may go through a vectorised math library;
- ``x**(1/2)`` is ``np.sqrt`` (correctly rounded), ``x**(-n)`` is ``1 / x**n``;
- a product with factors of negative powers is one division, ``num / den``;
- a subtree without variables is one float, from sympy's own (mpmath) evaluation.

The transcendental functions (sin, exp, log, ...) are NumPy's, as the registry's functions use.
A call costs one NumPy operation per node, as lambdify's code would.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from functools import reduce
from typing import Any

import numpy as np

__all__ = ["MAX_PRODUCT_POWER", "UFUNCS", "compile_exprs"]

#: integer exponents up to this are written as products (above it: np.power)
MAX_PRODUCT_POWER = 16

#: sympy function name -> NumPy ufunc; ``sign`` appears in the derivative of ``abs``
UFUNCS: dict[str, Callable[[Any], Any]] = {
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "exp": np.exp,
    "log": np.log,
    "Abs": np.abs,
    "sign": np.sign,
    "tanh": np.tanh,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "atan": np.arctan,
}

Env = list  # the variables' columns, then each common subexpression's value, by slot
Node = Callable[[Env], Any]


class NotNumeric(ValueError):
    """An expression with a part NumPy cannot evaluate (a sympy function outside :data:`UFUNCS`)."""


def compile_exprs(exprs: Sequence[Any], symbols: Sequence[Any]) -> Callable[[Sequence[Any]], list[Any]]:
    """A function of the variables' columns (one array per symbol, in order) returning the value
    of each expression: an array, or a float for an expression without variables.

    Raises:
        NotNumeric: a part of an expression is not one of the functions NumPy is given here.
    """
    import sympy

    replacements, reduced = sympy.cse(list(exprs), optimizations=None)
    slots = {symbol: i for i, symbol in enumerate(symbols)}
    steps = []
    for symbol, sub in replacements:
        steps.append(_node(sub, slots))
        slots[symbol] = len(slots)
    outputs = [_node(expr, slots) for expr in reduced]

    def evaluate(columns: Sequence[Any]) -> list[Any]:
        env = list(columns)
        for step in steps:
            env.append(step(env))
        return [output(env) for output in outputs]

    return evaluate


def _constant(expr: Any) -> float:
    try:
        value = float(expr)
    except (TypeError, ValueError):
        raise NotNumeric(f"{expr} is not a real number") from None
    if not math.isfinite(value):
        raise NotNumeric(f"{expr} is not finite")
    return value


def _node(expr: Any, slots: dict[Any, int]) -> Node:
    if not expr.free_symbols:
        value = _constant(expr)
        return lambda env: value
    if expr.is_Symbol:
        return operator.itemgetter(slots[expr])
    if expr.is_Add:
        return _fold([_node(arg, slots) for arg in expr.args], operator.add)
    if expr.is_Mul:
        return _product(expr, slots)
    if expr.is_Pow:
        return _power(expr, slots)
    name = type(expr).__name__
    if name in UFUNCS and len(expr.args) == 1:
        ufunc, arg = UFUNCS[name], _node(expr.args[0], slots)
        return lambda env: ufunc(arg(env))
    raise NotNumeric(f"sympy gave {name}, which has no NumPy function here")


def _fold(parts: list[Node], op: Callable[[Any, Any], Any]) -> Node:
    """``op`` applied left to right over the parts (in sympy's order of the arguments)."""
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        first, second = parts
        return lambda env: op(first(env), second(env))
    return lambda env: reduce(op, (part(env) for part in parts))


def _product(expr: Any, slots: dict[Any, int]) -> Node:
    """A product as ``num / den``: factors with a negative numeric exponent go below the line."""
    above: list[Node] = []
    below: list[Node] = []
    for arg in expr.args:
        if arg.is_Pow and arg.exp.is_Number and arg.exp.is_negative:
            below.append(_node(arg.base ** (-arg.exp), slots))
        else:
            above.append(_node(arg, slots))
    num = _fold(above, operator.mul) if above else (lambda env: 1.0)
    if not below:
        return num
    den = _fold(below, operator.mul)
    return lambda env: num(env) / den(env)


def _power(expr: Any, slots: dict[Any, int]) -> Node:
    base, exponent = _node(expr.base, slots), expr.exp
    if exponent.is_Integer and abs(int(exponent)) <= MAX_PRODUCT_POWER:
        n = int(exponent)
        power = _integer_power(base, abs(n))
        return power if n > 0 else (lambda env: 1.0 / power(env))
    if exponent.is_Rational and exponent.q == 2 and abs(exponent.p) <= MAX_PRODUCT_POWER:
        root = _integer_power(lambda env: np.sqrt(base(env)), abs(int(exponent.p)))
        return root if exponent.p > 0 else (lambda env: 1.0 / root(env))
    power_of = _node(exponent, slots)
    return lambda env: np.power(base(env), power_of(env))


def _integer_power(base: Node, n: int) -> Node:
    """``base**n`` (n >= 1) by repeated squaring: a fixed sequence of exact multiplications."""
    if n == 1:
        return base
    return lambda env: _pow_value(base(env), n)


def _pow_value(value: Any, n: int) -> Any:
    if n == 1:
        return value
    result = _square(_pow_value(value, n // 2))
    return result * value if n % 2 else result


def _square(value: Any) -> Any:
    return value * value
