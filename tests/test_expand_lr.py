"""api.expand makes one record for a single lr where it made two (the run's settings checked once
less per run): the same records, and the same errors."""

from __future__ import annotations

import pytest

from optviz import api
from optviz.errors import HyperparameterError

CASES = [
    ("adam", [0.1], {}),
    ("adam(lr=0.2)", [0.1], {}),  # the spec's own lr wins
    ("adam(lr=0.2)", [-1.0], {}),  # ... and the lr given is not looked at
    ("sgd(momentum=0.9)", [0.05], {"schedule": "onecycle"}),
    ("rmsprop", None, {}),
    ("adam", [0.1, 0.2], {}),
]


def _records(opt, lrs, common):
    return api.expand("ravine", [opt], lrs, steps=30, hyper={"weight_decay": 0.01}, **common)


def _fields(run):
    return (run.opt, run.lr, run.label, run.summary(), run.schedule.text, list(run.multipliers), run.steps)


@pytest.mark.parametrize(("opt", "lrs", "common"), CASES)
def test_one_record_is_the_two_it_replaces(monkeypatch, opt, lrs, common):
    ours = _records(opt, lrs, common)
    with monkeypatch.context() as patch:
        patch.setattr(api, "_valid_lr", lambda lr: False)  # the record with the spec's lr first, then the lr
        before = _records(opt, lrs, common)
    assert [_fields(r) for r in ours] == [_fields(r) for r in before]


@pytest.mark.parametrize("lr", [-1.0, 0.0, float("nan"), "fast"])
def test_a_bad_lr_is_refused_as_before(monkeypatch, lr):
    with pytest.raises(HyperparameterError) as ours:
        _records("adam", [lr], {})
    with monkeypatch.context() as patch:
        patch.setattr(api, "_valid_lr", lambda lr: False)
        with pytest.raises(HyperparameterError) as before:
            _records("adam", [lr], {})
    assert str(ours.value) == str(before.value)
