"""GIF render time as the picture grows: runs overlaid, frames, size and steps, one at a time.

Each table changes one thing of the reference animation (ravine, 3 runs, 100 steps, 100 frames,
800x450, contour map + loss panel) and times ``optviz.render`` writing the GIF. The runs are
computed before the timing (the engine is not measured here). Within a table the cells are timed
in alternating rounds (A B C, A B C, ...) after one untimed warm-up each; a cell reports the
median [min, max] of its rounds.

``growth`` compares each row with the row before: the exponent p in time ∝ size^p, where size is
what the table changes (runs, frames, pixels, steps). p near 1 is linear, near 0 is a cost that
does not depend on it; above 1 (superlinear) needs an explanation.

    .venv/bin/python benchmarks/bench_scaling.py [--rounds 3] [--tables runs,frames,size,steps]
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from rounds import format_table, seconds, spread

import optviz
from optviz.render import render

FUNCTION = "ravine"
REFERENCE = {"runs": 3, "frames": 100, "size": "800x450", "steps": 100}
TABLES: dict[str, list] = {
    "runs": [1, 3, 10, 30],
    "frames": [25, 100, 400],
    "size": ["640x360", "1280x720", "1920x1080"],
    "steps": [100, 1_000, 10_000, 100_000, 1_000_000],
}
#: the frames table runs 400 steps: a GIF has at most one frame per step (100 steps give 101)
OVERRIDES: dict[str, dict] = {"frames": {"steps": 400}}
OPTIMIZERS = ("gd", "momentum", "adam")


def make_runs(count: int, steps: int) -> list[optviz.Trajectory]:
    """``count`` runs from the function's start: gd, momentum, adam in turn, learning rates spread
    over 0.05-0.45 (the reference's three are gd, momentum and adam at 0.4)."""
    if count == 3:
        return [optviz.run(FUNCTION, opt, lr=0.4, steps=steps) for opt in OPTIMIZERS]
    lrs = [0.05 * 9 ** (i / max(count - 1, 1)) for i in range(count)]
    return [optviz.run(FUNCTION, OPTIMIZERS[i % 3], lr=lr, steps=steps) for i, lr in enumerate(lrs)]


def size_of(setting: dict) -> float:
    width, height = (int(v) for v in setting["size"].split("x"))
    return float(width * height)


def measure(name: str, values: list, rounds: int, out_dir: Path) -> list[list[str]]:
    settings = [{**REFERENCE, **OVERRIDES.get(name, {}), name: value} for value in values]
    runs: dict[tuple[int, int], list[optviz.Trajectory]] = {}
    for setting in settings:
        key = (setting["runs"], setting["steps"])
        if key not in runs:
            runs[key] = make_runs(*key)

    def job(i: int, setting: dict) -> Callable[[], object]:
        trajs = runs[(setting["runs"], setting["steps"])]
        path = out_dir / f"{name}-{i}.gif"
        return lambda: render(
            trajs, FUNCTION, path, size=setting["size"], frames=setting["frames"], fps=10, panels="loss"
        )

    jobs = [job(i, setting) for i, setting in enumerate(settings)]
    for run in jobs:  # warm-up: imports, font caches
        run()
    times: list[list[float]] = [[] for _ in jobs]
    for _ in range(rounds):
        for i, run in enumerate(jobs):
            start = time.perf_counter()
            run()
            times[i].append(time.perf_counter() - start)
    measure_of = size_of if name == "size" else (lambda s: float(s[name]))
    rows = []
    for i, setting in enumerate(settings):
        median = statistics.median(times[i])
        growth = "—"
        if i:
            before = statistics.median(times[i - 1])
            ratio = measure_of(setting) / measure_of(settings[i - 1])
            growth = f"{math.log(median / before) / math.log(ratio):.2f}"
        frames = setting["frames"]
        rows.append(
            [
                f"{setting[name]:,}" if isinstance(setting[name], int) else str(setting[name]),
                spread(times[i]),
                seconds(median / frames),
                growth,
                f"{(out_dir / f'{name}-{i}.gif').stat().st_size / 1e3:.0f} KB",
            ]
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per table (default 3)")
    parser.add_argument("--tables", default=",".join(TABLES), help=f"which tables (default {','.join(TABLES)})")
    args = parser.parse_args()
    out_dir = Path(tempfile.mkdtemp(prefix="optviz-scaling-"))
    reference = ", ".join(f"{k} {v}" for k, v in REFERENCE.items())
    print(f"GIF render time, {FUNCTION}, reference: {reference}, contour + loss panel; {args.rounds} rounds per table")
    for name in args.tables.split(","):
        load = os.getloadavg()[0]
        rows = measure(name, TABLES[name], args.rounds, out_dir)
        print()
        changed = "".join(f", {k} {v:,}" for k, v in OVERRIDES.get(name, {}).items())
        print(
            f"{name} (everything else as the reference{changed}); 1-minute load {load:.1f} -> {os.getloadavg()[0]:.1f}"
        )
        print(format_table([name, "GIF time: median [min, max]", "per frame", "growth", "file"], rows))
    print(f"\n{os.cpu_count()} cores, {date.today().isoformat()}; files in {out_dir}")


if __name__ == "__main__":
    main()
