"""The stability map: its closed form against real runs, its optimum against the textbook's, the
functions it takes and refuses, marks, and the measured (--empirical) variant against single runs."""

from __future__ import annotations

import math

import numpy as np
import pytest

import optviz
from optviz.errors import HyperparameterError, SpecError
from optviz.functions import get
from optviz.views import stability as st
from optviz.views.empirical import empirical_map, spec_for
from optviz.views.settings import StabilitySettings, parse_mark

# (function, rule, lr, momentum): every rule in every regime, and other quadratics
CASES = [
    ("ravine", "gd", 0.2, 0.0, "monotone"),
    ("ravine", "gd", 0.49, 0.0, "oscillating"),  # the steep direction's root −0.96 beats the flat one's 0.902
    ("ravine", "gd", 0.52, 0.0, "diverging"),
    ("ravine", "momentum", 0.05, 0.3, "monotone"),
    ("ravine", "momentum", 0.1, 0.9, "oscillating"),  # complex roots: |z| = √β
    ("ravine", "momentum", 0.8, 0.5, "diverging"),  # past 2(1 + β)/L = 0.75
    ("ravine", "nesterov", 0.05, 0.3, "monotone"),
    ("ravine", "nesterov", 0.2, 0.9, "oscillating"),
    ("ravine", "nesterov", 0.45, 0.5, "diverging"),  # past (2 + 2β)/((1 + 2β)L) = 0.375
    ("ravine(angle=30)", "momentum", 0.6, 0.5, "oscillating"),  # the textbook's setting, rotated
    ("bowl", "momentum", 0.3, 0.2, "oscillating"),
    ("booth", "nesterov", 0.05, 0.5, "monotone"),
    ("ravine(a=0.5, b=1, angle=-60)", "gd", 0.3, 0.0, "monotone"),
]


def observed_rate(fn, rule: str, lr: float, beta: float, rho: float) -> tuple[float, np.ndarray]:
    """The rate a real run shows: the envelope of the distance to the minimum (its max over a
    window longer than a turn of the spiral) at two places m steps apart, as the m-th root of
    their ratio. The run is long enough for the other directions to die out, short enough to stay
    above rounding or overflow: a minimum at the origin keeps its relative precision down to
    underflow (the iteration is linear and homogeneous), one elsewhere only to about 1e-10."""
    floor = 1e-280 if not any(fn.minima[0].point) else 1e-10
    steps = 400 if rho >= 1 else int(min(2000, math.log(floor) / math.log(rho)))
    traj = optviz.run(fn, spec_for(rule, beta), lr=lr, steps=steps)
    assert not traj.diverged
    error = traj.points - np.array(fn.minima[0].point)
    distance = np.hypot(error[:, 0], error[:, 1])  # no squares: they would underflow
    m = steps // 2
    w = m // 2
    return (distance[steps - w :].max() / distance[steps - m - w : steps - m + 1].max()) ** (1 / m), error


@pytest.mark.parametrize(("spec", "rule", "lr", "beta", "regime"), CASES)
def test_the_spectral_radius_is_the_rate_of_real_runs(spec, rule, lr, beta, regime):
    fn = get(spec)
    rho, found = st.rate(rule, np.array(lr), np.array(beta), st.curvatures(fn))
    assert st.REGIMES[int(found)] == regime
    rate, _ = observed_rate(fn, rule, lr, beta, float(rho))
    assert rate == pytest.approx(float(rho), rel=2e-3)


def test_the_regime_is_what_the_slowest_direction_does():
    """On the unrotated ravine the eigenvectors are the axes: the coordinate that sets ρ keeps its
    sign when monotone and flips when oscillating, at the end of the run."""
    fn = get("ravine")
    hs = st.curvatures(fn)
    seen = set()
    for _, rule, lr, beta, regime in [c for c in CASES if c[0] == "ravine" and c[4] != "diverging"]:
        per_direction = [float(st.rate(rule, np.array(lr), np.array(beta), (h,))[0]) for h in hs]
        slowest = int(np.argmax(per_direction))
        rho = max(per_direction)
        _, error = observed_rate(fn, rule, lr, beta, rho)
        tail = np.sign(error[len(error) // 2 :, slowest])
        flips = int((tail[1:] != tail[:-1]).sum())
        assert (flips == 0) == (regime == "monotone"), (rule, lr, beta, flips)
        seen.add((rule, regime))
    assert len(seen) == 6


def test_the_map_is_the_closed_form_on_its_grid():
    fn = get("ravine")
    data = st.stability_map(fn, "momentum", resolution=50)
    rho, regime = st.rate("momentum", data.lrs[None, :], data.betas[:, None], st.curvatures(fn))
    assert data.rho.shape == (50, 50) and np.array_equal(data.rho, rho) and np.array_equal(data.regime, regime)
    assert set(np.unique(data.regime)) == {st.MONOTONE, st.OSCILLATING, st.DIVERGING}
    assert data.lrs[0] > 0 and data.betas[-1] < 0.99


@pytest.mark.parametrize("rule", st.RULES)
def test_the_optimum_is_the_textbooks_and_the_search_finds_it(rule):
    mu, big = 0.2, 4.0
    kappa = big / mu
    best = st.optimum(rule, (mu, big))
    if rule == "gd":
        assert (best.lr, best.beta, best.rho) == pytest.approx((2 / (big + mu), 0, (kappa - 1) / (kappa + 1)))
    if rule == "momentum":  # Polyak's heavy ball
        q = (math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)
        assert (best.lr, best.beta, best.rho) == pytest.approx((4 / (math.sqrt(big) + math.sqrt(mu)) ** 2, q * q, q))
    found = st.search_optimum(rule, (mu, big), 0.99)
    assert (found.lr, found.beta, found.rho) == pytest.approx((best.lr, best.beta, best.rho), rel=1e-6, abs=1e-9)
    rho, _ = st.rate(rule, np.array(best.lr), np.array(best.beta), (mu, big))
    assert float(rho) == pytest.approx(best.rho)
    # nothing on a fine grid beats it
    grid, _ = st.rate(rule, np.linspace(1e-3, 1, 400)[:, None], np.linspace(0, 0.99, 400)[None, :], (mu, big))
    assert grid.min() >= best.rho - 1e-12


def test_the_map_does_not_depend_on_the_angle():
    maps = [st.stability_map(get(f"ravine(angle={a})"), "nesterov", resolution=40) for a in (0, 30, 90)]
    for other in maps[1:]:
        np.testing.assert_allclose(other.rho, maps[0].rho, rtol=1e-12, atol=1e-12)


def test_curvatures_of_every_supported_quadratic():
    assert st.curvatures(get("bowl")) == (2.0, 4.0)
    assert st.curvatures(get("booth")) == pytest.approx((2.0, 18.0))
    assert st.curvatures(get("square")) == (2.0,)
    assert st.curvatures(get("single_weight(x=3)")) == (18.0,)
    assert st.curvatures(get("ravine(a=0.5, b=2, angle=30)")) == pytest.approx((1.0, 4.0))
    fn = get("thermometer(scale=0.1)")
    hs = st.curvatures(fn)
    # the Hessian of the mean squared error is (2/n) [[Σu², Σu], [Σu, n]]: trace and determinant
    u = 0.1 * np.array([35.7, 55.9, 58.2, 81.9, 56.3, 48.9, 33.9, 21.8, 48.4, 60.4, 68.4])
    n = len(u)
    assert sum(hs) == pytest.approx(2 / n * ((u * u).sum() + n))
    assert hs[0] * hs[1] == pytest.approx((2 / n) ** 2 * ((u * u).sum() * n - u.sum() ** 2))


@pytest.mark.parametrize("spec", ["himmelblau", "rosenbrock", "xcos", "two_layer"])
def test_a_function_that_is_not_quadratic_is_refused_naming_the_supported_ones(spec):
    with pytest.raises(SpecError) as err:
        StabilitySettings(fn=spec)
    message = str(err.value)
    assert f"{spec} is not a quadratic" in message and "--empirical" in message
    assert all(name in message for name in st.QUADRATICS)
    assert err.value.setting == "fn" and "\n" not in message


def test_the_saddle_is_refused_as_not_convex():
    with pytest.raises(SpecError, match=r"saddle is a quadratic but not convex \(curvature -2"):
        StabilitySettings(fn="saddle")
    StabilitySettings(fn="saddle", empirical=True)  # measured, it is allowed


def test_angle_and_marks():
    settings = StabilitySettings(fn="ravine", angle=30, marks=["sgd(momentum=0.5),lr=0.6", "gd, lr=0.3"])
    assert settings.fn.spec == "ravine(angle=30)"
    assert [(m.rule, m.lr, m.beta) for m in settings.marks] == [("momentum", 0.6, 0.5), ("gd", 0.3, 0.0)]
    assert parse_mark("sgd(momentum=0.9, nesterov=true, lr=0.1)").rule == "nesterov"
    assert parse_mark("momentum, lr=0.1").beta == 0.9
    for bad, words in [
        ("adam,lr=0.1", "SGD"),
        ("sgd(momentum=0.5)", "needs a learning rate"),
        ("sgd(momentum=0.5, weight_decay=0.1),lr=0.1", "weight decay"),
        ("sgd,lr=-1", "lr=VALUE"),
        ("sgd,momentum=0.5", "only lr=VALUE"),
    ]:
        with pytest.raises(SpecError, match=words):
            parse_mark(bad)
    with pytest.raises(SpecError, match="use --opt nesterov"):
        StabilitySettings(marks=["nesterov,lr=0.1"])
    with pytest.raises(SpecError, match="has no angle"):
        StabilitySettings(fn="bowl", angle=10)


def test_bad_ranges():
    for field, value, words in [
        ("lr", "1..0.5", "LO must be below HI"),
        ("lr", "-1..1", "LO must be >= 0"),
        ("lr", "a..b", "a range LO..HI"),
        ("momentum", "0..1", "below 1"),
        ("resolution", 0, "from 2 to 1000"),
    ]:
        with pytest.raises(HyperparameterError, match=words) as err:
            StabilitySettings(**{field: value})
        assert err.value.setting == field


def test_the_measured_map_holds_the_runs_own_numbers():
    """Each cell is the loss above the minimum of the same run made alone, bit for bit."""
    fn = get("ravine")
    data = empirical_map(fn, "nesterov", (0.0, 0.6), (0.0, 0.9), resolution=12, steps=40)
    assert data.values.shape == (12, 12) and data.diverged.any() and not data.diverged.all()
    for i, j in [(0, 0), (3, 7), (11, 11), (6, 2), (9, 10)]:
        single = optviz.run(fn, spec_for("nesterov", float(data.betas[i])), lr=float(data.lrs[j]), steps=40)
        if data.diverged[i, j]:
            assert single.diverged or single.final_loss > data.start_gap
            assert math.isnan(data.values[i, j])
        else:
            assert data.values[i, j] == single.final_loss  # f* = 0: the gap is the loss


def test_the_measured_map_of_a_function_with_no_closed_form_needs_an_lr_range():
    with pytest.raises(HyperparameterError, match="needs the lr range"):
        empirical_map(get("himmelblau"), "momentum", None, resolution=4, steps=5)
    data = empirical_map(get("himmelblau"), "gd", (0.0, 0.03), resolution=6, steps=20)
    assert data.values.shape == (1, 6) and data.curvatures is None
