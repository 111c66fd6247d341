"""``optviz list`` and ``optviz show``: the registries and one function, as tables."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from optviz.cli.app import app, console, plain, slug, user_errors

__all__ = ["list_command", "show_command"]


class ListWhat(str, Enum):
    functions = "functions"
    optimizers = "optimizers"
    schedules = "schedules"


@app.command("list")
def list_command(
    what: Annotated[ListWhat, typer.Argument(help="What to list.")] = ListWhat.functions,
) -> None:
    """List the built-in functions, optimizers or schedules.

    [bold]Examples[/]

      optviz list functions
      optviz list optimizers
      optviz list schedules
    """
    with user_errors():
        console.print(_list_table(what))


@app.command("show")
def show_command(
    fn: Annotated[str, typer.Argument(help="Function spec, e.g. rosenbrock or 'ravine(angle=30)'.")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Preview picture (.png/.svg/.pdf); default: NAME.png here.")
    ] = None,
    no_preview: Annotated[bool, typer.Option("--no-preview", help="Only print, write no picture.")] = False,
    size: Annotated[str, typer.Option("--size", help="16:9, 4:3, square or WIDTHxHEIGHT.")] = "4:3",
    theme: Annotated[str, typer.Option("--theme", help="light or dark.")] = "light",
    view: Annotated[str, typer.Option("--view", help="contour or surface (2-D only).")] = "contour",
) -> None:
    """Show a function: formula, parameters, start, window, minima, and a preview picture.

    [bold]Examples[/]

      optviz show rosenbrock
      optviz show 'ravine(angle=30)' --out ravine30.png
      optviz show himmelblau --view surface --theme dark
      optviz show xcos --no-preview
    """
    with user_errors():
        from optviz.functions import defaults, get

        function = get(fn)
        if not no_preview:  # check the picture's settings before printing anything
            from optviz.settings import DrawSettings

            DrawSettings(size=size, theme=theme, view=view, panels=None)
        console.print(_function_table(function, defaults(function.name)))
        if not no_preview:
            from optviz.render import preview

            path = preview(function, out or Path(f"{slug(function.spec)}.png"), size=size, theme=theme, view=view)
            console.print("wrote", plain(path))


def _function_table(fn: Any, defaults: dict[str, float]) -> Table:
    table = Table(
        title=plain(f"{fn.spec}: {fn.description}", style="table.title"), title_justify="left", show_header=False
    )
    table.add_column("what", style="bold", no_wrap=True)
    table.add_column("value")
    params = ", ".join(
        f"{k}={v:g}" + ("" if v == defaults[k] else f" (default {defaults[k]:g})") for k, v in fn.params.items()
    )
    window = " × ".join(f"[{lo:g}, {hi:g}]" for lo, hi in fn.window)
    # names, formulas and the window's [lo, hi] are text, never markup
    table.add_row("formula", plain(f"f({', '.join(fn.labels)}) = {fn.formula}"))
    table.add_row("parameters", plain(params or "none"))
    table.add_row("dimension", str(fn.dim))
    table.add_row("start", ", ".join(f"{v:g}" for v in fn.start))
    table.add_row("window", plain(window))
    for m in fn.minima:
        point = ", ".join(f"{v:.6f}" for v in m.point)
        table.add_row(f"{m.kind} {'point' if m.kind == 'saddle' else 'minimum'}", f"({point})  f = {m.value:.6g}")
    if fn.n_samples:
        table.add_row("data", f"{fn.n_samples} samples (minibatches with --batch-size)")
    return table


def _list_table(what: ListWhat) -> Table:
    if what is ListWhat.functions:
        from optviz.functions import defaults, get, names

        table = Table(title="functions (parameters in spec strings: 'ravine(angle=30)')", title_justify="left")
        table.add_column("name", no_wrap=True)
        for column in ("parameters", "dim", "formula", "start", "minima"):
            table.add_column(column)
        for name in names():
            fn = get(name)
            params = ", ".join(f"{k}={v:g}" for k, v in defaults(name).items()) or "—"
            minima = sum(m.kind != "saddle" for m in fn.minima)
            table.add_row(
                plain(name, style="bold"),
                plain(params),
                str(fn.dim),
                plain(fn.formula),
                str(tuple(fn.start)),
                str(minima) if minima else "none",
            )
        return table
    if what is ListWhat.optimizers:
        from optviz.optim.registry import OPTIMIZERS

        table = Table(
            title="optimizers (hyperparameters as in torch.optim: 'adam(lr=0.1, amsgrad=true)')", title_justify="left"
        )
        table.add_column("name", no_wrap=True)
        for column in ("torch.optim", "default lr", "options (defaults)", "what it does"):
            table.add_column(column)
        for entry in OPTIMIZERS.values():
            options = ", ".join(f"{k}={v}" for k, v in entry.defaults.items() if k != "lr")
            table.add_row(
                plain(entry.name, style="bold"),
                plain(entry.torch_name),
                f"{entry.lr:g}",
                plain(options),
                plain(entry.description),
            )
        return table
    from optviz.schedules import SCHEDULES

    table = Table(title="schedules (update k uses lr × multiplier(k))", title_justify="left")
    for column in ("name", "example", "multiplier"):
        table.add_column(column)
    for name, entry in SCHEDULES.items():
        table.add_row(plain(name, style="bold"), plain(entry.example), plain(entry.description))
    return table
