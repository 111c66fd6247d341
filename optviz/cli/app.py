"""The typer app, its consoles, and the one place where user errors become one line and exit 2."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Annotated

import typer
from rich.console import Console

__all__ = ["app", "console", "err_console", "fmt", "slug", "user_errors"]

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


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.=-]+", "_", text).strip("_")


def fmt(value: float) -> str:
    return "—" if value != value else f"{value:.4g}"
