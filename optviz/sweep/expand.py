"""Expansion: a validated config into figures (axes, overlay, templates, output collisions), each
error blamed on the line that is wrong."""

from __future__ import annotations

import itertools
import math
import numbers
import re
import string
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optviz.errors import ConfigError, OptvizError
from optviz.sweep.plan import AXES, FIELDS, Figure, Run, value_text
from optviz.sweep.schema import SweepConfig
from optviz.sweep.yaml_lines import Errors, locate

MAX_OUTPUTS = 1_000
MAX_RUNS = 10_000


@dataclass(frozen=True)
class _Value:
    """One value of an axis, where it was written, and how it reads in titles."""

    value: Any
    path: tuple[Any, ...]
    text: str


class Expander:
    """Turns a validated config into figures, checking what the schema cannot, each error blamed
    on the line that is wrong."""

    def __init__(self, config: SweepConfig, doc: dict, errors: Errors, base_dir: Path, name: str):
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
                line, _ = locate(self.doc, [axis])
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
        return _Value(value, path, value_text(axis, value))

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


def _slug(text: str) -> str:
    """A value in a file name: ``sgd(momentum=0.5)`` -> ``sgd-momentum=0.5``, ``-5,-2`` -> ``-5_-2``."""
    text = text.replace(" ", "").replace(",", "_").replace("=(", "=").replace("(", "-").replace(")", "")
    return re.sub(r"[^A-Za-z0-9.=_+-]+", "-", text).strip("-") or "none"


def _describe(key: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(f"{a}={v}" for a, v in key) or "the same settings"
