"""Rprop, ASGD, Adafactor and L-BFGS against torch.optim (float64), and batches against single runs.

L-BFGS is compared with ``torch.optim.LBFGS`` stepped with a closure that returns optviz's exact
loss and gradient; its points and its function evaluations per step. torch's CPU ``add(alpha=)``
fuses the multiply-add, and optviz rounds it once too (exact integer arithmetic), so on this
machine the paths agree bit for bit, rosenbrock included. A torch build without fused kernels
would drift on rosenbrock, where the fixed-step inner loop is chaotic (measured with unfused
arithmetic: 3.9e-10 relative after 3 steps of the default lbfgs); the assertion is the 1e-10
relative of every parity test.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import require_torch, torch_path

import optviz
from optviz.errors import HyperparameterError, UnknownNameError
from optviz.optim import get_entry

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


LBFGS_CASES = [
    ("lbfgs", {}, 1.0),
    ("lbfgs(line_search_fn='strong_wolfe')", {"line_search_fn": "strong_wolfe"}, 1.0),
    ("lbfgs(history_size=2, max_iter=5)", {"history_size": 2, "max_iter": 5}, 0.5),
    (
        'lbfgs(max_eval=7, max_iter=10, line_search_fn="strong_wolfe")',
        {"max_eval": 7, "max_iter": 10, "line_search_fn": "strong_wolfe"},
        1.0,
    ),
    ("lbfgs(tolerance_grad=1e-3, tolerance_change=1e-4)", {"tolerance_grad": 1e-3, "tolerance_change": 1e-4}, 1.0),
    ("lbfgs(max_iter=1)", {"max_iter": 1}, 0.1),
    (
        "lbfgs(max_iter=2, history_size=3, line_search_fn='strong_wolfe')",
        {"max_iter": 2, "history_size": 3, "line_search_fn": "strong_wolfe"},
        1.0,
    ),
]


def torch_lbfgs_path(fn, kwargs, lr, start, steps):
    """torch.optim.LBFGS's points (steps + 1, D) and function evaluations per step (steps,),
    one ``optimizer.step(closure)`` per step, the closure giving optviz's loss and gradient."""
    torch = require_torch()
    param = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([param], lr=lr, **kwargs)
    calls = [0]

    def closure():
        x = param.detach().numpy().copy()
        calls[0] += 1
        with np.errstate(all="ignore"):
            param.grad = torch.from_numpy(fn.grad(x))
            return torch.tensor(float(fn.f(x)), dtype=torch.float64)

    points, evaluations = [param.detach().numpy().copy()], []
    for _ in range(steps):
        before = calls[0]
        optimizer.step(closure)
        points.append(param.detach().numpy().copy())
        evaluations.append(calls[0] - before)
    return np.array(points), np.array(evaluations)


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


@pytest.mark.parametrize(("fn_spec", "start", "lr_scale"), TARGETS, ids=[t[0] for t in TARGETS])
@pytest.mark.parametrize(("spec", "kwargs", "lr"), LBFGS_CASES, ids=[c[0] for c in LBFGS_CASES])
def test_lbfgs_matches_torch(spec, kwargs, lr, fn_spec, start, lr_scale):
    """One update is one ``optimizer.step(closure)``: the points after each and the number of
    closure calls each made."""
    del lr_scale  # L-BFGS scales its own steps (its first step is min(1, 1/|g|₁)·lr)
    fn = optviz.get_function(fn_spec)
    traj = optviz.run(fn, spec, lr=lr, steps=STEPS, start=start)
    expected, evaluations = torch_lbfgs_path(fn, kwargs, lr, start, STEPS)
    _compare(traj.points, expected)
    np.testing.assert_array_equal(traj.evaluations, evaluations)


def test_lbfgs_records_inner_iterates():
    """With record_state, traj.state["inner"][k] holds the points after each inner iteration of
    step k; the last is points[k+1], and there are as many as the step made (<= max_iter)."""
    traj = optviz.run("rosenbrock", "lbfgs(max_iter=5)", steps=12, record_state=True)
    inner = traj.state["inner"]
    assert inner.shape == (12, 5, 2)
    for k in range(12):
        made = np.isfinite(inner[k]).all(1)
        count = int(made.sum())
        assert made[:count].all() and not made[count:].any()
        if count:
            np.testing.assert_array_equal(inner[k, count - 1], traj.points[k + 1])
        else:  # nothing to do: the gradient was already below tolerance_grad
            np.testing.assert_array_equal(traj.points[k + 1], traj.points[k])
    assert traj.evaluations.max() > 1  # the fixed-step inner loop evaluates after each iteration


def test_lbfgs_in_a_mixed_batch():
    """lbfgs next to other optimizers: its runs keep their evaluation counts and inner points,
    the others count one gradient per update."""
    specs = ["adam", "lbfgs(max_iter=3)", "lbfgs(max_iter=6, line_search_fn='strong_wolfe')"]
    batch = optviz.run_batch("ravine(angle=45)", specs, lr=0.5, steps=20, record_state=True)
    assert (batch.evaluations[0] == 1).all()
    for i, spec in enumerate(specs[1:], start=1):
        single = optviz.run("ravine(angle=45)", spec, lr=0.5, steps=20, record_state=True)
        np.testing.assert_array_equal(batch[i].points, single.points)
        np.testing.assert_array_equal(batch[i].evaluations, single.evaluations)
        width = single.state["inner"].shape[1]
        np.testing.assert_array_equal(batch[i].state["inner"][:, :width], single.state["inner"])
        assert np.isnan(batch[i].state["inner"][:, width:]).all()


def test_lbfgs_refuses_noise_and_minibatches():
    with pytest.raises(HyperparameterError, match="lbfgs evaluates the loss itself"):
        optviz.run("ravine", "lbfgs", steps=5, noise=0.1)
    with pytest.raises(HyperparameterError, match="lbfgs evaluates the loss itself"):
        optviz.run("thermometer", "lbfgs", steps=5, batch_size=4)


def test_lbfgs_closure_update_does_not_mutate_its_inputs():
    """The closure stepper, like the others, returns a new state and leaves its arguments and the
    old state as they were (test_optim checks the gradient steppers)."""
    fn = optviz.get_function("rosenbrock")
    stepper = get_entry("lbfgs").build(line_search_fn="strong_wolfe")

    def evaluate(x):
        return fn.f(x), fn.grad(x)

    params = np.array([[-1.2, 1.0], [0.5, 0.5], [2.0, -1.0]])
    state = stepper.init(params)
    _, state = stepper.closure_update(evaluate, state, params, 1.0)
    frozen = repr(state.runs)
    params_copy = params.copy()
    again, _ = stepper.closure_update(evaluate, state, params, 1.0)
    third, _ = stepper.closure_update(evaluate, state, params, 1.0)
    np.testing.assert_array_equal(params, params_copy)
    assert repr(state.runs) == frozen
    np.testing.assert_array_equal(again, third)


BATCH_CASES = [(case[0], case[-1]) for case in CASES + LBFGS_CASES]


@pytest.mark.parametrize(("spec", "lr"), BATCH_CASES, ids=[c[0] for c in BATCH_CASES])
def test_batch_equals_single_runs(spec, lr):
    """Two lrs × four starts in one batch; each run bit for bit its single run (L-BFGS's runs
    take different branches, and their evaluation counts differ)."""
    fn = optviz.get_function("himmelblau")
    starts = np.array([[0.5, -0.5], [-1.0, 2.0], [3.0, 3.0], [-2.0, -2.0]])
    lrs = [lr * 0.1, lr]
    batch = optviz.run_batch(fn, spec, lr=lrs, steps=60, start=starts)
    for i, (run_lr, start) in enumerate((a, s) for a in lrs for s in starts):
        single = optviz.run(fn, spec, lr=run_lr, steps=60, start=start)
        np.testing.assert_array_equal(batch[i].points, single.points, err_msg=f"{spec} run {i}")
        np.testing.assert_array_equal(batch[i].loss, single.loss, err_msg=f"{spec} run {i}")
        if spec.startswith("lbfgs"):
            np.testing.assert_array_equal(batch[i].evaluations, single.evaluations, err_msg=f"{spec} run {i}")


@pytest.mark.parametrize(
    "specs",
    [
        ["rprop(etas=(0.5, 1.2))", "rprop(etas=(0.3, 1.5), step_sizes=(1e-4, 1.0))"],
        ["asgd(t0=10)", "asgd(t0=40, lambd=0.1, alpha=0.5)", "asgd(weight_decay=0.1)"],
        ["adafactor", "adafactor(beta2_decay=-0.5, d=2, eps=(1e-20, 1e-2))", "adafactor(weight_decay=0.1)"],
        ["lbfgs(max_iter=3)", "lbfgs(max_iter=7, history_size=2)", "lbfgs(max_eval=10)", "lbfgs(tolerance_grad=1e-2)"],
    ],
    ids=["rprop", "asgd", "adafactor", "lbfgs"],
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
        ("lbfgs(line_search_fn='strong_wolf')", UnknownNameError, "did you mean 'strong_wolfe'"),
        ("lbfgs(line_search_fn=1)", HyperparameterError, "must be one of strong_wolfe, none"),
        ("lbfgs(max_iter=0)", HyperparameterError, "invalid max_iter"),
        ("lbfgs(max_iter=2.5)", HyperparameterError, "whole number"),
        ("lbfgs(max_eval=0)", HyperparameterError, "invalid max_eval"),
        ("lbfgs(history_size=0)", HyperparameterError, "invalid history_size"),
        ("lbfgs(tolerance_grad=-1)", HyperparameterError, "invalid tolerance_grad"),
        ("lbfgs(tolerance_change=nan)", HyperparameterError, "invalid tolerance_change"),
        ("asgd(alpha=nan)", HyperparameterError, "invalid alpha"),
        ("asgd(t0=-5)", HyperparameterError, "invalid t0"),
        ("asgd(weight_decay=-0.1)", HyperparameterError, "invalid weight_decay"),
    ],
)
def test_invalid_hyperparameters(spec, error, words):
    with pytest.raises(error, match=words):
        optviz.run("ravine", spec, steps=5)
