"""optviz.register: your own Python function, checked against finite differences."""

from __future__ import annotations

import numpy as np
import pytest

import optviz
from optviz.errors import HyperparameterError, OptvizError, SpecError
from optviz.functions import get
from optviz.functions.registry import REGISTRY


def bowl_f(x):
    return x[..., 0] ** 2 + 3 * x[..., 1] ** 2


def bowl_grad(x):
    return np.stack([2 * x[..., 0], 6 * x[..., 1]], axis=-1)


def register_bowl(name="my_bowl", grad=bowl_grad, **kwargs):
    options = {"dim": 2, "start": (-4, 2), "window": ((-5, 5), (-3, 3)), "minima": [(0, 0)], **kwargs}
    return optviz.register(name, bowl_f, grad, **options)


@pytest.fixture(autouse=True)
def forget_user_functions():
    yield
    from optviz.functions import custom

    for name in list(custom.USER_NAMES):
        REGISTRY.pop(name, None)
    custom.USER_NAMES.clear()


def test_registered_function_runs_by_object_and_by_name():
    fn = register_bowl()
    by_object = optviz.run(fn=fn, opt="adam", lr=0.3, steps=30)
    by_name = optviz.run(fn="my_bowl", opt="adam", lr=0.3, steps=30)
    assert np.array_equal(by_object.points, by_name.points)
    assert get("my_bowl") is fn and fn.minima[0].kind == "global" and fn.minima[0].value == 0.0
    assert by_object.settings["fn"] == "my_bowl" and by_object.points[0].tolist() == [-4.0, 2.0]
    # the same bits as the formula and a hand-written loop would give: GD on the bowl
    gd = optviz.run(fn=fn, opt="gd", lr=0.1, steps=5)
    x = np.array([-4.0, 2.0])
    for _ in range(5):
        x = x - 0.1 * bowl_grad(x)
    assert np.array_equal(gd.final, x)


def test_registering_again_replaces_it():
    register_bowl()
    fn = register_bowl(start=(1, 1))
    assert get("my_bowl") is fn and fn.start == (1.0, 1.0)


@pytest.mark.parametrize(
    "grad",
    [
        lambda x: np.stack([2 * x[..., 0], 3 * x[..., 1]], axis=-1),  # a factor off
        lambda x: np.stack([-2 * x[..., 0], -6 * x[..., 1]], axis=-1),  # the sign
        lambda x: np.stack([6 * x[..., 1], 2 * x[..., 0]], axis=-1),  # coordinates swapped
        lambda x: np.stack([2 * x[..., 0] + 1e-3, 6 * x[..., 1]], axis=-1),  # a small offset
    ],
)
def test_a_wrong_gradient_is_rejected(grad):
    with pytest.raises(HyperparameterError) as info:
        register_bowl(grad=grad)
    assert "grad does not match f" in str(info.value) and "\n" not in str(info.value)
    assert "my_bowl" not in REGISTRY


def test_the_right_gradient_of_a_harder_function_passes():
    def f(x):
        return np.sin(x[..., 0]) * np.exp(0.3 * x[..., 1]) + x[..., 1] ** 4 / 40

    def grad(x):
        return np.stack(
            [
                np.cos(x[..., 0]) * np.exp(0.3 * x[..., 1]),
                0.3 * np.sin(x[..., 0]) * np.exp(0.3 * x[..., 1]) + x[..., 1] ** 3 / 10,
            ],
            axis=-1,
        )

    fn = optviz.register("wavy", f, grad, 2, (1, 1), ((-4, 4), (-4, 4)))
    assert fn.dim == 2 and optviz.run(fn=fn, opt="gd", lr=0.05, steps=10).steps == 10


def test_one_dimensional():
    fn = optviz.register("quartic", lambda x: x[..., 0] ** 4 - x[..., 0], lambda x: 4 * x**3 - 1, 1, 2.0, (-2, 2))
    assert fn.window == ((-2.0, 2.0),) and optviz.run(fn=fn, opt="gd", lr=0.01, steps=50).points.shape == (51, 1)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"name": "ravine"}, "built-in"),
        ({"name": "expr"}, "built-in"),
        ({"name": "my bowl"}, "letters, digits"),
        ({"dim": 3}, "must be 1 or 2"),
        ({"window": ((5, -5), (-3, 3))}, "lo < hi"),
        ({"start": (1, 2, 3)}, "3 coordinates"),
        ({"minima": [(0, 0, 0)]}, "minimum"),
    ],
)
def test_bad_arguments_are_one_line_errors(kwargs, words):
    with pytest.raises(OptvizError) as info:
        register_bowl(**kwargs)
    assert words in str(info.value) and "\n" not in str(info.value)


def test_a_function_of_one_point_only_is_refused():
    def f(p):  # p[0] is the first point of a batch, not the first coordinate
        return p[0] ** 2 + 3 * p[1] ** 2

    def grad(p):
        return np.array([2 * p[0], 6 * p[1]])

    with pytest.raises(SpecError, match=r"x\[\.\.\., 0\]"):
        optviz.register("pointwise", f, grad, 2, (-4, 2), ((-5, 5), (-3, 3)))
