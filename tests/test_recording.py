"""The recorder's shortcuts give the numbers of the plain evaluation, bit for bit.

A large batch takes each recorded point's gradient norm from the gradient the loop computed
(``optviz.engine.LOOP_NORM_VALUES``) and checks finiteness with sums; these tests run the same
batches with the shortcut off (every norm from ``fn.grad`` per block of rows, as small batches do)
and against what the returned arrays themselves say.
"""

from __future__ import annotations

import numpy as np
import pytest

import optviz
from optviz import engine
from optviz.functions import get, names
from optviz.optim import OPTIMIZERS
from optviz.recording import row_norm

#: runs of a large batch: 2 x 2100 coordinates, past LOOP_NORM_VALUES
RUNS = 2100
STEPS = 9


def _starts(fn: str, n: int = RUNS, spread: float = 0.5) -> np.ndarray:
    function = get(fn)
    start = np.asarray(function.start, dtype=float)
    return start + spread * np.random.default_rng(1).normal(size=(n, function.dim))


def _arrays(batch: optviz.TrajectoryBatch) -> tuple[np.ndarray, ...]:
    return batch.points, batch.loss, batch.grad_norm, batch.diverged_at


def _same(a: tuple[np.ndarray, ...], b: tuple[np.ndarray, ...]) -> None:
    for x, y in zip(a, b, strict=True):
        assert x.dtype == y.dtype and x.shape == y.shape
        assert np.array_equal(x, y, equal_nan=True)


def test_the_large_batches_here_take_the_loop_norms():
    assert RUNS * 2 >= engine.LOOP_NORM_VALUES


#: every registry function, one rotated quadratic; options that change what the loop's gradient
#: is (noise and clipping after the norm, minibatches: no loop norm) or how rows are kept
CASES = [
    *((fn, "adam", {}) for fn in [*names(), "ravine(angle=30)"]),
    ("rosenbrock", "momentum", {"clip_norm": 1.0}),
    ("himmelblau", "rmsprop", {"noise": 0.3, "seed": 2, "clip_value": 0.5}),
    ("ravine", "adam", {"record_every": 4}),
    ("ravine", "nadam", {"record_every": 4, "record_dtype": "float32"}),
    ("thermometer", "sgd", {"batch_size": 3, "seed": 4}),
    ("rastrigin", "adam", {"schedule": "plateau"}),
]


@pytest.mark.parametrize(("fn", "opt", "options"), CASES, ids=[f"{c[0]}-{c[1]}-{sorted(c[2])}" for c in CASES])
def test_loop_norms_are_the_per_block_norms(monkeypatch, fn, opt, options):
    run = dict(fn=fn, opt=opt, lr=[0.01, 0.3], steps=STEPS, start=_starts(fn, RUNS // 2), **options)
    shortcut = _arrays(optviz.run_batch(**run))
    monkeypatch.setattr(engine, "LOOP_NORM_VALUES", 10**12)
    _same(shortcut, _arrays(optviz.run_batch(**run)))


@pytest.mark.parametrize("fn", ["ravine", "rosenbrock", "two_layer", "thermometer"])
def test_recorded_norms_are_the_norms_of_the_exact_gradient(fn):
    batch = optviz.run_batch(fn, "adam", lr=0.05, steps=STEPS, start=_starts(fn), noise=0.5, clip_norm=0.1)
    exact = row_norm(get(fn).grad(batch.points))
    assert np.array_equal(batch.grad_norm, exact)


def _first_bad_row(points: np.ndarray, loss: np.ndarray) -> np.ndarray:
    """(N,) the first row of each run whose point or loss is not finite, -1 where none."""
    bad = ~np.isfinite(loss) | ~np.isfinite(points).all(-1)
    return np.where(bad.any(1), bad.argmax(1), -1)


#: lrs that make runs leave the finite numbers at many different steps on the ravine: gd grows
#: by |1 − 4·lr| a step (overflow after 50 to 650 steps)
DIVERGING = {"gd": (1.0, 1e6), "momentum": (1.0, 1e6), "nesterov": (1.0, 1e6)}


@pytest.mark.parametrize("every", [1, 3])
@pytest.mark.parametrize("opt", list(DIVERGING))
def test_divergence_is_found_at_its_row_in_large_batches(opt, every):
    fn = get("ravine")
    lr = np.geomspace(*DIVERGING[opt], RUNS).reshape(-1, 1)
    stepper = OPTIMIZERS[opt].build()
    paths = engine.simulate(fn, stepper, _starts("ravine"), lr, np.ones(200), record_every=every)
    points, loss = paths.points.transpose(2, 0, 1), paths.loss.T
    rows = _first_bad_row(points, loss)
    assert (rows > 0).sum() > 100 and len(set(rows.tolist())) > 20  # diverged, at many steps
    at = np.arange(points.shape[1]) if paths.steps_at is None else paths.steps_at
    assert np.array_equal(paths.diverged_at, np.where(rows < 0, -1, at[rows]))


def test_a_loss_that_overflows_at_finite_points_is_divergence():
    """rosenbrock at x1 = 1e100: the loss is inf while the point stays finite (clipped steps)."""
    fn = get("rosenbrock")
    starts = _starts("rosenbrock", RUNS)
    starts[::7, 0] = 1e100
    paths = engine.simulate(fn, OPTIMIZERS["gd"].build(), starts, 1e-3, np.ones(10), clip_norm=1.0)
    assert np.isfinite(paths.points).all()
    expected = np.full(RUNS, -1)
    expected[::7] = 0
    assert np.array_equal(paths.diverged_at, expected)


def test_a_sum_that_overflows_falls_back_to_the_exact_check():
    """Finite losses near the float64 maximum sum to inf: nothing diverged."""
    fn = get("ravine(a=1, b=1)")
    starts = np.zeros((RUNS, 2))
    starts[:, 0] = 1.2e154  # loss 1.44e308 each: finite, their sum is not
    paths = engine.simulate(fn, OPTIMIZERS["gd"].build(), starts, 0.0, np.ones(3))
    with np.errstate(over="ignore"):
        assert np.isfinite(paths.loss).all() and not np.isfinite(paths.loss.sum())
    assert (paths.diverged_at == -1).all()


#: every registry function with its defaults, and the parameterised forms with other code paths
EVERY_FUNCTION = [*names(), "ravine(angle=30)", "bowl", "thermometer(scale=0.1)", "rosenbrock(a=2, b=5)"]


def test_the_functions_that_share_work_between_value_and_gradient_have_one_pass():
    shared = {name for name in EVERY_FUNCTION if get(name).value_and_grad is not None}
    assert {"ravine(angle=30)", "rosenbrock", "thermometer"} <= shared


@pytest.mark.parametrize("name", EVERY_FUNCTION)
def test_value_and_gradient_in_one_pass_are_f_and_grad_bit_for_bit(name):
    fn = get(name)
    rng = np.random.default_rng(5)
    batch = np.asfortranarray(np.asarray(fn.start) + 3 * rng.normal(size=(500, fn.dim)))  # the loop's layout
    rows = np.ascontiguousarray(batch.T.reshape(fn.dim, 5, 100).transpose(1, 0, 2)).transpose(0, 2, 1)  # a block's
    for x in (batch, rows, batch[0], np.array([[1e200] * fn.dim, [np.nan] * fn.dim])):
        with np.errstate(all="ignore"):
            value, grad = fn.loss_and_grad(x)
            assert np.array_equal(value, fn.f(x), equal_nan=True)
            assert np.array_equal(grad, fn.grad(x), equal_nan=True)
