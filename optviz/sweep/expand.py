"""Expansion: a validated config into figures, each run checked by its record.

The sweep's own part is the YAML: which keys are axes, a value's line, the overlay, the ``out``
and title templates and the files they name. The values are checked by
:class:`~optviz.settings.RunSettings` and :class:`~optviz.settings.DrawSettings`, made for every
run of the product; an error's ``exc.setting`` names the key, and so the line, that is wrong.
"""

from __future__ import annotations

import importlib.util
import itertools
import math
import numbers
import re
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optviz import engine
from optviz import spec as spec_parser
from optviz.errors import ConfigError, OptvizError, UnknownNameError
from optviz.settings import DrawSettings, check_targets, hyper_for, settings_of
from optviz.sweep.plan import Figure, Run, value_text
from optviz.sweep.schema import AXES, FIELDS, RUN_DEFAULTS, SweepConfig
from optviz.sweep.yaml_lines import Errors, locate

MAX_OUTPUTS = 1_000
MAX_RUNS = 10_000
#: about how long drawing takes: a figure, and each frame of an animation (measured at 1280x720)
RENDER_FIGURE_SECONDS = 0.3
RENDER_FRAME_SECONDS = 0.008
_DEFAULT_FRAMES = settings_of(DrawSettings)["frames"][0]


@dataclass(frozen=True)
class _Value:
    """One value of an axis, where it was written, and how it reads in titles."""

    value: Any
    path: tuple[Any, ...]
    text: str


class Expander:
    """Turns a validated config into figures, checking what the schema cannot, each error blamed
    on the line that is wrong."""

    def __init__(
        self, config: SweepConfig, doc: dict, errors: Errors, base_dir: Path, name: str, *, allow_outside: bool = False
    ):
        self.config = config
        self.doc = doc
        self.errors = errors
        self.base_dir = base_dir
        self.name = name
        self.allow_outside = allow_outside

    def figures(self) -> list[Figure]:
        axes = self._axes()
        overlay = self._overlay()
        separate = [a for a in AXES if a not in overlay]
        self._check_size(axes, separate)
        runs = self._runs(axes)
        render = self._render_options({run.given["fn"]: run.settings.fn for run in runs.values()})
        template = self._template(("out",), self.config.out, overlay)
        title = render.get("title")
        if title is not None:
            self._template(("render", "title"), title, overlay)
        figures: list[Figure] = []
        made: dict[Path, tuple[tuple[str, str], ...]] = {}
        for index, chosen in enumerate(itertools.product(*(range(len(axes[a])) for a in separate)), start=1):
            fixed = {a: axes[a][i] for a, i in zip(separate, chosen, strict=True)}
            key = tuple((a, fixed[a].text) for a in separate if len(axes[a]) > 1)
            names = {"name": self.name, "index": f"{index:02d}", **{a: _slug(v.text) for a, v in fixed.items()}}
            out = Path(template.format(**names)).expanduser()
            out = out if out.is_absolute() else self.base_dir / out
            if not self.allow_outside:
                self._check_inside(out)
            if out in made:
                raise self._collision(out, made[out], key)
            made[out] = key
            options = dict(render)
            if title is not None:
                options["title"] = title.format(
                    **{"name": self.name, "index": str(index), **{a: v.text for a, v in fixed.items()}}
                )
            drawn = (
                {**dict(zip(separate, chosen, strict=True)), **dict(zip(overlay, more, strict=True))}
                for more in itertools.product(*(range(len(axes[a])) for a in overlay))
            )
            figure_runs = tuple(runs[tuple(at[a] for a in AXES)] for at in drawn)
            figures.append(Figure(out, fixed["fn"].value, figure_runs, options, key))
        self._check_budget(figures)
        return figures

    # -- axes

    def _axes(self) -> dict[str, list[_Value]]:
        """Every setting's values (one, or several for an axis) and where each was written; a
        setting the config does not give has the record's default."""
        config, sweep = self.config, self.config.sweep
        given = config.model_fields_set
        swept = sweep.model_fields_set if sweep is not None else set()
        if sweep is not None and not swept:
            raise self.errors(["sweep"], "an empty sweep; give lists to expand, e.g. sweep: {lr: [0.1, 0.2]}")
        axes: dict[str, list[_Value]] = {}
        for axis in AXES:
            if axis in swept and axis in given:
                line, _ = locate(self.doc, [axis])
                raise self.errors(
                    ["sweep", axis], f"{axis} is also given at the top (line {line}); give it in one place"
                )
            value = getattr(sweep if axis in swept else config, axis)
            if axis in swept:
                values, paths = value, [("sweep", axis, i) for i in range(len(value))]
            elif axis == "start":
                values, paths = self._starts()
            elif isinstance(value, list):  # one value or a list at the top level
                as_list = isinstance(self.doc.get(axis), list)
                values, paths = value, [(axis, i) if as_list else (axis,) for i in range(len(value))]
            else:
                values, paths = [value if axis in given else RUN_DEFAULTS[axis]], [(axis,)]
            axes[axis] = [self._value(axis, v, p) for v, p in zip(values, paths, strict=True)]
        return axes

    def _check_size(self, axes: dict[str, list[_Value]], separate: list[str]) -> None:
        """Refuse more files or runs than a sweep should make (before any run is checked)."""
        n_figures = math.prod(len(axes[a]) for a in separate)
        n_runs = math.prod(len(values) for values in axes.values())
        if n_figures > MAX_OUTPUTS or n_runs > MAX_RUNS:
            raise self.errors(
                ["sweep"] if "sweep" in self.doc else [],
                f"this makes {n_figures} files and {n_runs} runs; the limits are {MAX_OUTPUTS} and {MAX_RUNS}: "
                "split it into several configs",
            )

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
        """A start point as YAML writes it: a list of numbers, or one number in 1-D (whether it
        fits the function, and is finite, its record checks)."""
        items = value if isinstance(value, list) else [value]
        if not items or not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in items):
            raise self.errors(
                path, f"a start point is a list of numbers such as [-5, -2] (or 10 in 1-D), got {value!r}"
            )
        return tuple(float(v) for v in items)

    def _opt_spec(self, item: Any, path: tuple[Any, ...]) -> Any:
        """An optimizer as a spec string: as written, or built from a mapping (anything else is
        left to its record, which says what an optimizer is)."""
        if isinstance(item, str):
            return item.strip()
        if not isinstance(item, dict):
            return item
        if not isinstance(item.get("name"), str) or not item["name"].strip():
            raise self.errors(path, "an optimizer mapping needs a name, e.g. {name: adam, lr: 0.1, betas: [0.9, 0.99]}")
        options = {key: self._hyper_value([*path, key], key, value) for key, value in item.items() if key != "name"}
        return spec_parser.format_spec(item["name"].strip(), options)

    def _hyper_value(self, path: list[Any], key: Any, value: Any) -> Any:
        """A hyperparameter as a spec can write it: a number, true/false or a list of numbers
        (a tuple, as in a spec). Its range is the optimizer's to check."""
        if isinstance(value, list):
            fits = bool(value) and all(isinstance(v, numbers.Real) for v in value)
        else:
            fits = value is None or isinstance(value, numbers.Real)
        if not isinstance(key, str) or not fits:
            raise self.errors(path, f"a hyperparameter is a number, true/false or a list of numbers, got {value!r}")
        return tuple(value) if isinstance(value, list) else value

    # -- the runs

    def _runs(self, axes: dict[str, list[_Value]]) -> dict[tuple[int, ...], Run]:
        """Every run of the product, by the index of each of its values; making a run makes its
        :class:`~optviz.settings.RunSettings`, whose first failing check is blamed on the line
        of that setting's value."""
        hyper = {key: self._hyper_value(["hyper", key], key, v) for key, v in (self.config.hyper or {}).items()}
        runs: dict[tuple[int, ...], Run] = {}
        for chosen in itertools.product(*(range(len(axes[a])) for a in AXES)):
            values = {a: axes[a][i] for a, i in zip(AXES, chosen, strict=True)}
            opt = values["opt"]
            name = _name(opt.value)
            given = {a: v.value for a, v in values.items()} | {"hyper": hyper_for(hyper, name)}
            applies = tuple((k, v) for k, v in hyper.items() if hyper_for({k: v}, name))
            try:
                run = Run(given, applies)
            except OptvizError as exc:
                setting = getattr(exc, "setting", None)
                path = values[setting].path if setting in values else (setting,) if setting else ()
                raise self.errors(path, str(exc)) from None
            if run.settings.opt.lr is not None and len(axes["lr"]) > 1:
                raise self.errors(
                    opt.path, f"{opt.value!r} names its own lr, so the lr sweep would repeat it; drop one"
                )
            runs[chosen] = run
        names = {_name(v.value) for v in axes["opt"]}
        for key in hyper:  # adam.betas must name an optimizer that is run
            try:
                check_targets({key: None}, names)
            except OptvizError as exc:
                raise self.errors(("hyper", key), str(exc)) from None
        return runs

    # -- overlay, render options, templates, collisions

    def _overlay(self) -> list[str]:
        overlay = list(self.config.overlay)
        as_list = isinstance(self.doc.get("overlay"), list)
        for i, axis in enumerate(overlay):
            path = ("overlay", i) if as_list else ("overlay",)
            if axis == "fn":
                raise self.errors(path, "cannot overlay fn: runs on different functions need their own figures")
            if axis not in AXES:
                raise self.errors(path, str(UnknownNameError("overlay axis", axis, [a for a in AXES if a != "fn"])))
            if overlay.count(axis) > 1:
                raise self.errors(path, f"{axis} is named twice")
        return [a for a in AXES if a in overlay]  # runs in the product's order

    def _render_options(self, functions: dict[str, Any]) -> dict[str, Any]:
        """The ``render:`` keys given, checked through :class:`~optviz.settings.DrawSettings`
        (blaming the line of the key that is wrong) and for every function drawn."""
        render = self.config.render
        given = {key: getattr(render, key) for key in render.model_fields_set}
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
                raise self.errors(
                    path, str(UnknownNameError("template field", name, usable)).replace("valid:", "fields:")
                )
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
            if suffix == ".mp4" and importlib.util.find_spec("imageio_ffmpeg") is None:
                raise self.errors(path, "MP4 needs imageio-ffmpeg; pip install 'optviz[mp4]', or write a .gif")
        return text

    def _check_inside(self, out: Path) -> None:
        """An output must land inside the output folder, symbolic links resolved (``../x.png``,
        ``/tmp/x.png`` and ``~/x.png`` do not), unless the user allowed it."""
        root, target = self.base_dir.resolve(), out.resolve()
        if not target.is_relative_to(root):
            raise self.errors(
                ["out"],
                f"{self.config.out!r} writes {str(target)!r}, outside the output folder {str(root)!r}; "
                "give a path inside it, or pass --allow-outside (allow_outside=True) to write there",
            )

    # -- the budget

    def _check_budget(self, figures: list[Figure]) -> None:
        """Refuse a sweep whose runs would record more than :data:`optviz.engine.MAX_RECORD_BYTES`
        in all, with the estimate of its memory and time (at --jobs 1) and a fix; blamed on
        ``steps``."""
        nbytes, seconds, steps = 0, 0.0, set()
        for figure in figures:
            animated = figure.out.suffix.lower() in (".gif", ".mp4")
            longest = max(run.settings.steps for run in figure.runs)
            frames = min(figure.render.get("frames") or _DEFAULT_FRAMES, longest + 1) if animated else 1
            seconds += RENDER_FIGURE_SECONDS + frames * RENDER_FRAME_SECONDS
            for run in figure.runs:
                kept = {
                    "every": run.settings.record_every,
                    "itemsize": 4 if run.settings.record_dtype == "float32" else 8,
                }
                nbytes += engine.record_bytes(run.settings.steps, 1, run.settings.fn.dim, **kept)
                seconds += engine.simulate_seconds(run.settings.steps, 1)
                steps.add(run.settings.steps)
        n_runs = sum(len(figure.runs) for figure in figures)
        if len(steps) == 1 and (fit := int(steps.pop() * engine.MAX_RECORD_BYTES / nbytes)) >= 1:
            fix = f"use at most {fit} steps, or fewer runs"
        else:
            fix = "use fewer steps or fewer runs"
        where = (
            ["sweep", "steps"] if "steps" in (self.doc.get("sweep") or {}) else ["steps"] if "steps" in self.doc else []
        )
        try:
            engine.check_budget(nbytes, seconds, f"the sweep's {n_runs} run{'s' * (n_runs != 1)}", fix)
        except OptvizError as exc:
            raise self.errors(where, str(exc)) from None

    def _collision(self, out: Path, first: tuple, second: tuple) -> ConfigError:
        differ = [a for a, v in second if dict(first).get(a) != v]
        add = f"{{{differ[0]}}}" if differ else "{index}"
        return self.errors(
            ["out"],
            f"two outputs map to the same file {out.name!r} ({_describe(first)} and {_describe(second)}); "
            f"add {add} to out, or overlay that axis",
        )


def _name(opt: Any) -> str:
    """The name that picks an optimizer's ``adam.betas`` style keys, as :func:`optviz.api.expand`
    picks it; ``""`` for a spec that does not parse (its record says why)."""
    try:
        return spec_parser.parse(opt)[0] if isinstance(opt, str) else ""
    except OptvizError:
        return ""


def _slug(text: str) -> str:
    """A value in a file name: ``sgd(momentum=0.5)`` -> ``sgd-momentum=0.5``, ``-5,-2`` -> ``-5_-2``."""
    text = text.replace(" ", "").replace(",", "_").replace("=(", "=").replace("(", "-").replace(")", "")
    return re.sub(r"[^A-Za-z0-9.=_+-]+", "-", text).strip("-") or "none"


def _describe(key: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(f"{a}={v}" for a, v in key) or "the same settings"
