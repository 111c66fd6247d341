"""Rprop, ASGD, Adafactor and L-BFGS against torch.optim (float64), and batches against single runs."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import require_torch, torch_path

import optviz
from optviz.errors import HyperparameterError, UnknownNameError

STEPS = 120

# (optviz spec, torch class, torch kwargs, lr): every option torch has for these optimizers
CASES = [
    ("rprop", "Rprop", {}, 0.01),
    ("rprop(etas=(0.3, 1.5))", "Rprop", {"etas": (0.3, 1.5)}, 0.01),
    ("rprop(step_sizes=(1e-3, 0.05))", "Rprop", {"step_sizes": (1e-3, 0.05)}, 0.01),
    ("rprop(maximize=true)", "Rprop", {"maximize": True}, 0.001),
    ("asgd", "ASGD", {}, 0.05),
    ("asgd(t0=30, lambd=0.01, alpha=0.5)", "ASGD", {"t0": 30, "lambd": 0.01, "alpha": 0.5}, 0.05),
    ("asgd(t0=0)", "ASGD", {"t0": 0}, 0.05),
    ("asgd(weight_decay=0.1, t0=50)", "ASGD", {"weight_decay": 0.1, "t0": 50}, 0.05),
    ("asgd(maximize=true)", "ASGD", {"maximize": True}, 0.0005),
    ("adafactor", "Adafactor", {}, 0.01),
    ("adafactor(beta2_decay=-0.5, d=2)", "Adafactor", {"beta2_decay": -0.5, "d": 2.0}, 0.05),
    ("adafactor(eps=(1e-30, 1e-2))", "Adafactor", {"eps": (1e-30, 1e-2)}, 0.05),
    ("adafactor(eps=(none, 0))", "Adafactor", {"eps": (None, 0.0)}, 0.05),
    ("adafactor(weight_decay=0.5)", "Adafactor", {"weight_decay": 0.5}, 0.05),
    ("adafactor(maximize=true)", "Adafactor", {"maximize": True}, 0.005),
]
IDS = [case[0] for case in CASES]

# (function, start, lr scale): the ravine also rotated; rosenbrock and the raw thermometer are steep
TARGETS = [
    ("bowl", (-5.0, -2.0), 1.0),
    ("ravine", (-5.0, -2.0), 1.0),
    ("ravine(angle=45)", (-4.0, 2.0), 1.0),
    ("rosenbrock", (-1.2, 1.0), 0.02),
    ("thermometer", (1.0, 0.0), 0.002),
]


def _compare(points, expected):
    """Within 1e-10 relative; near 0 a few ulps of the path's scale stand in (torch fuses
    multiply-adds, we do not)."""
    finite = np.isfinite(expected).all(-1)
    assert finite[: len(points)].all()
    assert len(points) == finite.sum(), "optviz and torch disagree on divergence"
    assert len(points) > 100, "the case should stay finite long enough to be a real comparison"
    scale = np.abs(expected[: len(points)]).max()
    np.testing.assert_allclose(points, expected[: len(points)], rtol=1e-10, atol=1e-12 * scale)


@pytest.mark.parametrize(("fn_spec", "start", "lr_scale"), TARGETS, ids=[t[0] for t in TARGETS])
@pytest.mark.parametrize(("spec", "torch_name", "kwargs", "lr"), CASES, ids=IDS)
def test_matches_torch(spec, torch_name, kwargs, lr, fn_spec, start, lr_scale):
    fn = optviz.get_function(fn_spec)
    lr = lr * (lr_scale if not spec.startswith("rprop") else 1.0)  # Rprop's lr is a step size, not a rate
    traj = optviz.run(fn, spec, lr=lr, steps=STEPS, start=start)
    expected, _ = torch_path(fn, torch_name, kwargs, lr, start, STEPS)
    _compare(traj.points, expected)


@pytest.mark.parametrize(("spec", "torch_name", "kwargs", "lr"), CASES, ids=IDS)
def test_batch_equals_single_runs(spec, torch_name, kwargs, lr):
    """Two lrs × four starts in one batch; each run bit for bit its single run."""
    del torch_name, kwargs
    fn = optviz.get_function("himmelblau")
    starts = np.array([[0.5, -0.5], [-1.0, 2.0], [3.0, 3.0], [-2.0, -2.0]])
    lrs = [lr * 0.1, lr]
    batch = optviz.run_batch(fn, spec, lr=lrs, steps=60, start=starts)
    for i, (run_lr, start) in enumerate((a, s) for a in lrs for s in starts):
        single = optviz.run(fn, spec, lr=run_lr, steps=60, start=start)
        np.testing.assert_array_equal(batch[i].points, single.points, err_msg=f"{spec} run {i}")
        np.testing.assert_array_equal(batch[i].loss, single.loss, err_msg=f"{spec} run {i}")


@pytest.mark.parametrize(
    "specs",
    [
        ["rprop(etas=(0.5, 1.2))", "rprop(etas=(0.3, 1.5), step_sizes=(1e-4, 1.0))"],
        ["asgd(t0=10)", "asgd(t0=40, lambd=0.1, alpha=0.5)", "asgd(weight_decay=0.1)"],
        ["adafactor", "adafactor(beta2_decay=-0.5, d=2, eps=(1e-20, 1e-2))", "adafactor(weight_decay=0.1)"],
    ],
    ids=["rprop", "asgd", "adafactor"],
)
def test_per_run_hyperparameters_batch_equals_single_runs(specs):
    """Runs whose numbers differ share one (N, D) array and still equal their single runs."""
    fn = optviz.get_function("ravine(angle=45)")
    batch = optviz.run_batch(fn, specs, lr=0.05, steps=80)
    for spec, traj in zip(specs, batch, strict=True):
        np.testing.assert_array_equal(traj.points, optviz.run(fn, spec, lr=0.05, steps=80).points, err_msg=spec)


def test_rprop_ignores_later_learning_rates():
    """As in torch, the lr only seeds the step sizes: a schedule after the first update changes nothing."""
    plain = optviz.run("ravine", "rprop", lr=0.05, steps=40)
    scheduled = optviz.run("ravine", "rprop", lr=0.05, steps=40, schedule="step(step_size=1, gamma=0.5)")
    np.testing.assert_array_equal(plain.points, scheduled.points)
    assert scheduled.lr[-1] < plain.lr[-1]


@pytest.mark.parametrize(("fn_spec", "start", "lr_scale"), TARGETS, ids=[t[0] for t in TARGETS])
def test_asgd_average_matches_torch(fn_spec, start, lr_scale):
    """The running average ``ax`` (recorded as ``traj.state["ax"]``) is torch's ``state["ax"]``
    after every update. Update k averages with weight 1/max(1, k − 1 − t0), so with t0=30 it
    is the point itself up to update 32 and an average from update 33 on."""
    torch = require_torch()
    fn = optviz.get_function(fn_spec)
    lr, kwargs = 0.05 * lr_scale, {"t0": 30, "lambd": 0.01}
    traj = optviz.run(fn, "asgd(t0=30, lambd=0.01)", lr=lr, steps=STEPS, start=start, record_state=True)
    param = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.ASGD([param], lr=lr, foreach=False, **kwargs)
    expected = []
    for _ in range(STEPS):
        param.grad = torch.from_numpy(fn.grad(param.detach().numpy().copy()))
        optimizer.step()
        expected.append(optimizer.state[param]["ax"].numpy().copy())
    expected = np.array(expected)
    _compare(np.vstack([traj.points[:1], traj.state["ax"]]), np.vstack([traj.points[:1], expected]))
    assert (traj.state["ax"][:32] == traj.points[1:33]).all()
    assert (traj.state["ax"][32:] != traj.points[33:]).any(axis=1).all()


@pytest.mark.parametrize(
    ("spec", "error", "words"),
    [
        ("rprop(etas=(1.5, 1.2))", HyperparameterError, "0 < etaminus < 1 < etaplus"),
        ("rprop(etas=(0.5, 0.9))", HyperparameterError, "0 < etaminus < 1 < etaplus"),
        ("rprop(etas=0.5)", HyperparameterError, "pair"),
        ("rprop(step_sizes=(1, 0.1))", HyperparameterError, "must not exceed"),
        ("rprop(step_sizes=(-1, 1))", HyperparameterError, r"step_sizes\[0\]"),
        ("rprop(momentum=0.9)", UnknownNameError, "hyperparameter of rprop"),
        ("adafactor(beta2_decay=0.5)", HyperparameterError, "beta2_decay.*<= 0"),
        ("adafactor(eps=1e-3)", HyperparameterError, "pair"),
        ("adafactor(eps=(-1, 1e-3))", HyperparameterError, "eps1"),
        ("adafactor(eps=(none, -1))", HyperparameterError, "eps2"),
        ("adafactor(d=0.5)", HyperparameterError, "invalid d"),
        ("adafactor(weight_decay=-1)", HyperparameterError, "invalid weight_decay"),
        ("asgd(lambd=-1)", HyperparameterError, "invalid lambd"),
        ("asgd(alpha=nan)", HyperparameterError, "invalid alpha"),
        ("asgd(t0=-5)", HyperparameterError, "invalid t0"),
        ("asgd(weight_decay=-0.1)", HyperparameterError, "invalid weight_decay"),
    ],
)
def test_invalid_hyperparameters(spec, error, words):
    with pytest.raises(error, match=words):
        optviz.run("ravine", spec, steps=5)
