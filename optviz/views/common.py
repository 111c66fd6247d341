"""What the views share: ranges ``LO..HI``, whole numbers, and the loss above the known minimum."""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Any

from optviz.errors import HyperparameterError
from optviz.settings.record import is_real

if TYPE_CHECKING:  # the ranges are read by the command line's checks, which import no numpy
    import numpy as np

    from optviz.functions import TestFunction

__all__ = ["best_value", "gap", "parse_range", "whole"]


def parse_range(value: Any, flag: str, example: str, *, positive: bool) -> tuple[float, float]:
    """``"1e-4..1"`` (or a pair of numbers) as ``(lo, hi)``: finite, lo < hi, lo > 0 if ``positive``
    (else lo >= 0).

    Examples:
        >>> parse_range("1e-4..1", "--lr", "1e-4..1", positive=True)
        (0.0001, 1.0)
        >>> parse_range("1..0.1", "--lr", "1e-4..1", positive=True)
        Traceback (most recent call last):
        ...
        optviz.errors.HyperparameterError: --lr 1..0.1: LO must be below HI, e.g. --lr 1e-4..1
    """
    shown = f"{value[0]}..{value[1]}" if isinstance(value, (list, tuple)) and len(value) == 2 else str(value)
    pair: tuple[float, float] | None = None
    parts = value.split("..") if isinstance(value, str) else []
    if len(parts) == 2:
        try:
            pair = (float(parts[0]), float(parts[1]))
        except ValueError:
            pair = None
    elif isinstance(value, (list, tuple)) and len(value) == 2 and all(is_real(v) for v in value):
        pair = (float(value[0]), float(value[1]))
    if pair is None or not all(math.isfinite(v) for v in pair):
        raise HyperparameterError(f"{flag} {shown}: write a range LO..HI of two numbers, e.g. {flag} {example}")
    lo, hi = pair
    if lo >= hi:
        raise HyperparameterError(f"{flag} {shown}: LO must be below HI, e.g. {flag} {example}")
    if positive and lo <= 0:
        raise HyperparameterError(
            f"{flag} {shown}: both ends must be > 0 (the axis is logarithmic), e.g. {flag} {example}"
        )
    if not positive and lo < 0:
        raise HyperparameterError(f"{flag} {shown}: LO must be >= 0, e.g. {flag} {example}")
    return lo, hi


def whole(value: Any, flag: str, lo: int, hi: int, example: str) -> int:
    """A whole number from ``lo`` to ``hi``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not lo <= value <= hi:
        raise HyperparameterError(f"{flag} {value!r} must be a whole number from {lo} to {hi}, e.g. {flag} {example}")
    return int(value)


def best_value(fn: TestFunction) -> float | None:
    """The lowest value among ``fn``'s known minima (saddles left out), or ``None``."""
    values = [m.value for m in fn.minima if m.kind != "saddle"]
    return min(values) if values else None


def gap(fn: TestFunction, loss: np.ndarray) -> np.ndarray:
    """``loss − f*`` (never below 0) where ``fn`` has known minima, else the loss itself."""
    import numpy as np

    best = best_value(fn)
    if best is None:
        return np.asarray(loss, dtype=float)
    return np.maximum(np.asarray(loss, dtype=float) - best, 0.0)
