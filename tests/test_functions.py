"""Every registry function: exact gradients, stationary minima, array shapes."""

from __future__ import annotations

import numpy as np
import pytest

from optviz.errors import HyperparameterError, SpecError, UnknownNameError
from optviz.functions import get, names

# every name with its defaults, plus parameterised variants users will type
SPECS = [
    *names(),
    "ravine(angle=30)",
    "ravine(a=0.5, b=3, angle=-45)",
    "xcos(c=1)",
    "rosenbrock(a=2, b=10)",
    "thermometer(scale=0.1)",
    "two_layer(x=2, y=-3)",
    "single_weight(x=3, y=4)",
    "chain(depth=1)",
    "chain(depth=20)",
    "chain(depth=2, x=2, y=-3)",
    "chain(depth=3, x=-0.5, y=2)",
    "chain(depth=6, x=3, y=0.5)",
]


def central_difference(fn, x, h=1e-6):
    eye = np.eye(fn.dim)
    return np.stack([(fn.f(x + h * e) - fn.f(x - h * e)) / (2 * h) for e in eye], axis=-1)


@pytest.mark.parametrize("spec", SPECS)
def test_gradient_matches_central_differences(spec):
    fn = get(spec)
    rng = np.random.default_rng(0)
    (lo, hi) = np.array(fn.window).T
    x = rng.uniform(lo, hi, size=(200, fn.dim))
    exact = fn.grad(x)
    numeric = central_difference(fn, x)
    # central differences are accurate to ~h² f''' + eps·|f|/h; scale by the size of f near x
    scale = 1 + np.abs(fn.f(x))[:, None] + np.abs(exact)
    assert np.all(np.abs(exact - numeric) / scale < 1e-6), spec


@pytest.mark.parametrize("spec", SPECS)
def test_stated_minima_are_stationary_with_their_value(spec):
    fn = get(spec)
    for minimum in fn.minima:
        x = np.asarray(minimum.point)
        assert np.allclose(fn.grad(x), 0, atol=1e-7), (spec, minimum)
        assert fn.f(x) == pytest.approx(minimum.value, abs=1e-9), (spec, minimum)


@pytest.mark.parametrize("spec", SPECS)
def test_stated_minima_are_minima(spec):
    """Global/local minima have a positive definite Hessian (or lie on a flat valley); saddles do not."""
    fn = get(spec)
    h = 1e-5
    for minimum in fn.minima:
        x = np.asarray(minimum.point)
        hess = np.stack([(fn.grad(x + h * e) - fn.grad(x - h * e)) / (2 * h) for e in np.eye(fn.dim)])
        eig = np.linalg.eigvalsh(0.5 * (hess + hess.T))
        if minimum.kind == "saddle":
            assert eig.min() < 1e-6 * max(1, abs(eig).max()), (spec, minimum, eig)
        else:
            assert eig.min() > -1e-6 * max(1, abs(eig).max()), (spec, minimum, eig)


@pytest.mark.parametrize("spec", SPECS)
def test_global_minima_are_lowest_in_window(spec):
    fn = get(spec)
    best = [m.value for m in fn.minima if m.kind == "global"]
    if not best:
        return
    axes = [np.linspace(lo, hi, 201) for lo, hi in fn.window]
    grid = np.stack(np.meshgrid(*axes), axis=-1)
    assert fn.f(grid).min() >= min(best) - 1e-9


@pytest.mark.parametrize("spec", SPECS)
def test_shapes_batch_and_grid(spec):
    fn = get(spec)
    batch = np.zeros((7, fn.dim)) + np.asarray(fn.start)
    grid = np.zeros((3, 5, fn.dim)) + np.asarray(fn.start)
    assert fn.f(batch).shape == (7,)
    assert fn.grad(batch).shape == (7, fn.dim)
    assert fn.f(grid).shape == (3, 5)
    assert fn.grad(grid).shape == (3, 5, fn.dim)
    assert fn.f(np.asarray(fn.start)).shape == ()
    # a batch row equals the same point evaluated alone
    np.testing.assert_array_equal(fn.grad(batch)[3], fn.grad(np.asarray(fn.start)))


@pytest.mark.parametrize("spec", SPECS)
def test_start_inside_window_and_metadata(spec):
    fn = get(spec)
    assert len(fn.start) == fn.dim == len(fn.window) == len(fn.labels)
    for (lo, hi), s in zip(fn.window, fn.start, strict=True):
        assert lo < s < hi
    assert fn.formula and "$" not in fn.formula


def test_thermometer_minibatch_gradient_is_mean_over_subset():
    fn = get("thermometer(scale=0.1)")
    x = np.array([[1.0, 0.0], [5.0, -17.0]])
    full = fn.batch_grad(x, np.arange(fn.n_samples))
    np.testing.assert_allclose(full, fn.grad(x), rtol=1e-14)
    idx = np.array([0, 3, 7])
    parts = np.stack([fn.batch_grad(x, np.array([i])) for i in idx])
    np.testing.assert_allclose(fn.batch_grad(x, idx), parts.mean(0), rtol=1e-13)


def test_thermometer_minimum_is_least_squares():
    from optviz.functions.data import CELSIUS, UNKNOWN

    fn = get("thermometer")
    slope, intercept = np.polyfit(UNKNOWN, CELSIUS, 1)
    np.testing.assert_allclose(fn.minima[0].point, (slope, intercept), rtol=1e-10)


def test_rotated_ravine_is_the_ravine_in_rotated_coordinates():
    fn, plain = get("ravine(angle=30)"), get("ravine")
    t = np.radians(30)
    x = np.random.default_rng(1).normal(size=(50, 2))
    uv = np.stack([np.cos(t) * x[:, 0] - np.sin(t) * x[:, 1], np.sin(t) * x[:, 0] + np.cos(t) * x[:, 1]], -1)
    np.testing.assert_allclose(fn.f(x), plain.f(uv), rtol=1e-12)


@pytest.mark.parametrize(
    ("spec", "error", "words"),
    [
        ("ravin", UnknownNameError, "did you mean 'ravine'"),
        ("ravine(angel=30)", UnknownNameError, "did you mean 'angle'"),
        ("square(c=1)", UnknownNameError, "takes none"),
        ("ravine(a=x)", HyperparameterError, "finite number"),
        ("ravine(a=inf)", HyperparameterError, "finite number"),
        ("ravine(a=-1)", HyperparameterError, "> 0"),
        ("xcos(c=0)", HyperparameterError, "> 0"),
        ("chain(depth=2.5)", HyperparameterError, "whole number from 1 to 100"),
        ("chain(depth=0)", HyperparameterError, "whole number from 1 to 100"),
        ("chain(depth=101)", HyperparameterError, "whole number from 1 to 100"),
        ("chain(x=0)", HyperparameterError, "x must be non-zero"),
        ("ravine(angle=30", SpecError, "expected"),
    ],
)
def test_bad_function_specs(spec, error, words):
    with pytest.raises(error, match=words):
        get(spec)
