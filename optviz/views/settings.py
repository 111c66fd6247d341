"""The settings of each view, one record per view, every option one field (as in
:mod:`optviz.settings`): the command line options of ``optviz stability``, ``basins`` and
``lr-scan`` and the keys of a ``view:`` config are generated from these fields and from the
:class:`~optviz.settings.RunSettings` fields each view takes (:class:`View`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from optviz import spec as spec_parser
from optviz.errors import HyperparameterError, SpecError, UnknownNameError
from optviz.settings import RunSettings, check_starts, check_steps
from optviz.settings.record import Checked, is_real, plain, setting
from optviz.views.common import parse_range, whole

if TYPE_CHECKING:
    from optviz.functions import TestFunction

# The records are read to build the command line's options (``optviz --help``), so this module
# imports neither numpy nor the functions: those are imported by the checks that use them.

__all__ = ["VIEWS", "BasinSettings", "Mark", "ScanSettings", "StabilitySettings", "View", "draw_fields", "parse_mark"]

#: the DrawSettings fields a view takes (the others are for paths: panels, frames, legends ...)
DRAW_FIELDS = ("size", "theme", "preset", "text_scale", "dpi", "title", "font", "lang")
#: the RunSettings fields that only change the runs (not what is scanned)
_RUN_EXTRAS = ("schedule", "clip_norm", "clip_value", "noise", "batch_size", "seed")


def _flag(name: str):
    def check(value: Any) -> bool:
        if not isinstance(value, bool):
            raise SpecError(f"{name} is true or false (--{name.replace('_', '-')}); got {value!r}")
        return value

    return check


def _optional_positive(name: str, example: str):
    def check(value: Any) -> float | None:
        if value is None:
            return None
        if not is_real(value) or not math.isfinite(value) or value <= 0:
            raise HyperparameterError(f"--{name} {value!r} must be a number > 0, e.g. --{name} {example}")
        return float(value)

    return check


# ------------------------------------------------------------------------------------- stability


@dataclass(frozen=True)
class Mark:
    """A setting plotted on the stability map: its text, rule, lr and momentum."""

    text: str
    rule: str
    lr: float
    beta: float


def _split_top(text: str) -> list[str]:
    """``"sgd(momentum=0.5), lr=0.6"`` -> ``["sgd(momentum=0.5)", "lr=0.6"]``: commas outside brackets."""
    parts, depth, current = [], 0, ""
    for char in text:
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


def parse_mark(text: Any) -> Mark:
    """``'sgd(momentum=0.5),lr=0.6'`` (or ``'sgd(momentum=0.5, lr=0.6)'``, ``'momentum,lr=0.1'``)
    as a :class:`Mark`: an SGD spec without dampening or weight decay, and its lr.

    Examples:
        >>> parse_mark("sgd(momentum=0.5),lr=0.6")
        Mark(text='sgd(momentum=0.5), lr=0.6', rule='momentum', lr=0.6, beta=0.5)
    """
    from optviz.settings.run import OptimizerSpec

    example = "e.g. --mark 'sgd(momentum=0.5),lr=0.6'"
    if not isinstance(text, str):
        raise SpecError(f"a mark is an optimizer spec and its lr such as 'sgd(momentum=0.5),lr=0.6'; got {text!r}")
    spec, *rest = [part.strip() for part in _split_top(text)]
    lr = None
    for item in rest:
        key, value = spec_parser.parse_assignment(item)
        if key != "lr" or isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise SpecError(f"mark {text!r}: after the spec only lr=VALUE (> 0) may follow, {example}")
        lr = float(value)
    opt = OptimizerSpec.parse(spec)
    lr = opt.lr if opt.lr is not None else lr
    if lr is None:
        raise SpecError(f"mark {text!r} needs a learning rate, {example}")
    if opt.entry.name not in ("gd", "sgd", "momentum", "nesterov"):
        raise SpecError(f"mark {text!r}: the map is for SGD with or without momentum, not {opt.entry.name}")
    options = {**opt.entry.defaults, **opt.options}
    if options["dampening"] or options["weight_decay"] or options["maximize"]:
        raise SpecError(f"mark {text!r}: the map has no dampening, weight decay or maximize; drop them")
    beta = float(options["momentum"])
    rule = "nesterov" if options["nesterov"] else "momentum" if beta > 0 else "gd"
    return Mark(f"{opt.text}, lr={lr:g}" if opt.lr is None else opt.text, rule, lr, beta)


def _get_function(value: Any) -> TestFunction:
    """:func:`optviz.functions.get`, imported when a value is checked."""
    from optviz.functions import get

    return get(value)


def _stability_fn(value: Any, checked: Mapping[str, Any]) -> TestFunction:
    from optviz.views.stability import curvatures

    fn = _get_function(value)
    angle = checked["angle"]
    if angle is not None:
        if "angle" not in fn.params:
            raise SpecError(f"--angle rotates the ravine; {fn.spec} has no angle (use --fn ravine)")
        fn = _get_function(spec_parser.format_spec(fn.name, {**fn.params, "angle": angle}))
    if not checked["empirical"]:
        curvatures(fn)  # raises, naming the functions the closed form covers
    return fn


def _rule(value: Any) -> str:
    from optviz.views.stability import RULES

    text = str(value).strip().lower()
    if text not in RULES:
        raise UnknownNameError("update rule (--opt)", text, RULES)
    return text


def _marks(value: Any, checked: Mapping[str, Any]) -> tuple[Mark, ...]:
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)):
        raise SpecError(f"marks are a list of specs such as 'sgd(momentum=0.5),lr=0.6'; got {value!r}")
    marks = tuple(parse_mark(item) for item in items)
    rule = checked["opt"]
    for mark in marks:
        if mark.rule != "gd" and mark.rule != rule:
            raise SpecError(f"mark {mark.text!r} is {mark.rule}, but the map is {rule}: use --opt {mark.rule}")
    return marks


def _resolution(value: Any, checked: Mapping[str, Any]) -> int:
    if value is None:
        return 60 if checked["empirical"] else 200
    return whole(value, "--resolution", 2, 1000, "200")


def _empirical_start(value: Any, checked: Mapping[str, Any]) -> tuple[float, ...] | None:
    if value is None:
        return None
    points = check_starts(checked["fn"], value)
    if len(points) != 1:
        raise SpecError(f"the empirical map starts every run at one point; got {len(points)}")
    return tuple(float(v) for v in points[0])


@dataclass(frozen=True, kw_only=True)
class StabilitySettings(Checked):
    """``optviz stability``: the convergence rate over (learning rate, momentum)."""

    empirical: Any = setting(
        False,
        "Run the (lr, momentum) grid through the engine (any function) and colour it by the loss after --steps.",
        plain(_flag("empirical")),
        cli_type=bool,
    )
    angle: Any = setting(
        None,
        "Rotate the ravine by this many degrees (the map stays the same: GD and momentum do not see the axes).",
        plain(lambda v: None if v is None else _angle(v)),
        cli_type=float,
    )
    fn: Any = setting(
        "ravine",
        "A quadratic: bowl, ravine, 'ravine(a=0.5, b=2)', booth, square, single_weight, thermometer; "
        "any function with --empirical.",
        _stability_fn,
        flags=("--fn", "-f"),
    )
    opt: Any = setting("momentum", "gd, momentum (heavy ball) or nesterov.", plain(_rule), flags=("--opt", "-o"))
    lr: Any = setting(
        None,
        "The learning-rate axis LO..HI, e.g. 0..1.2 (default: 0 to past the largest stable lr).",
        plain(lambda v: None if v is None else parse_range(v, "--lr", "0..1.2", positive=False)),
    )
    momentum: Any = setting(
        "0..0.99",
        "The momentum axis LO..HI, within [0, 1).",
        plain(lambda v: _momentum_range(parse_range(v, "--momentum", "0..0.99", positive=False))),
    )
    resolution: Any = setting(None, "Cells per axis (default 200; 60 with --empirical).", _resolution, cli_type=int)
    steps: Any = setting(100, "With --empirical: the updates each run takes.", plain(check_steps), cli_type=int)
    start: Any = setting(None, "With --empirical: the start point (default: the function's).", _empirical_start)
    marks: Any = setting(
        None,
        "Plot a setting, e.g. --mark 'sgd(momentum=0.5),lr=0.6' (repeatable).",
        _marks,
        flags=("--mark",),
        many=True,
    )


def _angle(value: Any) -> float:
    if not is_real(value) or not math.isfinite(value):
        raise HyperparameterError(f"--angle {value!r} must be a number of degrees, e.g. --angle 30")
    return float(value)


def _momentum_range(pair: tuple[float, float]) -> tuple[float, float]:
    if pair[1] >= 1:
        raise HyperparameterError(f"--momentum {pair[0]:g}..{pair[1]:g}: momentum must stay below 1, e.g. 0..0.99")
    return pair


# ---------------------------------------------------------------------------------------- basins


def _basin_fn(value: Any) -> TestFunction:
    fn = _get_function(value)
    if fn.dim != 2:
        raise SpecError(f"basins need a 2-D function; {fn.spec} is {fn.dim}-D, e.g. --fn himmelblau")
    return fn


def _tol(value: Any, checked: Mapping[str, Any]) -> float | None:
    if value is None:
        return None
    longer = max(hi - lo for lo, hi in checked["fn"].window)
    if not is_real(value) or not math.isfinite(value) or not 0 < value < longer:
        raise HyperparameterError(
            f"--tol {value!r} must be a distance > 0 and below the window's size {longer:g}, e.g. --tol 0.01"
        )
    return float(value)


def _paths(value: Any, checked: Mapping[str, Any]) -> tuple[tuple[float, ...], ...]:
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    points = check_starts(checked["fn"], items)
    return tuple(tuple(float(v) for v in p) for p in points)


@dataclass(frozen=True, kw_only=True)
class BasinSettings(Checked):
    """``optviz basins``: which minimum each start of a grid reaches."""

    fn: Any = setting("himmelblau", "A 2-D function spec, e.g. himmelblau.", plain(_basin_fn), flags=("--fn", "-f"))
    grid: Any = setting(
        200, "Starts per side: grid × grid runs.", plain(lambda v: whole(v, "--grid", 2, 1000, "200")), cli_type=int
    )
    tol: Any = setting(
        None,
        "Distance to a minimum that counts as reaching it (default: 1/1000 of the window's longer side).",
        _tol,
        cli_type=float,
    )
    paths: Any = setting(
        None, "Overlay the path from this start, e.g. --path=1,1 (repeatable).", _paths, flags=("--path",), many=True
    )


# ---------------------------------------------------------------------------------------- lr-scan


@dataclass(frozen=True, kw_only=True)
class ScanSettings(Checked):
    """``optviz lr-scan``: the loss after K steps against the learning rate."""

    fn: Any = setting(
        "ravine", "Function spec, e.g. ravine or 'ravine(angle=30)'.", plain(_get_function), flags=("--fn", "-f")
    )
    lr: Any = setting(
        "1e-4..1",
        "The learning rates LO..HI, spaced evenly on a log scale.",
        plain(lambda v: parse_range(v, "--lr", "1e-4..1", positive=True)),
    )
    num: Any = setting(60, "How many learning rates.", plain(lambda v: whole(v, "--num", 2, 1000, "60")), cli_type=int)
    to: Any = setting(
        None,
        "Plot the steps until loss − f* ≤ TO instead of the final loss, e.g. --to 1e-6.",
        plain(_optional_positive("to", "1e-6")),
        cli_type=float,
    )


# ------------------------------------------------------------------------------------------- views


@dataclass(frozen=True)
class View:
    """A view: its record, the RunSettings fields it takes besides, and their defaults here."""

    name: str
    record: type
    run_fields: tuple[str, ...] = ()
    defaults: dict[str, Any] = field(default_factory=dict)

    def run_defaults(self) -> dict[str, Any]:
        from optviz.settings import settings_of

        fields = settings_of(RunSettings)
        return {name: self.defaults.get(name, fields[name][0]) for name in self.run_fields}


def draw_fields() -> tuple[str, ...]:
    """The :class:`~optviz.settings.DrawSettings` fields a view takes (those that exist)."""
    from optviz.settings import DrawSettings, settings_of

    return tuple(name for name in DRAW_FIELDS if name in settings_of(DrawSettings))


VIEWS = {
    "stability": View("stability", StabilitySettings),
    "basins": View("basins", BasinSettings, ("opt", "lr", "steps", *_RUN_EXTRAS, "hyper"), {"steps": 500}),
    "lr-scan": View("lr-scan", ScanSettings, ("opt", "steps", "start", *_RUN_EXTRAS, "hyper"), {"steps": 200}),
}
