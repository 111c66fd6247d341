"""The new schedules against torch's own schedulers, in float64 over 120 updates: the lr of every
update, the momentum or beta1 that cyclic and onecycle set, and the path, within 1e-10 relative,
with SGD, momentum SGD and Adam on bowl, ravine (also rotated), rosenbrock and thermometer."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import require_torch

import optviz
from optviz import schedules
from optviz.errors import HyperparameterError, SpecError, UnknownNameError

STEPS = 120
#: a stable lr per function and optimizer (gd and momentum SGD share one)
LR = {
    "bowl": {"sgd": 0.05, "adam": 0.1},
    "ravine": {"sgd": 0.05, "adam": 0.1},
    "ravine(angle=30)": {"sgd": 0.05, "adam": 0.1},
    "rosenbrock": {"sgd": 1e-3, "adam": 0.02},
    "thermometer": {"sgd": 1e-4, "adam": 0.05},
}
OPTS = {"gd": ("SGD", {}), "momentum": ("SGD", {"momentum": 0.9}), "adam": ("Adam", {})}


def torch_scheduler(torch, optimizer, text, lr, steps):
    """The torch scheduler a schedule spec names (``{lr}`` in the spec: the run's lr)."""
    name, kw = optviz.spec.parse(text)
    s = torch.optim.lr_scheduler
    if name == "linear":
        return s.LinearLR(optimizer, **kw)
    if name == "polynomial":
        return s.PolynomialLR(optimizer, **kw)
    if name == "cosine_restarts":
        return s.CosineAnnealingWarmRestarts(
            optimizer, T_0=kw["t_0"], T_mult=kw.get("t_mult", 1), eta_min=kw.get("eta_min", 0)
        )
    if name == "cyclic":
        return s.CyclicLR(optimizer, **kw)
    if name == "onecycle":
        return s.OneCycleLR(optimizer, max_lr=lr, total_steps=steps, **kw)
    if name == "plateau":
        return s.ReduceLROnPlateau(optimizer, **kw)
    raise AssertionError(name)


def torch_run(fn, opt, lr, text, steps):
    """torch's path, and the lr and momentum (or beta1) of every update."""
    torch = require_torch()
    torch_name, kwargs = OPTS[opt]
    param = torch.tensor(fn.start, dtype=torch.float64, requires_grad=True)
    optimizer = getattr(torch.optim, torch_name)([param], lr=lr, foreach=False, **kwargs)
    sched = torch_scheduler(torch, optimizer, text, lr, steps)
    points, lrs, moms = [param.detach().numpy().copy()], [], []
    for _ in range(steps):
        x = param.detach().numpy().copy()
        with np.errstate(all="ignore"):
            param.grad = torch.from_numpy(fn.grad(x))
            loss = float(fn.f(x[None, :])[0])
        group = optimizer.param_groups[0]
        lrs.append(group["lr"])
        moms.append(group["betas"][0] if "betas" in group else group["momentum"])
        optimizer.step()
        sched.step(loss) if isinstance(sched, torch.optim.lr_scheduler.ReduceLROnPlateau) else sched.step()
        points.append(param.detach().numpy().copy())
    return np.array(points), np.array(lrs), np.array(moms)


def cases():
    """Every new schedule (and its modes) with lrs relative to the run's where torch's are absolute."""
    return [
        lambda lr: "linear",
        lambda lr: "linear(start_factor=0.1, end_factor=0.8, total_iters=40)",
        lambda lr: "polynomial(total_iters=80, power=2.0)",
        lambda lr: "polynomial",
        lambda lr: f"cosine_restarts(t_0=10, t_mult=2, eta_min={lr / 50!r})",
        lambda lr: "cosine_restarts(t_0=25)",
        lambda lr: f"cyclic(base_lr={lr / 10!r}, max_lr={lr!r}, step_size_up=15, step_size_down=10)",
        lambda lr: f"cyclic(base_lr={lr / 10!r}, max_lr={lr!r}, step_size_up=12, mode='triangular2')",
        lambda lr: f'cyclic(base_lr={lr / 10!r}, max_lr={lr!r}, step_size_up=8, mode="exp_range", gamma=0.99)',
        lambda lr: f"cyclic(base_lr={lr / 10!r}, max_lr={lr!r}, step_size_up=20, cycle_momentum=false)",
        lambda lr: "onecycle",
        lambda lr: "onecycle(pct_start=0.25, anneal_strategy='linear', three_phase=true, div_factor=10.0)",
        lambda lr: "onecycle(cycle_momentum=false, base_momentum=0.8, max_momentum=0.99, final_div_factor=100.0)",
        lambda lr: "plateau(factor=0.5, patience=3, threshold=1e-3)",
        lambda lr: (
            f"plateau(factor=0.3, patience=2, threshold=0.05, threshold_mode='abs', cooldown=4, min_lr={lr / 20!r})"
        ),
    ]


@pytest.mark.parametrize("fn_spec", list(LR))
@pytest.mark.parametrize("opt", list(OPTS))
@pytest.mark.parametrize("case", range(len(cases())))
def test_schedule_matches_torch(fn_spec, opt, case):
    fn = optviz.get_function(fn_spec)
    lr = LR[fn_spec]["adam" if opt == "adam" else "sgd"]
    text = cases()[case](lr)
    traj = optviz.run(fn, opt, lr=lr, steps=STEPS, schedule=text)
    points, lrs, moms = torch_run(fn, opt, lr, text, STEPS)
    assert traj.diverged_at is None and np.isfinite(points).all()
    np.testing.assert_allclose(traj.lr, lrs, rtol=1e-12, atol=0)
    np.testing.assert_allclose(traj.points, points, rtol=1e-10, atol=1e-13)
    ours = optviz.settings.RunSettings(fn=fn, opt=opt, lr=lr, steps=STEPS, schedule=text).schedule.momentum
    if ours is not None:  # the momentum (SGD, even plain gd) or beta1 (Adam) torch's scheduler set
        np.testing.assert_allclose(ours, moms, rtol=1e-12, atol=0)
    elif "cycle_momentum=false" in text or not text.startswith(("cyclic", "onecycle")):
        assert np.all(moms == moms[0])  # the optimizer's own, untouched


def test_cases_move_what_they_claim():
    """The cases are not vacuous: plateau reduces the lr within the run, onecycle and cyclic move the momentum."""
    fn = optviz.get_function("ravine")
    reduced = optviz.run(fn, "momentum", lr=0.05, steps=STEPS, schedule=cases()[13](0.05))
    assert len(set(reduced.lr.tolist())) >= 4  # 0.05 halved at least three times
    floored = optviz.run(fn, "gd", lr=0.05, steps=STEPS, schedule=cases()[14](0.05))
    assert floored.lr.min() == 0.05 / 20 and floored.lr[-1] == 0.05 / 20  # down to min_lr, not below
    settings = optviz.settings.RunSettings(fn=fn, opt="gd", lr=0.05, steps=STEPS, schedule="onecycle")
    assert settings.schedule.momentum.min() == pytest.approx(0.85) and settings.schedule.momentum[0] == 0.95


@pytest.mark.parametrize(
    "text",
    [
        "onecycle",
        "plateau(patience=2, factor=0.5)",
        "cyclic(base_lr=0.01, max_lr=0.1, step_size_up=7)",
        "cosine_restarts(t_0=9, eta_min=0.003)",
    ],
)
def test_batch_equals_single_runs_bit_for_bit(text):
    batch = optviz.run_batch(
        "ravine", ["gd", "momentum", "adam"], lr=[0.02, 0.05], steps=80, schedule=text, start=[(-5, -2), (3, 1)]
    )
    for i, traj in enumerate(batch):
        s = batch.settings(i)
        single = optviz.run("ravine", s["opt"], lr=s["lr"], steps=80, start=s["start"], schedule=text)
        assert np.array_equal(single.points, traj.points) and np.array_equal(single.lr, traj.lr)


@pytest.mark.parametrize(
    ("opt", "text", "error", "words"),
    [
        (
            "adagrad",
            "onecycle",
            HyperparameterError,
            "cycles the momentum, which adagrad does not have.*cycle_momentum=false",
        ),
        ("adadelta", "cyclic(base_lr=0.1, max_lr=1)", HyperparameterError, "cycle_momentum=false"),
        ("gd", "cyclic(base_lr=0.1, max_lr=1, mode='triangle2')", UnknownNameError, "did you mean 'triangular2'"),
        ("gd", "onecycle(anneal_strategy='cosine')", UnknownNameError, "did you mean 'cos'"),
        ("gd", "plateau(threshold_mode=relative)", UnknownNameError, "did you mean 'rel'"),
        ("gd", "onecycle(total_steps=10)", UnknownNameError, "parameter of schedule onecycle"),
        ("gd", "cyclic(max_lr=1)", SpecError, "needs base_lr"),
        ("gd", "plateau(factor=1.5)", HyperparameterError, "must be < 1"),
        ("gd", "plateau(patience=-1)", HyperparameterError, "whole number >= 0"),
        ("gd", "cosine_restarts", SpecError, "needs t_0"),
        ("gd", "linear(start_factor=0)", HyperparameterError, "start_factor=0 must be > 0"),
    ],
)
def test_bad_schedules_are_refused_in_one_line(opt, text, error, words):
    with pytest.raises(error, match=words):
        optviz.run("ravine", opt, steps=20, schedule=text)
    assert schedules.SCHEDULES  # the registry the messages come from


def test_adagrad_runs_onecycle_without_momentum():
    traj = optviz.run("ravine", "adagrad", lr=0.5, steps=30, schedule="onecycle(cycle_momentum=false)")
    assert traj.lr[0] == pytest.approx(0.5 / 25) and traj.lr.max() == pytest.approx(0.5, rel=0.05)


def test_quoted_schedule_strings_in_a_yaml_config(tmp_path):
    """A quoted value inside a spec string in YAML (both quote styles) reaches the schedule."""
    from optviz.sweep import load

    path = tmp_path / "c.yaml"
    path.write_text(
        "fn: ravine\nopt: momentum\nsteps: 40\nlr: 0.05\nsweep:\n  schedule:\n"
        "    - \"cyclic(base_lr=0.005, max_lr=0.05, step_size_up=5, mode='triangular2')\"\n"
        "    - 'cyclic(base_lr=0.005, max_lr=0.05, step_size_up=5, mode=\"triangular2\")'\n"
        "overlay: schedule\nout: x.png\n"
    )
    runs = [run for figure in load(path).figures for run in figure.runs]
    assert len(runs) == 2
    for run in runs:
        lr = run.settings.schedule.offsets
        assert lr[5] == 0.05 and lr[15] == pytest.approx(0.005 + 0.045 / 2)  # the second cycle's peak, halved


def test_list_schedules_shows_every_schedule_with_its_defaults():
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "optviz", "list", "schedules"],
        capture_output=True,
        text=True,
        env={"COLUMNS": "250", "PATH": "/usr/bin:/bin"},
        check=True,
    ).stdout
    for name in schedules.SCHEDULES:
        assert f"│ {name} " in out
    for shown in (
        "t_0, t_mult=1, eta_min=0",
        "mode='triangular'",
        "cycle_momentum=true",
        "base_momentum=0.85",
        "final_div_factor=10000",
        "three_phase=false",
        "threshold_mode='rel'",
        "eps=1e-08",
        "total_steps=steps",
        "start_factor=0.333333",
        "total_iters=5, power=1",
    ):
        assert shown in out, shown
