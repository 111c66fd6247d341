"""The schema of a sweep config, generated from the records, and its errors as one line each.

The run keys (top level and under ``sweep:``) are :class:`~optviz.settings.RunSettings`' fields and
the ``render:`` keys :class:`~optviz.settings.DrawSettings`' fields, so a field added to a record is
a key here with no edit. The schema checks the shape of the YAML only (which keys, one value or a
list); the records check the values, with the messages every entry point gives.

Texts in other languages: a config may give ``title_zh``, ``lesson_zh`` and ``description_zh``
(one key per text and shipped language of :data:`optviz.i18n.LANGS`: ``_ja`` once ``ja`` ships),
the Chinese lesson line, description and picture title, and ``labels_zh`` (a list: the legend
labels). English keeps its own places: the file's first ``# comment`` line, ``description:``,
``render: {title: ...}`` and ``render: {labels: [...]}``.
:meth:`~optviz.sweep.plan.Plan.texts` gives them per language, English for one not given.
A picture's own words follow ``render: {lang: zh}`` (or ``--lang``), not these keys. ::

    # GD on the ravine: lr 0.4 zig-zags across the steep axis
    lesson_zh: 梯度下降在峡谷上：学习率 0.4 在陡峭方向来回振荡
    description_zh: >-
      ...
    title_zh: "梯度下降：学习率 {lr}"
"""

from __future__ import annotations

import difflib
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, create_model

from optviz.errors import ConfigError
from optviz.i18n import LANGS
from optviz.settings import DrawSettings, RunSettings, settings_of
from optviz.sweep.yaml_lines import Errors

__all__ = [
    "AXES",
    "FIELDS",
    "LABEL_KEYS",
    "LANG_KEYS",
    "RUN_DEFAULTS",
    "TRANSLATED",
    "RenderConfig",
    "SweepAxes",
    "SweepConfig",
    "pydantic_error",
    "translations",
]

#: the fields of a run and their defaults; a config gives them as top-level keys
RUN_DEFAULTS = {name: default for name, (default, _) in settings_of(RunSettings).items()}
#: the product's order, which numbers the files ({index}); fields added to RunSettings come last
_ORDER = ("fn", "opt", "lr", "start", "schedule", "steps", "noise", "clip_norm", "clip_value", "batch_size", "seed")
#: settings that can be swept, in the order of the product (``fn`` cannot be overlaid); ``hyper:``
#: is no axis but a mapping for every optimizer (or, as ``adam.betas``, one)
AXES = tuple(
    sorted((f for f in RUN_DEFAULTS if f != "hyper"), key=lambda f: _ORDER.index(f) if f in _ORDER else len(_ORDER))
)
#: fields of the ``out`` and ``render.title`` templates
FIELDS = ("name", "index", *AXES)
#: the texts of a lesson a config may give in another language, as ``KEY_LANG`` (``lesson_zh``)
TRANSLATED = ("title", "lesson", "description")
LANG_KEYS = tuple(f"{key}_{lang}" for lang in LANGS if lang != "en" for key in TRANSLATED)
#: the legend labels (``render: {labels: [...]}``) in another language, as ``labels_zh``
LABEL_KEYS = tuple(f"labels_{lang}" for lang in LANGS if lang != "en")


def translations(doc: Any) -> dict[str, dict[str, str]]:
    """``{lang: {key: text}}`` of the ``KEY_LANG`` texts a (checked) config gives."""
    out: dict[str, dict[str, str]] = {}
    for name in LANG_KEYS:
        text = doc.get(name) if isinstance(doc, dict) else None
        if text is not None:
            key, lang = name.rsplit("_", 1)
            out.setdefault(lang, {})[key] = text
    return out


def _as_list(value: Any) -> Any:
    return value if isinstance(value, list) else [value]


def _as_list_or_empty(value: Any) -> Any:
    return [] if value is None else _as_list(value)


Text = Annotated[str, Field(min_length=1)]
#: a list of at least one value (an axis under ``sweep:``)
Many = Annotated[list[Any], Field(min_length=1)]
#: one value or a list of them (an axis at the top level)
OneOrMany = Annotated[list[Any], BeforeValidator(_as_list), Field(min_length=1)]

#: The YAML shape of the keys whose shape is not "one value" (Any: the record checks it). Fields
#: the command line repeats (``Setting.many``) are one value or a list at the top level.
YAML_TYPES: dict[str, Any] = {
    # a list of functions makes a file each
    "fn": OneOrMany,
    # a mapping of hyperparameters: {momentum: 0.9}, or {adam.betas: [0.8, 0.99]} for one optimizer
    "hyper": dict[str, Any] | None,
    # one point ([-5, -2], or 10 in 1-D) or a list of points: the sweep reads its shape itself
    "start": Any,
    # parse_panels takes a comma string or a list of names; a number would not even iterate
    "panels": Annotated[list[str], BeforeValidator(_as_list)] | None,
}


def _yaml_type(name: str, many: bool) -> Any:
    return YAML_TYPES.get(name, OneOrMany if many else Any)


class _Strict(BaseModel):
    # strict: YAML already types its values, so "20" is not silently 20 and true is not 1.0
    # (the values the records take are Any here: their checks are as strict)
    model_config = ConfigDict(strict=True, extra="forbid")


def _model(name: str, doc: str, **fields: Any) -> type[BaseModel]:
    """A strict model of ``fields`` (``name=(type, default)``)."""
    return create_model(name, __base__=_Strict, __doc__=doc, __module__=__name__, **fields)


# a key that is not given (not in model_fields_set) takes the record's default, so None here
RenderConfig = _model(
    "RenderConfig",
    "The ``render:`` block: :class:`~optviz.settings.DrawSettings`' fields.",
    **{name: (_yaml_type(name, False), None) for name in settings_of(DrawSettings)},
)
SweepAxes = _model(
    "SweepAxes",
    "The ``sweep:`` block: lists whose Cartesian product is expanded.",
    **{name: (Many, None) for name in AXES},  # null is no list
)
SweepConfig = _model(
    "SweepConfig",
    "A whole config file (see :mod:`optviz.sweep`).",
    description=(str | None, None),
    **{name: (str | None, None) for name in LANG_KEYS},
    **{name: (list[str] | None, None) for name in LABEL_KEYS},
    **{name: (_yaml_type(name, setting.many), None) for name, (_, setting) in settings_of(RunSettings).items()},
    sweep=(SweepAxes | None, None),
    overlay=(Annotated[list[str], BeforeValidator(_as_list_or_empty)], Field(default_factory=list)),
    out=(Text, ...),
    render=(RenderConfig, Field(default_factory=RenderConfig)),
)


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
