"""The runner: render a plan's figures, in worker processes if asked, and stop cleanly on signals.

A parallel sweep runs a small pool of :mod:`multiprocessing` workers, one pipe each, and hands a
figure to a worker only when it is free, so stopping has no queue to drain:

- Ctrl-C, SIGTERM or SIGHUP here (or any error) stops every worker with SIGTERM (SIGKILL after
  :data:`GRACE` seconds, or at a second signal); their renders unwind and remove their temporary
  files. Workers announce each temporary file before creating it: a killed one's are removed here.
- A worker that dies (``kill -9``, out of memory) fails its own figure; a new one takes the rest.
- Workers die with this process even when it is killed with SIGKILL: on Linux the kernel sends
  them SIGTERM (``PR_SET_PDEATHSIG``); everywhere they check for their parent before a figure,
  before creating or renaming a file and twice a second while idle, and exit without writing.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from optviz.errors import OptvizError
from optviz.sweep.plan import Figure, Run, value_text
from optviz.sweep.schema import AXES
from optviz.sweep.views import ViewFigure

#: seconds the workers get to remove their temporary files and exit before they are killed
GRACE = 3.0

#: the signals that stop a sweep (SIGHUP: the terminal closed; not on Windows)
_SIGNALS = tuple(s for s in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)) if s is not None)


@dataclass(frozen=True)
class Result:
    """What became of one figure: a row per run (label, final loss, diverged at), or the error."""

    out: Path
    rows: tuple[tuple[str, float, int | None], ...] = ()
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class Outcome:
    """The results in plan order (figures never started are missing) and whether Ctrl-C stopped it."""

    results: tuple[Result, ...]
    interrupted: bool = False

    @property
    def failures(self) -> tuple[Result, ...]:
        return tuple(r for r in self.results if not r.ok)


def render_figure(figure: Figure) -> Result:
    """Run the figure's optimizers and write its file; a failure is returned, not raised, so one
    bad entry does not stop a sweep. (Module level, on picklable dataclasses, for worker processes.)"""
    try:
        if isinstance(figure, ViewFigure):  # a chart view: its own summary lines
            return Result(figure.out, figure.make())
        from optviz import api, render
        from optviz.settings import check_starts, needs_state

        # each run from its checked record (the worker made it again when the figure arrived); state
        # panels and arrows need the optimizer's state recorded
        record = needs_state(figure.render.get("panels", ("loss",)), figure.render.get("show"))
        trajs = [api.run_settings([r.settings], check_starts(r.settings.fn, r.start), record)[0] for r in figure.runs]
        render.render(trajs, figure.fn, figure.out, **figure.render)
        return Result(
            figure.out,
            tuple(
                (_row_label(traj, run, figure), traj.final_loss if len(traj.loss) else math.nan, traj.diverged_at)
                for traj, run in zip(trajs, figure.runs, strict=True)
            ),
        )
    except OptvizError as exc:
        return Result(figure.out, error=str(exc))
    except Exception as exc:  # reported with the other failures at the end; the sweep goes on
        return Result(figure.out, error=f"{type(exc).__name__}: {exc}")


def _row_label(traj: Any, run: Run, figure: Figure) -> str:
    """The run's legend name, plus the overlaid settings other than opt and lr that tell it apart
    (as the config writes them)."""
    others = [a for a in AXES if a not in ("fn", "opt", "lr")]
    differ = [a for a in others if len({value_text(a, r.given[a]) for r in figure.runs}) > 1]
    return ", ".join([traj.label, *(f"{a}={value_text(a, run.given[a])}" for a in differ)])


def execute(figures: Sequence[Figure], jobs: int = 1, on_result: Callable[[Result], None] | None = None) -> Outcome:
    """Render every figure, ``jobs`` at a time in worker processes (in this process for 1).

    Ctrl-C stops the sweep: renders in flight are abandoned (their temporary files removed),
    finished files stay, and the outcome says ``interrupted``. Any other exception here (such as
    the CLI's on SIGTERM) stops the workers the same way and is raised again.
    """
    done: dict[int, Result] = {}

    def finish(i: int, result: Result) -> None:
        done[i] = result
        if on_result is not None:
            on_result(result)

    interrupted = False
    if jobs <= 1 or len(figures) <= 1:
        try:
            raised: list[BaseException] = []
            with _handlers(lambda handler: _noting(raised, handler)):
                for i, figure in enumerate(figures):
                    result = render_figure(figure)
                    if raised and not result.ok:  # the signal's exception, turned into an error on its way
                        raise raised[0]
                    finish(i, result)
        except KeyboardInterrupt:
            interrupted = True
    else:
        pool = _Pool(figures, min(jobs, len(figures)), finish)
        try:
            pool.run()
        except BaseException as exc:  # Ctrl-C, or anything else: stop the workers first
            pool.stop()
            if not isinstance(exc, KeyboardInterrupt):
                raise
            interrupted = True
    return Outcome(tuple(done[i] for i in sorted(done)), interrupted)


# ------------------------------------------------------------------------------- the parent side


class _Worker:
    """A worker process, its pipe, the figure it renders and the temporary files it announced."""

    def __init__(self, context: Any) -> None:
        self.conn, child = context.Pipe()
        args = (child, os.getpid(), context.get_start_method())
        self.process = context.Process(target=_work, args=args, daemon=True, name="optviz-worker")
        self.index: int | None = None
        self.partials: list[str] = []
        self.process.start()
        child.close()

    def remove_partials(self) -> None:
        for name in self.partials:
            with contextlib.suppress(OSError):
                os.unlink(name)
        self.partials.clear()


class _Pool:
    """Up to ``size`` workers rendering ``figures``; ``finish(i, result)`` for each figure done."""

    def __init__(self, figures: Sequence[Figure], size: int, finish: Callable[[int, Result], None]) -> None:
        self.figures = figures
        self.size = size
        self.finish = finish
        self.context = multiprocessing.get_context()
        self.todo = deque(range(len(figures)))
        self.workers: list[_Worker] = []
        self.idle_deaths = 0

    def run(self) -> None:
        while self.todo or any(w.index is not None for w in self.workers):
            self._staff()
            self._hand_out()
            if not self.workers:
                continue
            ready = set(wait([w.conn for w in self.workers] + [w.process.sentinel for w in self.workers]))
            for worker in list(self.workers):
                if worker.conn in ready or worker.process.sentinel in ready:
                    self._serve(worker)
        for worker in self.workers:  # done: each idle worker is told to exit (an empty message)
            with contextlib.suppress(OSError):
                worker.conn.send_bytes(b"")
        self._end(time.monotonic() + GRACE, lambda: False)

    def _staff(self) -> None:
        """Start workers for the figures left (again after one died), up to ``size``."""
        busy = sum(w.index is not None for w in self.workers)
        while len(self.workers) < min(self.size, busy + len(self.todo)):
            # signals wait: until the worker has its own handlers (a fork copies this process's),
            # and until it is on the list that stopping goes through
            with _held():
                self.workers.append(_Worker(self.context))

    def _hand_out(self) -> None:
        for worker in self.workers:
            if worker.index is None and self.todo:
                i = self.todo.popleft()
                try:
                    worker.conn.send_bytes(pickle.dumps((i, self.figures[i])))
                except OSError:  # the worker died idle; its sentinel tells
                    self.todo.appendleft(i)
                except Exception as exc:  # it does not pickle
                    self.finish(i, Result(self.figures[i].out, error=f"cannot send it to a worker: {exc}"))
                else:
                    worker.index = i

    def _serve(self, worker: _Worker) -> None:
        """Read the worker's messages; if it ended, fail its figure and remove its files."""
        alive = self._read(worker, stopping=False)
        if alive and worker.process.is_alive():
            return
        self._reap(worker, time.monotonic() + GRACE)
        self.workers.remove(worker)
        if worker.index is not None:
            worker.remove_partials()
            self.finish(worker.index, Result(self.figures[worker.index].out, error=_died(worker.process.exitcode)))
        else:
            self.idle_deaths += 1
            if self.idle_deaths > 2 * self.size:  # workers cannot even start: fail what is left
                while self.todo:
                    i = self.todo.popleft()
                    self.finish(i, Result(self.figures[i].out, error="no worker process could render it"))

    def _read(self, worker: _Worker, stopping: bool) -> bool:
        """Handle the messages waiting from ``worker``; False once its pipe is closed."""
        try:
            while worker.conn.poll():
                message = worker.conn.recv()
                if message[0] == "partial":
                    worker.partials.append(message[1])
                elif message[0] == "done":
                    worker.index, worker.partials = None, []
                    self.finish(message[1], message[2])
                elif message[0] == "interrupted" and not stopping:  # the worker got a Ctrl-C
                    raise KeyboardInterrupt
        except (EOFError, OSError):
            return False
        return True

    def stop(self) -> None:
        """Stop every worker now; keep the figures finished meanwhile, remove the others' files.
        Signals meanwhile do not interrupt this: a second one kills the workers at once."""
        self.todo.clear()
        received: list[int] = []
        with _handlers(lambda handler: lambda signum, frame: received.append(signum)):
            for worker in self.workers:
                with contextlib.suppress(OSError):
                    worker.process.terminate()
            self._end(time.monotonic() + GRACE, lambda: bool(received))

    def _end(self, deadline: float, hurry: Callable[[], bool]) -> None:
        """Wait for the workers to exit (reading their last results), kill the ones still there at
        ``deadline`` or once ``hurry()``, and remove the files of figures left unfinished."""
        while any(w.process.is_alive() for w in self.workers) and time.monotonic() < deadline and not hurry():
            alive = [w for w in self.workers if w.process.is_alive()]
            wait([w.conn for w in alive] + [w.process.sentinel for w in alive], timeout=0.1)
            for worker in alive:
                self._read(worker, stopping=True)
        while self.workers:
            worker = self.workers[-1]
            self._reap(worker, deadline if not hurry() else 0)
            self._read(worker, stopping=True)
            worker.remove_partials()
            worker.conn.close()
            self.workers.pop()

    @staticmethod
    def _reap(worker: _Worker, deadline: float) -> None:
        worker.process.join(max(0.0, deadline - time.monotonic()))
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()


def _died(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"its worker process was killed by {name} (out of memory?); the other figures went on"
    return f"its worker process exited unexpectedly (exit code {exitcode})"


@contextlib.contextmanager
def _held() -> Iterator[None]:
    """Hold back the stopping signals (Unix): they are delivered when the block ends."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


@contextlib.contextmanager
def _handlers(replace: Callable[[Callable[..., Any]], Callable[..., Any]]) -> Iterator[None]:
    """Give each stopping signal with a Python handler the handler ``replace(handler)`` for the
    block (main thread: the only one where signals are handled)."""
    handlers = {}
    if threading.current_thread() is threading.main_thread():
        handlers = {s: h for s in _SIGNALS if callable(h := signal.getsignal(s))}
    for s, handler in handlers.items():
        signal.signal(s, replace(handler))
    try:
        yield
    finally:
        for s, handler in handlers.items():
            signal.signal(s, handler)


def _noting(raised: list[BaseException], handler: Callable[..., Any]) -> Callable[..., Any]:
    """``handler``, noting in ``raised`` the exception it raises: C code the render calls may turn
    it into another error (matplotlib's Agg renderer raises a ValueError), which
    :func:`render_figure` would take for a failed figure."""

    def noting(signum: int, frame: Any) -> None:
        try:
            handler(signum, frame)
        except BaseException as exc:
            raised.append(exc)
            raise

    return noting


# ------------------------------------------------------------------------------- the worker side


class _Stop(BaseException):
    """Raised in a worker to end it (SIGTERM, SIGHUP, or its parent is gone): it unwinds the render,
    whose temporary file is removed, and the worker exits with ``code``."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


_state = "idle"  # the worker's: idle, busy (rendering) or stopping
_stopped_by: int | None = None  # the signal that stopped it
_raised: BaseException | None = None  # the exception it raised
_conn: Connection | None = None
_parent = -1


def _work(conn: Connection, parent: int, method: str) -> None:
    """A worker: render the figures it is sent, one at a time, until told to stop."""
    global _conn, _parent, _state
    _conn = conn
    for s in _SIGNALS:
        signal.signal(s, _on_signal)
    _parent = parent if method != "forkserver" else os.getppid()  # forkserver: the server is the parent
    _die_with_parent()
    sys.addaudithook(_audit)
    sys.unraisablehook = _unraisable
    if hasattr(signal, "pthread_sigmask"):  # held by the parent while it started this worker
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGNALS)
    try:
        while not _orphaned():
            while not conn.poll(0.5):
                if _orphaned():
                    return
            data = conn.recv_bytes()
            if not data or _orphaned():  # empty: no more figures
                return
            i, figure = pickle.loads(data)
            _state = "busy"
            try:
                result = render_figure(figure)
                if _stopped_by is not None and not result.ok:  # the signal became an error on its way
                    raise KeyboardInterrupt if _stopped_by == signal.SIGINT else _Stop(128 + _stopped_by)
            except KeyboardInterrupt:  # Ctrl-C: the render unwound, its file removed
                _send(("interrupted", i))
                return
            _send(("done", i, result), then="idle")
    except _Stop as stop:
        sys.exit(stop.code)
    except (EOFError, OSError, KeyboardInterrupt):  # the parent is gone (or a stray Ctrl-C)
        return


def _on_signal(signum: int, frame: Any) -> None:
    global _state, _stopped_by, _raised
    del frame
    if _state == "stopping" or (signum == signal.SIGINT and _state != "busy"):
        return  # a second signal must not interrupt the cleanup of the first; idle: the parent stops us
    _state, _stopped_by = "stopping", signum
    _raised = KeyboardInterrupt() if signum == signal.SIGINT else _Stop(128 + signum)
    raise _raised


def _unraisable(unraisable: Any) -> None:
    """The signal's exception, raised in a weakref callback or ``__del__``, was printed and lost:
    raise it again 10 ms later, from where the worker is then (Unix; else the parent kills it)."""
    global _state
    if unraisable.exc_value is not _raised or _stopped_by is None or not hasattr(signal, "setitimer"):
        sys.__unraisablehook__(unraisable)
        return
    _state, signum = "busy", _stopped_by
    signal.signal(signal.SIGALRM, lambda _, frame: _on_signal(signum, frame))
    signal.setitimer(signal.ITIMER_REAL, 0.01)


def _send(message: tuple[Any, ...], then: str | None = None) -> None:
    """Send ``message`` whole (signals wait), then enter the state ``then``."""
    global _state
    assert _conn is not None
    with _held():
        _conn.send(message)
        if then is not None:
            _state = then


def _orphaned() -> bool:
    return os.getppid() != _parent


def _die_with_parent() -> None:
    """On Linux, have the kernel send this worker SIGTERM when its parent dies (elsewhere, or with
    no prctl, the checks of :func:`_orphaned` remain)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            import ctypes

            ctypes.CDLL(None).prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG


def _audit(event: str, args: tuple[Any, ...]) -> None:
    """Tell the parent each temporary output file (``.optviz-*.partial*``) before it is created,
    and refuse to create or rename one once the parent is gone."""
    if event == "open":
        path = args[0]
        if not isinstance(path, str) or not (args[2] or 0) & os.O_CREAT:
            return
        name = os.path.basename(path)
        if name.startswith(".optviz-") and ".partial" in name:
            if _orphaned():
                raise _Stop(1)
            _send(("partial", os.path.abspath(path)))
    elif event == "os.rename" and _orphaned():
        raise _Stop(1)
