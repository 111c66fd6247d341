"""Every function lists the minima a default run can reach, so that "to min" and the markers are honest."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from optviz import api
from optviz.functions import get, names
from optviz.functions.valleys import hyperbola_distance

# every function with its defaults, plus variants whose default start sits near the window's edge
SPECS = [
    *names(),
    "xcos(c=1)",
    "xcos(c=0.5)",
    "xcos(c=2)",
    "two_layer(x=2, y=-3)",
    "thermometer(scale=0.1)",
]
#: their runs leave the window for good (no minimum to reach)
UNBOUNDED = {"saddle", "monkey_saddle"}
OPTIMIZERS = ["gd", "momentum", "adam"]
LRS = [1e-3, 1e-2, 1e-1]
STEPS = 10_000
#: a run has converged when its final gradient is this small
CONVERGED = 1e-6


def _distance_to_listed(fn, x: np.ndarray) -> float:
    """To the nearest listed minimum (or the curve of minima), or listed saddle."""
    distances = [float(np.linalg.norm(np.asarray(m.point) - x)) for m in fn.minima]
    if any(m.kind != "saddle" for m in fn.minima):
        distances.append(float(fn.nearest_minimum_distance(x)))
    return min(distances, default=np.inf)


@pytest.mark.parametrize("spec", SPECS)
def test_converged_default_runs_end_at_a_listed_minimum(spec):
    fn = get(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        batch = api.run_batch(fn, OPTIMIZERS, LRS, STEPS)
    converged = [
        traj
        for traj in batch
        if not traj.diverged and np.isfinite(traj.final).all() and np.linalg.norm(fn.grad(traj.final)) < CONVERGED
    ]
    if fn.name not in UNBOUNDED:
        assert converged, f"{spec}: no run converged; the test would check nothing"
    for traj in converged:
        distance = _distance_to_listed(fn, traj.final)
        assert distance < 1e-3, (
            f"{spec}: {traj.label} ends at {traj.final.tolist()}, {distance:.3g} from any listed point"
        )


def test_xcos_c1_lists_the_minimum_next_to_its_start():
    """The issue's case: start 2.856 ends at x = 3.033 (outside the window [-3, 3]), which was not listed."""
    fn = get("xcos(c=1)")
    traj = api.run(fn, "gd", lr=0.01, steps=2000)
    assert traj.final[0] == pytest.approx(3.0333, abs=1e-3)
    assert float(fn.nearest_minimum_distance(traj.final)) < 1e-6
    listed = [m for m in fn.minima if abs(m.point[0] - 3.0333) < 1e-3]
    assert len(listed) == 1 and listed[0].kind == "local"
    # refined to machine precision, like the others
    assert abs(fn.grad(np.asarray(listed[0].point))[0]) < 1e-12


@pytest.mark.parametrize(("spec", "guess"), [("rastrigin", (3, -3)), ("ackley", (3, -3))])
def test_local_minimum_where_gd_stops_is_listed(spec, guess):
    """gd with a small step stops in the lattice cell next to the start: a listed local minimum."""
    fn = get(spec)
    traj = api.run(fn, "gd", lr=1e-3, steps=5000)
    np.testing.assert_allclose(traj.final, guess, atol=0.05)
    assert float(fn.nearest_minimum_distance(traj.final)) < 1e-4
    local = [m for m in fn.minima if m.kind == "local" and np.allclose(m.point, guess, atol=0.05)]
    assert len(local) == 1
    assert np.abs(fn.grad(np.asarray(local[0].point))).max() < 1e-10


def test_two_layer_to_min_is_the_distance_to_the_hyperbola():
    """Runs end anywhere on w1·w2 = y/x: "to min" is 0 there, not the distance to (±1.05, ±1.05)."""
    fn = get("two_layer")
    on_curve = np.array([[2.0, 1.1 / 2.0], [-0.5, -2.2], [1.048808848, 1.048808848]])
    np.testing.assert_allclose(fn.nearest_minimum_distance(on_curve), 0.0, atol=1e-9)
    traj = api.run(fn, "adam", lr=1e-3, steps=10_000)
    assert abs(traj.final[0] * traj.final[1] - 1.1) < 1e-6
    assert float(fn.nearest_minimum_distance(traj.final)) < 1e-6
    # the nearest listed point is far away: the distance comes from the curve
    assert min(np.linalg.norm(np.asarray(m.point) - traj.final) for m in fn.minima) > 0.1


@pytest.mark.parametrize("q", [1.1, -1.5, 1e-3, 50.0])
def test_hyperbola_distance_matches_a_dense_search(q):
    rng = np.random.default_rng(1)
    points = np.vstack([rng.uniform(-4, 4, size=(100, 2)), [[0, 0], [100, -100], [1e-9, 2e-9]]])
    s = np.linspace(-14, 14, 200_001)
    half = np.sqrt(abs(q)) * np.exp(s)
    t = np.concatenate([-half, half])
    expected = [np.sqrt(((t - p[0]) ** 2 + (q / t - p[1]) ** 2).min()) for p in points]
    got = hyperbola_distance(q)(points)
    # never farther than the dense search finds, and only closer by the search's own coarseness
    assert np.all(got <= np.asarray(expected) * (1 + 1e-12) + 1e-15)
    np.testing.assert_allclose(got, expected, rtol=2e-3, atol=1e-5)
    # a point alone gives the same bits as in the batch; any leading shape works
    assert hyperbola_distance(q)(points[7]) == got[7]
    assert hyperbola_distance(q)(points.reshape(1, -1, 2)).shape == (1, len(points))
