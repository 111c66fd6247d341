"""A large batch's recorded blocks evaluated on a second thread give the same arrays, bit for bit,
as on the loop's thread; errors and warnings behave as there; a forked worker has its own thread.

The background is forced on for small batches here (``MIN_VALUES`` 0, a few rows a block) so that
the cases run fast and hand over many blocks; and forced off for the reference.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import threading
import time
import warnings
from typing import Any

import numpy as np
import pytest

import optviz
from optviz import background, engine, recording
from optviz.functions import TestFunction

RUNS, STEPS = 300, 70

#: (function, optimizer, lr, options, whether blocks go to the background)
CASES: dict[str, tuple[str, str, Any, dict[str, Any], bool]] = {
    "adam on the ravine": ("ravine", "adam", 0.16, {}, True),
    "nesterov on rosenbrock": ("rosenbrock", "nesterov", 1e-3, {}, True),
    "rmsprop on himmelblau, cosine": ("himmelblau", "rmsprop", 0.01, {"schedule": "cosine"}, True),
    "gd diverging, early stop": ("ravine", "gd", 1e3, {}, True),
    "adam diverging in part": ("rastrigin", "adam", [0.1, 1e8], {}, True),
    "minibatches": ("thermometer", "sgd", 1e-4, {"batch_size": 4, "seed": 2}, True),
    "noise and clipping": ("ravine", "adam", 0.1, {"noise": 0.3, "seed": 1, "clip_norm": 1.0}, True),
    "record_every": ("rosenbrock", "adam", 0.05, {"record_every": 6}, True),
    "plateau schedule": ("ravine", "momentum", 0.05, {"schedule": "plateau(patience=3)"}, True),
    "float32: evaluated in place": ("ravine", "adam", 0.16, {"record_dtype": "float32"}, False),
    "lbfgs: its own loop": ("rosenbrock", "lbfgs", 1.0, {}, False),
}


def _starts(fn: str, runs: int = RUNS) -> np.ndarray:
    centre = np.asarray(optviz.get_function(fn).start, dtype=float)
    return centre + 0.3 * np.random.default_rng(4).normal(size=(runs, len(centre)))


def _late(job, *args):
    time.sleep(0.002)
    return job(*args)


def _forced(monkeypatch, on: bool, rows_a_block: int = 3, runs: int = RUNS) -> list[int]:
    """Force the background on (every batch, ``rows_a_block`` rows a block) or off; the list
    counts the blocks handed over. Each block starts late (2 ms)."""
    handed: list[int] = []
    submit = background.submit

    def counting(job, *args):  # and late: a result read before its block is done would show
        handed.append(1)
        return submit(_late, job, *args)

    monkeypatch.setattr(background, "submit", counting)
    monkeypatch.setattr(background, "MIN_VALUES", 0 if on else 1 << 62)
    monkeypatch.setattr(background, "_cores", lambda: 2)
    monkeypatch.setattr(recording, "BACKGROUND_BLOCK_VALUES", rows_a_block * runs * 2)
    return handed


@pytest.mark.parametrize("case", list(CASES))
def test_background_gives_the_same_arrays(case: str, monkeypatch) -> None:
    fn, opt, lr, options, aside = CASES[case]
    run = lambda: optviz.run_batch(fn, opt, lr=lr, steps=STEPS, start=_starts(fn), **options)  # noqa: E731
    with monkeypatch.context() as patch:
        handed = _forced(patch, on=False)
        here = run()
        assert not handed
    handed = _forced(monkeypatch, on=True)
    aside_ = run()
    assert bool(handed) == aside, f"{len(handed)} blocks handed over"
    if aside:
        assert len(handed) >= 3
    for name in ("points", "loss", "grad_norm", "diverged_at", "lr", "steps_at"):
        a, b = getattr(here, name, None), getattr(aside_, name, None)
        assert (a is None) == (b is None), name
        if a is not None:
            assert np.array_equal(a, b, equal_nan=True), name


def _watched(name: str) -> tuple[TestFunction, set[str]]:
    """The function ``name``, noting which threads evaluate its gradient."""
    fn, threads = optviz.get_function(name), set()

    def grad(x):
        threads.add(threading.current_thread().name)
        return fn.grad(x)

    def value_and_grad(x):
        threads.add(threading.current_thread().name)
        return fn.value_and_grad(x)

    return dataclasses.replace(fn, grad=grad, value_and_grad=value_and_grad and fn.value_and_grad), threads


@pytest.mark.parametrize("norms", ["the loop's", "the other thread's", "chosen"])
@pytest.mark.parametrize(
    ("fn", "opt"), [("ravine", "adam"), ("himmelblau", "gd"), ("rosenbrock", "adam"), ("thermometer", "sgd")]
)
def test_background_norms_equal_the_loops(fn: str, opt: str, norms: str, monkeypatch) -> None:
    """Past ``LOOP_NORM_VALUES`` the loop's own gradient gives the norms (and, where the function
    has a ``value_and_grad``, the loss). In the background either the loop still gives them, or
    the other thread evaluates the gradient anew from the points, or the first blocks are timed
    both ways and one is chosen: the same numbers every way."""
    runs = engine.LOOP_NORM_VALUES // 2 + 100
    function, threads = _watched(fn)
    lr = 1e-4 if fn == "thermometer" else 1e-3
    run = lambda: optviz.run_batch(function, opt, lr=lr, steps=STEPS, start=_starts(fn, runs))  # noqa: E731
    with monkeypatch.context() as patch:
        _forced(patch, on=False, runs=runs)
        here = run()
    assert threads == {"MainThread"}
    handed = _forced(monkeypatch, on=True, runs=runs)
    if norms != "chosen":
        by_loop = norms == "the loop's"
        monkeypatch.setattr(recording.Recorder, "_choose", lambda self, kept_up: setattr(self, "loop_norms", by_loop))
    aside = run()
    assert len(handed) >= 3
    evaluated_aside = any(name.startswith("optviz-evaluate") for name in threads)
    assert evaluated_aside == (norms != "the loop's"), threads  # choosing: blocks 4 to 6 aside
    for name in ("points", "loss", "grad_norm", "diverged_at"):
        assert np.array_equal(getattr(here, name), getattr(aside, name), equal_nan=True), name


#: (seconds of blocks 2-3 with the loop's norms, of blocks 5-6 with the other thread's, whether
#: the other thread kept up with blocks 4 and 5) -> whether the loop gives the norms after
CHOICES = [
    ((2.3, 2.0, True), False),  # Adam on the ravine: the other thread keeps up and it is faster
    ((2.3, 2.0, False), True),  # faster, but the loop waited for the other thread
    ((1.1, 1.2, True), True),  # slower
    ((2.0, 3.0, False), True),  # gd on himmelblau: slower, and the loop waited
]


@pytest.mark.parametrize(("timings", "loop_norms"), CHOICES)
def test_which_thread_takes_the_norms(timings: tuple[float, float, bool], loop_norms: bool, monkeypatch) -> None:
    loop_blocks, aside_blocks, kept_up = timings
    clock = iter([0.0, loop_blocks, 10.0, 10.0 + aside_blocks])  # read at flushes 1, 3, 4 and 6
    monkeypatch.setattr(recording.time, "perf_counter", lambda: next(clock))
    recorder = recording.Recorder(optviz.get_function("ravine"), 100, 2, 10, grads=True, background=True)
    assert recorder.choosing and recorder.loop_norms
    for flush in range(1, recording.CHOOSE_AFTER + 1):
        recorder._choose(kept_up or flush <= 4)
        assert recorder.loop_norms == (flush < 3 or (flush >= recording.CHOOSE_AFTER and loop_norms)), flush
    assert not recorder.choosing
    assert next(clock, None) is None  # the clock was read exactly four times


def test_the_benchmarks_batch_goes_to_the_background_by_itself(monkeypatch) -> None:
    """10,000 runs on a machine with two cores: no forcing but the core count."""
    monkeypatch.setattr(background, "_cores", lambda: 2)
    assert background.usable(10_000 * 2) and not background.usable(1000 * 2)
    monkeypatch.setattr(background, "_cores", lambda: 1)
    assert not background.usable(10_000 * 2)


def _failing(after_rows: int) -> TestFunction:
    """The ravine, except that its loss raises on a block past ``after_rows`` recorded rows of
    evaluation (in the background, that is on the other thread)."""
    calls = {"rows": 0}

    def f(x):
        calls["rows"] += len(x) if x.ndim == 3 else 1
        if calls["rows"] > after_rows:
            raise ValueError("the loss failed here")
        return 0.1 * (x[..., 0] * x[..., 0]) + 2.0 * (x[..., 1] * x[..., 1])

    def grad(x):
        return np.asarray(x, dtype=float) * np.array([0.2, 4.0])

    return TestFunction("failing", "failing", 2, f, grad, "f", start=(-5.0, -2.0), window=((-6.0, 6.0), (-6.0, 6.0)))


@pytest.mark.parametrize("on", [False, True])
def test_an_error_in_a_block_is_raised_by_the_run(on: bool, monkeypatch) -> None:
    handed = _forced(monkeypatch, on=on)
    with pytest.raises(ValueError, match="the loss failed here"):
        optviz.run_batch(_failing(after_rows=10), "adam", lr=0.1, steps=STEPS, start=_starts("ravine"))
    assert bool(handed) == on
    # and the thread is free for the next run
    done = optviz.run_batch("ravine", "adam", lr=0.1, steps=STEPS, start=_starts("ravine"))
    assert np.isfinite(done.loss).all()


def test_no_floating_point_warning_from_the_other_thread(monkeypatch) -> None:
    handed = _forced(monkeypatch, on=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        batch = optviz.run_batch("ravine", "gd", lr=[0.1, 1e3], steps=STEPS, start=_starts("ravine"))
    assert handed and (batch.diverged_at[RUNS:] > 0).all() and (batch.diverged_at[:RUNS] == -1).all()


def _in_child(queue) -> None:
    batch = optviz.run_batch("ravine", "adam", lr=0.16, steps=STEPS, start=_starts("ravine"))
    queue.put((threading.current_thread() is threading.main_thread(), batch.loss[:, -1].tolist()))


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="no fork here")
def test_a_forked_child_starts_its_own_thread(monkeypatch) -> None:
    """The parent's thread is not in a forked child (a sweep's worker): the child's first
    background block starts one of its own instead of waiting for the parent's forever."""
    handed = _forced(monkeypatch, on=True)
    parent = optviz.run_batch("ravine", "adam", lr=0.16, steps=STEPS, start=_starts("ravine"))
    assert handed and background._executor is not None
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_in_child, args=(queue,))
    child.start()
    child.join(timeout=60)
    if child.is_alive():
        child.kill()
        pytest.fail("the forked child hung waiting for the parent's thread")
    assert child.exitcode == 0
    main_thread, losses = queue.get(timeout=5)
    assert main_thread and losses == parent.loss[:, -1].tolist()


def test_the_cli_may_end_at_once_beside_the_background_thread() -> None:
    """The command line ends with ``os._exit`` only when no other thread runs; the background
    thread (idle between batches, and only ever computing into arrays) does not count."""
    from optviz import cli

    main = threading.main_thread()
    if any(t is not main and not background.ours(t) for t in threading.enumerate()):
        pytest.skip("another test left a thread running")
    background.submit(lambda: None).result()  # the thread is there
    assert any(background.ours(t) for t in threading.enumerate())
    assert cli._only_thread()
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert not cli._only_thread()
    finally:
        release.set()
        other.join()
