"""``optviz sweep`` and ``optviz gallery``: many figures, a progress bar, a summary and failures."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from optviz.cli.app import app, console, err_console, fmt, plain, user_errors

__all__ = ["gallery_command", "sweep_command"]


@app.command("sweep")
def sweep_command(
    config: Annotated[Path, typer.Argument(help="A sweep config (.yaml).")],
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Files rendered in parallel (processes).")] = 1,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List what would be made; run and write nothing.")] = False,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out-dir", help="Folder for relative output paths (default: the config's folder)."),
    ] = None,
    allow_outside: Annotated[
        bool,
        typer.Option("--allow-outside", help="Let out: write outside the output folder (../, absolute paths, ~)."),
    ] = False,
) -> None:
    """Render a YAML sweep of functions × optimizers × learning rates.

    The whole config is checked first; errors name the file, line and key. A failing entry does not stop the others: they finish, the failures are listed, and the exit code is 1. Files appear only when complete; Ctrl-C keeps the finished ones and exits 130.

    [bold]Examples[/]

      optviz sweep configs/07-ravine-gd.yaml
      optviz sweep configs/09-momentum.yaml --jobs 2 --out-dir slides
      optviz sweep my-lecture.yaml --dry-run
    """
    with user_errors():
        from optviz.sweep import load

        _check_jobs(jobs)
        plan = load(config, out_dir, allow_outside=allow_outside)
        if dry_run:
            console.print(_plan_table(plan.figures))
            return
        outcome = _execute(plan.figures, jobs)
    _report(outcome, len(plan.figures))


def _check_jobs(jobs: int) -> None:
    from optviz.errors import HyperparameterError

    if jobs < 1:
        raise HyperparameterError(f"--jobs {jobs} must be 1 or more, e.g. --jobs 2")
    from optviz.sweep import cpu_count

    if jobs > cpu_count():  # optviz.sweep.execute runs at most one process per CPU
        err_console.print(
            f"note: --jobs {jobs} is more than the {cpu_count()} CPUs here; rendering {cpu_count()} at a time",
            highlight=False,
        )


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
            plain(figure.out),
            plain(figure.fn),
            plain("; ".join(run.label for run in figure.runs)),
            ", ".join(map(str, steps)),
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
            table.add_row(plain(result.out), "[red]failed[/]", "—", "—")
        for i, (label, loss, at) in enumerate(result.rows):
            table.add_row(
                plain(result.out) if i == 0 else "",
                plain(label),
                fmt(loss),
                "—" if at is None else f"[red]step {at}[/]",
            )
    console.print(table)
    for result in outcome.failures:
        err_console.print(
            "[bold red]failed:[/]", plain(f"{result.out}: {result.error}"), highlight=False, soft_wrap=True
        )
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
    out: Annotated[Path, typer.Option("--out", help="Gallery folder; rewrites its optviz README.")] = Path("gallery"),
) -> None:
    """Render the lesson configs into the gallery folder and write its README.md.

    The README lists every lesson in the configs folder with its picture, its one-line lesson and the command that makes it; --only re-renders some and keeps the others' files.

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
            readme = write_readme(lessons, out)
            console.print("wrote", plain(readme), f"({total_size(lessons) / 1e6:.1f} MB of pictures)")
    _report(outcome, len(figures))
