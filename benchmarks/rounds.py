"""The method every benchmark here shares: alternating rounds, per-round ratios, medians, verdicts.

Why alternate: the machine is shared and noisy. Timing all of optviz and then all of the baseline
lets a slow minute land on one side only. Running optviz and then its baseline in every round
(A B A B ...) exposes both to the same conditions, and the ratio taken within a round cancels
what the two runs of that round had in common. The verdict uses the median of those per-round
ratios; min and max show the spread, and the medians of the raw times are printed beside them.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass


def time_call(fn: Callable[[], object]) -> float:
    """Wall time of one call, in seconds."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


@dataclass(frozen=True)
class Rounds:
    """Per-contender times, one per round, and how busy the machine was meanwhile."""

    times: dict[str, list[float]]
    load_before: float  # 1-minute load average
    load_after: float

    @property
    def count(self) -> int:
        return len(next(iter(self.times.values())))


def alternate(contenders: dict[str, Callable[[], object]], rounds: int) -> Rounds:
    """Time every contender once per round, in the order given, for ``rounds`` rounds."""
    times: dict[str, list[float]] = {name: [] for name in contenders}
    load_before = os.getloadavg()[0]
    for _ in range(rounds):
        for name, fn in contenders.items():
            times[name].append(time_call(fn))
    return Rounds(times, load_before, os.getloadavg()[0])


@dataclass(frozen=True)
class Comparison:
    """optviz against one baseline, round by round.

    ``faster`` comparisons report ``baseline / optviz`` per round (a speed-up; the target is a
    minimum); the others report ``optviz / baseline`` (a time ratio; the target is a maximum).
    """

    label: str
    optviz: Sequence[float]
    baseline: Sequence[float]
    faster: bool
    target: float | None = None

    @property
    def ratios(self) -> list[float]:
        pairs = zip(self.optviz, self.baseline, strict=True)
        return [b / a if self.faster else a / b for a, b in pairs]

    @property
    def median_ratio(self) -> float:
        return statistics.median(self.ratios)

    def met(self) -> bool | None:
        if self.target is None:
            return None
        return self.median_ratio >= self.target if self.faster else self.median_ratio <= self.target

    def cells(self) -> list[str]:
        """The table row: label, median times, ratio median [min, max], target, verdict."""
        ratios = self.ratios
        return [
            self.label,
            seconds(statistics.median(self.optviz)),
            seconds(statistics.median(self.baseline)),
            f"{statistics.median(ratios):.2f}{unit(self.faster)} [{min(ratios):.2f}, {max(ratios):.2f}]",
            target_text(self.target, self.faster),
            verdict(self.met()),
        ]


def unit(faster: bool) -> str:
    return "× as fast" if faster else "× the time"


def target_text(target: float | None, faster: bool) -> str:
    """``≥ 35× as fast`` or ``≤ 2× the time``; ``—`` for an informational row."""
    if target is None:
        return "—"
    return f"{'≥' if faster else '≤'} {target:g}{unit(faster)}"


COMPARISON_HEADERS = ["comparison", "optviz", "baseline", "ratio: median [min, max]", "target", "verdict"]


def verdict(met: bool | None) -> str:
    return "info" if met is None else ("met" if met else "missed")


def seconds(value: float) -> str:
    """A time with three significant digits, in s or ms."""
    return f"{value:.3g} s" if value >= 1 else f"{value * 1e3:.3g} ms"


def spread(values: Sequence[float], fmt: Callable[[float], str] = seconds) -> str:
    """``median [min, max]`` of raw values."""
    return f"{fmt(statistics.median(values))} [{fmt(min(values))}, {fmt(max(values))}]"


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table (no terminal-width wrapping, so it pastes verbatim into notes)."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        first, *rest = cells
        return "  ".join(
            [str(first).ljust(widths[0]), *(str(c).rjust(w) for c, w in zip(rest, widths[1:], strict=True))]
        )

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def method_lines(rounds: Rounds, warmup: str) -> list[str]:
    """How the numbers were taken, printed above every table."""
    return [
        f"method: {rounds.count} rounds; each round runs {' then '.join(rounds.times)} (alternating A B A B ...)",
        f"        {warmup}",
        "        ratio per round: baseline time / optviz time ('× as fast') or optviz time / baseline time ('× the time');",
        "        reported: median of the per-round ratios [min, max]; times are medians of the raw per-round times;",
        "        a target is judged on the median ratio and printed 'met' or 'missed'",
        f"machine: {os.cpu_count()} cores; 1-minute load average {rounds.load_before:.1f} before the rounds, "
        f"{rounds.load_after:.1f} after (this benchmark counts about 1; the rest is other work on the machine)",
    ]
