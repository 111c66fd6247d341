"""``optviz sweep`` and ``optviz gallery``: many figures, a progress bar, a summary and failures."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from optviz.cli.app import app, console, err_console, fmt, plain, user_errors
from optviz.i18n import tr

__all__ = ["gallery_command", "render_overrides", "sweep_command"]


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
    lang: Annotated[
        str | None,
        typer.Option("--lang", help="en or zh: the pictures' and tables' words, over render: lang (and title_zh)."),
    ] = None,
    theme: Annotated[str | None, typer.Option("--theme", help="light or dark, over render: theme.")] = None,
) -> None:
    """Render a YAML sweep of functions × optimizers × learning rates.

    The whole config is checked first; errors name the file, line and key. A failing entry does not stop the others: they finish, the failures are listed, and the exit code is 1. Files appear only when complete; Ctrl-C keeps the finished ones and exits 130.

    [bold]Examples[/]

      optviz sweep configs/07-ravine-gd.yaml
      optviz sweep configs/09-momentum.yaml --jobs 2 --out-dir slides
      optviz sweep my-lecture.yaml --dry-run
      optviz sweep configs/09-momentum.yaml --lang zh --theme dark
    """
    with user_errors():
        from optviz.sweep import load

        overrides = render_overrides(lang, theme)
        _check_jobs(jobs, overrides.get("lang", "en"))
        plan = load(config, out_dir, allow_outside=allow_outside, render=overrides)
        words = _table_lang(lang, plan.figures)
        if dry_run:
            console.print(_plan_table(plan.figures, words))
            return
        outcome = _execute(plan.figures, jobs, words)
    _report(outcome, len(plan.figures), words)


def render_overrides(lang: str | None, theme: str | None) -> dict[str, str]:
    """``--lang`` and ``--theme`` as ``render:`` keys over a config's, checked (one-line errors)."""
    from optviz.errors import UnknownNameError
    from optviz.i18n import check_lang
    from optviz.themes import THEMES

    overrides = {}
    if lang is not None:
        overrides["lang"] = check_lang(lang)
    if theme is not None:
        if theme not in THEMES:
            raise UnknownNameError("theme", theme, list(THEMES))
        overrides["theme"] = theme
    return overrides


def _table_lang(lang: str | None, figures: Any) -> str:
    """The tables' language: ``--lang``, else the first figure's ``render: lang``, else English."""
    from optviz.i18n import check_lang

    if lang is not None:
        return check_lang(lang)
    return check_lang(figures[0].render.get("lang")) if figures else "en"


def _check_jobs(jobs: int, lang: str = "en") -> None:
    from optviz.errors import HyperparameterError

    if jobs < 1:
        raise HyperparameterError(f"--jobs {jobs} must be 1 or more, e.g. --jobs 2")
    from optviz.sweep import cpu_count

    if jobs > cpu_count():  # optviz.sweep.execute runs at most one process per CPU
        note = "note: --jobs {jobs} is more than the {cpus} CPUs here; rendering {cpus} at a time"
        err_console.print(plain(tr(note, lang, jobs=jobs, cpus=cpu_count())), highlight=False)


def _execute(figures: Any, jobs: int, lang: str = "en") -> Any:
    """Render with a progress bar on stderr (redrawn per finished file: no refresh thread, so the
    worker processes are never forked while another thread holds a lock)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from optviz.sweep import execute

    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=err_console, transient=True, auto_refresh=False) as progress:
        task = progress.add_task(tr("rendering", lang), total=len(figures))

        def advance(result: Any) -> None:
            progress.advance(task)
            progress.refresh()

        return execute(figures, jobs, on_result=advance)


def _plan_table(figures: Any, lang: str = "en") -> Table:
    title = "dry run: {n} files would be made" if len(figures) != 1 else "dry run: {n} file would be made"
    table = Table(title=tr(title, lang, n=len(figures)), title_justify="left")
    table.add_column(tr("col:output", lang), overflow="fold")
    table.add_column(tr("col:function", lang))
    table.add_column(tr("col:runs", lang), overflow="fold")
    table.add_column(tr("col:steps", lang), justify="right")
    for figure in figures:
        steps = sorted({run.steps for run in figure.runs})
        table.add_row(
            plain(figure.out),
            plain(figure.fn),
            plain("; ".join(run.label for run in figure.runs)),
            ", ".join(map(str, steps)),
        )
    return table


def _report(outcome: Any, total: int, lang: str = "en") -> None:
    """The summary table, the failures, and the exit code: 130 interrupted, 1 failures, else 0."""
    title = "{n} of {total} files" if total != 1 else "{n} of {total} file"
    table = Table(title=tr(title, lang, n=len(outcome.results), total=total), title_justify="left")
    table.add_column(tr("col:output", lang), overflow="fold")
    table.add_column(tr("col:run", lang), overflow="fold")
    table.add_column(tr("col:final loss", lang), justify="right")
    table.add_column(tr("col:diverged", lang), justify="right")
    for result in outcome.results:
        if not result.ok:
            table.add_row(plain(result.out), f"[red]{tr('failed', lang)}[/]", "—", "—")
        for i, (label, loss, at) in enumerate(result.rows):
            table.add_row(
                plain(result.out) if i == 0 else "",
                plain(label),
                fmt(loss),
                "—" if at is None else f"[red]{tr('step {k}', lang, k=at)}[/]",
            )
    console.print(table)
    for result in outcome.failures:
        err_console.print(
            f"[bold red]{tr('failed:', lang)}[/]",
            plain(f"{result.out}: {result.error}"),
            highlight=False,
            soft_wrap=True,
        )
    if outcome.interrupted:
        kept = len(outcome.results) - len(outcome.failures)
        err_console.print(
            f"[yellow]{tr('interrupted:', lang)}[/]",
            tr("kept the {n} finished file(s); no partial file was left", lang, n=kept),
            highlight=False,
        )
        raise typer.Exit(code=130)
    if outcome.failures:
        failed = tr("{n} of {total} failed", lang, n=len(outcome.failures), total=total)
        err_console.print(f"[bold red]{failed}[/]", highlight=False)
        raise typer.Exit(code=1)


@app.command("gallery")
def gallery_command(
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Render only this lesson (repeatable), e.g. --only momentum.")
    ] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Files rendered in parallel (processes).")] = 1,
    configs: Annotated[Path, typer.Option("--configs", help="Folder of lesson configs.")] = Path("configs"),
    out: Annotated[Path, typer.Option("--out", help="Gallery folder; rewrites its optviz README.")] = Path("gallery"),
    lang: Annotated[
        str, typer.Option("--lang", help="en, or zh for the Chinese gallery in OUT/zh (pictures, README, tables).")
    ] = "en",
) -> None:
    """Render the lesson configs into the gallery folder and write its README.md.

    The README lists every lesson in the configs folder with its picture, its one-line lesson and the command that makes it; --only re-renders some and keeps the others' files.

    [bold]Examples[/]

      optviz gallery --jobs 2
      optviz gallery --only momentum --only adagrad
      optviz gallery --configs my-lessons --out slides
      optviz gallery --lang zh --jobs 2
    """
    with user_errors():
        from optviz.gallery import plan_gallery, select, total_size, write_readme
        from optviz.i18n import check_lang

        lang = check_lang(lang)
        _check_jobs(jobs, lang)
        lessons = plan_gallery(configs, out, lang)
        chosen = select(lessons, only)
        figures = [figure for lesson in chosen for figure in lesson.plan.figures]
        outcome = _execute(figures, jobs, lang)
        if not outcome.interrupted:
            readme = write_readme(lessons, out, lang)
            size = f"{total_size(lessons) / 1e6:.1f}"
            console.print(tr("wrote", lang), plain(readme), tr("({size} MB of pictures)", lang, size=size))
    _report(outcome, len(figures), lang)
