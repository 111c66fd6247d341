"""Schedules: values against literal arrays and against torch's schedulers driving torch.optim."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import require_torch, torch_path

import optviz
from optviz import schedules
from optviz.errors import HyperparameterError, SpecError, UnknownNameError

CASES = [
    ("step(step_size=2, gamma=0.5)", 6, [1, 1, 0.5, 0.5, 0.25, 0.25]),
    ("exponential(gamma=0.5)", 4, [1, 0.5, 0.25, 0.125]),
    ("cosine(t_max=4)", 5, [1, (1 + np.cos(np.pi / 4)) / 2, 0.5, (1 + np.cos(3 * np.pi / 4)) / 2, 0]),
    ("cosine", 3, [1, 0.75, 0.25]),  # t_max defaults to the run's steps
    ("warmup(steps=4)", 6, [0.25, 0.5, 0.75, 1, 1, 1]),
    ("warmup(steps=2)+exponential(gamma=0.5)", 5, [0.5, 1, 1, 0.5, 0.25]),
    ("warmup(steps=2) + step(step_size=1, gamma=0.1)", 4, [0.5, 1, 1, 0.1]),
    ("constant", 3, [1, 1, 1]),
    (None, 2, [1, 1]),
]


@pytest.mark.parametrize(("text", "steps", "expected"), CASES, ids=[str(c[0]) for c in CASES])
def test_multipliers(text, steps, expected):
    values = schedules.multipliers(schedules.parse(text, steps), steps)
    np.testing.assert_allclose(values, expected, rtol=1e-15, atol=1e-16)


def _torch_schedulers():
    torch = require_torch()
    lrs = torch.optim.lr_scheduler
    return [
        ("step(step_size=7, gamma=0.5)", lambda o: lrs.StepLR(o, step_size=7, gamma=0.5)),
        ("exponential(gamma=0.97)", lambda o: lrs.ExponentialLR(o, gamma=0.97)),
        ("cosine(t_max=30)", lambda o: lrs.CosineAnnealingLR(o, T_max=30)),
        ("warmup(steps=10)", lambda o: lrs.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=9)),
        (
            "warmup(steps=10)+cosine(t_max=40)",
            lambda o: lrs.SequentialLR(
                o,
                [lrs.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=9), lrs.CosineAnnealingLR(o, T_max=40)],
                milestones=[10],
            ),
        ),
    ]


@pytest.mark.parametrize("index", range(5))
def test_schedule_matches_torch_scheduler(index):

    text, make = _torch_schedulers()[index]
    fn = optviz.get_function("ravine")
    traj = optviz.run(fn, "momentum", lr=0.1, steps=60, schedule=text)
    expected_points, expected_lr = torch_path(fn, "SGD", {"momentum": 0.9}, 0.1, fn.start, 60, scheduler=make)
    np.testing.assert_allclose(traj.lr, expected_lr, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(traj.points, expected_points, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize(
    ("text", "error", "words"),
    [
        ("cosin", UnknownNameError, "did you mean 'cosine'"),
        ("step(gamma=0.5)", SpecError, "needs step_size"),
        ("step(step_size=0)", HyperparameterError, "whole number >= 1"),
        ("step(step_size=2.5)", HyperparameterError, "whole number"),
        ("exponential(gamma=-1)", HyperparameterError, ">= 0"),
        ("exponential(rate=0.5)", UnknownNameError, "gamma"),
        ("cosine+warmup(steps=3)", SpecError, "only warmup can be followed"),
        ("warmup(steps=inf)", HyperparameterError, "whole number"),
    ],
)
def test_bad_schedules(text, error, words):
    with pytest.raises(error, match=words):
        schedules.parse(text, 10)
