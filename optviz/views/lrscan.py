"""Learning-rate scans: the loss after K steps, or the steps to a loss tolerance, against the lr.

Every optimizer runs at ``num`` learning rates spaced evenly on a log scale, all as one batch
(:func:`optviz.run_batch`), from one start. For each optimizer the scan records:

- ``values``: the loss above the known minimum, ``f(x_K) − f*``, after the K steps (the loss
  itself for a function with no known minimum); with ``to=TOL`` instead the first step whose
  ``f − f*`` is at most TOL (NaN if none is);
- ``diverged``: the run overflowed, or its loss ended above the start's (it moved away; given
  more steps it would overflow too); its value is NaN;
- ``overflowed``: the run overflowed (a subset of ``diverged``);
- ``best``: the lr with the smallest value (the first of equals);
- ``stable``: the widest range of neighbouring lrs around the best one whose runs did not
  diverge.

The values are the runs' own numbers: ``batch.loss[i, -1]`` is bit for bit the final loss of the
same run made alone (:func:`optviz.run_batch` guarantees that), and tests check it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optviz import api
from optviz.errors import HyperparameterError
from optviz.functions import TestFunction
from optviz.functions import get as get_function
from optviz.views.common import best_value, gap

__all__ = ["LrScan", "ScanSeries", "lr_grid", "lr_scan"]


@dataclass(frozen=True)
class ScanSeries:
    """One optimizer across the learning rates (arrays of shape (num,))."""

    label: str
    values: np.ndarray
    diverged: np.ndarray
    overflowed: np.ndarray
    best: int | None
    stable: tuple[int, int] | None  # first and last index of the stable range


@dataclass(frozen=True)
class LrScan:
    """A scan: the learning rates, one :class:`ScanSeries` per optimizer, and what was measured."""

    fn: TestFunction
    lrs: np.ndarray
    steps: int
    to: float | None
    start_gap: float
    series: tuple[ScanSeries, ...]

    @property
    def has_minimum(self) -> bool:
        """Whether values are ``f − f*`` (the function has known minima) rather than the loss."""
        return best_value(self.fn) is not None


def lr_grid(lo: float, hi: float, num: int) -> np.ndarray:
    """``num`` learning rates from ``lo`` to ``hi``, evenly spaced on a log scale."""
    return np.geomspace(lo, hi, num)


def lr_scan(
    fn: str | TestFunction,
    opts: list[str],
    lr_range: tuple[float, float] = (1e-4, 1.0),
    num: int = 60,
    steps: int = 200,
    to: float | None = None,
    start: object = None,
    **options: object,
) -> LrScan:
    """Run every optimizer at ``num`` log-spaced lrs in ``lr_range`` from ``start`` (default: the
    function's) for ``steps`` updates, as one batch, and measure each run.

    ``options`` are :func:`optviz.run_batch`'s (``schedule``, ``noise``, hyperparameters, ...).

    Raises:
        HyperparameterError: a bad range, num or tolerance, or an optimizer spec that names its own
            lr (the scan sets it).
    """
    fn = get_function(fn)
    lo, hi = lr_range
    if not 0 < lo < hi:
        raise HyperparameterError(f"--lr {lo:g}..{hi:g}: give 0 < LO < HI, e.g. --lr 1e-4..1")
    if isinstance(num, bool) or not isinstance(num, int) or not 2 <= num <= 1000:
        raise HyperparameterError(f"--num {num!r} must be a whole number from 2 to 1000, e.g. --num 60")
    if to is not None and (isinstance(to, bool) or not isinstance(to, (int, float)) or not to > 0):
        raise HyperparameterError(f"--to {to!r} must be a loss tolerance > 0, e.g. --to 1e-6")
    lrs = lr_grid(lo, hi, num)
    from optviz.settings import RunSettings, settings_of

    fields = settings_of(RunSettings)
    common = {k: v for k, v in options.items() if k in fields and k not in ("hyper", "start", "lr")}
    hyper = {k: v for k, v in options.items() if k not in fields}
    series = api.expand(fn, opts, list(lrs), steps=steps, hyper=hyper, **common)
    own = [run.opt.text for run in series if run.opt.lr is not None]
    if own:
        raise HyperparameterError(f"{own[0]} names its own lr, but the scan sets it: drop lr= from the spec")
    starts = _starts(fn, start)
    batch = api.run_settings(series, starts)
    start_gap = float(gap(fn, fn.f(starts[0])))
    out = []
    for i in range(len(opts)):
        rows = slice(i * num, (i + 1) * num)
        out.append(_measure(series[i * num].opt.text, batch.loss[rows], batch.diverged_at[rows], fn, to, start_gap))
    return LrScan(fn, lrs, int(steps), to, start_gap, tuple(out))


def _starts(fn: TestFunction, start: object) -> np.ndarray:
    from optviz.settings import check_starts

    starts = check_starts(fn, start)
    if len(starts) != 1:
        raise HyperparameterError(f"a scan starts every run at one point; got {len(starts)}")
    return starts


def _measure(
    label: str, loss: np.ndarray, diverged_at: np.ndarray, fn: TestFunction, to: float | None, start_gap: float
) -> ScanSeries:
    """One optimizer's row of runs (``loss``: (num, K+1)) measured."""
    overflowed = diverged_at >= 0
    final = gap(fn, loss[:, -1])
    diverged = overflowed | ~(final <= start_gap)
    if to is None:
        values = np.where(diverged, np.nan, final)
    else:
        reached = gap(fn, loss) <= to  # NaN compares False
        values = np.where(reached.any(axis=1) & ~diverged, np.argmax(reached, axis=1).astype(float), np.nan)
    finite = np.isfinite(values)
    best = int(np.nanargmin(values)) if finite.any() else None
    good = ~diverged
    stable = None
    if best is not None and good[best]:
        lo = hi = best
        while lo > 0 and good[lo - 1]:
            lo -= 1
        while hi < len(good) - 1 and good[hi + 1]:
            hi += 1
        stable = (lo, hi)
    return ScanSeries(label, values, diverged, overflowed, best, stable)
