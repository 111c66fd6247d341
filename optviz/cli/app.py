"""The typer app, its consoles, and the one place where user errors become one line and exit 2."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

__all__ = ["app", "console", "err_console", "fmt", "plain", "slug", "user_errors", "visible"]

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
        # the message quotes user text (names, specs, paths): never parse it as markup
        err_console.print("[bold red]error:[/]", plain(exc), highlight=False, soft_wrap=True)
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


# C0 controls, DEL, C1 controls, and the Unicode line and paragraph separators
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def visible(text: object) -> str:
    """``str(text)`` with each control character written as its escape (``\\x1b``, ``\\r``), so a
    name or path cannot start a terminal escape sequence, move the cursor or ring the bell."""
    return _CONTROL.sub(lambda match: repr(match.group())[1:-1], str(text))


def plain(text: object, style: str = "") -> Text:
    """User text (a name, spec, label, path or an error quoting one) for rich: a :class:`~rich.text.Text`,
    which is never parsed as markup, so ``[/x]`` or ``[red]`` print as themselves. Print it next to
    optviz's own markup: ``console.print("[bold red]error:[/]", plain(exc))``."""
    return Text(visible(text), style=style)


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.=-]+", "_", text).strip("_")


def fmt(value: float) -> str:
    return "—" if value != value else f"{value:.4g}"
