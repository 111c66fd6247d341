"""The ``optviz`` command: a thin layer that parses options, calls :mod:`optviz.api` and prints.

One module per group of commands (``run``; ``list`` and ``show``; ``sweep`` and ``gallery``),
all registered on the app of :mod:`optviz.cli.app`.

Heavy modules (matplotlib, Pillow, imageio-ffmpeg) are imported inside the commands that need them, so
``optviz --help`` starts fast.
"""

from __future__ import annotations

import sys

import typer

# each module registers its commands; --help lists them in this order
# isort: off
from optviz.cli import run  # noqa: F401
from optviz.cli import catalog  # noqa: F401
from optviz.cli import batch  # noqa: F401

# isort: on
from optviz.cli.app import app, err_console

__all__ = ["app", "main"]


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
