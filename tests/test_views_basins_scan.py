"""Basins of attraction and learning-rate scans hold the numbers of single runs made alone."""

from __future__ import annotations

import math

import numpy as np
import pytest

import optviz
from optviz.errors import HyperparameterError, SpecError
from optviz.functions import get
from optviz.views.basins import DIVERGED, NOT_CONVERGED, TOL_SHARE, basins, grid_starts
from optviz.views.common import gap
from optviz.views.lrscan import lr_grid, lr_scan
from optviz.views.settings import BasinSettings, ScanSettings

# ------------------------------------------------------------------------------------------ basins


def single_outcome(fn, traj, tol: float) -> tuple[int, int]:
    """A run classified on its own, as the module's docstring says: diverged, else the listed
    point within tol of its last point (and the first step from which it stays within tol), else
    not converged."""
    if traj.diverged:
        return DIVERGED, traj.diverged_at
    targets = [np.array(m.point) for m in fn.minima]
    distances = [float(np.hypot(*(traj.final - p))) for p in targets]
    nearest = int(np.argmin(distances))
    if distances[nearest] > tol:
        return NOT_CONVERGED, traj.steps
    inside = np.hypot(*(traj.points - targets[nearest]).T) <= tol
    outside = np.flatnonzero(~inside)
    return nearest, int(outside[-1] + 1) if outside.size else 0


@pytest.mark.parametrize(
    ("opt", "lr", "steps"),
    [("gd", 0.01, 300), ("momentum", 0.012, 80), ("adam", 0.05, 150), ("gd", 0.025, 60)],
)
def test_basin_labels_equal_single_runs_from_the_same_starts(opt, lr, steps):
    fn = get("himmelblau")
    data = basins(fn, [opt], lr, steps, grid=24)
    panel = data.panels[0]
    tol = TOL_SHARE * 10  # himmelblau's window is 10 wide
    assert data.tol == tol and panel.labels.shape == (24, 24)
    xs, ys, _ = grid_starts(fn.window, 24)
    rng = np.random.default_rng(0)
    cells = [(i, j) for i, j in rng.integers(0, 24, size=(40, 2))]
    # and every kind of outcome the panel has, at least once
    for kind in np.unique(panel.labels):
        cells.append(tuple(np.argwhere(panel.labels == kind)[0]))
    for i, j in cells:
        traj = optviz.run(fn, opt, lr=lr, steps=steps, start=(xs[j], ys[i]))
        assert (panel.labels[i, j], panel.steps[i, j]) == single_outcome(fn, traj, tol), (i, j)


def test_basins_see_every_outcome():
    """momentum at lr 0.012 for 80 steps on himmelblau: starts that reach each minimum, starts
    that blow up, and starts still on their way."""
    data = basins("himmelblau", ["momentum"], 0.012, 80, grid=30)
    labels = data.panels[0].labels
    assert {0, 1, 2, 3, DIVERGED, NOT_CONVERGED} <= set(np.unique(labels).tolist())


def test_several_optimizers_and_lrs_are_panels_of_one_batch():
    data = basins("himmelblau", ["gd", "adam"], [0.01, 0.02], 40, grid=8)
    assert [p.label for p in data.panels] == ["gd, lr=0.01", "gd, lr=0.02", "adam, lr=0.01", "adam, lr=0.02"]
    with pytest.raises(HyperparameterError, match="at most 6"):
        basins("himmelblau", ["gd", "adam", "momentum"], [0.01, 0.02, 0.03], 10, grid=4)


def test_the_curve_of_minima_is_a_target():
    """two_layer's minima are a hyperbola: a start that ends on it reached 'the curve'."""
    fn = get("two_layer")
    data = basins(fn, ["gd"], 1e-5, 200, grid=10)
    assert data.targets[-1].kind == "valley"
    assert (data.panels[0].labels == len(data.targets) - 1).any()


def test_basin_settings_refuse_bad_input():
    for kwargs, error, words in [
        ({"grid": 0}, HyperparameterError, "--grid 0 must be a whole number from 2 to 1000"),
        ({"grid": 1001}, HyperparameterError, "from 2 to 1000"),
        ({"grid": 2.5}, HyperparameterError, "whole number"),
        ({"fn": "square"}, SpecError, "2-D function; square is 1-D"),
        ({"tol": 0}, HyperparameterError, "--tol 0 must be a distance > 0"),
        ({"tol": 100}, HyperparameterError, "below the window's size 10"),
        ({"paths": ["1,2,3"]}, SpecError, "3 coordinates"),
    ]:
        with pytest.raises(error, match=words) as err:
            BasinSettings(**kwargs)
        assert "\n" not in str(err.value)
    assert BasinSettings(paths=["1,1", "-2,0"]).paths == ((1.0, 1.0), (-2.0, 0.0))
    assert BasinSettings(paths=[[1, 1]]).paths == ((1.0, 1.0),)


# ---------------------------------------------------------------------------------------- lr scans


@pytest.mark.parametrize("spec", ["ravine", "rosenbrock", "six_hump_camel"])
def test_lr_scan_values_equal_single_runs_bit_for_bit(spec):
    fn = get(spec)
    opts = ["gd", "momentum", "adam"]
    data = lr_scan(fn, opts, (1e-4, 1.0), 25, 120)
    np.testing.assert_array_equal(data.lrs, lr_grid(1e-4, 1.0, 25))
    start_gap = float(gap(fn, fn.f(np.array(fn.start))))
    assert data.start_gap == start_gap
    for series, opt in zip(data.series, opts, strict=True):
        assert series.label == opt
        for i, lr in enumerate(data.lrs):
            single = optviz.run(fn, opt, lr=float(lr), steps=120)
            final = float(gap(fn, single.final_loss)) if not single.diverged else math.nan
            grew = single.diverged or not final <= start_gap
            assert series.diverged[i] == grew and series.overflowed[i] == single.diverged
            if grew:
                assert math.isnan(series.values[i])
            else:
                assert series.values[i] == final  # bit for bit


def test_lr_scan_to_a_tolerance_counts_the_steps_of_single_runs():
    fn = get("ravine")
    data = lr_scan(fn, ["gd", "adam"], (1e-3, 1.0), 12, 150, to=1e-6)
    for series, opt in zip(data.series, ["gd", "adam"], strict=True):
        for i, lr in enumerate(data.lrs):
            single = optviz.run(fn, opt, lr=float(lr), steps=150)
            hits = np.flatnonzero(single.loss <= 1e-6)
            expected = float(hits[0]) if hits.size and not series.diverged[i] else math.nan
            assert series.values[i] == expected or (math.isnan(expected) and math.isnan(series.values[i]))


def test_best_lr_and_stable_range():
    data = lr_scan("ravine", ["gd", "momentum", "adam"], (1e-4, 1.0), 60, 200)
    gd = data.series[0]
    assert gd.best == int(np.nanargmin(gd.values))
    lo, hi = gd.stable
    assert lo <= gd.best <= hi and not gd.diverged[lo : hi + 1].any()
    assert hi == len(data.lrs) - 1 or gd.diverged[hi + 1]
    # plain GD diverges past 2/L = 0.5 on the ravine (L = 4): its stable range ends below it
    assert data.lrs[hi] < 0.5 < data.lrs[hi + 1]
    # one learning rate does not fit all: the best ones differ
    assert len({data.series[i].best for i in range(3)}) >= 2


def test_scan_settings_refuse_bad_input():
    for kwargs, words in [
        ({"lr": "1..0.1"}, "--lr 1..0.1: LO must be below HI, e.g. --lr 1e-4..1"),
        ({"lr": "0..1"}, "both ends must be > 0"),
        ({"lr": "1e-4"}, "write a range LO..HI"),
        ({"lr": "1e-4..inf"}, "write a range LO..HI"),
        ({"num": 1}, "--num 1 must be a whole number from 2 to 1000"),
        ({"to": 0}, "--to 0 must be a number > 0"),
    ]:
        with pytest.raises(HyperparameterError, match=words.replace(".", r"\.").replace("(", r"\(")) as err:
            ScanSettings(**kwargs)
        assert "\n" not in str(err.value)
    with pytest.raises(HyperparameterError, match="names its own lr"):
        lr_scan("ravine", ["adam(lr=0.1)"], (1e-3, 1), 5, 10)
