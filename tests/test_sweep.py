"""Sweeps and the gallery: expansion, parallel rendering, failures, validation errors with lines."""

from __future__ import annotations

import textwrap

import imageio.v3 as iio
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import optviz
from optviz import sweep
from optviz.cli import app
from optviz.errors import ConfigError, OptvizError

runner = CliRunner()
TINY = "render: {size: 160x90, frames: 4}\n"


def write(tmp_path, text, name="c.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_product_expands_and_dry_run_writes_nothing(tmp_path):
    config = write(
        tmp_path,
        """\
        fn: ravine
        steps: 5
        sweep:
          lr: [0.1, 0.2, 0.3]
          opt: [gd, adam]
          fn: [ravine, bowl]
        out: "{fn}-{opt}-lr{lr}.png"
        """
        + TINY,
        "product.yaml",
    )
    config.write_text(config.read_text().replace("fn: ravine\n", "", 1))
    result = runner.invoke(app, ["sweep", str(config), "--dry-run", "--out-dir", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "12 files would be made" in result.output
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_overlay_draws_one_figure_per_remaining_combination(tmp_path):
    config = write(
        tmp_path,
        """\
        steps: 5
        sweep:
          fn: [ravine, bowl]
          opt: [gd, momentum, adam]
        overlay: opt
        out: "{fn}.png"
        """
        + TINY,
    )
    settings_, _ = sweep.load(config)
    figures = sweep.expand(settings_, out_dir=tmp_path)
    assert [f.out.name for f in figures] == ["ravine.png", "bowl.png"]
    assert [len(f.runs) for f in figures] == [3, 3]
    assert [r["opt"] for r in figures[0].runs] == ["gd", "momentum", "adam"]


def test_parallel_sweep_writes_every_file(tmp_path):
    config = write(
        tmp_path,
        """\
        fn: ravine
        steps: 200
        opt: "sgd(momentum=0.5)"
        sweep:
          lr: [0.1, 0.3, 0.6, 10.0]
        out: "out/m-{lr}.gif"
        """
        + TINY,
    )
    result = runner.invoke(app, ["sweep", str(config), "--jobs", "2", "--out-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    outputs = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert outputs == ["m-0.1.gif", "m-0.3.gif", "m-0.6.gif", "m-10.gif"]
    assert iio.imread(tmp_path / "out" / "m-0.1.gif", index=None).shape == (4, 90, 160, 3)
    assert "step " in result.output  # lr 10 diverges: the table says where


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_failing_entry_does_not_stop_the_others(tmp_path, monkeypatch, jobs):
    import optviz.render

    real = optviz.render.render

    def fails_for_one(trajectories, fn, out, **kwargs):
        if "0.2" in str(out):
            raise RuntimeError("disk full")
        return real(trajectories, fn, out, **kwargs)

    monkeypatch.setattr(optviz.render, "render", fails_for_one)  # inherited by forked workers
    config = write(tmp_path, "steps: 4\nsweep: {lr: [0.1, 0.2, 0.3]}\nout: 'r-{lr}.png'\n" + TINY)
    result = runner.invoke(app, ["sweep", str(config), "--jobs", jobs, "--out-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "failed" in result.output and "disk full" in result.output
    assert sorted(p.name for p in tmp_path.glob("*.png")) == ["r-0.1.png", "r-0.3.png"]


BAD_CONFIGS = [
    ("fn: ravine\nlr: 0.1\nsped: 3\nout: a.png\n", "c.yaml:3: sped: unknown key"),
    ("fn: ravine\nsteps: many\nout: a.png\n", "c.yaml:2: steps:"),
    ("fn: ravine\nout: a.png\nrender:\n  sise: 100x100\n", "c.yaml:4: render.sise: unknown key"),
    ("fn: [ravine\nout: a.png\n", "c.yaml:2: YAML syntax error"),
    ("fn: ravine\n  lr: 0.1\nout: a.png\n", "YAML syntax error"),
    ("- just\n- a list\n", "c.yaml:1: a config is a mapping"),
    ("", "found nothing"),
    ("fn: ravine\n", "out: missing"),
    ("sweep:\n  lr: []\nout: a.png\n", "c.yaml:2: sweep.lr: an empty list"),
    ("sweep:\n  colour: [1, 2]\nout: a.png\n", "c.yaml:2: sweep.colour: cannot sweep 'colour'"),
    ("sweep: {lr: [0.1, 0.2]}\nout: 'a-{rate}.png'\n", "c.yaml:2: out: unknown field {rate}"),
    ("sweep: {lr: [0.1, 0.2]}\nout: a.png\n", "two figures map to"),
    ("sweep: {opt: [gd, adam]}\noverlay: opt\nout: 'a-{opt}.png'\n", "{opt} is overlaid"),
    ("overlay: lr\nout: a.png\n", "c.yaml:1: overlay: 'lr' is not swept"),
    ("overlay: fn\nsweep: {fn: [ravine, bowl]}\nout: a.png\n", "cannot overlay 'fn'"),
    ("lr: 0.1\nsweep: {lr: [0.2, 0.3]}\nout: 'a{lr}.png'\n", "sweep.lr: lr is also set at the top"),
    ("sweep: {fn: [ravine, ravin]}\nout: '{fn}.png'\n", "unknown function 'ravin'"),
    ("sweep: {lr: [0.1, -1]}\nout: 'a{lr}.png'\n", "invalid learning rate"),
    ("opt: {lr: 0.1}\nout: a.png\n", "a mapping needs a name"),
    ("opt: {name: adam, betas: [0.9, 1.5]}\nout: a.png\n", "beta2"),
    ("render: {size: huge}\nout: a.png\n", "is not a size"),
    ("out: a.bmp\n", "unknown suffix '.bmp'"),
    ("steps: 0\nout: a.png\n", "steps=0"),
    ("schedule: cosin\nout: a.png\n", "did you mean 'cosine'"),
    ("hyper: {momentum: 0.9}\nopt: adam\nout: a.png\n", "hyperparameter of adam"),
    ("start: [1, 2, 3]\nout: a.png\n", "3 coordinates"),
    ("fn: !!python/object/apply:os.system ['echo hi']\nout: a.png\n", "YAML syntax error"),
]


@pytest.mark.parametrize(("text", "words"), BAD_CONFIGS, ids=[w for _, w in BAD_CONFIGS])
def test_bad_configs_name_the_line_and_key(tmp_path, text, words):
    config = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        settings_, _ = sweep.load(config)
        sweep.expand(settings_, out_dir=tmp_path, source=str(config))
    message = str(info.value)
    assert words in message.replace(str(tmp_path) + "/", "")
    assert "\n" not in message
    result = runner.invoke(app, ["sweep", str(config), "--out-dir", str(tmp_path)])
    assert result.exit_code == 2 and "error:" in result.output and "Traceback" not in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["c.yaml"]  # nothing ran, nothing written


def test_scientific_notation_is_a_number():
    config = sweep.parse("lr: 1e-2\nsweep: {noise: [0, 1e-1]}\noverlay: noise\nout: a.png\n")
    assert config.lr == 0.01 and config.sweep["noise"] == [0, 0.1]


def test_lesson_line_comes_from_the_first_comment(tmp_path):
    config = write(tmp_path, "# momentum damps the zig-zag\nout: a.png\n")
    assert sweep.load(config)[1] == "momentum damps the zig-zag"


KEYS = ["fn", "opt", "lr", "steps", "start", "schedule", "noise", "seed", "sweep", "overlay", "out", "render", "hyper"]
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 1000), st.floats(allow_nan=True), st.text(max_size=12))
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=6))
def test_arbitrary_documents_load_or_raise_optviz_errors(tmp_path_factory, document):
    text = yaml.safe_dump(document)
    try:
        config = sweep.parse(text)
        figures = sweep.expand(config, out_dir=tmp_path_factory.mktemp("out"))
    except OptvizError:
        return
    assert figures


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_arbitrary_text_loads_or_raises_optviz_errors(text):
    try:
        sweep.parse(text)
    except OptvizError:
        pass


def test_gallery_renders_configs_and_writes_its_readme(tmp_path):
    configs = tmp_path / "configs"
    configs.mkdir()
    write(
        configs,
        "# GD at two rates\nfn: bowl\nsteps: 3\nsweep: {lr: [0.1, 0.4]}\noverlay: lr\nout: bowl.png\n" + TINY,
        "bowl.yaml",
    )
    write(configs, "# Adam as a GIF\nfn: ravine\nopt: adam\nlr: 0.3\nsteps: 3\nout: adam.gif\n" + TINY, "adam.yaml")
    out = tmp_path / "gallery"
    result = runner.invoke(app, ["gallery", "--configs", str(configs), "--out", str(out), "--jobs", "2"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "adam.gif", "bowl.png"]
    readme = (out / "README.md").read_text()
    for words in ("## adam", "## bowl", "GD at two rates", "![bowl](bowl.png)", "optviz sweep"):
        assert words in readme
    only = runner.invoke(app, ["gallery", "bowl", "--configs", str(configs), "--out", str(tmp_path / "g2")])
    assert only.exit_code == 0 and sorted(p.name for p in (tmp_path / "g2").iterdir()) == ["README.md", "bowl.png"]
    missing = runner.invoke(app, ["gallery", "bowel", "--configs", str(configs), "--out", str(tmp_path / "g3")])
    assert missing.exit_code == 2 and "did you mean 'bowl'" in missing.output


def test_the_shipped_lessons_are_valid():
    from pathlib import Path

    configs = sorted((Path(__file__).parent.parent / "configs").glob("*.yaml"))
    assert len(configs) >= 13
    for config in configs:
        settings_, lesson = sweep.load(config)
        assert lesson, f"{config.name} needs a one-line lesson comment"
        assert sweep.expand(settings_, name=config.stem, out_dir="/tmp/optviz-test-gallery", source=str(config))


def test_shipped_thermometer_lesson_reproduces_the_textbook():
    batch = optviz.run_batch("thermometer(scale=0.1)", "gd", lr=0.01, steps=5000, start=(1, 0))
    assert [f"{v:.4f}" for v in batch.final[0]] == ["5.3671", "-17.3012"]
