"""Same bits everywhere: a run gives the same numbers alone, in any batch, at any row, with any
number of BLAS threads.

A BLAS product (``x @ hessian``) or a layout-dependent reduction (``mean(-1)``) rounds
differently with the batch size on some CPUs (OpenBLAS's AVX-512 kernels fuse multiply-adds for
two rows or more), so these tests compare bit for bit, never within a tolerance.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import optviz
from optviz.functions import get, names
from optviz.optim import OPTIMIZERS

BATCH_SIZES = (1, 2, 3, 7, 64, 1000)
STEPS = 25

#: every registry function with its defaults, plus the parameterised forms lessons use
FUNCTIONS = [*names(), "ravine(angle=30)", "ravine(a=1, b=5, angle=-60)", "thermometer(scale=0.1)"]
#: every optimizer name, plus each flag that switches its code path
OPTIMIZER_SPECS = [
    # lbfgs loops over its runs in Python (its line search sends runs down different branches),
    # about 1 ms a step with a long history: short inner loops keep the 1000-run batches quick
    *(name for name in OPTIMIZERS if name != "lbfgs"),
    "lbfgs(max_iter=3, history_size=5)",
    "lbfgs(max_iter=3, history_size=5, line_search_fn='strong_wolfe')",
    "sgd(momentum=0.9, dampening=0.5, weight_decay=0.1)",
    "adagrad(lr_decay=0.01, eps_root=1e-6)",
    "rmsprop(centered=true, momentum=0.5)",
    "adam(amsgrad=true)",
    "adam(weight_decay=0.1, decoupled_weight_decay=true)",
    "nadam(decoupled_weight_decay=true, weight_decay=0.1)",
]


def _rows_for(n: int) -> list[int]:
    """Where the run under test sits in a batch of ``n``: first, middle and last."""
    return sorted({0, n // 2, n - 1})


def _batch_starts(fn, n: int, rows: list[int], start: np.ndarray) -> np.ndarray:
    """``n`` start points near ``fn``'s own, with ``start`` at ``rows``."""
    rng = np.random.default_rng(n)
    center = np.asarray(fn.start, dtype=float)
    spread = np.array([hi - lo for lo, hi in fn.window]) * 0.05
    starts = center + spread * rng.uniform(-1, 1, size=(n, fn.dim))
    starts[rows] = start
    return starts


def _assert_same_bits(batch_run, single, message):
    np.testing.assert_array_equal(batch_run.points, single.points, err_msg=message)
    np.testing.assert_array_equal(batch_run.loss, single.loss, err_msg=message)
    np.testing.assert_array_equal(batch_run.grad_norm, single.grad_norm, err_msg=message)


@pytest.mark.parametrize("spec", FUNCTIONS)
def test_function_values_do_not_depend_on_the_batch(spec):
    """f and grad of one point, alone and at every row of (N, D) batches and (H, W, D) grids."""
    fn = get(spec)
    point = np.asarray(fn.start, dtype=float) + 0.123
    alone_f, alone_g = fn.f(point[None])[0], fn.grad(point[None])[0]
    for n in BATCH_SIZES:
        rows = _rows_for(n)
        batch = _batch_starts(fn, n, rows, point)
        for layout in (np.ascontiguousarray(batch), np.asfortranarray(batch)):
            values, grads = fn.f(layout), fn.grad(layout)
            for row in rows:
                assert values[row] == alone_f, (spec, n, row)
                np.testing.assert_array_equal(grads[row], alone_g, err_msg=f"{spec} n={n} row={row}")
    grid = np.broadcast_to(point, (5, 7, fn.dim)).copy()
    assert (fn.f(grid) == alone_f).all(), spec
    assert (fn.grad(grid) == alone_g).all(), spec


@pytest.mark.parametrize("spec", FUNCTIONS)
def test_every_function_batch_equals_single_runs(spec):
    fn = get(spec)
    _check_batches(fn, "adam", lr=0.01)


@pytest.mark.parametrize("opt", OPTIMIZER_SPECS)
@pytest.mark.parametrize("fn_spec", ["ravine(angle=30)", "thermometer(scale=0.1)"])
def test_every_optimizer_batch_equals_single_runs(opt, fn_spec):
    _check_batches(get(fn_spec), opt, lr=0.01)


def test_minibatches_and_noise_batch_equals_single_runs():
    """Common random numbers: every run of a batch sees the same minibatches and noise."""
    fn = get("thermometer(scale=0.1)")
    _check_batches(fn, "sgd(momentum=0.9)", lr=0.01, batch_size=4, noise=0.5, seed=3)


def _check_batches(fn, opt, lr, **settings):
    start = np.asarray(fn.start, dtype=float)
    single = optviz.run(fn, opt, lr=lr, steps=STEPS, start=start, **settings)
    for n in BATCH_SIZES:
        rows = _rows_for(n)
        batch = optviz.run_batch(fn, opt, lr=lr, steps=STEPS, start=_batch_starts(fn, n, rows, start), **settings)
        for row in rows:
            _assert_same_bits(batch[row], single, f"{fn.spec} {opt} n={n} row={row}")


def digest() -> str:
    """A hash of many batched runs' bits: functions × optimizers, 64 runs each."""
    h = hashlib.sha256()
    for spec in FUNCTIONS:
        fn = get(spec)
        start = np.asarray(fn.start, dtype=float)
        for opt in ("gd", "adam", "rmsprop(centered=true)"):
            batch = optviz.run_batch(fn, opt, lr=0.01, steps=STEPS, start=_batch_starts(fn, 64, [0], start))
            for array in (batch.points, batch.loss, batch.grad_norm):
                h.update(np.ascontiguousarray(array).tobytes())
    return h.hexdigest()


SINGLE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@pytest.mark.parametrize("threads", ["1", "default"])
def test_results_do_not_depend_on_blas_threads(threads):
    """A fresh process, with one BLAS/OpenMP thread or with the machine's default, gives the same
    bits as this one."""
    env = {k: v for k, v in os.environ.items() if k not in SINGLE_THREAD}
    if threads == "1":
        env.update(SINGLE_THREAD)
    script = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); import test_determinism as t;print(json.dumps(t.digest()))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, os.path.dirname(__file__)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    assert json.loads(out.stdout) == digest()
