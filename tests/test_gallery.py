"""The gallery: configs rendered into a folder with a README, --only, and the shipped lessons."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

import optviz
from optviz import sweep
from optviz.cli import app

runner = CliRunner()
TINY = "render: {size: 160x90, dpi: 30, frames: 4}\n"
ROOT = Path(__file__).parent.parent


def lessons(tmp_path):
    configs = tmp_path / "configs"
    configs.mkdir()
    (configs / "01-bowl.yaml").write_text(
        "# GD at two rates\nfn: bowl\nsteps: 3\nlr: [0.1, 0.4]\noverlay: lr\nout: '{name}.png'\n" + TINY
    )
    (configs / "02-adam.yaml").write_text(
        textwrap.dedent("""\
        # Adam as a GIF
        description: A longer word about Adam.
        fn: [ravine, bowl]
        opt: adam
        lr: 0.3
        steps: 3
        out: '{name}-{fn}.gif'
        """)
        + TINY
    )
    return configs


def invoke(*args):
    return runner.invoke(app, ["gallery", *map(str, args)])


def test_gallery_renders_every_lesson_and_writes_its_readme(tmp_path):
    configs, out = lessons(tmp_path), tmp_path / "gallery"
    result = invoke("--configs", configs, "--out", out, "--jobs", "2")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "01-bowl.png",
        "02-adam-bowl.gif",
        "02-adam-ravine.gif",
        "README.md",
    ]
    readme = (out / "README.md").read_text()
    for words in (
        "1. [GD at two rates](#bowl)",
        "## bowl",
        "**GD at two rates**",
        "## adam",
        "A longer word about Adam.",
        "![bowl: 01-bowl.png](01-bowl.png)",
        "![adam: 02-adam-ravine.gif](02-adam-ravine.gif)",
        "one config each in [`configs/`](../configs)",
        "run from the folder that holds `gallery/`",
        "optviz sweep configs/02-adam.yaml --out-dir gallery",
    ):
        assert words in readme


def test_the_readme_does_not_depend_on_the_folder_it_was_made_from(tmp_path, monkeypatch):
    configs, out = lessons(tmp_path), tmp_path / "gallery"
    assert invoke("--configs", configs, "--out", out).exit_code == 0  # absolute paths
    absolute = (out / "README.md").read_bytes()
    monkeypatch.chdir(configs)
    assert invoke("--configs", ".", "--out", "../gallery").exit_code == 0
    assert (out / "README.md").read_bytes() == absolute


def test_only_renders_some_and_the_readme_keeps_all(tmp_path):
    configs, out = lessons(tmp_path), tmp_path / "gallery"
    result = invoke("--configs", configs, "--out", out, "--only", "bowl")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["01-bowl.png", "README.md"]
    readme = (out / "README.md").read_text()
    assert "## adam" in readme and "`optviz gallery --only adam`" in readme
    assert invoke("--configs", configs, "--out", out, "--only", "02-adam").exit_code == 0
    assert len(list(out.iterdir())) == 4


def test_gallery_errors(tmp_path):
    configs = lessons(tmp_path)
    missing = invoke("--configs", configs, "--out", tmp_path / "g", "--only", "bowel")
    assert missing.exit_code == 2 and "unknown lesson 'bowel': did you mean 'bowl'" in missing.output
    assert invoke("--configs", tmp_path / "nope", "--out", tmp_path / "g").exit_code == 2
    (configs / "03-clash.yaml").write_text("out: 01-bowl.png\n")
    clash = invoke("--configs", configs, "--out", tmp_path / "g")
    assert clash.exit_code == 2 and "both write '01-bowl.png'" in clash.output
    (configs / "03-clash.yaml").write_text("out: x.png\nsped: 2\n")
    broken = invoke("--configs", configs, "--out", tmp_path / "g")
    assert broken.exit_code == 2 and "03-clash.yaml:2: sped: unknown key" in broken.output
    assert not (tmp_path / "g").exists()  # checked before anything ran


SHIPPED = sorted((ROOT / "configs").glob("*.yaml"))


def test_the_lesson_library_covers_the_chapter():
    assert len(SHIPPED) >= 14


@pytest.mark.parametrize("config", SHIPPED, ids=[c.stem for c in SHIPPED])
def test_each_shipped_lesson_is_valid_and_in_the_gallery(config):
    first = config.read_text().splitlines()[0]
    assert first.startswith("# ") and len(first) < 130, "a one-line lesson comment comes first"
    plan = sweep.load(config, ROOT / "gallery")
    assert plan.figures
    readme = (ROOT / "gallery" / "README.md").read_text()
    for figure in plan.figures:
        assert figure.out.exists(), f"run: optviz gallery --only {config.stem}"
        assert f"]({figure.out.name})" in readme


def test_the_gallery_is_small():
    # every language together (gallery/ and gallery/zh/)
    size = sum(p.stat().st_size for p in (ROOT / "gallery").rglob("*") if p.is_file())
    assert size < 15e6


def test_shipped_thermometer_lesson_reproduces_the_textbook():
    batch = optviz.run_batch("thermometer(scale=0.1)", "gd", lr=0.01, steps=5000, start=(1, 0))
    assert [f"{v:.4f}" for v in batch.final[0]] == ["5.3671", "-17.3012"]
