"""The settings records: one field, every entry point (API, CLI, YAML), one check."""

from __future__ import annotations

import dataclasses

import pytest
import typer
from typer.testing import CliRunner

import optviz
from optviz.cli import app
from optviz.errors import HyperparameterError, OptvizError, OutputError, SpecError
from optviz.settings import DrawSettings, RunSettings, settings_of

runner = CliRunner()


def _cli_options(command: str) -> set[str]:
    group = typer.main.get_command(app)
    return {opt for param in group.commands[command].params for opt in param.opts}


@pytest.mark.parametrize("record", [RunSettings, DrawSettings])
def test_every_field_is_an_option_of_run(record):
    options = _cli_options("run")
    for name, (_, meta) in settings_of(record).items():
        flags = meta.flags or (f"--{name.replace('_', '-')}",)
        assert set(flags) <= options, (name, flags)


@pytest.mark.parametrize(
    ("record", "field", "value", "error"),
    [
        (RunSettings, "steps", 0, HyperparameterError),
        (RunSettings, "fn", "ravine(", SpecError),
        (RunSettings, "opt", "adam(betas=(2, 0))", HyperparameterError),
        (RunSettings, "lr", -1.0, HyperparameterError),
        (RunSettings, "start", (1.0, 2.0, 3.0), SpecError),
        (RunSettings, "schedule", "step(step_size=0)", HyperparameterError),
        (RunSettings, "noise", -0.5, HyperparameterError),
        (RunSettings, "seed", -1, HyperparameterError),
        (DrawSettings, "size", "huge", OutputError),
        (DrawSettings, "frames", 1, HyperparameterError),
        (DrawSettings, "title", 5, SpecError),
    ],
)
def test_a_bad_field_names_itself(record, field, value, error):
    with pytest.raises(error) as caught:
        record(**{field: value})
    assert caught.value.setting == field


def test_records_check_again_to_the_same_value():
    """replace() re-runs the checks on checked values: they must pass through unchanged."""
    run = RunSettings(fn="ravine(angle=30)", opt="adam(betas=(0.8, 0.99))", lr=0.1, start="-4,1", schedule="cosine")
    assert dataclasses.replace(run) == run
    draw = DrawSettings(size="160x90", theme="dark", panels="loss,lr")  # default dpi below the typed range
    assert dataclasses.replace(draw) == draw


def test_label_comes_from_the_parsed_spec():
    assert RunSettings(opt="adam(lr=0.1)").label == "adam(lr=0.1)"
    assert RunSettings(opt="adam", lr=0.1).label == "adam, lr=0.1"
    # "lr=" in a name that is not the optimizer's lr does not fool it
    assert (
        RunSettings(opt="sgd(momentum=0.5)", hyper={"weight_decay": 0.1}, lr=0.2).label == "sgd(momentum=0.5), lr=0.2"
    )


def test_title_from_the_api_the_cli_and_yaml_draws_the_same_picture(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    common = {"size": "320x180", "title": "GD zig-zags"}
    traj = optviz.run("ravine", "gd", lr=0.4, steps=10)
    optviz.render.render(traj, "ravine", "api.png", **common)
    optviz.render.render(traj, "ravine", "untitled.png", size="320x180")
    result = runner.invoke(
        app,
        [
            *"run --fn ravine --opt gd --lr 0.4 --steps 10 --out cli.png --size 320x180".split(),
            "--title",
            "GD zig-zags",
        ],
    )
    assert result.exit_code == 0, result.output
    (tmp_path / "c.yaml").write_text(
        "fn: ravine\nopt: gd\nlr: 0.4\nsteps: 10\nout: yaml.png\nrender: {size: 320x180, title: GD zig-zags}\n"
    )
    result = runner.invoke(app, ["sweep", "c.yaml"])
    assert result.exit_code == 0, result.output
    api = (tmp_path / "api.png").read_bytes()
    assert (tmp_path / "cli.png").read_bytes() == api
    assert (tmp_path / "yaml.png").read_bytes() == api
    assert (tmp_path / "untitled.png").read_bytes() != api


def test_cli_and_api_give_the_same_error(tmp_path):
    with pytest.raises(OptvizError) as caught:
        optviz.render.render(optviz.run("ravine", steps=2), "ravine", tmp_path / "x.png", frames=1)
    result = runner.invoke(app, ["run", "--steps", "2", "--out", str(tmp_path / "x.gif"), "--frames", "1"])
    assert result.exit_code == 2
    assert str(caught.value) in " ".join(result.output.split())
