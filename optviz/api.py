"""The public entry points: :func:`run` one optimizer, :func:`run_batch` many runs as one array."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from optviz import engine, schedules
from optviz import spec as spec_parser
from optviz.errors import HyperparameterError, SpecError
from optviz.functions import TestFunction
from optviz.functions import get as get_function
from optviz.optim.registry import OptimizerEntry, resolve
from optviz.trajectory import Trajectory, TrajectoryBatch

__all__ = ["MAX_STEPS", "check_steps", "run", "run_batch"]

#: the most updates one run may take (a path of 1e6 points is already 16 MB per run)
MAX_STEPS = 1_000_000
#: start points farther than this from the origin are taken for typos
MAX_START = 1e8


def run(
    fn: str | TestFunction = "ravine",
    opt: str = "gd",
    lr: float | None = None,
    steps: int = 50,
    start: Any = None,
    *,
    schedule: str | None = None,
    clip_norm: float | None = None,
    clip_value: float | None = None,
    noise: float = 0.0,
    batch_size: int | None = None,
    seed: int | None = 0,
    **hyper: Any,
) -> Trajectory:
    """Run one optimizer on one function and return its trajectory.

    Args:
        fn: function spec (``"ravine"``, ``"ravine(angle=30)"``) or a TestFunction.
        opt: optimizer spec (``"adam"``, ``"sgd(momentum=0.5)"``, ``"adam(lr=0.1, amsgrad=true)"``).
        lr: learning rate, unless the spec gives one (default: torch's default for the optimizer).
        steps: number of updates (default: 50).
        start: start point (default: the function's own), a sequence or a string ``"-5,-2"``.
        schedule: ``"step(step_size=10, gamma=0.5)"``, ``"exponential(gamma=0.95)"``,
            ``"cosine"``, ``"warmup(steps=5)"`` or ``"warmup(steps=5)+cosine"``.
        clip_norm: torch's ``clip_grad_norm_`` max norm.
        clip_value: torch's ``clip_grad_value_`` clip value (applied before ``clip_norm``).
        noise: standard deviation of Gaussian noise added to the gradient.
        batch_size: minibatch size for data losses (``thermometer``).
        seed: seeds the noise and the minibatches (same seed, same path).
        **hyper: optimizer hyperparameters with torch's names (``momentum=0.9``, ``betas=(0.8, 0.99)``).

    Returns:
        A :class:`Trajectory`; a run that overflows stops at its last finite point with
        ``diverged_at`` set. It never raises for that.

    Raises:
        OptvizError: for bad input (unknown names, bad values), with a message that says the fix.

    Examples:
        >>> traj = run("square", "gd", lr=0.2, steps=10, start=10)
        >>> print(f"{traj.final[0]:f}")
        0.060466
        >>> run("ravine", "adam", lr=0.16, steps=50, betas=(0.9, 0.999)).points.shape
        (51, 2)
    """
    batch = run_batch(
        fn,
        [opt],
        None if lr is None else [lr],
        steps,
        None if start is None else [start],
        schedule=schedule,
        clip_norm=clip_norm,
        clip_value=clip_value,
        noise=noise,
        batch_size=batch_size,
        seed=seed,
        **hyper,
    )
    return batch[0]


@dataclass(frozen=True)
class _Series:
    """One optimizer spec at one learning rate; it is run from every start point."""

    entry: OptimizerEntry
    opt: str
    options: dict[str, Any]
    lr: float


def run_batch(
    fn: str | TestFunction = "ravine",
    opt: str | Sequence[str] = "gd",
    lr: float | Sequence[float] | None = None,
    steps: int = 50,
    start: Any = None,
    *,
    schedule: str | None = None,
    clip_norm: float | None = None,
    clip_value: float | None = None,
    noise: float = 0.0,
    batch_size: int | None = None,
    seed: int | None = 0,
    **hyper: Any,
) -> TrajectoryBatch:
    """Run every optimizer × learning rate × start point on one function, advancing runs that
    share an update rule as one (N, D) array.

    Args:
        opt: one spec or a list of specs.
        lr: one value, a list, or ``None`` (each spec's own lr, else torch's default). A spec that
            names its own lr is run once with it.
        start: one point, a list of points or an (M, D) array (e.g. a 200×200 grid), or ``None``.
        **hyper: hyperparameters for every optimizer; ``"adam.betas"`` style keys (passed as
            ``**{"adam.betas": (0.8, 0.99)}``) apply to one optimizer only.

    The other arguments are :func:`run`'s. Runs come out in the order opt × lr × start.

    Examples:
        >>> import numpy as np
        >>> grid = np.stack(np.meshgrid(np.linspace(-2, 2, 5), np.linspace(-2, 2, 5)), -1).reshape(-1, 2)
        >>> batch = run_batch("himmelblau", "adam", lr=0.1, steps=200, start=grid)
        >>> len(batch), batch.points.shape
        (25, (25, 201, 2))
    """
    fn = get_function(fn)
    steps = check_steps(steps)
    _check_optional_positive("clip_norm", clip_norm)
    _check_optional_positive("clip_value", clip_value)
    noise = _check_noise(noise)
    batch_size = _check_batch_size(fn, batch_size)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0):
        raise HyperparameterError(f"seed={seed!r} must be a whole number >= 0, e.g. --seed 0")
    multipliers = schedules.multipliers(schedules.parse(schedule, steps), steps)
    starts = _parse_starts(fn, start)
    series = _expand([opt] if isinstance(opt, str) else list(opt), lr, hyper)
    common = {
        "fn": fn.spec,
        "steps": steps,
        "schedule": schedule,
        "clip_norm": clip_norm,
        "clip_value": clip_value,
        "noise": noise,
        "batch_size": batch_size,
        "seed": seed,
    }
    n_starts, n_runs = len(starts), len(series) * len(starts)
    results = []
    for members, stepper, lr_hyper in _groups(series, n_starts):
        paths = engine.simulate(
            fn,
            stepper,
            np.tile(starts, (len(members), 1)),
            lr_hyper,
            multipliers,
            clip_value=clip_value,
            clip_norm=clip_norm,
            noise=noise,
            batch_size=batch_size,
            seed=seed,
        )
        results.append((np.concatenate([np.arange(m * n_starts, (m + 1) * n_starts) for m in members]), paths))
    if len(results) == 1:
        paths = results[0][1]  # one update rule: the engine's arrays as they are, no copy
    else:
        paths = _gather(results, n_runs)
    # time-major arrays seen run-major through transposed views (no copy)
    return TrajectoryBatch(
        paths.points.transpose(2, 0, 1),
        paths.loss.T,
        paths.grad_norm.T,
        paths.diverged_at,
        tuple({**common, "opt": s.opt, "optimizer": s.entry.name, "lr": s.lr, "hyper": s.options} for s in series),
        np.repeat(np.arange(len(series)), n_starts),
        np.repeat([s.lr for s in series], n_starts),
        multipliers,
    )


def _gather(results: list[tuple[np.ndarray, engine.Paths]], n_runs: int) -> engine.Paths:
    """Put each group's runs back in their places in the batch."""
    first = results[0][1]
    points = np.empty((*first.points.shape[:2], n_runs))
    loss, grad_norm = np.empty((len(points), n_runs)), np.empty((len(points), n_runs))
    diverged_at = np.empty(n_runs, dtype=int)
    for rows, paths in results:
        points[:, :, rows], loss[:, rows], grad_norm[:, rows] = paths.points, paths.loss, paths.grad_norm
        diverged_at[rows] = paths.diverged_at
    return engine.Paths(points, loss, grad_norm, diverged_at)


def _expand(opts: list[str], lr: Any, hyper: dict[str, Any]) -> list[_Series]:
    """One series per optimizer spec and learning rate, validated."""
    lrs = None if lr is None else [_check_lr(v) for v in (lr if isinstance(lr, (list, tuple, np.ndarray)) else [lr])]
    names = [spec_parser.parse(opt)[0] for opt in opts]
    unknown_targets = {k.split(".", 1)[0] for k in hyper if "." in k} - set(names)
    if unknown_targets:
        raise SpecError(
            f"-p {sorted(unknown_targets)[0]}.KEY names an optimizer that is not being run; "
            f"use one of {', '.join(sorted(set(names)))}"
        )
    series = []
    for opt, name in zip(opts, names, strict=True):
        overrides = {k: v for k, v in hyper.items() if "." not in k}
        overrides.update({k.split(".", 1)[1]: v for k, v in hyper.items() if k.split(".", 1)[0] == name and "." in k})
        entry, options = resolve(opt, overrides)
        spec_lr = options.pop("lr", None)
        try:
            entry.build(**options)  # validate once, with this spec's own values
        except HyperparameterError as exc:
            raise HyperparameterError(f"{opt}: {exc}") from None
        run_lrs = [_check_lr(spec_lr)] if spec_lr is not None else (lrs or [entry.lr])
        series += [_Series(entry, opt, options, lr_value) for lr_value in run_lrs]
    if not series:
        raise SpecError("nothing to run: give at least one optimizer, e.g. --opt adam")
    return series


def _groups(series: list[_Series], n_starts: int):
    """Split series into groups that share one update rule (same optimizer and flags); numbers
    that differ across a group's runs become per-run arrays. Yields (member indices, stepper, lr)."""
    groups: dict[tuple, list[int]] = {}
    for i, s in enumerate(series):
        flags = tuple(sorted((k, v) for k, v in s.options.items() if isinstance(v, bool)))
        groups.setdefault((s.entry.name, flags), []).append(i)
    for (_, flags), members in groups.items():
        entry = series[members[0]].entry
        keys = {k for i in members for k, v in series[i].options.items() if not isinstance(v, bool)}
        options: dict[str, Any] = dict(flags)
        for key in keys:
            options[key] = _stack([series[i].options.get(key, entry.defaults[key]) for i in members], n_starts)
        yield members, entry.build(**options), _stack([series[i].lr for i in members], n_starts)


def _stack(values: list[Any], repeat: int) -> Any:
    """One value if all series agree, else per-run arrays (each series' value repeated for its
    ``repeat`` starts): ``(N,)``, or for pairs like betas a pair of ``(N,)``."""
    if all(type(v) is type(values[0]) and v == values[0] for v in values):
        return float(values[0]) if isinstance(values[0], numbers.Real) else values[0]
    if isinstance(values[0], (tuple, list)):
        return tuple(np.repeat([float(v[j]) for v in values], repeat) for j in range(len(values[0])))
    return np.repeat([float(v) for v in values], repeat)


def _parse_starts(fn: TestFunction, start: Any) -> np.ndarray:
    """Start points as an (M, D) float array, checked: one point, a list of points or an array."""
    if start is None:
        return np.array([fn.start], dtype=float)
    if isinstance(start, str):
        return np.array([spec_parser.parse_point(start, fn.dim)])
    try:
        array = np.asarray(start, dtype=float)
    except (TypeError, ValueError):
        array = None
    if array is None or array.ndim > 2 or array.size == 0:
        points = np.array([spec_parser.parse_point(p, fn.dim) for p in start])  # raises the precise error
    elif array.ndim == 2:
        points = array
    elif array.ndim == 1 and fn.dim == 1:
        points = array[:, None]  # 1-D function: each number is a start
    else:
        points = array.reshape(1, -1)
    if points.shape[1] != fn.dim:
        spec_parser.parse_point(tuple(points[0]), fn.dim)  # raises the dimension error
    if not np.isfinite(points).all():
        raise SpecError(f"start points must be finite numbers; got {points[~np.isfinite(points).all(1)][0].tolist()}")
    if np.abs(points).max() > MAX_START:
        raise SpecError(f"start point is implausibly far from the origin (> {MAX_START:g}); check its coordinates")
    return points


def _check_lr(lr: Any) -> float:
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not math.isfinite(lr) or lr <= 0:
        raise HyperparameterError(f"invalid learning rate lr={lr!r}: it must be a finite number > 0, e.g. --lr 0.1")
    return float(lr)


def check_steps(steps: Any) -> int:
    """``steps`` as an int from 1 to :data:`MAX_STEPS`, or a :class:`HyperparameterError`."""
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or not 1 <= steps <= MAX_STEPS:
        raise HyperparameterError(f"steps={steps!r} must be a whole number from 1 to {MAX_STEPS}, e.g. --steps 50")
    return int(steps)


def _check_optional_positive(name: str, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value <= 0:
        raise HyperparameterError(f"{name}={value!r} must be a finite number > 0, e.g. --{name.replace('_', '-')} 1.0")


def _check_noise(noise: Any) -> float:
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real) or not math.isfinite(noise) or noise < 0:
        raise HyperparameterError(
            f"noise={noise!r} must be a finite number >= 0 (a standard deviation), e.g. --noise 0.5"
        )
    return float(noise)


def _check_batch_size(fn: TestFunction, batch_size: Any) -> int | None:
    if batch_size is None:
        return None
    if fn.n_samples is None:
        raise HyperparameterError(
            f"batch_size needs a data loss such as thermometer; {fn.name} is an analytic function (use --noise instead)"
        )
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, numbers.Integral)
        or not 1 <= batch_size <= fn.n_samples
    ):
        raise HyperparameterError(
            f"batch_size={batch_size!r} must be a whole number from 1 to {fn.n_samples} for {fn.name}"
        )
    return int(batch_size)
