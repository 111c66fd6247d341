"""``optviz stability``, ``optviz basins`` and ``optviz lr-scan``: options generated from each
view's record (:mod:`optviz.views.settings`), the RunSettings fields it takes and the drawing
fields; a few summary lines, and the picture with ``--out``."""

from __future__ import annotations

import inspect
import math
from pathlib import Path
from typing import Annotated, Any

import typer

from optviz.cli.app import app, console, fmt, imports_first, plain, user_errors
from optviz.i18n import tr

__all__ = ["basins_command", "lr_scan_command", "stability_command"]

_PICTURES = "Pictures and animations (with --out)"
#: run fields that take one value here, though optviz run repeats them
_SINGLE = {"start"}


def _option(name: str, default: Any, meta: Any, *, panel: str | None = None) -> inspect.Parameter:
    """A command-line option from a record field's :class:`~optviz.settings.Setting`."""
    flags = meta.flags or (f"--{name.replace('_', '-')}",)
    option = typer.Option(*flags, help=meta.help, rich_help_panel=panel or meta.panel)
    if meta.cli_type is bool:  # a flag: --empirical
        annotation, default = bool, bool(default)
    elif meta.many and name not in _SINGLE:
        annotation, default = list[meta.cli_type] | None, None
    elif isinstance(default, tuple):
        annotation, default = meta.cli_type, ",".join(default)
    else:
        annotation = meta.cli_type | None if default is None else meta.cli_type
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=Annotated[annotation, option]
    )


def _parameters(view_name: str) -> list[inspect.Parameter]:
    """The view's own fields, then the run fields it takes (with this view's defaults), then
    ``--out`` and the drawing fields."""
    from optviz.settings import DrawSettings, RunSettings, settings_of
    from optviz.views.settings import VIEWS, draw_fields  # no numpy: --help stays fast

    view = VIEWS[view_name]
    params = [_option(name, default, meta) for name, (default, meta) in settings_of(view.record).items()]
    run_fields = settings_of(RunSettings)
    defaults = view.run_defaults()
    for name in view.run_fields:
        default = defaults[name] if name not in ("opt", "lr", "hyper") else None
        params.append(_option(name, default, run_fields[name][1], panel="Runs"))
    out = typer.Option("--out", help="Write the picture: .png, .svg or .pdf.", rich_help_panel=_PICTURES)
    params.append(
        inspect.Parameter("out", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Annotated[Path | None, out])
    )
    draw = settings_of(DrawSettings)
    params += [_option(name, draw[name][0], draw[name][1]) for name in draw_fields()]
    return params


def _with_parameters(params: list[inspect.Parameter]):
    def decorate(command):
        command.__signature__ = inspect.Signature(params)
        return command

    return decorate


def _hyper(assignments: list[str] | None) -> dict[str, Any]:
    from optviz.errors import SpecError
    from optviz.spec import parse_assignment

    hyper: dict[str, Any] = {}
    for text in assignments or []:
        key, value = parse_assignment(text)
        if key in hyper:
            raise SpecError(f"-p {key} is given twice; give each hyperparameter once")
        hyper[key] = value
    return hyper


def _run(view_name: str, options: dict[str, Any]) -> None:
    """Check everything, compute, print the summary, draw with --out."""
    with user_errors():
        with imports_first():
            from optviz.views.make import check, draw_fields

        out = options.pop("out")
        draw = {name: options.pop(name) for name in draw_fields()}
        if "hyper" in options:
            options["hyper"] = _hyper(options["hyper"])
        job = check(view_name, options, draw, out)
        data = job.compute()
        for text, value, _ in job.rows(data):
            console.print(plain(f"{text} {fmt(value)}" if not math.isnan(value) else text))
        if out is not None:
            with imports_first():
                job.import_drawing()
            console.print(tr("wrote", job.draw.lang), plain(job.render(data)))


@app.command("stability")
@_with_parameters(_parameters("stability"))
def stability_command(**options: Any) -> None:
    """The convergence rate of GD, heavy-ball or Nesterov momentum on a quadratic over (learning rate, momentum): regimes, GD's 2/L limit, the fastest pair.

    The rate is the spectral radius of the linear iteration on the Hessian's worst eigenvalue, in closed form; --empirical runs the grid through the engine instead, on any function. Prints the fastest pair and the marks' rates; --out draws the map.

    [bold]Examples[/]

      optviz stability --fn ravine --out stability.png
      optviz stability --opt nesterov --mark 'nesterov,lr=0.2' --out n.png
      optviz stability --fn 'ravine(angle=30)' --opt gd --out gd.png
      optviz stability --mark 'sgd(momentum=0.5),lr=0.6' --out m.png
      optviz stability --fn himmelblau --empirical --lr 0..0.03 --steps 50
    """
    _run("stability", options)


@app.command("basins")
@_with_parameters(_parameters("basins"))
def basins_command(**options: Any) -> None:
    """Basins of attraction: every start of a grid run as one batch, coloured by the minimum it reaches, paler the more steps it took.

    A run reaches a minimum when it ends within --tol of it (default: 1/1000 of the window's longer side); otherwise it diverged or did not converge. Several --opt give panels side by side with one key; --path overlays the path from a start.

    [bold]Examples[/]

      optviz basins --fn himmelblau --opt gd --lr 0.01 --out basins.png
      optviz basins --opt gd --opt momentum --lr 0.01 --out b.png
      optviz basins --grid 100 --steps 200 --path=0,0 --out b.png
    """
    _run("basins", options)


@app.command("lr-scan")
@_with_parameters(_parameters("lr-scan"))
def lr_scan_command(**options: Any) -> None:
    """The loss after --steps against the learning rate on log axes, one line per optimizer: divergence, each one's best lr and stable range.

    With --to TOL the steps needed to reach loss − f* <= TOL instead. All runs are one batch; each value is its run's own final loss.

    [bold]Examples[/]

      optviz lr-scan --opt gd --opt momentum --opt adam --out scan.png
      optviz lr-scan --fn rosenbrock --opt adam --lr 1e-4..1 --steps 500
      optviz lr-scan --opt gd --opt adam --to 1e-6 --out steps.png
    """
    _run("lr-scan", options)
