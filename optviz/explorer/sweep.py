"""``explore``: every combination of the swept hyperparameters in one engine batch, as one page.

A swept value is a range ``"LO..HI"`` of ``num`` values (the learning rate spaced evenly on a log
scale, as ``optviz lr-scan`` spaces it; every other hyperparameter on a linear one) or a list of
values; ``beta1``/``beta2`` sweep one half of Adam-type ``betas``. Ranges are read with
:func:`optviz.views.common.parse_range`, the parser of the views' ``--lr 1e-4..1``.
"""

from __future__ import annotations

import dataclasses
import html
import itertools
import math
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from optviz.errors import HyperparameterError, OutputError
from optviz.functions import TestFunction
from optviz.functions import get as get_function
from optviz.settings import DrawSettings, RunSettings, check_starts, settings_of
from optviz.views.common import parse_range, whole

__all__ = ["MAX_RUNS", "Axis", "Explorer", "explore", "sweep_axes"]

#: the most runs one page holds (series × grid points): 5000 runs of 200 samples are about 20 MB
MAX_RUNS = 5000
#: the halves of ``betas`` that can be swept on their own
_BETAS = {"beta1": 0, "beta2": 1}
#: what run() takes as its own arguments rather than as hyperparameters
_OWN = ("fn", "opt", "steps", "start", "hyper")


@dataclasses.dataclass(frozen=True)
class Axis:
    """One swept hyperparameter: its name (``lr``, ``momentum``, ``beta1`` ...) and values."""

    name: str
    values: tuple[float, ...]
    log: bool

    def data(self) -> dict[str, Any]:
        return {"name": self.name, "values": list(self.values), "scale": "log" if self.log else "linear"}


def _is_range(value: Any) -> bool:
    return (isinstance(value, str) and ".." in value) or isinstance(value, list)


def sweep_axes(hyper: dict[str, Any], num: int | Sequence[int]) -> tuple[list[Axis], dict[str, Any]]:
    """Split hyperparameters into swept axes (ranges and lists, in the order given) and fixed values.

    ``num`` is the count of every range, or one count per range in their order.

    Examples:
        >>> axes, fixed = sweep_axes({"lr": "0.01..1", "momentum": "0..0.9", "eps": 1e-8}, [3, 4])
        >>> [(a.name, [round(v, 4) for v in a.values]) for a in axes], fixed
        ([('lr', [0.01, 0.1, 1.0]), ('momentum', [0.0, 0.3, 0.6, 0.9])], {'eps': 1e-08})
    """
    ranges = [k for k, v in hyper.items() if isinstance(v, str) and ".." in v]
    counts = [num] * len(ranges) if isinstance(num, (int, np.integer)) else list(num)
    if len(counts) != len(ranges):
        raise HyperparameterError(
            f"{len(counts)} --num for {len(ranges)} range{'s' * (len(ranges) != 1)} "
            f"({', '.join(ranges) or 'none'}): give one --num after each range, or one for all"
        )
    counts = dict(zip(ranges, (whole(n, "--num", 2, 1000, "20") for n in counts), strict=True))
    axes, fixed = [], {}
    for name, value in hyper.items():
        flag = f"--{name.replace('_', '-')}"
        if name in counts:
            lo, hi = parse_range(value, flag, "0.01..1" if name == "lr" else "0..0.9", positive=name == "lr")
            n = counts[name]
            values = np.geomspace(lo, hi, n) if name == "lr" else np.linspace(lo, hi, n)
            axes.append(Axis(name, tuple(float(v) for v in values), name == "lr"))
        elif isinstance(value, list):
            if len(value) < 2 or not all(_number(v) for v in value):
                raise HyperparameterError(f"{flag} {value!r}: give a range LO..HI or a list of two or more numbers")
            axes.append(Axis(name, tuple(float(v) for v in value), False))
        else:
            fixed[name] = _value(value, flag)
    return axes, fixed


def _number(value: Any) -> bool:
    return isinstance(value, (int, float, np.number)) and not isinstance(value, bool) and math.isfinite(value)


def _value(value: Any, flag: str) -> Any:
    """A fixed value; text (from the command line) is read as a number."""
    if not isinstance(value, str):
        return value
    try:
        return float(value)
    except ValueError:
        raise HyperparameterError(
            f"{flag} {value!r} is neither a number nor a range LO..HI, e.g. {flag} 0.1 or {flag} 0.01..1"
        ) from None


def _hyper_of(opt_defaults: dict[str, Any], fixed: dict[str, Any], point: dict[str, float]) -> dict[str, Any]:
    """The hyperparameters of one grid point: ``beta1``/``beta2`` put into ``betas``."""
    hyper = {**fixed, **point}
    halves = {k: hyper.pop(k) for k in list(hyper) if k in _BETAS}
    if halves:
        if "betas" not in hyper and "betas" not in opt_defaults:
            raise HyperparameterError(f"{', '.join(halves)}: this optimizer has no betas; sweep another hyperparameter")
        betas = list(hyper.get("betas", opt_defaults.get("betas")))
        for name, v in halves.items():
            betas[_BETAS[name]] = v
        hyper["betas"] = tuple(betas)
    return hyper


@dataclasses.dataclass(eq=False)
class Explorer:
    """A page of precomputed runs: ``save("page.html")`` writes it, a notebook shows it inline
    (``_repr_html_``: an iframe whose ``srcdoc`` is the page), ``data`` is its JSON data
    (schema: :mod:`optviz.explorer`), ``json()`` the same as text for other tools."""

    data: dict[str, Any]

    def __len__(self) -> int:
        return len(self.data["runs"]["count"])

    def html(self) -> str:
        from optviz.explorer.page import page_html

        return page_html(self.data)

    def json(self) -> str:
        from optviz.explorer.page import script_json

        return script_json(self.data)

    def save(self, path: str | os.PathLike) -> Path:
        from optviz.explorer.page import write_page
        from optviz.output import check_output

        return write_page(self.data, check_output(path, (".html",), "page"))

    def _repr_html_(self) -> str:
        width = self.data["image"]["width"] + self.data["style"]["panel_width"] + 40
        height = self.data["image"]["height"] + 110 + 40 * max(len(self.data["sweep"]), 3)
        return (
            f'<iframe srcdoc="{html.escape(self.html(), quote=True)}" width="{width}" height="{height}" '
            'style="border: none" sandbox="allow-scripts"></iframe>'
        )


def explore(
    fn: str | TestFunction = "ravine",
    opt: str | Sequence[str] = "momentum",
    *,
    num: int | Sequence[int] = 20,
    steps: int = 100,
    start: Any = None,
    **options: Any,
) -> Explorer:
    """Run every combination of the swept hyperparameters in one batch; return the page.

    Args:
        fn: the function (spec or :class:`~optviz.TestFunction`).
        opt: one optimizer spec, or several: each is a legend entry on the page, all swept alike.
        num: how many values each ``"LO..HI"`` range takes: one count for all, or one per range in
            the order the ranges are given.
        steps: updates per run; pages keep at most 200 of them per run (every k-th and the last).
        start: the start point (default: the function's).
        **options: hyperparameters (``lr``, ``momentum``, ``beta1``, ``beta2``, any of the
            optimizer's), each a number, a range ``"LO..HI"`` (``lr`` spaced on a log scale, the
            others linearly) or a list of values; run settings (``schedule``, ``noise`` ...); and
            drawing settings (``size``, ``theme``, ``panels``, ``title``, ``labels`` ...).

    Raises:
        OptvizError: bad names or values, more than :data:`MAX_RUNS` runs, nothing swept.
    """
    from optviz import api
    from optviz.explorer.page import page_data
    from optviz.render import check_target

    function = get_function(fn)
    opts = [opt] if isinstance(opt, str) else list(opt)
    draw_fields, run_fields = settings_of(DrawSettings), settings_of(RunSettings)
    draw = {k: options.pop(k) for k in list(options) if k in draw_fields}
    common = {k: options.pop(k) for k in list(options) if k in run_fields and k not in (*_OWN, "lr")}
    _, settings = check_target(Path(tempfile.gettempdir()) / "optviz.html", function, **draw)
    axes, fixed = sweep_axes(options, num)
    if not axes:
        raise HyperparameterError(
            "nothing to sweep: give a range, e.g. --lr 0.01..1 --num 40 (optviz run draws one setting)"
        )
    grid = math.prod(len(a.values) for a in axes)
    if grid * len(opts) > MAX_RUNS:
        raise HyperparameterError(
            f"{grid * len(opts)} runs ({' × '.join(str(len(a.values)) for a in axes)} settings × {len(opts)} "
            f"optimizer{'s' * (len(opts) != 1)}); a page holds at most {MAX_RUNS}: lower --num"
        )
    runs = []
    for spec in opts:
        first = api.expand(function, [spec], None, steps=steps, hyper=dict(fixed), **common)[0]
        defaults = {**first.opt.entry.defaults, **first.opt.options}
        for values in itertools.product(*(a.values for a in axes)):
            point = dict(zip((a.name for a in axes), values, strict=True))
            lr = point.pop("lr", fixed.get("lr"))
            hyper = _hyper_of(defaults, {k: v for k, v in fixed.items() if k != "lr"}, point)
            runs += api.expand(function, [spec], lr, steps=steps, hyper=hyper, **common)
    if len(settings.labels or opts) != len(opts):
        raise OutputError(f"{len(settings.labels)} labels for {len(opts)} optimizers: give one label per --opt")
    batch = api.run_settings(runs, check_starts(function, start))
    names = list(settings.labels or opts)
    title = f"{function.spec}: {', '.join(opts)} over {' × '.join(a.name for a in axes)}"
    return Explorer(page_data(function, list(batch), names, settings, [a.data() for a in axes], title))
