"""CLI wall time from a fresh process, against the interpreter importing what a script would need.

Comparisons (each command a new process, as a user runs it):

- ``optviz run`` writing the reference animation (ravine, gd / momentum / adam at lr 0.4,
  100 steps, 100 frames, 800x450, loss panel: the picture of bench_render.py) against
  ``python -c "import matplotlib.pyplot"``, the start-up any matplotlib script pays before it
  draws anything. Target: at most 2.0x its time.
- ``optviz --help`` against ``python -c "import numpy"``. Target: at most 1.2x its time.
- ``optviz run`` writing the same runs as a 1280x720 PNG against the pyplot import
  (informational).
- ``python -c "import typer.rich_utils"`` against the numpy import (informational): the module
  typer formats every help page with (it imports rich's markdown and traceback renderers), so
  the least any typer help can cost; ``optviz --help`` imports no numpy and no pydantic.

Method (see rounds.py): every command runs once untimed (file cache, bytecode cache), then
``--rounds`` rounds run each command once, each optviz command right before its baseline; the
ratio is optviz/baseline per round, reported as the median [min, max]. The children get a fresh
bytecode cache (``PYTHONPYCACHEPREFIX``, ``PYTHONDONTWRITEBYTECODE`` unset), so that optviz,
numpy and matplotlib all start from cached bytecode, as they do after any normal install; an
environment that forbids writing bytecode would otherwise recompile optviz's own modules (an
editable install has no cached bytecode) in every process, while numpy's came with its wheel.

    .venv/bin/python benchmarks/bench_cli.py [--rounds 15]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from rounds import COMPARISON_HEADERS, alternate, format_table, method_lines

HERE = Path(sys.executable).parent
OPTVIZ = str(HERE / "optviz") if (HERE / "optviz").exists() else shutil.which("optviz") or "optviz"

TARGET_GIF, TARGET_HELP = 2.0, 1.2  # at most this many times the baseline's time


def reference_run(out: Path, *size: str) -> list[str]:
    """gd, momentum and Adam on the ravine at lr 0.4 for 100 steps, written to ``out``."""
    return [
        *(OPTVIZ, "run", "--fn", "ravine", "--opt", "gd", "--opt", "momentum", "--opt", "adam", "--lr", "0.4"),
        *("--steps", "100", *size, "--out", str(out)),
    ]


def commands(folder: Path) -> dict[str, list[str]]:
    """Every timed command, in the order each round runs them (optviz before its baseline)."""
    gif = reference_run(folder / "ravine.gif", "--size", "800x450", "--frames", "100", "--fps", "10")
    return {
        "optviz run --out ravine.gif": gif,
        'python -c "import matplotlib.pyplot"': [sys.executable, "-c", "import matplotlib.pyplot"],
        "optviz run --out ravine.png": reference_run(folder / "ravine.png", "--size", "16:9"),
        "optviz --help": [OPTVIZ, "--help"],
        'python -c "import numpy"': [sys.executable, "-c", "import numpy"],
        'python -c "import typer.rich_utils"': [sys.executable, "-c", "import typer.rich_utils"],
    }


def child_environment(folder: Path) -> dict[str, str]:
    """This environment with a bytecode cache of its own, written by the warm-up runs."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
    return env


def run_quietly(argv: list[str], env: dict[str, str]) -> None:
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="alternating rounds (default 15, under a minute)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        argvs, env = commands(Path(tmp)), child_environment(Path(tmp))
        for argv in argvs.values():
            run_quietly(argv, env)  # warm the file cache and write the bytecode cache
        calls = {name: (lambda argv=argv: run_quietly(argv, env)) for name, argv in argvs.items()}
        rounds = alternate(calls, args.rounds)

    gif, pyplot, png, help_, numpy, typer_help = argvs
    rows = [
        rounds.compare("GIF run (800x450, 100 frames) vs import pyplot", gif, pyplot, faster=False, target=TARGET_GIF),
        rounds.compare("optviz --help vs import numpy", help_, numpy, faster=False, target=TARGET_HELP),
        rounds.compare("PNG run (1280x720) vs import pyplot", png, pyplot, faster=False),
        rounds.compare("import typer.rich_utils vs import numpy", typer_help, numpy, faster=False),
    ]
    print("wall time of fresh processes (python " + sys.version.split()[0] + f"; optviz at {OPTVIZ})")
    for line in method_lines(rounds, "one untimed run of each first (file cache, bytecode cache)"):
        print(line)
    print()
    print(format_table(COMPARISON_HEADERS, [row.cells() for row in rows]))
    print()
    for name, argv in argvs.items():
        print(f"{name}: {' '.join(argv).replace(tmp, '<tmp>')}")


if __name__ == "__main__":
    main()
