"""What the engine keeps of a run: the points at the recorded steps, their loss and gradient norm,
and where each run first left the finite numbers.

Recording is strided on request (``every``: steps 0, K, 2K, ... and always the last) and kept in
float32 on request; the loss and the gradient norm are computed from the float64 points, one
cache-sized block of recorded steps at a time, right after the loop wrote it, and so is the check
for the first non-finite row (of the values as kept: float32 overflows past 3.4e38). In a large
float64 batch each block is evaluated on a second thread while the loop goes on (one block at a
time, in order: :mod:`optviz.background`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from optviz import background as second_thread

__all__ = [
    "RECORD_DTYPES",
    "LoopHeap",
    "Recorder",
    "StateRecord",
    "StateRows",
    "recorded_steps",
    "row_norm",
]

Array = np.ndarray
#: how many recorded coordinates to evaluate (loss, gradient norm) at once: cache-sized blocks
BLOCK_VALUES = 1 << 16
#: how many losses, where the loop gives the gradients: the function's temporaries (up to 768 kB)
#: stay below the heap's threshold (:class:`LoopHeap`), and longer blocks cost fewer calls
#: (measured: 10,000 runs, 9 rows a block instead of 3: 3 ms less of 110)
LOSS_BLOCK_VALUES = 1 << 16
#: how many recorded coordinates, where blocks are evaluated in the background: a block is handed
#: over and waited for once, and its few large operations hold the GIL for little of their time
#: (measured: 10,000 Adam runs x 1000 steps, 1 << 16: 94 ms, 1 << 18: 81 ms)
BACKGROUND_BLOCK_VALUES = 1 << 18
#: in the background, blocks timed before choosing which thread takes the gradient norms
CHOOSE_AFTER = 6
#: the dtypes a path may be kept in, by name
RECORD_DTYPES = {"float64": np.float64, "float32": np.float32}


#: outside a batch's loop: blocks up to 1 MB stay on the heap and up to 4 MB of freed heap stays in
#: the process; inside it, up to 4 times the batch's (N, D) array (at most 32 MB, glibc's own
#: ceiling), and 4 times that
_MMAP_THRESHOLD, _TRIM_THRESHOLD, _MAX_MMAP_THRESHOLD = 1 << 20, 4 << 20, 32 << 20
_mallopt: Any = None  # glibc's, once found usable; False where not
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


def _glibc_mallopt() -> Any:
    """glibc's ``mallopt``, with the thresholds outside a loop set, or ``None``: not glibc, or the
    user set ``MALLOC_*`` variables (their choice stands)."""
    global _mallopt
    if _mallopt is None:
        _mallopt = False
        import os
        import sys

        if sys.platform.startswith("linux") and not any(k.startswith("MALLOC_") for k in os.environ):
            try:
                import ctypes

                _mallopt = ctypes.CDLL(None).mallopt
            except (OSError, AttributeError):  # not glibc (musl has no mallopt)
                pass
        if _mallopt:
            _mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
            _mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD)
    return _mallopt or None


class LoopHeap:
    """``with LoopHeap(nbytes):`` around a batch's loop whose arrays take ``nbytes`` each: glibc
    keeps the loop's temporaries (a gradient, a block's losses) on the heap between steps.

    By default glibc maps such blocks afresh or trims the freed heap after a few steps, and the
    process then spends as much time in page faults as in arithmetic (measured: 60 ms of a
    190 ms batch of 10,000 Adam runs x 1000 steps; 8-20 ms of system time with this). After the
    loop the thresholds go back down (1 MB, 4 MB), so the freed heap is given back and a long
    session keeps less than with glibc's own adaptive thresholds (measured: 440 MB against 484 MB
    resident after the test files a to l; fixed 32 MB / 64 MB thresholds kept 559 MB).
    """

    def __init__(self, nbytes: int):
        self.mmap = min(max(4 * nbytes, _MMAP_THRESHOLD), _MAX_MMAP_THRESHOLD)

    def __enter__(self) -> None:
        mallopt = _glibc_mallopt()
        if mallopt is not None and self.mmap > _MMAP_THRESHOLD:
            mallopt(_M_MMAP_THRESHOLD, self.mmap)
            mallopt(_M_TRIM_THRESHOLD, 4 * self.mmap)

    def __exit__(self, *exc: object) -> None:
        mallopt = _glibc_mallopt()
        if mallopt is not None and self.mmap > _MMAP_THRESHOLD:
            mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
            mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD)


def recorded_steps(steps: int, every: int) -> Array:
    """The steps recorded of a run of ``steps`` updates: 0, every, 2·every, ... and ``steps``.

    Examples:
        >>> recorded_steps(10, 4).tolist()
        [0, 4, 8, 10]
    """
    at = np.arange(0, steps + 1, every, dtype=np.int64)
    return at if at[-1] == steps else np.append(at, np.int64(steps))


def row_norm(x: Array, out: Array | None = None, scratch: Array | None = None) -> Array:
    """Euclidean norm over the last axis, ``(..., D) -> (...)``, into ``out`` if given.

    Summed coordinate by coordinate: each ``x[..., i]`` is contiguous in the engine's layouts,
    while numpy's ``sum(-1)`` over a strided axis of length 2 is several times slower.
    """
    total = sum_of_squares(x, out, scratch)
    return np.sqrt(total, out=total)


def sum_of_squares(x: Array, out: Array | None = None, scratch: Array | None = None) -> Array:
    """:func:`row_norm` before its square root (``out`` and ``scratch`` by position: cheaper)."""
    column = x[..., 0]
    total = np.multiply(column, column, out)
    for i in range(1, x.shape[-1]):
        column = x[..., i]
        total = np.add(total, np.multiply(column, column, scratch), total)
    return total


class Recorder:
    """The recorded arrays of N runs in D dimensions, filled step by step.

    Attributes:
        at: (R,) the recorded steps.
        points: (R, D, N) in ``dtype``; loss, grad_norm: (R, N).
        diverged: (N,) the first recorded row whose point or loss is not finite, else -1.
    """

    def __init__(
        self,
        fn: Any,
        steps: int,
        dim: int,
        n_runs: int,
        every: int = 1,
        dtype: Any = np.float64,
        grads: bool = False,
        background: bool = False,
    ):
        _glibc_mallopt()  # before the recorded arrays: from 1 MB they are mapped, and given back
        self.fn = fn
        self.at = recorded_steps(steps, every)
        self.every, self.steps = every, steps
        rows = len(self.at)
        self.points = np.empty((rows, dim, n_runs), dtype)
        self.loss = np.empty((rows, n_runs), dtype)
        self.grad_norm = np.empty((rows, n_runs), dtype)
        self.diverged = np.full(n_runs, -1, dtype=np.int64)
        # ``grads``: :meth:`add` is given each row's gradient, blocks only evaluate the losses
        exact = np.dtype(dtype) == np.float64
        # ``background``: blocks are evaluated on a second thread (float64: the block's recorded
        # rows are its only inputs), one block at a time, in order
        self.background = background and exact
        #: whether :meth:`add` is to be given the loop's gradients (``grads``: it may be). In the
        #: background the other thread may instead take the norms, evaluating the gradient anew:
        #: that pays where the update costs more than the function (Adam on the ravine: 84 against
        #: 95 ms) and costs where not (gd on himmelblau: 119 against 76 ms), so the first blocks
        #: are timed both ways (:meth:`_choose`)
        self.loop_norms = grads
        self.choosing = grads and self.background
        self.flushed, self.aside_kept_up = 0, True
        self.timing_from = self.loop_seconds = 0.0  # blocks 2-3 with the loop's norms
        if self.background:
            self.block = max(1, BACKGROUND_BLOCK_VALUES // (n_runs * dim))
        else:
            self.block = max(1, LOSS_BLOCK_VALUES // n_runs if grads else BLOCK_VALUES // (n_runs * dim))
        self.pending: Any = None  # the block being evaluated in the background (a Future)
        #: the largest array evaluating a block in the background allocates (a block's gradient):
        #: the heap is to keep it between blocks (:class:`LoopHeap`), or every block maps it afresh
        #: and page-faults through it (measured: 8,192 runs, 145 ms against 71 ms)
        self.evaluation_nbytes = self.block * n_runs * dim * 8 if self.background else 0
        # float32: a block of float64 points, evaluated, then stored rounded
        self.stage = None if exact else np.empty((self.block, dim, n_runs))
        self.scratch = np.empty((self.block, n_runs))
        self.row_scratch = np.empty(n_runs) if self.background else self.scratch[0]  # the loop's own
        # float32: the losses and gradient norms of a block (given by ``add`` or evaluated), until stored
        self.loss_stage = None if exact else np.empty((self.block, n_runs))
        self.norm_stage = None if exact else np.empty((self.block, n_runs))
        self.rows = 0  # rows written
        self.evaluated = 0  # rows evaluated (and stored)
        #: the first row since ``evaluated`` whose gradient norm (loss) was not given, if any
        self.missing: int | None = None
        self.missing_loss: int | None = None

    def wants(self, step: int) -> bool:
        """Whether ``step`` is recorded."""
        return step % self.every == 0 or step == self.steps

    def add(self, params: Array, grad: Array | None = None, loss: Array | None = None) -> None:
        """Record the (N, D) points of the next recorded step.

        ``grad``: the exact gradient at ``params`` (before noise and clipping), which the loop
        computed anyway: its norm is taken now, while it is in cache, instead of evaluating the
        gradient again in :meth:`flush` (the same numbers: the gradient is elementwise per run).
        ``loss``: (N,) the loss at ``params``, where the loop computed it with the gradient.
        """
        row = self.rows - self.evaluated
        if self.stage is None:
            self.points[self.rows] = params.T
        else:
            self.stage[row] = params.T
        if loss is None:
            if self.missing_loss is None:
                self.missing_loss = self.rows
        elif self.loss_stage is None:
            self.loss[self.rows] = loss
        else:
            self.loss_stage[row] = loss
        if grad is None:
            if self.missing is None:
                self.missing = self.rows
        else:  # the square root in :meth:`flush`, for the block at once
            sum_of_squares(
                grad, self.grad_norm[self.rows] if self.norm_stage is None else self.norm_stage[row], self.row_scratch
            )
        self.rows += 1
        if self.rows - self.evaluated >= self.block:
            self.flush()

    def add_rows(self, rows: Array) -> None:
        """Record several steps at once, ``(B, D, N)`` float64."""
        for lo in range(0, len(rows), self.block):
            chunk = rows[lo : lo + self.block]
            if self.stage is None:
                self.points[self.rows : self.rows + len(chunk)] = chunk
            else:
                self.stage[: len(chunk)] = chunk
            if self.missing is None:
                self.missing = self.rows
            if self.missing_loss is None:
                self.missing_loss = self.rows
            self.rows += len(chunk)
            self.flush()

    def flush(self, wait: bool = False) -> None:
        """Loss, gradient norm and finiteness of the rows not evaluated yet (then stored): now,
        or in the background once the block before is done (``wait``: all done on return)."""
        lo, hi, missing, missing_loss = self.evaluated, self.rows, self.missing, self.missing_loss
        self.evaluated, self.missing, self.missing_loss = hi, None, None
        if self.pending is not None:  # its exception, if any, raised here
            self.pending, pending = None, self.pending
            kept_up = pending.done()
            pending.result()
        else:
            kept_up = True
        if self.choosing:
            self._choose(kept_up)
        if hi == lo:
            return
        if self.background and not wait:
            self.pending = second_thread.submit(self._evaluate, lo, hi, missing, missing_loss)
        else:
            self._evaluate(lo, hi, missing, missing_loss)

    def _choose(self, kept_up: bool) -> None:
        """In the background with the loop's gradients given: blocks 1 to 3 take the norms on the
        loop's thread, blocks 4 to 6 on the other, and the rest on the other thread only if it
        kept up with the loop there (its blocks 4 and 5 were done when the loop had its next one)
        and the loop's blocks 5 and 6 took less time than 2 and 3 (each counting the wait for
        the block before, done the same way); the numbers are the same either way."""
        self.flushed += 1
        if self.flushed in (1, 4):
            self.timing_from = time.perf_counter()
        elif self.flushed == 3:
            self.loop_seconds, self.loop_norms = time.perf_counter() - self.timing_from, False
        elif self.flushed > 4:
            self.aside_kept_up = self.aside_kept_up and kept_up
        if self.flushed == CHOOSE_AFTER:
            faster = time.perf_counter() - self.timing_from < self.loop_seconds
            self.loop_norms, self.choosing = not (self.aside_kept_up and faster), False

    def _evaluate(self, lo: int, hi: int, missing: int | None, missing_loss: int | None) -> None:
        """:meth:`flush` of rows ``lo:hi``; from ``missing`` (``missing_loss``) on, they were given
        no gradient (loss)."""
        x = self.points[lo:hi] if self.stage is None else self.stage[: hi - lo]
        run_major = x.transpose(0, 2, 1)  # (B, N, D) view
        exact = self.stage is None
        loss = self.loss[lo:hi] if exact else self.loss_stage[: hi - lo]
        if missing_loss is not None:  # the rows from there on were given no loss
            loss[missing_loss - lo :] = self.fn.f(run_major[missing_loss - lo :])
        grad_norm = self.grad_norm[lo:hi] if exact else self.norm_stage[: hi - lo]
        given = hi - lo if missing is None else missing - lo  # rows given their gradient
        if given:  # its sum of squares
            np.sqrt(grad_norm[:given], grad_norm[:given])
        if missing is not None:  # the rows from there on were given no gradient
            row_norm(self.fn.grad(run_major[given:]), out=grad_norm[given:], scratch=self.scratch[: hi - lo - given])
        if not exact:  # rounded; a value past float32's range becomes inf, and counts as such below
            self.loss[lo:hi] = loss
            self.grad_norm[lo:hi] = self.norm_stage[: hi - lo]
            self.points[lo:hi] = x
            x, loss = self.points[lo:hi], self.loss[lo:hi]
        # a sum is finite only if every term is, so one read of the losses (and the exact check
        # only where one is not, or the sum overflowed); the points: in float64, a point that
        # left the finite numbers never comes back (inf and NaN propagate through every update,
        # see optviz.engine), so the last recorded row answers for them all (:meth:`finish`); in
        # float32 not (a point past 3.4e38 rounds to inf, the next one may not): every row here
        finite = np.isfinite(np.add.reduce(loss, axis=None))
        if not (finite and (exact or np.isfinite(np.add.reduce(x, axis=None)))):
            self._check_finite(lo, x, loss)

    def _check_points(self) -> None:
        """float64: each run whose last recorded point is not finite left the finite numbers at
        its first such row (and stayed out): ``diverged`` is the earlier of that and its loss's."""
        last = self.points[self.rows - 1]
        if np.isfinite(np.add.reduce(last, axis=None)):
            return
        bad = np.flatnonzero(~np.isfinite(last).all(0))
        first = np.argmin(np.isfinite(self.points[: self.rows, :, bad]).all(1), axis=0)
        known = self.diverged[bad]
        self.diverged[bad] = np.where((known < 0) | (known > first), first, known)

    def _check_finite(self, lo: int, x: Array, loss: Array) -> None:
        """Mark each run's first row in ``x`` (its points) or ``loss`` that is not finite."""
        ok = np.isfinite(loss)
        for i in range(x.shape[1]):
            ok &= np.isfinite(x[:, i])
        if not ok.all():
            bad = ~ok.all(0) & (self.diverged < 0)
            self.diverged[bad] = lo + np.argmin(ok[:, bad], axis=0)

    def finish(self) -> None:
        """Evaluate what is left; rows never reached (the runs stopped early) become NaN."""
        self.flush(wait=True)
        if self.stage is None and self.rows:
            self._check_points()
        if self.rows < len(self.at):
            self.points[self.rows :] = np.nan
            self.loss[self.rows :] = np.nan
            self.grad_norm[self.rows :] = np.nan
            self.diverged[self.diverged < 0] = self.rows

    def diverged_at(self) -> Array:
        """(N,) the step of each run's first non-finite recorded row, -1 where none."""
        return np.where(self.diverged < 0, -1, self.at[self.diverged])

    def steps_at(self) -> Array | None:
        """The recorded steps, or ``None`` when every step is."""
        return None if self.every == 1 else self.at


@dataclass(frozen=True)
class StateRecord:
    """The optimizer's state by update, recorded when :func:`simulate` is asked to; each array is
    ``(K, D, N)``: row k belongs to update k, which takes ``points[k]`` to ``points[k+1]``.

    Attributes:
        grad: the gradient update k used (noise and clipping applied).
        update: the step taken, ``points[k+1] − points[k]``.
        momentum: the momentum/velocity buffer after update k (``momentum_buffer``, Adam's
            ``exp_avg``), or ``None`` for an optimizer without one.
        effective_lr: each coordinate's step size after update k (adaptive methods: Adam
            ``lr/(sqrt(v̂)+eps)``, AdaGrad ``lr_k/(sqrt(sum)+eps)``, RMSprop
            ``lr/(sqrt(square_avg)+eps)``), or ``None`` for the others.
        ax: ASGD's running average of the iterates after update k (``None`` for the others).
        inner: L-BFGS: ``(K, I, D, N)``, the points after each inner iteration of update k
            (NaN-padded; the last one is ``points[k+1]``), else ``None``.
    """

    grad: Array
    update: Array
    momentum: Array | None
    effective_lr: Array | None
    ax: Array | None = None
    inner: Array | None = None


class StateRows:
    """The arrays of a :class:`StateRecord`, filled update by update."""

    def __init__(self, stepper: Any, steps: int, dim: int, n_runs: int):
        self.stepper = stepper
        self.shape = (steps, dim, n_runs)
        self.grad = np.full(self.shape, np.nan)
        self.update = np.full(self.shape, np.nan)
        self.momentum: Array | None = None
        self.ax: Array | None = None
        self.effective_lr = np.full(self.shape, np.nan) if stepper.effective_lr is not None else None

    def add(self, k: int, grad: Array, update: Array, state: object, lr: Any) -> None:
        self.grad[k] = grad.T
        self.update[k] = update.T
        buffer = getattr(state, "momentum_buffer", None)
        if buffer is None:
            buffer = getattr(state, "exp_avg", None)
        if buffer is not None:
            if self.momentum is None:
                self.momentum = np.full(self.shape, np.nan)
            self.momentum[k] = np.broadcast_to(buffer, update.shape).T
        ax = getattr(state, "ax", None)
        if ax is not None:
            if self.ax is None:
                self.ax = np.full(self.shape, np.nan)
            self.ax[k] = ax.T
        if self.effective_lr is not None:
            self.effective_lr[k] = np.broadcast_to(self.stepper.effective_lr(state, lr), update.shape).T

    def done(self) -> StateRecord:
        return StateRecord(self.grad, self.update, self.momentum, self.effective_lr, self.ax)
