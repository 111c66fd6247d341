"""Sweeps: a YAML config of functions × optimizers × learning rates, checked, then rendered to files.

A config (every key but ``out`` is optional; ``fn`` and ``opt`` default to ravine and gd)::

    # GD on the ravine: lr 0.4 zig-zags, 0.6 diverges       <- the lesson, one line
    fn: ravine                       # a function spec, or a list of them
    start: [-5, -2]                  # one point (a list of points sweeps them)
    steps: 20
    opt: gd                          # a spec string, a mapping {name: adam, lr: 0.1, betas: [0.9, 0.99]},
                                     # or a list of them
    lr: [0.4, 0.6]                   # one value or a list (for optimizers whose spec gives none)
    hyper: {momentum: 0.5}           # hyperparameters for every optimizer (like -p; adam.betas for one)
    schedule: null                   # also clip_norm, clip_value, noise, batch_size, seed
    sweep:                           # more lists, expanded as a Cartesian product with the above
      start: [[-5, -2], [4, 1]]
    overlay: lr                      # axes drawn together in one figure (default: none)
    render: {size: 800x450, panels: [loss], frames: 60}   # optviz.render.render's options
    out: "out/{fn}-start{start}.gif" # one file per figure, inside this file's folder (or --out-dir)

The run keys are the fields of :class:`~optviz.settings.RunSettings` and the ``render:`` keys
those of :class:`~optviz.settings.DrawSettings`, with their defaults. Lists given at the top level
for ``fn``, ``opt`` and ``lr``, and every list under ``sweep:``, are *axes*; their product is
expanded in the order fn, opt, lr, start, schedule, steps, noise, clip_norm, clip_value,
batch_size, seed (:data:`AXES`). Overlaid axes become the runs of one figure; every other axis
gives one file per value. Template fields: ``{name}`` (the config's file name), ``{index}`` (01,
02, ...) and the axes that are not overlaid.

Everything is checked before anything runs: YAML syntax, unknown or repeated keys, every run's
settings and the render options (by making their records, so with the messages of the API and
the command line), template fields, output collisions, outputs that would land outside the
output folder (``../x.png``, ``/tmp/x.png``, ``~/x.png``: allowed with ``--allow-outside``) and the
memory the runs would record (:data:`optviz.engine.MAX_RECORD_BYTES` for the whole sweep). An error is one
:class:`~optviz.errors.ConfigError` line ``FILE:LINE: KEY: message``. Configs load with a safe
YAML loader: no tags, no code.

The modules: :mod:`~optviz.sweep.yaml_lines` reads YAML with lines, :mod:`~optviz.sweep.schema`
is the config's shape (generated from the records), :mod:`~optviz.sweep.expand` turns it into a
:class:`Plan` (:mod:`~optviz.sweep.plan`), :mod:`~optviz.sweep.runner` renders it.

Examples:
    >>> plan = loads("fn: square\\nopt: gd\\nlr: [0.1, 0.2]\\nout: '{fn}-lr{lr}.png'\\n")
    >>> [f.out.name for f in plan.figures]
    ['square-lr0.1.png', 'square-lr0.2.png']
    >>> loads("fn: square\\nsteps: 10\\nframes: 3\\nout: x.png\\n", source="lesson.yaml")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    optviz.errors.ConfigError: lesson.yaml:3: frames: unknown key 'frames' (it goes under render:)...
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from optviz.errors import ConfigError, OptvizError
from optviz.sweep import runner, views
from optviz.sweep.expand import Expander
from optviz.sweep.plan import Figure, Plan, Run
from optviz.sweep.runner import Outcome, Result, render_figure
from optviz.sweep.schema import AXES, FIELDS, SweepConfig, pydantic_error, translations
from optviz.sweep.yaml_lines import Errors, parse_yaml

__all__ = [
    "AXES",
    "FIELDS",
    "Figure",
    "Outcome",
    "Plan",
    "Result",
    "Run",
    "cpu_count",
    "execute",
    "load",
    "loads",
    "render_figure",
]

#: a config is text typed by hand; anything larger is a mistake (and slow to check)
MAX_CONFIG_BYTES = 1_000_000


def load(
    path: str | os.PathLike,
    out_dir: str | os.PathLike | None = None,
    *,
    allow_outside: bool = False,
    render: dict[str, Any] | None = None,
) -> Plan:
    """Read and check a sweep config file.

    Args:
        path: the YAML file (a regular file, or a pipe such as ``<(make-config)``); at most
            :data:`MAX_CONFIG_BYTES` are read, whatever the file claims its size is.
        out_dir: folder that relative output paths start from (default: the config's folder).
        allow_outside: let ``out`` write outside that folder (``../x.png``, ``/tmp/x.png``, ``~/x.png``).
        render: ``render:`` keys that replace the config's (``optviz sweep --lang zh --theme dark``).

    Returns:
        The :class:`Plan`; nothing has been run, written or created.

    Raises:
        ConfigError: the file cannot be read, is not valid YAML, or does not validate; the message
            names the file, the line and the key. Bad input never raises anything else.
    """
    path = Path(path)
    source = str(path)
    text = _read_config(path, source)
    base = Path(out_dir) if out_dir is not None else path.parent
    return loads(text, source=source, base_dir=base, name=path.stem, allow_outside=allow_outside, render=render)


def _read_config(path: Path, source: str) -> str:
    """The text of a config: a regular file or a pipe, read up to one byte past the limit (a size
    the file system reports is not trusted: /proc files say 0, a pipe or a device has none)."""
    try:
        kind = _kind(path.stat().st_mode)
        if kind == "folder":
            raise ConfigError(f"{source} is a folder; give a .yaml config file")
        if kind is not None:
            raise ConfigError(f"{source} is {kind}, not a file; give a .yaml config file")
        with open(path, "rb") as fh:
            if _kind(os.fstat(fh.fileno()).st_mode) is not None:  # replaced since the check
                raise ConfigError(f"{source} is not a regular file; give a .yaml config file")
            data = fh.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(f"{source}: no such config file") from None
    except OSError as exc:
        raise ConfigError(f"{source}: cannot read it: {exc.strerror or exc}") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{source} is over {MAX_CONFIG_BYTES // 1000} kB; a config is a short text file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{source}: not UTF-8 text; save the config as UTF-8") from None


def _kind(mode: int) -> str | None:
    """What a file that is not a config is (``None`` for a regular file or a pipe, which are read)."""
    if stat.S_ISREG(mode) or stat.S_ISFIFO(mode):
        return None
    if stat.S_ISDIR(mode):
        return "folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a socket" if stat.S_ISSOCK(mode) else "not a regular file"


def loads(
    text: str,
    *,
    source: str = "<config>",
    base_dir: str | os.PathLike = ".",
    name: str = "config",
    allow_outside: bool = False,
    render: dict[str, Any] | None = None,
) -> Plan:
    """Check a config given as text (:func:`load` reads files); ``name`` fills ``{name}``.

    Outputs must stay inside ``base_dir`` (symbolic links resolved) unless ``allow_outside``.
    The recorded paths of all the runs together must fit :data:`optviz.engine.MAX_RECORD_BYTES`.
    """
    if len(text) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{source} is over {MAX_CONFIG_BYTES // 1000} kB; a config is a short text file")
    doc = _localized(parse_yaml(text, source), render or {})
    errors = Errors(source, doc)
    if views.is_view(doc):  # one chart view (optviz stability, basins, lr-scan), no axes
        lesson = _first_comment(text)
        return views.view_plan(doc, errors, Path(base_dir), name, lesson, allow_outside=allow_outside)
    try:
        config = SweepConfig.model_validate(doc)
    except ValidationError as exc:
        raise pydantic_error(errors, exc) from None
    except RecursionError:
        raise errors([], "a YAML alias refers to itself") from None
    figures = Expander(config, doc, errors, Path(base_dir), name, allow_outside=allow_outside).figures()
    lesson = _first_comment(text) or config.description or ""
    return Plan(source, name, tuple(figures), lesson, config.description, translations(doc))


def _localized(doc: Any, render: dict[str, Any]) -> Any:
    """The config with ``render`` replacing its ``render:`` keys (``optviz sweep --lang zh``) and,
    drawn in another language than English, its ``title_LANG`` and ``labels_LANG`` (``title_zh``,
    ``labels_zh``) as the picture's title and legend labels."""
    from optviz.i18n import check_lang

    if not isinstance(doc, dict):
        return doc
    given = doc.get("render")
    if render and given is None:
        doc["render"] = given = {}
    if not isinstance(given, dict):
        return doc  # no render: keys, or not a mapping (which the schema names)
    given.update(render)
    try:
        lang = check_lang(given.get("lang"))
    except OptvizError:
        return doc  # DrawSettings names the bad language
    for key in ("title", "labels") if lang != "en" else ():
        own = doc.get(f"{key}_{lang}")
        if own is None:
            continue
        given[key] = own
        lines = getattr(given, "lines", None)
        if lines is not None:  # an error in the title points at title_LANG's line
            lines[key] = doc.lines.get(f"{key}_{lang}", 1)
    return doc


def cpu_count() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def execute(figures: Sequence[Figure], jobs: int = 1, on_result: Callable[[Result], None] | None = None) -> Outcome:
    """Render every figure, ``jobs`` at a time (at most :func:`cpu_count`; more would only compete
    for the same CPUs and memory) in worker processes, in this process for 1.

    Ctrl-C stops the sweep: renders in flight are abandoned (their temporary files removed),
    finished files stay, and the outcome says ``interrupted``.
    """
    return runner.execute(figures, min(jobs, cpu_count()), on_result)


def _first_comment(text: str) -> str:
    """The first line, if it is a ``# comment``."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return first.lstrip("#").strip() if first.startswith("#") else ""
