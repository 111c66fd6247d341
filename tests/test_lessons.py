"""The lessons' stated numbers: each number a config's description gives is measured again here.

Every row runs the lesson's setting through the API, formats the measured value as the lesson
prints it, and checks that this text is in the config's description (dashes and spaces
normalized), so a description cannot drift from what its runs do.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import yaml

import optviz

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
RAVINE = (-5, -2)


def described(stem: str) -> str:
    """The config's description with Unicode minus signs as '-' and runs of spaces as one."""
    text = yaml.safe_load((CONFIGS / f"{stem}.yaml").read_text(encoding="utf-8"))["description"]
    return re.sub(r"\s+", " ", text.replace("−", "-"))


def point(values, digits: int) -> str:
    return "(" + ", ".join(f"{v:.{digits}f}" for v in values) + ")"


def sci(value: float, digits: int = 1) -> str:
    """Scientific notation as the lessons print it: 1.4e-8, not Python's 1.4e-08."""
    mantissa, exponent = f"{value:.{digits}e}".split("e")
    return f"{mantissa}e{int(exponent)}"


run = optviz.run


# ------------------------------------------------------------------------------------- measured


def stuck():
    bounce, good = (run("ravine", "gd", lr=lr, steps=40, start=RAVINE) for lr in (0.5, 0.4))
    return [
        f"from 10.5 to {bounce.final_loss:.4f} after 40 steps",
        f"from {bounce.grad_norm[0]:.2f} to {bounce.grad_norm[-1]:.5f}",
        f"loss {good.final_loss:.4f}, gradient norm {good.grad_norm[-1]:.3f}",
    ]


def two_layer():
    t = run("two_layer", "gd", lr=2e-5, steps=30, start=(0.001, 0.002))
    peak = int(np.argmax(t.grad_norm))
    return [
        f"gradient norm of {t.grad_norm[0]:.0f}",
        f"peaks at {t.grad_norm[peak]:,.0f} at step {peak}",
        f"after 10 steps the loss is still {t.loss[10]:,.0f} of its starting {t.loss[0]:,.0f}",
        f"the loss is {t.loss[20]:.0f} at step 20",
        f"{sci(t.loss[30], 0)} at step 30",
        f"at {point(t.final, 4)}",
    ]


def saddle():
    t = run("saddle", "gd", lr=0.1, steps=45, start=(-2, 0.001))
    low = int(np.argmin(t.grad_norm))
    return [
        f"from {t.grad_norm[0]:.0f} to {t.grad_norm[low]:.3f} at step {low}, a factor of {t.grad_norm[0] / t.grad_norm[low]:.0f}"
    ]


def cubic():
    t = run("cubic", "gd", lr=0.1, steps=50, start=1)
    x = t.points[:, 0]
    return [
        f"x is {x[5]:.2f} after 5 steps, {x[20]:.2f} after 20 and {x[50]:.3f} after 50",
        f"from {t.grad_norm[0]:.0f} to {t.grad_norm[-1]:.4f}",
    ]


def bowl():
    t = run("bowl", "gd", lr=0.1, steps=20, start=RAVINE)
    return [f"{point(t.final, 6)}", f"loss {t.final_loss:.4f} (from {t.loss[0]:.0f})"]


def adam():
    a = run("ravine", "adam(lr=0.16)", steps=40, start=RAVINE)
    g = run("ravine", "gd(lr=0.4)", steps=40, start=RAVINE)
    m = run("ravine", "sgd(lr=0.4, momentum=0.5)", steps=40, start=RAVINE)
    high = int(np.argmax(a.points[:, 1]))
    first = a.points[1] - a.points[0]
    gd_first = g.points[1] - g.points[0]
    return [
        f"({first[0]:.2f}, {first[1]:.2f})",
        f"steps {gd_first[0]:.1f} along x1 and {gd_first[1]:.1f} across",
        f"to {a.points[high, 1]:.2f} (step {high})",
        f"loss {a.final_loss:.4f} against GD's {g.final_loss:.4f} and momentum's {sci(m.final_loss)}",
        f"reaches {sci(run('ravine', 'adam', lr=0.16, steps=120, start=RAVINE).final_loss)} after 120 steps",
    ]


def adam_decay():
    finals = {
        schedule: [
            run("ravine", "adam", lr=0.3, steps=300, start=RAVINE, noise=1.0, seed=seed, schedule=schedule).final_loss
            for seed in range(6)
        ]
        for schedule in ("constant", "cosine")
    }
    assert all(c < k for c, k in zip(finals["cosine"], finals["constant"], strict=True)), "lower on every seed"
    constant, cosine = finals["constant"], finals["cosine"]
    return [
        f"(loss {constant[0]:.2f} after 300 steps with seed 0; median {np.median(constant):.2f}",
        f"loss {cosine[0]:.3f} with seed 0, median {np.median(cosine):.4f}",
    ]


def schedules():
    t = run("ravine", "rmsprop", lr=0.3, steps=100, start=RAVINE, alpha=0.9, eps=0, eps_root=1e-6)
    low = int(np.argmin(t.loss))
    # the bursts: the highest loss after the minimum, and the highest after the first burst settles
    first = low + int(np.argmax(t.loss[low:]))
    second = first + 10 + int(np.argmax(t.loss[first + 10 :]))
    return [
        f"falls to {sci(t.loss[low])} at step {low}",
        f"bursts to {t.loss[first]:.2f} at step {first} and again to {t.loss[second]:.2f} at step {second}",
    ]


def warmup():
    runs = {
        s: run("rosenbrock", "adam", lr=1.0, steps=200, schedule=s)
        for s in ("constant", "warmup(steps=20)", "inverse_sqrt(warmup=20)")
    }
    constant, linear, inverse = runs.values()
    return [
        f"lands at ({constant.points[1, 0]:g}, {constant.points[1, 1]:g})",
        f"from {constant.loss[0]:.1f} to {constant.loss[1]:.1f}",
        f"never exceeds {linear.loss.max():.1f}",
        f"it is {linear.final_loss:.5f} against the constant lr's {constant.final_loss:.3f}",
        f"ends at {inverse.final_loss:.4f}",
    ]


def single_weight():
    runs = [run("single_weight", "gd", lr=lr, steps=10, start=1) for lr in (1e-5, 1e-4, 2e-4)]
    slow, flip, boom = runs
    return [
        f"100 -> {slow.loss[1]:.0f} -> {slow.loss[2]:.2f} -> … -> {slow.final_loss:.4f} after 10 steps".replace(
            "->", "→"
        ),
        f"between {flip.points[:, 0].min():.0f} and {flip.points[:, 0].max():.1f} and the loss stays {flip.final_loss:.0f}",
        f"({sci(boom.final_loss)} after 10)",
    ]


def thermometer_crawl():
    t = run("thermometer", "gd", lr=1e-4, steps=100_000, start=(1, 0))
    best = run("thermometer(scale=0.1)", "gd", lr=1e-2, steps=5000, start=(1, 0))
    return [
        f"from {t.loss[0]:.0f} to {t.loss[10]:.1f} in 10 steps",
        f"{t.loss[1000]:.1f} after 1,000 steps, {t.loss[10_000]:.1f} after 10,000 and {t.final_loss:.4f} after 100,000",
        f"at {point(t.final, 4)}",
        f"loss {best.final_loss:.4f}",
    ]


def zigzag():
    settles, grows = (run("thermometer", "gd", lr=lr, steps=30, start=(1, 0)) for lr in (3.3e-4, 3.5e-4))
    w = settles.points[:4, 0]
    return [
        f"({w[0]:.0f}, {w[1]:.2f}, {w[2]:.2f}, {w[3]:.2f}, …)",
        f"(loss {settles.loss[0]:.0f} → {settles.final_loss:.0f} after 30 steps)",
        f"(loss {grows.final_loss:,.0f} after 30 steps)",
        f"w goes 1 → {run('thermometer', 'gd', lr=1e-2, steps=2, start=(1, 0)).points[1, 0]:.0f}",
    ]


def depth():
    out = []
    for start in (1.1, 0.5):
        runs = [run(f"chain(depth={depth})", "gd", lr=0.01, steps=30, start=start) for depth in (1, 5, 20)]
        shallow, middle, deep = runs
        if start == 1.1:
            out += [
                f"depth 1 crawls (w = {shallow.final[0]:.4f} after 30 steps)",
                f"depth 5 converges (loss {sci(middle.final_loss)})",
                f"explodes (w = {deep.points[1, 0]:.1f} after one step, diverged at step {deep.diverged_at})",
                f"{shallow.grad_norm[0]:.1f}, {middle.grad_norm[0]:.1f} and {deep.grad_norm[0]:.0f}",
            ]
        else:
            out += [
                f"{shallow.grad_norm[0]:.0f}, {middle.grad_norm[0]:.2f} and {sci(deep.grad_norm[0])}",
                f"w does not move from {deep.final[0]:.1f} (loss {deep.final_loss:.0f} after 30 steps)",
            ]
    return out


def depth_clip():
    wild = [run("chain(depth=20)", "gd", lr=lr, steps=80, start=1.1) for lr in (0.01, 0.002)]
    fast, slow = (run("chain(depth=20)", "gd", lr=lr, steps=80, start=1.1, clip_norm=1.0) for lr in (0.01, 0.002))
    reached = lambda t: int(np.argmax(np.abs(t.points[:, 0] - 1) < 1e-6))  # noqa: E731
    tail = fast.points[-10:, 0]
    return [
        f"throws w to {wild[0].points[1, 0]:.1f} and lr 0.002 to {wild[1].points[1, 0]:.2f}",
        f"both diverge at step {wild[0].diverged_at}",
        f"both diverge at step {wild[1].diverged_at}",
        f"reaches 1.0 at step {reached(fast)}",
        f"hovers between {tail.min():.4f} and {tail.max():.4f}",
        f"w = 1 at step {reached(slow)} and settles: loss {sci(slow.final_loss, 0)} after 80 steps",
    ]


def normalization():
    from optviz.functions.data import UNKNOWN

    return [f"2·mean(u²) = {2 * float(np.mean(UNKNOWN * UNKNOWN)):.0f}"]


LESSONS = [
    ("08-stuck", stuck),
    ("05-two-layer", two_layer),
    ("04-saddle", saddle),
    ("03-cubic-saddle", cubic),
    ("06-bowl", bowl),
    ("15-adam", adam),
    ("16-adam-decay", adam_decay),
    ("24-schedules", schedules),
    ("25-warmup", warmup),
    ("27-single-weight", single_weight),
    ("28-thermometer-crawl", thermometer_crawl),
    ("29-thermometer-zigzag", zigzag),
    ("30-thermometer", normalization),
    ("31-depth", depth),
    ("32-depth-clip", depth_clip),
]


@pytest.mark.parametrize(("stem", "measure"), LESSONS, ids=[stem for stem, _ in LESSONS])
def test_the_lesson_states_what_its_runs_measure(stem, measure):
    text = described(stem)
    missing = [claim for claim in measure() if claim.replace("−", "-") not in text]
    assert not missing, f"{stem}: measured {missing}, not found in its description"
