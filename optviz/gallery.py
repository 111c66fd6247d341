"""The gallery: every lesson config rendered into one folder, with a README that shows each
picture, its one-line lesson and the exact command that made it."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from optviz.errors import ConfigError, UnknownNameError
from optviz.output import atomic_path
from optviz.sweep import Figure, Outcome, expand, load, run_figures

__all__ = ["Lesson", "find_configs", "make_gallery", "write_readme"]


@dataclass(frozen=True)
class Lesson:
    """One config of the gallery and what became of it."""

    name: str
    config: Path
    lesson: str
    outcomes: tuple[Outcome, ...]


def find_configs(folder: Path, only: list[str] | None = None) -> list[Path]:
    """The ``*.yaml`` configs of ``folder`` (sorted), or only those named (by file stem)."""
    configs = sorted(folder.glob("*.yaml"))
    if not configs:
        raise ConfigError(f"no .yaml configs in {str(folder)!r}; give the folder with --configs")
    if only:
        stems = {c.stem: c for c in configs}
        unknown = [n for n in only if n not in stems]
        if unknown:
            raise UnknownNameError("config", unknown[0], stems)
        configs = [stems[n] for n in only]
    return configs


def make_gallery(
    configs: list[Path], out_dir: Path, *, jobs: int = 1, on_done: Callable[[Outcome], None] | None = None
) -> list[Lesson]:
    """Validate every config first (nothing runs if one is broken), then render them all."""
    plans: list[tuple[Path, str, list[Figure]]] = []
    for config in configs:
        settings, lesson = load(config)
        plans.append((config, lesson, expand(settings, name=config.stem, out_dir=out_dir, source=str(config))))
    figures = [f for _, _, figs in plans for f in figs]
    outcomes = iter(run_figures(figures, jobs=jobs, on_done=on_done))
    return [Lesson(config.stem, config, lesson, tuple(next(outcomes) for _ in figs)) for config, lesson, figs in plans]


def write_readme(lessons: list[Lesson], out_dir: Path) -> Path:
    """``out_dir/README.md``: a section per lesson with its pictures and the command (paths as
    given, so run the gallery from the folder the commands should start in)."""
    out_dir = Path(out_dir)
    lines = [
        "# optviz gallery",
        "",
        "Each entry is one config of [`configs/`](../configs), rendered by `optviz gallery`.",
        "Regenerate them all with `optviz gallery` (from the repository's top folder), or one with the",
        "command under it.",
        "",
    ]
    for lesson in lessons:
        lines += [f"## {lesson.name}", "", lesson.lesson, ""]
        for outcome in lesson.outcomes:
            if outcome.error:
                lines += [f"*failed: {outcome.error}*", ""]
                continue
            lines += [f"![{lesson.name}]({os.path.relpath(outcome.out, out_dir)})", ""]
        lines += ["```bash", f"optviz sweep {lesson.config.as_posix()} --out-dir {out_dir.as_posix()}", "```", ""]
    path = out_dir / "README.md"
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(lines))
    return path
