"""The ``optviz`` command: a thin layer that parses options, calls :mod:`optviz.api` and prints.

One module per group of commands (``run``; ``list`` and ``show``; ``sweep`` and ``gallery``),
all registered on the app of :mod:`optviz.cli.app`.

Heavy modules (matplotlib, Pillow, imageio-ffmpeg) are imported inside the commands that need them, so
``optviz --help`` starts fast.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from typing import Any

import typer

# each module registers its commands; --help lists them in this order
# isort: off
from optviz.cli import run  # noqa: F401
from optviz.cli import catalog  # noqa: F401
from optviz.cli import batch  # noqa: F401
from optviz.cli import views  # noqa: F401
from optviz.cli import deck  # noqa: F401
from optviz.cli import explore  # noqa: F401

# isort: on
from optviz.cli.app import _process, app, err_console, plain

__all__ = ["Terminated", "app", "main"]

#: the signals that end optviz as Ctrl-C does, but with exit code 128 + the signal's number:
#: :class:`Terminated` (SIGHUP: the terminal closed; not on Windows)
TERMINATING = tuple(s for s in (signal.SIGTERM, getattr(signal, "SIGHUP", None)) if s is not None)


class Terminated(BaseException):
    """Raised in the main thread by SIGTERM or SIGHUP, so that everything unwinds as for Ctrl-C:
    partial files are removed and a sweep's workers stopped. Not an Exception (nothing may catch
    it as an error), nor a KeyboardInterrupt (whose exit code is 130)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def main(argv: list[str] | None = None) -> int:
    """Console entry point: usage errors become one line on stderr with exit code 2; Ctrl-C exits
    130, SIGTERM 143 and SIGHUP 129, each with no partial file left and no worker process behind.

    As the process (``argv`` None), once the command has returned its exit status, every output is
    closed and renamed and nothing else runs, the process ends at once (:func:`_exit_now`)."""
    _process["cli"] = argv is None
    if argv is None:
        _one_blas_thread()
    code = _guarded_main(argv)
    if argv is None:
        _exit_now(code)
    return code


#: the environment variables that set how many threads numpy's BLAS starts
BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "GOTO_NUM_THREADS")


def _one_blas_thread() -> None:
    """As the process, before numpy is imported: one BLAS thread, unless the environment sets it.

    optviz does no BLAS work (products over coordinates are written out so that bits match on
    every machine; pictures come out byte for byte the same either way), and OpenBLAS starts a
    thread per core at numpy's import that spins for work: 40 ms of CPU, and more wall time on a
    loaded machine. Worker processes (sweeps) inherit the setting, as they should."""
    if "numpy" not in sys.modules and not any(name in os.environ for name in BLAS_THREADS):
        os.environ["OPENBLAS_NUM_THREADS"] = "1"


def _exit_now(code: int) -> None:
    """End the process with ``code`` without tearing the interpreter down (freeing every module
    and object: about 0.17 s after matplotlib is loaded), when that is safe: stdout and stderr
    flush without error, this is the only thread (but for optviz's background thread, which
    only computes into arrays) and no child process is alive. Otherwise return, and the
    interpreter exits as usual (atexit handlers, finalizers)."""
    if not _only_thread():
        return
    if "multiprocessing" in sys.modules and sys.modules["multiprocessing"].active_children():
        return
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):  # a closed or broken pipe: let the usual exit report it
        return
    os._exit(code)


def _only_thread() -> bool:
    """Whether this is the main thread and no other runs but optviz's background thread."""
    main = threading.main_thread()
    if threading.current_thread() is not main:
        return False
    aside = sys.modules.get("optviz.background")
    return all(thread is main or (aside is not None and aside.ours(thread)) for thread in threading.enumerate())


def _guarded_main(argv: list[str] | None) -> int:
    if threading.current_thread() is not threading.main_thread():  # signals are the main thread's
        return _main(argv)
    signals = _Signals()
    try:
        return _main(argv)
    except Terminated as exc:  # raised anywhere, even while another error is reported
        return _terminated(exc.signum)
    except Exception:
        if signals.signum is None:
            raise
        # the signal's exception became another error on its way out (matplotlib's Agg renderer
        # turns one raised inside it into a ValueError): it is still the signal
        if signals.signum != signal.SIGINT:
            return _terminated(signals.signum)
        err_console.print("[yellow]interrupted[/]")
        return 130
    finally:
        # called from Python: handlers as they were; as the process (argv None) after a signal:
        # more are ignored, so that one more Ctrl-C neither interrupts the exit (a traceback from
        # an atexit handler) nor kills the process before it exits with its code
        signals.restore(ignore=signals.signum is not None and argv is None)


class _Signals:
    """main()'s handlers of Ctrl-C, SIGTERM and SIGHUP: the first raises KeyboardInterrupt or
    :class:`Terminated`, later ones are ignored (they must not interrupt the cleanup of the first).

    Python prints and drops an exception raised in a ``__del__`` or a weakref callback (matplotlib
    has some): if the signal's is dropped so, it is raised again 10 ms later (Unix)."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self.raised: BaseException | None = None
        self.previous = {s: signal.signal(s, self.handle) for s in (signal.SIGINT, *TERMINATING)}
        self.hook, sys.unraisablehook = sys.unraisablehook, self.unraisable
        self.alarm: Any = None

    def handle(self, signum: int, frame: Any) -> None:
        if self.raised is not None:
            return
        self.signum = signum
        self.raised = KeyboardInterrupt() if signum == signal.SIGINT else Terminated(signum)
        raise self.raised

    def unraisable(self, info: Any) -> None:
        if self.raised is None or info.exc_value is not self.raised or not hasattr(signal, "setitimer"):
            self.hook(info)
            return
        # a handler run from here would raise into this hook: an alarm raises it from where the
        # main thread is then
        self.raised = None
        signum = self.signum
        if self.alarm is None:
            self.alarm = signal.getsignal(signal.SIGALRM)
        signal.signal(signal.SIGALRM, lambda _, frame: self.handle(signum, frame))
        signal.setitimer(signal.ITIMER_REAL, 0.01)

    def restore(self, ignore: bool) -> None:
        self.raised = self.raised or KeyboardInterrupt()  # from here on the handler raises nothing
        sys.unraisablehook = self.hook
        if self.alarm is not None:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.alarm)
        for s, handler in self.previous.items():
            signal.signal(s, signal.SIG_IGN if ignore else handler if handler is not None else signal.SIG_DFL)


def _terminated(signum: int) -> int:
    name = signal.Signals(signum).name
    err_console.print(f"[yellow]terminated[/] by {name}: finished outputs were kept, no partial file was left")
    return 128 + signum


def _main(argv: list[str] | None) -> int:
    # typer >= 0.29 vendors click; its usage errors are only reachable from this module
    from typer._click.exceptions import NoArgsIsHelpError, UsageError

    try:
        result = app(args=argv, standalone_mode=False)
    except NoArgsIsHelpError as exc:
        from typer import rich_utils  # the help's formatting (40 ms): only when it is shown

        rich_utils.rich_format_error(exc)  # prints the help
        return 2
    except UsageError as exc:
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
        # the message quotes what was typed: print it as text, never as markup
        err_console.print(
            "[bold red]error:[/]", plain(f"{exc.format_message()}{hint}"), highlight=False, soft_wrap=True
        )
        return 2
    except (typer.Abort, KeyboardInterrupt):
        err_console.print("[yellow]interrupted[/]")
        return 130
    return result if isinstance(result, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
