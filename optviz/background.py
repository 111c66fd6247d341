"""A second thread for the work a large batch's loop need not wait for: evaluating the recorded
blocks (loss, gradient norm, finiteness) while the loop takes the next steps.

NumPy releases the GIL inside its loops, so a block's few large operations run on a second core
while the loop's many small ones run on the first; they touch different rows of the recorded
arrays, and every number is the same as when evaluated on the loop's thread (the same
operations on the same values). Only where a second core is there to be had (:func:`usable`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

#: a batch whose (N, D) array holds fewer values than this is evaluated on the loop's thread: its
#: steps are too short for a handover to pay much (measured, 1000 steps: Adam on the ravine, 512
#: runs 15.8 ms against 19.2 ms, 1024 runs 20.9 against 23.0; momentum on rosenbrock, 1024 runs
#: 25.5 against 25.8)
MIN_VALUES = 1 << 11

_executor: ThreadPoolExecutor | None = None
_NAME = "optviz-evaluate"


def usable(values: int) -> bool:
    """Whether a batch of ``values`` parameters is evaluated in the background: it is large
    enough, and this process may run on more than one core."""
    return values >= MIN_VALUES and _cores() > 1


def submit(job: Callable[..., Any], *args: Any) -> Future:
    """Run ``job(*args)`` on the background thread, numpy's floating-point warnings silenced (as
    in the loop); ``.result()`` waits for it and raises what it raised."""
    global _executor
    if _executor is None:
        from concurrent.futures import ThreadPoolExecutor  # here: a command that never hands over skips its import

        _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=_NAME)
    return _executor.submit(_quietly, job, *args)


def ours(thread: threading.Thread) -> bool:
    """Whether ``thread`` is this module's (which only ever computes into arrays: a process may
    end without waiting for it)."""
    return thread.name.startswith(_NAME)


def _quietly(job: Callable[..., Any], *args: Any) -> Any:
    with np.errstate(all="ignore"):  # numpy's error state is the thread's own
        return job(*args)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _forget() -> None:  # a forked child (a sweep's worker) has no such thread: it starts its own
    global _executor
    _executor = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget)
