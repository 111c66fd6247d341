"""The CLI in-process with typer's CliRunner: exit codes, output, files, and the kwargs it passes."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import optviz
from optviz.cli import app

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args))


def test_readme_first_command_prints_the_table():
    result = invoke("run", "--fn", "ravine", "--opt", "adam", "--lr", "0.16")
    assert result.exit_code == 0, result.output
    for words in (
        "optimizer",
        "final point",
        "loss",
        "to min",
        "diverged",
        "adam",
        "0.16",
        "50",
        "(0.226772, -0.120342)",
    ):
        assert words in result.output


def test_run_passes_options_to_the_api(monkeypatch):
    seen = {}
    real = optviz.api.run_batch

    def spy(*args, **kwargs):
        seen["args"], seen["kwargs"] = args, kwargs
        return real(*args, **kwargs)

    monkeypatch.setattr(optviz.api, "run_batch", spy)
    result = invoke(
        "run",
        "--fn",
        "ravine(angle=30)",
        "--opt",
        "adam",
        "--opt",
        "sgd(momentum=0.5)",
        "--lr",
        "0.1",
        "--lr",
        "0.2",
        "--steps",
        "7",
        "--start=-4,1",
        "-p",
        "weight_decay=0.01",
        "-p",
        "adam.betas=0.8,0.99",
        "--schedule",
        "cosine",
        "--clip-norm",
        "2",
        "--clip-value",
        "3",
        "--noise",
        "0.1",
        "--seed",
        "5",
    )
    assert result.exit_code == 0, result.output
    fn, opts, lrs, steps, start = seen["args"]
    assert fn.spec == "ravine(angle=30)"
    assert (opts, lrs, steps, start) == (["adam", "sgd(momentum=0.5)"], [0.1, 0.2], 7, "-4,1")
    assert seen["kwargs"] == {
        "schedule": "cosine",
        "clip_norm": 2.0,
        "clip_value": 3.0,
        "noise": 0.1,
        "batch_size": None,
        "seed": 5,
        "record_every": 1,
        "record_dtype": "float64",
        "weight_decay": 0.01,
        "adam.betas": (0.8, 0.99),
    }


def test_run_diverged_reports_and_exits_zero():
    result = invoke("run", "--fn", "ravine", "--opt", "gd", "--lr", "10", "--steps", "1000")
    assert result.exit_code == 0
    assert "diverged at step" in result.output
    assert "step " in result.output


@pytest.mark.parametrize("suffix", [".csv", ".json", ".npz"])
def test_run_export(tmp_path, suffix):
    out = tmp_path / f"path{suffix}"
    result = invoke("run", "--fn", "bowl", "--opt", "gd", "--lr", "0.1", "--steps", "5", "--export", str(out))
    assert result.exit_code == 0, result.output
    assert optviz.load(out).points.shape == (6, 2)


def test_run_export_many_runs_writes_one_file_each(tmp_path):
    out = tmp_path / "p.csv"
    result = invoke(
        "run", "--fn", "bowl", "--opt", "gd", "--opt", "adam", "--lr", "0.1", "--steps", "3", "--export", str(out)
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p-0-gd_lr=0.1.csv", "p-1-adam_lr=0.1.csv"]


@pytest.mark.parametrize(
    ("what", "words"),
    [
        ("functions", ["ravine", "thermometer", "six_hump_camel", "angle=0"]),
        ("optimizers", ["nesterov", "Adam", "amsgrad=False", "0.002"]),
        ("schedules", ["warmup", "cosine", "step_size"]),
    ],
)
def test_list(what, words):
    result = invoke("list", what)
    assert result.exit_code == 0
    for word in words:
        assert word in result.output


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["run", "--opt", "adamm"], "did you mean"),
        (["run", "--fn", "ravin"], "unknown function 'ravin'"),
        (["run", "--opt", "adam(lr="], "expected a value"),
        (["run", "--start=1,2,3"], "3 coordinates"),
        (["run", "--lr", "-1"], "learning rate"),
        (["run", "--steps", "0"], "steps=0"),
        (["run", "-p", "momentum"], "NAME=VALUE"),
        (["run", "--opt", "adam", "-p", "momentum=0.9"], "hyperparameter of adam"),
        (["run", "--export", "x.xlsx"], "unknown suffix"),
        (["run", "--batch-size", "3"], "data loss"),
    ],
)
def test_bad_input_exits_2_with_one_line(args, words):
    result = invoke(*args)
    assert result.exit_code == 2
    assert words in result.output
    assert "Traceback" not in result.output
    assert result.output.strip().count("\n") == 0 or result.output.strip().startswith("error:")


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0 and optviz.__version__ in result.output


def test_help_shows_examples():
    result = invoke("run", "--help")
    assert result.exit_code == 0 and "optviz run --fn ravine --opt adam --lr 0.16" in result.output


def test_show_prints_the_function_and_writes_a_preview(tmp_path):
    out = tmp_path / "h.png"
    result = invoke("show", "himmelblau", "--out", str(out), "--size", "320x240")
    assert result.exit_code == 0, result.output
    for words in ("formula", "global minimum", "(3.000000, 2.000000)", "window"):
        assert words in result.output
    import imageio.v3 as iio

    assert iio.imread(out).shape[:2] == (240, 320)


def test_show_without_preview_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("show", "ravine(angle=30)", "--no-preview")
    assert result.exit_code == 0 and "angle=30 (default 0)" in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["show", "ravin"], "did you mean"),
        (["show", "bowl", "--out", "b.gif"], "preview is a picture"),
        (["show", "square", "--view", "surface"], "needs a 2-D function"),
    ],
)
def test_show_bad_input(tmp_path, monkeypatch, args, words):
    monkeypatch.chdir(tmp_path)
    result = invoke(*args)
    assert result.exit_code == 2 and words in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["run", "--help"], ["list", "functions"], ["show", "rosenbrock", "--no-preview"], ["sweep", "--help"]],
)
def test_commands_that_draw_nothing_do_not_import_matplotlib(argv):
    """Fast start-up: matplotlib and imageio are imported only when something is drawn."""
    import subprocess
    import sys

    code = (
        "import sys; from optviz.cli import main; main(sys.argv[1:]); "
        "heavy = [m for m in ('matplotlib', 'imageio') if m in sys.modules]; "
        "sys.exit(3 if heavy else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True)
    assert result.returncode == 0, (result.returncode, result.stderr[-500:])
