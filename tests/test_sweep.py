"""Sweeps: expansion, overlays, parallel rendering, failing entries, Ctrl-C, and config errors that
name the file, line and key. Everything is written under tmp_path at tiny sizes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import imageio.v3 as iio
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from optviz import sweep
from optviz.cli import app
from optviz.errors import ConfigError, OptvizError
from optviz.settings import DrawSettings, RunSettings, settings_of

runner = CliRunner()
TINY = "render: {size: 160x90, dpi: 30, frames: 4}\n"


def write(folder, text, name="c.yaml"):
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def files(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_product_expands_in_order_and_dry_run_writes_nothing(tmp_path):
    config = write(
        tmp_path,
        """\
        fn: [ravine, bowl]
        steps: 5
        opt: [gd, {name: adam, betas: [0.9, 0.99]}]
        sweep:
          lr: [0.1, 0.2, 0.3]
        out: "out/{fn}-{opt}-lr{lr}.png"
        """
        + TINY,
    )
    plan = sweep.load(config)
    names = [f.out.name for f in plan.figures]
    assert len(names) == 12 and len(set(names)) == 12
    assert names[:4] == [
        "ravine-gd-lr0.1.png",
        "ravine-gd-lr0.2.png",
        "ravine-gd-lr0.3.png",
        "ravine-adam-betas=0.9_0.99-lr0.1.png",
    ]
    assert all(f.out.parent == tmp_path / "out" for f in plan.figures)  # relative to the config's folder
    result = runner.invoke(app, ["sweep", str(config), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "12 files would be made" in result.output
    assert files(tmp_path) == ["c.yaml"]  # not even the out/ folder


def test_overlay_draws_one_figure_per_remaining_combination(tmp_path):
    plan = sweep.loads(
        "steps: 5\nfn: [ravine, bowl]\nopt: [gd, momentum, adam]\nlr: 0.1\noverlay: opt\nout: '{fn}.png'\n" + TINY,
        base_dir=tmp_path,
    )
    assert [f.out.name for f in plan.figures] == ["ravine.png", "bowl.png"]
    assert [[r.opt for r in f.runs] for f in plan.figures] == [["gd", "momentum", "adam"]] * 2
    assert plan.figures[0].runs[0].kwargs()["lr"] == 0.1


def test_out_dir_and_absolute_paths(tmp_path):
    text = "fn: square\nsteps: 2\nlr: [0.1, 0.2]\nout: 'x/{name}-{index}.png'\n"
    config = write(tmp_path, text, "lesson.yaml")
    assert [f.out for f in sweep.load(config, tmp_path / "slides").figures] == [
        tmp_path / "slides" / "x" / "lesson-01.png",
        tmp_path / "slides" / "x" / "lesson-02.png",
    ]
    absolute = sweep.loads(text.replace("x/", f"{tmp_path}/abs/"), base_dir="/elsewhere", allow_outside=True)
    assert absolute.figures[0].out.parent == tmp_path / "abs"


def test_start_points_schedules_and_hyper(tmp_path):
    plan = sweep.loads(
        """\
        fn: ravine
        opt: [adam, "sgd(momentum=0.5)"]
        lr: 0.3
        start: [[-5, -2], [4, 1]]
        hyper: {adam.betas: [0.8, 0.99], weight_decay: 0.01}
        sweep: {schedule: [null, cosine]}
        overlay: [start, opt]
        render: {title: "{fn} with {schedule}"}
        out: "{schedule}.png"
        """.replace("        ", ""),
        base_dir=tmp_path,
    )
    assert [f.out.name for f in plan.figures] == ["none.png", "cosine.png"]
    assert plan.figures[1].render["title"] == "ravine with cosine"
    runs = plan.figures[1].runs
    assert [(r.opt, r.start) for r in runs] == [
        ("adam", (-5.0, -2.0)),
        ("adam", (4.0, 1.0)),
        ("sgd(momentum=0.5)", (-5.0, -2.0)),
        ("sgd(momentum=0.5)", (4.0, 1.0)),
    ]
    assert dict(runs[0].hyper) == {"adam.betas": (0.8, 0.99), "weight_decay": 0.01}
    assert dict(runs[2].hyper) == {"weight_decay": 0.01}


def test_parallel_sweep_writes_every_file_and_reports_divergence(tmp_path):
    config = write(
        tmp_path,
        """\
        fn: ravine
        steps: 60
        opt: "sgd(momentum=0.5)"
        sweep:
          lr: [0.1, 0.3, 0.6, 10000.0]
        out: "out/m-{lr}.gif"
        """
        + TINY,
    )
    result = runner.invoke(app, ["sweep", str(config), "--jobs", "2"])
    assert result.exit_code == 0, result.output
    assert files(tmp_path) == ["c.yaml", "out/m-0.1.gif", "out/m-0.3.gif", "out/m-0.6.gif", "out/m-10000.gif"]
    assert iio.imread(tmp_path / "out" / "m-0.1.gif", index=None).shape == (4, 90, 160, 3)
    assert "4 of 4 files" in result.output and "step " in result.output  # lr 1e4 overflows: the table says where


def test_a_broken_entry_does_not_stop_the_others(tmp_path):
    # bowl's folder cannot be made (a file is in the way): that entry fails at run time
    (tmp_path / "bowl").write_text("in the way")
    config = write(tmp_path, "fn: [ravine, bowl, booth]\nsteps: 3\nlr: 0.1\nout: '{fn}/x.png'\n" + TINY)
    result = runner.invoke(app, ["sweep", str(config), "--jobs", "2"])
    assert result.exit_code == 1, result.output
    assert "failed:" in result.output and "bowl" in result.output and "1 of 3 failed" in result.output
    assert files(tmp_path) == ["booth/x.png", "bowl", "c.yaml", "ravine/x.png"]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_an_exception_in_one_entry_is_reported_with_the_others_done(tmp_path, monkeypatch, jobs):
    import optviz.render

    real = optviz.render.render

    def fails_for_one(trajectories, fn, out, **kwargs):
        if "0.2" in str(out):
            raise RuntimeError("disk full")
        return real(trajectories, fn, out, **kwargs)

    monkeypatch.setattr(optviz.render, "render", fails_for_one)  # forked workers inherit it
    config = write(tmp_path, "steps: 4\nlr: [0.1, 0.2, 0.3]\nout: 'r-{lr}.png'\n" + TINY)
    result = runner.invoke(app, ["sweep", str(config), "--jobs", jobs])
    assert result.exit_code == 1
    assert "RuntimeError: disk full" in result.output
    assert files(tmp_path) == ["c.yaml", "r-0.1.png", "r-0.3.png"]


def test_ctrl_c_in_a_worker_stops_the_pool_and_exits_130(tmp_path, monkeypatch):
    import optviz.render

    real = optviz.render.render

    def interrupted(trajectories, fn, out, **kwargs):
        if "0.3" in str(out):
            raise KeyboardInterrupt
        return real(trajectories, fn, out, **kwargs)

    monkeypatch.setattr(optviz.render, "render", interrupted)
    config = write(tmp_path, "steps: 4\nlr: [0.1, 0.2, 0.3]\nout: 'r-{lr}.png'\n" + TINY)
    result = runner.invoke(app, ["sweep", str(config), "--jobs", "2"])
    assert result.exit_code == 130, result.output
    assert "interrupted" in result.output
    assert "r-0.3.png" not in files(tmp_path)
    assert not [name for name in files(tmp_path) if "partial" in name]


def test_ctrl_c_from_the_terminal_keeps_finished_files_and_leaves_no_partial_one(tmp_path):
    """A real SIGINT to the process group, as a terminal sends it, in the middle of a parallel sweep."""
    config = write(
        tmp_path,
        "steps: 40\nlr: [0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.1, 0.11, 0.12, 0.13, 0.14, 0.15, 0.16]\nout: 'r-{index}.gif'\nrender: {size: 320x180, frames: 40}\n",
    )
    command = [
        sys.executable,
        "-c",
        "from optviz.cli import main; raise SystemExit(main())",
        "sweep",
        str(config),
        "--jobs",
        "2",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob("r-*.gif")) and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err.decode()
    assert "interrupted" in err.decode() and "Traceback" not in err.decode()
    made = [p.name for p in tmp_path.iterdir() if p.suffix == ".gif"]
    assert 1 <= len(made) < 16
    assert not [p for p in tmp_path.iterdir() if "partial" in p.name]
    for name in made:  # every file that is there is complete
        assert len(iio.imread(tmp_path / name, index=None)) == 40


# ---------------------------------------------------------------------------------------- errors

# (config text, expected start of the message after the file name); every one is caught before
# anything runs, names its line and key, and is one line
BAD_CONFIGS = [
    ("fn: ravine\nlr: 0.1\nsped: 3\nout: a.png\n", ":3: sped: unknown key 'sped'; did you mean 'seed'?"),
    ("fn: ravine\nsteps: many\nout: a.png\n", ":2: steps: steps='many' must be a whole number from 1 to 1000000"),
    ("steps: '20'\nout: a.png\n", ":1: steps: steps='20' must be a whole number"),  # text is not silently 20
    ("lr: true\nout: a.png\n", ":1: lr: invalid learning rate lr=True: it must be a finite number > 0"),
    ("out: a.png\nrender:\n  sise: 100x100\n", ":3: render.sise: unknown key 'sise'; did you mean 'size'?"),
    ("frames: 20\nout: a.png\n", ":1: frames: unknown key 'frames' (it goes under render:)"),
    ("fn: [ravine\nout: a.png\n", ":2: YAML syntax error"),
    ("fn: ravine\n  lr: 0.1\nout: a.png\n", ":2: YAML syntax error"),
    ("\tfn: ravine\nout: a.png\n", ":1: YAML syntax error"),
    ("- just\n- a list\n", ":1: a config is a mapping"),
    ("", ":1: a config is a mapping of keys such as fn, opt, lr, out; found nothing"),
    ("fn: ravine\n", ":1: out: missing key 'out'"),
    ("fn: ravine\nfn: bowl\nout: a.png\n", ":2: key 'fn' is given twice (first on line 1)"),
    ("fn: !!python/object/apply:os.system ['echo hi']\nout: a.png\n", ":1: the tag"),
    ("out: a.png\nsweep:\n  lr: []\n", ":3: sweep.lr: an empty list"),
    ("out: a.png\nsweep: {}\n", ":2: sweep: an empty sweep"),
    ("out: a.png\nsweep:\n  colour: [1, 2]\n", ":3: sweep.colour: unknown key 'colour'"),
    ("out: a.png\nsweep:\n  lr: 0.4\n", ":3: sweep.lr: sweep values are lists"),
    ("lr: [0.1, 0.2]\nout: 'a-{rate}.png'\n", ":2: out: unknown template field 'rate'"),
    ("lr: [0.1, 0.2]\nout: '{lr:.2f}.png'\n", ":2: out: write plain {lr}"),
    ("lr: [0.1, 0.2]\nout: 'a{.png'\n", ":2: out: cannot read the template"),
    (
        "fn: ravine\nlr: [0.1, 0.2]\nout: a.png\n",
        ":3: out: two outputs map to the same file 'a.png' (lr=0.1 and lr=0.2); add {lr}",
    ),
    ("opt: [gd, adam]\noverlay: opt\nout: 'a-{opt}.png'\n", ":3: out: {opt} is overlaid"),
    ("fn: [ravine, bowl]\noverlay: fn\nout: a.png\n", ":2: overlay: cannot overlay fn"),
    ("overlay: [lr, lrr]\nout: a.png\n", ":1: overlay[1]: unknown overlay axis 'lrr': did you mean 'lr'?"),
    ("lr: 0.1\nsweep:\n  lr: [0.2, 0.3]\nout: 'a{lr}.png'\n", ":3: sweep.lr: lr is also given at the top (line 1)"),
    ("fn:\n  - ravine\n  - ravin\nout: '{fn}.png'\n", ":3: fn[1]: unknown function 'ravin': did you mean 'ravine'"),
    (
        "out: 'a{lr}.png'\nsweep:\n  lr: [0.1, -1]\n",
        ":3: sweep.lr[1]: invalid learning rate lr=-1: it must be a finite number > 0",
    ),
    ("opt: {lr: 0.1}\nout: a.png\n", ":1: opt: an optimizer mapping needs a name"),
    (
        "opt:\n- gd\n- {name: adam, betas: [0.9, 1.5]}\nout: 'a{opt}.png'\n",
        ":3: opt[1]: adam(betas=(0.9, 1.5)): invalid beta2",
    ),
    ("opt: 'sgd(momentum=0.9, nesterov=true, dampening=0.1)'\nout: a.png\n", ":1: opt: "),
    ("opt: 'adam(lr=0.1'\nout: a.png\n", ":1: opt: cannot read 'adam(lr=0.1'"),
    ("opt: 'adam(lr=0.1)'\nlr: [0.1, 0.2]\nout: '{lr}.png'\n", ":1: opt: 'adam(lr=0.1)' names its own lr"),
    ("opt: adam\nhyper: {momentum: 0.9}\nout: a.png\n", ":1: opt: unknown hyperparameter of adam 'momentum'"),
    (
        "hyper:\n  adam.betas: [0.8, 0.9]\nout: a.png\n",
        ":2: hyper.adam.betas: -p adam.KEY names an optimizer that is not being run; use one of gd",
    ),
    ("out: a.png\nrender: {size: huge}\n", ":2: render.size: --size 'huge' is not a size"),
    ("out: a.png\nrender:\n  theme: drak\n", ":3: render.theme: unknown theme 'drak': did you mean 'dark'?"),
    ("out: a.png\nrender:\n  frames: 1\n", ":3: render.frames: --frames 1 must be a whole number from 2"),
    ("fn: square\nrender: {view: surface}\nout: a.png\n", ":2: render.view: view surface needs a 2-D function"),
    ("out: a.bmp\n", ":1: out: 'a.bmp' has an unknown suffix '.bmp'"),
    ("steps: 0\nout: a.png\n", ":1: steps: steps=0 must be a whole number from 1 to 1000000"),
    (
        "schedule: cosin\nout: a.png\n",
        ":1: schedule: unknown schedule 'cosin': did you mean 'cosine' or 'cosine_restarts'?",
    ),
    ("start: [1, 2, 3]\nout: a.png\n", ":1: start: start point ("),
    ("start: [a, b]\nout: a.png\n", ":1: start: a start point is a list of numbers"),
    ("fn: square\nbatch_size: 2\nout: a.png\n", ":2: batch_size: batch_size needs a data loss"),
    ("noise: .inf\nout: a.png\n", ":1: noise: noise=inf must be a finite number >= 0"),
    ("seed: -1\nout: a.png\n", ":1: seed: seed=-1 must be a whole number >= 0"),
    ("a: &a [*a]\nout: x.png\n", ": the config expands to more than"),
]


@pytest.mark.parametrize(("text", "expected"), BAD_CONFIGS, ids=[e for _, e in BAD_CONFIGS])
def test_bad_configs_name_the_file_line_and_key(tmp_path, text, expected):
    config = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        sweep.load(config)
    message = str(info.value)
    assert message.startswith(f"{config}{expected}"), message
    assert "\n" not in message
    result = runner.invoke(app, ["sweep", str(config)])
    assert result.exit_code == 2
    assert result.output.startswith("error: ") and "Traceback" not in result.output
    assert files(tmp_path) == ["c.yaml"]  # nothing ran, nothing written


def test_unreadable_configs_are_config_errors(tmp_path):
    for path, words in [
        (tmp_path / "missing.yaml", "no such config file"),
        (tmp_path, "is a folder"),
    ]:
        with pytest.raises(ConfigError, match=words):
            sweep.load(path)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("# caf\xe9\nout: a.png\n".encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        sweep.load(latin)


def test_yaml_conveniences():
    plan = sweep.loads("lr: 1e-2\nnoise: 1E-1\nrender: {size: 16:9}\nout: a.png\n")
    run = plan.figures[0].runs[0]
    assert (run.lr, run.noise, plan.figures[0].render["size"]) == (0.01, 0.1, "16:9")


def test_lesson_line_comes_from_the_first_comment():
    assert sweep.loads("# momentum damps the zig-zag\nout: a.png\n").lesson == "momentum damps the zig-zag"
    assert sweep.loads("description: words\nout: a.png\n").lesson == "words"


# ------------------------------------------------------------------- one field, every entry point

#: a value each record refuses (the sweep must give the record's own message, at the key's line)
RUN_BAD = {
    "fn": "nonsense",
    "hyper": {"1x": 1},
    "opt": "nonsense",
    "lr": -1,
    "steps": 0,
    "start": [1, 2, 3],
    "schedule": "nonsense",
    "clip_norm": -1,
    "clip_value": -1,
    "noise": -1,
    "batch_size": 2,  # ravine has no samples
    "seed": -1,
    "record_every": 0,
    "record_dtype": "float16",
}
DRAW_BAD = {
    "panels": "nonsense",
    "show": "nonsense",
    "show_at": "nonsense",
    "view": "nonsense",
    "size": "nonsense",
    "theme": "nonsense",
    "preset": "nonsense",
    "text_scale": -1,
    "dpi": -1,
    "frames": 1,
    "fps": 0,
    "hold": -1,
    "title": 5,
    "labels": 5,
    "finals": "nonsense",
    "xlim": "nonsense",
    "ylim": [1],
    "font": 5,
    "lang": "nonsense",
}


def as_yaml(value):
    """A record's default as YAML writes it."""
    return list(value) if isinstance(value, tuple) else value


def record_message(record, name, value):
    with pytest.raises(OptvizError) as info:
        record(**{name: value})
    assert info.value.setting == name
    return str(info.value)


def sweep_message(text):
    with pytest.raises(ConfigError) as info:
        sweep.loads(textwrap.dedent(text), source="c.yaml")
    return str(info.value)


def test_the_schema_is_made_from_the_records():
    from optviz.sweep.schema import RenderConfig, SweepAxes, SweepConfig

    assert list(RenderConfig.model_fields) == list(settings_of(DrawSettings))
    assert set(settings_of(RunSettings)) <= set(SweepConfig.model_fields)
    assert set(SweepAxes.model_fields) == set(sweep.AXES) == set(settings_of(RunSettings)) - {"hyper"}
    assert set(RUN_BAD) == set(settings_of(RunSettings)) and set(DRAW_BAD) == set(settings_of(DrawSettings))


@pytest.mark.parametrize("name", list(settings_of(RunSettings)))
def test_every_run_field_is_a_key_checked_by_its_record(name):
    default = settings_of(RunSettings)[name][0]
    plan = sweep.loads(yaml.safe_dump({name: as_yaml(default), "out": "a.png"}))
    assert plan.figures[0].runs[0].settings == RunSettings()
    message = record_message(RunSettings, name, RUN_BAD[name])
    top = yaml.safe_dump({name: RUN_BAD[name]})
    assert sweep_message(f"out: '{{index}}.png'\n# the lesson\n{top}") == f"c.yaml:3: {name}: {message}"
    if name in sweep.AXES:  # the same value as the second item of an axis
        axis = yaml.safe_dump([as_yaml(default), RUN_BAD[name]], default_flow_style=True)
        text = f"out: '{{index}}.png'\nsweep:\n  {name}: {axis}"
        assert sweep_message(text) == f"c.yaml:3: sweep.{name}[1]: {message}"


@pytest.mark.parametrize("name", list(settings_of(DrawSettings)))
def test_every_draw_field_is_a_render_key_checked_by_its_record(name):
    default = as_yaml(settings_of(DrawSettings)[name][0])
    plan = sweep.loads(yaml.safe_dump({"render": {name: default}, "out": "a.png"}))
    assert plan.figures[0].render == {name: default}
    message = record_message(DrawSettings, name, DRAW_BAD[name])
    bad = yaml.safe_dump(DRAW_BAD[name], default_flow_style=True).removesuffix("\n...\n").strip()
    text = f"out: a.png\nrender:\n  # how it is drawn\n  {name}: {bad}\n"
    assert sweep_message(text) == f"c.yaml:4: render.{name}: {message}"


def test_runs_carry_their_records_and_cross_to_worker_processes():
    import pickle

    plan = sweep.loads("fn: square\nopt: [adam, 'sgd(lr=0.2)']\nstart: 3\noverlay: opt\nout: a.png\n")
    adam, sgd = plan.figures[0].runs
    assert (adam.label, sgd.label) == ("adam, lr=0.001", "sgd(lr=0.2)")  # the default lr is the optimizer's
    assert adam.settings.fn.dim == 1 and adam.start == (3.0,)
    copy = pickle.loads(pickle.dumps(adam))  # the record is made again on the other side
    assert copy == adam and copy.settings == adam.settings and copy.label == adam.label


# ------------------------------------------------------------------------------------ properties

KEYS = ["fn", "opt", "lr", "steps", "start", "schedule", "noise", "seed", "sweep", "overlay", "out", "render", "hyper"]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 1000),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.sampled_from(["ravine", "square", "adam", "gd", "cosine", "x.png", "{lr}.gif", "lr", "opt", "16:9"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from([*KEYS, "name", "x"]), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=7))
def test_arbitrary_documents_load_or_raise_optviz_errors(document):
    try:
        plan = sweep.loads(yaml.safe_dump(document), base_dir="/nonexistent-optviz-test")
    except OptvizError:
        return
    assert plan.figures


YAMLISH = st.lists(
    st.sampled_from(
        [
            "fn",
            "opt",
            "lr",
            "out",
            "sweep",
            "render",
            "overlay",
            ":",
            " ",
            "\n",
            "  ",
            "- ",
            "[",
            "]",
            "{",
            "}",
            ",",
            "'",
            '"',
            "&a",
            "*a",
            "!!str",
            "!!python/name:os.system",
            "#",
            "0.1",
            "1e-3",
            "-5",
            "x.png",
            "{lr}",
            "ravine",
            "adam",
            "<<",
            "%YAML 1.1",
            "---",
            "...",
            "\t",
            "?",
            "|",
            ">",
            "\x00",
            "é",
        ]
    ),
    max_size=30,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=80), YAMLISH))
def test_arbitrary_text_loads_or_raises_optviz_errors(text):
    try:
        sweep.loads(text)
    except OptvizError:
        pass
