"""Every optimizer and option against torch.optim (float64), and a batch against its single runs."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import require_torch, torch_path

import optviz
from optviz.errors import HyperparameterError, UnknownNameError
from optviz.optim import OPTIMIZERS, resolve

STEPS = 120

# (optviz spec, torch class, torch kwargs, lr): every option torch has for these optimizers
OPTIMIZERS_UNDER_TEST = [
    ("gd", "SGD", {}, 0.05),
    ("sgd(momentum=0.9)", "SGD", {"momentum": 0.9}, 0.02),
    ("sgd(momentum=0.9, dampening=0.5)", "SGD", {"momentum": 0.9, "dampening": 0.5}, 0.02),
    ("sgd(momentum=0.9, nesterov=true)", "SGD", {"momentum": 0.9, "nesterov": True}, 0.02),
    ("sgd(momentum=0.5, weight_decay=0.1)", "SGD", {"momentum": 0.5, "weight_decay": 0.1}, 0.02),
    ("sgd(maximize=true)", "SGD", {"maximize": True}, 0.005),
    ("momentum", "SGD", {"momentum": 0.9}, 0.02),
    ("nesterov", "SGD", {"momentum": 0.9, "nesterov": True}, 0.02),
    ("adagrad", "Adagrad", {}, 0.3),
    (
        "adagrad(lr_decay=0.01, initial_accumulator_value=0.1)",
        "Adagrad",
        {"lr_decay": 0.01, "initial_accumulator_value": 0.1},
        0.3,
    ),
    ("adagrad(weight_decay=0.1, eps=1e-6)", "Adagrad", {"weight_decay": 0.1, "eps": 1e-6}, 0.3),
    ("adagrad(maximize=true)", "Adagrad", {"maximize": True}, 0.01),
    ("rmsprop", "RMSprop", {}, 0.01),
    ("rmsprop(centered=true)", "RMSprop", {"centered": True}, 0.01),
    ("rmsprop(momentum=0.5)", "RMSprop", {"momentum": 0.5}, 0.01),
    (
        "rmsprop(centered=true, momentum=0.9, alpha=0.9)",
        "RMSprop",
        {"centered": True, "momentum": 0.9, "alpha": 0.9},
        0.005,
    ),
    ("rmsprop(weight_decay=0.1, eps=1e-4)", "RMSprop", {"weight_decay": 0.1, "eps": 1e-4}, 0.01),
    ("rmsprop(maximize=true)", "RMSprop", {"maximize": True}, 0.001),
    ("adadelta", "Adadelta", {}, 1.0),
    (
        "adadelta(rho=0.95, eps=1e-4, weight_decay=0.1)",
        "Adadelta",
        {"rho": 0.95, "eps": 1e-4, "weight_decay": 0.1},
        1.0,
    ),
    ("adadelta(maximize=true)", "Adadelta", {"maximize": True}, 0.5),
    ("adam", "Adam", {}, 0.05),
    ("adam(amsgrad=true)", "Adam", {"amsgrad": True}, 0.05),
    ("adam(betas=(0.8, 0.99), eps=1e-6)", "Adam", {"betas": (0.8, 0.99), "eps": 1e-6}, 0.05),
    ("adam(weight_decay=0.1)", "Adam", {"weight_decay": 0.1}, 0.05),
    (
        "adam(weight_decay=0.1, decoupled_weight_decay=true)",
        "Adam",
        {"weight_decay": 0.1, "decoupled_weight_decay": True},
        0.05,
    ),
    ("adam(maximize=true)", "Adam", {"maximize": True}, 0.01),
    ("adamw", "AdamW", {}, 0.05),
    ("adamw(weight_decay=0.2, amsgrad=true)", "AdamW", {"weight_decay": 0.2, "amsgrad": True}, 0.05),
    ("adamax", "Adamax", {}, 0.05),
    ("adamax(betas=(0.5, 0.9), weight_decay=0.1)", "Adamax", {"betas": (0.5, 0.9), "weight_decay": 0.1}, 0.05),
    ("adamax(maximize=true)", "Adamax", {"maximize": True}, 0.01),
    ("nadam", "NAdam", {}, 0.05),
    ("nadam(momentum_decay=0.01, weight_decay=0.1)", "NAdam", {"momentum_decay": 0.01, "weight_decay": 0.1}, 0.05),
    (
        "nadam(weight_decay=0.1, decoupled_weight_decay=true)",
        "NAdam",
        {"weight_decay": 0.1, "decoupled_weight_decay": True},
        0.05,
    ),
    ("nadam(maximize=true)", "NAdam", {"maximize": True}, 0.01),
    ("radam", "RAdam", {}, 0.05),
    ("radam(betas=(0.9, 0.9))", "RAdam", {"betas": (0.9, 0.9)}, 0.05),
    ("radam(weight_decay=0.1)", "RAdam", {"weight_decay": 0.1}, 0.05),
    (
        "radam(weight_decay=0.1, decoupled_weight_decay=true)",
        "RAdam",
        {"weight_decay": 0.1, "decoupled_weight_decay": True},
        0.05,
    ),
    ("radam(maximize=true)", "RAdam", {"maximize": True}, 0.01),
]
IDS = [case[0] for case in OPTIMIZERS_UNDER_TEST]

# (function, start, lr scale): quadratic, rotated, curved valley, non-convex
TARGETS = [
    ("bowl", (-5.0, -2.0), 1.0),
    ("ravine(angle=30)", (-4.0, 2.0), 1.0),
    ("rosenbrock", (-1.2, 1.0), 0.02),
    ("himmelblau", (0.5, -0.5), 0.1),
]


@pytest.mark.parametrize(("fn_spec", "start", "lr_scale"), TARGETS, ids=[t[0] for t in TARGETS])
@pytest.mark.parametrize(("spec", "torch_name", "kwargs", "lr"), OPTIMIZERS_UNDER_TEST, ids=IDS)
def test_matches_torch(spec, torch_name, kwargs, lr, fn_spec, start, lr_scale):
    fn = optviz.get_function(fn_spec)
    # steep functions get smaller steps; ascent (maximize) gets smaller ones still, so that every
    # case stays finite for the whole comparison
    lr = lr * lr_scale * (0.1 if "maximize" in spec else 1.0)
    traj = optviz.run(fn, spec, lr=lr, steps=STEPS, start=start)
    expected, _ = torch_path(fn, torch_name, kwargs, lr, start, STEPS)
    finite = np.isfinite(expected).all(-1)
    assert finite[: len(traj.points)].all()
    assert len(traj.points) == finite.sum(), "optviz and torch disagree on divergence"
    assert len(traj.points) > 100, "the case should stay finite long enough to be a real comparison"
    # near the minimum the coordinates approach 0, where a few ulps of the path's scale (torch's
    # kernels fuse multiply-adds, ours do not) outweigh any relative tolerance
    scale = np.abs(expected[: len(traj.points)]).max()
    np.testing.assert_allclose(traj.points, expected[: len(traj.points)], rtol=1e-10, atol=1e-12 * scale)


@pytest.mark.parametrize(
    ("clip_norm", "clip_value"), [(1.0, None), (None, 0.5), (2.0, 1.0)], ids=["norm", "value", "value+norm"]
)
def test_clipping_matches_torch(clip_norm, clip_value):
    fn = optviz.get_function("rosenbrock")
    traj = optviz.run(fn, "sgd(momentum=0.9)", lr=1e-3, steps=STEPS, clip_norm=clip_norm, clip_value=clip_value)
    expected, _ = torch_path(
        fn, "SGD", {"momentum": 0.9}, 1e-3, fn.start, STEPS, clip_norm=clip_norm, clip_value=clip_value
    )
    np.testing.assert_allclose(traj.points, expected, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize(("spec", "torch_name", "kwargs", "lr"), OPTIMIZERS_UNDER_TEST, ids=IDS)
def test_batch_equals_single_runs(spec, torch_name, kwargs, lr):
    del torch_name, kwargs
    fn = optviz.get_function("himmelblau")
    starts = np.array([[0.5, -0.5], [-1.0, 2.0], [3.0, 3.0], [-2.0, -2.0]])
    lrs = [lr * 0.01, lr * 0.1]
    batch = optviz.run_batch(fn, spec, lr=lrs, steps=60, start=starts)
    assert len(batch) == len(lrs) * len(starts)
    for i, (run_lr, start) in enumerate((a, s) for a in lrs for s in starts):
        single = optviz.run(fn, spec, lr=run_lr, steps=60, start=start)
        np.testing.assert_array_equal(batch[i].points, single.points)
        np.testing.assert_array_equal(batch[i].loss, single.loss)


def test_batch_with_per_run_hyperparameters_equals_single_runs():
    """Runs whose numbers differ (betas, momentum) share one array; flags split the batch."""
    fn = optviz.get_function("ravine(angle=30)")
    specs = [
        "adam(betas=(0.8, 0.99))",
        "adam(betas=(0.9, 0.999), eps=1e-3)",
        "adam(amsgrad=true)",
        "sgd(momentum=0.5)",
        "sgd(momentum=0.9, dampening=0.1)",
        "sgd(momentum=0.0, dampening=0.3)",
        "rmsprop(momentum=0.0)",
        "rmsprop(momentum=0.9)",
        "radam(betas=(0.9, 0.9))",
        "radam",
    ]
    batch = optviz.run_batch(fn, specs, lr=0.05, steps=80)
    for spec, traj in zip(specs, batch, strict=True):
        np.testing.assert_array_equal(traj.points, optviz.run(fn, spec, lr=0.05, steps=80).points, err_msg=spec)


@pytest.mark.parametrize(("name", "entry"), OPTIMIZERS.items())
def test_defaults_are_torch_defaults(name, entry):
    torch = require_torch()
    import inspect

    params = inspect.signature(getattr(torch.optim, entry.torch_name).__init__).parameters
    defaults = entry.defaults
    assert defaults["lr"] == params["lr"].default
    for key, value in defaults.items():
        if key in ("lr", "eps_root") or key in entry.preset:
            continue
        assert key in params, f"{name}: torch.optim.{entry.torch_name} has no {key}"
        assert value == params[key].default, (name, key)


def test_eps_root_puts_eps_inside_the_root():
    """adagrad(eps=0, eps_root=e) is the textbook's  x -= lr / sqrt(s + e) * g."""
    fn = optviz.get_function("ravine")
    traj = optviz.run(fn, "adagrad(eps=0, eps_root=1e-6)", lr=0.4, steps=20, start=(-5, -2))
    x, s = np.array([-5.0, -2.0]), np.zeros(2)
    for _ in range(20):
        g = fn.grad(x)
        s = s + g * g
        x = x - 0.4 / np.sqrt(s + 1e-6) * g
    np.testing.assert_allclose(traj.final, x, rtol=1e-12)


@pytest.mark.parametrize(
    ("spec", "error", "words"),
    [
        ("adam(betas=(1.0, 0.999))", HyperparameterError, r"beta1 .* \[0, 1\)"),
        ("adam(betas=(0.9, -0.1))", HyperparameterError, "beta2"),
        ("adam(betas=0.9)", HyperparameterError, "pair"),
        ("adam(eps=-1)", HyperparameterError, "invalid eps"),
        ("sgd(momentum=-0.5)", HyperparameterError, "invalid momentum"),
        ("sgd(weight_decay=-1)", HyperparameterError, "invalid weight_decay"),
        ("sgd(nesterov=true)", HyperparameterError, "Nesterov momentum requires"),
        ("sgd(momentum=0.9, dampening=0.1, nesterov=true)", HyperparameterError, "zero dampening"),
        ("sgd(nesterov=1)", HyperparameterError, "true or false"),
        ("adam(lr=0)", HyperparameterError, "learning rate"),
        ("adam(lr=-1)", HyperparameterError, "learning rate"),
        ("adam(lr=nan)", HyperparameterError, "learning rate"),
        ("adam(momentum=0.9)", UnknownNameError, "hyperparameter of adam"),
        ("adma", UnknownNameError, "did you mean .*'adam'"),
        ("rmsprop(alpha=-1)", HyperparameterError, "alpha"),
        ("adadelta(rho=2)", HyperparameterError, "rho"),
        ("adagrad(lr_decay=-1)", HyperparameterError, "lr_decay"),
        ("nadam(momentum_decay=-1)", HyperparameterError, "momentum_decay"),
        ("adam(eps=abc)", HyperparameterError, "must be a number"),
    ],
)
def test_invalid_hyperparameters(spec, error, words):
    with pytest.raises(error, match=words):
        optviz.run("ravine", spec, steps=5)


def test_resolve_spec_wins_over_overrides():
    entry, options = resolve("adam(lr=0.1, betas=(0.8, 0.9))", {"lr": 0.5, "eps": 1e-3})
    assert entry.name == "adam"
    assert options == {"lr": 0.1, "betas": (0.8, 0.9), "eps": 1e-3}


def test_steppers_do_not_mutate_their_inputs():
    from optviz.optim.registry import OPTIMIZERS as REG

    rng = np.random.default_rng(0)
    for entry in REG.values():
        stepper = entry.build()
        if stepper.closure_update is not None:  # lbfgs takes the function: tests/test_optim_new.py checks it
            continue
        params = rng.normal(size=(3, 2))
        state = stepper.init(params)
        grad = rng.normal(size=(3, 2))
        _, state = stepper.update(grad, state, params, 0.1)
        frozen = [np.copy(v) if isinstance(v, np.ndarray) else v for v in state]
        params_copy, grad_copy = params.copy(), grad.copy()
        stepper.update(grad, state, params, 0.1)
        np.testing.assert_array_equal(params, params_copy)
        np.testing.assert_array_equal(grad, grad_copy)
        for before, after in zip(frozen, state, strict=True):
            np.testing.assert_array_equal(before, after)
