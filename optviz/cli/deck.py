"""``optviz deck``: lesson configs to a PowerPoint deck (python-pptx, the ``deck`` extra)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from optviz.cli.app import app, console, err_console, plain, user_errors
from optviz.cli.batch import _check_jobs, _execute

__all__ = ["deck_command"]


@app.command("deck")
def deck_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="The deck to write (.pptx).", show_default=False)],
    configs: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Lesson configs (.yaml) or folders of them, in slide order (default: configs/).", show_default=False
        ),
    ] = None,
    theme: Annotated[
        str | None,
        typer.Option("--theme", help="light or dark, for the figures and the slides (default: the configs' own)."),
    ] = None,
    gallery: Annotated[
        Path, typer.Option("--gallery", help="Folder whose current figures are reused instead of rendered.")
    ] = Path("gallery"),
    title: Annotated[str | None, typer.Option("--title", help="The title slide's title.")] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Figures rendered in parallel (processes).")] = 1,
) -> None:
    """Build a 16:9 PowerPoint deck: a title slide, then one slide per figure in the configs' order.

    Each slide has the lesson's sentence as its title and its picture or GIF (still animated); the notes hold the description and the command that makes the figure. Figures current in the gallery folder are reused; the others are rendered into a folder beside the deck (lecture.pptx: lecture-figures/), which the next deck reuses. Needs python-pptx: pip install 'optviz\\[deck]'.

    [bold]Examples[/]

      optviz deck --out lecture.pptx
      optviz deck configs/ --out lecture.pptx --theme dark --jobs 2
      optviz deck configs/07-ravine-gd.yaml configs/09-momentum.yaml --out momentum.pptx
    """
    with user_errors():
        from optviz.deck import plan_deck, record, require_pptx, write_deck

        require_pptx()  # before anything is rendered
        _check_jobs(jobs)
        deck = plan_deck(configs or [Path("configs")], out, theme=theme, gallery=gallery)
        figures = deck.to_render
        outcome = _execute(figures, jobs) if figures else None
        made = [result.out for result in outcome.results if result.ok] if outcome else []
        record(deck, made)
        if outcome is not None and (outcome.failures or outcome.interrupted):
            for result in outcome.failures:
                err_console.print("[bold red]failed:[/]", plain(f"{result.out}: {result.error}"), highlight=False)
            what = "interrupted" if outcome.interrupted else f"{len(outcome.failures)} of {len(figures)} failed"
            err_console.print(
                f"[bold red]{what}:[/] the deck was not written; finished figures were kept", highlight=False
            )
            raise typer.Exit(code=130 if outcome.interrupted else 1)
        path = write_deck(deck, title)
    reused = sum(slide.reused == "gallery" for slide in deck.slides)
    kept = len(deck.slides) - len(made) - reused
    console.print(
        "wrote",
        plain(path),
        f"({len(deck.slides) + 1} slides): {len(made)} figures rendered and {kept} kept in",
        plain(f"{deck.folder},"),
        f"{reused} reused from",
        plain(gallery),
        highlight=False,
    )
