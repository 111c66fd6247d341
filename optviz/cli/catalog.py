"""``optviz list`` and ``optviz show``: the registries and one function, as tables."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from optviz.cli.app import app, console, imports_first, plain, slug, user_errors, visible
from optviz.i18n import tr

__all__ = ["list_command", "show_command"]


class ListWhat(str, Enum):
    functions = "functions"
    optimizers = "optimizers"
    schedules = "schedules"


@app.command("list")
def list_command(
    what: Annotated[str, typer.Argument(help="functions, optimizers or schedules.", metavar="WHAT")] = "functions",
    lang: Annotated[str, typer.Option("--lang", help="en or zh: the table's title and headers.")] = "en",
) -> None:
    """List the built-in functions, optimizers or schedules.

    [bold]Examples[/]

      optviz list functions
      optviz list optimizers
      optviz list schedules
      optviz list optimizers --lang zh
    """
    with user_errors():
        from optviz.i18n import check_lang

        lang = check_lang(lang)
        console.print(_list_table(_what(what), lang))


def _what(text: str) -> ListWhat:
    """``functions``, ``Function`` (any case, singular too) -> :class:`ListWhat`; else one line
    with a suggestion."""
    import difflib

    from optviz.errors import SpecError

    name = text.strip().lower()
    valid = [what.value for what in ListWhat]
    for what in ListWhat:
        if name in (what.value, what.value[:-1]):
            return what
    close = difflib.get_close_matches(name, valid, n=1, cutoff=0.5)
    hint = f"; did you mean {close[0]!r}?" if close else f"; e.g. optviz list {valid[0]}"
    raise SpecError(f"{text!r} is not one of {', '.join(valid)}{hint}")


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
        with imports_first():
            from optviz.functions import defaults, get

        function = get(fn)
        if not no_preview:  # check the picture's settings before printing anything
            from optviz.settings import DrawSettings

            DrawSettings(size=size, theme=theme, view=view, panels=None)
        console.print(_function_table(function, defaults(function.name)))
        if not no_preview:
            from optviz.render import import_drawing, preview

            target = out or Path(f"{slug(function.spec)}.png")
            with imports_first():
                import_drawing(target)
            path = preview(function, target, size=size, theme=theme, view=view)
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
    table.add_row("formula", Formula(f"f({', '.join(_plain_labels(fn))}) = {fn.plain_formula}"))
    table.add_row("parameters", plain(params or "none"))
    table.add_row("dimension", str(fn.dim))
    table.add_row("start", ", ".join(f"{v:g}" for v in fn.start))
    table.add_row("window", plain(window))
    for m in fn.minima:
        point = ", ".join(f"{v:.6f}" for v in m.point)
        found = "  (found numerically)" if m.found else ""
        table.add_row(
            f"{m.kind} {'point' if m.kind == 'saddle' else 'minimum'}", f"({point})  f = {m.value:.6g}{found}"
        )
    if fn.n_samples:
        table.add_row("data", f"{fn.n_samples} samples (minibatches with --batch-size)")
    return table


class Formula:
    """A plain-text formula for a table cell that wraps between its terms, never inside one: a
    line ends before a ``+`` or ``−`` or after a comma outside parentheses, and the next line
    starts with the operator. A term wider than the cell wraps at its spaces."""

    def __init__(self, text: str) -> None:
        self.terms = _terms(visible(text))

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(max(cell_len(term.strip()) for term in self.terms), cell_len("".join(self.terms)))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        lines = [""]
        for term in self.terms:
            if lines[-1] and cell_len(lines[-1] + term) > options.max_width:
                lines.append(term.lstrip())
            else:
                lines[-1] += term
        yield Text("\n".join(lines))


def _terms(text: str) -> list[str]:
    """``"(a + b)² + c, d"`` -> ``["(a + b)²", " + c,", " d"]``: split before a top-level
    `` + `` or `` − `` and after a top-level comma."""
    terms, start, depth = [], 0, 0
    for i, char in enumerate(text):
        depth += (char in "([{") - (char in ")]}")
        if depth == 0 and i > start:
            if text[i : i + 3] in (" + ", " − "):
                terms.append(text[start:i])
                start = i
            elif char == "," and text[i + 1 : i + 2] == " ":
                terms.append(text[start : i + 1])
                start = i + 1
    return [*terms, text[start:]]


def _plain_labels(fn: Any) -> list[str]:
    """Axis labels as terminal text: ``x_1`` -> ``x1``."""
    return [label.replace("_", "") for label in fn.labels]


def _functions_table(lang: str = "en") -> Table:
    """Each function's name, its formula as plain text and what it shows; its parameters (with
    their defaults) under the name. Fits 80 columns: formulas wrap between terms, names never."""
    from rich import box

    from optviz.functions import defaults, get, names

    table = Table(
        title=tr("list:functions", lang),
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        expand=True,
    )
    # the longest name sets the column's width; the parameters wrap under the name
    longest = max(map(len, names()))
    table.add_column(tr("col:name", lang), min_width=longest, max_width=longest)
    # shared 3:2, so that at 80 columns every term of a formula fits on a line of its own
    table.add_column(tr("col:formula", lang), ratio=3)
    table.add_column(tr("col:what it shows", lang), ratio=2)
    for name in names():
        fn = get(name)
        cell = plain(name, style="bold")
        params = ", ".join(f"{k}={v:g}" for k, v in defaults(name).items())
        if params:
            cell.append("\n" + visible(params), style="dim")
        table.add_row(cell, Formula(fn.plain_formula), plain(fn.description))
    return table


def _list_table(what: ListWhat, lang: str = "en") -> Table:
    if what is ListWhat.functions:
        return _functions_table(lang)
    if what is ListWhat.optimizers:
        from optviz.optim.registry import OPTIMIZERS

        table = Table(title=tr("list:optimizers", lang), title_justify="left")
        table.add_column(tr("col:name", lang), no_wrap=True)
        table.add_column("torch.optim")  # a name, the same in every language
        for column in ("col:default lr", "col:options (defaults)", "col:what it does"):
            table.add_column(tr(column, lang))
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

    table = Table(
        title=tr("list:schedules", lang),
        title_justify="left",
    )
    table.add_column(tr("col:name", lang), no_wrap=True)
    for column in ("col:parameters (defaults); example", "col:what it does"):
        table.add_column(tr(column, lang), overflow="fold")  # CosineAnnealingWarmRestarts is wider than the column
    for name, entry in SCHEDULES.items():
        params = plain(", ".join(_schedule_param(name, k, v) for k, v in entry.params.items()) or "none")
        params.append("\n" + visible(entry.example), style="dim")
        table.add_row(plain(name, style="bold"), params, plain(entry.description))
    return table


def _schedule_param(schedule: str, key: str, default: Any) -> str:
    """``gamma=0.1``; a required one bare (``t_0``); a run-filled one ``t_max=steps``."""
    if (schedule, key) in (("cosine", "t_max"), ("onecycle", "total_steps")):
        return f"{key}=steps"
    if default is None:
        return key if key != "step_size_down" else f"{key}=step_size_up"
    if isinstance(default, bool):
        return f"{key}={'true' if default else 'false'}"
    if isinstance(default, str):
        return f"{key}='{default}'"
    return f"{key}={default:g}"
