"""One run's update loop as straight-line float code, generated from the optimizer's own update.

:mod:`optviz.engine_scalar` runs an elementwise update as Python floats, one call per coordinate
per step; each call spends most of its time in the calls of the helpers and the NumPy shims. Here
the same update code runs once with tracers standing in for the gradient, the parameter, the lr
and the state's numbers (:mod:`optviz.engine_floats`), and the recorded operations become one
function that advances all D coordinates for every step in a single loop: the same Python float
operations, in the same order, on the same values, so the same bits. State numbers that are equal
in every coordinate and computed from each other only (Adam's step count) are kept once, so
``beta1 ** step`` is computed once per step. The loop's code object is compiled from an AST: a
fixed template plus one assignment per operation, no text made from data, nothing evaluated.

A generated loop raises where the float path raises (``x / 0.0``) and also where ``power`` would
have caught an overflow (``beta ** step`` traced through it): the engine then runs the array path
from the start, as it does for the float path.
"""

from __future__ import annotations

import ast
import builtins
import math
import types
from collections.abc import Callable
from typing import Any, NamedTuple

from optviz.engine_floats import (
    TRACE_NUMPY,
    Refused,
    Trace,
    Tracer,
    flatten,
    rebind,
    same_value,
    trace_power,
    unflatten,
    value_kind,
)

__all__ = ["GENERATE_STEPS", "LOOP_STEPS", "Loop", "loop_for", "worth_generating"]

_ARITHMETIC = {"+": ast.Add, "-": ast.Sub, "*": ast.Mult, "/": ast.Div, "**": ast.Pow}
_COMPARE = {"<": ast.Lt, "<=": ast.LtE, ">": ast.Gt, ">=": ast.GtE, "==": ast.Eq, "!=": ast.NotEq}


# ------------------------------------------------------------------------------------- the loop

#: the generated loop around one step's operations (UPDATE); the names in capitals are filled in
#: from the trace. Update k reads the gradient at the current point and lr ``lrs[k]``; the point
#: is recorded as in engine_scalar.run_scalar, and every 32 updates a run gone non-finite stops.
_TEMPLATE = """
def loop(grad_of, x, lrs, k, steps, every, record, isfinite):
    last = steps
    while k < steps:
        hi = k - k % 32 + 32
        if hi > steps:
            hi = steps
        for k in range(k, hi):
            SET_X
            GRAD = grad_of(x).tolist()[0]
            lr = lrs[k]
            UPDATE
            RECORD
        k = hi
        if hi % 32 == 0 and not FINITE:
            last = hi
            break
    return last, OUT
"""
_RECORD_EVERY = "if (k + 1) % every == 0 or k + 1 == steps:\n    record(POINT)"


class Loop(NamedTuple):
    """A generated loop for one optimizer, state shape and dimension.

    Attributes:
        function: ``function(grad_of, x, lrs, k, steps, every, record, isfinite, *numbers) ->
            (last, numbers)``, the numbers being the coordinates, the shared state numbers, then
            each coordinate's own.
        shape: the state's shape (:func:`flatten`).
        shared: positions of the state numbers kept once for all coordinates.
        dim: number of coordinates.
    """

    function: Callable
    shape: Any
    shared: tuple[int, ...]
    dim: int

    def run(
        self, grad_of: Callable, x: Any, lrs: list[float], k: int, every: int, rows: list, coords: list, states: list
    ) -> tuple[int, list[float], list]:
        """Updates ``k`` to ``len(lrs)`` from ``coords`` and ``states``; adds the recorded
        points' coordinates to ``rows``, one after the other. Returns ``last`` (see
        :func:`optviz.engine_scalar.run_scalar`), the coordinates and the states."""
        leaves = [[] for _ in states]
        for state, numbers in zip(states, leaves, strict=True):
            flatten(state, numbers)
        own = [j for j in range(len(leaves[0])) if j not in self.shared]
        numbers = [*coords, *(leaves[0][j] for j in self.shared), *(row[j] for row in leaves for j in own)]
        last, numbers = self.function(grad_of, x, lrs, k, len(lrs), every, rows.extend, math.isfinite, *numbers)
        coords, numbers = list(numbers[: self.dim]), list(numbers[self.dim :])
        shared = numbers[: len(self.shared)]
        states = []
        for i in range(self.dim):
            row = dict(zip(self.shared, shared, strict=True))
            row.update(zip(own, numbers[len(shared) + i * len(own) : len(shared) + (i + 1) * len(own)], strict=True))
            states.append(unflatten(self.shape, [row[j] for j in range(len(row))]))
        return last, coords, states


#: a loop takes about 0.7 ms to trace and compile and saves about 2 µs per update: made at once
#: for a run of this many updates or more, else for the second run with the same settings
GENERATE_STEPS = 400
#: a made loop costs about 25 µs more per run than the float path: used from this many updates on
LOOP_STEPS = 16
_LOOPS: dict[tuple, Loop | None] = {}  # cache key -> the loop (None: refused)
_SEEN: dict[tuple, None] = {}  # the settings of runs made so far (insertion-ordered, bounded)
_KEPT = 512  # loops and settings remembered at most; the oldest go first


def worth_generating(update: Callable, steps: int) -> bool:
    """Whether a run of ``steps`` updates with ``update`` should use a generated loop: a long run,
    or settings seen in an earlier run (their loop is made once and kept)."""
    if steps < LOOP_STEPS:
        return False
    key = _closure_key(update)
    if key is None:
        return steps >= GENERATE_STEPS
    seen = key in _SEEN
    _SEEN[key] = None
    _forget(_SEEN)
    return seen or steps >= GENERATE_STEPS


def loop_for(update: Callable, states: list, every_is_one: bool) -> Loop | None:
    """The generated loop for ``update`` (a stepper's own, not rebound) from ``states`` (one per
    coordinate, as the float path's ``init`` makes them), or ``None`` where the trace refuses or
    the state's shape changes in the step (the float path takes one step and asks again)."""
    leaves: list[list] = [[] for _ in states]
    try:
        shapes = [flatten(state, numbers) for state, numbers in zip(states, leaves, strict=True)]
    except Refused:
        return None
    if any(shape != shapes[0] for shape in shapes):
        return None
    kinds = tuple(type(v) for v in leaves[0])
    equal = tuple(j for j in range(len(kinds)) if same_value([row[j] for row in leaves]))
    closure = _closure_key(update)
    key = None if closure is None else (*closure, shapes[0], kinds, equal, len(states), every_is_one)
    if key is not None and key in _LOOPS:
        return _LOOPS[key]
    try:
        loop = _generate(update, shapes[0], list(kinds), equal, len(states), every_is_one)
    except Exception:  # anything the trace cannot follow: the float path runs instead
        loop = None
    if key is not None:
        _LOOPS[key] = loop
        _forget(_LOOPS)
    return loop


def _forget(cache: dict) -> None:
    while len(cache) > _KEPT:
        del cache[next(iter(cache))]


def _closure_key(update: Callable) -> tuple | None:
    """The update's code and the values it closes over; ``None`` (no caching) where a closed-over
    value is not a plain number, flag or string."""
    values = []
    for cell in update.__closure__ or ():
        value = cell.cell_contents
        if type(value) not in (float, int, bool, str, type(None)):
            return None
        values.append((type(value), value.hex() if type(value) is float else value))
    return (update.__code__, tuple(id(d) for d in update.__defaults__ or ()), tuple(values))


def _step(update: Callable, trace: Trace, shape: Any, leaves: list, i: int, lr: Tracer) -> tuple[Any, list, Any]:
    """Coordinate ``i``'s update traced: new parameter, new state numbers, new state shape."""
    grad, params = trace.input(f"g{i}", float), trace.input(f"p{i}", float)
    new_params, new_state = update(grad, unflatten(shape, list(leaves)), params, lr)
    out: list = []
    return new_params, out, flatten(new_state, out)


def _generate(update: Callable, shape: Any, kinds: list[type], equal: tuple, dim: int, every_is_one: bool) -> Loop:
    traced = rebind(update, TRACE_NUMPY, trace_power)
    # which equal state numbers stay equal: those computed from each other and the lr only
    trace = Trace()
    lr = trace.input("lr", float)
    inputs = [trace.input(f"s{j}", kind) for j, kind in enumerate(kinds)]
    _, out, _ = _step(traced, trace, shape, inputs, 0, lr)
    depends = _dependencies(trace)
    shared = set(equal)
    while True:
        keep = {j for j in shared if _inputs_of(out[j], depends) <= {"lr", *(f"s{s}" for s in shared)}}
        if keep == shared:
            break
        shared = keep
    # all coordinates in one trace, the shared numbers one input each
    trace = Trace()
    lr = trace.input("lr", float)
    common = {j: trace.input(f"s{j}", kinds[j]) for j in sorted(shared)}
    own = [j for j in range(len(kinds)) if j not in shared]
    outputs: dict[str, Any] = {}
    for i in range(dim):
        leaves = [common[j] if j in common else trace.input(f"s{j}_{i}", kinds[j]) for j in range(len(kinds))]
        new_params, out, new_shape = _step(traced, trace, shape, leaves, i, lr)
        if new_shape != shape or value_kind(new_params) is not float:
            raise Refused("the state changes its shape or the parameter is not a float")
        if any(value_kind(v) is not k for v, k in zip(out, kinds, strict=True)):
            raise Refused("a state number changes its type")
        outputs[f"p{i}"] = new_params
        outputs.update((f"s{j}_{i}", out[j]) for j in own)
        for j in common:
            first = outputs.setdefault(f"s{j}", out[j])
            if not _same_output(trace, out[j], first):
                raise Refused("a shared state number differs between coordinates")
    numbers = [f"p{i}" for i in range(dim)] + [f"s{j}" for j in common]
    numbers += [f"s{j}_{i}" for i in range(dim) for j in own]
    function = _compile(trace, numbers, [outputs[name] for name in numbers], dim, every_is_one)
    return Loop(function, shape, tuple(sorted(common)), dim)


def _same_output(trace: Trace, a: Any, b: Any) -> bool:
    """The same traced number, or equal constants."""
    if type(a) is Tracer or type(b) is Tracer:
        return a is b
    return trace.key_of(a) == trace.key_of(b)


def _dependencies(trace: Trace) -> list[frozenset]:
    depends: list[frozenset] = []
    for what, op, args in trace.ops:
        if what == "input":
            depends.append(frozenset([op]))
        else:
            depends.append(frozenset().union(*(depends[a.index] for a in args if type(a) is Tracer)))
    return depends


def _inputs_of(value: Any, depends: list[frozenset]) -> frozenset:
    return depends[value.index] if type(value) is Tracer else frozenset()


def _compile(trace: Trace, numbers: list[str], values: list, dim: int, every_is_one: bool) -> Callable:
    """The loop as a function: ``numbers`` are its inputs, and after each step each takes its
    value in ``values`` (a traced number or a constant)."""
    live = _live(trace, values)
    callables: dict[int, tuple[str, Callable]] = {}

    def load(value: Any) -> ast.expr:
        if type(value) is Tracer:
            return _node(ast.Name, _name(trace, value.index), ast.Load())
        return _node(ast.Constant, value)

    def expression(what: str, op: Any, args: tuple) -> ast.expr:
        if what == "binary" and op in _COMPARE:
            return _node(ast.Compare, load(args[0]), [_COMPARE[op]()], [load(args[1])])
        if what == "binary":
            return _node(ast.BinOp, load(args[0]), _ARITHMETIC[op](), load(args[1]))
        if what == "unary":
            return _node(ast.UnaryOp, ast.USub() if op == "-" else ast.UAdd(), load(args[0]))
        name, _ = callables.setdefault(id(op), (f"f{len(callables)}", op))
        return _node(ast.Call, _node(ast.Name, name, ast.Load()), [load(a) for a in args], [])

    update: list[ast.stmt] = [
        _node(ast.Assign, [_node(ast.Name, _name(trace, index), ast.Store())], expression(*trace.ops[index]))
        for index in sorted(live)
        if trace.ops[index][0] != "input"
    ]
    changed = [(name, value) for name, value in zip(numbers, values, strict=True) if not _is_input(trace, value, name)]
    if changed:
        update.append(
            _node(
                ast.Assign,
                [_node(ast.Tuple, [_node(ast.Name, name, ast.Store()) for name, _ in changed], ast.Store())],
                _node(ast.Tuple, [load(value) for _, value in changed], ast.Load()),
            )
        )
    coords = [f"p{i}" for i in range(dim)]

    def names(ids: list[str], context: ast.expr_context) -> ast.Tuple:
        return _node(ast.Tuple, [_node(ast.Name, name, context) for name in ids], context)

    finite = [
        _node(ast.Call, _node(ast.Name, "isfinite", ast.Load()), [_node(ast.Name, p, ast.Load())], []) for p in coords
    ]
    fill = {
        "SET_X": [
            _node(
                ast.Assign,
                [
                    _node(
                        ast.Subscript,
                        _node(ast.Name, "x", ast.Load()),
                        _node(ast.Tuple, [_node(ast.Constant, 0), _node(ast.Constant, i)], ast.Load()),
                        ast.Store(),
                    )
                ],
                _node(ast.Name, p, ast.Load()),
            )
            for i, p in enumerate(coords)
        ],
        "UPDATE": update,
        "RECORD": ast.parse("record(POINT)" if every_is_one else _RECORD_EVERY).body,
        "GRAD": names([f"g{i}" for i in range(dim)], ast.Store()),
        "POINT": names(coords, ast.Load()),
        "FINITE": finite[0] if dim == 1 else _node(ast.BoolOp, ast.Or(), finite),
        "OUT": names(numbers, ast.Load()),
    }
    module = _Fill(fill).visit(ast.parse(_TEMPLATE))
    definition = module.body[0]
    definition.args.args += [_node(ast.arg, name) for name in numbers] + [
        _node(ast.arg, name) for name, _ in callables.values()
    ]
    code = compile(module, "<optviz.engine_trace loop>", "exec")
    loop_code = next(c for c in code.co_consts if isinstance(c, types.CodeType))
    defaults = tuple(function for _, function in callables.values())
    return types.FunctionType(loop_code, {"__builtins__": builtins}, "loop", defaults)


class _Fill(ast.NodeTransformer):
    """Puts the generated statements and names in the template's places."""

    def __init__(self, fill: dict[str, Any]) -> None:
        self.fill = fill

    def visit_Expr(self, node: ast.Expr) -> Any:
        if isinstance(node.value, ast.Name) and node.value.id in self.fill:
            statements = self.fill[node.value.id]  # made complete: only the template's own are visited
            return [self.visit(statement) for statement in statements] if node.value.id == "RECORD" else statements
        return self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> Any:
        return self.fill.get(node.id, node)


def _node(kind: type, *fields: Any) -> Any:
    """An AST node placed on line 1 (the loop has no source text; ast.fix_missing_locations
    would walk the whole tree, most of the time a loop takes to make)."""
    return kind(*fields, lineno=1, col_offset=0)


def _name(trace: Trace, index: int) -> str:
    return trace.names.get(index, f"v{index}")


def _is_input(trace: Trace, value: Any, name: str) -> bool:
    return type(value) is Tracer and trace.names.get(value.index) == name


def _live(trace: Trace, values: list) -> set[int]:
    """The operations the values are computed from."""
    live: set[int] = set()
    todo = [v.index for v in values if type(v) is Tracer]
    while todo:
        index = todo.pop()
        if index not in live:
            live.add(index)
            todo += [a.index for a in trace.ops[index][2] if type(a) is Tracer]
    return live
