"""A lean command-line start: each command imports only what it uses (fresh processes), and the
plain conversion of option values (no pydantic) gives typer's own results and errors."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main
from hypothesis import given, settings
from hypothesis import strategies as st
from typer._click.exceptions import BadParameter

from optviz.cli.app import _Typer
from optviz.cli.coerce import _PlainParam, install

# (argv, modules the command must not import): --help is typer and rich only (no numpy: the view
# commands build their options from records that import no numbers); a run without --out draws
# nothing; no command converts its options with pydantic
LEAN = ("matplotlib", "imageio", "pydantic", "PIL")
STARTS = [
    (["--help"], (*LEAN, "numpy", "yaml")),
    (["run", "--help"], (*LEAN, "numpy")),
    (["stability", "--help"], (*LEAN, "numpy")),
    (["sweep", "--help"], (*LEAN, "numpy")),
    (["list", "functions"], (*LEAN, "typer.rich_utils")),
    (["show", "rosenbrock", "--no-preview"], (*LEAN, "typer.rich_utils")),
    (["run", "--fn", "ravine", "--opt", "adam", "--lr", "0.1", "--steps", "3"], (*LEAN, "typer.rich_utils")),
    (["lr-scan", "--opt", "gd", "--num", "3", "--steps", "3"], (*LEAN, "typer.rich_utils")),
]


@pytest.mark.parametrize(("argv", "unused"), STARTS, ids=[" ".join(argv) for argv, _ in STARTS])
def test_commands_import_only_what_they_use(argv, unused):
    code = (
        "import sys; from optviz.cli import main; code = main(sys.argv[2:]); "
        "loaded = [m for m in sys.argv[1].split(',') if m in sys.modules]; "
        "print('LOADED', *loaded, file=sys.stderr); sys.exit(3 if loaded else code)"
    )
    result = subprocess.run([sys.executable, "-c", code, ",".join(unused), *argv], capture_output=True, text=True)
    assert result.returncode == 0, (result.returncode, result.stderr[-500:])


# --------------------------------------------------------------------- values without pydantic

probe = _Typer()


@probe.command()
def _probe(
    count: int = 0,
    rate: float = 0.5,
    name: str = "",
    out: Path | None = None,
    lrs: list[float] | None = None,
    paths: list[Path] | None = None,
) -> None:
    """Every plain option type optviz uses."""


NUMBERS = [
    *("12", "+12", "-12", "012", "-0", "00", " 12", "12 ", "1_000", "12.0", "1e3", "0x10", "٣", "", "-"),
    *("99999999999999999999", "123456789012345678", "1234567890123456789"),
    *("1.5", "+1.5", "-.5", "5.", ".5", ".", "1e-3", "1E+3", "1e", "e3", "inf", "-inf", "nan", "NaN"),
    *("0.1", "2.2250738585072011e-308", "4.9406564584124654e-324", "1e400", "-1e-400", "1e99999"),
    *("1.00000000000000011102230246251565404236316680908203125", "0.30000000000000004441", "abc"),
]
TEXTS = ["", "x", "ü", "a/b", "~/x", ".", " lead", "[red]", "x\x1by"]


def converted(param, value):
    """The value process_value gives, or the error message typer's BadParameter carries."""
    ctx = param_context()
    try:
        result = param.process_value(ctx, value)
    except BadParameter as exc:
        return ("error", exc.format_message())
    if isinstance(result, float):  # bits, so that -0.0 and 0.0 (and each NaN) differ
        return ("float", math.copysign(1, result), result.hex())
    if isinstance(result, list):
        return [converted_item(item) for item in result]
    return (type(result).__name__, result)


def converted_item(item):
    return ("float", math.copysign(1, item), item.hex()) if isinstance(item, float) else (type(item).__name__, item)


def param_context():
    return typer.main.get_command(probe).make_context("probe", [], resilient_parsing=True)


def both(name: str):
    """The option ``name`` converted plainly (optviz) and by typer itself (pydantic)."""
    plain, typer_own = (next(p for p in typer.main.get_command(probe).params if p.name == name) for _ in range(2))
    install([plain])
    assert isinstance(plain._runtime_param, _PlainParam) and typer_own._runtime_param is None
    return plain, typer_own


@pytest.mark.parametrize("name", ["count", "rate"])
@pytest.mark.parametrize("text", NUMBERS)
def test_numbers_convert_as_typer_converts_them(name, text):
    plain, typer_own = both(name)
    assert converted(plain, text) == converted(typer_own, text)


@pytest.mark.parametrize("name", ["name", "out"])
@pytest.mark.parametrize("text", TEXTS)
def test_text_and_paths_convert_as_typer_converts_them(name, text):
    plain, typer_own = both(name)
    assert converted(plain, text) == converted(typer_own, text)


VALUES = [
    *(("lrs", ("0.1", "1e-3", "-0")), ("lrs", ("0.1", "nan")), ("lrs", ("1", "x")), ("lrs", ()), ("lrs", None)),
    *(("paths", ("a", "b/c")), ("paths", ()), ("count", 3), ("rate", 1), ("rate", 2**60), ("out", None)),
]


@pytest.mark.parametrize(("name", "value"), VALUES)
def test_lists_and_defaults_convert_as_typer_converts_them(name, value):
    plain, typer_own = both(name)
    assert converted(plain, value) == converted(typer_own, value)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789+-.eE_ xn", max_size=14))
def test_any_number_text_converts_as_typer_converts_it(text):
    for name in ("count", "rate"):
        plain, typer_own = both(name)
        assert converted(plain, text) == converted(typer_own, text)


def test_the_plain_conversion_is_what_runs():
    """Every option of every optviz command gets the plain conversion when it is parsed."""
    from optviz.cli import app

    group = typer.main.get_command(app)
    command = group.commands["run"]
    ctx = command.make_context("run", ["--steps", "7", "--lr", "0.5"])
    assert ctx.params["steps"] == 7 and ctx.params["lr"] == [0.5]
    assert len(group.commands) >= 10
    for name, command in group.commands.items():
        ctx = command.make_context(name, [], resilient_parsing=True)
        kinds = {type(p._runtime_param).__name__ for p in command.get_params(ctx) if hasattr(p, "_runtime_param")}
        assert kinds == {"_PlainParam"}, (name, kinds)


def test_imports_run_without_the_collector_only_in_the_optviz_process(monkeypatch):
    """As the process, imports_first turns the cyclic collector off for its block and freezes what
    the block made; called from Python (these tests, notebooks) it changes nothing."""
    import gc

    from optviz.cli.app import _process, imports_first

    assert gc.isenabled()
    monkeypatch.setitem(_process, "cli", False)
    frozen = gc.get_freeze_count()
    with imports_first():
        assert gc.isenabled()
    assert gc.get_freeze_count() == frozen
    monkeypatch.setitem(_process, "cli", True)
    try:
        with imports_first():
            assert not gc.isenabled()
            made = [[] for _ in range(10)]
        assert gc.isenabled() and gc.get_freeze_count() >= frozen + len(made)
    finally:
        gc.unfreeze()


def test_main_called_from_python_is_not_the_process(capsys):
    from optviz.cli import main
    from optviz.cli.app import _process

    assert main(["list", "schedules"]) == 0
    assert _process["cli"] is False


@pytest.mark.parametrize(
    ("environment", "first", "threads"),
    [
        ({}, "", "1"),
        ({"OMP_NUM_THREADS": "4"}, "", None),
        ({"OPENBLAS_NUM_THREADS": "2"}, "", "2"),
        ({}, "numpy", None),
    ],
)
def test_the_process_starts_one_blas_thread_unless_told(environment, first, threads):
    """numpy's BLAS gets one thread in the optviz process, unless the environment says how many
    or numpy was imported before (then it is too late to say)."""
    import os

    from optviz.cli import BLAS_THREADS

    env = {k: v for k, v in os.environ.items() if k not in BLAS_THREADS}
    env.update(environment)
    code = (
        f"import os{', ' + first if first else ''}; from optviz import cli; cli._one_blas_thread(); "
        "print(os.environ.get('OPENBLAS_NUM_THREADS'))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert result.stdout.strip() == str(threads)
