"""The spec-string parser: values, errors with positions, and nothing evaluated."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from optviz import spec
from optviz.errors import OptvizError, SpecError

PARSED = [
    ("adam", ("adam", {})),
    ("adam()", ("adam", {})),
    ("adam(lr=0.1)", ("adam", {"lr": 0.1})),
    (" adam ( lr = 1e-3 , amsgrad = TRUE , ) ", ("adam", {"lr": 1e-3, "amsgrad": True})),
    ("adam(betas=(0.8, 0.99))", ("adam", {"betas": (0.8, 0.99)})),
    ("adam(betas=[0.8,0.99])", ("adam", {"betas": (0.8, 0.99)})),
    ("ravine(angle=-30)", ("ravine", {"angle": -30})),
    ("step(step_size=10, gamma=.5)", ("step", {"step_size": 10, "gamma": 0.5})),
    ("sgd(nesterov=false)", ("sgd", {"nesterov": False})),
]


@pytest.mark.parametrize(("text", "expected"), PARSED)
def test_parse(text, expected):
    assert spec.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("adam(lr=0.1", "expected ',' or '\\)' at column 12"),
        ("adam(lr 0.1)", "expected '=' after 'lr'"),
        ("adam(lr=)", "expected a value at column 9"),
        ("adam(lr=0.1, lr=0.2)", "'lr' is given twice"),
        ("adam(0.1)", "keyword arguments only"),
        ("adam) ", "expected the end"),
        ("adam(lr=0.1)extra", "expected the end"),
        ("", "empty spec"),
        ("adam(lr=__import__('os'))", "expected"),
        ("adam(lr=1;2)", "unexpected ';'"),
    ],
)
def test_parse_errors_point_at_the_problem(text, words):
    with pytest.raises(SpecError, match=words):
        spec.parse(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("-5,-2", (-5.0, -2.0)), ("(1e-3, 2)", (0.001, 2.0)), ("[3]", (3.0,)), ("10", (10.0,)), ((1, 2), (1.0, 2.0))],
)
def test_parse_point(text, expected):
    assert spec.parse_point(text) == expected


@pytest.mark.parametrize("text", ["a,b", "1,,2", "", "1,inf", "nan", "1,true"])
def test_parse_point_errors(text):
    with pytest.raises(SpecError, match="start point"):
        spec.parse_point(text)


def test_parse_point_dimension():
    with pytest.raises(SpecError, match="3 coordinates but the function is 2-D"):
        spec.parse_point("1,2,3", dim=2)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("momentum=0.9", ("momentum", 0.9)),
        ("betas=0.8,0.99", ("betas", (0.8, 0.99))),
        ("amsgrad=true", ("amsgrad", True)),
        ("adam.betas=(0.8, 0.9)", ("adam.betas", (0.8, 0.9))),
        ("eps=inf", ("eps", math.inf)),
    ],
)
def test_parse_assignment(text, expected):
    assert spec.parse_assignment(text) == expected


@pytest.mark.parametrize("text", ["momentum", "=0.9", "mo mentum=1", "lr="])
def test_parse_assignment_errors(text):
    with pytest.raises(SpecError):
        spec.parse_assignment(text)


@given(st.text(max_size=60))
def test_arbitrary_text_parses_or_raises_spec_error(text):
    for parse in (spec.parse, spec.parse_chain, spec.parse_point, spec.parse_assignment, spec.parse_value):
        try:
            parse(text)
        except OptvizError:
            pass


@given(
    st.dictionaries(
        st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True),
        st.one_of(st.integers(-1000, 1000), st.floats(allow_nan=False, allow_infinity=False), st.booleans()),
        max_size=4,
    )
)
def test_format_then_parse_round_trips(kwargs):
    kwargs = {k: v for k, v in kwargs.items() if k not in ("true", "false", "none", "null", "inf", "nan")}
    text = spec.format_spec("name", kwargs)
    name, parsed = spec.parse(text)
    assert name == "name"
    assert parsed == kwargs
