"""The typer app, its consoles, and the one place where user errors become one line and exit 2."""

from __future__ import annotations

import contextlib
import re
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.text import Text
from typer.core import TyperCommand, TyperGroup

__all__ = [
    "Command",
    "app",
    "console",
    "err_console",
    "fmt",
    "imports_first",
    "plain",
    "slug",
    "user_errors",
    "visible",
]

#: what pydantic (through typer) puts before the message of a ValueError raised in a conversion
_PYDANTIC_PREFIX = re.compile(r"^(Value error|Assertion failed), ")


class Command(TyperCommand):
    """Every optviz command. An option that takes one value may be given once: ``--noise 0.1
    --noise 0.2`` is a usage error naming the option (exit 2), where click would keep the last
    value silently. Options that take several (``--opt``, ``--lr``, ``-p``) still repeat, and so
    do flags, which say the same thing twice. A conversion error loses pydantic's ``Value error,``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        from optviz.cli.coerce import install

        install(self.get_params(ctx))  # plain values without pydantic (80 ms a command)
        given = list(args)  # click's parser consumes the list it is given
        try:
            rest = super().parse_args(ctx, args)
        except typer.BadParameter as exc:
            exc.message = _PYDANTIC_PREFIX.sub("", exc.message)
            raise
        if not ctx.resilient_parsing:
            self._refuse_repeats(ctx, given)
        return rest

    def _refuse_repeats(self, ctx: Any, given: list[str]) -> None:
        from typer._click.exceptions import UsageError
        from typer.core import TyperOption as Option

        # the parser lists each option every time it meets it
        _, _, order = self.make_parser(ctx).parse_args(args=given)
        counts = Counter(
            param
            for param in order
            if isinstance(param, Option) and not (param.multiple or param.count or param.is_flag)
        )
        for param, count in counts.items():
            if count > 1:
                repeatable = ["/".join(p.opts) for p in self.get_params(ctx) if isinstance(p, Option) and p.multiple]
                also = f" (these may repeat: {', '.join(repeatable)})" if repeatable else ""
                times = "twice" if count == 2 else f"{count} times"
                raise UsageError(f"{'/'.join(param.opts)} is given {times}; give it once{also}", ctx=ctx)


class Group(TyperGroup):
    """The ``optviz`` group: its options (``--debug``, typer's completion options) converted as
    :class:`Command` converts its own."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        from optviz.cli.coerce import install

        install(self.get_params(ctx))
        return super().parse_args(ctx, args)


class _Typer(typer.Typer):
    """A typer app whose commands are :class:`Command` s."""

    def command(self, *args: Any, cls: type[TyperCommand] | None = None, **kwargs: Any) -> Callable[..., Any]:
        return super().command(*args, cls=cls or Command, **kwargs)


app = _Typer(
    name="optviz",
    cls=Group,
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
console = Console()
err_console = Console(stderr=True)
_state = {"debug": False}


_default_showwarning = warnings.showwarning


def _warning_line(message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
    """optviz's own warnings (a :class:`~optviz.render.fonts.FontWarning`) as one line on stderr;
    others as Python shows them."""
    if category.__module__.startswith("optviz"):
        err_console.print("[yellow]warning:[/]", plain(str(message)), highlight=False, soft_wrap=True)
    else:
        _default_showwarning(message, category, *args, **kwargs)


#: whether this process is the ``optviz`` command (not a caller of main() in Python): set by main()
_process = {"cli": False}


@contextlib.contextmanager
def imports_first() -> Iterator[None]:
    """Import the command's modules inside this block: as the ``optviz`` process, with Python's
    cyclic garbage collector off while they load (its passes over the young objects of numpy's
    and matplotlib's imports cost about 35 ms of a GIF's 0.8 s), and what they made frozen after
    (:func:`gc.freeze`: never scanned again; modules live as long as the process anyway). Called
    from Python (tests, notebooks), nothing changes."""
    import gc

    if not _process["cli"] or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Print an :class:`OptvizError` as one line and exit 2 (the traceback only with ``--debug``)."""
    from optviz.errors import OptvizError

    try:
        with warnings.catch_warnings():
            warnings.showwarning = _warning_line
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
      optviz run --fn ravine --opt adam --opt "sgd(momentum=0.9)" --lr 0.1
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
    """A number in a table, in at most 10 characters: 4 significant digits (3 with a three-digit
    exponent), ``—`` for NaN, and ``0`` (never ``-0``) for zero."""
    if value != value:
        return "—"
    text = f"{value + 0.0:.4g}"
    return f"{value:.3g}" if "e" in text and len(text.split("e")[1]) > 3 else text
