"""Text in the terminal: readable formulas, tables that fit 80 columns, one-line errors with a
suggestion, help that wraps cleanly, and options that take one value refused when repeated."""

from __future__ import annotations

import io
import math
import re

import numpy as np
import pytest
import typer
from rich.console import Console

from optviz import api
from optviz.cli import app, main
from optviz.cli.catalog import ListWhat, _list_table, _terms
from optviz.cli.run import coordinate, run_table
from optviz.functions import get, names
from optviz.functions.data import CELSIUS, UNKNOWN

SPECS = [
    *names(),
    "ravine(angle=30)",
    "ravine(a=0.5, b=3, angle=-45)",
    "xcos(c=1)",
    "xcos(c=0.4)",
    "rosenbrock(a=2, b=10)",
    "rosenbrock(a=-1)",
    "thermometer(scale=0.1)",
    "two_layer(x=2, y=-3)",
    "single_weight(x=3, y=4)",
    "single_weight(x=-2, y=0)",
    "chain(depth=20)",
    "chain(depth=3, x=-0.5, y=2)",
    "chain(depth=1, x=2, y=-3)",
]


def render(renderable, width: int = 80) -> list[str]:
    out = io.StringIO()
    Console(file=out, width=width, color_system=None, legacy_windows=False).print(renderable)
    return out.getvalue().splitlines()


def cli(capsys, monkeypatch, *argv: str, columns: int = 80) -> tuple[int, str]:
    monkeypatch.setenv("COLUMNS", str(columns))
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


# ------------------------------------------------------------------ plain formulas


def evaluate_plain(fn, point: np.ndarray) -> float:
    """Evaluate ``fn.plain_formula`` as written, at one point: the text is the function."""
    text = fn.plain_formula
    scope = {"sqrt": np.sqrt, "exp": np.exp, "cos": np.cos, "pi": np.pi, "E": math.e, "sum": np.sum}
    for label, value in zip((label.replace("_", "") for label in fn.labels), point, strict=True):
        scope[label] = float(value)
    if fn.name == "thermometer":
        scope.update(u=UNKNOWN, c=CELSIUS)
        text = re.sub(r"Σ (\(.*\)²)$", r"sum(\1)", text)
    rotated = re.fullmatch(r"(.*), \(u, v\) = x rotated by (.*)°", text)
    if rotated:
        text, angle = rotated.group(1), math.radians(float(rotated.group(2)))
        scope["u"] = math.cos(angle) * scope["x1"] - math.sin(angle) * scope["x2"]
        scope["v"] = math.sin(angle) * scope["x1"] + math.cos(angle) * scope["x2"]
    text, _, definition = text.partition(", r = ")
    replacements = [
        ("[⁰¹²³⁴⁵⁶⁷⁸⁹]+", lambda m: "**" + m.group().translate(str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789"))),
        ("·", "*"),
        ("−", "-"),
        ("²", "**2"),
        ("³", "**3"),
        ("⁴", "**4"),
        ("½", "0.5*"),
        ("√", "sqrt"),
        (r"cos (\d*π\w+)", r"cos(\1)"),
        (r"(\d)π", r"\1*π"),
        (r"π(\w)", r"π*\1"),
        ("π", "pi"),
        (r"\be\b", "E"),
    ]
    for old, new in replacements:
        definition = re.sub(old, new, definition)
        text = re.sub(old, new, text)
    if definition:
        scope["r"] = eval(definition, scope)
    return float(eval(text, scope))


@pytest.mark.parametrize("spec", SPECS)
def test_plain_formula_is_the_function(spec):
    """Every function's plain formula has no mathtext and, read as written, gives its f."""
    fn = get(spec)
    assert fn.plain_formula
    assert not re.search(r"[\\_^{}$]", fn.plain_formula), fn.plain_formula
    rng = np.random.default_rng(0)
    lo, hi = np.array(fn.window).T
    for point in rng.uniform(lo, hi, size=(20, fn.dim)):
        assert evaluate_plain(fn, point) == pytest.approx(float(fn.f(point)), rel=1e-9, abs=1e-9), spec


@pytest.mark.parametrize(
    ("spec", "text"),
    [
        ("ravine", "0.1·x1² + 2·x2²"),
        ("ravine(angle=30)", "0.1·u² + 2·v², (u, v) = x rotated by 30°"),
        ("xcos(c=1)", "x·cos(πx)"),
        ("two_layer(x=2, y=-3)", "(2·w1·w2 + 3)²"),
        ("single_weight(x=-2, y=0)", "(-2·w)²"),
    ],
)
def test_plain_formula_reads_as_written(spec, text):
    assert get(spec).plain_formula == text


# ------------------------------------------------------------------ optviz list functions


def test_list_functions_fits_80_columns():
    lines = render(_list_table(ListWhat.functions))
    text = "\n".join(lines)
    assert all(len(line) <= 80 for line in lines)
    assert "…" not in text and "\\" not in text
    header = next(line for line in lines if "formula" in line)
    assert "what it shows" in header
    for name in names():
        fn = get(name)
        # the name on one line, at the start of its row
        assert any(line.split()[:1] == [name] for line in lines), name
        # every term of the formula on one line: wrapped between terms, never inside one
        for term in _terms(fn.plain_formula):
            assert any(term.strip() in line for line in lines), (name, term)
        # what it shows: every word is there
        for word in fn.description.split():
            assert word in text, (name, word)


def test_formula_cells_wrap_between_terms():
    assert _terms("(x1² + x2 − 11)² + (x1 + x2² − 7)²") == ["(x1² + x2 − 11)²", " + (x1 + x2² − 7)²"]
    assert _terms("0.1·u² + 2·v², (u, v) = x rotated by 30°") == ["0.1·u²", " + 2·v²,", " (u, v) = x rotated by 30°"]
    assert _terms("x²") == ["x²"]


def test_list_functions_in_the_terminal(capsys, monkeypatch):
    code, output = cli(capsys, monkeypatch, "list", "functions")
    assert code == 0
    assert "(1 − x1)² + 100·(x2 − x1²)²" in output and "x_1" not in output and "\\" not in output
    assert max(map(len, output.splitlines())) <= 80


def test_show_prints_the_plain_formula(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    code, output = cli(capsys, monkeypatch, "show", "ravine(angle=30)", "--no-preview")
    assert code == 0
    assert "f(x1, x2) = 0.1·u² + 2·v², (u, v) = x rotated by 30°" in output
    assert "mathrm" not in output and "\\" not in output and "^" not in output


# ------------------------------------------------------------------ optviz list foo


@pytest.mark.parametrize(
    ("what", "words"),
    [
        ("foo", "error: 'foo' is not one of functions, optimizers, schedules; e.g. optviz list functions"),
        ("fucntions", "error: 'fucntions' is not one of functions, optimizers, schedules; did you mean 'functions'?"),
        ("schedule", None),
        ("Optimizers", None),
    ],
)
def test_list_what(capsys, monkeypatch, what, words):
    code, output = cli(capsys, monkeypatch, "list", what)
    if words is None:  # a singular or capitals still list
        assert code == 0 and "name" in output
        return
    assert code == 2
    assert output.startswith("error: ") and output.strip().count("\n") == 0, output
    assert words in output
    assert "Value error" not in output and "Invalid value" not in output


def test_conversion_errors_lose_pydantics_prefix(capsys, monkeypatch):
    code, output = cli(capsys, monkeypatch, "run", "--steps", "many")
    assert code == 2 and "--steps" in output and "Value error" not in output
    assert output.strip().count("\n") == 0


# ------------------------------------------------------------------ the run table


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (-4e-15, "0.000000"),
        (-0.0, "0.000000"),
        (-3.6592549, "-3.659255"),
        (-123.456789, "-123.4568"),
        (9999.9999, "1.00e+04"),
        (-1.234e16, "-1.23e+16"),
        (-1.1e153, "-1.1e+153"),
        (float("nan"), "nan"),
    ],
)
def test_coordinates(value, text):
    assert coordinate(value) == text
    assert len(coordinate(value)) <= 9


def _table_lines(fn, *args, **kwargs) -> tuple[list[str], object]:
    batch = api.run_batch(fn, *args, **kwargs)
    return render(run_table(batch, get(fn))), batch


@pytest.mark.parametrize(
    ("fn", "args", "kwargs"),
    [
        ("ravine", (["adam"], 0.16, 50), {}),
        ("bowl", (["gd"], 0.25, 50), {}),  # ends at -4e-15: was -0.000000
        ("ravine", (["gd", "sgd(momentum=0.9, nesterov=true, dampening=0)"], [10, 0.1], 1000), {}),  # diverges
        ("bowl", (["gd"], 1e-9, 10_000, (-20000, -30000)), {}),
        ("xcos", (["gd"], 0.1, 100_000, (-10.4,)), {}),
        ("single_weight", (["gd"], 0.1, 5), {}),
    ],
)
def test_run_table_fits_80_columns_with_each_point_on_one_line(fn, args, kwargs):
    with np.errstate(all="ignore"):
        lines, batch = _table_lines(fn, *args, **kwargs)
    text = "\n".join(lines)
    assert all(len(line) <= 80 for line in lines), text
    assert "-0.000000" not in text and "-0 " not in text
    header = next(line for line in lines if "optimizer" in line)
    for column in ("lr", "final point", "loss", "to min", "steps", "diverged"):
        assert column in header
    for traj in batch:
        point = f"({', '.join(coordinate(v) for v in traj.final)})"
        assert any(point in line for line in lines), (point, text)
    # numbers are never cut short: the only ellipsis could come from a spec, which folds instead
    assert "…" not in text


def test_run_table_xcos_to_min_is_zero_at_the_minimum_it_reaches():
    lines, _ = _table_lines("xcos(c=1)", ["gd"], 0.01, 2000)
    row = next(line for line in lines if line.startswith("gd"))
    assert "(3.033281)" in row
    assert re.search(r"\s\d\.\d+e-(1[0-9]|[2-9]\d)\s|\s0\s", row), row  # to min: rounding noise, not 1.943


# ------------------------------------------------------------------ help text


def _commands():
    group = typer.main.get_command(app)
    return [("", group), *((name, command) for name, command in group.commands.items())]


@pytest.mark.parametrize(("name", "command"), _commands(), ids=lambda c: c if isinstance(c, str) else "")
def test_help_paragraphs_have_no_hard_line_breaks(name, command):
    """typer keeps a docstring's line breaks in rich mode: a paragraph must be one source line, so
    that rich wraps it to the terminal; only example blocks (``optviz ...`` lines) keep theirs."""
    import inspect

    help_text = inspect.cleandoc(command.help or "")
    for paragraph in help_text.split("\n\n"):
        lines = paragraph.strip().splitlines()
        if all(
            line.strip().startswith("optviz ") or (i and lines[i - 1].endswith(" \\")) for i, line in enumerate(lines)
        ):
            continue  # an example block: commands, and their shell continuation lines
        assert len(lines) == 1, f"optviz {name}: hard-wrapped paragraph {paragraph!r}"


@pytest.mark.parametrize(("name", "command"), _commands(), ids=lambda c: c if isinstance(c, str) else "")
def test_help_at_80_columns_keeps_each_example_on_one_line(capsys, monkeypatch, name, command):
    import inspect

    code, output = cli(capsys, monkeypatch, *([name] if name else []), "--help")
    assert code == 0
    lines = output.splitlines()
    assert all(len(line) <= 80 for line in lines)
    examples = [line.strip() for line in inspect.cleandoc(command.help or "").splitlines()]
    examples = [line for line in examples if line.startswith("optviz ")]
    assert examples or not name, f"optviz {name} --help shows no example"
    for example in examples:
        assert any(line.strip() == example for line in lines), (example, output)


# ------------------------------------------------------------------ repeated options


def _single_value_options():
    """(command, required arguments, option) for every option of every command that takes one value."""
    from typer.core import TyperOption

    required = {
        "show": ["bowl"],
        "sweep": ["missing.yaml"],
        "deck": ["--out", "x.pptx"],
        "explore": ["--out", "x.html"],
    }
    cases = []
    for name, command in typer.main.get_command(app).commands.items():
        for param in command.params:
            if isinstance(param, TyperOption) and not (param.multiple or param.is_flag or param.count):
                given = required.get(name, [])
                given = given if given[:1] != param.opts[:1] else given[2:]  # the option itself is what repeats
                cases.append(pytest.param(name, given, param.opts, id=f"{name} {param.opts[0]}"))
    return cases


def _value(option: str) -> str:
    """A value every option of that name accepts, so that the repeat is the only fault."""
    return {"--fn": "bowl", "--opt": "gd", "--size": "4:3", "--theme": "light", "--view": "contour"}.get(option, "1")


@pytest.mark.parametrize(("command", "arguments", "opts"), _single_value_options())
def test_an_option_that_takes_one_value_is_refused_when_repeated(
    capsys, monkeypatch, tmp_path, command, arguments, opts
):
    """By class: each of them, generated from the commands themselves, not a list kept by hand."""
    monkeypatch.chdir(tmp_path)
    first, second = opts[0], opts[-1]  # both spellings count: --steps 3 -n 4
    code, output = cli(
        capsys, monkeypatch, command, *arguments, first, _value(opts[0]), second, _value(opts[0]), columns=200
    )
    assert code == 2, output
    assert output.startswith("error: ") and output.strip().count("\n") == 0, output
    assert f"{'/'.join(opts)} is given twice; give it once" in output
    assert list(tmp_path.iterdir()) == []  # refused before any work


def test_repeated_option_with_equals_sign_and_three_times(capsys, monkeypatch):
    code, output = cli(capsys, monkeypatch, "run", "--noise=0.1", "--noise", "0.2", "--noise=0.3", columns=200)
    assert code == 2 and "--noise is given 3 times; give it once (these may repeat: " in output
    assert all(option in output.split("these may repeat: ")[1] for option in ("--param/-p", "--opt/-o", "--lr"))


def test_repeatable_options_and_flags_still_repeat(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    code, output = cli(
        capsys,
        monkeypatch,
        "run",
        "--fn",
        "bowl",
        "--opt",
        "gd",
        "--opt",
        "momentum",
        "--lr",
        "0.1",
        "--lr",
        "0.2",
        "-p",
        "weight_decay=0.1",
        "-p",
        "dampening=0",
        "--steps",
        "3",
        columns=200,
    )
    assert code == 0, output
    assert output.count("momentum") == 2 and output.count("gd") >= 2
    code, output = cli(capsys, monkeypatch, "show", "bowl", "--no-preview", "--no-preview")
    assert code == 0, output
