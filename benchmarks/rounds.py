"""The method every benchmark here shares: alternating rounds, per-round ratios, medians, verdicts.

Why alternate: the machine is shared and noisy. Timing all of optviz and then all of the baseline
lets a slow minute land on one side only. Running optviz and then its baseline in every round
(A B A B ...) exposes both to the same conditions, and the ratio taken within a round cancels
what the two runs of that round had in common. The verdict uses the median of those per-round
ratios of wall time; min and max show the spread, and the medians of the raw times are printed
beside them.

CPU time (this process and the child processes it waited for) is recorded too and its median
ratio printed as a check: it leaves out the time a contender waited while other work had the
cores, so when it differs much from the wall-time ratio, the machine was busy.
"""

from __future__ import annotations

import os
import resource
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass


def cpu_seconds() -> float:
    """User + system CPU time of this process (all threads) and of its waited-for children."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def time_call(fn: Callable[[], object]) -> tuple[float, float]:
    """Wall time and CPU time of one call, in seconds."""
    wall, cpu = time.perf_counter(), cpu_seconds()
    fn()
    return time.perf_counter() - wall, cpu_seconds() - cpu


@dataclass(frozen=True)
class Rounds:
    """Per-contender wall and CPU times, one per round, and how busy the machine was meanwhile."""

    times: dict[str, list[float]]
    cpu_times: dict[str, list[float]]
    load_before: float  # 1-minute load average
    load_after: float

    @property
    def count(self) -> int:
        return len(next(iter(self.times.values())))

    def compare(self, label: str, ours: str, theirs: str, *, faster: bool, target: float | None = None) -> Comparison:
        """Contender ``ours`` (optviz) against ``theirs`` (a baseline)."""
        return Comparison(
            label, self.times[ours], self.times[theirs], faster, target, self.cpu_times[ours], self.cpu_times[theirs]
        )


def alternate(contenders: dict[str, Callable[[], object]], rounds: int) -> Rounds:
    """Time every contender once per round, in the order given, for ``rounds`` rounds."""
    times: dict[str, list[float]] = {name: [] for name in contenders}
    cpu_times: dict[str, list[float]] = {name: [] for name in contenders}
    load_before = os.getloadavg()[0]
    for _ in range(rounds):
        for name, fn in contenders.items():
            wall, cpu = time_call(fn)
            times[name].append(wall)
            cpu_times[name].append(cpu)
    return Rounds(times, cpu_times, load_before, os.getloadavg()[0])


def per_round_ratios(optviz: Sequence[float], baseline: Sequence[float], faster: bool) -> list[float]:
    """``baseline / optviz`` (how many times as fast optviz is) or ``optviz / baseline`` (its time
    as a multiple of the baseline's), one per round."""
    pairs = zip(optviz, baseline, strict=True)
    return [b / a if faster else a / b for a, b in pairs]


@dataclass(frozen=True)
class Comparison:
    """optviz against one baseline, round by round.

    ``faster`` comparisons report ``baseline / optviz`` per round (the target is a minimum); the
    others report ``optviz / baseline`` (the target is a maximum). Verdicts use wall time.
    """

    label: str
    optviz: Sequence[float]
    baseline: Sequence[float]
    faster: bool
    target: float | None = None
    optviz_cpu: Sequence[float] = ()
    baseline_cpu: Sequence[float] = ()

    @property
    def ratios(self) -> list[float]:
        return per_round_ratios(self.optviz, self.baseline, self.faster)

    @property
    def median_ratio(self) -> float:
        return statistics.median(self.ratios)

    def met(self) -> bool | None:
        if self.target is None:
            return None
        return self.median_ratio >= self.target if self.faster else self.median_ratio <= self.target

    def cells(self) -> list[str]:
        """The table row: label, median times, ratio median [min, max], CPU-time ratio, target, verdict."""
        ratios = self.ratios
        cpu = per_round_ratios(self.optviz_cpu, self.baseline_cpu, self.faster) if self.optviz_cpu else []
        return [
            self.label,
            seconds(statistics.median(self.optviz)),
            seconds(statistics.median(self.baseline)),
            f"{statistics.median(ratios):.2f}{unit(self.faster)} [{min(ratios):.2f}, {max(ratios):.2f}]",
            f"{statistics.median(cpu):.2f}×" if cpu else "—",
            target_text(self.target, self.faster),
            verdict(self.met()),
        ]


COMPARISON_HEADERS = ["comparison", "optviz", "baseline", "ratio: median [min, max]", "CPU ratio", "target", "verdict"]


def unit(faster: bool) -> str:
    return "× as fast" if faster else "× the time"


def target_text(target: float | None, faster: bool) -> str:
    """``≥ 35× as fast`` or ``≤ 2× the time``; ``—`` for an informational row."""
    if target is None:
        return "—"
    return f"{'≥' if faster else '≤'} {target:g}{unit(faster)}"


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
        "        reported: median of the per-round wall-time ratios [min, max]; times are medians of the raw wall times;",
        "        a target is judged on the median wall-time ratio and printed 'met' or 'missed';",
        "        'CPU ratio' is the same median ratio of CPU time, a check that leaves out waiting for a busy core",
        f"machine: {os.cpu_count()} cores; 1-minute load average {rounds.load_before:.1f} before the rounds, "
        f"{rounds.load_after:.1f} after (this benchmark counts about 1; the rest is other work on the machine)",
    ]
