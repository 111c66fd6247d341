"""Strided and float32 recording: the same path, fewer or smaller rows, real step numbers."""

from __future__ import annotations

import numpy as np
import pytest

import optviz
from optviz import api, engine
from optviz.errors import HyperparameterError, OptvizError

STARTS = np.array([[-4.0, -1.5], [1.0, 2.0], [3.0, -2.0]])

#: (function, optimizers, lrs, steps, every, options): single runs (the float path), batches of
#: several update rules, a closure-driven optimizer, schedules with absolute lrs and momentum
CASES = [
    ("ravine", ["adam"], [0.16], 103, 10, {}),
    ("ravine", ["adam"], [0.16], 100, 10, {}),  # the last step is a multiple
    ("rosenbrock", ["momentum", "rmsprop"], [1e-3, 2e-3], 250, 7, {"schedule": "cosine"}),
    ("himmelblau", ["adam", "lbfgs"], None, 40, 3, {}),
    ("ravine", ["sgd"], [0.05, 0.1], 90, 4, {"schedule": "onecycle", "momentum": 0.9}),
    ("ravine", ["adamw"], [0.1], 64, 64, {"schedule": "cyclic(base_lr=0.001, max_lr=0.1, step_size_up=20)"}),
    ("rastrigin", ["nadam"], [0.01], 30, 1000, {"clip_norm": 1.0}),  # only the start and the last step
]


def _batch(fn, opts, lrs, steps, starts, **options):
    if len(opts) == 1 and lrs is not None and len(lrs) == 1 and starts is None:
        return optviz.run(fn, opts[0], lr=lrs[0], steps=steps, **options)
    return optviz.run_batch(fn, opts, lr=lrs, steps=steps, start=starts, **options)


@pytest.mark.parametrize(("fn", "opts", "lrs", "steps", "every", "options"), CASES)
def test_strided_rows_are_the_full_path_at_the_recorded_steps(fn, opts, lrs, steps, every, options):
    starts = None if len(opts) == 1 and lrs and len(lrs) == 1 else STARTS
    full = _batch(fn, opts, lrs, steps, starts, **options)
    strided = _batch(fn, opts, lrs, steps, starts, record_every=every, **options)
    kept = np.unique(np.r_[np.arange(0, steps + 1, every), steps])
    if isinstance(full, optviz.Trajectory):
        assert strided.step.tolist() == kept.tolist() and strided.steps == full.steps == steps
        for name in ("points", "loss", "grad_norm"):
            assert np.array_equal(getattr(strided, name), getattr(full, name)[kept]), name
        assert np.array_equal(strided.lr, full.lr[kept[:-1]])
        return
    assert strided.steps_at.tolist() == kept.tolist()
    assert np.array_equal(strided.points, full.points[:, kept], equal_nan=True)
    assert np.array_equal(strided.loss, full.loss[:, kept], equal_nan=True)
    assert np.array_equal(strided.grad_norm, full.grad_norm[:, kept], equal_nan=True)
    assert np.array_equal(strided.lr, full.lr[:, kept[:-1]], equal_nan=True)
    if full.evaluations is not None:  # evaluations between recorded points, added up
        assert np.array_equal(strided.evaluations, np.add.reduceat(full.evaluations, kept[:-1], axis=1))
    for i in range(len(full)):
        run = strided[i]  # a diverged run keeps its finite rows
        assert np.array_equal(run.step, kept[: len(run.step)]) and np.array_equal(run.points, full.points[i, run.step])
        assert len(run.step) == len(kept) or full.diverged_at[i] >= 0


@pytest.mark.parametrize("every", [1, 6])
def test_float32_is_the_float64_path_rounded(every):
    exact = optviz.run_batch("rosenbrock", ["adam", "gd"], lr=[1e-3], steps=120, start=STARTS, record_every=every)
    small = optviz.run_batch(
        "rosenbrock", ["adam", "gd"], lr=[1e-3], steps=120, start=STARTS, record_every=every, record_dtype="float32"
    )
    assert small.points.dtype == np.float32 and small.loss.dtype == np.float32
    with np.errstate(over="ignore"):  # diverging runs pass float32's range: inf, as kept
        for name in ("points", "loss", "grad_norm"):
            assert np.array_equal(getattr(small, name), getattr(exact, name).astype(np.float32), equal_nan=True), name
    assert (small.diverged_at[exact.diverged_at >= 0] >= 0).all()  # diverged in float64: also as kept
    for i in range(len(small)):
        assert np.isfinite(small[i].points).all() and np.isfinite(small[i].loss).all()


@pytest.mark.parametrize("every", [1, 9, 50])
def test_divergence_is_the_first_recorded_step_that_is_not_finite(every):
    lrs = [0.1, 2.0, 1e3]
    full = optviz.run_batch("ravine", "gd", lr=lrs, steps=200)
    strided = optviz.run_batch("ravine", "gd", lr=lrs, steps=200, record_every=every)
    kept = strided.steps_at if every > 1 else np.arange(201)
    for i in range(len(lrs)):
        at = int(full.diverged_at[i])
        if at < 0:
            assert strided.diverged_at[i] == -1
            continue
        first = int(kept[np.searchsorted(kept, at)])  # the first recorded step at or after the divergence
        assert strided.diverged_at[i] == first
        run = strided[i]
        assert run.diverged_at == first and np.isfinite(run.points).all() and run.step[-1] < first
        assert np.array_equal(run.final, full.points[i, run.step[-1]]) and np.array_equal(strided.final[i], run.final)


@pytest.mark.parametrize("suffix", [".csv", ".json", ".npz"])
def test_exports_keep_the_step_numbers(tmp_path, suffix):
    run = optviz.run("ravine", "adam", lr=0.16, steps=57, record_every=8)
    loaded = optviz.load(run.save(tmp_path / f"run{suffix}"))
    assert loaded.step.tolist() == [0, 8, 16, 24, 32, 40, 48, 56, 57] and loaded.steps == 57
    assert np.array_equal(loaded.points, run.points) and np.array_equal(loaded.lr, run.lr)
    full = optviz.load(optviz.run("ravine", "adam", lr=0.16, steps=5).save(tmp_path / f"full{suffix}"))
    assert full.step_numbers is None and full.step.tolist() == list(range(6))


def test_strided_and_float32_recording_lower_the_budget_estimate():
    steps, runs = 1_000_000, 500
    with pytest.raises(HyperparameterError) as info:
        api.check_budget(steps, [runs], 2)
    message = str(info.value)
    assert "--record-every 5" in message and "--record-dtype float32" in message and "\n" not in message
    api.check_budget(steps, [runs], 2, every=5)  # the fix it offers fits
    api.check_budget(steps, [runs], 2, every=3, itemsize=4)
    for every, itemsize in [(1, 8), (10, 8), (1, 4), (10, 4)]:
        estimate = engine.record_bytes(steps, runs, 2, every=every, itemsize=itemsize)
        rows = len(range(0, steps + 1, every))
        allocated = runs * (rows * 4 * itemsize)  # points (2 coordinates), loss and grad norm
        assert allocated <= estimate <= allocated + runs * 8 * 64


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"record_every": 0}, "record_every=0 must be a whole number from 1"),
        ({"record_every": 2.5}, "record_every=2.5 must be a whole number"),
        ({"record_dtype": "float16"}, "record_dtype='float16' must be one of float64, float32"),
        ({"record_every": 3, "record_state": True}, "record_state keeps every update"),
    ],
)
def test_bad_recording_options_are_one_line_errors(options, words):
    with pytest.raises(OptvizError) as info:
        optviz.run("ravine", "adam", steps=10, **options)
    assert words in str(info.value) and "\n" not in str(info.value)


def test_cli_draws_strided_pictures_and_refuses_strided_animations(tmp_path):
    from typer.testing import CliRunner

    from optviz.cli import app

    runner = CliRunner()
    args = ["run", "--opt", "adam", "--lr", "0.3", "--steps", "300", "--record-every", "25"]
    picture = runner.invoke(app, [*args, "--out", str(tmp_path / "a.png"), "--panels", "loss"])
    assert picture.exit_code == 0 and (tmp_path / "a.png").stat().st_size > 0, picture.output
    animation = runner.invoke(app, [*args, "--out", str(tmp_path / "a.gif")])
    assert animation.exit_code != 0 and not (tmp_path / "a.gif").exists()


def test_a_sweep_counts_its_strided_runs_in_its_budget():
    from optviz import sweep
    from optviz.errors import ConfigError

    lrs = [round(0.001 * (i + 1), 6) for i in range(300)]
    config = f"fn: ravine\nsteps: 1000000\nsweep:\n  lr: {lrs}\noverlay: lr\nout: x.png\n"
    with pytest.raises(ConfigError, match=r"would record 9\.6 GB"):
        sweep.loads(config, source="c.yaml")
    for kept in ("record_every: 10", "record_every: 3\nrecord_dtype: float32"):
        plan = sweep.loads(config.replace("steps: 1000000", f"steps: 1000000\n{kept}"), source="c.yaml")
        assert plan.figures[0].runs[0].settings.record_every in (3, 10)
