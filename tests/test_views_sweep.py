"""view: configs: a stability map, basins or an lr scan from YAML, checked line by line like any
sweep, drawn as on the command line, and part of the gallery."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from optviz import sweep
from optviz.cli import app
from optviz.errors import ConfigError
from optviz.sweep.views import ViewFigure

STABILITY = """\
# the lesson
view: stability
fn: ravine
marks: ["sgd(momentum=0.5),lr=0.6"]
resolution: 40
render: {size: 320x180}
out: "{name}.png"
"""


def test_a_view_config_is_one_file_drawn_like_the_command_line(tmp_path):
    plan = sweep.loads(STABILITY, base_dir=tmp_path, name="map")
    (figure,) = plan.figures
    assert isinstance(figure, ViewFigure) and figure.out == tmp_path / "map.png" and figure.fn == "ravine"
    assert plan.lesson == "the lesson"
    outcome = sweep.execute(plan.figures)
    assert not outcome.failures
    rows = outcome.results[0].rows
    assert rows[0][0].startswith("fastest momentum: lr 0.6679") and rows[0][1] == pytest.approx(0.6345, abs=1e-4)
    result = CliRunner().invoke(
        app,
        [
            *"stability --fn ravine --mark sgd(momentum=0.5),lr=0.6 --resolution 40 --size 320x180".split(),
            "--out",
            str(tmp_path / "cli.png"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "cli.png").read_bytes() == (tmp_path / "map.png").read_bytes()


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (
            "view: basins\ngird: 20\nout: a.png\n",
            "c.yaml:2: gird: unknown key 'gird' for view basins; did you mean 'grid'?",
        ),
        ("view: stability\nfn: himmelblau\nout: a.png\n", "c.yaml:2: fn: himmelblau is not a quadratic"),
        ("view: stability\nmarks: [adam]\nout: a.png\n", "c.yaml:2: marks: mark 'adam' needs a learning rate"),
        ("view: lr-scan\nlr: 1..0.1\nout: a.png\n", "c.yaml:2: lr: --lr 1..0.1: LO must be below HI"),
        ("view: lr-scan\nnum: 0\nout: a.png\n", "c.yaml:2: num: --num 0 must be a whole number"),
        ("view: basins\nsteps: 0\nout: a.png\n", "c.yaml:2: steps: steps=0 must be a whole number"),
        ("view: basins\nopt: [gd, adamm]\nout: a.png\n", "c.yaml:2: opt: unknown optimizer 'adamm'"),
        ("view: basins\ngrid: 1000\nsteps: 5000\nout: a.png\n", "would record"),
        ("view: basins\nrender: {size: huge}\nout: a.png\n", "c.yaml:2: render.size: --size 'huge' is not a size"),
        ("view: basins\nrender: {frames: 3}\nout: a.png\n", "c.yaml:2: render.frames: unknown key 'frames'"),
        ("view: basins\nout: a.gif\n", "unknown suffix '.gif'; use one of .png, .svg, .pdf"),
        ("view: basins\nout: '{fn}.png'\n", "c.yaml:2: out: a view config makes one file"),
        ("view: basins\nout: ../a.png\n", "c.yaml:2: out: '../a.png' writes"),
        ("view: basins\n", "missing key 'out'"),
        ("view: contour\nout: a.png\n", "c.yaml:1: view: view 'contour' is not one of stability, basins, lr-scan"),
    ],
)
def test_view_config_errors_name_the_line(tmp_path, text, where):
    with pytest.raises(ConfigError) as err:
        sweep.loads(text, source="c.yaml", base_dir=tmp_path)
    assert where in str(err.value) and "\n" not in str(err.value)
    assert list(tmp_path.iterdir()) == []


def test_view_configs_run_in_a_sweep_with_workers_and_a_dry_run(tmp_path):
    (tmp_path / "b.yaml").write_text(
        "# basins\nview: basins\ngrid: 12\nsteps: 40\nopt: [gd, momentum]\nlr: 0.01\npaths: [[0, 0]]\n"
        "render: {size: 320x180, theme: dark}\nout: '{name}.png'\n"
    )
    (tmp_path / "s.yaml").write_text(
        "view: lr-scan\nopt: [gd, adam]\nnum: 6\nsteps: 30\nhyper: {adam.betas: [0.8, 0.99]}\nout: s.svg\n"
    )
    runner = CliRunner()
    dry = runner.invoke(app, ["sweep", str(tmp_path / "b.yaml"), "--dry-run"])
    assert dry.exit_code == 0 and "basins on himmelblau" in dry.output and not (tmp_path / "b.png").exists()
    for config in ("b.yaml", "s.yaml"):
        result = runner.invoke(app, ["sweep", str(tmp_path / config), "--jobs", "2"])
        assert result.exit_code == 0, result.output
    assert (tmp_path / "b.png").stat().st_size > 0 and (tmp_path / "s.svg").read_text().startswith("<?xml")


def test_the_shipped_view_lessons_are_talk_slides():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    views = [c for c in sorted((root / "configs").glob("*.yaml")) if "view:" in c.read_text()]
    assert len(views) >= 3
    kinds = set()
    for config in views:
        (figure,) = sweep.load(config).figures
        kinds.add(figure.view)
        assert figure.render == {"size": "16:9", "preset": "talk"}
    assert kinds == {"stability", "basins", "lr-scan"}
