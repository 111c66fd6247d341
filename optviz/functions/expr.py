"""Functions written as formulas: ``expr(x**2 + 10*y**2, start=(-4, 1))``.

The formula is read by :func:`ast.parse` (which only builds a syntax tree) and checked against a
whitelist: numbers, the variables ``x`` (1-D) and ``x, y`` (2-D), ``+ - * / **``, unary minus,
the functions in :data:`FUNCTIONS` and the constants ``pi`` and ``e``. Anything else, and any
formula past the size limits, is refused with a one-line :class:`~optviz.errors.SpecError` that
points at the part. Nothing is ever evaluated as Python: the checked tree is rebuilt node by node
as a sympy expression, differentiated symbolically, and turned into NumPy closures by
:mod:`optviz.functions.expr_eval` (no ``lambdify``, no generated code, no ``eval``/``exec``).

sympy is the optional extra ``optviz[expr]``, imported on the first formula.
"""

from __future__ import annotations

import ast
import difflib
import functools
import math
import numbers
import operator
from typing import Any

import numpy as np

from optviz.errors import SpecError, UnknownNameError
from optviz.functions import expr_eval
from optviz.functions.expr_minima import search_minima
from optviz.functions.registry import BUILDERS, Minimum, TestFunction, pack

__all__ = ["CONSTANTS", "FUNCTIONS", "MAX_CHARS", "MAX_DEPTH", "MAX_EXPONENT", "MAX_NODES", "build", "check_formula"]

#: the functions a formula may call (one argument each), by their sympy names
FUNCTIONS = {
    "sin": "sin",
    "cos": "cos",
    "tan": "tan",
    "exp": "exp",
    "log": "log",
    "sqrt": "sqrt",
    "abs": "Abs",
    "tanh": "tanh",
    "sinh": "sinh",
    "cosh": "cosh",
    "arctan": "atan",
}
CONSTANTS = {"pi": math.pi, "e": math.e}
VARIABLES = ("x", "y")
MAX_CHARS = 200  # characters of the formula
MAX_DEPTH = 24  # levels of nesting in its syntax tree
MAX_NODES = 150  # numbers, names and operations
MAX_EXPONENT = 100  # |n| of a constant exponent
OPTIONS = ("start", "window", "minima")
HINT = (
    "write a formula in x (1-D) or x and y (2-D) with numbers, + - * / **, "
    f"{', '.join(FUNCTIONS)}, pi and e, e.g. expr(x**2 + 10*y**2)"
)
INSTALL = "expr(...) needs sympy for its exact gradient: pip install 'optviz[expr]'"

_ARITHMETIC = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
_WHAT = {
    ast.Attribute: "attribute access",
    ast.Subscript: "a subscript",
    ast.Lambda: "a lambda",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a comprehension",
    ast.Compare: "a comparison",
    ast.BoolOp: "'and'/'or'",
    ast.IfExp: "an if-else",
    ast.NamedExpr: "an assignment",
    ast.JoinedStr: "an f-string",
    ast.List: "a list",
    ast.Tuple: "a tuple",
    ast.Set: "a set",
    ast.Dict: "a dict",
    ast.Starred: "a starred value",
}


def _refuse(text: str, why: str, node: ast.AST | None = None) -> SpecError:
    where = ""
    if node is not None and hasattr(node, "col_offset"):
        part = ast.get_source_segment(text, node) or ""
        part = part if len(part) <= 40 else part[:37] + "..."
        where = f" {part!r} (column {node.col_offset + 1}):"
    return SpecError(f"expr({_short(text)}):{where} {why}; {HINT}")


def _short(text: str) -> str:
    return text if len(text) <= 60 else f"{text[:40]}... ({len(text)} characters)"


class _Checker:
    """Walks the syntax tree; refuses what is not on the whitelist; folds constant parts to floats
    (to check their size, never to compute the function)."""

    def __init__(self, text: str):
        self.text = text
        self.nodes = 0
        self.names: set[str] = set()

    def check(self, node: ast.AST, depth: int = 0) -> float | None:
        """The node's value if it has no variables, else ``None``."""
        self.nodes += 1
        if depth > MAX_DEPTH:
            raise _refuse(self.text, f"nested over {MAX_DEPTH} levels deep", node)
        if self.nodes > MAX_NODES:
            raise _refuse(self.text, f"over {MAX_NODES} numbers, names and operations", node)
        if isinstance(node, ast.Constant):
            return self._number(node)
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            value = self.check(node.operand, depth + 1)
            return None if value is None else (-value if isinstance(node.op, ast.USub) else value)
        if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
            return self._binary(node, depth)
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        if isinstance(node, ast.BinOp):
            raise _refuse(self.text, f"the operator {type(node.op).__name__} is not allowed", node)
        if isinstance(node, ast.UnaryOp):
            raise _refuse(self.text, "only unary minus is allowed", node)
        raise _refuse(self.text, f"{_WHAT.get(type(node), type(node).__name__)} is not allowed", node)

    def _number(self, node: ast.Constant) -> float:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            kind = "a string" if isinstance(value, (str, bytes)) else repr(value)
            raise _refuse(self.text, f"{kind} is not allowed, only numbers", node)
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise _refuse(self.text, "the number is too large for float64", node)
        return number

    def _name(self, node: ast.Name) -> float | None:
        if node.id in VARIABLES:
            self.names.add(node.id)
            return None
        if node.id in CONSTANTS:
            return CONSTANTS[node.id]
        close = difflib.get_close_matches(node.id, [*VARIABLES, *CONSTANTS, *FUNCTIONS], n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        what = "a function name without ( )" if node.id in FUNCTIONS else "unknown name"
        raise _refuse(self.text, f"{what} {node.id!r}{hint}", node)

    def _binary(self, node: ast.BinOp, depth: int) -> float | None:
        left, right = self.check(node.left, depth + 1), self.check(node.right, depth + 1)
        if isinstance(node.op, ast.Pow) and right is not None and abs(right) > MAX_EXPONENT:
            raise _refuse(
                self.text, f"the exponent is {right:.6g}; constant exponents are at most {MAX_EXPONENT}", node
            )
        if left is None or right is None:
            return None
        try:
            value = (math.pow if isinstance(node.op, ast.Pow) else _ARITHMETIC[type(node.op)])(left, right)
        except ZeroDivisionError:
            raise _refuse(self.text, "division by zero", node) from None
        except OverflowError:
            raise _refuse(self.text, "the number is too large for float64", node) from None
        except ValueError:
            raise _refuse(self.text, "not a real number", node) from None
        if not math.isfinite(value):
            raise _refuse(self.text, "the number is too large for float64", node)
        return value

    def _call(self, node: ast.Call, depth: int) -> float | None:
        if not isinstance(node.func, ast.Name):
            raise _refuse(self.text, "only calls of the functions listed are allowed", node)
        name = node.func.id
        if name not in FUNCTIONS:
            raise _refuse(self.text, f"a call of {name!r}, which is not one of the functions", node)
        if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
            raise _refuse(self.text, f"{name} takes one argument", node)
        value = self.check(node.args[0], depth + 1)
        if value is None:
            return None
        try:
            result = _FLOAT_FUNCTIONS[name](value)
        except (ValueError, OverflowError):
            raise _refuse(self.text, f"{name}({value:g}) is not a finite real number", node) from None
        if not math.isfinite(result):
            raise _refuse(self.text, f"{name}({value:g}) is not a finite real number", node)
        return result


_FLOAT_FUNCTIONS = {
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "exp": math.exp,
    "log": math.log,
    "sqrt": math.sqrt,
    "abs": abs,
    "tanh": math.tanh,
    "sinh": math.sinh,
    "cosh": math.cosh,
    "arctan": math.atan,
}


def check_formula(text: Any) -> tuple[ast.expr, int]:
    """The checked syntax tree of ``text`` and its dimension (2 if it uses ``y``, else 1).

    Raises:
        SpecError: not a formula on the whitelist, or past a size limit (naming the part).
    """
    if not isinstance(text, str):
        raise SpecError(f"expr needs a formula as text, e.g. expr(x**2 + 10*y**2); got {type(text).__name__}")
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"" and text[0] not in text[1:-1]:
        text = text[1:-1].strip()  # a quoted formula: expr("x**2")
    if not text:
        raise SpecError(f"expr() needs a formula; {HINT}")
    if len(text) > MAX_CHARS:
        raise SpecError(f"expr({_short(text)}): the formula has over {MAX_CHARS} characters; {HINT}")
    depth = 0
    for i, char in enumerate(text):  # before the parser, whose own nesting limit is a crash risk
        depth += (char in "([{") - (char in ")]}")
        if depth > MAX_DEPTH:
            raise SpecError(f"expr({_short(text)}): brackets nested over {MAX_DEPTH} deep at column {i + 1}; {HINT}")
    try:
        tree = ast.parse(text, mode="eval")  # a syntax tree only: nothing is compiled or run
    except SyntaxError as exc:
        column = f" at column {exc.offset}" if exc.offset else ""
        raise SpecError(f"expr({_short(text)}): cannot read the formula{column} ({exc.msg}); {HINT}") from None
    except (ValueError, MemoryError, RecursionError):
        raise SpecError(f"expr({_short(text)}): cannot read the formula; {HINT}") from None
    checker = _Checker(text)
    checker.check(tree.body)
    if not checker.names:
        raise SpecError(f"expr({_short(text)}): the formula has no variable; use x, or x and y")
    return tree.body, 2 if "y" in checker.names else 1


# ------------------------------------------------------------------------------------------ sympy


def _sympy() -> Any:
    try:
        import sympy
    except ImportError:
        raise SpecError(INSTALL) from None
    return sympy


def _to_sympy(node: ast.expr, sp: Any, symbols: dict[str, Any]) -> Any:
    """The checked tree as a sympy expression, node by node (never through sympy's parser, which
    evaluates text)."""
    if isinstance(node, ast.Constant):
        return sp.Integer(node.value) if isinstance(node.value, int) else sp.Float(node.value)
    if isinstance(node, ast.Name):
        return symbols[node.id] if node.id in symbols else (sp.pi if node.id == "pi" else sp.E)
    if isinstance(node, ast.UnaryOp):
        operand = _to_sympy(node.operand, sp, symbols)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        return _ARITHMETIC[type(node.op)](_to_sympy(node.left, sp, symbols), _to_sympy(node.right, sp, symbols))
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)  # checked by _Checker
    return getattr(sp, FUNCTIONS[node.func.id])(_to_sympy(node.args[0], sp, symbols))


# ---------------------------------------------------------------------------------------- options


def _pairs(key: str, value: Any, dim: int, example: str) -> tuple[tuple[float, ...], ...]:
    """``value`` as a tuple of ``dim``-tuples: one point or several."""
    if _is_number(value):
        value = (value,)
    if not isinstance(value, (tuple, list)) or not value:
        raise SpecError(f"expr: {key}={value!r} is not a list of points, e.g. {example}")
    if all(_is_number(v) for v in value):
        value = (value,) if dim > 1 else tuple((v,) for v in value)
    points = []
    for point in value:
        point = (point,) if _is_number(point) else point
        if not isinstance(point, (tuple, list)) or len(point) != dim or not all(_is_number(v) for v in point):
            raise SpecError(f"expr: {key}={value!r} needs {dim} finite number(s) per point, e.g. {example}")
        points.append(tuple(float(v) for v in point))
    return tuple(points)


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, numbers.Real) and math.isfinite(value)


def _window(value: Any, dim: int) -> tuple[tuple[float, float], ...]:
    example = "window=(-5, 5)" if dim == 1 else "window=((-5, 5), (-3, 3))"
    if value is None:
        return ((-5.0, 5.0),) * dim
    pairs = _pairs("window", value, 2, example)
    if len(pairs) != dim or any(not lo < hi for lo, hi in pairs):
        raise SpecError(f"expr: window={value!r} needs {dim} (low, high) pair(s) with low < high, e.g. {example}")
    return pairs


def _start(value: Any, window: tuple[tuple[float, float], ...]) -> tuple[float, ...]:
    if value is None:  # a tenth in from the left, a fifth down from the top
        return tuple(lo + fraction * (hi - lo) for (lo, hi), fraction in zip(window, (0.1, 0.8), strict=False))
    from optviz.spec import parse_point

    return parse_point(value, len(window))


# ------------------------------------------------------------------------------------------ build


def build(kwargs: dict[str, Any]) -> TestFunction:
    """The function of a parsed ``expr(...)`` spec (``kwargs["expression"]`` is its formula)."""
    kwargs = dict(kwargs)
    text = kwargs.pop("expression", None)
    for key in kwargs:
        if key not in OPTIONS:
            raise UnknownNameError("option of expr", key, OPTIONS)
    if text is None:
        raise SpecError(f"expr needs a formula as its first argument; {HINT}")
    key = tuple((k, _hashable(kwargs.get(k))) for k in OPTIONS)
    return _build(str(text).strip(), key)


def _hashable(value: Any) -> Any:
    return tuple(_hashable(v) for v in value) if isinstance(value, (list, tuple)) else value


@functools.lru_cache(maxsize=64)
def _build(text: str, key: tuple[tuple[str, Any], ...]) -> TestFunction:
    options = dict(key)
    tree, dim = check_formula(text)
    window = _window(options["window"], dim)
    start = _start(options["start"], window)
    sp = _sympy()
    symbols = {name: sp.Symbol(name, real=True) for name in VARIABLES[:dim]}
    formula = _to_sympy(tree, sp, symbols)
    if formula.has(sp.zoo, sp.oo, -sp.oo, sp.nan, sp.I):
        raise SpecError(f"expr({_short(text)}): the formula is not a finite real number; {HINT}")
    variables = list(symbols.values())
    try:
        f_of = expr_eval.compile_exprs([formula], variables)
        grad_of = expr_eval.compile_exprs([sp.diff(formula, v) for v in variables], variables)
    except expr_eval.NotNumeric as exc:
        raise SpecError(f"expr({_short(text)}): cannot evaluate it with NumPy: {exc}") from None
    f, grad = _numpy_f(f_of, dim), _numpy_grad(grad_of, dim)
    _check_defined(text, f, grad, window, start)
    given = options["minima"]
    minima = _given_minima(given, dim, f) if given is not None else search_minima(f, grad, window)
    spec = "expr(" + " ".join(text.split()) + "".join(f", {k}={_fmt(v)}" for k, v in key if v is not None) + ")"
    return TestFunction(
        "expr",
        spec,
        dim,
        f,
        grad,
        sp.latex(formula, inv_trig_style="full"),
        start,
        window,
        minima,
        description="a formula of your own; its gradient is exact (sympy)",
        labels=VARIABLES[:dim],
        plain_formula=" ".join(text.split()),
    )


def _fmt(value: Any) -> str:
    if isinstance(value, (tuple, list)):
        return "(" + ", ".join(_fmt(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _numpy_f(program: Any, dim: int) -> Any:
    def f(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        columns = [x[..., i] for i in range(dim)]
        with np.errstate(all="ignore"):
            (value,) = program(columns)
        if not isinstance(value, np.ndarray) or value.shape != x.shape[:-1] or any(value is c for c in columns):
            value = np.array(np.broadcast_to(value, x.shape[:-1]), dtype=float)
        return value

    return f


def _numpy_grad(program: Any, dim: int) -> Any:
    def grad(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        with np.errstate(all="ignore"):
            values = program([x[..., i] for i in range(dim)])
        return pack(*(np.broadcast_to(np.asarray(v, dtype=float), x.shape[:-1]) for v in values))

    return grad


def _grid(window: tuple[tuple[float, float], ...], n: int) -> np.ndarray:
    axes = [np.linspace(lo, hi, n) for lo, hi in window]
    return np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1)


def _check_defined(text: str, f: Any, grad: Any, window: Any, start: tuple[float, ...]) -> None:
    """Refuse a formula that is not finite over most of its window, or at its start."""
    grid = _grid(window, 101 if len(window) == 2 else 1001)
    finite = np.isfinite(f(grid)) & np.isfinite(grad(grid)).all(-1)
    shown = " × ".join(f"[{lo:g}, {hi:g}]" for lo, hi in window)
    if finite.mean() < 0.5:
        raise SpecError(
            f"expr({_short(text)}): f or its gradient is not finite on {1 - finite.mean():.0%} of the window "
            f"{shown}; give a window= where it is defined, e.g. window=((0.1, 5), (-5, 5))"
        )
    point = np.asarray(start, dtype=float)
    if not (np.isfinite(f(point)) and np.isfinite(grad(point)).all()):
        raise SpecError(f"expr({_short(text)}): f or its gradient is not finite at the start {start}; give start=")


def _given_minima(value: Any, dim: int, f: Any) -> tuple[Minimum, ...]:
    points = () if value == () else _pairs("minima", value, dim, "minima=((0, 0),)" if dim == 2 else "minima=(0,)")
    values = [float(f(np.asarray(p))) for p in points]
    lowest = min(values, default=0.0)
    return tuple(
        Minimum(p, v, "global" if v <= lowest + 1e-9 * max(1.0, abs(lowest)) else "local")
        for p, v in sorted(zip(points, values, strict=True), key=lambda pair: pair[1])
    )


BUILDERS["expr"] = build
