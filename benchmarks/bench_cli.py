"""CLI start-up and end-to-end wall time, each command in fresh processes (median of --repeat).

Baselines measured in the same run: the bare interpreter and importing matplotlib's pyplot (what
a naive plotting script pays before drawing anything).

    python benchmarks/bench_cli.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

HERE = Path(sys.executable).parent
OPTVIZ = str(HERE / "optviz") if (HERE / "optviz").exists() else shutil.which("optviz") or "optviz"


def commands(folder: Path) -> list[tuple[str, list[str], float | None]]:
    """(name, argv, target seconds)."""
    return [
        ("python -c pass (baseline)", [sys.executable, "-c", "pass"], None),
        ("import matplotlib.pyplot (baseline)", [sys.executable, "-c", "import matplotlib.pyplot"], None),
        ("optviz --help", [OPTVIZ, "--help"], 0.25),
        ("optviz list functions", [OPTVIZ, "list", "functions"], None),
        (
            "optviz run --out x.png",
            [OPTVIZ, "run", "--fn", "ravine", "--opt", "adam", "--lr", "0.16", "--out", str(folder / "x.png")],
            0.8,
        ),
        ("optviz run --out x.gif (100 frames, 1280x720)", gif_run(folder / "x.gif", "16:9"), 1.3),
        ("optviz run --out x.gif (100 frames, 640x360)", gif_run(folder / "y.gif", "640x360"), None),
    ]


def gif_run(out: Path, size: str) -> list[str]:
    """GD, momentum and Adam on the ravine for 100 steps, one frame per step."""
    return [
        *(OPTVIZ, "run", "--fn", "ravine", "--opt", "gd", "--opt", "momentum", "--opt", "adam", "--lr", "0.4"),
        *("--steps", "100", "--frames", "100", "--size", size, "--out", str(out)),
    ]


def wall_time(argv: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = []
        for name, argv, target in commands(Path(tmp)):
            wall_time(argv)  # warm the file cache
            rows.append((name, statistics.median(wall_time(argv) for _ in range(args.repeat)), target))
    interpreter = rows[0][1]
    pyplot = rows[1][1]
    table = Table(title=f"wall time from a fresh process (median of {args.repeat})", title_justify="left")
    for column in ("command", "seconds", "× python -c pass", "× import pyplot", "target"):
        table.add_column(column, justify="left" if column == "command" else "right")
    for name, seconds, target in rows:
        verdict = "—" if target is None else f"≤ {target:g} s: {'met' if seconds <= target else 'MISSED'}"
        table.add_row(name, f"{seconds:.3f}", f"{seconds / interpreter:.1f}", f"{seconds / pyplot:.2f}", verdict)
    Console(width=140).print(table)


if __name__ == "__main__":
    main()
