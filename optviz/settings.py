"""The two records every entry point builds: :class:`RunSettings` (what a run is) and
:class:`DrawSettings` (how it is drawn).

Each field carries its default, its help text, its command-line flags, the YAML type of sweeps
and its check, once. The API builds the records from keyword arguments, the CLI from options
generated from these fields, sweeps from YAML keys of the same names; all three therefore give the
same errors from the same code. A check turns a raw value into the checked one (a spec string into
the parsed function or optimizer, ``"16:9"`` into pixels) and may read the fields checked before
it, so fields are declared in the order of their dependencies.

A new option is one new field here plus the one place that uses it.

Examples:
    >>> run = RunSettings(fn="ravine(angle=30)", opt="sgd(momentum=0.5)", lr=0.6, steps=20)
    >>> run.fn.spec, run.opt.entry.name, run.opt.options, run.label
    ('ravine(angle=30)', 'sgd', {'momentum': 0.5}, 'sgd(momentum=0.5), lr=0.6')
    >>> RunSettings(steps=0)
    Traceback (most recent call last):
    ...
    optviz.errors.HyperparameterError: steps=0 must be a whole number from 1 to 1000000, e.g. --steps 50
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from optviz import spec as spec_parser
from optviz.errors import HyperparameterError, OptvizError, OutputError, SpecError, UnknownNameError
from optviz.functions import TestFunction
from optviz.functions import get as get_function
from optviz.optim.registry import OptimizerEntry, resolve
from optviz.themes import THEMES, Theme

__all__ = [
    "MAX_START",
    "MAX_STEPS",
    "DrawSettings",
    "OptimizerSpec",
    "RunSettings",
    "Setting",
    "check_starts",
    "hyper_for",
    "settings_of",
]

#: the most updates one run may take (a path of 1e6 points is already 16 MB per run)
MAX_STEPS = 1_000_000
#: start points farther than this from the origin are taken for typos
MAX_START = 1e8

PANELS = ("loss", "grad_norm", "lr")
VIEWS = ("contour", "surface")
#: slide presets in pixels; 16:9 is a 720p slide
SIZES = {"16:9": (1280, 720), "4:3": (960, 720), "square": (720, 720)}
MAX_PIXELS_SIDE = 4096
DPI_RANGE = (20, 600)
FRAMES_RANGE = (2, 2000)
#: GIF delays are whole centiseconds and browsers slow down anything under 2 cs, so 50 fps is the top
FPS_RANGE = (1, 50)
HOLD_RANGE = (0.0, 30.0)

Check = Callable[[Any, Mapping[str, Any]], Any]


@dataclass(frozen=True)
class Setting:
    """How one field is given and checked.

    Attributes:
        help: one line for ``--help`` and the docs.
        check: ``check(raw, checked_so_far) -> value``; raises an :class:`OptvizError`.
        flags: command-line flags (default ``--field-name``); empty with ``cli=False``.
        cli_type: the type the command line parses the text into.
        many: the command line takes it repeatedly (several runs), a sweep as a list (an axis).
        panel: the ``--help`` panel it is listed in.
        cli: whether ``optviz run`` offers it.
    """

    help: str
    check: Check
    flags: tuple[str, ...] = ()
    cli_type: Any = str
    many: bool = False
    panel: str | None = None
    cli: bool = True


def setting(default: Any, help: str, check: Check, **meta: Any) -> Any:
    """A record field with its :class:`Setting`."""
    return field(default=default, metadata={"setting": Setting(help, check, **meta)})


def settings_of(record: type) -> dict[str, tuple[Any, Setting]]:
    """``{name: (default, Setting)}`` of a record's fields, in declaration (= checking) order."""
    return {f.name: (f.default, f.metadata["setting"]) for f in dataclasses.fields(record) if "setting" in f.metadata}


class _Checked:
    """Runs every field's check in order in ``__post_init__`` and stores the checked value.

    An error is raised as is, with ``exc.setting`` naming the field, so that a sweep can point at
    the YAML line of that key.
    """

    def __post_init__(self) -> None:
        checked: dict[str, Any] = {}
        for name, (_, meta) in settings_of(type(self)).items():
            try:
                checked[name] = meta.check(getattr(self, name), checked)
            except OptvizError as exc:
                exc.setting = name
                raise
            object.__setattr__(self, name, checked[name])
        self._derive()

    def _derive(self) -> None:
        """Values computed from the checked fields (override)."""


def _plain(check: Callable[[Any], Any]) -> Check:
    return lambda value, _: check(value)


def _is_real(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, numbers.Real)


# ------------------------------------------------------------------------------------- run checks


def check_steps(steps: Any) -> int:
    """``steps`` as an int from 1 to :data:`MAX_STEPS`."""
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or not 1 <= steps <= MAX_STEPS:
        raise HyperparameterError(f"steps={steps!r} must be a whole number from 1 to {MAX_STEPS}, e.g. --steps 50")
    return int(steps)


def check_lr(lr: Any) -> float:
    """A learning rate: a finite number > 0."""
    if not _is_real(lr) or not math.isfinite(lr) or lr <= 0:
        raise HyperparameterError(f"invalid learning rate lr={lr!r}: it must be a finite number > 0, e.g. --lr 0.1")
    return float(lr)


def _optional_positive(name: str) -> Callable[[Any], float | None]:
    def check(value: Any) -> float | None:
        if value is None:
            return None
        if not _is_real(value) or not math.isfinite(value) or value <= 0:
            flag = name.replace("_", "-")
            raise HyperparameterError(f"{name}={value!r} must be a finite number > 0, e.g. --{flag} 1.0")
        return float(value)

    return check


def _check_noise(noise: Any) -> float:
    if not _is_real(noise) or not math.isfinite(noise) or noise < 0:
        raise HyperparameterError(
            f"noise={noise!r} must be a finite number >= 0 (a standard deviation), e.g. --noise 0.5"
        )
    return float(noise)


def _check_seed(seed: Any) -> int | None:
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0):
        raise HyperparameterError(f"seed={seed!r} must be a whole number >= 0, e.g. --seed 0")
    return None if seed is None else int(seed)


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


def check_starts(fn: TestFunction, start: Any) -> np.ndarray:
    """Start points as an (M, D) float array: ``None`` (the function's own), one point (a sequence
    or a string ``"-5,-2"``), a list of points or an (M, D) array (e.g. a grid)."""
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
    if opt.lr is not None:  # the spec names its own lr: that is the run's
        return opt.lr
    return opt.entry.lr if lr is None else check_lr(lr)


def _check_schedule(schedule: Any, checked: Mapping[str, Any]) -> str | None:
    from optviz import schedules

    if schedule is None:
        return None
    schedules.parse(schedule, checked["steps"])
    return schedule


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
class RunSettings(_Checked):
    """What a run is: a function, an optimizer at a learning rate, from a start, for some steps.

    Every field is checked on construction (see :mod:`optviz.settings`); ``fn`` becomes a
    :class:`~optviz.TestFunction`, ``opt`` an :class:`OptimizerSpec`, ``lr`` a float.
    """

    fn: Any = setting(
        "ravine", "Function spec, e.g. ravine or 'ravine(angle=30)'.", _plain(get_function), flags=("--fn", "-f")
    )
    hyper: Any = setting(
        None,
        "Hyperparameter NAME=VALUE for every optimizer, or OPT.NAME=VALUE for one.",
        _plain(_check_hyper),
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
    steps: Any = setting(50, "Number of updates.", _plain(check_steps), flags=("--steps", "-n"), cli_type=int)
    start: Any = setting(None, "Start point, e.g. --start=-5,-2 (default: the function's).", _check_start)
    schedule: Any = setting(
        None,
        "LR schedule, e.g. cosine, 'step(step_size=10, gamma=0.5)', 'warmup(steps=5)+cosine'.",
        _check_schedule,
    )
    clip_norm: Any = setting(
        None, "Clip each gradient to this L2 norm.", _plain(_optional_positive("clip_norm")), cli_type=float
    )
    clip_value: Any = setting(
        None, "Clamp gradient coordinates to ±VALUE.", _plain(_optional_positive("clip_value")), cli_type=float
    )
    noise: Any = setting(0.0, "Std of Gaussian noise added to gradients.", _plain(_check_noise), cli_type=float)
    batch_size: Any = setting(None, "Minibatch size (data losses: thermometer).", _check_batch_size, cli_type=int)
    seed: Any = setting(0, "Seed for noise and minibatches.", _plain(_check_seed), cli_type=int)

    #: (steps,) the schedule's multiplier of each update, computed once from ``schedule``
    multipliers: np.ndarray = field(init=False, repr=False, compare=False)

    def _derive(self) -> None:
        from optviz import schedules

        steps = self.steps
        object.__setattr__(self, "multipliers", schedules.multipliers(schedules.parse(self.schedule, steps), steps))

    @property
    def label(self) -> str:
        """Legend text: the spec, with its lr unless the spec names it (``adam, lr=0.16``)."""
        return self.opt.text if self.opt.lr is not None else f"{self.opt.text}, lr={self.lr:g}"

    def summary(self) -> dict[str, Any]:
        """The settings a :class:`~optviz.Trajectory` carries (and its files store)."""
        return {
            "fn": self.fn.spec,
            "steps": self.steps,
            "schedule": self.schedule,
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
        }


# ------------------------------------------------------------------------------------ draw checks

_PICTURES = "Pictures and animations (with --out)"


def default_dpi(width: int, height: int) -> float:
    """The dpi that makes the short side 7.2 inches: 100 for 1280x720, so fonts look alike at any size."""
    return min(width, height) / 7.2


def parse_size(size: str | tuple[int, int]) -> tuple[int, int]:
    """``"16:9"`` / ``"4:3"`` / ``"square"`` / ``"800x450"`` (or a ``(w, h)`` pair) -> pixels."""
    if isinstance(size, (tuple, list)) and len(size) == 2:
        width, height = size
    else:
        text = str(size).strip().lower()
        if text in SIZES:
            return SIZES[text]
        match = re.fullmatch(r"(\d+)\s*[x×]\s*(\d+)", text)
        if match is None:
            raise OutputError(f"--size {size!r} is not a size; use 16:9, 4:3, square or WIDTHxHEIGHT such as 800x450")
        width, height = int(match.group(1)), int(match.group(2))
    for value in (width, height):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 64 <= value <= MAX_PIXELS_SIDE:
            raise OutputError(
                f"--size {width}x{height}: each side must be 64 to {MAX_PIXELS_SIDE} pixels, e.g. 800x450"
            )
    return int(width), int(height)


def _ranged(
    name: str, lo: float, hi: float, example: str, error: type[OptvizError], whole: bool = False
) -> Callable[[Any], float]:
    """A check of a number in ``[lo, hi]`` (a whole one with ``whole``)."""

    def check(value: Any) -> float:
        ok = _is_real(value) and math.isfinite(value) and lo <= value <= hi
        if ok and whole and value != int(value):
            ok = False
        if not ok:
            kind = "a whole number" if whole else "a number"
            raise error(f"--{name} {value!r} must be {kind} from {lo:g} to {hi:g}, e.g. --{name} {example}")
        return int(value) if whole else float(value)

    return check


def _choice(kind: str, valid: Iterable[str]) -> Callable[[Any], str]:
    valid = tuple(valid)

    def check(value: Any) -> str:
        value = str(value).lower()
        if value not in valid:
            raise UnknownNameError(kind, value, valid)
        return value

    return check


def parse_panels(panels: str | Iterable[str] | None) -> tuple[str, ...]:
    """``"loss,grad_norm"`` or a list -> a tuple of panel names; ``"none"``, ``""`` or ``None`` -> no panels."""
    if panels is None:
        return ()
    items = panels.split(",") if isinstance(panels, str) else list(panels)
    names = [str(p).strip().lower().replace("-", "_") for p in items]
    names = [p for p in names if p and p != "none"]
    for name in names:
        if name not in PANELS:
            raise UnknownNameError("panel", name, PANELS)
    if len(set(names)) != len(names):
        raise OutputError(f"--panels {','.join(names)} names a panel twice; give each of {', '.join(PANELS)} once")
    return tuple(names)


def _check_theme(theme: Any) -> Theme:
    return theme if isinstance(theme, Theme) else THEMES[_choice("theme", THEMES)(theme)]


def _check_dpi(dpi: Any, checked: Mapping[str, Any]) -> float:
    # only a dpi the user chose is range-checked: the default scales with the size, and a
    # thumbnail (160x90) needs less than the smallest dpi anyone would type
    if dpi is None or dpi == default_dpi(*checked["size"]):  # so that a checked record checks again
        return default_dpi(*checked["size"])
    return _ranged("dpi", *DPI_RANGE, "100", OutputError)(dpi)


def _check_title(title: Any) -> str | None:
    if title is not None and not isinstance(title, str):
        raise SpecError(f"a title is text, e.g. --title 'GD on the ravine'; got {title!r}")
    return title


@dataclass(frozen=True, kw_only=True)
class DrawSettings(_Checked):
    """How runs are drawn: view, panels, pixel size, theme, text scale, animation timing, title.

    Every field is checked on construction: ``size`` becomes ``(width, height)`` pixels, ``theme``
    a :class:`~optviz.themes.Theme`, ``dpi`` a number (default: scaled to the size).
    """

    panels: Any = setting(
        ("loss",),
        "Side panels: comma list of loss, grad_norm, lr, or none.",
        _plain(parse_panels),
        panel=_PICTURES,
    )
    view: Any = setting(
        "contour",
        "contour (2-D map, or 1-D curve) or surface (3-D).",
        _plain(_choice("view", VIEWS)),
        panel=_PICTURES,
    )
    size: Any = setting("16:9", "16:9 (1280x720), 4:3, square or WIDTHxHEIGHT.", _plain(parse_size), panel=_PICTURES)
    theme: Any = setting(
        "light",
        "light or dark.",
        _plain(_check_theme),
        panel=_PICTURES,
    )
    dpi: Any = setting(
        None,
        "Text scale (default: 100 at 1280x720; higher = larger text).",
        _check_dpi,
        cli_type=float,
        panel=_PICTURES,
    )
    frames: Any = setting(
        100,
        "Animations: at most this many frames (steps are sampled).",
        _plain(_ranged("frames", *FRAMES_RANGE, "100", HyperparameterError, whole=True)),
        cli_type=int,
        panel=_PICTURES,
    )
    fps: Any = setting(
        10.0,
        "Animations: frames per second.",
        _plain(_ranged("fps", *FPS_RANGE, "10", HyperparameterError)),
        cli_type=float,
        panel=_PICTURES,
    )
    hold: Any = setting(
        1.5,
        "Animations: seconds the last frame stays.",
        _plain(_ranged("hold", *HOLD_RANGE, "1.5", HyperparameterError)),
        cli_type=float,
        panel=_PICTURES,
    )
    title: Any = setting(
        None,
        "Title above the picture (default: the function's name and formula).",
        _plain(_check_title),
        panel=_PICTURES,
    )

    #: body font size in points; with the default dpi the short side is 7.2 in, so text keeps the same
    #: share of the picture at every size (about 1/36 of its height), readable on a projected slide
    font_pt = 12.0

    @property
    def width(self) -> int:
        return self.size[0]

    @property
    def height(self) -> int:
        return self.size[1]
