"""What a checked sweep makes: a :class:`Plan` of files (:class:`Figure`), each drawing some runs (:class:`Run`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optviz.settings import RunSettings
from optviz.sweep.schema import AXES


@dataclass(frozen=True)
class Run:
    """One optimizer run of a figure, with its checked :class:`~optviz.settings.RunSettings`.

    Making a Run makes its record, so every check of the run has passed once it exists. The
    checked settings read as attributes (``run.lr``, ``run.start``, ...; ``run.fn`` and
    ``run.opt`` as spec strings), the legend text as ``run.label``.

    Attributes:
        given: the record's keyword arguments as the config writes them (plain values; ``start``
            is one point).
        hyper: the config's ``hyper:`` entries that apply to this run, ``adam.betas`` style keys
            kept (as :func:`optviz.run` takes them).
        settings: the record made from ``given``.
    """

    given: dict[str, Any] = field(hash=False)
    hyper: tuple[tuple[str, Any], ...] = ()
    settings: RunSettings = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        start = self.given.get("start")
        # one point as a list of one: alone, (1, 2) on a 1-D function would be two starts
        record = RunSettings(**{**self.given, "start": None if start is None else [start]})
        object.__setattr__(self, "settings", record)

    def __reduce__(self) -> tuple[Any, ...]:
        # the record holds its parsed function, whose closures do not pickle: a worker process
        # makes the record again from the plain values
        return (type(self), (self.given, self.hyper))

    @property
    def fn(self) -> str:
        """The function spec, e.g. ``ravine(angle=30)``."""
        return self.settings.fn.spec

    @property
    def opt(self) -> str:
        """The optimizer spec, e.g. ``sgd(momentum=0.5)``."""
        return self.settings.opt.text

    @property
    def label(self) -> str:
        """Legend text: ``adam, lr=0.1`` (see :attr:`optviz.settings.RunSettings.label`)."""
        return self.settings.label

    def kwargs(self) -> dict[str, Any]:
        """The keyword arguments of :func:`optviz.run` that make this run."""
        return {**{k: v for k, v in self.given.items() if k != "hyper"}, **dict(self.hyper)}


def _checked(name: str) -> property:
    return property(lambda run: getattr(run.settings, name), doc=f"The run's checked ``{name}``.")


for _axis in AXES:  # run.lr, run.steps, ...: the record's other fields
    if not hasattr(Run, _axis):
        setattr(Run, _axis, _checked(_axis))


@dataclass(frozen=True)
class Figure:
    """One output file: the runs drawn together on one function, and how to draw them."""

    out: Path
    fn: str
    runs: tuple[Run, ...]
    render: dict[str, Any] = field(hash=False)
    #: the swept values that single this figure out, e.g. ``(("lr", "0.4"),)``
    key: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Plan:
    """A checked config: what will be made, and from which file."""

    source: str
    name: str
    figures: tuple[Figure, ...]
    #: the file's first ``# comment`` line (the one-line lesson), else ``description``
    lesson: str = ""
    description: str | None = None
    #: ``{lang: {"title"|"lesson"|"description": text}}`` from the config's ``lesson_zh``-style keys
    translations: dict[str, dict[str, str]] = field(default_factory=dict, hash=False, compare=False)

    def texts(self, lang: str = "en") -> dict[str, str | None]:
        """The lesson line, description and picture title in ``lang``, English (the first comment
        line, ``description:``; ``None``: the ``render:`` title) where the config gives none."""
        own = self.translations.get(lang, {}) if lang != "en" else {}
        return {
            "lesson": own.get("lesson") or self.lesson,
            "description": own.get("description") or self.description,
            "title": own.get("title"),
        }


def value_text(axis: str, value: Any) -> str:
    """How a value reads in titles and tables."""
    if value is None:
        return "none"
    if axis == "start":
        return ",".join(f"{v:g}" for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
