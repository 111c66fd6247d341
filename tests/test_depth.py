"""chain(depth=L): depth multiplies the gradient. Its powers, its minima, and the lesson it draws."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

import optviz
from optviz.functions import get
from optviz.functions.depth import power


@pytest.mark.parametrize("n", [1, 2, 3, 5, 7, 20, 63, 64, 100])
def test_power_by_squaring_is_within_a_few_ulps_of_the_exact_power(n):
    ws = np.random.default_rng(n).uniform(-1.3, 1.3, size=50)
    got = power(ws, n)
    for w, value in zip(ws, got, strict=True):
        exact = Fraction(float(w)) ** n
        assert abs(Fraction(float(value)) - exact) <= 2 * n * 2.0**-52 * abs(exact), (w, n)
        assert value == power(float(w), n)  # a Python float gives the same bits as an array


@pytest.mark.parametrize("depth", [1, 5, 20])
def test_gradient_is_the_chain_rule(depth):
    """2(x·w^L − y)·x·L·w^(L−1), against Python's exact rationals."""
    fn = get(f"chain(depth={depth}, x=1.5, y=0.75)")
    for w in (-1.1, -0.3, 0.0, 0.5, 0.9, 1.0, 1.05):
        q = Fraction(w)
        exact = 2 * (Fraction(1.5) * q**depth - Fraction(0.75)) * Fraction(1.5) * depth * q ** (depth - 1)
        got = fn.grad(np.array([w]))[0]
        assert abs(Fraction(float(got)) - exact) <= 1e-13 * max(1, abs(exact)), (depth, w)


@pytest.mark.parametrize(
    ("spec", "points", "values"),
    [
        ("chain(depth=1)", [1.0], [0.0]),
        ("chain(depth=5)", [1.0, 0.0], [0.0, 1.0]),  # 0 is flat: the vanishing-gradient plateau
        ("chain(depth=20)", [1.0, -1.0, 0.0], [0.0, 0.0, 1.0]),  # both signs when L is even
        ("chain(depth=3, x=1, y=-8)", [-2.0, 0.0], [0.0, 64.0]),
        ("chain(depth=2, x=2, y=-3)", [0.0], [9.0]),  # no real root: the least error at w = 0
        ("chain(depth=4, x=1, y=0)", [0.0], [0.0]),
    ],
)
def test_minima(spec, points, values):
    fn = get(spec)
    assert [m.point[0] for m in fn.minima] == pytest.approx(points, abs=1e-15)
    assert [m.value for m in fn.minima] == pytest.approx(values)
    for minimum in fn.minima:
        assert abs(fn.grad(np.array(minimum.point))[0]) < 1e-12


@pytest.mark.parametrize("depth", [1, 5, 20])
def test_default_start_is_ten_percent_beyond_the_root_inside_the_window(depth):
    fn = get(f"chain(depth={depth})")
    assert fn.start == (1.1,)
    ((lo, hi),) = fn.window
    assert lo < 0 < 1.1 < hi


def test_the_lesson_same_start_same_step_three_depths():
    """lr 0.01 from w = 1.1: depth 1 crawls, depth 5 converges, depth 20 explodes in two steps."""
    runs = {depth: optviz.run(f"chain(depth={depth})", "gd", lr=0.01, steps=100) for depth in (1, 5, 20)}
    assert not runs[1].diverged and 1e-4 < runs[1].loss[-1] < runs[1].loss[0]
    assert not runs[5].diverged and runs[5].loss[-1] < 1e-20
    assert runs[20].diverged and runs[20].diverged_at <= 3
    # the gradient at the start grows with the depth: L·w^(L−1) times the error
    norms = [runs[depth].grad_norm[0] for depth in (1, 5, 20)]
    assert norms[0] < 1 < norms[1] < 10 < 1000 < norms[2]


def test_clipping_rescues_the_deep_chain():
    """Clipped to norm 1, the step that exploded brings w to the minimum; there each clipped step is
    at most lr, and lr 0.01 is above depth 20's stability limit 1/L² = 0.0025, so it hovers within
    lr of w = 1 instead of settling. A clipped step below the limit settles."""
    hovering = optviz.run("chain(depth=20)", "gd", lr=0.01, steps=500, clip_norm=1)
    assert not hovering.diverged and hovering.loss.max() == hovering.loss[0]
    assert np.abs(hovering.points[-100:, 0] - 1).max() <= 0.01 and hovering.loss[-100:].max() < 0.05
    settled = optviz.run("chain(depth=20)", "gd", lr=0.002, steps=500, clip_norm=1)
    assert not settled.diverged and settled.loss[-1] < 1e-20


def test_below_one_the_deep_chain_stalls():
    """From w = 0.5 the deep chain's gradient carries 0.5^19: 100 steps barely move it."""
    shallow = optviz.run("chain(depth=1)", "gd", lr=0.01, steps=100, start=(0.5,))
    deep = optviz.run("chain(depth=20)", "gd", lr=0.01, steps=100, start=(0.5,))
    assert shallow.final[0] - 0.5 > 0.3
    assert 0 < deep.final[0] - 0.5 < 1e-3


@pytest.mark.parametrize("depth", [1, 2, 20, 100])
def test_batch_rows_are_the_same_bits_as_single_runs(depth):
    fn = get(f"chain(depth={depth})")
    starts = np.linspace(-1.2, 1.2, 7)[:, None]
    batch = optviz.run_batch(fn, "gd", lr=1e-3, steps=30, start=starts)
    values, grads = fn.f(starts), fn.grad(starts)
    for i, start in enumerate(starts):
        single = optviz.run(fn, "gd", lr=1e-3, steps=30, start=tuple(start))
        np.testing.assert_array_equal(batch[i].points, single.points)
        np.testing.assert_array_equal(batch[i].loss, single.loss)
        assert values[i] == fn.f(start) and grads[i, 0] == fn.grad(start)[0]
