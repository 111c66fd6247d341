"""The ``optviz`` command: a thin layer that parses options, calls :mod:`optviz.api` and prints.

Heavy modules (numpy, matplotlib, imageio) are imported inside the commands that need them, so
``optviz --help`` starts fast.
"""

from __future__ import annotations

import contextlib
import inspect
import re
import sys
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(
    name="optviz",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
console = Console()
err_console = Console(stderr=True)
_state = {"debug": False}


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Print an :class:`OptvizError` as one line and exit 2 (the traceback only with ``--debug``)."""
    from optviz.errors import OptvizError

    try:
        yield
    except OptvizError as exc:
        if _state["debug"]:
            raise
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=2) from None
    except KeyboardInterrupt:
        # files are written under temporary names, so nothing partial is left behind
        err_console.print("[yellow]interrupted[/]: finished outputs were kept, no partial file was written")
        raise typer.Exit(code=130) from None


def _version(value: bool) -> None:
    if value:
        from optviz import __version__

        console.print(f"optviz {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks for errors.")] = False,
) -> None:
    """See the path an optimizer takes: torch.optim's exact updates over contour plots.

    [bold]Examples[/]

      optviz run --fn ravine --opt adam --lr 0.16
      optviz run --fn rosenbrock --opt adam --opt "sgd(momentum=0.9)" --lr 1e-3 --steps 500
      optviz list functions
    """
    _state["debug"] = debug


def _parse_hyper(assignments: list[str]) -> dict[str, Any]:
    from optviz.errors import SpecError
    from optviz.spec import parse_assignment

    hyper: dict[str, Any] = {}
    for text in assignments:
        key, value = parse_assignment(text)
        if key in hyper:
            raise SpecError(f"-p {key} is given twice; give each hyperparameter once")
        hyper[key] = value
    return hyper


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.=-]+", "_", text).strip("_")


def _fmt(value: float) -> str:
    return "—" if value != value else f"{value:.4g}"


def run_table(batch: Any, fn: Any) -> Table:
    """The summary table of a batch of runs."""
    from rich import box

    table = Table(
        title=f"{fn.spec}: {len(batch)} run{'s' * (len(batch) != 1)}",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for column, justify in [
        ("optimizer", "left"),
        ("lr", "right"),
        ("final point", "right"),
        ("loss", "right"),
        ("to min", "right"),
        ("steps", "right"),
        ("diverged", "right"),
    ]:
        # numbers stay on one line; in a narrow terminal the spec and the point wrap instead
        table.add_column(
            column,
            justify=justify,  # type: ignore[arg-type]
            no_wrap=column not in ("optimizer", "final point"),
            min_width=9 if column == "optimizer" else None,
        )
    for traj in batch:
        point = ", ".join(f"{v:.6f}" if abs(v) < 1e3 else f"{v:.3g}" for v in traj.final)
        distance = float(fn.nearest_minimum_distance(traj.final)) if len(traj.points) else float("nan")
        diverged = f"[red]step {traj.diverged_at}[/]" if traj.diverged else "—"
        table.add_row(
            traj.settings["opt"],
            f"{traj.settings['lr']:g}",
            f"({point})",
            _fmt(traj.final_loss if len(traj.loss) else float("nan")),
            _fmt(distance),
            str(traj.steps),
            diverged,
        )
    return table


_PICTURES = "Pictures and animations (with --out)"


class ListWhat(str, Enum):
    functions = "functions"
    optimizers = "optimizers"
    schedules = "schedules"


def _record_parameters(*records: type) -> list[inspect.Parameter]:
    """Command-line options generated from the records' fields: flags, help, type and default
    come from each field's :class:`~optviz.settings.Setting`, so a new field is a new option."""
    from optviz.settings import settings_of

    params = []
    for record in records:
        for name, (default, meta) in settings_of(record).items():
            if not meta.cli:
                continue
            flags = meta.flags or (f"--{name.replace('_', '-')}",)
            option = typer.Option(*flags, help=meta.help, rich_help_panel=meta.panel)
            if meta.many:
                annotation, default = list[meta.cli_type] | None, None
            elif isinstance(default, tuple):  # e.g. panels: typed as a comma list
                annotation, default = meta.cli_type, ",".join(default)
            else:
                annotation = meta.cli_type | None if default is None else meta.cli_type
            params.append(
                inspect.Parameter(
                    name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=Annotated[annotation, option]
                )
            )
    return params


def _with_parameters(*params: inspect.Parameter):
    """Give a ``**options`` command the signature typer reads its options from."""

    def decorate(command):
        command.__signature__ = inspect.Signature(list(params))
        return command

    return decorate


_OUTPUT_PARAMETERS = [
    inspect.Parameter(
        "export",
        inspect.Parameter.KEYWORD_ONLY,
        default=None,
        annotation=Annotated[
            Path | None, typer.Option("--export", help="Save the trajectory as .csv, .json or .npz (one file per run).")
        ],
    ),
    inspect.Parameter(
        "out",
        inspect.Parameter.KEYWORD_ONLY,
        default=None,
        annotation=Annotated[
            Path | None,
            typer.Option(
                "--out",
                help="Draw the runs: .png, .svg, .pdf (picture) or .gif, .mp4 (animation).",
                rich_help_panel=_PICTURES,
            ),
        ],
    ),
]


def _run_parameters() -> list[inspect.Parameter]:
    from optviz.settings import DrawSettings, RunSettings

    run_params = _record_parameters(RunSettings)
    return [*run_params, _OUTPUT_PARAMETERS[0], _OUTPUT_PARAMETERS[1], *_record_parameters(DrawSettings)]


@app.command("run")
@_with_parameters(*_run_parameters())
def run_command(**options: Any) -> None:
    """Run optimizers on a function, print where they end up, and draw them with --out.

    [bold]Examples[/]

      optviz run --fn ravine --opt adam --lr 0.16
      optviz run --fn ravine --opt gd --lr 0.4 --lr 0.6 --steps 20
      optviz run --fn rosenbrock --opt adam --opt nesterov --lr 1e-3 --steps 2000 --start=-1.5,2
      optviz run --fn thermometer --opt gd --lr 1e-2 --steps 5000 --export fit.csv
      optviz run --fn ravine --opt adam -p betas=0.8,0.99 --schedule cosine
      optviz run --fn ravine --opt gd --opt momentum --opt adam --lr 0.4 --out ravine.gif
      optviz run --fn rosenbrock --opt adam --lr 0.01 --steps 300 --out rosen.png --view surface --theme dark
    """
    with user_errors():
        from optviz import api
        from optviz.functions import get as get_function
        from optviz.output import check_output
        from optviz.settings import DrawSettings, settings_of
        from optviz.trajectory import EXPORT_SUFFIXES

        export, out = options.pop("export"), options.pop("out")
        draw = {name: options.pop(name) for name in settings_of(DrawSettings)}
        if export is not None:  # before running, so a typo costs nothing
            check_output(export, EXPORT_SUFFIXES, "export")
        function = get_function(options["fn"])
        if out is not None:
            from optviz import render

            _, drawing = render.check_target(out, function, **draw)
        hyper = _parse_hyper(options.pop("hyper") or [])
        batch = api.run_batch(
            function,
            options.pop("opt") or ["gd"],
            options.pop("lr") or None,
            options.pop("steps"),
            options.pop("start"),
            **{name: value for name, value in options.items() if name != "fn"},
            **hyper,
        )
        console.print(run_table(batch, function))
        for traj in batch:
            if traj.diverged:
                err_console.print(
                    f"[yellow]warning:[/] {traj.label} diverged at step {traj.diverged_at}; "
                    "try a smaller --lr or --clip-norm",
                    highlight=False,
                )
        if export is not None:
            for path in _export(batch, export):
                console.print(f"wrote {path}")
        if out is not None:
            console.print(f"wrote {render.render(batch, function, out, drawing)}")


def _export(batch: Any, export: Path) -> list[Path]:
    if len(batch) == 1:
        return [batch[0].save(export)]
    return [
        traj.save(export.with_name(f"{export.stem}-{i}-{_slug(traj.label)}{export.suffix}"))
        for i, traj in enumerate(batch)
    ]


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

            path = preview(function, out or Path(f"{_slug(function.spec)}.png"), size=size, theme=theme, view=view)
            console.print(f"wrote {path}")


def _function_table(fn: Any, defaults: dict[str, float]) -> Table:
    table = Table(title=f"{fn.spec}: {fn.description}", title_justify="left", show_header=False)
    table.add_column("what", style="bold", no_wrap=True)
    table.add_column("value")
    params = ", ".join(
        f"{k}={v:g}" + ("" if v == defaults[k] else f" (default {defaults[k]:g})") for k, v in fn.params.items()
    )
    window = " × ".join(f"[{lo:g}, {hi:g}]" for lo, hi in fn.window)
    table.add_row("formula", f"f({', '.join(fn.labels)}) = {fn.formula}")
    table.add_row("parameters", params or "none")
    table.add_row("dimension", str(fn.dim))
    table.add_row("start", ", ".join(f"{v:g}" for v in fn.start))
    table.add_row("window", window)
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
                f"[bold]{name}[/]",
                params,
                str(fn.dim),
                fn.formula,
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
            table.add_row(f"[bold]{entry.name}[/]", entry.torch_name, f"{entry.lr:g}", options, entry.description)
        return table
    from optviz.schedules import SCHEDULES

    table = Table(title="schedules (update k uses lr × multiplier(k))", title_justify="left")
    for column in ("name", "example", "multiplier"):
        table.add_column(column)
    for name, entry in SCHEDULES.items():
        table.add_row(f"[bold]{name}[/]", entry.example, entry.description)
    return table


@app.command("sweep")
def sweep_command(
    config: Annotated[Path, typer.Argument(help="A sweep config (.yaml).")],
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Files rendered in parallel (processes).")] = 1,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List what would be made; run and write nothing.")] = False,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out-dir", help="Folder for relative output paths (default: the config's folder)."),
    ] = None,
) -> None:
    """Render a YAML sweep of functions × optimizers × learning rates.

    The whole config is checked first; errors name the file, line and key. A failing entry does
    not stop the others: they finish, the failures are listed, and the exit code is 1. Files appear
    only when complete; Ctrl-C keeps the finished ones and exits 130.

    [bold]Examples[/]

      optviz sweep configs/03-ravine-gd.yaml
      optviz sweep configs/04-momentum.yaml --jobs 2 --out-dir slides
      optviz sweep my-lecture.yaml --dry-run
    """
    with user_errors():
        from optviz.sweep import load

        _check_jobs(jobs)
        plan = load(config, out_dir)
        if dry_run:
            console.print(_plan_table(plan.figures))
            return
        outcome = _execute(plan.figures, jobs)
    _report(outcome, len(plan.figures))


def _check_jobs(jobs: int) -> None:
    from optviz.errors import HyperparameterError

    if jobs < 1:
        raise HyperparameterError(f"--jobs {jobs} must be 1 or more, e.g. --jobs 2")


def _execute(figures: Any, jobs: int) -> Any:
    """Render with a progress bar on stderr (redrawn per finished file: no refresh thread, so the
    worker processes are never forked while another thread holds a lock)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from optviz.sweep import execute

    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=err_console, transient=True, auto_refresh=False) as progress:
        task = progress.add_task("rendering", total=len(figures))

        def advance(result: Any) -> None:
            progress.advance(task)
            progress.refresh()

        return execute(figures, jobs, on_result=advance)


def _plan_table(figures: Any) -> Table:
    table = Table(title=f"dry run: {len(figures)} file{'s' * (len(figures) != 1)} would be made", title_justify="left")
    table.add_column("output", overflow="fold")
    table.add_column("function")
    table.add_column("runs", overflow="fold")
    table.add_column("steps", justify="right")
    for figure in figures:
        steps = sorted({run.steps for run in figure.runs})
        table.add_row(
            str(figure.out), figure.fn, "; ".join(run.label for run in figure.runs), ", ".join(map(str, steps))
        )
    return table


def _report(outcome: Any, total: int) -> None:
    """The summary table, the failures, and the exit code: 130 interrupted, 1 failures, else 0."""
    table = Table(title=f"{len(outcome.results)} of {total} file{'s' * (total != 1)}", title_justify="left")
    table.add_column("output", overflow="fold")
    table.add_column("run", overflow="fold")
    table.add_column("final loss", justify="right")
    table.add_column("diverged", justify="right")
    for result in outcome.results:
        if not result.ok:
            table.add_row(str(result.out), "[red]failed[/]", "—", "—")
        for i, (label, loss, at) in enumerate(result.rows):
            table.add_row(
                str(result.out) if i == 0 else "", label, _fmt(loss), "—" if at is None else f"[red]step {at}[/]"
            )
    console.print(table)
    for result in outcome.failures:
        err_console.print(f"[bold red]failed:[/] {result.out}: {result.error}", highlight=False, soft_wrap=True)
    if outcome.interrupted:
        err_console.print(
            f"[yellow]interrupted:[/] kept the {len(outcome.results) - len(outcome.failures)} finished file(s); "
            "no partial file was left",
            highlight=False,
        )
        raise typer.Exit(code=130)
    if outcome.failures:
        err_console.print(f"[bold red]{len(outcome.failures)} of {total} failed[/]", highlight=False)
        raise typer.Exit(code=1)


@app.command("gallery")
def gallery_command(
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Render only this lesson (repeatable), e.g. --only momentum.")
    ] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Files rendered in parallel (processes).")] = 1,
    configs: Annotated[Path, typer.Option("--configs", help="Folder of lesson configs.")] = Path("configs"),
    out: Annotated[Path, typer.Option("--out", help="Gallery folder; its README.md is rewritten.")] = Path("gallery"),
) -> None:
    """Render the lesson configs into the gallery folder and write its README.md.

    The README lists every lesson in the configs folder with its picture, its one-line lesson
    and the command that makes it; --only re-renders some and keeps the others' files.

    [bold]Examples[/]

      optviz gallery --jobs 2
      optviz gallery --only momentum --only adagrad
      optviz gallery --configs my-lessons --out slides
    """
    with user_errors():
        from optviz.gallery import plan_gallery, select, total_size, write_readme

        _check_jobs(jobs)
        lessons = plan_gallery(configs, out)
        chosen = select(lessons, only)
        figures = [figure for lesson in chosen for figure in lesson.plan.figures]
        outcome = _execute(figures, jobs)
        if not outcome.interrupted:
            console.print(f"wrote {write_readme(lessons, out)} ({total_size(lessons) / 1e6:.1f} MB of pictures)")
    _report(outcome, len(figures))


def main(argv: list[str] | None = None) -> int:
    """Console entry point: usage errors become one line on stderr with exit code 2."""
    # typer >= 0.29 vendors click; its usage errors are only reachable from this module
    from typer import rich_utils
    from typer._click.exceptions import NoArgsIsHelpError, UsageError

    try:
        result = app(args=argv, standalone_mode=False)
    except NoArgsIsHelpError as exc:
        rich_utils.rich_format_error(exc)  # prints the help
        return 2
    except UsageError as exc:
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
        err_console.print(f"[bold red]error:[/] {exc.format_message()}{hint}", highlight=False, soft_wrap=True)
        return 2
    except (typer.Abort, KeyboardInterrupt):
        err_console.print("[yellow]interrupted[/]")
        return 130
    return result if isinstance(result, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
