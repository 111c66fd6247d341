"""Engine speed: Adam on the ravine, optviz against hand-written loops that do the same work.

Every contender starts from the same points, takes the same Adam updates (torch's defaults,
lr 0.16, float64, the exact gradient) and records what optviz records: the point, the loss and
the norm of the exact gradient at every step 0..K. Allocating the recorded arrays is inside the
timing for everyone (optviz allocates them too). Comparisons:

- batch, 10,000 runs x 1000 steps: ``optviz.run_batch`` against a hand-written, preallocated,
  in-place NumPy Adam loop (target: optviz >= 0.9x its speed), and against ``torch.optim.Adam``
  stepping one (N, 2) tensor (informational);
- one run x 1000 steps: ``optviz.run`` against a ``torch.optim.Adam`` loop with the exact gradient
  assigned (``param.grad = ...; optimizer.step()``; target: optviz >= 7x faster), and against the
  NumPy loop with N=1 (informational).

torch runs on one thread (NumPy's element-wise loops use one too). Without torch its rows print
"skipped (no torch)". optviz's batch evaluates its recorded blocks (loss, gradient norm,
finiteness) on a second thread where the process may use two cores (``optviz.background``); the
'CPU ratio' column counts both threads, and ``--one-thread`` measures optviz with that off.

Method (see rounds.py): each contender runs once untimed, and its recorded points, losses and
gradient norms are checked against optviz's; then ``--rounds`` rounds run every contender once,
optviz first; the speed-up is baseline/optviz per round, reported as the median [min, max].

    .venv/bin/python benchmarks/bench_engine.py [--rounds 21]
    .venv/bin/python benchmarks/bench_engine.py --scaling [--rounds 7]   # throughput by batch size
    .venv/bin/python benchmarks/bench_engine.py --one-thread             # no background evaluation
"""

from __future__ import annotations

import argparse
import math
import statistics
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from rounds import (
    COMPARISON_HEADERS,
    Rounds,
    alternate,
    format_table,
    method_lines,
    seconds,
    spread,
    target_text,
    verdict,
)

import optviz
from optviz import background

FUNCTION = "ravine"  # f = A·x1² + B·x2², optviz's defaults
A, B = 0.1, 2.0
STEPS, LR = 1000, 0.16
BETA1, BETA2, EPS = 0.9, 0.999, 1e-8  # torch's Adam defaults, which optviz uses too
BATCH = 10_000

TARGET_BATCH_VS_NUMPY, TARGET_SINGLE_VS_TORCH = 0.9, 7.0
TARGET_BATCH_RATE = 1e8  # run-steps per second, 10,000 runs (absolute: depends on the machine)


class Recorded(NamedTuple):
    """What a contender recorded, in one layout for checking: (K+1, N, 2), (K+1, N), (K+1, N)."""

    points: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray


def starts_for(n: int) -> np.ndarray:
    """n start points scattered around the ravine's default start (-5, -2)."""
    return np.array([-5.0, -2.0]) + 0.1 * np.random.default_rng(0).normal(size=(n, 2))


# ------------------------------------------------------------------------------------------ optviz


def optviz_batch(starts: np.ndarray) -> Recorded:
    batch = optviz.run_batch(FUNCTION, "adam", lr=LR, steps=STEPS, start=starts)
    return Recorded(batch.points.transpose(1, 0, 2), batch.loss.T, batch.grad_norm.T)


def optviz_single(starts: np.ndarray) -> Recorded:
    traj = optviz.run(FUNCTION, "adam", lr=LR, steps=STEPS, start=starts[0])
    return Recorded(traj.points[:, None, :], traj.loss[:, None], traj.grad_norm[:, None])


# ------------------------------------------------------------------------------------------- NumPy

#: loss and gradient norm are evaluated for blocks of this many recorded values at once: one step
#: of 10,000 runs, still in cache right after the loop wrote it, or a single run's whole path in
#: one call instead of a call per step (each call costs about a microsecond). Measured: both
#: baselines are as fast this way as the better of evaluating every step or all after the loop.
EVALUATE_VALUES = 1 << 14


def block_steps(n_runs: int) -> int:
    """How many steps of recorded points to evaluate at once."""
    return max(1, EVALUATE_VALUES // n_runs)


def numpy_adam(starts: np.ndarray, steps: int = STEPS) -> Recorded:
    """Adam written by hand: every array allocated once, every update in place.

    Coordinate-major (2, N), so that each coordinate is one contiguous row; the loss and gradient
    norm of the recorded points are evaluated in blocks (see ``EVALUATE_VALUES``).
    """
    n = len(starts)
    points = np.empty((steps + 1, 2, n))
    loss = np.empty((steps + 1, n))
    grad_norm = np.empty((steps + 1, n))
    x = starts.T.copy()  # a copy: ascontiguousarray would return a view of starts when N=1
    hessian_diagonal = np.array([[2 * A], [2 * B]])
    grad, exp_avg, exp_avg_sq, scratch = (np.zeros_like(x) for _ in range(4))
    block = block_steps(n)
    squares = np.empty((2, block + 1, n))  # scratch for x1², x2²; the first block also holds the start
    points[0] = x
    evaluated = 0  # points[:evaluated] have their loss and gradient norm
    for k in range(steps):
        np.multiply(x, hessian_diagonal, out=grad)
        # exp_avg = beta1·exp_avg + (1 − beta1)·grad; exp_avg_sq = beta2·exp_avg_sq + (1 − beta2)·grad²
        exp_avg *= BETA1
        np.multiply(grad, 1 - BETA1, out=scratch)
        exp_avg += scratch
        exp_avg_sq *= BETA2
        np.multiply(grad, grad, out=scratch)
        scratch *= 1 - BETA2
        exp_avg_sq += scratch
        # torch's order: sqrt(v) / sqrt(1 − beta2^t) + eps, step lr / (1 − beta1^t)
        step = k + 1
        np.sqrt(exp_avg_sq, out=scratch)
        scratch /= math.sqrt(1 - BETA2**step)
        scratch += EPS
        np.divide(exp_avg, scratch, out=scratch)
        scratch *= LR / (1 - BETA1**step)
        x -= scratch
        points[k + 1] = x
        if k + 2 - evaluated >= block:
            evaluate_in_place(points, loss, grad_norm, evaluated, k + 2, squares)
            evaluated = k + 2
    if evaluated < steps + 1:
        evaluate_in_place(points, loss, grad_norm, evaluated, steps + 1, squares)
    return Recorded(points.transpose(0, 2, 1), loss, grad_norm)


def evaluate_in_place(
    points: np.ndarray, loss: np.ndarray, grad_norm: np.ndarray, lo: int, hi: int, squares: np.ndarray
) -> None:
    """loss = A·x1² + B·x2² and |grad| = sqrt((2A·x1)² + (2B·x2)²) of ``points[lo:hi]``, written
    into ``loss`` and ``grad_norm`` with no temporaries: x1² and x2² go to the scratch ``squares``."""
    sq1, sq2 = squares[0, : hi - lo], squares[1, : hi - lo]
    np.multiply(points[lo:hi, 0], points[lo:hi, 0], out=sq1)
    np.multiply(points[lo:hi, 1], points[lo:hi, 1], out=sq2)
    np.multiply(sq1, A, out=loss[lo:hi])
    np.multiply(sq1, 4 * A * A, out=grad_norm[lo:hi])
    np.multiply(sq2, 4 * B * B, out=sq1)  # sq1 is free again: reuse it for the second term
    grad_norm[lo:hi] += sq1
    np.sqrt(grad_norm[lo:hi], out=grad_norm[lo:hi])
    sq2 *= B
    loss[lo:hi] += sq2


# ------------------------------------------------------------------------------------------- torch


def load_torch():
    """torch on one thread, or None if it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    return torch


def torch_adam(torch, starts: np.ndarray) -> Recorded:
    """A torch.optim.Adam loop: the exact gradient assigned to ``.grad``, ``optimizer.step()``.

    The point is recorded in the loop; losses and gradient norms are evaluated in blocks of
    steps, as in :func:`numpy_adam` (each torch op has a fixed cost of microseconds).
    """
    hessian_diagonal = torch.tensor([2 * A, 2 * B], dtype=torch.float64)
    coefficients = torch.tensor([A, B], dtype=torch.float64)
    param = torch.tensor(starts, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.Adam([param], lr=LR, betas=(BETA1, BETA2), eps=EPS)
    points = torch.empty((STEPS + 1, *param.shape), dtype=torch.float64)
    loss = torch.empty(points.shape[:2], dtype=torch.float64)
    grad_norm = torch.empty(points.shape[:2], dtype=torch.float64)
    block = block_steps(len(starts))

    def evaluate(lo: int, hi: int) -> None:
        block_points = points[lo:hi]
        loss[lo:hi] = (block_points * block_points * coefficients).sum(-1)
        grad_norm[lo:hi] = torch.linalg.vector_norm(block_points * hessian_diagonal, dim=-1)

    evaluated = 0
    with torch.no_grad():
        points[0] = param
        for k in range(STEPS):
            param.grad = param * hessian_diagonal
            optimizer.step()
            points[k + 1] = param
            if k + 2 - evaluated >= block:
                evaluate(evaluated, k + 2)
                evaluated = k + 2
        if evaluated < STEPS + 1:
            evaluate(evaluated, STEPS + 1)
    return Recorded(points.numpy(), loss.numpy(), grad_norm.numpy())


# -------------------------------------------------------------------------------------- the bench


def check_same_work(reference: Recorded, other: Recorded, name: str) -> None:
    """Stop if a baseline recorded other numbers than optviz: then it did other work."""
    for field, ours, theirs in zip(Recorded._fields, reference, other, strict=True):
        if ours.shape != theirs.shape or not np.allclose(ours, theirs, rtol=1e-9, atol=1e-12):
            raise SystemExit(f"{name}: its {field} differ from optviz's; the comparison would not be like with like")


def contenders(torch) -> dict[str, Callable[[], Recorded]]:
    """Every timed call, in the order each round runs them (optviz before its baselines)."""
    batch, single = starts_for(BATCH), starts_for(1)
    calls = {
        "optviz batch": lambda: optviz_batch(batch),
        "NumPy batch": lambda: numpy_adam(batch),
        "optviz single": lambda: optviz_single(single),
        "NumPy single": lambda: numpy_adam(single),
    }
    if torch is not None:
        calls["torch batch"] = lambda: torch_adam(torch, batch)
        calls["torch single"] = lambda: torch_adam(torch, single)
    order = ["optviz batch", "NumPy batch", "torch batch", "optviz single", "torch single", "NumPy single"]
    return {name: calls[name] for name in order if name in calls}


def warm_up_and_check(calls: dict[str, Callable[[], Recorded]]) -> None:
    results = {name: call() for name, call in calls.items()}
    for name, recorded in results.items():
        reference = results["optviz batch" if "batch" in name else "optviz single"]
        check_same_work(reference, recorded, name)


def comparison_rows(rounds: Rounds) -> list[list[str]]:
    def row(label: str, ours: str, theirs: str, target: float | None) -> list[str]:
        if theirs not in rounds.times:
            optviz_median = seconds(statistics.median(rounds.times[ours]))
            return [label, optviz_median, "—", "skipped (no torch)", "—", target_text(target, True), "skipped"]
        return rounds.compare(label, ours, theirs, faster=True, target=target).cells()

    batch = f"{BATCH:,} runs x {STEPS} steps"
    single = f"1 run x {STEPS} steps"
    return [
        row(f"{batch}: optviz.run_batch vs NumPy loop", "optviz batch", "NumPy batch", TARGET_BATCH_VS_NUMPY),
        row(f"{batch}: optviz.run_batch vs torch.optim", "optviz batch", "torch batch", None),
        row(f"{single}: optviz.run vs torch.optim loop", "optviz single", "torch single", TARGET_SINGLE_VS_TORCH),
        row(f"{single}: optviz.run vs NumPy loop", "optviz single", "NumPy single", None),
    ]


def threads_line(values: int) -> str:
    """Whether optviz evaluates a batch of ``values`` coordinates on a second thread here."""
    if background.usable(values):
        return "recorded blocks evaluated on a second thread (the loop on the first)"
    return "one thread" + (" (--one-thread)" if background.MIN_VALUES > values else " (one core available)")


def rate_lines(times: dict[str, list[float]]) -> list[str]:
    """Raw medians per contender, as µs per step and run-steps per second."""
    lines = []
    for name, values in times.items():
        n = BATCH if "batch" in name else 1
        median = statistics.median(values)
        lines.append(
            f"{name}: median [min, max] {spread(values)}; {median / STEPS * 1e6:.1f} µs/step, "
            f"{n * STEPS / median:.3g} run-steps/s"
        )
    rate = {name: BATCH * STEPS / statistics.median(values) for name, values in times.items() if "batch" in name}
    if "optviz batch" in rate:
        lines.append(
            f"target: optviz batch >= {TARGET_BATCH_RATE:.0e} run-steps/s: {rate['optviz batch']:.3g}, "
            f"{verdict(rate['optviz batch'] >= TARGET_BATCH_RATE)} (the NumPy loop on this machine: "
            f"{rate.get('NumPy batch', float('nan')):.3g})"
        )
    return lines


#: --scaling: (runs, steps), 1e7 to 3e7 run-steps from 10,000 runs on (fewer below: one run of
#: 1e7 steps would take a minute), the recorded arrays about 1 GB at a million runs
SCALING = [(1, 1000), (100, 1000), (10_000, 1000), (100_000, 100), (1_000_000, 30)]


def scaling(rounds: int) -> None:
    """Throughput against batch size: optviz.run_batch and the NumPy loop at each size, alternating."""
    calls: dict[str, Callable[[], object]] = {}
    for n, steps in SCALING:
        starts = starts_for(n)
        if n == 1:
            calls[f"optviz {n}"] = lambda s=starts, k=steps: optviz.run(FUNCTION, "adam", lr=LR, steps=k, start=s[0])
        else:
            calls[f"optviz {n}"] = lambda s=starts, k=steps: optviz.run_batch(FUNCTION, "adam", lr=LR, steps=k, start=s)
        calls[f"NumPy {n}"] = lambda s=starts, k=steps: numpy_adam(s, k)
    for call in calls.values():
        call()  # warm-up
    measured = alternate(calls, rounds)
    print(f"Adam on {FUNCTION}, recording point, loss and grad norm at every step; engine throughput by batch size")
    where = "" if background.MIN_VALUES > BATCH * 2 else f" (from {background.MIN_VALUES:,} coordinates)"
    print(f"optviz: {threads_line(BATCH * 2)}{where}")
    for line in method_lines(measured, "one untimed warm-up of each first"):
        print(line)
    print()
    rows = []
    for n, steps in SCALING:
        ours, theirs = measured.times[f"optviz {n}"], measured.times[f"NumPy {n}"]
        comparison = measured.compare("", f"optviz {n}", f"NumPy {n}", faster=True)
        rate = n * steps / statistics.median(ours)
        rows.append(
            [
                f"{n:,}",
                str(steps),
                seconds(statistics.median(ours)),
                f"{rate:.3g}",
                f"{statistics.median(ours) / (n * steps) * 1e9:.1f}",
                seconds(statistics.median(theirs)),
                f"{n * steps / statistics.median(theirs):.3g}",
                comparison.cells()[3],
            ]
        )
    headers = ["runs", "steps", "optviz", "run-steps/s", "ns/run-step", "NumPy loop", "run-steps/s", "optviz vs NumPy"]
    print(format_table(headers, rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21, help="alternating rounds (default 21, about a minute)")
    parser.add_argument("--scaling", action="store_true", help="throughput by batch size (1 to 1e6 runs) instead")
    parser.add_argument("--one-thread", action="store_true", help="optviz evaluates on the loop's thread only")
    args = parser.parse_args()
    if args.one_thread:
        background.MIN_VALUES = 1 << 62
    if args.scaling:
        scaling(args.rounds)
        return
    torch = load_torch()
    calls = contenders(torch)
    warm_up_and_check(calls)
    rounds = alternate(calls, args.rounds)

    print(f"Adam on {FUNCTION} (lr {LR}, torch's defaults, float64), {STEPS} steps, recording point, loss, grad norm")
    print(f"torch: {'not installed' if torch is None else f'{torch.__version__}, 1 thread'}; numpy {np.__version__}")
    print(f"optviz batch: {threads_line(BATCH * 2)}")
    warmup = "one untimed warm-up of each first; its points, losses and grad norms match optviz's to 1e-9"
    for line in method_lines(rounds, warmup):
        print(line)
    print()
    print(format_table(COMPARISON_HEADERS, comparison_rows(rounds)))
    print()
    for line in rate_lines(rounds.times):
        print(line)


if __name__ == "__main__":
    main()
