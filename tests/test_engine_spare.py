"""The engine's shortcuts in a large batch give the numbers of the plain code, bit for bit.

- Adam takes its step in the gradient array (``AdamBuffers.spare``) only where nothing but the
  loop holds that array: not when the function returns its argument, keeps the array, or the
  state is recorded; the paths equal those of the allocating update either way.
- The recorder checks the points' finiteness from the last recorded row (float64: a point that
  left the finite numbers never comes back): a run whose point leaves them before its loss does
  (a bounded loss) still diverges at the point's row.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from optviz import engine, recording
from optviz.functions import TestFunction, get
from optviz.optim import OPTIMIZERS

#: 2 x 2100 coordinates: past LOOP_NORM_VALUES (norms from the loop's gradient)
RUNS, STEPS = 2100, 12


def _quadratic(grad) -> TestFunction:
    def f(x):
        return 0.1 * (x[..., 0] * x[..., 0]) + 2.0 * (x[..., 1] * x[..., 1])

    return TestFunction("q", "q", 2, f, grad, "q", start=(-5.0, -2.0), window=((-6.0, 6.0), (-6.0, 6.0)))


def _fresh(x):
    return np.asarray(x, dtype=float) * np.array([0.2, 4.0])


_KEPT: dict[str, Any] = {}


def _kept(x):  # a gradient the function holds on to (a cache, say)
    _KEPT["grad"] = _fresh(x)
    return _KEPT["grad"]


def _itself(x):  # f = |x|²/2 would have this gradient: the argument, the engine's own params
    return np.asarray(x, dtype=float)


#: (gradient, whether the update may write into it, record_state)
GRADIENTS = {
    "fresh": (_fresh, True, False),
    "fresh, state recorded": (_fresh, False, True),
    "kept by the function": (_kept, False, False),
    "the argument itself": (_itself, False, False),
}
SPECS = ["adam", "adam(amsgrad=true)", "adamw", "adam(maximize=true, weight_decay=0.1)", "adam(eps_root=1e-6)"]


def _stepper(spec: str):
    name, _, rest = spec.partition("(")
    kwargs = {}
    for item in filter(None, rest.rstrip(")").split(", ")):
        key, value = item.split("=")
        kwargs[key] = value == "true" if value in ("true", "false") else float(value)
    return OPTIMIZERS[name].factory(**kwargs)


@pytest.mark.parametrize("spec", SPECS)
@pytest.mark.parametrize("case", list(GRADIENTS))
def test_update_in_the_gradient_array_gives_the_same_path(spec: str, case: str) -> None:
    grad, writable, record_state = GRADIENTS[case]
    fn = _quadratic(grad)
    starts = np.array([-5.0, -2.0]) + 0.5 * np.random.default_rng(2).normal(size=(RUNS, 2))
    stepper = _stepper(spec)
    spares, intact = [], []

    def update(g, state, params, lr, out=None):
        if out is None:
            return stepper.update(g, state, params, lr)
        spares.append(out.spare is g)
        made = _fresh(params)  # before the update: from the second step on, it writes params in place
        result = stepper.update(g, state, params, lr, out)
        if grad is _kept:  # the array the function kept still holds the gradient it made
            intact.append(np.array_equal(_KEPT["grad"], made))
        return result

    watched = stepper._replace(update=update)
    multipliers = np.linspace(1.0, 0.5, STEPS)
    shortcut = engine.simulate(fn, watched, starts, 0.05, multipliers, record_state=record_state)
    plain = engine.simulate(fn, stepper._replace(buffers=None), starts, 0.05, multipliers, record_state=record_state)
    assert spares and all(spares) == writable and any(spares) == writable
    for name in ("points", "loss", "grad_norm", "diverged_at"):
        assert np.array_equal(getattr(shortcut, name), getattr(plain, name), equal_nan=True), name
    if record_state:
        for name in ("grad", "update", "momentum", "effective_lr"):
            assert np.array_equal(getattr(shortcut.state, name), getattr(plain.state, name), equal_nan=True), name
    assert all(intact) and len(intact) == (STEPS if grad is _kept else 0)


#: (first row whose point is not finite, first row whose loss is not finite) for three runs
ROWS = [(5, None), (None, 7), (11, 3), (None, None)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("block_rows", [1, 4, 100])
def test_first_non_finite_row_of_point_or_loss(dtype: Any, block_rows: int, monkeypatch) -> None:
    monkeypatch.setattr(recording, "LOSS_BLOCK_VALUES", block_rows * len(ROWS))
    steps = 20
    recorder = recording.Recorder(get("ravine"), steps, 2, len(ROWS), dtype=dtype, grads=True)
    for k in range(steps + 1):
        points = np.full((len(ROWS), 2), 0.5, order="F")
        loss = np.ones(len(ROWS))  # a bounded loss: finite wherever the point is not
        for run, (point_row, loss_row) in enumerate(ROWS):
            if point_row is not None and k >= point_row:
                points[run] = [np.inf, np.nan][k % 2]  # and it stays out
            if loss_row is not None and k == loss_row:
                loss[run] = -np.inf  # and it comes back
        recorder.add(points, np.ones((len(ROWS), 2), order="F"), loss)
    recorder.finish()
    expected = [min((r for r in rows if r is not None), default=-1) for rows in ROWS]
    assert recorder.diverged_at().tolist() == expected
    assert np.array_equal(recorder.grad_norm, np.full((steps + 1, len(ROWS)), np.sqrt(2.0), dtype))
