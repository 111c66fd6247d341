"""``view:`` configs: one chart view (stability map, basins, lr scan) as a sweep entry.

A config with a top-level ``view:`` key makes one picture of that view instead of run figures::

    # Momentum converges past GD's 2/L limit, fastest at Polyak's pair   <- the lesson, one line
    view: stability                 # stability, basins or lr-scan
    fn: ravine
    opt: momentum
    marks: ["sgd(momentum=0.5),lr=0.6"]
    render: {size: 16:9, preset: talk}
    out: "{name}.png"               # .png, .svg or .pdf; {name} is the config's file name

Its keys are the command's options, by their field names (``optviz stability --mark X`` is
``marks: [X]``, ``optviz basins --path=0,0`` is ``paths: [[0, 0]]``, ``-p`` is ``hyper:``),
generated from the view's record (:mod:`optviz.views.settings`) and the RunSettings fields it
takes; ``render:`` takes the drawing fields the command takes. Values are checked by the same
records as on the command line, and an error names the line of its key. There are no axes:
one config, one file.
"""

from __future__ import annotations

import difflib
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optviz.errors import OptvizError
from optviz.sweep.plan import Plan
from optviz.sweep.schema import LANG_KEYS, translations
from optviz.sweep.yaml_lines import Errors

__all__ = ["ViewFigure", "ViewRun", "is_view", "keys_of", "view_plan"]

#: the keys every view config may have besides its options
_OWN = ("view", "description", "render", "out", *LANG_KEYS)


@dataclass(frozen=True)
class ViewRun:
    """What a dry run lists for a view: a label and its steps (``—`` for the closed form)."""

    label: str
    steps: int | str


@dataclass(frozen=True)
class ViewFigure:
    """One view's file. Holds plain YAML values only, so that it pickles to a worker process,
    which checks them again; reads like a :class:`~optviz.sweep.Figure` (``out``, ``fn``,
    ``runs``, ``render``, ``key``)."""

    out: Path
    fn: str
    view: str
    values: dict[str, Any] = field(hash=False)
    render: dict[str, Any] = field(hash=False)
    runs: tuple[ViewRun, ...] = ()
    key: tuple[tuple[str, str], ...] = ()

    def make(self) -> tuple[tuple[str, float, int | None], ...]:
        """Compute, draw and write the file; the summary lines."""
        from optviz.views.make import check

        job = check(self.view, self.values, self.render, self.out)
        data = job.compute()
        job.render(data)
        return tuple(job.rows(data))


def is_view(doc: Any) -> bool:
    """Whether a parsed config is a ``view:`` config."""
    return isinstance(doc, dict) and "view" in doc


def keys_of(view: str) -> tuple[str, ...]:
    """The option keys of a view config (besides ``view``, ``description``, ``render``, ``out``)."""
    from optviz.settings import settings_of
    from optviz.views.settings import VIEWS

    spec = VIEWS[view]
    return (*settings_of(spec.record), *spec.run_fields)


def view_plan(
    doc: dict[str, Any], errors: Errors, base_dir: Path, name: str, lesson: str, *, allow_outside: bool = False
) -> Plan:
    """Check a ``view:`` config (every value through the view's records, the output path) and
    plan its one file; nothing runs or is written.

    Raises:
        ConfigError: ``FILE:LINE: KEY: message`` for the first problem.
    """
    from optviz.views.make import check, draw_fields
    from optviz.views.settings import VIEWS

    view = doc["view"]
    if not isinstance(view, str) or view not in VIEWS:
        raise errors(["view"], f"view {view!r} is not one of {', '.join(VIEWS)} (or leave view: out for runs)")
    keys = keys_of(view)
    for key in doc:
        if key not in _OWN and key not in keys:
            close = difflib.get_close_matches(str(key), [*keys, *_OWN], n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise errors([key], f"unknown key {key!r} for view {view}; {hint}valid keys: {', '.join([*_OWN, *keys])}")
    render = doc.get("render") or {}
    if not isinstance(render, dict):
        raise errors(["render"], f"a mapping of keys, e.g. render: {{size: 16:9}}; got {render!r}")
    for key in render:
        if key not in draw_fields():
            raise errors(["render", key], f"unknown key {key!r}; valid keys under render: {', '.join(draw_fields())}")
    description = doc.get("description")
    if description is not None and not isinstance(description, str):
        raise errors(["description"], f"a description is text; got {description!r}")
    for key in LANG_KEYS:
        if doc.get(key) is not None and not isinstance(doc[key], str):
            raise errors([key], f"{key} is text; got {doc[key]!r}")
    out = _out(doc, errors, base_dir, name, allow_outside)
    values = {key: _plain(key, doc[key]) for key in keys if key in doc}
    try:
        job = check(view, values, dict(render), out)
    except OptvizError as exc:
        setting = getattr(exc, "setting", None)
        path = ["render", setting] if setting in render else [setting] if setting in doc else []
        raise errors(path, str(exc)) from None
    fn = job.settings.fn.spec
    steps = job.runs.get("steps", job.settings.steps if getattr(job.settings, "empirical", False) else "—")
    figure = ViewFigure(out, fn, view, values, dict(render), (ViewRun(f"{view} on {fn}", steps),))
    return Plan(str(errors.source), name, (figure,), lesson or description or "", description, translations(doc))


def _plain(key: str, value: Any) -> Any:
    """A YAML value as the records take it: ``hyper`` lists as tuples (as a spec writes them),
    the rest as written (lists, numbers and text)."""
    if key == "hyper" and isinstance(value, dict):
        return {k: tuple(v) if isinstance(v, list) else v for k, v in value.items()}
    return value


def _out(doc: dict[str, Any], errors: Errors, base_dir: Path, name: str, allow_outside: bool) -> Path:
    """The output path: ``{name}`` filled in, relative to the output folder and inside it."""
    text = doc.get("out")
    if not isinstance(text, str) or not text:
        raise errors(["out"] if "out" in doc else [], "missing key 'out', the output path, e.g. out: '{name}.png'")
    try:
        fields = [field for _, field, _, _ in string.Formatter().parse(text) if field is not None]
    except ValueError as exc:
        raise errors(["out"], f"cannot read the template {text!r}: {exc}") from None
    if any(field != "name" for field in fields):
        raise errors(["out"], f"a view config makes one file: the only template field is {{name}}; got {text!r}")
    out = Path(text.format(name=name)).expanduser()
    out = out if out.is_absolute() else base_dir / out
    if not allow_outside and not out.resolve().is_relative_to(base_dir.resolve()):
        raise errors(
            ["out"],
            f"{text!r} writes {str(out.resolve())!r}, outside the output folder {str(base_dir.resolve())!r}; "
            "give a path inside it, or pass --allow-outside (allow_outside=True) to write there",
        )
    return out
