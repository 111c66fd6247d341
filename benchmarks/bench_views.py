"""Speed of the chart views that run thousands of runs as one batch, beside loops of single runs.

- basins: a 200x200 basin map of 500 steps (himmelblau, gd, lr 0.01), classified and drawn to a
  1280x720 PNG with the talk preset; target: at most 2 s. Baseline: a loop of ``optviz.run``, one
  start at a time, each run classified as the map classifies it, plus drawing the same picture.
  40,000 single runs would take minutes a round, so each round times a fixed sample of 400 starts
  of the grid and extrapolates linearly to 40,000 (x100); the drawing is timed whole.
- lr-scan: 60 learning rates x 3 optimizers (gd, momentum, adam) x 1000 steps on the ravine,
  measured and drawn; target: at most 0.5 s (judged with the drawing; the numbers alone are shown
  beside it). Baseline: a loop of the 180 single runs, measured the same way, plus the drawing.

Everything runs in this process through the views' API (``optviz.views.make``): no interpreter
start or imports are timed (``optviz basins ...`` on the command line adds about 0.5 s of those).

Method (see rounds.py): each contender runs once untimed, and the baselines' results are checked
against optviz's (basin labels and steps of the sampled starts equal; scan values equal bit for
bit); then ``--rounds`` rounds run every contender once, optviz first; ratios per round,
medians [min, max]; the absolute targets are judged on the median wall time.

    .venv/bin/python benchmarks/bench_views.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from rounds import COMPARISON_HEADERS, alternate, format_table, method_lines, seconds, spread, verdict

import optviz
from optviz.views.basins import DIVERGED, NOT_CONVERGED, grid_starts
from optviz.views.common import gap
from optviz.views.make import check

GRID, BASIN_STEPS, SAMPLE = 200, 500, 400
SCAN_NUM, SCAN_STEPS, SCAN_OPTS = 60, 1000, ["gd", "momentum", "adam"]
TARGET_BASINS, TARGET_SCAN = 2.0, 0.5
DRAW = {"size": "16:9", "preset": "talk"}
OUT = Path(tempfile.mkdtemp(prefix="optviz-bench-views-"))


# ------------------------------------------------------------------------------------------ basins


def basin_job():
    values = {"fn": "himmelblau", "opt": ["gd"], "lr": [0.01], "steps": BASIN_STEPS, "grid": GRID}
    return check("basins", values, DRAW, OUT / "basins.png")


def optviz_basins():
    """The whole map: check, one batch, classify, draw, write."""
    job = basin_job()
    data = job.compute()
    job.render(data)
    return data


def sample_cells() -> np.ndarray:
    return np.random.default_rng(0).choice(GRID * GRID, size=SAMPLE, replace=False)


def single_outcome(fn, traj, tol: float) -> tuple[int, int]:
    """One run classified as the map classifies it (see optviz/views/basins.py)."""
    if traj.diverged:
        return DIVERGED, traj.diverged_at
    targets = [np.array(m.point) for m in fn.minima]
    distances = [float(np.hypot(*(traj.final - p))) for p in targets]
    nearest = int(np.argmin(distances))
    if distances[nearest] > tol:
        return NOT_CONVERGED, traj.steps
    inside = np.hypot(*(traj.points - targets[nearest]).T) <= tol
    outside = np.flatnonzero(~inside)
    return nearest, int(outside[-1] + 1) if outside.size else 0


def loop_basins_sample() -> list[tuple[int, int]]:
    """The baseline's work on the sample: one optviz.run per start, classified."""
    job = basin_job()
    fn, tol = job.settings.fn, 1e-3 * 10
    _, _, starts = grid_starts(fn.window, GRID)
    return [
        single_outcome(fn, optviz.run(fn, "gd", lr=0.01, steps=BASIN_STEPS, start=starts[i]), tol)
        for i in sample_cells()
    ]


def draw_basins(data) -> None:
    basin_job().render(data)


# ---------------------------------------------------------------------------------------- lr scan


def scan_job():
    values = {"fn": "ravine", "opt": SCAN_OPTS, "lr": "1e-4..1", "num": SCAN_NUM, "steps": SCAN_STEPS}
    return check("lr-scan", values, DRAW, OUT / "scan.png")


def optviz_scan(draw: bool = True):
    job = scan_job()
    data = job.compute()
    if draw:
        job.render(data)
    return data


def loop_scan() -> list[np.ndarray]:
    """The baseline's numbers: 180 single runs, each one's loss above the minimum after the steps."""
    fn = optviz.get_function("ravine")
    lrs = np.geomspace(1e-4, 1, SCAN_NUM)
    out = []
    for opt in SCAN_OPTS:
        values = []
        for lr in lrs:
            traj = optviz.run(fn, opt, lr=float(lr), steps=SCAN_STEPS)
            values.append(np.nan if traj.diverged else float(gap(fn, traj.final_loss)))
        out.append(np.array(values))
    return out


# -------------------------------------------------------------------------------------- the bench


def check_same_work(data_basins, data_scan) -> None:
    labels, steps = data_basins.panels[0].labels.ravel(), data_basins.panels[0].steps.ravel()
    cells = sample_cells()
    if [(int(labels[i]), int(steps[i])) for i in cells] != loop_basins_sample():
        raise SystemExit("basins: the single runs' outcomes differ from the map's; not like with like")
    for series, values in zip(data_scan.series, loop_scan(), strict=True):
        kept = ~series.diverged
        same = np.array_equal(series.values[kept], values[kept]) and np.array_equal(series.overflowed, np.isnan(values))
        if not same:
            raise SystemExit(f"lr-scan {series.label}: values differ from single runs; not like with like")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="alternating rounds (default 7, about 4 minutes)")
    args = parser.parse_args()
    data_basins, data_scan = optviz_basins(), optviz_scan()
    check_same_work(data_basins, data_scan)
    calls = {
        "optviz basins (batch + draw)": optviz_basins,
        "loop basins sample (400 runs)": loop_basins_sample,
        "draw basins": lambda: draw_basins(data_basins),
        "optviz lr-scan (batch + draw)": optviz_scan,
        "optviz lr-scan numbers": lambda: optviz_scan(draw=False),
        "loop lr-scan (180 runs)": loop_scan,
        "draw lr-scan": lambda: scan_job().render(data_scan),
    }
    rounds = alternate(calls, args.rounds)
    scale = GRID * GRID / SAMPLE

    def baselines(times: dict[str, list[float]]) -> dict[str, list[float]]:
        """Per round: the basin sample extrapolated to the grid plus drawing, the scan loop plus drawing."""
        pairs = zip(times["loop basins sample (400 runs)"], times["draw basins"], strict=True)
        scan = zip(times["loop lr-scan (180 runs)"], times["draw lr-scan"], strict=True)
        return {"basins": [a * scale + b for a, b in pairs], "scan": [a + b for a, b in scan]}

    wall, cpu = baselines(rounds.times), baselines(rounds.cpu_times)
    t, c = rounds.times, rounds.cpu_times

    def ratio_row(label: str, ours: str, theirs: str, target: float) -> list[str]:
        mine, base = t[ours], wall.get(theirs) or t[theirs]
        mine_cpu, base_cpu = c[ours], cpu.get(theirs) or c[theirs]
        ratios = [b / a for a, b in zip(mine, base, strict=True)]
        cpu_ratios = [b / a for a, b in zip(mine_cpu, base_cpu, strict=True)]
        median = statistics.median(mine)
        return [
            label,
            seconds(median),
            seconds(statistics.median(base)),
            f"{statistics.median(ratios):.1f}× as fast [{min(ratios):.1f}, {max(ratios):.1f}]",
            f"{statistics.median(cpu_ratios):.1f}×",
            f"optviz ≤ {target:g} s",
            verdict(median <= target),
        ]

    basins_label = f"basins {GRID}x{GRID} x {BASIN_STEPS} steps, drawn: batch vs loop (x{scale:g} extrapolated)"
    scan_label = f"lr-scan {SCAN_NUM} lrs x {len(SCAN_OPTS)} opts x {SCAN_STEPS} steps, drawn: batch vs loop"
    rows = [
        ratio_row(basins_label, "optviz basins (batch + draw)", "basins", TARGET_BASINS),
        ratio_row(scan_label, "optviz lr-scan (batch + draw)", "scan", TARGET_SCAN),
        ratio_row(
            "lr-scan numbers only: batch vs loop", "optviz lr-scan numbers", "loop lr-scan (180 runs)", TARGET_SCAN
        ),
    ]
    print(
        f"himmelblau gd lr 0.01 basins; ravine {', '.join(SCAN_OPTS)} lr-scan 1e-4..1; pictures 1280x720, talk preset"
    )
    warmup = (
        "one untimed warm-up of each first; the sampled starts' labels and steps equal the map's, "
        "the scan's values equal the single runs' bit for bit"
    )
    for line in method_lines(rounds, warmup):
        print(line)
    print(f"        basins baseline per round: (time of {SAMPLE} sampled single runs) x {scale:g} + drawing time")
    print("        the targets here are absolute: optviz's median wall time within the budget ('optviz ≤ 2 s')")
    print()
    print(format_table(COMPARISON_HEADERS, rows))
    print()
    for name, values in t.items():
        print(f"{name}: median [min, max] {spread(values)}")
    print(f"written to {OUT}")


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"({time.perf_counter() - started:.0f} s in all)")
