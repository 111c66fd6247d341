"""A registered factory called directly gives the same function as ``get()`` of its spec."""

from __future__ import annotations

import pytest

from optviz.functions import classic, curves, data, depth, get, names
from optviz.functions.registry import REGISTRY
from optviz.spec import format_spec, parse

MODULES = (curves, depth, classic, data)


def variants(name: str) -> list[dict[str, float]]:
    """No parameters (the defaults), each one changed alone, and all changed together."""
    changed = {key: (value * 1.5 if value else 0.5) for key, value in REGISTRY[name].defaults.items()}
    return [{}, *({key: value} for key, value in changed.items()), *([changed] if len(changed) > 1 else [])]


CASES = [pytest.param(name, kwargs, id=format_spec(name, kwargs)) for name in names() for kwargs in variants(name)]


def factory(name: str):
    (found,) = [getattr(module, name) for module in MODULES if hasattr(module, name)]
    return found


def test_every_registered_name_has_one_factory():
    for name in names():
        assert factory(name) is REGISTRY[name].factory, name


@pytest.mark.parametrize(("name", "kwargs"), CASES)
def test_factory_and_get_agree(name, kwargs):
    direct = factory(name)(**kwargs)
    via_get = get(format_spec(name, kwargs))
    assert (direct.name, direct.spec, direct.params, direct.description) == (
        via_get.name,
        via_get.spec,
        via_get.params,
        via_get.description,
    )
    assert (direct.formula, direct.start, direct.window, direct.minima) == (
        via_get.formula,
        via_get.start,
        via_get.window,
        via_get.minima,
    )
    assert direct.name == name
    assert direct.description == REGISTRY[name].description != ""
    assert direct.params == {**REGISTRY[name].defaults, **kwargs}
    assert all(isinstance(value, float) for value in direct.params.values())
    # the spec names exactly the changed parameters, and builds the same function back
    spec_name, spec_kwargs = parse(direct.spec)
    assert (spec_name, spec_kwargs.keys()) == (name, kwargs.keys())
    assert get(direct.spec).params == direct.params


def test_positional_and_keyword_calls_agree():
    assert classic.ravine(0.1, 2, 30).spec == classic.ravine(angle=30).spec == "ravine(angle=30)"
    with pytest.raises(TypeError):
        classic.ravine(gamma=1)
