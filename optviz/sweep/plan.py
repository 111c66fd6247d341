"""What a checked sweep makes: a :class:`Plan` of files (:class:`Figure`), each drawing some runs (:class:`Run`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: settings that can be swept, in the order of the product (``fn`` cannot be overlaid)
AXES = ("fn", "opt", "lr", "start", "schedule", "steps", "noise", "clip_norm", "clip_value", "batch_size", "seed")
#: fields of the ``out`` and ``render.title`` templates
FIELDS = ("name", "index", *AXES)


@dataclass(frozen=True)
class Run:
    """One optimizer run: :func:`optviz.run`'s arguments."""

    fn: str
    opt: str
    lr: float | None
    steps: int
    start: tuple[float, ...] | None
    schedule: str | None
    clip_norm: float | None
    clip_value: float | None
    noise: float
    batch_size: int | None
    seed: int | None
    hyper: tuple[tuple[str, Any], ...] = ()

    def kwargs(self) -> dict[str, Any]:
        """The keyword arguments of :func:`optviz.run`."""
        settings = {k: getattr(self, k) for k in AXES}
        return {**settings, **dict(self.hyper)}

    @property
    def label(self) -> str:
        """``adam, lr=0.1`` (the optimizer's default lr shows as ``lr=default``)."""
        if "lr=" in self.opt.replace(" ", ""):
            return self.opt
        return f"{self.opt}, lr={'default' if self.lr is None else f'{self.lr:g}'}"


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


def value_text(axis: str, value: Any) -> str:
    """How a value reads in titles and tables."""
    if value is None:
        return "none"
    if axis == "start":
        return ",".join(f"{v:g}" for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
