"""Benchmark: optviz's blitted GIF renderer against a naive FuncAnimation + PillowWriter script.

The reference animation (issue 3): ravine, gd / momentum / adam at lr 0.4, 100 steps, 100 frames,
800x450, contour plot + loss panel. Both renderers run in this process, after one warm-up each
(imports, font caches), and the best of ``--repeat`` runs is reported; the first (cold) optviz
run is shown too. Also timed: a static 1280x720 PNG of the same runs.

Targets: optviz GIF <= 0.6 s and <= 250 KB, >= 20x faster than the baseline; PNG <= 0.25 s.

    .venv/bin/python benchmarks/bench_render.py [--repeat 5] [--out-dir /tmp/optviz-bench]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

OPTIMIZERS = ("gd", "momentum", "adam")
LR, STEPS, FRAMES, FPS = 0.4, 100, 100, 10
WIDTH, HEIGHT, DPI = 800, 450, 100

TARGET_GIF_S, TARGET_GIF_KB, TARGET_SPEEDUP, TARGET_PNG_S = 0.6, 250, 20, 0.25


def reference_runs():
    import optviz

    return [optviz.run("ravine", opt, lr=LR, steps=STEPS) for opt in OPTIMIZERS]


def optviz_gif(runs, path: Path) -> None:
    from optviz.render import render

    render(runs, "ravine", path, size=f"{WIDTH}x{HEIGHT}", frames=FRAMES, fps=FPS, panels="loss")


def optviz_png(runs, path: Path) -> None:
    from optviz.render import render

    render(runs, "ravine", path, size="16:9", panels="loss")


def naive_gif(runs, path: Path) -> None:
    """What a matplotlib user would write: pyplot figure, FuncAnimation, PillowWriter.

    It already does the sensible things (contours drawn once, artists updated with ``set_data``,
    ``blit=True``); ``Animation.save`` still redraws the whole figure for every frame.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation, PillowWriter

    from optviz.functions import get

    fn = get("ravine")
    fig, (ax, panel) = plt.subplots(
        1, 2, figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI, gridspec_kw={"width_ratios": [1.6, 1]}
    )
    xs, ys = np.linspace(-5.5, 1.5, 200), np.linspace(-2.5, 2.5, 200)
    xx, yy = np.meshgrid(xs, ys)
    zz = fn.f(np.stack([xx, yy], axis=-1))
    ax.contourf(xs, ys, zz, levels=15, cmap="Blues_r")
    ax.contour(xs, ys, zz, levels=15, colors="#1f77b4", linewidths=0.5)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    panel.set_yscale("log")
    panel.set_xlim(0, STEPS)
    panel.set_ylim(min(t.loss.min() for t in runs) / 2, max(t.loss.max() for t in runs) * 2)
    panel.set_xlabel("step")
    panel.set_ylabel("loss")
    paths = [ax.plot([], [], "-o", ms=3, label=t.settings["opt"])[0] for t in runs]
    curves = [panel.plot([], [])[0] for _ in runs]
    ax.legend(loc="upper right")
    fig.suptitle("ravine")
    fig.tight_layout()

    def update(k: int):
        for traj, path_line, curve in zip(runs, paths, curves, strict=True):
            path_line.set_data(traj.points[: k + 1, 0], traj.points[: k + 1, 1])
            curve.set_data(np.arange(k + 1), traj.loss[: k + 1])
        return [*paths, *curves]

    anim = FuncAnimation(fig, update, frames=FRAMES, blit=True)
    anim.save(path, writer=PillowWriter(fps=FPS))
    plt.close(fig)


def timed(fn: Callable[[], None], repeat: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each optviz case (best is reported)")
    parser.add_argument("--baseline-repeat", type=int, default=1, help="timed runs of the baseline")
    parser.add_argument("--out-dir", type=Path, default=None, help="keep the files here (default: a temp folder)")
    args = parser.parse_args()
    out_dir = args.out_dir or Path(tempfile.mkdtemp(prefix="optviz-bench-"))
    out_dir.mkdir(parents=True, exist_ok=True)

    runs = reference_runs()
    gif, png, base = out_dir / "optviz.gif", out_dir / "optviz.png", out_dir / "baseline.gif"

    cold_start = time.perf_counter()
    optviz_gif(runs, gif)  # first call: imports matplotlib, builds font caches
    cold = time.perf_counter() - cold_start
    gif_s, gif_all = timed(lambda: optviz_gif(runs, gif), args.repeat)
    optviz_png(runs, png)
    png_s, png_all = timed(lambda: optviz_png(runs, png), args.repeat)
    naive_gif(runs, base)  # warm-up (pyplot import)
    base_s, _ = timed(lambda: naive_gif(runs, base), args.baseline_repeat)

    gif_kb, base_kb, png_kb = (p.stat().st_size / 1e3 for p in (gif, base, png))
    rows = [
        ("optviz GIF", gif_s, gif_s / FRAMES * 1e3, gif_kb),
        ("FuncAnimation + PillowWriter GIF", base_s, base_s / FRAMES * 1e3, base_kb),
        ("optviz PNG 1280x720", png_s, None, png_kb),
    ]
    _print_table(rows)
    speedup = base_s / gif_s
    print(f"\nspeed-up over the baseline: {speedup:.1f}x; size ratio baseline/optviz: {base_kb / gif_kb:.2f}")
    print(
        f"optviz GIF cold (first call, includes imports): {cold:.3f} s; all GIF runs: "
        + ", ".join(f"{t:.3f}" for t in gif_all)
    )
    print("all PNG runs: " + ", ".join(f"{t:.3f}" for t in png_all))
    checks = [
        (f"optviz GIF <= {TARGET_GIF_S} s", gif_s <= TARGET_GIF_S),
        (f"optviz GIF <= {TARGET_GIF_KB} KB", gif_kb <= TARGET_GIF_KB),
        (f">= {TARGET_SPEEDUP}x faster than the baseline", speedup >= TARGET_SPEEDUP),
        (f"static PNG <= {TARGET_PNG_S} s", png_s <= TARGET_PNG_S),
    ]
    for text, ok in checks:
        print(f"  [{'ok' if ok else 'MISSED'}] {text}")
    print(f"files in {out_dir}")


def _print_table(rows) -> None:
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # pragma: no cover - rich is a dependency, but keep the benchmark standalone
        for name, total, per_frame, kb in rows:
            frame = f"{per_frame:.2f} ms" if per_frame is not None else "-"
            print(f"{name:36s} {total:8.3f} s {frame:>10s} {kb:9.1f} KB")
        return
    table = Table(
        title=f"reference animation: ravine, {', '.join(OPTIMIZERS)}, {STEPS} steps, {FRAMES} frames, "
        f"{WIDTH}x{HEIGHT}, contour + loss"
    )
    for column in ("renderer", "time", "per frame", "file"):
        table.add_column(column, justify="left" if column == "renderer" else "right")
    for name, total, per_frame, kb in rows:
        table.add_row(name, f"{total:.3f} s", f"{per_frame:.2f} ms" if per_frame is not None else "—", f"{kb:.1f} KB")
    Console().print(table)


if __name__ == "__main__":
    main()
