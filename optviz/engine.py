"""The batched loop: gradient → noise → clip → optimizer step → schedule, for N runs at once.

Divergence is found in the recorded rows rather than masked inside the loop: a parameter that
turns non-finite stays non-finite (inf and NaN propagate through every update), so the first
non-finite row of the recorded path is where the run diverged. It is checked block by block with
the loss and gradient norm, while the rows are in cache (:mod:`optviz.recording`), and the hot
loop stays free of bookkeeping. In a large batch that evaluation runs on a second thread while
the loop takes the next steps (:mod:`optviz.background`), with the same numbers.

One run of an elementwise optimizer runs as Python floats through the same update code
(:mod:`optviz.engine_scalar`); an optimizer with ``Stepper.buffers`` (Adam) updates a batch in
place instead of allocating its state at every step.

Layout: the live (N, D) batch is kept in Fortran order (each coordinate one contiguous row of N),
and the recorded path is ``(K+1, D, N)``, so that broadcasting per-run hyperparameters, summing over
coordinates and recording a step all run over contiguous memory.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from optviz import background, engine_buffers, engine_scalar
from optviz.errors import HyperparameterError
from optviz.functions import TestFunction
from optviz.optim.base import Hyper, Stepper
from optviz.recording import LoopHeap, Recorder, StateRecord, StateRows, row_norm

__all__ = [
    "MAX_RECORD_BYTES",
    "Paths",
    "StateRecord",
    "check_budget",
    "clip_by_norm",
    "clip_by_value",
    "describe_bytes",
    "describe_seconds",
    "record_bytes",
    "row_norm",
    "simulate",
    "simulate_seconds",
]

Array = np.ndarray


# ------------------------------------------------------------------------------------------ budget

#: The most memory the recorded paths of one command may take: one call of
#: :func:`optviz.run_batch` (one ``optviz run``), or a whole sweep with its runs added up. Past it
#: the command is refused before anything is allocated, with the estimate and a fix.
MAX_RECORD_BYTES = 4_000_000_000
#: values per run and coordinate alive besides the recorded path: parameters, gradient, the
#: optimizer's state and the temporaries of one update
_LIVE_VALUES = 16
#: seconds of one update of :func:`simulate` whatever the number of runs, and per run on top
#: (measured on a 2-CPU machine: one run takes 1e5 to 2e5 updates a second, a batch 2e7 to 6e7
#: run-steps a second); estimates only, said as "about"
STEP_SECONDS = 1e-5
RUN_STEP_SECONDS = 5e-8
#: from this many coordinates in a batch (N·D), the norm of each recorded point's gradient is taken
#: in the loop, from the gradient the update uses; below, per block of recorded steps after it
LOOP_NORM_VALUES = 4096


def record_bytes(steps: int, n_runs: int, dim: int, *, every: int = 1, itemsize: int = 8) -> int:
    """Bytes :func:`simulate` allocates for ``n_runs`` runs of ``steps`` updates in ``dim``-D: the
    recorded points, loss and gradient norm, ``R·N·(D+2)`` values of ``itemsize`` bytes for the
    R recorded steps (every ``every``-th and the last), plus the live float64 state.

    Examples:
        >>> record_bytes(1_000_000, 500, 2) / 1e9  # --lr 500 times, --steps 1000000
        16.000144
        >>> record_bytes(1_000_000, 500, 2, every=10, itemsize=4) / 1e9
        0.800136
    """
    rows = len(range(0, steps + 1, every)) + (steps % every != 0)
    return n_runs * (itemsize * rows * (dim + 2) + 8 * _LIVE_VALUES * dim)


def simulate_seconds(steps: int, n_runs: int) -> float:
    """About how long :func:`simulate` takes for ``n_runs`` runs advanced together."""
    return steps * (STEP_SECONDS + n_runs * RUN_STEP_SECONDS)


def check_budget(nbytes: int, seconds: float, what: str, fix: str) -> None:
    """Refuse work whose recorded paths would take over :data:`MAX_RECORD_BYTES`.

    Raises:
        HyperparameterError: one line: ``{what} would record 16 GB of paths (about 1 min); the
            limit is 4 GB: {fix}``.
    """
    if nbytes > MAX_RECORD_BYTES:
        raise HyperparameterError(
            f"{what} would record {describe_bytes(nbytes)} of paths (about {describe_seconds(seconds)}); "
            f"the limit is {describe_bytes(MAX_RECORD_BYTES)}: {fix}"
        )


def describe_bytes(nbytes: float) -> str:
    """``16.0 GB``, ``512 MB`` (powers of 1000, as disks and ``free -h`` on most systems say)."""
    if nbytes >= 1e9:
        return f"{nbytes / 1e9:.1f} GB"
    return f"{max(nbytes, 1e6) / 1e6:.0f} MB"


def describe_seconds(seconds: float) -> str:
    """``3 s``, ``41 min``, ``2.5 h``."""
    if seconds < 60:
        return f"{max(seconds, 1):.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


# ------------------------------------------------------------------------------------------ engine


def clip_by_value(grad: Array, clip_value: float) -> Array:
    """torch.nn.utils.clip_grad_value_: clamp every coordinate to [-clip_value, clip_value]."""
    return np.clip(grad, -clip_value, clip_value)


def clip_by_norm(grad: Array, max_norm: float) -> Array:
    """torch.nn.utils.clip_grad_norm_ per run: ``g * min(1, max_norm / (||g||_2 + 1e-6))``."""
    norm = row_norm(grad)[..., None]
    return grad * np.minimum(1.0, max_norm / (norm + 1e-6))


@dataclass(frozen=True)
class Paths:
    """Raw output of :func:`simulate` for N runs of K steps.

    Rows from ``diverged_at`` on hold non-finite values; :class:`~optviz.trajectory.Trajectory`
    keeps only the finite ones.
    """

    points: Array  # (K+1, D, N): time-major, coordinate-major
    loss: Array  # (K+1, N)
    grad_norm: Array  # (K+1, N) norm of the full, exact gradient at each point
    diverged_at: Array  # (N,) int, -1 where the run stayed finite
    state: StateRecord | None = None  # with record_state=True
    lr: Array | None = None  # (K, N) the lr of each update, where it is not lr·multipliers[k]
    evaluations: Array | None = None  # (K, N) int: function evaluations of each update (L-BFGS)
    #: with ``record_every``: (R,) the recorded steps; rows, ``diverged_at``, ``lr`` and
    #: ``evaluations`` then follow them (see :func:`simulate`)
    steps_at: Array | None = None


def simulate(
    fn: TestFunction,
    stepper: Stepper,
    starts: Array,
    lr: Hyper,
    multipliers: Array,
    *,
    clip_value: float | None = None,
    clip_norm: float | None = None,
    noise: float = 0.0,
    batch_size: int | None = None,
    seed: int | None = 0,
    record_state: bool = False,
    offsets: Array | None = None,
    steppers: Callable[[int], Stepper] | None = None,
    plateau: Any = None,
    record_every: int = 1,
    record_dtype: Any = np.float64,
) -> Paths:
    """Advance N runs from ``starts`` (N, D) for ``len(multipliers)`` updates.

    Args:
        fn: the function whose gradient drives the runs.
        stepper: the optimizer (hyperparameters already broadcast to the batch).
        starts: (N, D) start points.
        lr: base learning rate, a float or an (N, 1) array.
        multipliers: (K,) schedule multipliers; update k uses ``lr * multipliers[k]``.
        clip_value: clamp each gradient coordinate (applied before ``clip_norm``).
        clip_norm: rescale each run's gradient to at most this norm.
        noise: standard deviation of Gaussian noise added to every gradient coordinate.
        batch_size: minibatch size for data losses (``fn.n_samples``), drawn without replacement.
        seed: seeds noise and minibatches. Every run of the batch sees the same draws (common
            random numbers), so a batch equals its runs made one at a time.
        record_state: also record the gradient, update, momentum buffer and effective step size
            of every update (:class:`StateRecord`); the path is the same bit for bit either way.
        offsets: (K,) absolute lrs added, ``lr * multipliers[k] + offsets[k]`` (``cyclic``,
            ``cosine_restarts``' eta_min); the lrs used are returned as ``Paths.lr``.
        steppers: update k uses ``steppers(k)`` (a schedule that sets the momentum or beta1 of
            each update: the same optimizer rebuilt with it); ``stepper`` makes the first state.
        plateau: a :class:`optviz.schedules.cycles.Plateau`: from update ``plateau.first`` on, the
            lr is each run's own, stepped after update k with the loss at ``points[k]``; the lrs
            used are returned as ``Paths.lr``.
        record_every: keep the points of steps 0, K, 2K, ... and the last (``Paths.steps_at``);
            ``diverged_at`` is then the first recorded step that is not finite, ``Paths.lr`` the
            lr of the update leaving each recorded point, ``Paths.evaluations`` summed between
            recorded points. The path itself is the same.
        record_dtype: keep points, loss and gradient norm in this dtype (float32 halves the
            memory); they are computed in float64 either way, and so is the finiteness check.

    Never raises on overflow: numpy's warnings are silenced and the divergence is recorded.
    A closure-driven stepper (L-BFGS) runs in :func:`_simulate_closure`.
    """
    if record_state and record_every != 1:
        raise HyperparameterError(
            "record_state keeps every update, record_every skips some: drop record_every (or the state panels)"
        )
    if stepper.closure_update is not None:
        if noise or (batch_size is not None and fn.batch_grad is not None) or steppers is not None:
            raise HyperparameterError(
                "lbfgs evaluates the loss itself, several times in each step: it takes no gradient noise, "
                "minibatches or momentum-cycling schedule; drop --noise, --batch-size or the cyclic/onecycle schedule"
            )
        recorder = Recorder(fn, len(multipliers), starts.shape[-1], len(starts), record_every, record_dtype)
        return _simulate_closure(
            fn, stepper, starts, lr, multipliers, clip_value, clip_norm, record_state, offsets, plateau, recorder
        )
    starts = np.asfortranarray(np.array(starts, dtype=float, ndmin=2))
    steps = len(multipliers)
    n_runs, dim = starts.shape
    use_batches = batch_size is not None and fn.batch_grad is not None
    # the loop's exact gradient gives each recorded point its gradient norm (not a minibatch's;
    # a few runs: one evaluation per block of steps costs fewer calls than a norm per step); a
    # large batch: its recorded blocks are evaluated on a second core while the loop goes on,
    # and the norms taken where that keeps both busy (``Recorder.loop_norms``)
    norms_here = not use_batches and n_runs * dim >= LOOP_NORM_VALUES
    aside = np.dtype(record_dtype) == np.float64 and background.usable(n_runs * dim)
    recorder = Recorder(fn, steps, dim, n_runs, record_every, record_dtype, grads=norms_here, background=aside)
    if n_runs == 1 and not (noise or batch_size or record_state or steppers or plateau) and isinstance(lr, float):
        scalar = _simulate_scalar(fn, stepper, starts, lr, multipliers, clip_value, clip_norm, offsets, recorder)
        if scalar is not None:
            return scalar
    if not isinstance(lr, float):
        lr = np.asarray(lr, dtype=float).reshape(-1, 1)
    rng = np.random.default_rng(seed) if (noise or batch_size) else None
    # and its loss, where the function computes both in one pass (sharing work between them)
    value_and_grad = fn.value_and_grad if norms_here else None
    params = starts
    state = stepper.init(params)
    last = steps
    record = StateRows(stepper, steps, dim, n_runs) if record_state else None
    control = None if plateau is None else plateau.start(lr, n_runs)
    used_lr = None if offsets is None and plateau is None else np.empty((steps, n_runs))
    every = recorder.every  # steps before the last are recorded when k % every == 0
    # one lr for every run: each update's, the same arithmetic for all steps at once (per-run
    # lrs are computed step by step: (N, K) values could be large)
    step_lrs = None
    if isinstance(lr, float) and isinstance(multipliers, np.ndarray):
        step_lrs = (lr * multipliers if offsets is None else lr * multipliers + offsets).tolist()  # floats: cheaper
    # the arrays the update writes into (``Stepper.buffers``): from the second step on, the
    # params and state it reads (before: a copy, where the state record needs the old params)
    with np.errstate(all="ignore"), LoopHeap(max(params.nbytes, recorder.evaluation_nbytes)):
        buffers = None if stepper.buffers is None else stepper.buffers(params)  # on the heap too
        with_spare = None if buffers is None else engine_buffers.with_spare(buffers)
        for k in range(steps):
            loss, recorded = None, k % every == 0
            if use_batches:
                grad = fn.batch_grad(params, rng.choice(fn.n_samples, size=batch_size, replace=False))
            elif value_and_grad is not None and recorded:
                loss, grad = value_and_grad(params)
            else:
                grad = fn.grad(params)
            if recorded:
                recorder.add(params, grad if recorder.loop_norms else None, loss)
            if noise:
                grad = grad + noise * rng.standard_normal((1, dim))
            if clip_value is not None:
                grad = clip_by_value(grad, clip_value)
            if clip_norm is not None:
                grad = clip_by_norm(grad, clip_norm)
            before = params if record is None or buffers is None else params.copy()
            if step_lrs is not None:
                step_lr = step_lrs[k]
            else:
                step_lr = lr * multipliers[k] if offsets is None else lr * multipliers[k] + offsets[k]
            if control is not None and k >= plateau.first:
                step_lr, at_loss = control.lr, fn.f(params)
            rule = stepper if steppers is None else steppers(k)
            if buffers is None:
                params, state = rule.update(grad, state, params, step_lr)
            elif with_spare is not None and record is None and engine_buffers.owned(grad, params):  # free to overwrite
                params, state = rule.update(grad, state, params, step_lr, with_spare(grad))
                grad = None  # let go before the next is made: the same memory again, still in cache
            else:
                params, state = rule.update(grad, state, params, step_lr, buffers)
            if used_lr is not None:
                used_lr[k] = np.broadcast_to(step_lr, (n_runs, 1))[:, 0]
            if control is not None and k >= plateau.first:
                control = plateau.step(control, at_loss)
            if record is not None:
                record.add(k, grad, params - before, state, step_lr)
            # every run gone non-finite: the rest would be NaN arithmetic, so stop early
            if k % 32 == 31 and not np.isfinite(params).any():
                last = k + 1
                break
        if recorder.wants(last):
            recorder.add(params)
        recorder.finish()
    if used_lr is not None and last < steps:
        used_lr[last:] = np.nan
    return _paths(recorder, None if record is None else record.done(), used_lr)


def _paths(recorder: Recorder, state: StateRecord | None, used_lr: Array | None, evaluations: Any = None) -> Paths:
    """The recorded arrays as :class:`Paths`; per-update arrays kept at the recorded updates
    (lrs) or summed between recorded points (evaluations) when recording is strided."""
    at = recorder.steps_at()
    if at is not None:
        used_lr = None if used_lr is None else used_lr[at[:-1]]
        evaluations = None if evaluations is None else np.add.reduceat(evaluations, at[:-1], axis=0)
    return Paths(
        recorder.points, recorder.loss, recorder.grad_norm, recorder.diverged_at(), state, used_lr, evaluations, at
    )


def _simulate_scalar(
    fn: TestFunction,
    stepper: Stepper,
    starts: Array,
    lr: float,
    multipliers: Array,
    clip_value: float | None,
    clip_norm: float | None,
    offsets: Array | None,
    recorder: Recorder,
) -> Paths | None:
    """:func:`simulate` for one run of an elementwise optimizer, its coordinates as Python floats
    (:mod:`optviz.engine_scalar`); the same path bit for bit. ``None`` where it does not apply."""
    scalar = engine_scalar.scalar_stepper(stepper)
    if scalar is None:
        return None
    used = lr * multipliers if offsets is None else lr * multipliers + offsets

    def grad_of(x: Array) -> Array:
        grad = fn.grad(x)
        if clip_value is not None:
            grad = clip_by_value(grad, clip_value)
        return grad if clip_norm is None else clip_by_norm(grad, clip_norm)

    if clip_value is None and clip_norm is None:
        grad_of = fn.grad  # one call less per step

    with np.errstate(all="ignore"):
        done = engine_scalar.run_scalar(scalar, grad_of, starts[0], used.tolist(), recorder.every)
        if done is None:
            return None
        rows, _, last = done
        recorder.add_rows(np.array(rows)[:, :, None])
        recorder.finish()
    used_lr = None
    if offsets is not None:
        used_lr = used.reshape(-1, 1).copy()
        used_lr[last:] = np.nan
    return _paths(recorder, None, used_lr)


def _simulate_closure(
    fn: TestFunction,
    stepper: Stepper,
    starts: Array,
    lr: Hyper,
    multipliers: Array,
    clip_value: float | None,
    clip_norm: float | None,
    record_state: bool,
    offsets: Array | None,
    plateau: Any,
    recorder: Recorder,
) -> Paths:
    """:func:`simulate` for a stepper that evaluates the function inside its step: update k is
    ``stepper.closure_update(evaluate, ...)``, whose evaluations (clipping applied to each
    gradient) are counted in ``Paths.evaluations`` and whose inner points, with ``record_state``,
    are kept as ``StateRecord.inner`` (K, I, D, N)."""
    starts = np.array(starts, dtype=float, ndmin=2)
    steps = len(multipliers)
    n_runs, dim = starts.shape
    evaluations = np.zeros((steps, n_runs), dtype=np.int64)
    recorder.add(starts)
    if not isinstance(lr, float):
        lr = np.asarray(lr, dtype=float).reshape(-1, 1)

    def evaluate(x: Array) -> tuple[Array, Array]:
        grad = fn.grad(x)
        if clip_value is not None:
            grad = clip_by_value(grad, clip_value)
        if clip_norm is not None:
            grad = clip_by_norm(grad, clip_norm)
        return fn.f(x), grad

    params, state = starts, stepper.init(starts)
    record = StateRows(stepper, steps, dim, n_runs) if record_state else None
    inner: list[Array] = []
    control = None if plateau is None else plateau.start(lr, n_runs)
    used_lr = None if offsets is None and plateau is None else np.empty((steps, n_runs))
    with np.errstate(all="ignore"):
        for k in range(steps):
            before = params
            step_lr = lr * multipliers[k] if offsets is None else lr * multipliers[k] + offsets[k]
            if control is not None and k >= plateau.first:
                step_lr, at_loss = control.lr, fn.f(params)
            params, state = stepper.closure_update(evaluate, state, params, step_lr)
            if recorder.wants(k + 1):
                recorder.add(params)
            evaluations[k] = state.evaluations
            if used_lr is not None:
                used_lr[k] = np.broadcast_to(step_lr, (n_runs, 1))[:, 0]
            if control is not None and k >= plateau.first:
                control = plateau.step(control, at_loss)
            if record is not None:
                record.add(k, evaluate(before)[1], params - before, state, step_lr)
                inner.append(state.iterates.transpose(1, 2, 0))
        recorder.finish()
    state_record = None
    if record is not None:
        width = max((a.shape[0] for a in inner), default=0)
        padded = np.full((steps, width, dim, n_runs), np.nan)
        for k, iterates in enumerate(inner):
            padded[k, : iterates.shape[0]] = iterates
        state_record = dataclasses.replace(record.done(), inner=padded)
    return _paths(recorder, state_record, used_lr, evaluations)
