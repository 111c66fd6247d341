"""The optimizer's recorded state (issue 13): recording leaves paths unchanged, and the effective
step sizes equal the optimizers' formulas, on torch's own state where torch is installed."""

from __future__ import annotations

import math

import numpy as np
import pytest

import optviz
from tests.conftest import require_torch

OPTS = [
    "gd",
    "momentum",
    "nesterov",
    "adam",
    "adam(amsgrad=true)",
    "adamw",
    "adagrad(lr_decay=0.1)",
    "rmsprop(centered=true, momentum=0.5)",
    "rmsprop",
    "nadam",
    "radam",
    "adadelta",
]


@pytest.mark.parametrize("opt", OPTS)
def test_recording_state_leaves_paths_unchanged(opt):
    kwargs = dict(lr=[0.05, 0.2], steps=40, start=[[-4.0, 2.0], [3.0, 1.0]], noise=0.3, seed=3)
    plain = optviz.run_batch("ravine", [opt, "adam"], **kwargs)
    recorded = optviz.run_batch("ravine", [opt, "adam"], record_state=True, **kwargs)
    assert plain.state is None
    for name in ("points", "loss", "grad_norm", "diverged_at"):
        np.testing.assert_array_equal(getattr(recorded, name), getattr(plain, name))


@pytest.mark.parametrize("opt", ["gd", "momentum", "adam", "rmsprop"])
def test_update_is_the_paths_own_difference(opt):
    traj = optviz.run("rosenbrock", opt, lr=1e-3, steps=30, record_state=True)
    np.testing.assert_array_equal(traj.state["update"], traj.points[1:] - traj.points[:-1])


def test_momentum_buffer_is_the_ema_of_the_gradients():
    traj = optviz.run("ravine", "sgd(momentum=0.9)", lr=0.01, steps=25, noise=1.0, seed=0, record_state=True)
    grad, buf = traj.state["grad"], traj.state["momentum"]
    expected = grad[0]
    np.testing.assert_array_equal(buf[0], expected)
    for k in range(1, len(grad)):
        expected = 0.9 * expected + grad[k]
        np.testing.assert_allclose(buf[k], expected, rtol=1e-12)
    assert "effective_lr" not in traj.state


def test_effective_lr_formulas():
    lr, eps = 0.1, 1e-8
    adam = optviz.run("ravine", "adam", lr=lr, steps=20, record_state=True)
    v = np.zeros(2)
    for k, g in enumerate(adam.state["grad"], start=1):
        v = 0.999 * v + 0.001 * g * g
        if k in (1, 2, 7, 20):
            np.testing.assert_allclose(
                adam.state["effective_lr"][k - 1], lr / (np.sqrt(v / (1 - 0.999**k)) + eps), rtol=1e-12
            )
    ada = optviz.run("ravine", "adagrad(lr_decay=0.05)", lr=lr, steps=20, record_state=True)
    total = np.zeros(2)
    for k, g in enumerate(ada.state["grad"], start=1):
        total = total + g * g
        if k in (1, 3, 11, 20):
            want = lr / (1 + (k - 1) * 0.05) / (np.sqrt(total) + 1e-10)
            np.testing.assert_allclose(ada.state["effective_lr"][k - 1], want, rtol=1e-12)
    rms = optviz.run("ravine", "rmsprop(centered=true)", lr=0.01, steps=20, record_state=True)
    sq, mean = np.zeros(2), np.zeros(2)
    for k, g in enumerate(rms.state["grad"], start=1):
        sq, mean = 0.99 * sq + 0.01 * g * g, 0.99 * mean + 0.01 * g
        if k in (1, 4, 20):
            np.testing.assert_allclose(
                rms.state["effective_lr"][k - 1], 0.01 / (np.sqrt(sq - mean**2) + eps), rtol=1e-9
            )


@pytest.mark.parametrize(
    ("opt", "torch_name", "kwargs", "formula"),
    [
        (
            "adam",
            "Adam",
            {},
            lambda s, lr: lr / (s["exp_avg_sq"].sqrt() / math.sqrt(1 - 0.999 ** float(s["step"])) + 1e-8),
        ),
        (
            "adagrad(lr_decay=0.1)",
            "Adagrad",
            {"lr_decay": 0.1},
            lambda s, lr: lr / (1 + (float(s["step"]) - 1) * 0.1) / (s["sum"].sqrt() + 1e-10),
        ),
        ("rmsprop", "RMSprop", {}, lambda s, lr: lr / (s["square_avg"].sqrt() + 1e-8)),
        (
            "rmsprop(centered=true)",
            "RMSprop",
            {"centered": True},
            lambda s, lr: lr / ((s["square_avg"] - s["grad_avg"] ** 2).sqrt() + 1e-8),
        ),
    ],
)
def test_effective_lr_from_torchs_state(opt, torch_name, kwargs, formula):
    torch = require_torch()
    from optviz.functions import get as get_function

    fn = get_function("ravine")
    lr, steps = 0.05, 15
    traj = optviz.run(fn, opt, lr=lr, steps=steps, record_state=True)
    param = torch.tensor(traj.points[0], dtype=torch.float64, requires_grad=True)
    optimizer = getattr(torch.optim, torch_name)([param], lr=lr, foreach=False, **kwargs)
    for k in range(steps):
        param.grad = torch.from_numpy(fn.grad(param.detach().numpy().copy()))
        optimizer.step()
        want = formula(optimizer.state[param], lr).numpy()
        np.testing.assert_allclose(traj.state["effective_lr"][k], want, rtol=1e-12)


# ------------------------------------------------------------------------------------ panels


def test_state_panels_draw_one_line_per_coordinate(tmp_path):
    from optviz.render.scene import build_scene
    from optviz.settings import DrawSettings

    trajs = list(optviz.run_batch("ravine", ["adam", "momentum"], lr=0.1, steps=12, record_state=True))
    opts = DrawSettings(panels="loss,effective_lr,velocity")
    scene = build_scene(trajs, optviz.functions.get("ravine"), opts, animated=False)
    adam, momentum = scene.runs
    np.testing.assert_array_equal(adam.series["effective_lr[1]"][1], trajs[0].state["effective_lr"][:, 1])
    np.testing.assert_array_equal(momentum.series["effective_lr[0]"][1], trajs[1].lr)  # no per-coordinate scale
    np.testing.assert_array_equal(momentum.series["velocity[0]"][1], trajs[1].state["momentum"][:, 0])
    np.testing.assert_array_equal(momentum.series["velocity[3]"][1], trajs[1].state["grad"][:, 1])
    assert scene.panels["effective_lr"].get_yscale() == "log"
    optviz.render.render(trajs, "ravine", tmp_path / "state.gif", panels="velocity", frames=4)


def test_state_panels_need_recorded_state(tmp_path):
    from optviz.errors import OutputError

    traj = optviz.run("ravine", "adam", lr=0.1, steps=5)
    with pytest.raises(OutputError, match="record_state"):
        optviz.render.render(traj, "ravine", tmp_path / "a.png", panels="effective_lr")


def test_cli_records_state_for_state_panels(tmp_path):
    from typer.testing import CliRunner

    from optviz.cli import app

    out = tmp_path / "v.png"
    result = CliRunner().invoke(
        app, ["run", "--opt", "momentum", "--lr", "0.05", "--steps", "10", "--panels", "velocity", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.exists()
