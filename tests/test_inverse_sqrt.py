"""inverse_sqrt: the Transformer's schedule, against its formula and against torch's LambdaLR."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import require_torch, torch_path

import optviz
from optviz import schedules
from optviz.errors import HyperparameterError, SpecError


def formula(warmup: int, k: np.ndarray) -> np.ndarray:
    """The multiplier as the issue writes it: min((k+1)/W, sqrt(W/(k+1)))."""
    k = np.asarray(k, dtype=float)
    return np.minimum((k + 1) / warmup, np.sqrt(warmup / (k + 1)))


@pytest.mark.parametrize("warmup", [1, 2, 3, 10, 37, 100])
def test_multipliers_follow_the_formula_for_three_warmups(warmup):
    steps = 3 * warmup + 1
    values = schedules.multipliers(schedules.parse(f"inverse_sqrt(warmup={warmup})", steps), steps)
    np.testing.assert_allclose(values, formula(warmup, np.arange(steps)), rtol=1e-15, atol=0)
    # the peak is exactly 1, at update W − 1 (the W-th update), and nowhere else
    assert values[warmup - 1] == 1.0
    assert np.flatnonzero(values == values.max()).tolist() == [warmup - 1]
    # rising linearly before it, falling as 1/sqrt after
    assert np.all(np.diff(values[:warmup]) > 0) and np.all(np.diff(values[warmup - 1 :]) < 0)


@pytest.mark.parametrize(("warm", "warmup"), [(2, 3), (5, 10), (1, 1)])
def test_inverse_sqrt_runs_from_its_own_k_after_a_warmup(warm, warmup):
    steps = warm + 3 * warmup
    values = schedules.multipliers(schedules.parse(f"warmup(steps={warm})+inverse_sqrt(warmup={warmup})", steps), steps)
    expected = np.concatenate([np.minimum(1, np.arange(1, warm + 1) / warm), formula(warmup, np.arange(steps - warm))])
    np.testing.assert_allclose(values, expected, rtol=1e-15, atol=0)


def test_multipliers_are_the_same_bits_as_python_math():
    """The schedule is pure Python float arithmetic: no numpy kernel whose rounding varies by CPU."""
    schedule = schedules.inverse_sqrt(warmup=7)
    for k in range(50):
        assert schedule(k) == min((k + 1) / 7, math.sqrt(7 / (k + 1)))


@pytest.mark.parametrize(
    ("text", "opt", "torch_name", "kwargs", "lr"),
    [
        ("inverse_sqrt(warmup=10)", "momentum", "SGD", {"momentum": 0.9}, 0.1),
        ("inverse_sqrt(warmup=4)", "adam", "Adam", {}, 0.3),
        ("inverse_sqrt(warmup=1)", "gd", "SGD", {}, 0.5),
    ],
)
def test_inverse_sqrt_matches_torch_lambda_lr(text, opt, torch_name, kwargs, lr):
    """torch.optim.lr_scheduler.LambdaLR with the same lambda: the lr of every update and the path."""
    torch = require_torch()
    warmup = int(text.split("=")[1].rstrip(")"))

    def make(optimizer):
        return torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda k: min((k + 1) / warmup, math.sqrt(warmup / (k + 1)))
        )

    fn = optviz.get_function("ravine")
    steps = 3 * warmup + 20
    traj = optviz.run(fn, opt, lr=lr, steps=steps, schedule=text)
    expected_points, expected_lr = torch_path(fn, torch_name, kwargs, lr, fn.start, steps, scheduler=make)
    np.testing.assert_allclose(traj.lr, expected_lr, rtol=1e-14, atol=0)
    np.testing.assert_allclose(traj.points, expected_points, rtol=1e-10, atol=1e-13)


def test_warmup_then_inverse_sqrt_matches_torch_sequential_lr():
    torch = require_torch()
    lrs = torch.optim.lr_scheduler

    def make(optimizer):
        return lrs.SequentialLR(
            optimizer,
            [
                lrs.LinearLR(optimizer, start_factor=0.2, end_factor=1.0, total_iters=4),
                lrs.LambdaLR(optimizer, lambda k: min((k + 1) / 10, math.sqrt(10 / (k + 1)))),
            ],
            milestones=[5],
        )

    fn = optviz.get_function("ravine")
    traj = optviz.run(fn, "momentum", lr=0.1, steps=60, schedule="warmup(steps=5)+inverse_sqrt(warmup=10)")
    expected_points, expected_lr = torch_path(fn, "SGD", {"momentum": 0.9}, 0.1, fn.start, 60, scheduler=make)
    np.testing.assert_allclose(traj.lr, expected_lr, rtol=1e-14, atol=0)
    np.testing.assert_allclose(traj.points, expected_points, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize(
    ("text", "error", "words"),
    [
        ("inverse_sqrt", SpecError, "needs warmup"),
        ("inverse_sqrt(warmup=0)", HyperparameterError, "whole number >= 1"),
        ("inverse_sqrt(warmup=2.5)", HyperparameterError, "whole number"),
        ("inverse_sqrt(warmup=4)+cosine", SpecError, "only warmup can be followed"),
    ],
)
def test_bad_inverse_sqrt(text, error, words):
    with pytest.raises(error, match=words):
        schedules.parse(text, 10)
