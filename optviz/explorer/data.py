"""The page's data: runs as float32 arrays in base64, sampled at shared steps, with the map and
the sweep's axes; its schema is written in :mod:`optviz.explorer`.

Everything here is deterministic (no time, no random names), so the same runs make the same page
byte for byte.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from optviz.trajectory import Trajectory

__all__ = ["FORMAT", "MAX_SAMPLES", "VERSION", "encode", "run_data", "sample_steps"]

FORMAT = "optviz-explorer"
VERSION = 1
#: a run keeps at most this many steps after its start: every k-th step (and its last) when it
#: takes more, so 1000 runs of any length stay under 5 MB
MAX_SAMPLES = 200
#: float32's largest finite value: larger values (a diverging run's last points) are clipped to it
_F32_MAX = float(np.finfo(np.float32).max)


def sample_steps(steps: int, max_samples: int = MAX_SAMPLES) -> np.ndarray:
    """The recorded steps: ``0, k, 2k, ...`` and ``steps``, with ``k`` the smallest stride that
    keeps at most ``max_samples`` steps after the start.

    Examples:
        >>> sample_steps(5).tolist()
        [0, 1, 2, 3, 4, 5]
        >>> sample_steps(1000, 4).tolist()
        [0, 250, 500, 750, 1000]
        >>> sample_steps(10, 4).tolist()
        [0, 3, 6, 9, 10]
    """
    stride = max(1, math.ceil(steps / max_samples))
    return np.unique(np.append(np.arange(0, steps + 1, stride), steps)).astype(np.int64)


def encode(values: np.ndarray) -> str:
    """Little-endian float32 in base64 (what ``new Float32Array(bytes.buffer)`` reads); values
    past float32's range are clipped to its largest, NaN stays NaN."""
    values = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        clipped = np.clip(values, -_F32_MAX, _F32_MAX)
    return base64.b64encode(clipped.astype("<f4").tobytes()).decode("ascii")


def _run_samples(traj: Trajectory, steps: np.ndarray) -> np.ndarray:
    """The indices of ``traj``'s points kept: the shared steps it reached, and its own last one."""
    end = len(traj.points) - 1
    kept = steps[steps <= end]
    return kept if len(kept) and kept[-1] == end else np.append(kept, end).astype(np.int64)


def run_data(runs: Sequence[Trajectory], total: int) -> tuple[list[int], dict[str, Any]]:
    """The ``steps`` and ``runs`` parts of the page's data for ``runs`` (in the page's order)."""
    steps = sample_steps(total)
    counts, ends, diverged, base_lr, final = [], [], [], [], []
    points, loss, grad_norm, lrs = [], [], [], []
    varying = False
    for traj in runs:
        keep = _run_samples(traj, steps)
        counts.append(len(keep))
        ends.append(int(keep[-1]))
        diverged.append(traj.diverged_at)
        points.append(traj.points[keep])
        loss.append(traj.loss[keep])
        grad_norm.append(traj.grad_norm[keep])
        lr = np.asarray(traj.lr, dtype=float)
        base = float(traj.settings.get("lr", lr[0] if len(lr) else math.nan))
        base_lr.append(base)
        varying = varying or bool(len(lr) and np.any(lr != base))
        # lr[k] is the rate update k uses; the last point has none when the run took every step
        lrs.append(np.array([lr[k] if k < len(lr) else math.nan for k in keep]))
        final.append(float(traj.final_loss) if len(traj.loss) else math.nan)
    data = {
        "count": counts,
        "end": ends,
        "diverged": diverged,
        "base_lr": [_number(v) for v in base_lr],
        "final_loss": [_number(v) for v in final],
        "points": encode(np.concatenate(points).reshape(-1)),
        "loss": encode(np.concatenate(loss)),
        "grad_norm": encode(np.concatenate(grad_norm)),
        "lr": encode(np.concatenate(lrs)) if varying else None,
    }
    return steps.tolist(), data


def _number(value: float) -> float | None:
    """A JSON number: ``None`` (null) for NaN and infinities, which JSON cannot write."""
    value = float(value)
    return value if math.isfinite(value) else None
