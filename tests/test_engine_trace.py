"""The loop generated from an update (optviz/engine_trace.py) makes the same path as the float path
(one update call per coordinate, optviz/engine_scalar.py) and the array path, bit for bit."""

from __future__ import annotations

import math

import numpy as np
import pytest

import optviz
from optviz import engine, engine_floats, engine_scalar, engine_trace
from optviz.engine_floats import SCALAR_NUMPY, TRACE_NUMPY, Refused, Tracer
from optviz.optim.registry import OPTIMIZERS

#: every elementwise optimizer, and each with its flags and options that change the code path
VARIANTS = [
    "gd",
    "sgd(weight_decay=0.01, maximize=true)",
    "momentum",
    "momentum(dampening=0.5, weight_decay=0.01)",
    "nesterov",
    "nesterov(maximize=true)",
    "adagrad",
    "adagrad(lr_decay=0.01, weight_decay=0.01, initial_accumulator_value=0.1)",
    "adagrad(eps_root=1e-8, maximize=true)",
    "rmsprop",
    "rmsprop(momentum=0.5)",
    "rmsprop(centered=true)",
    "rmsprop(centered=true, momentum=0.5, weight_decay=0.01, eps_root=1e-8)",
    "rmsprop(maximize=true)",
    "adadelta",
    "adadelta(weight_decay=0.01, maximize=true)",
    "adam",
    "adam(amsgrad=true)",
    "adam(maximize=true)",
    "adam(weight_decay=0.01)",
    "adam(weight_decay=0.01, decoupled_weight_decay=true, amsgrad=true)",
    "adam(eps_root=1e-8)",
    "adamw",
    "adamax",
    "adamax(weight_decay=0.01, maximize=true)",
    "nadam",
    "nadam(decoupled_weight_decay=true, weight_decay=0.01)",
    "nadam(momentum_decay=0.01, maximize=true)",
    "radam",
    "radam(decoupled_weight_decay=true, weight_decay=0.01)",
    "asgd",
    "asgd(t0=10, weight_decay=0.01)",
]
#: the update branches on a traced number (RAdam on rho_t, ASGD on mu): the float path runs them
REFUSED = {"radam", "asgd"}

#: (function, options): plain, 1-D, clipped, absolute lrs, strided recording, a data loss
SETTINGS = [
    ("ravine", {"lr": 0.1}),
    ("square", {"lr": 0.3, "start": 3.0}),
    ("rosenbrock", {"clip_norm": 1.0, "schedule": "cosine"}),
    (
        "rastrigin",
        {"clip_value": 0.5, "schedule": "cyclic(base_lr=0.001, max_lr=0.1, step_size_up=20, cycle_momentum=false)"},
    ),
    ("himmelblau", {"lr": 0.05, "record_every": 7, "schedule": "warmup(steps=5)+cosine"}),
    ("thermometer", {}),
]

#: runs that overflow or divide by zero: (function, options); the array path is the reference
NON_FINITE = [
    ("square", {"lr": 1e200, "start": 3.0}),  # inf, then NaN: every coordinate non-finite, early stop
    ("ravine", {"lr": 1e8}),
    ("ravine", {"lr": 1e300, "steps": 100, "record_every": 3}),
    ("square", {"lr": 0.1, "start": 0.0}),  # a zero gradient: 0/0 where eps is 0
]


def _name(spec: str) -> str:
    return spec.split("(")[0]


def _three(monkeypatch, fn, opt, options):
    """The run through the generated loop, the float path and the array path, and how many
    times the generated loop ran."""
    options = {"steps": 80, **options}
    runs = []
    real = engine_trace.Loop.run
    monkeypatch.setattr(engine_trace.Loop, "run", lambda *a, **k: runs.append(1) or real(*a, **k))
    monkeypatch.setattr(engine_trace, "GENERATE_STEPS", 0)  # a loop for every run, seen or not
    monkeypatch.setattr(engine_trace, "LOOP_STEPS", 0)
    generated = optviz.run(fn, opt, **options)
    with monkeypatch.context() as patch:
        patch.setattr(engine_trace, "loop_for", lambda *a, **k: None)
        floats = optviz.run(fn, opt, **options)
        patch.setattr(engine, "_simulate_scalar", lambda *a, **k: None)
        arrays = optviz.run(fn, opt, **options)
    return generated, floats, arrays, len(runs)


def _same(a, b):
    for name in ("points", "loss", "grad_norm", "lr"):
        assert np.array_equal(getattr(a, name), getattr(b, name), equal_nan=True), name
        assert np.array_equal(np.signbit(getattr(a, name)), np.signbit(getattr(b, name))), name
    assert a.diverged_at == b.diverged_at


def test_the_variants_cover_every_elementwise_optimizer():
    elementwise = {name for name, entry in OPTIMIZERS.items() if entry.build().elementwise}
    assert {_name(spec) for spec in VARIANTS} == elementwise


@pytest.mark.parametrize("opt", VARIANTS)
@pytest.mark.parametrize(("fn", "options"), SETTINGS)
def test_generated_loop_is_the_float_path_and_the_array_path(monkeypatch, opt, fn, options):
    generated, floats, arrays, ran = _three(monkeypatch, fn, opt, options)
    assert (ran == 0) == (_name(opt) in REFUSED), "the generated loop ran" if ran else "the generated loop did not run"
    _same(generated, floats)
    _same(generated, arrays)


@pytest.mark.parametrize("opt", ["gd", "momentum", "adam", "adam(eps=0)", "adam(amsgrad=true)", "rmsprop(eps=0)"])
@pytest.mark.parametrize(("fn", "options"), NON_FINITE)
def test_overflow_and_division_by_zero_give_the_array_paths_result(monkeypatch, opt, fn, options):
    generated, floats, arrays, _ = _three(monkeypatch, fn, opt, options)
    _same(generated, arrays)
    _same(floats, arrays)


@pytest.mark.parametrize("steps", [engine_trace.LOOP_STEPS - 1, 50, engine_trace.GENERATE_STEPS])
def test_a_loop_is_made_for_a_long_run_or_for_settings_seen_before(monkeypatch, steps):
    runs = []
    real = engine_trace.Loop.run
    monkeypatch.setattr(engine_trace.Loop, "run", lambda *a, **k: runs.append(1) or real(*a, **k))
    monkeypatch.setattr(engine_trace, "_SEEN", {})  # no run made yet
    monkeypatch.setattr(engine_trace, "_LOOPS", {})
    first = optviz.run("ravine", "adam(eps=1e-7)", lr=0.1, steps=steps)
    assert len(runs) == (steps >= engine_trace.GENERATE_STEPS)
    second = optviz.run("ravine", "adam(eps=1e-7)", lr=0.1, steps=steps)
    # a few updates: the float path, which costs less than setting up a loop
    assert len(runs) == (steps >= engine_trace.LOOP_STEPS) + (steps >= engine_trace.GENERATE_STEPS)
    _same(first, second)


def _adam_states(dim: int):
    stepper = engine_scalar.scalar_stepper(OPTIMIZERS["adam"].build())
    return stepper, [stepper.init(float(c)) for c in range(dim)]


def test_the_step_count_is_shared_and_each_coordinate_keeps_its_moments():
    stepper, states = _adam_states(2)
    loop = engine_trace.loop_for(stepper.source, states, True)
    assert loop.shared == (0,)  # AdamState.step: equal in both coordinates, computed from itself
    states[1] = states[1]._replace(step=1)
    assert engine_trace.loop_for(stepper.source, states, True).shared == ()


def test_a_loop_run_continues_as_the_float_path():
    stepper, _ = _adam_states(2)
    grad_of = optviz.functions.get("rosenbrock").grad
    lrs = [0.01 * (1 + k % 3) for k in range(40)]
    results = []
    for use_loop in (True, False):
        coords = [-1.2, 1.0]
        states = [stepper.init(c) for c in coords]
        x, rows = np.array([coords]), list(coords)
        if use_loop:
            loop = engine_trace.loop_for(stepper.source, states, False)
            last, coords, states = loop.run(grad_of, x, lrs, 0, 3, rows, coords, states)
            assert last == len(lrs)
        else:
            _, coords, _ = engine_scalar._float_steps(stepper.update, grad_of, x, lrs, 0, 40, 3, rows, coords, states)
        results.append((np.array(rows), coords, states))
    (rows_a, coords_a, states_a), (rows_b, coords_b, states_b) = results
    assert np.array_equal(rows_a, rows_b) and coords_a == coords_b
    assert [tuple(s) for s in states_a] == [tuple(s) for s in states_b]


@pytest.mark.parametrize("name", sorted(engine_floats.PRIMITIVES))
def test_each_primitive_calls_what_its_shim_computes(name):
    """The generated loop calls ``direct`` where the float path calls the shim: the same values,
    NaN, infinities and signed zeros included, of the declared type."""
    direct, kind = engine_floats.PRIMITIVES[name]
    shim = getattr(SCALAR_NUMPY, name)
    values = [0.0, -0.0, 1.5, -2.0, math.inf, -math.inf, math.nan]
    arity = {"maximum": 2, "minimum": 2, "where": 3}.get(name, 1)
    for args in (values[i : i + arity] for i in range(len(values) - arity + 1)):
        if name == "sqrt" and args[0] < 0:
            continue  # both raise
        want, got = shim(*args), direct(*args)
        assert type(want) is type(got) is kind(*map(type, args))
        assert repr(want) == repr(got), (name, args)


def _traced(function, *kinds):
    trace = engine_floats.Trace()
    return function(*(trace.input(f"a{i}", kind) for i, kind in enumerate(kinds)))


@pytest.mark.parametrize(
    "branching",
    [
        lambda a: a if a > 0 else -a,  # a branch on a traced value
        lambda a: float(a),
        lambda a: max(a, 1.0),
        lambda a: a.hex(),
        lambda a: [a][int(a)],
        lambda a: a**0.5,  # a float power of a base that may be negative: complex in Python
        lambda a: np.float64(2.0) * a,  # not a Python float: the float path's type check refuses it too
        lambda a: SCALAR_NUMPY.sqrt(a),  # the float shim, not the tracing one
    ],
)
def test_the_trace_refuses_what_it_cannot_follow(branching):
    with pytest.raises((Refused, AttributeError)):
        _traced(branching, float)


def test_a_traced_number_answers_isinstance_as_its_value_would():
    assert _traced(lambda a, b: (isinstance(a, float), isinstance(b, float), isinstance(b, int)), float, int) == (
        True,
        False,
        True,
    )
    assert _traced(lambda a, b: (a + b).kind, int, int) is int
    assert _traced(lambda a, b: (a / b).kind, int, int) is float
    assert _traced(lambda a: TRACE_NUMPY.where(a > 0, a, 0.0).kind, float) is float
    assert type(_traced(lambda a: TRACE_NUMPY.sqrt(a), float)) is Tracer
