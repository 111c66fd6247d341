"""The public entry points: :func:`run` one optimizer, :func:`run_batch` many runs as one array."""

from __future__ import annotations

import dataclasses
import functools
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from optviz import engine, schedules
from optviz import spec as spec_parser
from optviz.errors import HyperparameterError, SpecError
from optviz.functions import TestFunction
from optviz.settings import (
    MAX_STEPS,
    RunSettings,
    check_lr,
    check_starts,
    check_targets,
    hyper_for,
    settings_of,
)
from optviz.trajectory import Trajectory, TrajectoryBatch

__all__ = ["MAX_STEPS", "check_budget", "expand", "run", "run_batch", "run_settings"]

#: fields that run() and run_batch() take as their own arguments (or, for hyper, as **options)
_PER_RUN = ("fn", "opt", "lr", "steps", "start", "hyper")


def run(
    fn: str | TestFunction = "ravine",
    opt: str = "gd",
    lr: float | None = None,
    steps: int = 50,
    start: Any = None,
    **options: Any,
) -> Trajectory:
    """Run one optimizer on one function and return its trajectory.

    Args:
        fn: function spec (``"ravine"``, ``"ravine(angle=30)"``) or a TestFunction.
        opt: optimizer spec (``"adam"``, ``"sgd(momentum=0.5)"``, ``"adam(lr=0.1, amsgrad=true)"``).
        lr: learning rate, unless the spec gives one (default: torch's default for the optimizer).
        steps: number of updates (default: 50).
        start: start point (default: the function's own), a sequence or a string ``"-5,-2"``.
        **options: any other field of :class:`~optviz.settings.RunSettings`: ``schedule``
            (``"cosine"``, ``"step(step_size=10, gamma=0.5)"``, ``"warmup(steps=5)+cosine"``),
            ``clip_norm`` and ``clip_value`` (torch's ``clip_grad_norm_`` / ``clip_grad_value_``),
            ``noise`` (std of Gaussian gradient noise), ``batch_size`` (minibatches of a data
            loss), ``seed``; every other keyword is an optimizer hyperparameter with torch's
            name (``momentum=0.9``, ``betas=(0.8, 0.99)``). ``record_state=True`` also records
            the optimizer's state by update (``traj.state``: ``grad``, ``update``, ``momentum``,
            ``effective_lr``) without changing the path.

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
    batch = run_batch(fn, [opt], None if lr is None else [lr], steps, None if start is None else [start], **options)
    return batch[0]


def run_batch(
    fn: str | TestFunction = "ravine",
    opt: str | Sequence[str] = "gd",
    lr: float | Sequence[float] | None = None,
    steps: int = 50,
    start: Any = None,
    **options: Any,
) -> TrajectoryBatch:
    """Run every optimizer × learning rate × start point on one function, advancing runs that
    share an update rule as one (N, D) array.

    Args:
        opt: one spec or a list of specs.
        lr: one value, a list, or ``None`` (each spec's own lr, else torch's default). A spec that
            names its own lr is run once with it.
        start: one point, a list of points or an (M, D) array (e.g. a 200×200 grid), or ``None``.
        **options: :func:`run`'s; hyperparameters apply to every optimizer, and
            ``"adam.betas"`` style keys (passed as ``**{"adam.betas": (0.8, 0.99)}``) to one.

    The other arguments are :func:`run`'s. Runs come out in the order opt × lr × start.

    Raises:
        HyperparameterError: the paths would take over :data:`~optviz.engine.MAX_RECORD_BYTES`
            (4 GB; about ``(steps + 1) × runs × (D + 2) × 8`` bytes), before anything is allocated.

    Examples:
        >>> import numpy as np
        >>> grid = np.stack(np.meshgrid(np.linspace(-2, 2, 5), np.linspace(-2, 2, 5)), -1).reshape(-1, 2)
        >>> batch = run_batch("himmelblau", "adam", lr=0.1, steps=200, start=grid)
        >>> len(batch), batch.points.shape
        (25, (25, 201, 2))
    """
    record_state = bool(options.pop("record_state", False))
    fields = settings_of(RunSettings)
    common = {k: options.pop(k) for k in list(options) if k in fields and k not in _PER_RUN}
    runs = expand(fn, [opt] if isinstance(opt, str) else list(opt), lr, steps=steps, hyper=options, **common)
    return run_settings(runs, check_starts(runs[0].fn, start), record_state=record_state)


def expand(
    fn: Any, opts: Sequence[Any], lr: Any = None, *, hyper: dict[str, Any] | None = None, **common: Any
) -> list[RunSettings]:
    """One checked :class:`RunSettings` per optimizer spec and learning rate (start points aside).

    ``hyper`` keys apply to every optimizer, or with ``"adam.betas"`` to one. A spec that names its
    own lr is run once, with it.
    """
    hyper = dict(hyper or {})
    first = RunSettings(fn=fn, **common)  # checks the shared settings once, and parses fn
    if not opts:
        raise SpecError("nothing to run: give at least one optimizer, e.g. --opt adam")
    lrs = None if lr is None else list(lr) if isinstance(lr, (list, tuple, np.ndarray)) else [lr]
    # the name picks the "adam.betas" keys; a spec that does not parse fails in its record below
    names = [spec_parser.parse(opt)[0] if isinstance(opt, str) else "" for opt in opts]
    check_targets(hyper, names)
    runs = []
    for opt, name in zip(opts, names, strict=True):
        if lrs is not None and len(lrs) == 1 and _valid_lr(lrs[0]):
            # one record, not two: the lr a spec names itself wins over the one given either way
            runs.append(dataclasses.replace(first, opt=opt, hyper=hyper_for(hyper, name), lr=lrs[0]))
            continue
        series = dataclasses.replace(first, opt=opt, hyper=hyper_for(hyper, name), lr=None)
        if series.opt.lr is not None or not lrs:
            runs.append(series)
        else:
            runs += [dataclasses.replace(series, lr=value) for value in lrs]
    return runs


def _valid_lr(lr: Any) -> bool:
    try:
        check_lr(lr)
    except HyperparameterError:
        return False
    return True


def run_settings(runs: Sequence[RunSettings], starts: np.ndarray, record_state: bool = False) -> TrajectoryBatch:
    """Run every :class:`RunSettings` from every start point; runs that share an update rule advance
    as one (N, D) array. ``runs`` must agree on everything but ``opt``, ``hyper`` and ``lr``.
    ``record_state`` also records the optimizer's state (:class:`~optviz.engine.StateRecord`),
    kept as ``batch.state``; the paths are the same bit for bit.

    Raises:
        HyperparameterError: the recorded paths would take over
            :data:`~optviz.engine.MAX_RECORD_BYTES` (checked before anything is allocated).
    """
    first = runs[0]
    n_starts, n_runs = len(starts), len(runs) * len(starts)
    groups = _group_members(runs)
    sizes = [len(members) * n_starts for members in groups.values()]
    itemsize = np.dtype(first.record_dtype).itemsize
    check_budget(first.steps, sizes, starts.shape[1], every=first.record_every, itemsize=itemsize)
    paths = None
    state: dict[str, np.ndarray] | None = {} if record_state else None
    evaluations = None  # (K, N) function evaluations per update, when a group counts them (L-BFGS)
    for members, stepper, lr_hyper, rebuild in _groups(runs, groups, n_starts):
        steppers = _momentum_steppers(rebuild, first.schedule.momentum)
        group = engine.simulate(
            first.fn,
            stepper if steppers is None else steppers(0),
            np.tile(starts, (len(members), 1)),
            lr_hyper,
            first.multipliers,
            clip_value=first.clip_value,
            clip_norm=first.clip_norm,
            noise=first.noise,
            batch_size=first.batch_size,
            seed=first.seed,
            record_state=record_state,
            offsets=first.schedule.offsets,
            steppers=steppers,
            plateau=first.schedule.plateau,
            record_every=first.record_every,
            record_dtype=np.dtype(first.record_dtype),
        )
        rows = np.concatenate([np.arange(m * n_starts, (m + 1) * n_starts) for m in members])
        if state is not None and group.state is not None:
            _place_state(state, rows, group.state, n_runs)
        if group.evaluations is not None:
            if evaluations is None:  # the other optimizers evaluate the gradient once per update
                per_row = (
                    np.ones(len(group.evaluations), np.int64) if group.steps_at is None else np.diff(group.steps_at)
                )
                evaluations = np.repeat(per_row[:, None], n_runs, axis=1)
            evaluations[:, rows] = group.evaluations
        if len(groups) == 1:
            paths = group  # one update rule: the engine's arrays as they are, no copy
        else:  # each group's runs put in their places as soon as it is done, then dropped
            paths = _place(paths, rows, group, n_runs)
        del group
    # time-major arrays seen run-major through transposed views (no copy)
    return TrajectoryBatch(
        paths.points.transpose(2, 0, 1),
        paths.loss.T,
        paths.grad_norm.T,
        paths.diverged_at,
        tuple(run.summary() for run in runs),
        np.repeat(np.arange(len(runs)), n_starts),
        np.repeat([run.lr for run in runs], n_starts),
        first.multipliers,
        None if state is None else {name: np.moveaxis(values, -1, 0) for name, values in state.items()},
        None if paths.lr is None else paths.lr.T,
        evaluations=None if evaluations is None else evaluations.T,
        steps_at=paths.steps_at,
    )


def _place_state(state: dict[str, np.ndarray], rows: np.ndarray, record: engine.StateRecord, n_runs: int) -> None:
    """Put a group's recorded state in its places, ``(K, D, N)`` per name (L-BFGS's ``inner``
    ``(K, I, D, N)``, NaN-padded to the widest group); NaN where a group's optimizer has no such
    buffer."""
    for name in ("grad", "update", "momentum", "effective_lr", "ax", "inner"):
        values = getattr(record, name)
        if values is None:
            continue
        if name not in state:
            state[name] = np.full((*values.shape[:-1], n_runs), np.nan)
        elif state[name].shape[:-1] != values.shape[:-1]:  # inner points of groups with other max_iter
            width = max(state[name].shape[1], values.shape[1])
            state[name], values = _widen(state[name], width), _widen(values, width)
        state[name][..., rows] = values


def _widen(values: np.ndarray, width: int) -> np.ndarray:
    """``values`` NaN-padded along axis 1 to ``width``."""
    if values.shape[1] == width:
        return values
    wide = np.full((values.shape[0], width, *values.shape[2:]), np.nan)
    wide[:, : values.shape[1]] = values
    return wide


def check_budget(steps: int, group_sizes: Sequence[int], dim: int, *, every: int = 1, itemsize: int = 8) -> None:
    """Refuse a batch whose recorded paths would take over :data:`~optviz.engine.MAX_RECORD_BYTES`:
    each group's arrays, plus the whole batch's when several groups are put together; recorded
    every ``every`` steps in values of ``itemsize`` bytes (what the engine allocates).

    Examples:
        >>> check_budget(1_000_000, [500], 2)
        Traceback (most recent call last):
        ...
        optviz.errors.HyperparameterError: 500 runs of 1000000 steps would record 16.0 GB of paths (about 35 s); the limit is 4.0 GB: use at most 249991 steps (--steps) with 500 runs, or at most 124 runs of 1000000 steps, or --record-every 5, or --record-dtype float32
    """
    n_runs = sum(group_sizes)
    # the batch, and while several groups are put in it, the largest group's own arrays
    held = n_runs + (max(group_sizes) if len(group_sizes) > 1 else 0)
    nbytes = engine.record_bytes(steps, held, dim, every=every, itemsize=itemsize)
    if nbytes <= engine.MAX_RECORD_BYTES:
        return
    per_step = engine.record_bytes(1, held, dim, itemsize=itemsize) - engine.record_bytes(
        0, held, dim, itemsize=itemsize
    )
    live = engine.record_bytes(0, held, dim, itemsize=itemsize)
    fit_steps = min(steps - 1, (engine.MAX_RECORD_BYTES - live) // per_step * every)
    fit_runs = int(n_runs * engine.MAX_RECORD_BYTES / nbytes)
    fixes = [f"at most {fit_steps} steps (--steps) with {n_runs} runs"] if fit_steps >= 1 else []
    if fit_runs:
        fixes.append(f"at most {fit_runs} runs of {steps} steps")
    fit_every = -(-every * nbytes // engine.MAX_RECORD_BYTES)  # the recorded part shrinks as 1/every
    while fit_every < steps and engine.record_bytes(steps, held, dim, every=fit_every, itemsize=itemsize) > (
        engine.MAX_RECORD_BYTES
    ):
        fit_every += 1 + fit_every // 8
    if fit_every < steps:
        fixes.append(f"--record-every {fit_every}")
    if itemsize == 8:
        fixes.append("--record-dtype float32")
    seconds = sum(engine.simulate_seconds(steps, size) for size in group_sizes)
    engine.check_budget(
        nbytes,
        seconds,
        f"{n_runs} run{'s' * (n_runs != 1)} of {steps} steps",
        "use " + (", or ".join(fixes) or "fewer runs"),
    )


def _place(paths: engine.Paths | None, rows: np.ndarray, group: engine.Paths, n_runs: int) -> engine.Paths:
    """Put a group's runs in their places in the batch (made on the first group)."""
    if paths is None:
        steps, dim = group.points.shape[:2]
        dtype = group.points.dtype
        paths = engine.Paths(
            np.empty((steps, dim, n_runs), dtype),
            np.empty((steps, n_runs), dtype),
            np.empty((steps, n_runs), dtype),
            np.empty(n_runs, int),
            None,
            None if group.lr is None else np.empty((steps - 1, n_runs)),
            steps_at=group.steps_at,
        )
    paths.points[:, :, rows], paths.loss[:, rows], paths.grad_norm[:, rows] = group.points, group.loss, group.grad_norm
    if group.lr is not None:
        paths.lr[:, rows] = group.lr
    paths.diverged_at[rows] = group.diverged_at
    return paths


def _group_members(runs: Sequence[RunSettings]) -> dict[tuple, list[int]]:
    """The runs that share one update rule (same optimizer and flags), by that rule."""
    groups: dict[tuple, list[int]] = {}
    for i, run in enumerate(runs):
        options = {**run.opt.entry.defaults, **run.opt.options}
        flags = tuple(sorted((k, v) for k, v in options.items() if _is_flag(v)))
        groups.setdefault((run.opt.entry.name, flags), []).append(i)
    return groups


def _groups(runs: Sequence[RunSettings], groups: dict[tuple, list[int]], n_starts: int):
    """Each group's update rule: numbers that differ across a group's runs become per-run arrays.
    Yields (member indices, stepper, lr)."""
    for (_, flags), members in groups.items():
        entry = runs[members[0]].opt.entry
        keys = {k for i in members for k, v in runs[i].opt.options.items() if not _is_flag(v)}
        options: dict[str, Any] = dict(flags)
        for key in keys:
            options[key] = _stack([runs[i].opt.options.get(key, entry.defaults[key]) for i in members], n_starts)
        rebuild = functools.partial(_rebuild, entry, options)
        yield members, entry.build(**options), _stack([runs[i].lr for i in members], n_starts), rebuild


def _rebuild(entry: Any, options: dict[str, Any], momentum: float) -> Any:
    """The group's optimizer with its momentum, or Adam-type beta1, set to ``momentum``: what
    torch's ``CyclicLR``/``OneCycleLR`` write into ``param_group["momentum"]`` or ``["betas"]``."""
    if schedules.momentum_target(entry.defaults) == "betas":
        beta2 = options.get("betas", entry.defaults["betas"])[1]
        return entry.build(**{**options, "betas": (momentum, beta2)})
    return entry.build(**{**options, "momentum": momentum})


def _momentum_steppers(rebuild: Callable[[float], Any], momentum: np.ndarray | None) -> Callable[[int], Any] | None:
    """Update k's optimizer when the schedule sets the momentum of each update (else ``None``),
    built once per distinct value."""
    if momentum is None:
        return None
    built: dict[float, Any] = {}

    def at(k: int) -> Any:
        value = float(momentum[k])
        if value not in built:
            built[value] = rebuild(value)
        return built[value]

    return at


def _is_flag(value: Any) -> bool:
    """Whether an option splits the batch rather than becoming per-run numbers: a bool, a word
    (lbfgs's ``line_search_fn``), ``None`` (lbfgs's ``max_eval``) or a pair holding ``None``
    (adafactor's ``eps``)."""
    if isinstance(value, (tuple, list)):
        return any(v is None for v in value)
    return isinstance(value, (bool, str)) or value is None


def _stack(values: list[Any], repeat: int) -> Any:
    """One value if all series agree, else per-run arrays (each series' value repeated for its
    ``repeat`` starts): ``(N,)``, or for pairs like betas a pair of ``(N,)``."""
    if all(type(v) is type(values[0]) and v == values[0] for v in values):
        return float(values[0]) if isinstance(values[0], numbers.Real) else values[0]
    if isinstance(values[0], (tuple, list)):
        return tuple(np.repeat([float(v[j]) for v in values], repeat) for j in range(len(values[0])))
    return np.repeat([float(v) for v in values], repeat)
