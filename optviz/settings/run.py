"""What a run is: :class:`RunSettings` and the checks of its fields."""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from optviz import spec as spec_parser
from optviz.errors import HyperparameterError, SpecError
from optviz.settings.record import Checked, is_real, plain, setting

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from optviz.functions import TestFunction
    from optviz.optim.registry import OptimizerEntry

# numpy, the functions and the optimizers are imported when a run is checked, not with the
# settings: the CLI builds its options (and --help) from these records

__all__ = [
    "MAX_START",
    "MAX_STEPS",
    "OptimizerSpec",
    "RunSettings",
    "check_lr",
    "check_starts",
    "check_steps",
    "check_targets",
    "hyper_for",
]

#: the most updates one run may take (a path of 1e6 points is already 16 MB per run)
MAX_STEPS = 1_000_000
#: start points farther than this from the origin are taken for typos
MAX_START = 1e8


# ------------------------------------------------------------------------------------- run checks


def check_steps(steps: Any) -> int:
    """``steps`` as an int from 1 to :data:`MAX_STEPS`."""
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or not 1 <= steps <= MAX_STEPS:
        raise HyperparameterError(f"steps={steps!r} must be a whole number from 1 to {MAX_STEPS}, e.g. --steps 50")
    return int(steps)


def check_lr(lr: Any) -> float:
    """A learning rate: a finite number > 0."""
    if not is_real(lr) or not math.isfinite(lr) or lr <= 0:
        raise HyperparameterError(f"invalid learning rate lr={lr!r}: it must be a finite number > 0, e.g. --lr 0.1")
    return float(lr)


def _optional_positive(name: str) -> Callable[[Any], float | None]:
    def check(value: Any) -> float | None:
        if value is None:
            return None
        if not is_real(value) or not math.isfinite(value) or value <= 0:
            flag = name.replace("_", "-")
            raise HyperparameterError(f"{name}={value!r} must be a finite number > 0, e.g. --{flag} 1.0")
        return float(value)

    return check


def _check_noise(noise: Any) -> float:
    if not is_real(noise) or not math.isfinite(noise) or noise < 0:
        raise HyperparameterError(
            f"noise={noise!r} must be a finite number >= 0 (a standard deviation), e.g. --noise 0.5"
        )
    return float(noise)


def _check_seed(seed: Any) -> int | None:
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0):
        raise HyperparameterError(f"seed={seed!r} must be a whole number >= 0, e.g. --seed 0")
    return None if seed is None else int(seed)


def _check_record_every(every: Any) -> int:
    if isinstance(every, bool) or not isinstance(every, numbers.Integral) or not 1 <= every <= MAX_STEPS:
        raise HyperparameterError(
            f"record_every={every!r} must be a whole number from 1 to {MAX_STEPS}, e.g. --record-every 10"
        )
    return int(every)


#: the dtypes a path may be kept in (see :mod:`optviz.recording`)
RECORD_DTYPES = ("float64", "float32")


def _check_record_dtype(dtype: Any) -> str:
    if dtype not in RECORD_DTYPES:
        raise HyperparameterError(
            f"record_dtype={dtype!r} must be one of {', '.join(RECORD_DTYPES)}, e.g. --record-dtype float32"
        )
    return str(dtype)


def _check_batch_size(batch_size: Any, checked: Mapping[str, Any]) -> int | None:
    fn = checked["fn"]
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


def get_function(spec: Any) -> TestFunction:
    """:func:`optviz.functions.get`, imported on first use."""
    from optviz.functions import get

    return get(spec)


def check_starts(fn: TestFunction, start: Any) -> np.ndarray:
    """Start points as an (M, D) float array: ``None`` (the function's own), one point (a sequence
    or a string ``"-5,-2"``), a list of points or an (M, D) array (e.g. a grid)."""
    import numpy as np

    if start is None:
        points = np.array([fn.start], dtype=float)
    elif isinstance(start, str):
        points = np.array([spec_parser.parse_point(start, fn.dim)])
    else:
        points = _points(fn, start)
    if not np.isfinite(points).all():
        raise SpecError(f"start points must be finite numbers; got {points[~np.isfinite(points).all(1)][0].tolist()}")
    if np.abs(points).max() > MAX_START:
        raise SpecError(f"start point is implausibly far from the origin (> {MAX_START:g}); check its coordinates")
    with np.errstate(all="ignore"):
        loss = fn.f(points)
    if not np.isfinite(loss).all():
        first = int(np.argmin(np.isfinite(loss)))
        point = ", ".join(f"{v:g}" for v in points[first])
        raise SpecError(
            f"{fn.spec} is not finite at the start ({point}): its loss overflows float64 there; "
            "choose a start or parameters nearer the defaults"
        )
    return points


def _points(fn: TestFunction, start: Any) -> np.ndarray:
    """Points given as a sequence or an array, as (M, D) floats of the function's dimension."""
    import numpy as np

    try:
        array = np.asarray(start, dtype=float)
    except (TypeError, ValueError):
        array = None
    if array is not None and array.size == 0:
        raise SpecError(f"no start point in {start!r}: give at least one, e.g. start=(-5, -2)")
    if array is None or array.ndim > 2:
        points = np.array([spec_parser.parse_point(p, fn.dim) for p in start])  # raises the precise error
    elif array.ndim == 2:
        points = array
    elif array.ndim == 1 and fn.dim == 1:
        points = array[:, None]  # 1-D function: each number is a start
    else:
        points = array.reshape(1, -1)
    if points.shape[1] != fn.dim:
        spec_parser.parse_point(tuple(points[0].tolist()), fn.dim)  # raises the dimension error
    return points


def _check_start(start: Any, checked: Mapping[str, Any]) -> tuple[float, ...] | None:
    if start is None:
        return None
    points = check_starts(checked["fn"], start)
    if len(points) != 1:
        raise SpecError(f"one run starts at one point; got {len(points)} (run_batch takes many)")
    return tuple(float(v) for v in points[0])


def _check_hyper(hyper: Any) -> dict[str, Any]:
    """Hyperparameter overrides by torch's names (the optimizer checks the values)."""
    if hyper is None:
        return {}
    if not isinstance(hyper, Mapping) or not all(isinstance(k, str) and k.isidentifier() for k in hyper):
        raise SpecError(f"hyperparameters are NAME=VALUE pairs such as momentum=0.9; got {hyper!r}")
    return dict(hyper)


@dataclass(frozen=True)
class OptimizerSpec:
    """A parsed, checked optimizer spec.

    Attributes:
        text: the spec as given (``"sgd(momentum=0.5)"``).
        entry: the registered optimizer.
        options: its explicit options, the hyperparameter overrides merged in (no ``lr``).
        lr: the lr the spec names itself, else ``None``.
    """

    text: str
    entry: OptimizerEntry
    options: dict[str, Any]
    lr: float | None = None

    @classmethod
    def parse(cls, text: Any, overrides: Mapping[str, Any] | None = None) -> OptimizerSpec:
        if isinstance(text, OptimizerSpec):
            text = text.text
        if not isinstance(text, str):
            raise SpecError(f"an optimizer is a spec string such as adam or 'sgd(momentum=0.5)'; got {text!r}")
        from optviz.optim.registry import resolve

        entry, options = resolve(text, dict(overrides or {}))
        own_lr = options.pop("lr", None)
        if own_lr is not None:
            own_lr = check_lr(own_lr)
        try:
            entry.build(**options)  # the stepper's own checks, with this spec's values
        except HyperparameterError as exc:
            raise HyperparameterError(f"{text}: {exc}") from None
        return cls(text.strip(), entry, options, own_lr)


def _check_opt(opt: Any, checked: Mapping[str, Any]) -> OptimizerSpec:
    return OptimizerSpec.parse(opt, checked["hyper"])


def _check_run_lr(lr: Any, checked: Mapping[str, Any]) -> float:
    opt = checked["opt"]
    given = None if lr is None else check_lr(lr)
    if opt.lr is not None:  # the spec names its own lr: that is the run's
        return opt.lr
    return opt.entry.lr if given is None else given


@dataclass(frozen=True)
class ScheduleSpec:
    """A checked schedule: its text (``None`` for a constant lr) and the multiplier of each update;
    for some schedules also an absolute lr added to each update's (``offsets``), the momentum or
    beta1 each update uses (``momentum``) and a loss-driven lr (``plateau``): see
    :class:`optviz.schedules.Plan`."""

    text: str | None
    multipliers: np.ndarray = field(repr=False, compare=False)
    offsets: np.ndarray | None = field(default=None, repr=False, compare=False)
    momentum: np.ndarray | None = field(default=None, repr=False, compare=False)
    plateau: Any = field(default=None, repr=False, compare=False)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ScheduleSpec)
            and self.text == other.text
            and len(self.multipliers) == len(other.multipliers)
        )

    __hash__ = None  # type: ignore[assignment]


def _check_schedule(schedule: Any, checked: Mapping[str, Any]) -> ScheduleSpec:
    from optviz import schedules

    steps = checked["steps"]
    if isinstance(schedule, ScheduleSpec) and len(schedule.multipliers) != steps:
        schedule = schedule.text
    if not isinstance(schedule, ScheduleSpec):
        if schedule is not None and not isinstance(schedule, str):
            raise SpecError(f"a schedule is a spec string such as cosine or 'step(step_size=10)'; got {schedule!r}")
        plan = _plan(schedule, steps)
        schedule = ScheduleSpec(schedule, plan.multipliers, plan.offsets, plan.momentum, plan.plateau)
    opt = checked["opt"]
    if schedule.momentum is not None and schedules.momentum_target(opt.entry.defaults) is None:
        name = spec_parser.parse_chain(schedule.text)[-1][0]
        raise HyperparameterError(
            f"schedule {name} cycles the momentum, which {opt.entry.name} does not have (as in torch); "
            f"add cycle_momentum=false, e.g. '{name}(cycle_momentum=false)', or use an optimizer with momentum or betas"
        )
    return schedule


@functools.lru_cache(maxsize=256)
def _plan(schedule: str | None, steps: int) -> Any:
    """One read-only :class:`~optviz.schedules.Plan` per schedule and length, shared by every run
    that uses it."""
    from optviz import schedules

    plan = schedules.plan(schedule, steps)
    for values in (plan.multipliers, plan.offsets, plan.momentum):
        if values is not None:
            values.flags.writeable = False
    return plan


def hyper_for(hyper: Mapping[str, Any], name: str) -> dict[str, Any]:
    """The hyperparameters that apply to optimizer ``name``: plain keys, and ``name.key`` ones."""
    chosen = {k: v for k, v in hyper.items() if "." not in k}
    chosen.update({k.split(".", 1)[1]: v for k, v in hyper.items() if k.split(".", 1)[0] == name and "." in k})
    return chosen


def check_targets(hyper: Mapping[str, Any], names: Iterable[str]) -> None:
    """``adam.betas`` style keys must name an optimizer that is run."""
    names = set(names)
    unknown = {k.split(".", 1)[0] for k in hyper if "." in k} - names
    if unknown:
        raise SpecError(
            f"-p {sorted(unknown)[0]}.KEY names an optimizer that is not being run; use one of {', '.join(sorted(names))}"
        )


@dataclass(frozen=True, kw_only=True)
class RunSettings(Checked):
    """What a run is: a function, an optimizer at a learning rate, from a start, for some steps.

    Every field is checked on construction (see :mod:`optviz.settings`); ``fn`` becomes a
    :class:`~optviz.TestFunction`, ``opt`` an :class:`OptimizerSpec`, ``lr`` a float.
    """

    fn: Any = setting(
        "ravine", "Function spec, e.g. ravine or 'ravine(angle=30)'.", plain(get_function), flags=("--fn", "-f")
    )
    hyper: Any = setting(
        None,
        "Hyperparameter NAME=VALUE for every optimizer, or OPT.NAME=VALUE for one.",
        plain(_check_hyper),
        flags=("--param", "-p"),
        many=True,
    )
    opt: Any = setting(
        "gd",
        "Optimizer spec; repeat to compare, e.g. --opt adam --opt 'sgd(momentum=0.9)'.",
        _check_opt,
        flags=("--opt", "-o"),
        many=True,
    )
    lr: Any = setting(
        None,
        "Learning rate (repeatable); default: torch's for the optimizer.",
        _check_run_lr,
        cli_type=float,
        many=True,
    )
    steps: Any = setting(50, "Number of updates.", plain(check_steps), flags=("--steps", "-n"), cli_type=int)
    start: Any = setting(
        None,
        "Start point, e.g. --start=-5,-2 (default: the function's); repeat to overlay runs from several.",
        _check_start,
        many=True,
    )
    schedule: Any = setting(
        None,
        "LR schedule, e.g. cosine, 'step(step_size=10, gamma=0.5)', 'warmup(steps=5)+cosine', onecycle "
        "(optviz list schedules). Like torch, onecycle and cyclic also set the momentum (Adam: beta1; "
        "gd becomes heavy-ball) unless cycle_momentum=false.",
        _check_schedule,
    )
    clip_norm: Any = setting(
        None, "Clip each gradient to this L2 norm.", plain(_optional_positive("clip_norm")), cli_type=float
    )
    clip_value: Any = setting(
        None, "Clamp gradient coordinates to ±VALUE.", plain(_optional_positive("clip_value")), cli_type=float
    )
    noise: Any = setting(0.0, "Std of Gaussian noise added to gradients.", plain(_check_noise), cli_type=float)
    batch_size: Any = setting(None, "Minibatch size (data losses: thermometer).", _check_batch_size, cli_type=int)
    seed: Any = setting(0, "Seed for noise and minibatches.", plain(_check_seed), cli_type=int)
    record_every: Any = setting(
        1,
        "Keep every K-th step of the path and always the last (less memory; the path is the same).",
        plain(_check_record_every),
        cli_type=int,
    )
    record_dtype: Any = setting(
        "float64",
        "Keep the path in float64 or float32 (half the memory; computed in float64 either way).",
        plain(_check_record_dtype),
    )

    @property
    def multipliers(self) -> np.ndarray:
        """(steps,) the schedule's multiplier of each update."""
        return self.schedule.multipliers

    @property
    def label(self) -> str:
        """Legend text: the spec, with its lr unless the spec names it (``adam, lr=0.16``)."""
        return self.opt.text if self.opt.lr is not None else f"{self.opt.text}, lr={self.lr:g}"

    def summary(self) -> dict[str, Any]:
        """The settings a :class:`~optviz.Trajectory` carries (and its files store)."""
        return {
            "fn": self.fn.spec,
            "steps": self.steps,
            "schedule": self.schedule.text,
            "clip_norm": self.clip_norm,
            "clip_value": self.clip_value,
            "noise": self.noise,
            "batch_size": self.batch_size,
            "seed": self.seed,
            "opt": self.opt.text,
            "optimizer": self.opt.entry.name,
            "lr": self.lr,
            "hyper": self.opt.options,
            "label": self.label,
            # only when not the default, so that files and summaries of full runs stay as they were
            **({"record_every": self.record_every} if self.record_every != 1 else {}),
            **({"record_dtype": self.record_dtype} if self.record_dtype != "float64" else {}),
        }
