"""One run through the float path (optviz/engine_scalar.py) equals the array path bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

import optviz
from optviz import engine, engine_scalar
from optviz.optim.registry import OPTIMIZERS

ELEMENTWISE = [name for name, entry in OPTIMIZERS.items() if entry.build().elementwise]

#: (function, options): plain, clipped, scheduled with absolute lrs, a 1-D function, a data loss
SETTINGS = [
    ("ravine", {}),
    ("rosenbrock", {"clip_norm": 1.0, "schedule": "cosine"}),
    (
        "rastrigin",
        {"clip_value": 0.5, "schedule": "cyclic(base_lr=0.001, max_lr=0.1, step_size_up=20, cycle_momentum=false)"},
    ),
    ("square", {"schedule": "warmup(steps=5)+cosine"}),
    ("thermometer", {}),
]


def _both(monkeypatch, *args, **kwargs):
    """The run through the float path, then through the array path."""
    floats = optviz.run(*args, **kwargs)
    with monkeypatch.context() as patch:
        patch.setattr(engine, "_simulate_scalar", lambda *a, **k: None)
        arrays = optviz.run(*args, **kwargs)
    return floats, arrays


def _same(a, b):
    for name in ("points", "loss", "grad_norm", "lr"):
        assert np.array_equal(getattr(a, name), getattr(b, name), equal_nan=True), name
    assert a.diverged_at == b.diverged_at


def test_the_elementwise_optimizers_are_the_ones_without_coupling():
    assert set(ELEMENTWISE) == set(OPTIMIZERS) - {"adafactor", "rprop", "lbfgs"}


@pytest.mark.parametrize("opt", ELEMENTWISE)
@pytest.mark.parametrize(("fn", "options"), SETTINGS)
def test_float_path_is_the_array_path(monkeypatch, opt, fn, options):
    calls = []
    real = engine_scalar.run_scalar
    monkeypatch.setattr(engine_scalar, "run_scalar", lambda *a, **k: calls.append(1) or real(*a, **k))
    floats, arrays = _both(monkeypatch, fn, opt, steps=80, **options)
    assert calls, "the float path was not taken"
    _same(floats, arrays)


@pytest.mark.parametrize(
    ("opt", "lr", "falls_back"),
    [
        ("adam(eps=0)", 0.1, True),  # a zero gradient at the minimum: 0/0, which Python refuses
        ("gd", 1e200, False),  # overflow to inf, then NaN, in floats: every coordinate non-finite, early stop
        ("rmsprop(eps=0)", 0.1, True),
    ],
)
def test_where_python_raises_or_overflows_the_result_is_the_same(monkeypatch, opt, lr, falls_back):
    results = []
    real = engine_scalar.run_scalar
    monkeypatch.setattr(engine_scalar, "run_scalar", lambda *a, **k: results.append(real(*a, **k)) or results[-1])
    floats, arrays = _both(monkeypatch, "square", opt, lr=lr, steps=100, start=0.0 if falls_back else 3.0)
    assert (results[0] is None) == falls_back
    _same(floats, arrays)
    assert floats.diverged_at == 1


def test_per_run_hyperparameters_take_the_array_path():
    from optviz.optim.adam import adam

    assert engine_scalar.scalar_stepper(adam(betas=(np.array([[0.9]]), 0.999))) is None
    assert engine_scalar.scalar_stepper(adam()) is not None
