"""The lectures' printed numbers, reproduced to their printed digits (issue 12, item 9).

Each row is compared as text: the value formatted to as many decimals as the printed number has,
so "-0.000000" (a tiny negative coordinate) and "0.000000" are different answers, as printed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import optviz
from optviz.functions import get

RAVINE_START = (-5, -2)
ADAGRAD = "adagrad(eps=0, eps_root=1e-6)"

GOLDEN = [
    # (fn, opt, lr, steps, start, printed final point)
    # d2l 12.3, gradient descent on x²: 10 steps from 10
    ("square", "gd", 0.2, 10, (10,), "0.060466"),
    ("square", "gd", 0.05, 10, (10,), "3.486784"),
    ("square", "gd", 1.1, 10, (10,), "61.917364"),
    # d2l 12.3, a local minimum of x·cos(cx) with c = 0.15π
    ("xcos(c=0.15)", "gd", 2, 10, (10,), "-1.528166"),
    # d2l 12.3-12.8, 20 steps from (-5, -2)
    ("bowl", "gd", 0.1, 20, RAVINE_START, "-0.057646, -0.000073"),
    ("ravine", "gd", 0.4, 20, RAVINE_START, "-0.943467, -0.000073"),
    ("ravine", "gd", 0.6, 20, RAVINE_START, "-0.387814, -1673.365109"),
    ("ravine", "sgd(momentum=0.5)", 0.6, 20, RAVINE_START, "0.007188, 0.002553"),
    ("ravine", "sgd(momentum=0.25)", 0.6, 20, RAVINE_START, "-0.126340, -0.186632"),
    ("ravine", ADAGRAD, 0.4, 20, RAVINE_START, "-2.382563, -0.158591"),
    ("ravine", ADAGRAD, 2, 20, RAVINE_START, "-0.002295, -0.000000"),
    ("ravine", "rmsprop(alpha=0.9, eps=0, eps_root=1e-6)", 0.4, 20, RAVINE_START, "-0.010599, 0.000000"),
    # Deep Learning with PyTorch, the thermometer fit with the input scaled by 0.1
    ("thermometer(scale=0.1)", "gd", 1e-2, 5000, (1, 0), "5.367090, -17.301223"),
]

GOLDEN_LOSS = [
    # (fn, opt, lr, steps, start, printed final loss)
    ("thermometer(scale=0.1)", "gd", 1e-2, 1000, (1, 0), "3.8255"),
    # the raw thermometer crawls at lr 1e-4
    ("thermometer", "gd", 1e-4, 100_000, (1, 0), "3.7167"),
    # y = w·x with x = 100, y = 110: the error factor 1 − 2·lr·x² = 0.8
    ("single_weight", "gd", 1e-5, 10, (1,), "1.153"),
]


def printed_like(values, printed: str) -> str:
    """``values`` formatted with the decimals of each number in ``printed``."""
    digits = [len(p.split(".")[1]) if "." in p else 0 for p in printed.split(", ")]
    return ", ".join(f"{v:.{d}f}" for v, d in zip(values, digits, strict=True))


@pytest.mark.parametrize(
    ("fn", "opt", "lr", "steps", "start", "printed"), GOLDEN, ids=[f"{g[0]}-{g[1]}-{g[2]}" for g in GOLDEN]
)
def test_textbook_figures(fn, opt, lr, steps, start, printed):
    traj = optviz.run(fn, opt, lr=lr, steps=steps, start=start)
    assert printed_like(traj.final, printed) == printed
    assert not traj.diverged


@pytest.mark.parametrize(
    ("fn", "opt", "lr", "steps", "start", "printed"), GOLDEN_LOSS, ids=[f"{g[0]}-{g[2]}-{g[3]}" for g in GOLDEN_LOSS]
)
def test_textbook_losses(fn, opt, lr, steps, start, printed):
    traj = optviz.run(fn, opt, lr=lr, steps=steps, start=start)
    assert len(traj.loss) == steps + 1 and not traj.diverged
    assert printed_like([traj.loss[-1]], printed) == printed


def test_thermometer_w_gradient_is_54_7_times_its_b_gradient():
    """Why the raw thermometer needs a small lr: at (1, 0) the w-gradient dwarfs the b-gradient."""
    gw, gb = get("thermometer").grad(np.array([1.0, 0.0]))
    assert f"{gw / gb:.1f}" == "54.7"


def test_thermometer_without_normalization_diverges_at_the_same_lr():
    """The lesson of the scale=0.1 figure: the raw input makes lr 1e-2 explode."""
    traj = optviz.run("thermometer", "gd", lr=1e-2, steps=5000, start=(1, 0))
    assert traj.diverged and traj.diverged_at < 200


# ------------------------------------------------------------------ one weight, y = w·x, x = 100, y = 110


def _errors(traj) -> np.ndarray:
    """The error x·w − y of every recorded step."""
    fn = get("single_weight")
    return fn.params["x"] * traj.points[:, 0] - fn.params["y"]


def test_single_weight_lr_1e_5_multiplies_the_error_by_0_8():
    """Loss 100 → 64 → … → 1.153 after 10 steps: the loss is 100·0.64^k, to its printed precision."""
    traj = optviz.run("single_weight", "gd", lr=1e-5, steps=10)
    assert traj.points[0, 0] == 1.0  # the default start
    errors = _errors(traj)
    np.testing.assert_allclose(errors[1:] / errors[:-1], 0.8, rtol=1e-9)
    printed = {0: "100", 1: "64", 10: "1.153"}
    for k, loss in enumerate(traj.loss):
        assert f"{loss:.4g}" == f"{100 * 0.64**k:.4g}", k
        if k in printed:
            assert f"{loss:.4g}" == printed[k]


def test_single_weight_lr_1e_4_oscillates_for_ever():
    """The factor 1 − 2·lr·x² is −1: w alternates 1, 1.2, 1, … and the loss stays 100."""
    steps = 1000
    traj = optviz.run("single_weight", "gd", lr=1e-4, steps=steps)
    assert not traj.diverged and len(traj.points) == steps + 1
    errors = _errors(traj)
    np.testing.assert_allclose(errors[1:] / errors[:-1], -1, rtol=1e-9)
    np.testing.assert_allclose(traj.points[0::2, 0], 1.0, rtol=1e-12)
    np.testing.assert_allclose(traj.points[1::2, 0], 1.2, rtol=1e-12)
    assert {f"{loss:.4g}" for loss in traj.loss} == {"100"}


def test_single_weight_lr_2e_4_explodes():
    """The factor is −3: the loss is 100·9^k until it leaves the floats, and the run is marked diverged there."""
    traj = optviz.run("single_weight", "gd", lr=2e-4, steps=2000)
    errors = _errors(traj)
    finite = np.isfinite(traj.loss)
    np.testing.assert_allclose(errors[1:20] / errors[:19], -3, rtol=1e-9)
    overflow, loss = 0, 100.0
    while math.isfinite(loss):
        overflow, loss = overflow + 1, loss * 9
    assert traj.diverged and traj.diverged_at == overflow
    assert finite[:overflow].all()
