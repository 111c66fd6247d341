"""A view from plain values to a file: check everything first (:func:`check`), then compute, draw
and summarise (:class:`Job`). The command line and ``view:`` sweeps both go through here, so they
take the same options and give the same errors."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optviz import api
from optviz.errors import OutputError, SpecError
from optviz.output import check_output
from optviz.settings import DrawSettings, RunSettings, settings_of
from optviz.views.settings import VIEWS, View, draw_fields

__all__ = ["Job", "check", "draw_fields"]

#: the file types a view writes (pictures only)
PICTURES = (".png", ".svg", ".pdf")


@dataclass(frozen=True)
class Job:
    """A checked view: its record, the run options, the drawing settings and the output."""

    view: View
    settings: Any
    runs: dict[str, Any]
    draw: DrawSettings
    path: Path | None  # None: the numbers only

    def compute(self) -> Any:
        """The numbers (nothing is drawn)."""
        s, name = self.settings, self.view.name
        if name == "stability":
            from optviz.views import empirical, stability

            if s.empirical:
                return empirical.empirical_map(s.fn, s.opt, s.lr, s.momentum, s.resolution, s.steps, s.start)
            return stability.stability_map(s.fn, s.opt, s.lr, s.momentum, s.resolution)
        runs = dict(self.runs)
        hyper = runs.pop("hyper") or {}
        opts = runs.pop("opt")
        if name == "basins":
            from optviz.views.basins import basins

            return basins(s.fn, opts, runs.pop("lr"), runs.pop("steps"), s.grid, s.tol, **runs, **hyper)
        from optviz.views.lrscan import lr_scan

        return lr_scan(s.fn, opts, s.lr, s.num, runs.pop("steps"), s.to, runs.pop("start"), **runs, **hyper)

    def import_drawing(self) -> None:
        """Import the renderer of this view (matplotlib and the chart: about 0.3 s)."""
        renderers = {"stability": "optviz.render.stability", "basins": "optviz.render.basins"}
        importlib.import_module(renderers.get(self.view.name, "optviz.render.lrscan"))

    def render(self, data: Any) -> Path:
        """Draw ``data`` (from :meth:`compute`) to the output, written atomically."""
        if self.path is None:
            raise OutputError("no output file: give one, e.g. --out view.png")
        if self.view.name == "stability":
            from optviz.render.stability import render_stability

            return render_stability(data, self.settings, self.draw, self.path)
        if self.view.name == "basins":
            from optviz.render.basins import render_basins

            paths = _paths(self.settings, self.runs) if self.settings.paths else []
            return render_basins(data, paths, self.draw, self.path)
        from optviz.render.lrscan import render_lr_scan

        return render_lr_scan(data, self.draw, self.path)

    def rows(self, data: Any) -> list[tuple[str, float, int | None]]:
        """One line per result (text, a number or NaN, ``None``) for summaries."""
        from optviz.views import summary

        return summary.rows(self.view.name, data, self.settings, self.draw.lang)


def check(name: str, values: dict[str, Any], draw: dict[str, Any], out: Any) -> Job:
    """Check a view's options (the view record's fields and the RunSettings fields it takes),
    the drawing settings and the output path (``None``: no picture), before any work; nothing
    runs or is written.

    Raises:
        OptvizError: the first bad value, with ``exc.setting`` naming its field.
    """
    view = VIEWS[name]
    fields = settings_of(view.record)
    settings = view.record(**{k: v for k, v in values.items() if k in fields and v is not None})
    runs = {**view.run_defaults(), **{k: v for k, v in values.items() if k in view.run_fields and v is not None}}
    unknown = set(values) - set(fields) - set(view.run_fields)
    if unknown:
        raise SpecError(f"{name} takes no option {sorted(unknown)[0]!r}")
    drawing = DrawSettings(**{k: v for k, v in draw.items() if v is not None})
    path = None
    if out is not None:
        if not isinstance(out, (str, Path)):
            raise OutputError(f"out={out!r} must be a file name such as '{name}.png'")
        path = check_output(Path(out), PICTURES, "output")
    _check_runs(view, settings, runs)
    return Job(view, settings, runs, drawing, path)


def _check_runs(view: View, settings: Any, runs: dict[str, Any]) -> None:
    """Make the run records (so every run option is checked) and refuse work over the budget."""
    fn = settings.fn
    if view.name == "stability":
        if settings.empirical:
            n = settings.resolution * (1 if settings.opt == "gd" else settings.resolution)
            api.check_budget(settings.steps, [n], fn.dim)
        return
    opts = runs["opt"]
    opts = [opts] if isinstance(opts, str) else list(opts or [])
    if not opts:
        err = SpecError("nothing to run: give at least one optimizer, e.g. --opt gd")
        err.setting = "opt"
        raise err
    runs["opt"] = opts
    extras = {k: runs[k] for k in view.run_fields if k not in ("opt", "lr", "steps", "hyper", "start")}
    hyper = runs.get("hyper") or {}
    if view.name == "basins":
        lrs = runs.get("lr")
        series = api.expand(fn, opts, lrs, steps=runs["steps"], hyper=hyper, **extras)
        from optviz.views.basins import MAX_PANELS

        if len(series) > MAX_PANELS:
            err = SpecError(
                f"{len(series)} panels (optimizers × learning rates); one picture holds at most {MAX_PANELS}"
            )
            err.setting = "opt"
            raise err
        api.check_budget(runs["steps"], [settings.grid**2] * len(series), fn.dim)
        return
    series = api.expand(fn, opts, [settings.lr[0]], steps=runs["steps"], hyper=hyper, **extras)
    own = [run.opt.text for run in series if run.opt.lr is not None]
    if own:
        err = SpecError(f"{own[0]} names its own lr, but the scan sets it: drop lr= from the spec")
        err.setting = "opt"
        raise err
    RunSettings(fn=fn, start=runs.get("start"))  # one start point that fits the function
    api.check_budget(runs["steps"], [settings.num] * len(series), fn.dim)


def _paths(settings: Any, runs: dict[str, Any]) -> list[Any]:
    """The overlaid paths: every optimizer × lr from each chosen start (a small batch)."""
    runs = dict(runs)
    hyper = runs.pop("hyper") or {}
    batch = api.run_batch(
        settings.fn, runs.pop("opt"), runs.pop("lr"), runs.pop("steps"), list(settings.paths), **runs, **hyper
    )
    return list(batch)
