"""The runner: render a plan's figures, in worker processes if asked, and stop cleanly on Ctrl-C."""

from __future__ import annotations

import math
import multiprocessing
import os
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optviz.errors import OptvizError
from optviz.sweep.plan import Figure, Run, value_text
from optviz.sweep.schema import AXES


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


#: True while a worker renders: Ctrl-C then aborts the render (whose temporary file is removed);
#: an idle worker ignores it and exits quietly when the pool shuts down
_busy = False


def _worker_init() -> None:
    signal.signal(signal.SIGINT, _on_sigint)


def _on_sigint(signum: int, frame: Any) -> None:
    global _busy
    del signum, frame
    if _busy:
        _busy = False  # a second Ctrl-C must not interrupt the cleanup of the first
        raise KeyboardInterrupt


def render_figure(figure: Figure) -> Result:
    """Run the figure's optimizers and write its file; a failure is returned, not raised, so one
    bad entry does not stop a sweep. (Module level, on picklable dataclasses, for worker processes.)"""
    global _busy
    _busy = True
    try:
        from optviz import api, render
        from optviz.settings import check_starts

        # each run from its checked record (the worker made it again when the figure arrived)
        trajs = [api.run_settings([run.settings], check_starts(run.settings.fn, run.start))[0] for run in figure.runs]
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
    finally:
        _busy = False


def _row_label(traj: Any, run: Run, figure: Figure) -> str:
    """The run's legend name, plus the overlaid settings other than opt and lr that tell it apart
    (as the config writes them)."""
    others = [a for a in AXES if a not in ("fn", "opt", "lr")]
    differ = [a for a in others if len({value_text(a, r.given[a]) for r in figure.runs}) > 1]
    return ", ".join([traj.label, *(f"{a}={value_text(a, run.given[a])}" for a in differ)])


def execute(figures: Sequence[Figure], jobs: int = 1, on_result: Callable[[Result], None] | None = None) -> Outcome:
    """Render every figure, ``jobs`` at a time in worker processes (in this process for 1).

    Ctrl-C stops the sweep: renders in flight are abandoned (their temporary files removed),
    finished files stay, and the outcome says ``interrupted``.
    """
    done: dict[int, Result] = {}

    def finish(i: int, result: Result) -> None:
        done[i] = result
        if on_result is not None:
            on_result(result)

    interrupted = False
    if jobs <= 1 or len(figures) <= 1:
        try:
            for i, figure in enumerate(figures):
                finish(i, render_figure(figure))
        except KeyboardInterrupt:
            interrupted = True
    else:
        interrupted = _execute_pool(figures, jobs, finish)
    return Outcome(tuple(done[i] for i in sorted(done)), interrupted)


def _execute_pool(figures: Sequence[Figure], jobs: int, finish: Callable[[int, Result], None]) -> bool:
    """Render in a process pool; returns whether Ctrl-C stopped it."""
    # the pool's workers are the children this process starts from now on (a sweep starts no
    # others): what multiprocessing.active_children() lists then, and did not list before
    before = set(multiprocessing.active_children())
    pool = ProcessPoolExecutor(max_workers=min(jobs, len(figures)), initializer=_worker_init)
    pending: dict[Future, int] = {}
    try:
        for i, figure in enumerate(figures):
            pending[pool.submit(render_figure, figure)] = i
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                i = pending.pop(future)
                exc = future.exception()
                if exc is None:
                    finish(i, future.result())
                elif isinstance(exc, KeyboardInterrupt):  # the worker got the terminal's Ctrl-C
                    raise KeyboardInterrupt
                else:  # the worker died (killed, out of memory): a failure like any other
                    finish(i, Result(figures[i].out, error=f"{type(exc).__name__}: {exc}"))
    except KeyboardInterrupt:
        _stop(pool, pending, before)
        for future, i in pending.items():  # renders that completed while stopping are kept
            if future.done() and not future.cancelled() and future.exception() is None:
                finish(i, future.result())
        return True
    pool.shutdown(wait=True)
    return False


def _stop(pool: ProcessPoolExecutor, pending: dict[Future, int], before: set[Any]) -> None:
    """Cancel what has not started and interrupt the workers' renders, then wait for them.

    The terminal sends Ctrl-C to the workers too, but ``kill -INT`` of this process does not, so
    each worker gets a SIGINT of its own. The executor has no public list of its processes; they
    are this process's children that were not there before the pool (``before``), which
    :func:`multiprocessing.active_children` (public, and it reaps the ones that ended) tells.
    """
    for future in pending:
        future.cancel()
    for process in multiprocessing.active_children():
        if process not in before:
            try:
                os.kill(process.pid, signal.SIGINT)
            except OSError:  # it ended in the meantime
                pass
    pool.shutdown(wait=True, cancel_futures=True)
