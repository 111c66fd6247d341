"""Formula speed: ``expr(...)`` functions against the same registry functions, 10,000 runs a batch.

Each pair is one function twice: written in the registry by hand (NumPy, its gradient derived on
paper) and as a formula (``expr(...)``: sympy's gradient, evaluated by optviz's NumPy closures).
Both contenders run ``optviz.run_batch`` with Adam (lr 0.01, torch's defaults) from the same
10,000 starts for ``--steps`` steps, recording point, loss and gradient norm at every step; the
functions are built before the timing (a formula is parsed and differentiated once, then cached).
Target: a formula takes at most 2x the time of its registry function per step.

Method (see rounds.py): each pair runs once untimed; ravine's two paths are checked equal bit for
bit, and for the others the gradients at the 10,000 starts agree within 1e-12 (relative; sympy
orders a gradient's terms its own way, and 200 Adam steps on ackley amplify the last bit); then ``--rounds`` rounds run registry then expr, alternating;
the figure is expr time / registry time per round, reported as the median [min, max].

    .venv/bin/python benchmarks/bench_expr.py [--rounds 11] [--steps 200]
"""

from __future__ import annotations

import argparse

import numpy as np
from rounds import COMPARISON_HEADERS, alternate, format_table, method_lines

import optviz
from optviz.functions import get

BATCH, LR = 10_000, 0.01
TARGET = 2.0
PAIRS = {
    "ravine": "expr(0.1*x**2 + 2*y**2, start=(-5, -2), window=((-5.5, 1.5), (-2.5, 2.5)))",
    "rosenbrock": "expr((1 - x)**2 + 100*(y - x**2)**2, start=(-1.2, 1), window=((-2, 2), (-1, 3)))",
    "himmelblau": "expr((x**2 + y - 11)**2 + (x + y**2 - 7)**2)",
    "ackley": "expr(-20*exp(-0.2*sqrt(0.5*(x**2 + y**2))) - exp(0.5*(cos(2*pi*x) + cos(2*pi*y))) + e + 20)",
}


def starts_for(fn: optviz.TestFunction, n: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    (x0, x1), (y0, y1) = fn.window
    return np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args()
    calls = {}
    for name, spec in PAIRS.items():
        registry, formula = get(name), get(spec)
        starts = starts_for(registry, BATCH)
        for label, fn in ((name, registry), (f"expr {name}", formula)):
            calls[label] = lambda fn=fn, starts=starts: optviz.run_batch(
                fn, "adam", lr=LR, steps=args.steps, start=starts
            )
        ours, theirs = calls[f"expr {name}"](), calls[name]()  # warm-up
        if name == "ravine":  # the same work: bit for bit here, the same gradients elsewhere
            assert np.array_equal(ours.points, theirs.points, equal_nan=True), "ravine: the paths differ"
        exact, written = registry.grad(starts), formula.grad(starts)
        worst = float(np.max(np.abs(exact - written) / (1 + np.abs(exact))))
        assert worst <= 1e-12, f"{name}: expr's gradient differs from the registry's by {worst:g} (relative)"
    rounds = alternate(calls, args.rounds)
    print(
        f"Adam (lr {LR}) from {BATCH} starts, {args.steps} steps, recording point, loss, grad norm; numpy {np.__version__}"
    )
    for line in method_lines(rounds, "each pair ran once untimed first; ravine paths equal, gradients within 1e-12"):
        print(line)
    print()
    rows = [
        rounds.compare(f"expr {name} vs {name}", f"expr {name}", name, faster=False, target=TARGET).cells()
        for name in PAIRS
    ]
    print(format_table(COMPARISON_HEADERS, rows))
    for name in PAIRS:
        per_step = np.median(rounds.times[f"expr {name}"]) / args.steps / BATCH * 1e9
        print(f"{name}: expr {per_step:.1f} ns per run-step")


if __name__ == "__main__":
    main()
