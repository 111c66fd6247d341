"""Limits (issue 10): input that never ends, work beyond the budget, and paths outside the output
folder. Each test is a table of attacks of one class; more attacks of a class are more rows."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import optviz
from optviz import engine, gallery, schedules, spec, sweep
from optviz.cli import app
from optviz.errors import ConfigError, HyperparameterError, OutputError

runner = CliRunner()
TINY = "render: {size: 160x90, dpi: 30, frames: 4}\n"
#: a refused command must not have grown past this (the attacks reached 15 GB)
MAX_RSS_BYTES = 600e6


def optviz_process(args, *, stdin=None, timeout=10.0):
    """Run ``python -m optviz ARGS``; return its exit code, stderr and peak memory (bytes).

    Killed (and the test failed) if it takes over ``timeout`` seconds: Ctrl-C would have had to stop it.
    """
    with (
        open(os.devnull, "wb") as devnull,
        subprocess.Popen(
            [sys.executable, "-m", "optviz", *map(str, args)],
            stdin=stdin if stdin is not None else subprocess.DEVNULL,
            stdout=devnull,
            stderr=subprocess.PIPE,
        ) as process,
    ):
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                process.kill()
                process.wait()
                pytest.fail(f"optviz {' '.join(map(str, args))} ran for over {timeout} s")
            time.sleep(0.02)
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        return process.returncode, process.stderr.read().decode(), usage.ru_maxrss * 1024


def _fifo_fed_forever(tmp_path):
    fifo = tmp_path / "endless.yaml"
    os.mkfifo(fifo)
    # the writer blocks until optviz opens the FIFO, and dies of SIGPIPE once it closes it
    writer = subprocess.Popen(["sh", "-c", f"yes 'lr: 0.1' > '{fifo}'"], stderr=subprocess.DEVNULL)
    return [fifo], None, writer


def _pipe_on_stdin(tmp_path):
    writer = subprocess.Popen(["yes", "lr: 0.1"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return ["/dev/stdin"], writer.stdout, writer


def _socket_file(tmp_path):
    path = tmp_path / "s.yaml"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    return [path], None, server


def _sparse_giant(tmp_path):
    path = tmp_path / "giant.yaml"
    with open(path, "wb") as fh:
        fh.truncate(20 * 2**30)  # 20 GB that take no disk
    return [path], None, None


def _proc_file(tmp_path):
    return ["/proc/self/environ"], None, None  # says it has 0 bytes; read, then refused as YAML


ENDLESS = [
    ("dev-zero", lambda tmp_path: (["/dev/zero"], None, None), "/dev/zero is a device, not a file"),
    ("dev-urandom", lambda tmp_path: (["/dev/urandom"], None, None), "is a device, not a file"),
    ("fifo-fed-forever", _fifo_fed_forever, "is over 1000 kB"),
    ("pipe-on-stdin", _pipe_on_stdin, "is over 1000 kB"),
    ("socket", _socket_file, "is a socket, not a file"),
    ("sparse-20-GB", _sparse_giant, "is over 1000 kB"),
    ("proc-size-0", _proc_file, "/proc/self/environ"),
]


@pytest.mark.skipif(not hasattr(os, "mkfifo") or not Path("/dev/zero").exists(), reason="needs a POSIX system")
@pytest.mark.parametrize(("make", "words"), [row[1:] for row in ENDLESS], ids=[row[0] for row in ENDLESS])
def test_input_that_never_ends_is_refused_quickly_in_one_line(tmp_path, make, words):
    args, stdin, other = make(tmp_path)
    try:
        code, err, rss = optviz_process(["sweep", *args], stdin=stdin)
    finally:
        if isinstance(other, subprocess.Popen):
            other.kill()
            other.wait()
        elif other is not None:
            other.close()
    assert code == 2, err
    assert err.startswith("error: ") and words in err and err.count("\n") == 1, err
    assert rss < MAX_RSS_BYTES, f"{rss / 1e6:.0f} MB"
    if stdin is None and not isinstance(other, subprocess.Popen):  # a path: the API says the same
        with pytest.raises(ConfigError) as info:
            sweep.load(args[0])
        assert words in str(info.value)


# ------------------------------------------------------------------------------------- the budget

LRS = [round(0.001 * (i + 1), 6) for i in range(500)]
GRID = np.stack(np.meshgrid(np.linspace(-2, 2, 200), np.linspace(-2, 2, 200)), -1).reshape(-1, 2)
SWEEP_300_OVERLAID = f"fn: ravine\nsteps: 1000000\nsweep:\n  lr: {LRS[:300]}\noverlay: lr\nout: x.gif\n"
#: 200 files of 2 runs each: small alone, 12.8 GB together
SWEEP_200_FILES = f"fn: ravine\nsteps: 1000000\nopt: [gd, adam]\nlr: {LRS[:200]}\noverlay: opt\nout: '{{lr}}.png'\n"

BUDGET = [
    (
        "run_batch-500-lrs",
        lambda: optviz.run_batch("ravine", "gd", lr=LRS, steps=1_000_000),
        HyperparameterError,
        "500 runs of 1000000 steps would record 16.0 GB of paths (about",
    ),
    (
        "run_batch-grid",
        lambda: optviz.run_batch("himmelblau", "adam", lr=0.1, steps=100_000, start=GRID),
        HyperparameterError,
        "40000 runs of 100000 steps would record 128.0 GB",
    ),
    (
        "run_batch-two-rules",  # several update rules: the batch and a group are held at once
        lambda: optviz.run_batch("ravine", ["gd", "adam"], lr=LRS[:100], steps=1_000_000),
        HyperparameterError,
        "200 runs of 1000000 steps would record 9.6 GB",
    ),
    (
        "run-cli",
        lambda: _cli(["run", *(f"--lr={lr}" for lr in LRS), "--steps", "1000000"]),
        SystemExit,
        "error: 500 runs of 1000000 steps would record 16.0 GB of paths",
    ),
    (
        "sweep-overlay",
        lambda: sweep.loads(SWEEP_300_OVERLAID, source="c.yaml"),
        ConfigError,
        "c.yaml:2: steps: the sweep's 300 runs would record 9.6 GB of paths (about",
    ),
    (
        "sweep-many-files",
        lambda: sweep.loads(SWEEP_200_FILES, source="c.yaml"),
        ConfigError,
        "c.yaml:2: steps: the sweep's 400 runs would record 12.8 GB",
    ),
]


def _cli(args):
    result = runner.invoke(app, args)
    raise SystemExit(result.output)


@pytest.mark.parametrize(("attack", "error", "words"), [row[1:] for row in BUDGET], ids=[row[0] for row in BUDGET])
def test_work_beyond_the_budget_is_refused_before_anything_is_allocated(monkeypatch, attack, error, words):
    def refuse(*args, **kwargs):
        raise AssertionError("simulate() was called: the budget was not checked first")

    monkeypatch.setattr(engine, "simulate", refuse)
    with pytest.raises(error) as info:
        attack()
    message = str(info.value).strip()
    assert words in message and "the limit is 4.0 GB" in message, message
    assert "fewer" in message or "at most" in message, "the message says the fix"
    assert "\n" not in message


def test_work_within_the_budget_runs():
    # 124 runs of 1e6 steps fit (the first fix the message above offers), with room to spare
    assert engine.record_bytes(1_000_000, 124, 2) <= engine.MAX_RECORD_BYTES
    batch = optviz.run_batch("ravine", ["gd", "adam"], lr=[0.1, 0.2], steps=30, start=GRID[:3])
    assert batch.points.shape == (12, 31, 2)
    alone = [
        optviz.run("ravine", opt, lr=lr, steps=30, start=p)
        for opt in ("gd", "adam")
        for lr in (0.1, 0.2)
        for p in GRID[:3]
    ]
    assert all(np.array_equal(batch[i].points, run.points) for i, run in enumerate(alone))


def _capture_jobs(monkeypatch):
    seen = []

    def execute(figures, jobs=1, on_result=None):
        seen.append(jobs)
        return sweep.Outcome(())

    monkeypatch.setattr(sweep.runner, "execute", execute)
    return seen


JOBS = [
    ("sweep", lambda tmp_path: ["sweep", _config(tmp_path), "--jobs", "1000000"]),
    (
        "gallery",
        lambda tmp_path: ["gallery", "--configs", _config(tmp_path).parent, "--out", tmp_path / "g", "-j", "999"],
    ),
]


def _config(tmp_path):
    folder = tmp_path / "configs"
    folder.mkdir(exist_ok=True)
    (folder / "c.yaml").write_text("fn: square\nsteps: 3\nlr: [0.1, 0.2]\nout: '{lr}.png'\n" + TINY)
    return folder / "c.yaml"


@pytest.mark.parametrize("args", [row[1] for row in JOBS], ids=[row[0] for row in JOBS])
def test_jobs_are_capped_at_the_cpus_with_a_note(tmp_path, monkeypatch, args):
    seen = _capture_jobs(monkeypatch)
    result = runner.invoke(app, list(map(str, args(tmp_path))))
    assert result.exit_code == 0, result.output
    assert seen == [sweep.cpu_count()]
    assert f"is more than the {sweep.cpu_count()} CPUs here" in result.output
    sweep.execute([], jobs=10**6)  # the API too
    assert seen[-1] == sweep.cpu_count()


def _line_events(call):
    """Lines of optviz's schedule and spec code run by ``call()``: a count of work that, unlike a
    timing, does not depend on the machine's load."""
    files = {schedules.__file__, spec.__file__}
    count = 0

    def local(frame, event, arg):
        nonlocal count
        count += event == "line"
        return local

    previous = sys.gettrace()
    sys.settrace(lambda frame, event, arg: local if frame.f_code.co_filename in files else None)
    try:
        call()
    finally:
        sys.settrace(previous)
    return count


def test_a_long_schedule_chain_costs_linear_work(monkeypatch):
    chain = "+".join(["warmup(steps=1)"] * 8000) + "+cosine"
    with pytest.raises(optviz.SpecError, match="at most 500 characters"):
        optviz.run("square", "gd", steps=10, schedule=chain)  # refused at once
    monkeypatch.setattr(spec, "MAX_CHARS", 10**6)  # past the limit: still linear in the chain's length

    def work(n):
        text = "+".join(["warmup(steps=1)"] * n) + "+cosine"
        return _line_events(lambda: schedules.multipliers(schedules.parse(text, 2 * n), 2 * n))

    small, large = work(500), work(2000)
    assert large < 4 * small * 1.25, f"4x the chain took {large / small:.1f}x the work (quadratic: 16x)"


# ------------------------------------------------------------------------------------------ paths


def _outside_folder(tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir(exist_ok=True)
    return outside


def _link_out(tmp_path):
    (tmp_path / "lesson" / "link").symlink_to(_outside_folder(tmp_path), target_is_directory=True)
    return "link/x.png"


OUTSIDE = [
    ("dot-dot", lambda tmp_path: "../x.png"),
    ("deep-dot-dot", lambda tmp_path: "a/../../../x.png"),
    ("absolute", lambda tmp_path: str(_outside_folder(tmp_path) / "x.png")),
    ("home", lambda tmp_path: "~/optviz-test-x.png"),
    ("symlink", _link_out),
    ("template", lambda tmp_path: "../{name}-{lr}.png"),
]
INSIDE = ["x.png", "a/../x.png", "./sub/{lr}.png"]


@pytest.mark.parametrize("make", [row[1] for row in OUTSIDE], ids=[row[0] for row in OUTSIDE])
def test_outputs_stay_in_the_output_folder_unless_allowed(tmp_path, make):
    (tmp_path / "lesson").mkdir()
    out = make(tmp_path)
    text = f"fn: square\nsteps: 3\nlr: 0.1\nout: '{out}'\n" + TINY
    config = tmp_path / "lesson" / "c.yaml"
    config.write_text(text)
    with pytest.raises(ConfigError) as info:
        sweep.load(config)
    message = str(info.value)
    assert message.startswith(f"{config}:4: out: ") and "outside the output folder" in message, message
    assert "--allow-outside" in message and "\n" not in message
    result = runner.invoke(app, ["sweep", str(config), "--dry-run"])
    assert result.exit_code == 2 and "outside the output folder" in result.output
    # allowed: the plan writes where the config says
    plan = sweep.load(config, allow_outside=True)
    assert not plan.figures[0].out.resolve().is_relative_to(config.parent.resolve())
    assert sweep.loads(text, base_dir=config.parent, allow_outside=True).figures
    result = runner.invoke(app, ["sweep", str(config), "--dry-run", "--allow-outside"])
    assert result.exit_code == 0, result.output
    for inside in INSIDE:
        assert sweep.loads(text.replace(f"'{out}'", f"'{inside}'"), base_dir=config.parent).figures


README_CASES = [
    ("foreign", "# My project\n\nDo not lose me.\n", False),
    ("foreign-mentions-optviz", "# optviz gallery\n\nMy own notes.\n", False),
    ("empty", "", False),
    ("own", gallery.MARKER + "\n# optviz gallery\n\nold\n", True),
    ("own-before-the-marker", "# optviz gallery\n\nThe lessons ... `optviz gallery` remakes them all.\n", True),
]


@pytest.mark.parametrize(("text", "replaced"), [row[1:] for row in README_CASES], ids=[row[0] for row in README_CASES])
def test_gallery_replaces_only_a_readme_it_wrote(tmp_path, text, replaced):
    configs = _config(tmp_path).parent
    out = tmp_path / "g"
    out.mkdir()
    (out / "README.md").write_text(text)
    result = runner.invoke(app, ["gallery", "--configs", str(configs), "--out", str(out)])
    readme = (out / "README.md").read_text()
    if replaced:
        assert result.exit_code == 0, result.output
        assert readme.startswith(gallery.MARKER + "\n# optviz gallery\n") and "![c: 0.1.png]" in readme
        assert invoke_twice_is_fine(configs, out)
    else:
        assert result.exit_code == 2, result.output
        assert f"{out / 'README.md'}' was not written by optviz gallery" in result.output
        assert "--out" in result.output and result.output.count("\n") <= 2  # one line, maybe wrapped
        assert readme == text and sorted(p.name for p in out.iterdir()) == ["README.md"]  # nothing rendered


def invoke_twice_is_fine(configs, out):
    return runner.invoke(app, ["gallery", "--configs", str(configs), "--out", str(out)]).exit_code == 0


def test_gallery_refuses_a_readme_that_is_a_link(tmp_path):
    target = tmp_path / "precious.md"
    target.write_text(gallery.MARKER + "\n")
    out = tmp_path / "g"
    out.mkdir()
    (out / "README.md").symlink_to(target)
    with pytest.raises(OutputError, match="a link or a special file"):
        gallery.plan_gallery(_config(tmp_path).parent, out)
    assert target.read_text() == gallery.MARKER + "\n"
