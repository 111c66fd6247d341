"""PRODUCT.md's figures, reproduced to their printed digits (d2l's 6-decimal form)."""

from __future__ import annotations

import pytest

import optviz

GOLDEN = [
    # (fn, opt, lr, steps, start, printed final point)
    ("square", "gd", 0.2, 10, (10,), "0.060466"),
    ("ravine", "sgd(momentum=0.5)", 0.6, 20, (-5, -2), "0.007188, 0.002553"),
    ("thermometer(scale=0.1)", "gd", 1e-2, 5000, (1, 0), "5.3671, -17.3012"),
]


@pytest.mark.parametrize(("fn", "opt", "lr", "steps", "start", "printed"), GOLDEN, ids=[g[0] for g in GOLDEN])
def test_textbook_figures(fn, opt, lr, steps, start, printed):
    traj = optviz.run(fn, opt, lr=lr, steps=steps, start=start)
    digits = [len(p.split(".")[1]) for p in printed.split(", ")]
    assert ", ".join(f"{v:.{d}f}" for v, d in zip(traj.final, digits, strict=True)) == printed
    assert not traj.diverged


def test_thermometer_without_normalization_diverges_at_the_same_lr():
    """The lesson of the scale=0.1 figure: the raw input makes lr 1e-2 explode."""
    traj = optviz.run("thermometer", "gd", lr=1e-2, steps=5000, start=(1, 0))
    assert traj.diverged and traj.diverged_at < 200
