"""The batched loop: gradient → noise → clip → optimizer step → schedule, for N runs at once.

Divergence is found after the loop rather than masked inside it: a parameter that turns non-finite
stays non-finite (inf and NaN propagate through every update), so the first non-finite row of the
recorded path is where the run diverged, and the hot loop stays free of bookkeeping.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optviz.functions import TestFunction
from optviz.optim.base import Hyper, Stepper

__all__ = ["Paths", "clip_by_norm", "clip_by_value", "simulate"]

Array = np.ndarray

#: rows of (step, run) pairs evaluated at once when computing losses and gradient norms afterwards
_CHUNK_ROWS = 1 << 18


def clip_by_value(grad: Array, clip_value: float) -> Array:
    """torch.nn.utils.clip_grad_value_: clamp every coordinate to [-clip_value, clip_value]."""
    return np.clip(grad, -clip_value, clip_value)


def clip_by_norm(grad: Array, max_norm: float) -> Array:
    """torch.nn.utils.clip_grad_norm_ per run: ``g * min(1, max_norm / (||g||_2 + 1e-6))``."""
    norm = np.sqrt((grad * grad).sum(-1, keepdims=True))
    return grad * np.minimum(1.0, max_norm / (norm + 1e-6))


@dataclass(frozen=True)
class Paths:
    """Raw output of :func:`simulate` for N runs of K steps.

    Rows from ``diverged_at`` on hold non-finite values; :class:`~optviz.trajectory.Trajectory`
    keeps only the finite ones.
    """

    points: Array  # (K+1, N, D)
    loss: Array  # (K+1, N)
    grad_norm: Array  # (K+1, N) norm of the full, exact gradient at each point
    lr: Array  # (K, N) lr used by update k
    diverged_at: Array  # (N,) int, -1 where the run stayed finite


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

    Never raises on overflow: numpy's warnings are silenced and the divergence is recorded.
    """
    starts = np.array(starts, dtype=float, ndmin=2)
    steps = len(multipliers)
    n_runs, dim = starts.shape
    points = np.empty((steps + 1, n_runs, dim))
    points[0] = starts
    lr_column = np.broadcast_to(np.asarray(lr, dtype=float).reshape(-1, 1), (n_runs, 1))
    lrs = multipliers[:, None] * lr_column[:, 0]  # (K, N)
    scalar_lr = isinstance(lr, float)
    rng = np.random.default_rng(seed) if (noise or batch_size) else None
    use_batches = batch_size is not None and fn.batch_grad is not None
    params = starts
    state = stepper.init(params)
    last = steps
    with np.errstate(all="ignore"):
        for k in range(steps):
            if use_batches:
                grad = fn.batch_grad(params, rng.choice(fn.n_samples, size=batch_size, replace=False))
            else:
                grad = fn.grad(params)
            if noise:
                grad = grad + noise * rng.standard_normal((1, dim))
            if clip_value is not None:
                grad = clip_by_value(grad, clip_value)
            if clip_norm is not None:
                grad = clip_by_norm(grad, clip_norm)
            step_lr = lr * multipliers[k] if scalar_lr else lrs[k, :, None]
            params, state = stepper.update(grad, state, params, step_lr)
            points[k + 1] = params
            # every run gone non-finite: the rest would be NaN arithmetic, so stop early
            if k % 32 == 31 and not np.isfinite(params).any():
                last = k + 1
                break
        points[last + 1 :] = np.nan
        loss, grad_norm = _evaluate(fn, points)
    finite = np.isfinite(points).all(-1) & np.isfinite(loss)
    diverged_at = np.where(finite.all(0), -1, np.argmin(finite, axis=0))
    return Paths(points, loss, grad_norm, lrs, diverged_at)


def _evaluate(fn: TestFunction, points: Array) -> tuple[Array, Array]:
    """Loss and exact gradient norm at every recorded point, in large chunks."""
    flat = points.reshape(-1, points.shape[-1])
    loss = np.empty(len(flat))
    grad_norm = np.empty(len(flat))
    for lo in range(0, len(flat), _CHUNK_ROWS):
        chunk = flat[lo : lo + _CHUNK_ROWS]
        loss[lo : lo + _CHUNK_ROWS] = fn.f(chunk)
        grad = fn.grad(chunk)
        grad_norm[lo : lo + _CHUNK_ROWS] = np.sqrt((grad * grad).sum(-1))
    return loss.reshape(points.shape[:2]), grad_norm.reshape(points.shape[:2])
