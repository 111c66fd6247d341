"""Sweeps: a YAML config of functions × optimizers × learning rates, checked, then rendered to files.

A config (every key but ``out`` is optional; ``fn`` and ``opt`` default to ravine and gd)::

    # GD on the ravine: lr 0.4 zig-zags, 0.6 diverges       <- the lesson, one line
    fn: ravine                       # a function spec, or a list of them
    start: [-5, -2]                  # one point (a list of points sweeps them)
    steps: 20
    opt: gd                          # a spec string, a mapping {name: adam, lr: 0.1, betas: [0.9, 0.99]},
                                     # or a list of them
    lr: [0.4, 0.6]                   # one value or a list (for optimizers whose spec gives none)
    hyper: {momentum: 0.5}           # hyperparameters for every optimizer (like -p; adam.betas for one)
    schedule: null                   # also clip_norm, clip_value, noise, batch_size, seed
    sweep:                           # more lists, expanded as a Cartesian product with the above
      start: [[-5, -2], [4, 1]]
    overlay: lr                      # axes drawn together in one figure (default: none)
    render: {size: 800x450, panels: [loss], frames: 60}   # optviz.render.render's options
    out: "out/{fn}-start{start}.gif" # one file per figure, relative to this file's folder

Lists given at the top level for ``fn``, ``opt`` and ``lr``, and every list under ``sweep:``, are
*axes*; their product is expanded in the order fn, opt, lr, start, schedule, steps, noise,
clip_norm, clip_value, batch_size, seed. Overlaid axes become the runs of one figure; every other
axis gives one file per value. Template fields: ``{name}`` (the config's file name), ``{index}``
(01, 02, ...) and the axes that are not overlaid.

Everything is checked before anything runs: YAML syntax, unknown or repeated keys, types, every
function, optimizer and schedule spec, start points, render options, template fields and output
collisions. An error is one :class:`~optviz.errors.ConfigError` line ``FILE:LINE: KEY: message``.
Configs load with a safe YAML loader: no tags, no code.

Examples:
    >>> plan = loads("fn: square\\nopt: gd\\nlr: [0.1, 0.2]\\nout: '{fn}-lr{lr}.png'\\n")
    >>> [f.out.name for f in plan.figures]
    ['square-lr0.1.png', 'square-lr0.2.png']
    >>> loads("fn: square\\nsteps: 10\\nframes: 3\\nout: x.png\\n", source="lesson.yaml")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    optviz.errors.ConfigError: lesson.yaml:3: frames: unknown key 'frames' (it goes under render:)...
"""

from __future__ import annotations

import difflib
import itertools
import math
import multiprocessing
import numbers
import os
import re
import signal
import string
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from optviz.errors import ConfigError, OptvizError

__all__ = [
    "AXES",
    "FIELDS",
    "Figure",
    "Outcome",
    "Plan",
    "Result",
    "Run",
    "execute",
    "load",
    "loads",
    "render_figure",
]

#: settings that can be swept, in the order of the product (``fn`` cannot be overlaid)
AXES = ("fn", "opt", "lr", "start", "schedule", "steps", "noise", "clip_norm", "clip_value", "batch_size", "seed")
#: fields of the ``out`` and ``render.title`` templates
FIELDS = ("name", "index", *AXES)
#: a config is text typed by hand; anything larger is a mistake (and slow to check)
MAX_CONFIG_BYTES = 1_000_000
#: YAML aliases can expand a small file into a huge document ("billion laughs")
MAX_NODES = 100_000
MAX_OUTPUTS = 1_000
MAX_RUNS = 10_000


# ---------------------------------------------------------------------------------- YAML with lines


class _Map(dict):
    """A mapping that remembers the line (1-based) of each key."""

    lines: dict[Any, int]


class _Seq(list):
    """A list that remembers the line (1-based) of each item."""

    lines: list[int]


class _Loader(yaml.SafeLoader):
    """``yaml.safe_load``'s loader (no tags, no objects, no code), plus line numbers for keys and
    items, repeated keys refused (plain YAML keeps the last one silently), ``1e-6`` read as a
    number (YAML 1.1 wants ``1.0e-6``), and ``16:9`` kept as text (YAML 1.1 reads 969, base 60)."""


def _construct_map(loader: _Loader, node: yaml.MappingNode):
    data = _Map()
    yield data
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue  # "<<: *defaults" may be overridden by the keys that follow
        key = loader.construct_object(key_node, deep=True)
        try:
            first = seen.get(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a list or mapping cannot be a key", key_node.start_mark
            ) from None
        if first is not None:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} is given twice (first on line {first})", key_node.start_mark
            )
        seen[key] = key_node.start_mark.line + 1
    data.update(loader.construct_mapping(node))
    data.lines = {loader.construct_object(k): k.start_mark.line + 1 for k, _ in node.value}


def _construct_seq(loader: _Loader, node: yaml.SequenceNode):
    data = _Seq()
    yield data
    data.extend(loader.construct_sequence(node))
    data.lines = [item.start_mark.line + 1 for item in node.value]


def _construct_number(kind: str) -> Callable[[_Loader, yaml.ScalarNode], Any]:
    base = getattr(yaml.constructor.SafeConstructor, f"construct_yaml_{kind}")

    def construct(loader: _Loader, node: yaml.ScalarNode) -> Any:
        if ":" in node.value:  # base 60 ("16:9" -> 969) is surely meant as text
            return loader.construct_scalar(node)
        return base(loader, node)

    return construct


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)
_Loader.add_constructor("tag:yaml.org,2002:int", _construct_number("int"))
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_number("float"))
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9]+)[eE][-+]?[0-9]+$"),
    list("-+.0123456789"),
)


def _parse_yaml(text: str, source: str) -> Any:
    """YAML text -> Python data with line numbers; any problem is a ConfigError naming the line."""
    try:
        data = yaml.load(text, Loader=_Loader)  # safe: _Loader is a SafeLoader subclass
    except yaml.constructor.ConstructorError as exc:  # the text parses; a value or key is refused
        line = f":{exc.problem_mark.line + 1}" if exc.problem_mark is not None else ""
        problem = str(exc.problem)
        if "could not determine a constructor" in problem:
            problem = f"the tag {problem.split('tag ', 1)[-1]} is not allowed; configs hold plain values only"
        raise ConfigError(f"{source}{line}: {problem}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise ConfigError(f"{source}{line}: YAML syntax error: {problem}; check the indentation and quoting") from None
    except yaml.YAMLError as exc:  # e.g. a control character, which has a position but no mark
        position = getattr(exc, "position", None)
        line = f":{text.count(chr(10), 0, position) + 1}" if isinstance(position, int) else ""
        reason = getattr(exc, "reason", None) or " ".join(str(exc).split())
        raise ConfigError(f"{source}{line}: YAML syntax error: {reason}") from None
    except RecursionError:
        raise ConfigError(f"{source}: the YAML is nested too deeply to be a config") from None
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. an impossible date, 2020-13-45
        raise ConfigError(f"{source}: cannot read a value: {exc}") from None
    _check_size(data, source)
    return data


def _check_size(data: Any, source: str) -> None:
    """Refuse documents that aliases blow up past MAX_NODES values (counting stops at the limit)."""
    budget, stack = MAX_NODES, [data]
    while stack:
        node = stack.pop()
        budget -= 1
        if budget < 0:
            raise ConfigError(
                f"{source}: the config expands to more than {MAX_NODES} values; does an alias refer to itself?"
            )
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def _locate(doc: Any, path: Sequence[Any]) -> tuple[int, str]:
    """The line and dotted name (``sweep.lr[1]``) of ``path`` in ``doc``, as deep as it exists."""
    line, node, shown = 1, doc, ""
    for key in path:
        lines = getattr(node, "lines", None)
        if isinstance(node, dict) and lines is not None and key in lines:
            line, node = lines[key], node[key]
            shown += f".{key}" if shown else str(key)
        elif isinstance(node, list) and lines is not None and isinstance(key, int) and 0 <= key < len(lines):
            line, node = lines[key], node[key]
            shown += f"[{key}]"
        else:
            if isinstance(key, str) and isinstance(node, dict):  # a missing key: still name it
                shown += f".{key}" if shown else key
            break
    return line, shown


class _Errors:
    """Makes ``FILE:LINE: KEY: message`` errors for one config."""

    def __init__(self, source: str, doc: Any):
        self.source = source
        self.doc = doc

    def __call__(self, path: Sequence[Any], message: str) -> ConfigError:
        line, shown = _locate(self.doc, path)
        return ConfigError(f"{self.source}:{line}:{' ' + shown + ':' if shown else ''} {message}")


# ------------------------------------------------------------------------------------ the schema


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


def _pydantic_error(errors: _Errors, exc: ValidationError) -> ConfigError:
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


# ---------------------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class Run:
    """One optimizer run: :func:`optviz.run`'s arguments."""

    fn: str
    opt: str
    lr: float | None
    steps: int
    start: tuple[float, ...] | None
    schedule: str | None
    clip_norm: float | None
    clip_value: float | None
    noise: float
    batch_size: int | None
    seed: int | None
    hyper: tuple[tuple[str, Any], ...] = ()

    def kwargs(self) -> dict[str, Any]:
        """The keyword arguments of :func:`optviz.run`."""
        settings = {k: getattr(self, k) for k in AXES}
        return {**settings, **dict(self.hyper)}

    @property
    def label(self) -> str:
        """``adam, lr=0.1`` (the optimizer's default lr shows as ``lr=default``)."""
        if "lr=" in self.opt.replace(" ", ""):
            return self.opt
        return f"{self.opt}, lr={'default' if self.lr is None else f'{self.lr:g}'}"


@dataclass(frozen=True)
class Figure:
    """One output file: the runs drawn together on one function, and how to draw them."""

    out: Path
    fn: str
    runs: tuple[Run, ...]
    render: dict[str, Any] = field(hash=False)
    #: the swept values that single this figure out, e.g. ``(("lr", "0.4"),)``
    key: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Plan:
    """A checked config: what will be made, and from which file."""

    source: str
    name: str
    figures: tuple[Figure, ...]
    #: the file's first ``# comment`` line (the one-line lesson), else ``description``
    lesson: str = ""
    description: str | None = None


def load(path: str | os.PathLike, out_dir: str | os.PathLike | None = None) -> Plan:
    """Read and check a sweep config file.

    Args:
        path: the YAML file.
        out_dir: folder that relative output paths start from (default: the config's folder).

    Returns:
        The :class:`Plan`; nothing has been run, written or created.

    Raises:
        ConfigError: the file cannot be read, is not valid YAML, or does not validate; the message
            names the file, the line and the key. Bad input never raises anything else.
    """
    path = Path(path)
    source = str(path)
    try:
        if path.is_dir():
            raise ConfigError(f"{source} is a folder; give a .yaml config file")
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise ConfigError(f"{source} is over {MAX_CONFIG_BYTES // 1000} kB; a config is a short text file")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{source}: no such config file") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{source}: not UTF-8 text; save the config as UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"{source}: cannot read it: {exc.strerror}") from None
    base = Path(out_dir) if out_dir is not None else path.parent
    return loads(text, source=source, base_dir=base, name=path.stem)


def loads(text: str, *, source: str = "<config>", base_dir: str | os.PathLike = ".", name: str = "config") -> Plan:
    """Check a config given as text (:func:`load` reads files); ``name`` fills ``{name}``."""
    if len(text) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{source} is over {MAX_CONFIG_BYTES // 1000} kB; a config is a short text file")
    doc = _parse_yaml(text, source)
    errors = _Errors(source, doc)
    try:
        config = SweepConfig.model_validate(doc)
    except ValidationError as exc:
        raise _pydantic_error(errors, exc) from None
    except RecursionError:
        raise errors([], "a YAML alias refers to itself") from None
    figures = _Expander(config, doc, errors, Path(base_dir), name).figures()
    return Plan(source, name, tuple(figures), _first_comment(text) or config.description or "", config.description)


def _first_comment(text: str) -> str:
    """The first line, if it is a ``# comment``."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return first.lstrip("#").strip() if first.startswith("#") else ""


@dataclass(frozen=True)
class _Value:
    """One value of an axis, where it was written, and how it reads in titles."""

    value: Any
    path: tuple[Any, ...]
    text: str


class _Expander:
    """Turns a validated config into figures, checking what the schema cannot, each error blamed
    on the line that is wrong."""

    def __init__(self, config: SweepConfig, doc: dict, errors: _Errors, base_dir: Path, name: str):
        self.config = config
        self.doc = doc
        self.errors = errors
        self.base_dir = base_dir
        self.name = name

    def figures(self) -> list[Figure]:
        axes = self._axes()
        functions = self._check_values(axes)
        overlay = self._overlay()
        render = self._render_options(functions)
        template = self._template(("out",), self.config.out, overlay)
        title = self.config.render.title
        if title is not None:
            self._template(("render", "title"), title, overlay)
        separate = [a for a in AXES if a not in overlay]
        n_figures = math.prod(len(axes[a]) for a in separate)
        n_runs = n_figures * math.prod(len(axes[a]) for a in overlay)
        if n_figures > MAX_OUTPUTS or n_runs > MAX_RUNS:
            raise self.errors(
                ["sweep"] if "sweep" in self.doc else [],
                f"this makes {n_figures} files and {n_runs} runs; the limits are {MAX_OUTPUTS} and {MAX_RUNS}: "
                "split it into several configs",
            )
        figures: list[Figure] = []
        made: dict[Path, tuple[tuple[str, str], ...]] = {}
        for index, combo in enumerate(itertools.product(*(axes[a] for a in separate)), start=1):
            fixed = dict(zip(separate, combo, strict=True))
            key = tuple((a, fixed[a].text) for a in separate if len(axes[a]) > 1)
            names = {"name": self.name, "index": f"{index:02d}", **{a: _slug(v.text) for a, v in fixed.items()}}
            out = Path(template.format(**names)).expanduser()
            out = out if out.is_absolute() else self.base_dir / out
            if out in made:
                raise self._collision(out, made[out], key)
            made[out] = key
            options = dict(render)
            if title is not None:
                options["title"] = title.format(
                    **{"name": self.name, "index": str(index), **{a: v.text for a, v in fixed.items()}}
                )
            runs = tuple(
                self._run({**fixed, **dict(zip(overlay, values, strict=True))})
                for values in itertools.product(*(axes[a] for a in overlay))
            )
            figures.append(Figure(out, fixed["fn"].value, runs, options, key))
        self._probe(figures, axes)
        return figures

    # -- axes

    def _axes(self) -> dict[str, list[_Value]]:
        """Every setting's values (one, or several for an axis) and where each was written."""
        config, sweep = self.config, self.config.sweep
        swept = sweep.model_fields_set if sweep is not None else set()
        if sweep is not None and not swept:
            raise self.errors(["sweep"], "an empty sweep; give lists to expand, e.g. sweep: {lr: [0.1, 0.2]}")
        axes: dict[str, list[_Value]] = {}
        for axis in AXES:
            if axis in swept and axis in config.model_fields_set:
                line, _ = _locate(self.doc, [axis])
                raise self.errors(
                    ["sweep", axis], f"{axis} is also given at the top (line {line}); give it in one place"
                )
            if axis in swept:
                paths = [("sweep", axis, i) for i in range(len(getattr(sweep, axis)))]
                values = getattr(sweep, axis)
            elif axis == "start":
                values, paths = self._starts()
            elif axis in ("fn", "opt", "lr") and getattr(config, axis) is not None:
                values = getattr(config, axis)
                as_list = isinstance(self.doc.get(axis), list)
                paths = [(axis, i) if as_list else (axis,) for i in range(len(values))]
            else:
                values, paths = [getattr(config, axis)], [(axis,)]
            axes[axis] = [self._value(axis, v, p) for v, p in zip(values, paths, strict=True)]
        return axes

    def _starts(self) -> tuple[list[Any], list[tuple[Any, ...]]]:
        """Top-level ``start``: one point (``[-5, -2]`` or ``10``), or a list of points."""
        start = self.config.start
        if start is None:
            return [None], [("start",)]
        if isinstance(start, list) and start and all(isinstance(p, list) for p in start):
            return start, [("start", i) for i in range(len(start))]
        return [start], [("start",)]

    def _value(self, axis: str, value: Any, path: tuple[Any, ...]) -> _Value:
        if axis == "opt":
            value = self._opt_spec(value, path)
        elif axis == "start" and value is not None:
            value = self._point(value, path)
        return _Value(value, path, _text(axis, value))

    def _point(self, value: Any, path: tuple[Any, ...]) -> tuple[float, ...]:
        items = value if isinstance(value, list) else [value]
        if not items or not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in items):
            raise self.errors(
                path, f"a start point is a list of numbers such as [-5, -2] (or 10 in 1-D), got {value!r}"
            )
        if not all(math.isfinite(v) for v in items):
            raise self.errors(path, f"a start point must be finite numbers, got {value!r}")
        return tuple(float(v) for v in items)

    def _opt_spec(self, item: Any, path: tuple[Any, ...]) -> str:
        """An optimizer as a spec string: as written, or built from a mapping."""
        from optviz.spec import format_spec

        if isinstance(item, str) and item.strip():
            return item.strip()
        if not isinstance(item, dict):
            raise self.errors(
                path, f"an optimizer is a spec string or a mapping like {{name: adam, lr: 0.1}}, got {item!r}"
            )
        if not isinstance(item.get("name"), str) or not item["name"].strip():
            raise self.errors(path, "an optimizer mapping needs a name, e.g. {name: adam, lr: 0.1, betas: [0.9, 0.99]}")
        options = {}
        for key, value in item.items():
            if key == "name":
                continue
            if not isinstance(key, str) or not _is_hyper_value(value):
                raise self.errors(
                    [*path, key], f"a hyperparameter is a number, true/false or a list of numbers, got {value!r}"
                )
            options[key] = tuple(value) if isinstance(value, list) else value
        return format_spec(item["name"].strip(), options)

    # -- checks of the values

    def _check_values(self, axes: dict[str, list[_Value]]) -> dict[str, Any]:
        """Every function, optimizer, schedule, start and batch size; returns the functions."""
        from optviz import schedules
        from optviz.functions import get as get_function
        from optviz.spec import parse_point

        functions = {v.value: self._check(v.path, get_function, v.value) for v in axes["fn"]}
        names = {v.value: self._check(v.path, _spec_name, v.value) for v in axes["opt"]}
        hyper = self._hyper(set(names.values()))
        for v in axes["opt"]:
            if self._check_optimizer(v, names[v.value], hyper) and len(axes["lr"]) > 1:
                raise self.errors(v.path, f"{v.value!r} names its own lr, so the lr sweep would repeat it; drop one")
        for v in axes["schedule"]:
            for steps in axes["steps"]:
                if v.value is not None:
                    self._check(v.path, schedules.parse, v.value, steps.value)
        for v in axes["start"]:
            for fn in functions.values():
                if v.value is not None:
                    self._check(v.path, _point_for, parse_point, v.value, fn)
        for v in axes["batch_size"]:
            for fn in functions.values():
                if v.value is None:
                    continue
                if fn.n_samples is None:
                    raise self.errors(
                        v.path, f"batch_size needs a data loss such as thermometer; {fn.spec} is analytic (use noise:)"
                    )
                if v.value > fn.n_samples:
                    raise self.errors(
                        v.path, f"batch_size {v.value} is more than the {fn.n_samples} samples of {fn.spec}"
                    )
        return functions

    def _check(self, path: Sequence[Any], check: Callable[..., Any], *args: Any) -> Any:
        try:
            return check(*args)
        except OptvizError as exc:
            raise self.errors(path, str(exc)) from None

    def _check_optimizer(self, v: _Value, name: str, hyper: dict[str, Any]) -> bool:
        """Check a spec with the hyperparameters that apply to it; return whether it names its lr."""
        from optviz.optim.registry import resolve
        from optviz.settings import check_lr, hyper_for

        overrides = hyper_for(hyper, name)
        entry, options = self._check(v.path, resolve, v.value, overrides)
        own_lr = options.pop("lr", None)
        if own_lr is not None:
            self._check(v.path, check_lr, own_lr)
        try:
            entry.build(**options)
        except OptvizError as exc:
            raise self.errors(v.path, f"{v.value}: {exc}") from None
        return own_lr is not None

    def _hyper(self, names: set[str]) -> dict[str, Any]:
        """``hyper:`` (for every optimizer, or ``adam.betas`` for one), checked."""
        hyper = {}
        for key, value in self.config.hyper.items():
            path = ("hyper", key)
            if not re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)?", key):
                raise self.errors(path, f"{key!r} is not a hyperparameter name; write e.g. momentum, or adam.betas")
            target = key.split(".", 1)[0] if "." in key else None
            if target is not None and target not in names:
                raise self.errors(
                    path, f"{key} names an optimizer that is not run; run one of {', '.join(sorted(names))}"
                )
            if not _is_hyper_value(value):
                raise self.errors(path, f"a hyperparameter is a number, true/false or a list of numbers, got {value!r}")
            hyper[key] = tuple(value) if isinstance(value, list) else value
        return hyper

    def _overlay(self) -> list[str]:
        overlay = list(self.config.overlay)
        as_list = isinstance(self.doc.get("overlay"), list)
        for i, axis in enumerate(overlay):
            path = ("overlay", i) if as_list else ("overlay",)
            if axis == "fn":
                raise self.errors(path, "cannot overlay fn: runs on different functions need their own figures")
            if axis not in AXES:
                raise self.errors(path, str(_unknown("overlay axis", axis, [a for a in AXES if a != "fn"])))
            if overlay.count(axis) > 1:
                raise self.errors(path, f"{axis} is named twice")
        return [a for a in AXES if a in overlay]  # runs in the product's order

    def _render_options(self, functions: dict[str, Any]) -> dict[str, Any]:
        """Check the render options through :class:`~optviz.settings.DrawSettings`, blaming the
        line of the key that is wrong."""
        from optviz.settings import DrawSettings

        given = self.config.render.model_dump(exclude={"title"})
        if isinstance(given["size"], list):
            given["size"] = tuple(given["size"])
        try:
            settings = DrawSettings(**given)
        except OptvizError as exc:
            raise self.errors(("render", exc.setting), str(exc)) from None
        if settings.view == "surface":
            for spec, fn in functions.items():
                if fn.dim != 2:
                    raise self.errors(("render", "view"), f"view surface needs a 2-D function; {spec} is {fn.dim}-D")
        return given

    def _template(self, path: tuple[str, ...], text: str, overlay: list[str]) -> str:
        """Check a template's fields (known, plain, not overlaid) and, for ``out``, its suffix."""
        try:
            parts = list(string.Formatter().parse(text))
        except ValueError as exc:
            raise self.errors(path, f"cannot read the template {text!r}: {exc}; write fields as {{lr}}") from None
        for _, name, spec, conversion in parts:
            if name is None:
                continue
            if name not in FIELDS:
                usable = [f for f in FIELDS if f not in overlay]
                raise self.errors(path, str(_unknown("template field", name, usable)).replace("valid:", "fields:"))
            if spec or conversion:
                raise self.errors(path, f"write plain {{{name}}} (no format spec or conversion)")
            if name in overlay:
                raise self.errors(path, f"{{{name}}} is overlaid, so one file holds several values; drop it here")
        if path == ("out",):
            from optviz.render import SUFFIXES

            suffix = Path(text).suffix.lower()
            if suffix not in SUFFIXES:
                raise self.errors(
                    path, f"{text!r} has an unknown suffix {suffix or '(none)'!r}; use one of {', '.join(SUFFIXES)}"
                )
            if suffix == ".mp4" and _find_spec("imageio_ffmpeg") is None:
                raise self.errors(path, "MP4 needs imageio-ffmpeg; pip install 'optviz[mp4]', or write a .gif")
        return text

    def _collision(self, out: Path, first: tuple, second: tuple) -> ConfigError:
        differ = [a for a, v in second if dict(first).get(a) != v]
        add = f"{{{differ[0]}}}" if differ else "{index}"
        return self.errors(
            ["out"],
            f"two outputs map to the same file {out.name!r} ({_describe(first)} and {_describe(second)}); "
            f"add {add} to out, or overlay that axis",
        )

    def _run(self, values: dict[str, _Value]) -> Run:
        settings = {a: values[a].value for a in AXES}
        hyper = _hyper_for_run(self.config.hyper, _spec_name(settings["opt"]))
        return Run(**settings, hyper=tuple(hyper.items()))

    def _probe(self, figures: list[Figure], axes: dict[str, list[_Value]]) -> None:
        """One update of every distinct run: whatever the run would reject, rejected now."""
        from optviz import api

        paths = {v.value: v.path for v in axes["opt"]}
        seen = set()
        for run in (r for f in figures for r in f.runs):
            probe = {**run.kwargs(), "steps": 1, "schedule": None}
            marker = repr(sorted(probe.items()))
            if marker in seen:
                continue
            seen.add(marker)
            try:
                api.run(**probe)
            except OptvizError as exc:
                raise self.errors(paths[run.opt], f"{run.label} on {run.fn}: {exc}") from None


def _spec_name(spec: str) -> str:
    """``"sgd(momentum=0.5)"`` -> ``"sgd"``."""
    from optviz.spec import parse

    return parse(spec)[0]


def _hyper_for_run(hyper: dict[str, Any], name: str) -> dict[str, Any]:
    """Like :func:`optviz.settings.hyper_for`, keeping ``name.key`` keys as :func:`optviz.run` takes them."""
    return {
        k: tuple(v) if isinstance(v, list) else v for k, v in hyper.items() if "." not in k or k.startswith(name + ".")
    }


def _is_hyper_value(value: Any) -> bool:
    if isinstance(value, list):
        return bool(value) and all(isinstance(v, numbers.Real) for v in value)
    return value is None or isinstance(value, numbers.Real)


def _point_for(parse_point: Callable[..., Any], point: tuple[float, ...], fn: Any) -> Any:
    from optviz.errors import SpecError

    try:
        return parse_point(point, fn.dim)
    except SpecError as exc:
        raise SpecError(f"{exc} ({fn.spec})") from None


def _find_spec(name: str) -> Any:
    import importlib.util

    return importlib.util.find_spec(name)


def _unknown(kind: str, name: str, valid: Iterable[str]) -> OptvizError:
    from optviz.errors import UnknownNameError

    return UnknownNameError(kind, name, valid)


def _text(axis: str, value: Any) -> str:
    """How a value reads in titles and tables."""
    if value is None:
        return "none"
    if axis == "start":
        return ",".join(f"{v:g}" for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _slug(text: str) -> str:
    """A value in a file name: ``sgd(momentum=0.5)`` -> ``sgd-momentum=0.5``, ``-5,-2`` -> ``-5_-2``."""
    text = text.replace(" ", "").replace(",", "_").replace("=(", "=").replace("(", "-").replace(")", "")
    return re.sub(r"[^A-Za-z0-9.=_+-]+", "-", text).strip("-") or "none"


def _describe(key: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(f"{a}={v}" for a, v in key) or "the same settings"


# -------------------------------------------------------------------------------------- the runner


@dataclass(frozen=True)
class Result:
    """What became of one figure: a row per run (label, final loss, diverged at), or the error."""

    out: Path
    rows: tuple[tuple[str, float, int | None], ...] = ()
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class Outcome:
    """The results in plan order (figures never started are missing) and whether Ctrl-C stopped it."""

    results: tuple[Result, ...]
    interrupted: bool = False

    @property
    def failures(self) -> tuple[Result, ...]:
        return tuple(r for r in self.results if not r.ok)


#: True while a worker renders: Ctrl-C then aborts the render (whose temporary file is removed);
#: an idle worker ignores it and exits quietly when the pool shuts down
_busy = False


def _worker_init() -> None:
    signal.signal(signal.SIGINT, _on_sigint)


def _on_sigint(signum: int, frame: Any) -> None:
    global _busy
    del signum, frame
    if _busy:
        _busy = False  # a second Ctrl-C must not interrupt the cleanup of the first
        raise KeyboardInterrupt


def render_figure(figure: Figure) -> Result:
    """Run the figure's optimizers and write its file; a failure is returned, not raised, so one
    bad entry does not stop a sweep. (Module level, on picklable dataclasses, for worker processes.)"""
    global _busy
    _busy = True
    try:
        from optviz import api, render

        trajs = [api.run(**run.kwargs()) for run in figure.runs]
        render.render(trajs, figure.fn, figure.out, **figure.render)
        return Result(
            figure.out,
            tuple(
                (_row_label(traj, run, figure), traj.final_loss if len(traj.loss) else math.nan, traj.diverged_at)
                for traj, run in zip(trajs, figure.runs, strict=True)
            ),
        )
    except OptvizError as exc:
        return Result(figure.out, error=str(exc))
    except Exception as exc:  # reported with the other failures at the end; the sweep goes on
        return Result(figure.out, error=f"{type(exc).__name__}: {exc}")
    finally:
        _busy = False


def _row_label(traj: Any, run: Run, figure: Figure) -> str:
    """The run's legend name, plus the overlaid settings other than opt and lr that tell it apart."""
    differ = [a for a in AXES[3:] if len({getattr(r, a) for r in figure.runs}) > 1]
    return ", ".join([traj.label, *(f"{a}={_text(a, getattr(run, a))}" for a in differ)])


def execute(figures: Sequence[Figure], jobs: int = 1, on_result: Callable[[Result], None] | None = None) -> Outcome:
    """Render every figure, ``jobs`` at a time in worker processes (in this process for 1).

    Ctrl-C stops the sweep: renders in flight are abandoned (their temporary files removed),
    finished files stay, and the outcome says ``interrupted``.
    """
    done: dict[int, Result] = {}

    def finish(i: int, result: Result) -> None:
        done[i] = result
        if on_result is not None:
            on_result(result)

    interrupted = False
    if jobs <= 1 or len(figures) <= 1:
        try:
            for i, figure in enumerate(figures):
                finish(i, render_figure(figure))
        except KeyboardInterrupt:
            interrupted = True
    else:
        interrupted = _execute_pool(figures, jobs, finish)
    return Outcome(tuple(done[i] for i in sorted(done)), interrupted)


def _execute_pool(figures: Sequence[Figure], jobs: int, finish: Callable[[int, Result], None]) -> bool:
    """Render in a process pool; returns whether Ctrl-C stopped it."""
    # the pool's workers are the children this process starts from now on (a sweep starts no
    # others): what multiprocessing.active_children() lists then, and did not list before
    before = set(multiprocessing.active_children())
    pool = ProcessPoolExecutor(max_workers=min(jobs, len(figures)), initializer=_worker_init)
    pending: dict[Future, int] = {}
    try:
        for i, figure in enumerate(figures):
            pending[pool.submit(render_figure, figure)] = i
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                i = pending.pop(future)
                exc = future.exception()
                if exc is None:
                    finish(i, future.result())
                elif isinstance(exc, KeyboardInterrupt):  # the worker got the terminal's Ctrl-C
                    raise KeyboardInterrupt
                else:  # the worker died (killed, out of memory): a failure like any other
                    finish(i, Result(figures[i].out, error=f"{type(exc).__name__}: {exc}"))
    except KeyboardInterrupt:
        _stop(pool, pending, before)
        for future, i in pending.items():  # renders that completed while stopping are kept
            if future.done() and not future.cancelled() and future.exception() is None:
                finish(i, future.result())
        return True
    pool.shutdown(wait=True)
    return False


def _stop(pool: ProcessPoolExecutor, pending: dict[Future, int], before: set[Any]) -> None:
    """Cancel what has not started and interrupt the workers' renders, then wait for them.

    The terminal sends Ctrl-C to the workers too, but ``kill -INT`` of this process does not, so
    each worker gets a SIGINT of its own. The executor has no public list of its processes; they
    are this process's children that were not there before the pool (``before``), which
    :func:`multiprocessing.active_children` (public, and it reaps the ones that ended) tells.
    """
    for future in pending:
        future.cancel()
    for process in multiprocessing.active_children():
        if process not in before:
            try:
                os.kill(process.pid, signal.SIGINT)
            except OSError:  # it ended in the meantime
                pass
    pool.shutdown(wait=True, cancel_futures=True)
