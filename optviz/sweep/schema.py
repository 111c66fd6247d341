"""The schema of a sweep config (pydantic), and its errors as one line each."""

from __future__ import annotations

import difflib
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from optviz.errors import ConfigError
from optviz.sweep.yaml_lines import Errors


def _as_list(value: Any) -> Any:
    return value if isinstance(value, list) else [value]


def _as_list_or_empty(value: Any) -> Any:
    return [] if value is None else _as_list(value)


Text = Annotated[str, Field(min_length=1)]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Steps = Annotated[int, Field(ge=1, le=1_000_000)]
Whole = Annotated[int, Field(ge=0)]
Batch = Annotated[int, Field(ge=1)]
Point = Annotated[list[Annotated[float, Field(allow_inf_nan=False)]], BeforeValidator(_as_list), Field(min_length=1)]


def _many(item: Any) -> Any:
    """A list of at least one ``item``."""
    return Annotated[list[item], Field(min_length=1)]


def _one_or_many(item: Any) -> Any:
    """One ``item`` or a list of them (an axis)."""
    return Annotated[list[item], BeforeValidator(_as_list), Field(min_length=1)]


class _Strict(BaseModel):
    # strict: YAML already types its values, so "20" is not silently 20 and true is not 1.0
    model_config = ConfigDict(strict=True, extra="forbid")


class RenderConfig(_Strict):
    """The ``render:`` block: :func:`optviz.render.render`'s options (checked by ``check_options``)."""

    panels: Annotated[list[str], BeforeValidator(_as_list)] | None = ["loss"]
    view: str = "contour"
    size: Any = "16:9"
    theme: str = "light"
    dpi: float | None = None
    frames: int = 100
    fps: float = 10
    hold: float = 1.5
    title: str | None = None


class SweepAxes(_Strict):
    """The ``sweep:`` block: lists whose Cartesian product is expanded."""

    fn: _many(Text) | None = None
    opt: _many(Any) | None = None
    lr: _many(Positive) | None = None
    start: _many(Point) | None = None
    schedule: _many(Text | None) | None = None
    steps: _many(Steps) | None = None
    noise: _many(NonNegative) | None = None
    clip_norm: _many(Positive | None) | None = None
    clip_value: _many(Positive | None) | None = None
    batch_size: _many(Batch | None) | None = None
    seed: _many(Whole | None) | None = None


class SweepConfig(_Strict):
    """A whole config file (see the module docstring)."""

    description: str | None = None
    fn: _one_or_many(Text) = ["ravine"]
    opt: _one_or_many(Any) = ["gd"]
    lr: _one_or_many(Positive) | None = None
    steps: Steps = 50
    start: Any = None
    schedule: Text | None = None
    clip_norm: Positive | None = None
    clip_value: Positive | None = None
    noise: NonNegative = 0.0
    batch_size: Batch | None = None
    seed: Whole | None = 0
    hyper: dict[str, Any] = Field(default_factory=dict)
    sweep: SweepAxes | None = None
    overlay: Annotated[list[str], BeforeValidator(_as_list_or_empty)] = Field(default_factory=list)
    out: Text
    render: RenderConfig = Field(default_factory=RenderConfig)


def _unknown_key(loc: list[Any]) -> str:
    key, parent = str(loc[-1]), str(loc[0]) if len(loc) > 1 else ""
    model = {"sweep": SweepAxes, "render": RenderConfig}.get(parent, SweepConfig)
    valid = list(model.model_fields)
    if not parent and key in RenderConfig.model_fields:
        return f"unknown key {key!r} (it goes under render:); valid keys: {', '.join(valid)}"
    close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown key {key!r}; {hint}valid keys{' under ' + parent if parent else ''}: {', '.join(valid)}"


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return "a list" if isinstance(value, list) else "a mapping" if isinstance(value, dict) else type(value).__name__


def pydantic_error(errors: Errors, exc: ValidationError) -> ConfigError:
    """The first pydantic error as one line: where, what is wrong, what to write."""
    problems = exc.errors()
    err = problems[0]
    loc = [part for part in err["loc"] if part != "[key]"]
    kind = err["type"]
    if kind == "extra_forbidden":
        message = _unknown_key(loc)
    elif kind == "missing":
        message = f"missing key {loc[-1]!r}" + (", the output path template, e.g. out: '{name}.png'" * (loc == ["out"]))
    elif kind == "invalid_key":
        message = f"keys are names, got {loc[-1]!r}"
    elif kind == "too_short":
        message = "an empty list; give at least one value"
    elif kind == "list_type" and loc[:1] == ["sweep"]:
        message = f"sweep values are lists, e.g. {loc[1]}: [0.1, 0.2]; got {err['input']!r}"
    elif kind == "model_type" and not loc:
        message = f"a config is a mapping of keys such as fn, opt, lr, out; found {_kind(err['input'])}"
    elif kind == "model_type":
        message = f"a mapping of keys, e.g. {loc[-1]}: {{...}}; got {err['input']!r}"
    elif kind == "recursion_loop":
        message = "a YAML alias refers to itself"
    else:
        got = err.get("input")
        shown = _kind(got) if isinstance(got, (dict, list)) else repr(got)
        message = f"{err['msg'][0].lower()}{err['msg'][1:]}, got {shown}"
    if len(problems) > 1:
        message += f" (and {len(problems) - 1} more problem{'s' * (len(problems) > 2)})"
    return errors(loc, message)
