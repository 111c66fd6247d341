"""``optviz deck``: lesson configs to a PowerPoint deck (python-pptx, the ``deck`` extra)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from optviz.cli.app import app, console, err_console, plain, user_errors
from optviz.cli.batch import _check_jobs, _execute
from optviz.i18n import tr

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
    lang: Annotated[
        str,
        typer.Option(
            "--lang", help="en or zh: slide titles (lesson_zh), notes, figures (from GALLERY/zh) and messages."
        ),
    ] = "en",
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Figures rendered in parallel (processes).")] = 1,
) -> None:
    """Build a 16:9 PowerPoint deck: a title slide, then one slide per figure in the configs' order.

    Each slide has the lesson's sentence as its title and its picture or GIF (still animated); the notes hold the description and the command that makes the figure. Figures current in the gallery folder are reused; the others are rendered into a folder beside the deck (lecture.pptx: lecture-figures/), which the next deck reuses. Needs python-pptx: pip install 'optviz\\[deck]'.

    [bold]Examples[/]

      optviz deck --out lecture.pptx
      optviz deck configs/ --out lecture.pptx --theme dark --jobs 2
      optviz deck configs/09-momentum.yaml configs/10-nesterov.yaml --out m.pptx
      optviz deck --lang zh --out lecture-zh.pptx
    """
    with user_errors():
        from optviz.deck import plan_deck, record, require_pptx, write_deck
        from optviz.gallery import language_folder
        from optviz.i18n import check_lang

        require_pptx()  # before anything is rendered
        lang = check_lang(lang)
        _check_jobs(jobs, lang)
        deck = plan_deck(configs or [Path("configs")], out, theme=theme, gallery=gallery, lang=lang)
        figures = deck.to_render
        outcome = _execute(figures, jobs, lang) if figures else None
        made = [result.out for result in outcome.results if result.ok] if outcome else []
        record(deck, made)
        if outcome is not None and (outcome.failures or outcome.interrupted):
            for result in outcome.failures:
                failed = tr("failed:", lang)
                err_console.print(f"[bold red]{failed}[/]", plain(f"{result.out}: {result.error}"), highlight=False)
            failed = tr("{n} of {total} failed", lang, n=len(outcome.failures), total=len(figures))
            what = tr("interrupted", lang) if outcome.interrupted else failed
            err_console.print(
                f"[bold red]{what}:[/]",
                tr("the deck was not written; finished figures were kept", lang),
                highlight=False,
            )
            raise typer.Exit(code=130 if outcome.interrupted else 1)
        path = write_deck(deck, title)
    reused = sum(slide.reused == "gallery" for slide in deck.slides)
    kept = len(deck.slides) - len(made) - reused
    done = tr(
        "deck:wrote",
        lang,
        path=path,
        slides=len(deck.slides) + 1,
        made=len(made),
        kept=kept,
        folder=deck.folder,
        reused=reused,
        gallery=language_folder(gallery, lang),
    )
    console.print(plain(done), highlight=False)
