"""The batched engine: noise and minibatches, clipping, divergence, grids of starts, export."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import optviz
from optviz.engine import clip_by_norm, clip_by_value


def test_same_seed_same_noisy_path_and_other_seed_differs():
    a = optviz.run("ravine", "gd", lr=0.1, steps=50, noise=0.5, seed=3)
    b = optviz.run("ravine", "gd", lr=0.1, steps=50, noise=0.5, seed=3)
    c = optviz.run("ravine", "gd", lr=0.1, steps=50, noise=0.5, seed=4)
    clean = optviz.run("ravine", "gd", lr=0.1, steps=50)
    np.testing.assert_array_equal(a.points, b.points)
    assert not np.array_equal(a.points, c.points)
    assert not np.array_equal(a.points, clean.points)


def test_noise_is_gaussian_with_the_given_std():
    """On f = 0 in effect (tiny lr on bowl near 0), the first step is -lr·(grad + σ·z)."""
    traj = optviz.run("bowl", "gd", lr=1.0, steps=1, start=(0, 0), noise=2.0, seed=0)
    z = np.random.default_rng(0).standard_normal((1, 2))[0]
    np.testing.assert_allclose(traj.points[1], -2.0 * z, rtol=1e-15)


def test_minibatches_are_seeded_and_differ_from_full_batch():
    fn = "thermometer(scale=0.1)"
    a = optviz.run(fn, "gd", lr=1e-2, steps=300, batch_size=3, seed=1)
    b = optviz.run(fn, "gd", lr=1e-2, steps=300, batch_size=3, seed=1)
    full = optviz.run(fn, "gd", lr=1e-2, steps=300)
    all_samples = optviz.run(fn, "gd", lr=1e-2, steps=300, batch_size=11, seed=1)
    np.testing.assert_array_equal(a.points, b.points)
    assert not np.allclose(a.points, full.points)
    # a minibatch of every sample is the full gradient (up to summation order)
    np.testing.assert_allclose(all_samples.points, full.points, rtol=1e-12)


def test_noisy_batch_equals_noisy_single_runs():
    """Every run of a batch sees the same draws, so comparisons are like for like."""
    batch = optviz.run_batch("ravine", ["gd", "adam"], lr=[0.05, 0.1], steps=30, noise=1.0, seed=7)
    for traj in batch:
        single = optviz.run("ravine", traj.settings["opt"], lr=traj.settings["lr"], steps=30, noise=1.0, seed=7)
        np.testing.assert_array_equal(traj.points, single.points)


@pytest.mark.parametrize(
    ("grad", "max_norm", "expected"),
    [
        ([[3.0, 4.0]], 1.0, [[3.0 / (5 + 1e-6), 4.0 / (5 + 1e-6)]]),
        ([[0.3, 0.4]], 1.0, [[0.3, 0.4]]),  # below the bound: unchanged
        ([[3.0, 4.0], [0.0, 0.1]], 2.5, [[3 * 2.5 / (5 + 1e-6), 4 * 2.5 / (5 + 1e-6)], [0.0, 0.1]]),  # per run
    ],
)
def test_clip_by_norm(grad, max_norm, expected):
    np.testing.assert_allclose(clip_by_norm(np.array(grad), max_norm), expected, rtol=1e-15)


def test_clip_by_value():
    np.testing.assert_array_equal(clip_by_value(np.array([[-3.0, 0.2, 9.0]]), 1.0), [[-1.0, 0.2, 1.0]])


@pytest.mark.parametrize("opt", ["gd", "momentum", "nesterov", "radam", "sgd(weight_decay=0.5)"])
def test_too_large_step_diverges_without_raising_or_warning(opt):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        traj = optviz.run("rosenbrock", opt, lr=0.1, steps=2000)
    assert traj.diverged
    assert len(traj.points) == traj.diverged_at
    assert np.isfinite(traj.points).all() and np.isfinite(traj.loss).all()
    assert len(traj.lr) == len(traj.points) - 1


@pytest.mark.parametrize("opt", ["adagrad", "rmsprop", "adam", "adamax", "nadam", "adadelta"])
def test_huge_lr_on_normalized_methods_never_raises_or_warns(opt):
    """Normalized steps are bounded by lr, so these wander far but may stay finite; either way no error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        traj = optviz.run("rosenbrock", opt, lr=1e6, steps=500)
    assert np.isfinite(traj.points).all()
    assert traj.diverged == (len(traj.points) < 501)


def test_divergence_row_is_the_first_non_finite_one():
    traj = optviz.run("ravine", "gd", lr=10.0, steps=1000)
    fn = optviz.get_function("ravine")
    # one more step from the last finite point is indeed non-finite (or has a non-finite loss)
    x = traj.points[-1] - 10.0 * fn.grad(traj.points[-1])
    with np.errstate(all="ignore"):
        assert not (np.isfinite(x).all() and np.isfinite(fn.f(x)))


def test_grid_of_starts_is_one_batch():
    xs = np.linspace(-4, 4, 200)
    grid = np.stack(np.meshgrid(xs, xs), -1).reshape(-1, 2)
    batch = optviz.run_batch("himmelblau", "adam", lr=0.1, steps=100, start=grid)
    assert batch.points.shape == (40_000, 101, 2)
    # every start ends near one of the four minima
    fn = optviz.get_function("himmelblau")
    assert np.mean(fn.nearest_minimum_distance(batch.final) < 0.05) > 0.95
    np.testing.assert_array_equal(
        batch[12345].points, optviz.run("himmelblau", "adam", lr=0.1, steps=100, start=grid[12345]).points
    )


def test_batch_order_is_opt_then_lr_then_start():
    batch = optviz.run_batch("bowl", ["gd", "adam(lr=0.3)"], lr=[0.1, 0.2], steps=3, start=[(1, 1), (2, 2)])
    assert [(t.settings["opt"], t.settings["lr"], tuple(t.points[0])) for t in batch] == [
        ("gd", 0.1, (1, 1)),
        ("gd", 0.1, (2, 2)),
        ("gd", 0.2, (1, 1)),
        ("gd", 0.2, (2, 2)),
        ("adam(lr=0.3)", 0.3, (1, 1)),
        ("adam(lr=0.3)", 0.3, (2, 2)),
    ]


def test_per_optimizer_hyperparameters():
    batch = optviz.run_batch(
        "bowl", ["sgd", "adam"], lr=0.1, steps=5, **{"adam.betas": (0.5, 0.9), "sgd.momentum": 0.5}
    )
    assert batch[0].settings["hyper"] == {"momentum": 0.5}
    assert batch[1].settings["hyper"] == {"betas": (0.5, 0.9)}


def test_trajectory_records():
    traj = optviz.run("bowl", "gd", lr=0.1, steps=4, schedule="exponential(gamma=0.5)")
    fn = optviz.get_function("bowl")
    assert traj.points.shape == (5, 2) and traj.loss.shape == (5,) and traj.lr.shape == (4,)
    np.testing.assert_array_equal(traj.loss, fn.f(traj.points))
    np.testing.assert_allclose(traj.grad_norm, np.linalg.norm(fn.grad(traj.points), axis=1), rtol=1e-15)
    np.testing.assert_array_equal(traj.lr, [0.1, 0.05, 0.025, 0.0125])
    assert traj.settings["fn"] == "bowl" and traj.settings["steps"] == 4


def test_one_dimensional_points_have_shape_steps_by_one():
    traj = optviz.run("xcos", "gd", lr=0.5, steps=7)
    assert traj.points.shape == (8, 1)


@pytest.mark.parametrize("suffix", [".csv", ".json", ".npz"])
@pytest.mark.parametrize("diverge", [False, True])
def test_export_round_trip(tmp_path, suffix, diverge):
    traj = optviz.run("ravine", "adam(amsgrad=true)", lr=5.0 if diverge else 0.1, steps=30, schedule="cosine")
    if diverge:
        traj = optviz.run("ravine", "gd", lr=10.0, steps=1000)
        assert traj.diverged
    path = traj.save(tmp_path / f"t{suffix}")
    back = optviz.load(path)
    for key in ("points", "loss", "grad_norm", "lr"):
        np.testing.assert_array_equal(getattr(back, key), getattr(traj, key), err_msg=key)
    assert back.diverged_at == traj.diverged_at
    assert back.settings["opt"] == traj.settings["opt"] and back.settings["lr"] == traj.settings["lr"]
    assert [p.name for p in tmp_path.iterdir()] == [f"t{suffix}"]  # no temporary file left behind


def test_export_rejects_unknown_suffix(tmp_path):
    traj = optviz.run("bowl", "gd", lr=0.1, steps=2)
    with pytest.raises(optviz.OutputError, match="unknown suffix"):
        traj.save(tmp_path / "t.xlsx")
