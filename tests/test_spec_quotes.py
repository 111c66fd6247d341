"""Quoted strings in spec strings, and :func:`optviz.spec.choice`, the check of an option that takes
one of a few words (``lbfgs(line_search_fn='strong_wolfe')``, ``cyclic(mode="triangular2")``)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from optviz import spec
from optviz.errors import HyperparameterError, SpecError, UnknownNameError

MODES = ("triangular", "triangular2", "exp_range")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lbfgs(line_search_fn='strong_wolfe')", ("lbfgs", {"line_search_fn": "strong_wolfe"})),
        ('cyclic(mode="triangular2")', ("cyclic", {"mode": "triangular2"})),
        ("cyclic(mode=triangular2)", ("cyclic", {"mode": "triangular2"})),
        ("f(a='none', b=none, c='true', d=true)", ("f", {"a": "none", "b": None, "c": "true", "d": True})),
        ("f(a='1e-3', b=1e-3)", ("f", {"a": "1e-3", "b": 1e-3})),
        ('f(a="it\'s", b=\'say "hi"\')', ("f", {"a": "it's", "b": 'say "hi"'})),
        ("f(a='', b=( 'x' , \"y\" ))", ("f", {"a": "", "b": ("x", "y")})),
        ("f(a='a, b) + c')", ("f", {"a": "a, b) + c"})),
    ],
)
def test_quoted_strings_parse_as_str(text, expected):
    assert spec.parse(text) == expected


def test_quotes_in_chains_and_assignments():
    assert spec.parse_chain("warmup(steps=3)+cyclic(mode='exp_range')") == [
        ("warmup", {"steps": 3}),
        ("cyclic", {"mode": "exp_range"}),
    ]
    assert spec.parse_assignment("mode='triangular2'") == ("mode", "triangular2")
    assert spec.parse_assignment('line_search_fn="strong_wolfe"') == ("line_search_fn", "strong_wolfe")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("cyclic(mode='triangular2)", "the quote ' at column 13 is never closed"),
        ('cyclic(mode="tri)', 'the quote " at column 13 is never closed'),
        ("cyclic('mode'=1)", "keyword arguments only"),
        ("'cyclic'", "expected a name"),
    ],
)
def test_quote_errors_say_where(text, words):
    with pytest.raises(SpecError, match=words):
        spec.parse(text)


@pytest.mark.parametrize(
    ("value", "allowed", "expected"),
    [
        ("triangular2", MODES, "triangular2"),
        ("exp_range", MODES, "exp_range"),
        (None, (None, "strong_wolfe"), None),
        ("strong_wolfe", (None, "strong_wolfe"), "strong_wolfe"),
    ],
)
def test_choice_accepts_the_declared_words(value, allowed, expected):
    assert spec.choice("cyclic", "mode", value, allowed) == expected


@pytest.mark.parametrize(
    ("value", "allowed", "error", "words"),
    [
        ("triangle2", MODES, UnknownNameError, "unknown cyclic mode 'triangle2': did you mean 'triangular2'"),
        ("Triangular", MODES, UnknownNameError, "did you mean 'triangular'"),
        ("wolfe", (None, "strong_wolfe"), UnknownNameError, "did you mean 'strong_wolfe'.*valid: none, strong_wolfe"),
        ("zzz", MODES, UnknownNameError, "'zzz': valid: exp_range, triangular, triangular2"),
        (3, MODES, HyperparameterError, "mode=3 must be one of triangular, triangular2, exp_range"),
        (None, MODES, HyperparameterError, "mode=None must be one of"),
        (True, MODES, HyperparameterError, "mode=True must be one of"),
    ],
)
def test_choice_refuses_other_values_with_a_suggestion(value, allowed, error, words):
    with pytest.raises(error, match=words):
        spec.choice("cyclic", "mode", value, allowed)


@given(
    st.dictionaries(
        st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True),
        st.one_of(
            st.text(alphabet=st.characters(blacklist_characters="'\"", blacklist_categories=("Cs",)), max_size=12),
            st.sampled_from(["none", "true", "inf", "-inf", "nan", "1e-3", "strong_wolfe", "a-b", "a b", "it's"]),
            st.floats(allow_nan=False),
        ),
        max_size=4,
    )
)
def test_format_then_parse_round_trips_strings(kwargs):
    kwargs = {k: v for k, v in kwargs.items() if k not in ("true", "false", "none", "null", "inf", "nan")}
    assert spec.parse(spec.format_spec("name", kwargs)) == ("name", kwargs)
