"""expr(FORMULA, ...): whitelist parsing, exact symbolic gradients, the same numbers as the registry."""

from __future__ import annotations

import ast
import builtins
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import optviz
from optviz.errors import SpecError, UnknownNameError
from optviz.functions import expr as expr_module
from optviz.functions import get

PACKAGE = Path(__file__).resolve().parents[1] / "optviz"

# --------------------------------------------------------------------------- gradients vs differences

LEAVES = st.sampled_from(["x", "y", "0.5", "2", "3", "pi", "e", "1.5*x", "x*y"])
WRAP = [  # smooth wherever x, y are finite: no poles, no kinks, no overflow at depth 3
    "sin({})",
    "cos({})",
    "tanh({})",
    "arctan({})",
    "exp(sin({}))",
    "log(1 + ({})**2)",
    "sqrt(1 + ({})**2)",
    "({})**2",
    "({})**3/9",
    "({0})/(1 + ({0})**2)",
    "tan(0.5*tanh({}))",
    "sinh(tanh({}))",
    "cosh(sin({}))",
    "-({})",
]


def _formulas(depth: int):
    if depth == 0:
        return LEAVES
    inner = _formulas(depth - 1)
    unary = st.tuples(st.sampled_from(WRAP), inner).map(lambda p: p[0].format(p[1]))
    binary = st.tuples(inner, st.sampled_from(["+", "-", "*"]), inner).map(lambda p: f"({p[0]}) {p[1]} ({p[2]})")
    return st.one_of(inner, unary, binary)


def _central(fn, point: np.ndarray, h: float) -> np.ndarray:
    return np.array([(fn.f(point + h * e) - fn.f(point - h * e)) / (2 * h) for e in np.eye(fn.dim)])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    formula=_formulas(3).filter(lambda s: re.search(r"\bx\b", s) is not None and len(s) <= 200),
    point=st.tuples(st.floats(-2, 2), st.floats(-2, 2)),
)
def test_gradients_match_finite_differences(formula, point):
    fn = get(f"expr({formula})")
    x = np.asarray(point[: fn.dim])
    exact = fn.grad(x)
    h = 1e-3
    richardson = (4 * _central(fn, x, h / 2) - _central(fn, x, h)) / 3  # error O(h^4)
    scale = 1 + np.abs(exact) + abs(float(fn.f(x)))
    assert np.all(np.abs(exact - richardson) <= 1e-6 * scale), (formula, x, exact, richardson)


def test_gradients_of_every_function_match_finite_differences():
    """Each whitelisted function once, on its own domain (abs away from its kink)."""
    x = np.array([0.7, -0.4])
    for name in expr_module.FUNCTIONS:
        fn = get(f"expr({name}(0.3*x + 0.2*y + 1) + x*y, window=((0.1, 2), (-1, 1)))")
        numeric = (4 * _central(fn, x, 5e-4) - _central(fn, x, 1e-3)) / 3
        assert np.allclose(fn.grad(x), numeric, rtol=1e-8, atol=1e-9), name


# ------------------------------------------------------------------------------- same as the registry


@pytest.mark.parametrize("opt, lr", [("gd", 0.4), ("adam", 0.1), ("sgd(momentum=0.9)", 0.05), ("rmsprop", 0.01)])
def test_expr_equals_ravine_bit_for_bit(opt, lr):
    ravine = optviz.run("ravine", opt, lr=lr, steps=200)
    formula = optviz.run("expr(0.1*x**2+2*y**2, start=(-5, -2))", opt, lr=lr, steps=200)
    assert np.array_equal(ravine.points, formula.points)
    assert np.array_equal(ravine.loss, formula.loss)
    assert np.array_equal(ravine.grad_norm, formula.grad_norm)


def test_expr_rosenbrock_within_rounding():
    grid = np.random.default_rng(1).uniform(-2, 2, size=(1000, 2))
    registry, formula = get("rosenbrock"), get("expr((1-x)**2 + 100*(y-x**2)**2)")
    assert np.array_equal(registry.f(grid), formula.f(grid))  # the same operations, written out
    scale = np.abs(registry.grad(grid)).max(-1, keepdims=True) + 1
    assert np.all(np.abs(registry.grad(grid) - formula.grad(grid)) <= 1e-15 * 1e3 * scale)


def test_batch_equals_single_runs():
    starts = [(-4.0, 3.0), (2.0, -1.0), (0.5, 0.5)]
    spec = "expr(sin(x)*cos(y) + 0.1*(x**2 + y**2))"
    batch = optviz.run_batch(spec, "adam", lr=0.1, steps=60, start=starts)
    for i, start in enumerate(starts):
        assert np.array_equal(batch[i].points, optviz.run(spec, "adam", lr=0.1, steps=60, start=start).points)


# ----------------------------------------------------------------------------------------- hostile

HOSTILE = [
    "__import__('os')",
    "__import__('os').system('touch /tmp/optviz-pwned')",
    "x.__class__",
    "x.__class__.__bases__[0].__subclasses__()",
    "(lambda: 1)()",
    "9**9**9",
    "x**1000",
    "2**(10**6)",
    "'x' * 3",
    '"os"',
    "b'x'",
    "f'{x}'",
    "x[0]",
    "[x for x in (1, 2)]",
    "{x: 1 for x in (1, 2)}",
    "(x for x in (1, 2))",
    "{1, 2}",
    "[x, y]",
    "(x, y)",
    "open('/etc/passwd')",
    "eval('1')",
    "exec('x=1')",
    "compile('1', '', 'eval')",
    "globals()",
    "os.system",
    "np.sin(x)",
    "sin(x, y)",
    "sin(x=1)",
    "sin",
    "z + x",
    "x if y else 1",
    "x < y",
    "x and y",
    "not x",
    "~x",
    "x % 2",
    "x // 2",
    "x @ y",
    "x << 1",
    "(x := 2)",
    "*x",
    "True + x",
    "None",
    "1j*x",
    "...",
    "1e999*x",
    "log(-1)*x",
    "x/0",
    "1/(2-2) + x",
    "sqrt(-1) + x",
    "x +",
    "x" + "+x" * 120,
    "(" * 30 + "x" + ")" * 30,
    "-" * 30 + "x",
    "+".join(["x*y"] * 60),
    "3",
    "x\x00",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_or_oversized_formulas_are_refused(text, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("eval/exec reached")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    with pytest.raises(SpecError) as info:
        expr_module.build({"expression": text})
    message = str(info.value)
    assert "\n" not in message and len(message) < 500
    assert not Path("/tmp/optviz-pwned").exists()


def test_enough_hostile_strings():
    assert len(HOSTILE) >= 25


@pytest.mark.parametrize(
    "text, part",
    [
        ("x.__class__", "'x.__class__' (column 1)"),
        ("x**2 + __import__('os')", "\"__import__('os')\" (column 8)"),
        ("x + 9**9**9", "'9**9**9' (column 5)"),
        ("sinx(x)", "'sinx(x)' (column 1)"),
        ("x + q", "unknown name 'q'"),
    ],
)
def test_the_error_points_at_the_part(text, part):
    with pytest.raises(SpecError, match=None) as info:
        get(f"expr({text})")
    assert part in str(info.value)


def test_hostile_specs_through_the_spec_parser():
    for spec in ["expr(x**2", "expr()", "expr(x, x**2)", "expr(x, bogus=1)", "expr(x, start=(1, 2, 3))"]:
        with pytest.raises((SpecError, UnknownNameError)):
            get(spec)


def _forbidden_calls(tree: ast.AST) -> list[str]:
    """Calls that run text as code: eval, exec, compile, __import__, and sympy's string parsers."""
    hits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in {"eval", "exec", "compile", "__import__"}:
                hits.append(func.id)
            if isinstance(func, ast.Attribute) and func.attr in {"eval", "exec"}:
                hits.append(func.attr)
            if isinstance(func, ast.Attribute) and func.attr == "compile" and getattr(func.value, "id", "") != "re":
                hits.append("compile")
        if isinstance(node, (ast.Name, ast.Attribute)):
            name = node.id if isinstance(node, ast.Name) else node.attr
            if name in {"lambdify", "sympify", "parse_expr", "S"}:
                hits.append(name)
    return hits


def test_no_eval_exec_or_compile_anywhere_in_optviz():
    hits = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for name in _forbidden_calls(ast.parse(path.read_text(), str(path))):
            hits.append(f"{path.relative_to(PACKAGE.parent)}: {name}(")
    # the one exception: one run's loop, compiled from an AST built from a traced optimizer update
    # (never from text: test_generated_loop_compiles_an_ast_of_numbers_only)
    assert hits.count("optviz/engine_trace.py: compile(") == 1
    hits.remove("optviz/engine_trace.py: compile(")
    assert not hits, "code run from text:\n" + "\n".join(hits)
    # the check itself finds them
    assert _forbidden_calls(ast.parse("eval(t); exec(t); compile(t, '', 'eval'); sympy.sympify(t)")) == [
        "eval",
        "exec",
        "compile",
        "sympify",
    ]


def test_generated_loop_compiles_an_ast_of_numbers_only(monkeypatch):
    """engine_trace compiles an AST, never text, and the only data in it are numbers: a user's
    expression or hyperparameters cannot become code there."""
    from optviz import engine_trace

    seen = []

    def checked_compile(source, filename, mode, *args, **kwargs):
        seen.append(source)
        return builtins.compile(source, filename, mode, *args, **kwargs)

    monkeypatch.setattr(engine_trace, "compile", checked_compile, raising=False)
    monkeypatch.setattr(engine_trace, "_LOOPS", {})  # made afresh, through compile
    optviz.run("expr(x**2 + 10*y**2, start=(-4, 1))", "adam(betas=(0.8, 0.99), weight_decay=0.01)", lr=0.1, steps=500)
    assert seen and all(isinstance(source, ast.Module) for source in seen)
    for source in seen:
        constants = [node.value for node in ast.walk(source) if isinstance(node, ast.Constant)]
        assert all(type(value) in (int, float, bool) or value is None for value in constants), constants


def test_building_a_formula_never_calls_eval_or_exec(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("eval/exec reached")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    fn = expr_module.build({"expression": "tanh(x)*exp(-y**2) + arctan(x*y) + abs(x) + sqrt(1+y**2)"})
    assert np.all(np.isfinite(fn.grad(np.array([[0.3, -0.2], [1.0, 2.0]]))))


# ----------------------------------------------------------------------------------------- options


def test_options_start_window_minima():
    fn = get("expr(x**2 + 10*y**2, start=(-4, 1), window=((-6, 6), (-2, 2)), minima=((0, 0),))")
    assert fn.start == (-4.0, 1.0) and fn.window == ((-6.0, 6.0), (-2.0, 2.0))
    assert [(m.point, m.kind, m.found) for m in fn.minima] == [((0.0, 0.0), "global", False)]
    assert get(fn.spec) is fn  # the canonical spec gives it back


def test_minima_are_searched_and_marked_found():
    fn = get("expr((x**2+y-11)**2+(x+y**2-7)**2)")  # himmelblau: four global minima
    himmelblau = get("himmelblau")
    assert len(fn.minima) == 4 and all(m.found and m.kind == "global" for m in fn.minima)
    for m in himmelblau.minima:
        if m.kind == "global":
            assert min(np.hypot(*np.subtract(m.point, f.point)) for f in fn.minima) < 1e-8
    one_d = get("expr(x**4 - 3*x**2 + x)")
    assert [m.kind for m in one_d.minima] == ["global", "local"] and one_d.dim == 1
    assert get("expr(x + y)").minima == ()  # no minimum inside the window


def test_one_dimensional_formulas_run():
    traj = optviz.run("expr(x**4 - 3*x**2 + x)", "gd", lr=0.01, steps=300, start=2)
    assert traj.points.shape == (301, 1) and abs(traj.final[0] - 1.1309) < 1e-3


@pytest.mark.parametrize(
    "spec, words",
    [
        ("expr(log(x) + log(y))", "not finite on"),
        ("expr(x, window=(1, 0))", "low < high"),
        ("expr(x*y, window=(0, 1))", "2 (low, high) pair"),
        ("expr(x*y, minima=(1, 2, 3))", "2 finite number"),
        ("expr(log(x), start=-1, window=(0.5, 3))", "not finite at the start"),
    ],
)
def test_bad_options_are_one_line_errors(spec, words):
    with pytest.raises(SpecError) as info:
        get(spec)
    assert words in str(info.value) and "\n" not in str(info.value)


def test_without_sympy_one_line_error_with_the_install_command(monkeypatch):
    expr_module._build.cache_clear()
    monkeypatch.setitem(sys.modules, "sympy", None)  # import sympy raises ImportError
    with pytest.raises(SpecError) as info:
        get("expr(x**2 + 3*y**2)")
    assert str(info.value) == "expr(...) needs sympy for its exact gradient: pip install 'optviz[expr]'"
    expr_module._build.cache_clear()


def test_titles_render_in_mathtext():
    from matplotlib.mathtext import MathTextParser

    parser = MathTextParser("agg")
    for name in expr_module.FUNCTIONS:
        fn = get(f"expr({name}(x/2 + 1)**2 / (1 + y**2) - pi*e*x, window=((0.1, 2), (0.1, 2)))")
        parser.parse(f"$f(x, y) = {fn.formula}$", dpi=72)  # raises on what mathtext cannot draw


def test_export_and_load_keep_the_spec(tmp_path):
    traj = optviz.run("expr(x**2 + 10*y**2, start=(-4, 1))", "adam", lr=0.3, steps=20)
    loaded = optviz.load(traj.save(tmp_path / "run.json"))
    assert get(loaded.settings["fn"]).spec == traj.settings["fn"] == "expr(x**2 + 10*y**2, start=(-4, 1))"
