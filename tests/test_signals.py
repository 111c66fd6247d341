"""Real processes, real signals: SIGTERM, SIGHUP, SIGINT and SIGKILL leave no partial file, no
worker behind and no half-written output, and exit with 128 + the signal's number.

Each test starts ``optviz`` in a session of its own, waits until it writes (its temporary file
appears), signals it, and checks the folder and the processes afterwards. Linux only (/proc).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import imageio.v3 as iio
import pytest

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)")

OLD = b"an older picture, which must stay as it is or be replaced whole"

# long enough that nothing finishes before the signal (a GIF of 1500 frames takes seconds)
LONG = ["--steps", "1500", "--frames", "1500", "--size", "480x270"]
SWEEP = """\
fn: ravine
opt: adam
steps: 1500
sweep:
  lr: [0.01, 0.02, 0.03, 0.04, 0.05]
out: "m-{index}.gif"
render: {size: 480x270, frames: 1500}
"""


_started: list[int] = []


@pytest.fixture(autouse=True)
def _no_strays():
    """Whatever a test leaves running (if it fails) is killed: its session's process group."""
    yield
    while _started:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(_started.pop(), signal.SIGKILL)


def start(*args: str, cwd: Path) -> subprocess.Popen:
    command = [sys.executable, "-c", "from optviz.cli import main; raise SystemExit(main())", *args]
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    _started.append(process.pid)  # its process group's id
    return process


def partials(folder: Path) -> list[Path]:
    return sorted(folder.glob(".optviz-*.partial*"))


def wait_for_partials(process: subprocess.Popen, folder: Path, count: int = 1, timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    while len(partials(folder)) < count:
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"no temporary file appeared: {process.communicate()[1].decode()[-2000:]}")
        time.sleep(0.02)


def children(pid: int) -> list[int]:
    tasks = Path(f"/proc/{pid}/task")
    found = [int(n) for task in tasks.iterdir() for n in (task / "children").read_text().split()]
    return found


def running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting to be reaped is not)."""
    try:
        os.kill(pid, 0)
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (ProcessLookupError, FileNotFoundError):
        return False
    return state not in ("Z", "X")


def survivors(pids: list[int], timeout: float = 0.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while True:
        alive = [pid for pid in pids if running(pid)]
        if not alive or time.monotonic() >= deadline:
            return alive
        time.sleep(0.05)


def finish(process: subprocess.Popen, timeout: float = 20) -> tuple[int, str, float]:
    """Wait for the exit; returns the exit code, stderr and the seconds it took."""
    begin = time.monotonic()
    try:
        _, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"still running {timeout} s after the signal")
    return process.returncode, err.decode(), time.monotonic() - begin


def assert_complete_or_old(folder: Path, old: Path | None = None) -> list[str]:
    """No partial file; ``old`` unchanged or replaced whole; every other GIF complete (it reads,
    and ends with the GIF trailer). Returns the GIFs made."""
    assert partials(folder) == []
    made = []
    for path in sorted(folder.glob("*.gif")):
        if path == old and path.read_bytes() == OLD:
            continue
        assert path.read_bytes().endswith(b";") and len(iio.imread(path, index=None)) > 1, path.name
        made.append(path.name)
    return made


MP4 = pytest.param(
    signal.SIGTERM,
    "mp4",
    marks=pytest.mark.skipif(importlib.util.find_spec("imageio_ffmpeg") is None, reason="needs imageio-ffmpeg"),
)


@pytest.mark.parametrize(("signum", "suffix"), [(signal.SIGTERM, "gif"), (signal.SIGHUP, "gif"), MP4])
def test_sigterm_or_sighup_mid_animation_removes_the_partial_file(tmp_path, signum, suffix):
    target = tmp_path / f"keep.{suffix}"
    target.write_bytes(OLD)
    process = start("run", "--fn", "ravine", "--opt", "adam", "--lr", "0.1", *LONG, "--out", target.name, cwd=tmp_path)
    wait_for_partials(process, tmp_path)
    helpers = children(process.pid)  # ffmpeg, for an MP4
    os.kill(process.pid, signum)
    code, err, seconds = finish(process)
    assert code == 128 + signum, err
    assert "Traceback" not in err and f"terminated by {signal.Signals(signum).name}" in err
    assert seconds < 5
    assert partials(tmp_path) == []
    assert target.read_bytes() == OLD
    assert survivors(helpers, timeout=5) == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_or_sighup_stop_a_parallel_sweep_and_its_workers(tmp_path, signum):
    (tmp_path / "s.yaml").write_text(SWEEP)
    old = tmp_path / "m-3.gif"  # a figure not started yet
    old.write_bytes(OLD)
    process = start("sweep", "s.yaml", "--jobs", "2", cwd=tmp_path)
    wait_for_partials(process, tmp_path, count=2)
    workers = children(process.pid)
    assert len(workers) == 2
    os.kill(process.pid, signum)  # to the parent alone: it must stop its workers itself
    code, err, seconds = finish(process)
    assert code == 128 + signum, err
    assert "Traceback" not in err
    assert seconds < 5
    assert survivors(workers) == []  # already gone when the parent exits
    assert assert_complete_or_old(tmp_path, old) == []
    assert old.read_bytes() == OLD


def test_a_sweep_killed_with_sigkill_takes_its_workers_with_it(tmp_path):
    (tmp_path / "s.yaml").write_text(SWEEP)
    old = tmp_path / "m-3.gif"
    old.write_bytes(OLD)
    process = start("sweep", "s.yaml", "--jobs", "2", cwd=tmp_path)
    wait_for_partials(process, tmp_path, count=2)
    workers = children(process.pid)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=10)
    assert survivors(workers, timeout=5) == []  # they noticed, removed their files and exited
    assert assert_complete_or_old(tmp_path, old) == []
    assert old.read_bytes() == OLD


def test_a_worker_killed_with_sigkill_fails_its_figure_only(tmp_path):
    (tmp_path / "s.yaml").write_text(SWEEP.replace("1500", "200").replace("480x270", "160x90"))
    process = start("sweep", "s.yaml", "--jobs", "2", cwd=tmp_path)
    wait_for_partials(process, tmp_path)
    victim = children(process.pid)[0]
    os.kill(victim, signal.SIGKILL)
    code, err, _ = finish(process, timeout=60)
    assert code == 1, err
    failed = [line for line in err.splitlines() if line.startswith("failed:")]
    assert len(failed) == 1 and "killed by SIGKILL" in failed[0], err
    assert "1 of 5 failed" in err and "BrokenProcessPool" not in err
    made = assert_complete_or_old(tmp_path)
    assert len(made) == 4 and not any(f"{name}:" in failed[0] for name in made)


@pytest.mark.parametrize("how", ["three Ctrl-Cs from the terminal", "kill -INT of the parent"])
def test_ctrl_c_stops_a_parallel_sweep_at_once_and_starts_nothing(tmp_path, how):
    (tmp_path / "s.yaml").write_text(SWEEP)
    process = start("sweep", "s.yaml", "--jobs", "2", cwd=tmp_path)
    wait_for_partials(process, tmp_path, count=2)
    workers = children(process.pid)
    if how.startswith("three"):
        for _ in range(3):  # to the process group, as a terminal sends it
            os.killpg(process.pid, signal.SIGINT)
            time.sleep(0.05)
    else:
        os.kill(process.pid, signal.SIGINT)
    code, err, seconds = finish(process)
    assert code == 130, err
    assert "Traceback" not in err and "interrupted" in err and "failed" not in err
    assert seconds < 5
    assert survivors(workers) == []
    assert assert_complete_or_old(tmp_path) == []  # nothing new was rendered


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_a_signal_that_c_code_turns_into_an_error_still_ends_the_command(tmp_path, monkeypatch, capsys, command):
    """matplotlib's Agg renderer turns an exception raised inside it (by a signal handler) into a
    ValueError: that is still SIGTERM, not a traceback, nor a failed figure that the sweep goes past."""
    import optviz.render
    from optviz.cli import main

    calls = []

    def converted(*args, **kwargs):
        calls.append(args)
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)
        except BaseException:
            raise ValueError("Invalid affine transformation matrix") from None

    monkeypatch.setattr(optviz.render, "render", converted)
    if command == "run":
        argv = ["run", "--steps", "3", "--out", str(tmp_path / "a.png")]
    else:
        (tmp_path / "s.yaml").write_text("steps: 3\nlr: [0.1, 0.2]\nout: 'r-{lr}.png'\n")
        argv = ["sweep", str(tmp_path / "s.yaml")]
    before = signal.getsignal(signal.SIGTERM)
    assert main(argv) == 143
    err = capsys.readouterr().err
    assert "terminated by SIGTERM" in err and "Traceback" not in err and "failed" not in err
    assert len(calls) == 1  # the sweep stopped at the signal
    assert signal.getsignal(signal.SIGTERM) is before  # main() put its handler back


class Signals:
    """Sends this process SIGTERM from its ``__del__``, where the handler's exception is lost."""

    def __del__(self):
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(1000):  # the handler runs in here
            pass


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_signal_lost_in_a_destructor_is_raised_again(tmp_path, monkeypatch, capfd, jobs):
    """An exception raised in ``__del__`` or a weakref callback (matplotlib's transforms have
    some) is printed and lost: the signal must still end the command (with 2 jobs, a worker got
    it alone: its figure fails), at once and without that traceback."""
    import optviz.render
    from optviz.cli import main

    def render(trajectories, fn, out, **kwargs):
        Signals()
        time.sleep(3)
        Path(out).write_text("went on")

    monkeypatch.setattr(optviz.render, "render", render)
    (tmp_path / "s.yaml").write_text("steps: 3\nlr: [0.1, 0.2]\nout: 'r-{lr}.png'\n")
    begin = time.monotonic()
    code = main(["sweep", str(tmp_path / "s.yaml"), "--jobs", jobs])
    err = capfd.readouterr().err
    assert time.monotonic() - begin < 2.5
    assert "Exception ignored" not in err
    if jobs == "1":
        assert code == 143 and "terminated by SIGTERM" in err
    else:
        assert code == 1 and err.count("exit code 143") == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.yaml"]
