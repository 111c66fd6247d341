"""Hostile input: every bad value is one line of OptvizError, from the API as from the CLI.

One table per class of attack (issue 10), and hypothesis fuzzing of the three readers of user
text: the spec parser, the sweep's YAML loader and ``load()``. Not raising is not enough: the
error type and the one-line message are checked.
"""

from __future__ import annotations

import json
import warnings
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import optviz
from optviz import spec, sweep
from optviz.cli import main
from optviz.errors import ConfigError, HyperparameterError, LoadError, OptvizError, OutputError, SpecError

DEEP = "(" * 5000 + "0.5" + ")" * 5000

# class 7: bad values that used to give tracebacks (spec, exception, words of the message)
BAD_RUNS = [
    ({"start": (1e308, 1)}, SpecError, "far from the origin"),
    ({"start": "1e308,1"}, SpecError, "far from the origin"),  # a string start gets the same checks
    ({"fn": "ravine(a=1e308)"}, SpecError, "not finite at the start"),
    ({"fn": "thermometer(scale=1e300)"}, HyperparameterError, "too extreme"),
    ({"fn": "thermometer(scale=1e-300)"}, HyperparameterError, "too extreme"),
    ({"schedule": "exponential(gamma=2)", "steps": 2000}, HyperparameterError, "overflows at update"),
    ({"schedule": "step(step_size=1, gamma=1e200)"}, HyperparameterError, "overflows at update"),
    ({"opt": "sgd(momentum=(0.5, 0.9))"}, HyperparameterError, "must be a number"),
    ({"opt": "sgd", "momentum": (0.5, 0.9)}, HyperparameterError, "must be a number"),
    ({"opt": "adam(eps=(1, 2, 3))"}, HyperparameterError, "must be a number"),
    ({"opt": "adam(betas=((0.9, 0.9), 0.9))"}, HyperparameterError, "must be a number"),
    ({"opt": f"sgd(momentum={DEEP})"}, SpecError, "at most 500 characters"),
    ({"opt": "sgd(momentum=" + "(" * 20 + "0.5" + ")" * 20 + ")"}, SpecError, "nested over 8 levels"),
    ({"opt": "gd(lr=1" + "0" * 5000 + ")"}, SpecError, "at most 500 characters"),
    ({"opt": "gd(lr=1" + "0" * 100 + ")"}, SpecError, "over 40 characters"),
    ({"fn": "ravine(a=" + "1" * 4000 + ")"}, SpecError, "at most 500 characters"),
    ({"opt": "rmsprop(alpha=1.5)"}, HyperparameterError, "must be in [0, 1]"),
    ({"opt": "rmsprop(alpha=-0.1)"}, HyperparameterError, "must be in [0, 1]"),
    ({"opt": "adam(eps=inf)"}, HyperparameterError, "finite"),
]


@pytest.mark.parametrize(("kwargs", "error", "words"), BAD_RUNS, ids=[str(i) for i in range(len(BAD_RUNS))])
def test_bad_values_are_one_line_errors_without_warnings(kwargs, error, words):
    kwargs = dict(kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning may leak either
        with pytest.raises(error) as caught:
            optviz.run(kwargs.pop("fn", "ravine"), kwargs.pop("opt", "gd"), steps=kwargs.pop("steps", 10), **kwargs)
    assert words in str(caught.value)
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 400


@pytest.mark.parametrize(("kwargs", "error", "words"), BAD_RUNS[:8], ids=[str(i) for i in range(8)])
def test_the_cli_prints_the_same_line_and_exits_2(kwargs, error, words, capsys):
    del error
    args = ["run", "--steps", str(kwargs.get("steps", 10))]
    for key, flag in (("fn", "--fn"), ("opt", "--opt"), ("schedule", "--schedule")):
        if key in kwargs:
            args += [flag, kwargs[key]]
    if "start" in kwargs:
        start = kwargs["start"]
        args.append("--start=" + (start if isinstance(start, str) else ",".join(map(repr, start))))
    if "momentum" in kwargs:
        args += ["-p", "momentum=" + ",".join(map(str, kwargs["momentum"]))]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert words in " ".join(err.split()) and "Traceback" not in err


# class 13: the API raises OptvizErrors, never raw exceptions
API_CALLS = [
    (lambda: optviz.run_batch("ravine", "gd", start=[]), SpecError),
    (lambda: optviz.run_batch("ravine", "gd", start=np.zeros((0, 2))), SpecError),
    (lambda: optviz.run("ravine", "adam", betas={"a": 0.9, "b": 0.99}), HyperparameterError),
    (lambda: optviz.run("ravine", "adam", betas=[[0.9, 0.9], [0.9, 0.9]]), HyperparameterError),
    (lambda: optviz.run("ravine", "sgd", momentum=[0.1, 0.2, 0.3]), HyperparameterError),
    (lambda: optviz.render.render(optviz.run("ravine", steps=2), "ravine", None), OutputError),
    (lambda: optviz.render.render(optviz.run("ravine", steps=2), "ravine", "x.png", panels=123), OutputError),
    (lambda: optviz.Trajectory(np.zeros((0, 2)), np.zeros(0), np.zeros(0), np.zeros(0)), OptvizError),
    (lambda: optviz.Trajectory(np.zeros((3, 2)), np.zeros(2), np.zeros(3), np.zeros(2)), OptvizError),
]


@pytest.mark.parametrize(("call", "error"), API_CALLS, ids=[str(i) for i in range(len(API_CALLS))])
def test_the_api_raises_optviz_errors(call, error):
    with pytest.raises(error) as caught:
        call()
    assert "\n" not in str(caught.value)


# class 8 and load(): suffixes in any case; files that are not trajectories
@pytest.mark.parametrize("suffix", [".NPZ", ".Csv", ".JSON"])
def test_export_suffix_case_picks_the_format(tmp_path, suffix):
    traj = optviz.run("bowl", "gd", lr=0.1, steps=3)
    path = traj.save(tmp_path / f"t{suffix}")
    data = path.read_bytes()
    if suffix.lower() == ".npz":
        assert zipfile.is_zipfile(path)
    elif suffix.lower() == ".csv":
        assert data.startswith(b"# optviz trajectory ")
    else:
        assert json.loads(data)["format"] == "optviz-trajectory"
    np.testing.assert_array_equal(optviz.load(path).points, traj.points)


NOT_TRAJECTORIES = [
    ("list.json", b"[1, 2, 3]"),
    ("other.json", b'{"format": "something-else"}'),
    ("settings.json", None),  # a real file with "settings": 5
    ("header.csv", b"# optviz trajectory {}\nstep,a,b\n0,1,2\n"),
    ("short.csv", b"# optviz trajectory {}\nstep,x1,x2,loss,grad_norm,lr\n0,1\n"),
    ("plain.csv", b"step,x1\n0,1\n"),
    ("corrupt.npz", b"PK\x03\x04 not really a zip"),
    ("empty.npz", b""),
    ("binary.json", b"\xff\xfe\x00"),
]


@pytest.mark.parametrize(("name", "data"), NOT_TRAJECTORIES, ids=[n for n, _ in NOT_TRAJECTORIES])
def test_load_refuses_what_is_not_a_trajectory(tmp_path, name, data):
    path = tmp_path / name
    if data is None:
        doc = json.loads(optviz.run("bowl", steps=2).save(tmp_path / "real.json").read_text())
        path.write_text(json.dumps({**doc, "settings": 5}))
    else:
        path.write_bytes(data)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. ResourceWarning of a file left open
        with pytest.raises(LoadError) as caught:
            optviz.load(path)
    assert "\n" not in str(caught.value) and name in str(caught.value)


# fuzzing: the readers of user text raise only their own error, in one line


def _one_line_error(call, error, *args):
    try:
        call(*args)
    except error as exc:
        assert "\n" not in str(exc), str(exc)
        assert len(str(exc)) < 1000
    # anything else propagates and fails the test


SPEC_CHARS = st.text(alphabet=st.sampled_from(list("adm(),=+-.e0159 []_xyz'\"\\\t")), max_size=60)


@settings(max_examples=300, deadline=None)
@given(st.one_of(SPEC_CHARS, st.text(max_size=40)))
def test_fuzz_spec_parser(text):
    _one_line_error(spec.parse, SpecError, text)
    _one_line_error(spec.parse_chain, SpecError, text)
    _one_line_error(spec.parse_point, SpecError, text)
    _one_line_error(spec.parse_assignment, SpecError, text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SPEC_CHARS)
def test_fuzz_specs_through_the_records(text):
    _one_line_error(lambda t: optviz.settings.RunSettings(opt=t), OptvizError, text)
    _one_line_error(lambda t: optviz.settings.RunSettings(fn=t), OptvizError, text)
    _one_line_error(lambda t: optviz.settings.RunSettings(schedule=t), OptvizError, text)


YAML_CHARS = st.text(alphabet=st.sampled_from(list("fnoptlrsu:-[]{}&*!|>#'\" \n\t0.5,\\%@`")), max_size=80)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(YAML_CHARS, st.text(max_size=60)))
def test_fuzz_yaml_loader(text):
    _one_line_error(lambda t: sweep.loads(t + "\nout: x.png\n", base_dir="/nonexistent-optviz"), ConfigError, text)
    _one_line_error(lambda t: sweep.loads(t, base_dir="/nonexistent-optviz"), ConfigError, text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=200), st.sampled_from([".json", ".csv", ".npz"]))
def test_fuzz_load(tmp_path, data, suffix):
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _one_line_error(optviz.load, LoadError, path)


def test_load_refuses_a_fifo_instead_of_reading_forever(tmp_path):
    import os

    fifo = tmp_path / "endless.csv"
    os.mkfifo(fifo)
    with pytest.raises(LoadError, match="not a regular file"):
        optviz.load(fifo)
