"""Sweeps: a YAML config of functions × optimizers × learning rates, rendered to files.

A config (every key but ``out`` is optional)::

    # GD on the ravine: lr 0.4 oscillates, 0.6 diverges       <- the lesson, one line
    fn: ravine                       # a function spec
    start: [-5, -2]                  # one point, or a list of points
    steps: 20
    opt: gd                          # a spec string, or a mapping {name: adam, lr: 0.1, betas: [0.9, 0.99]}
    lr: 0.4
    hyper: {momentum: 0.5}           # hyperparameters for every optimizer (like -p)
    schedule: null                   # also clip_norm, clip_value, noise, batch_size, seed
    render: {size: 800x450, panels: [loss], frames: 60}   # optviz.render.render's options
    sweep:                           # lists expanded as a Cartesian product, in this order
      lr: [0.4, 0.6]
      opt: [gd, momentum]
    overlay: opt                     # axes drawn together in one figure (default: none)
    out: out/{fn}-lr{lr}.gif         # one file per figure; fields: the sweep axes not overlaid, fn, name

Relative output paths are taken from the output folder (``--out-dir``, default: the current
folder). Everything is validated before anything runs; errors name the file, line and key.
"""

from __future__ import annotations

import itertools
import math
import re
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from optviz.errors import ConfigError, OptvizError

__all__ = ["Figure", "Outcome", "SweepConfig", "expand", "load", "make_figure", "parse"]

#: settings that a ``sweep:`` block may vary (and ``overlay:`` draw together)
AXES = ("fn", "opt", "lr", "start", "steps", "schedule", "seed", "noise", "batch_size", "clip_norm", "clip_value")
#: axes that one figure can hold several values of
OVERLAY_AXES = ("opt", "lr", "start", "schedule", "seed", "noise", "batch_size", "clip_norm", "clip_value")
RENDER_KEYS = ("panels", "view", "size", "theme", "dpi", "frames", "fps", "hold", "title")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


class RenderConfig(_Strict):
    panels: str | list[str] | None = None
    view: str | None = None
    size: str | None = None
    theme: str | None = None
    dpi: float | None = None
    frames: int | None = None
    fps: float | None = None
    hold: float | None = None
    title: str | None = None


Number = float | int
OptSpec = str | dict[str, Any]


class SweepConfig(_Strict):
    """The validated shape of a sweep config (see the module docstring)."""

    description: str | None = None
    fn: str = "ravine"
    start: list[Number] | None = None
    steps: int = 50
    opt: OptSpec = "gd"
    lr: Number | None = None
    hyper: dict[str, Any] = {}
    schedule: str | None = None
    clip_norm: Number | None = None
    clip_value: Number | None = None
    noise: Number = 0.0
    batch_size: int | None = None
    seed: int = 0
    render: RenderConfig = RenderConfig()
    sweep: dict[str, list[Any]] = {}
    overlay: list[str] = []
    out: str

    @field_validator("overlay", mode="before")
    @classmethod
    def _overlay(cls, overlay: Any) -> list[str]:
        axes = [] if overlay in (None, "none") else [overlay] if isinstance(overlay, str) else overlay
        if not isinstance(axes, list) or not all(isinstance(a, str) for a in axes):
            raise ValueError(f"overlay must be an axis name or a list of them, e.g. overlay: opt; got {overlay!r}")
        for axis in axes:
            if axis not in OVERLAY_AXES:
                raise ValueError(f"cannot overlay {axis!r}; one figure can hold several {', '.join(OVERLAY_AXES)}")
        return axes


@dataclass(frozen=True)
class Figure:
    """One output file: its runs (one per overlaid combination) and how to draw them."""

    out: Path
    fn: str
    runs: tuple[dict[str, Any], ...]  # optviz.run keyword arguments, one per run
    render: dict[str, Any]
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    """What became of one figure: the written file and its runs' results, or the error."""

    out: Path
    labels: tuple[str, ...] = ()
    final_losses: tuple[float, ...] = ()
    diverged_at: tuple[int | None, ...] = ()
    error: str | None = None


# -------------------------------------------------------------------------------------------- load


def load(path: str | Path) -> tuple[SweepConfig, str]:
    """Read and validate a config file. Returns the config and its one-line lesson (the first
    comment line, or ``description``)."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read config {str(path)!r}: {exc.strerror}; give the path of a .yaml file") from None
    config = parse(text, str(path))
    return config, config.description or _first_comment(text)


def parse(text: str, source: str = "<config>") -> SweepConfig:
    """Validate YAML text as a :class:`SweepConfig`; every error is a one-line :class:`ConfigError`
    naming ``source``, the line and the key. Loaded with a safe loader: no tags, no code."""
    data, lines = _safe_load_with_lines(text, source)
    if not isinstance(data, dict):
        found = "nothing" if data is None else type(data).__name__
        raise ConfigError(f"{source}:1: a config is a mapping of keys such as fn, opt, lr, out; found {found}")
    try:
        config = SweepConfig.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = tuple(error["loc"])
        key = ".".join(str(part) for part in loc) or "(top)"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = f"unknown key; valid keys here: {', '.join(_valid_keys(loc))}"
        elif error["type"] == "missing":
            message = "missing; every config needs it (e.g. out: out/{fn}-{opt}.png)"
        raise ConfigError(f"{source}:{_line(lines, loc)}: {key}: {message}") from None
    _check_axes(config, source, lines)
    return config


class _Loader(yaml.SafeLoader):
    """The safe loader (no tags, no code), reading ``1e-3`` as a number as YAML 1.2 does."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)


def _safe_load_with_lines(text: str, source: str) -> tuple[Any, dict[tuple, int]]:
    """A safe YAML load that also records the line of every mapping key (as key paths)."""
    loader = None
    try:
        loader = _Loader(text)
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else text.count("\n", 0, getattr(exc, "position", 0)) + 1
        problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{source}:{line}: YAML syntax error: {problem}; check the indentation and quoting") from None
    except (ValueError, TypeError, RecursionError) as exc:  # e.g. unhashable keys
        raise ConfigError(f"{source}: cannot read the YAML: {exc}") from None
    finally:
        if loader is not None:
            loader.dispose()
    lines: dict[tuple, int] = {}

    def walk(n: yaml.Node, path: tuple) -> None:
        if isinstance(n, yaml.MappingNode):
            for key, value in n.value:
                sub = (*path, key.value)
                lines.setdefault(sub, key.start_mark.line + 1)
                walk(value, sub)
        elif isinstance(n, yaml.SequenceNode):
            for i, item in enumerate(n.value):
                lines.setdefault((*path, i), item.start_mark.line + 1)
                walk(item, (*path, i))

    if node is not None:
        walk(node, ())
    return data, lines


def _line(lines: dict[tuple, int], loc: tuple) -> int:
    for end in range(len(loc), 0, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1


def _valid_keys(loc: tuple) -> list[str]:
    model: type[BaseModel] = RenderConfig if loc[:1] == ("render",) else SweepConfig
    return list(model.model_fields)


def _first_comment(text: str) -> str:
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#"):
            return line.lstrip("#").strip()
        if line:
            break
    return ""


def _check_axes(config: SweepConfig, source: str, lines: dict[tuple, int]) -> None:
    set_keys = config.model_fields_set
    for axis, values in config.sweep.items():
        where = f"{source}:{_line(lines, ('sweep', axis))}: sweep.{axis}"
        if axis not in AXES:
            raise ConfigError(f"{where}: cannot sweep {axis!r}; sweepable: {', '.join(AXES)}")
        if not values:
            raise ConfigError(f"{where}: an empty list; give at least one value")
        if axis in set_keys:
            raise ConfigError(
                f"{source}:{_line(lines, ('sweep', axis))}: sweep.{axis}: {axis} is also set at the top; "
                "give it in one place"
            )
    for axis in config.overlay:
        if axis not in config.sweep:
            raise ConfigError(
                f"{source}:{_line(lines, ('overlay',))}: overlay: {axis!r} is not swept; "
                f"add sweep: {{{axis}: [...]}} or drop it from overlay"
            )
    fields = [f for _, f, _, _ in string.Formatter().parse(config.out) if f is not None]
    allowed = {"fn", "name", *config.sweep} - set(config.overlay)
    for name in fields:
        base = re.split(r"[.\[!:]", name, maxsplit=1)[0]
        if base in config.overlay:
            raise ConfigError(
                f"{source}:{_line(lines, ('out',))}: out: {{{base}}} is overlaid, so one file holds several; "
                "drop it from the template"
            )
        if base not in allowed:
            raise ConfigError(
                f"{source}:{_line(lines, ('out',))}: out: unknown field {{{name}}}; "
                f"use {', '.join('{' + f + '}' for f in sorted(allowed))}"
            )


# ------------------------------------------------------------------------------------------ expand


def expand(
    config: SweepConfig, *, name: str = "sweep", out_dir: str | Path = ".", source: str = "<config>"
) -> list[Figure]:
    """The figures a config makes, validated (names, values, render options, output paths) before
    anything runs."""
    axes = list(config.sweep)
    overlaid = [a for a in axes if a in config.overlay]
    separate = [a for a in axes if a not in overlaid]
    base = {
        "fn": config.fn,
        "opt": config.opt,
        "lr": config.lr,
        "start": config.start,
        "steps": config.steps,
        "schedule": config.schedule,
        "seed": config.seed,
        "noise": config.noise,
        "batch_size": config.batch_size,
        "clip_norm": config.clip_norm,
        "clip_value": config.clip_value,
    }
    render = {k: v for k, v in config.render.model_dump().items() if v is not None}
    figures: list[Figure] = []
    seen: dict[Path, dict[str, Any]] = {}
    for outer in itertools.product(*(config.sweep[a] for a in separate)):
        fields = {"name": name, **base, **dict(zip(separate, outer, strict=True))}
        runs = []
        for inner in itertools.product(*(config.sweep[a] for a in overlaid)):
            settings = {**fields, **dict(zip(overlaid, inner, strict=True))}
            settings.pop("name")
            runs.append(_run_kwargs(settings, config.hyper, source))
        out = Path(out_dir) / config.out.format(**{k: _show(v) for k, v in fields.items()})
        if out in seen:
            raise ConfigError(
                f"{source}: out: two figures map to {str(out)!r} ({_differ(seen[out], fields)}); "
                "put the swept fields in the template, e.g. out/{fn}-{opt}-lr{lr}.png"
            )
        seen[out] = fields
        figures.append(Figure(out, runs[0]["fn"], tuple(runs), render, fields))
    for figure in figures:
        _validate(figure, source)
    return figures


def _run_kwargs(settings: dict[str, Any], hyper: dict[str, Any], source: str) -> dict[str, Any]:
    opt = settings["opt"]
    if isinstance(opt, dict):
        opt = _opt_from_mapping(opt, source)
    elif not isinstance(opt, str):
        raise ConfigError(f"{source}: opt: {opt!r} must be a spec string or a mapping with a name")
    kwargs = {k: v for k, v in settings.items() if v is not None or k == "lr"}
    kwargs["opt"] = opt
    if isinstance(kwargs.get("start"), list):
        kwargs["start"] = tuple(kwargs["start"])
    return {**kwargs, **hyper}


def _opt_from_mapping(mapping: dict[str, Any], source: str) -> str:
    from optviz.spec import format_spec

    if not isinstance(mapping.get("name"), str):
        raise ConfigError(f"{source}: opt: a mapping needs a name, e.g. {{name: adam, lr: 0.1}}")
    options = {k: tuple(v) if isinstance(v, list) else v for k, v in mapping.items() if k != "name"}
    return format_spec(mapping["name"], options)


def _show(value: Any) -> str:
    """A field's text in a file name: ``0.4``, ``sgd-momentum=0.5``, ``ravine-angle=30``."""
    if isinstance(value, dict):
        value = _opt_from_mapping(value, "")
    if isinstance(value, float):
        text = f"{value:g}"
    elif isinstance(value, (list, tuple)):
        text = "_".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
    else:
        text = str(value)
    return re.sub(r"[^A-Za-z0-9.=_+-]+", "-", text.replace(" ", "")).strip("-")


def _differ(a: dict[str, Any], b: dict[str, Any]) -> str:
    keys = [k for k in b if a.get(k) != b.get(k)]
    return ", ".join(f"{k}={a.get(k)!r} vs {b.get(k)!r}" for k in keys) or "same settings"


def _validate(figure: Figure, source: str) -> None:
    """Everything that would fail at run time, checked now: names, hyperparameters, render options."""
    from optviz import api
    from optviz.render import check_target

    try:
        check_target(figure.out, figure.fn, **figure.render)
        for kwargs in figure.runs:
            api.check_steps(kwargs.get("steps", 50))
            # a one-step run builds and checks everything the real run will use
            api.run(**{**kwargs, "steps": 1})
    except OptvizError as exc:
        raise ConfigError(f"{source}: {figure.out.name}: {exc}") from None
    except TypeError as exc:  # a value of the wrong type that pydantic let through (e.g. in hyper)
        raise ConfigError(f"{source}: {figure.out.name}: {exc}") from None


# --------------------------------------------------------------------------------------------- run


def make_figure(figure: Figure) -> Outcome:
    """Run and draw one figure; an input error is returned as the outcome, not raised, so that
    one bad entry does not stop a sweep. (Top level, so worker processes can run it.)"""
    from optviz import api
    from optviz.render import render

    try:
        trajectories = [api.run(**kwargs) for kwargs in figure.runs]
        render(trajectories, figure.fn, figure.out, **figure.render)
    except OptvizError as exc:
        return Outcome(figure.out, error=str(exc))
    except Exception as exc:  # reported per entry: the sweep goes on
        return Outcome(figure.out, error=f"{type(exc).__name__}: {exc}")
    return Outcome(
        figure.out,
        tuple(t.label for t in trajectories),
        tuple(float(t.loss[-1]) if len(t.loss) else math.nan for t in trajectories),
        tuple(t.diverged_at for t in trajectories),
    )


def run_figures(
    figures: list[Figure], *, jobs: int = 1, on_done: Callable[[Outcome], None] | None = None
) -> list[Outcome]:
    """Make every figure, ``jobs`` at a time in worker processes; outcomes in the figures' order."""
    if jobs <= 1 or len(figures) <= 1:
        outcomes = []
        for figure in figures:
            outcomes.append(make_figure(figure))
            if on_done:
                on_done(outcomes[-1])
        return outcomes
    from concurrent.futures import ProcessPoolExecutor, as_completed

    results: dict[int, Outcome] = {}
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(make_figure, figure): i for i, figure in enumerate(figures)}
        try:
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                if on_done:
                    on_done(results[futures[future]])
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    return [results[i] for i in range(len(figures))]
