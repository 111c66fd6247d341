"""Engine speed: Adam on the ravine, 1000 steps, for one run and batches of 1 to 100k runs.

Each row is timed in the same process against a torch.optim loop doing the same work (one
float64 parameter tensor of shape (N, 2), the exact gradient assigned to ``.grad``, ``Adam.step``,
the point and loss recorded per step). Times are the median of ``--repeat`` runs after one warm-up
(the first touch of fresh memory is slow on these VMs and is not what is being measured).

    python benchmarks/bench_engine.py [--repeat 3] [--sizes 1,100,10000,100000]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from rich.console import Console
from rich.table import Table

import optviz

STEPS = 1000
LR = 0.16
TARGET_SINGLE_US = 10.0
TARGET_BATCH_RATE = 1e8


def starts_for(n: int) -> np.ndarray:
    return np.array([-5.0, -2.0]) + 0.1 * np.random.default_rng(0).normal(size=(n, 2))


def time_optviz(n: int) -> float:
    starts = starts_for(n)
    t0 = time.perf_counter()
    if n == 1:
        optviz.run("ravine", "adam", lr=LR, steps=STEPS, start=starts[0])
    else:
        optviz.run_batch("ravine", "adam", lr=LR, steps=STEPS, start=starts)
    return time.perf_counter() - t0


def time_torch(n: int) -> float | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    hessian_diagonal = torch.tensor([0.2, 4.0], dtype=torch.float64)
    param = torch.tensor(starts_for(n), dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.Adam([param], lr=LR)
    points = torch.empty((STEPS + 1, n, 2), dtype=torch.float64)
    loss = torch.empty((STEPS + 1, n), dtype=torch.float64)
    t0 = time.perf_counter()
    with torch.no_grad():
        points[0] = param
        for k in range(STEPS):
            param.grad = param * hessian_diagonal
            loss[k] = 0.5 * (param * param.grad).sum(-1)
            optimizer.step()
            points[k + 1] = param
        loss[STEPS] = 0.5 * (param * param * hessian_diagonal).sum(-1)
    return time.perf_counter() - t0


def median_time(fn, n: int, repeat: int) -> float | None:
    if fn(n) is None:  # warm-up
        return None
    return statistics.median(fn(n) for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sizes", default="1,100,10000,100000")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    table = Table(title=f"Adam on ravine, {STEPS} steps (median of {args.repeat})", title_justify="left")
    for column in (
        "runs",
        "optviz s",
        "µs / step",
        "run-steps / s",
        "torch.optim s",
        "run-steps / s",
        "optviz vs torch",
        "target",
    ):
        table.add_column(column, justify="right")
    for n in sizes:
        ours = median_time(time_optviz, n, args.repeat)
        theirs = median_time(time_torch, n, args.repeat)
        rate = n * STEPS / ours
        if n == 1:
            target = f"≤ {TARGET_SINGLE_US:g} µs/step: {'met' if ours / STEPS * 1e6 <= TARGET_SINGLE_US else 'MISSED'}"
        elif n >= 10_000:
            target = f"≥ {TARGET_BATCH_RATE:.0e}/s: {'met' if rate >= TARGET_BATCH_RATE else 'MISSED'}"
        else:
            target = "—"
        table.add_row(
            f"{n:,}",
            f"{ours:.3f}",
            f"{ours / STEPS * 1e6:.1f}",
            f"{rate:.3g}",
            "—" if theirs is None else f"{theirs:.3f}",
            "—" if theirs is None else f"{n * STEPS / theirs:.3g}",
            "—"
            if theirs is None
            else f"{theirs / ours:.2f}× faster"
            if theirs > ours
            else f"{ours / theirs:.2f}× slower",
            target,
        )
    Console(width=160).print(table)


if __name__ == "__main__":
    main()
