"""Pictures and animations of optimizer paths: ``render(trajectories, fn, "out.gif")``.

The suffix picks the output: ``.png``, ``.svg``, ``.pdf`` draw a static figure, ``.gif`` and
``.mp4`` an animation whose paths grow step by step. Settings are checked before anything is drawn,
and files appear only when complete.

matplotlib is imported only when something is drawn, so importing this package is cheap.

Examples:
    >>> import pathlib, tempfile
    >>> import optviz, optviz.render
    >>> runs = [optviz.run("ravine", opt, lr=0.4, steps=20) for opt in ("gd", "momentum")]
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "ravine.gif"
    >>> optviz.render.render(runs, "ravine", out, size="400x225", frames=10).stat().st_size > 0
    True
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from optviz.errors import OutputError
from optviz.functions import TestFunction
from optviz.functions import get as get_function
from optviz.output import check_output
from optviz.render.style import ANIMATED_SUFFIXES, STATIC_SUFFIXES
from optviz.settings import DrawSettings
from optviz.trajectory import Trajectory

__all__ = [
    "ANIMATED_SUFFIXES",
    "PAGE_SUFFIXES",
    "STATIC_SUFFIXES",
    "SUFFIXES",
    "DrawSettings",
    "check_target",
    "import_drawing",
    "preview",
    "render",
]

#: an interactive page (:mod:`optviz.explorer`): one self-contained HTML file
PAGE_SUFFIXES = (".html",)
SUFFIXES = STATIC_SUFFIXES + ANIMATED_SUFFIXES + PAGE_SUFFIXES


def render(
    trajectories: Trajectory | Iterable[Trajectory],
    fn: str | TestFunction,
    out: str | os.PathLike,
    settings: DrawSettings | None = None,
    **options: Any,
) -> Path:
    """Draw the runs on ``fn`` and write ``out``; the suffix picks a picture or an animation.

    Args:
        trajectories: one :class:`~optviz.Trajectory`, a list, or a :class:`~optviz.TrajectoryBatch`;
            several runs are overlaid with distinct colour-blind-safe colours.
        fn: the function they ran on (spec string or :class:`~optviz.TestFunction`).
        out: ``.png``, ``.svg``, ``.pdf`` (static), ``.gif``, ``.mp4`` (animated; MP4 needs the
            ``optviz[mp4]`` extra) or ``.html`` (an interactive page, :mod:`optviz.explorer`).
        panels: side panels per step, any of ``loss``, ``grad_norm``, ``lr`` (a list or a comma
            string); ``None`` or ``"none"`` for none (default: loss).
        view: ``contour`` (2-D map or 1-D curve) or ``surface`` (3-D, 2-D functions only).
        size: ``16:9`` (1280x720), ``4:3`` (960x720), ``square`` (720x720) or ``WIDTHxHEIGHT``.
        theme: ``light`` or ``dark``.
        preset: ``default``, or ``talk`` (text scale 1.6, thicker lines, at most four ticks per
            axis: a 1280x720 slide read from the back of a lecture hall).
        text_scale: grows text, markers and lines by this factor (default 1, the preset's);
            pixels are set by ``size`` and the layout keeps its proportions.
        dpi: the same scale in dots per inch: the default makes the short side 7.2 inches (100 dpi
            at 1280x720) times ``text_scale``.
        frames: animations: at most this many frames, sampling the steps evenly (the last step is
            always shown).
        fps: animations: frames per second (GIF delays are rounded to 10 ms).
        hold: animations: seconds the last frame stays before the loop restarts.
        title: replaces the default title (the function's name and formula); ``{fn}``, ``{opt}``,
            ``{lr}``, ``{steps}`` are filled in (several values joined by commas); ``""`` for none.
        labels: the legend text of each run, in the order of the runs (one per run).
        finals: show each run's loss in the legend (the final one; in animations the current one,
            the final one on the held last frame).
        xlim, ylim: ``(lo, hi)`` of the window (for a 1-D function ``ylim`` is the range of f).
        settings: a :class:`~optviz.settings.DrawSettings` to start from; ``options`` (any of
            its fields, as above) override it.

    Returns:
        The written path.

    Raises:
        OutputError: unknown suffix, bad size or dpi, unwritable folder, MP4 without imageio-ffmpeg,
            a 1-D function in the surface view, runs of another dimension than ``fn``, not one
            label per run.
        HyperparameterError: frames, fps or hold out of range.
        UnknownNameError: unknown panel, view or theme.
    """
    fn = get_function(fn)
    trajs = [trajectories] if isinstance(trajectories, Trajectory) else list(trajectories)
    path, settings = check_target(out, fn, settings, **options)
    _check_runs(trajs, fn)
    from optviz.render.state_panels import check_state

    check_state(trajs, settings.panels)
    if settings.labels is not None and len(settings.labels) != len(trajs):
        raise OutputError(
            f"{len(settings.labels)} label{'s' * (len(settings.labels) != 1)} for {len(trajs)} "
            f"run{'s' * (len(trajs) != 1)}: give one --label per run, in the order of the runs (opt x lr x start)"
        )
    if path.suffix.lower() in PAGE_SUFFIXES:
        from optviz.explorer.page import save_page

        return save_page(trajs, fn, path, settings)
    if path.suffix.lower() in ANIMATED_SUFFIXES:
        from optviz.render.animate import save_animation

        return save_animation(trajs, fn, path, settings)
    from optviz.render.static import save_static

    return save_static(trajs, fn, path, settings)


def check_target(
    out: str | os.PathLike, fn: str | TestFunction, settings: DrawSettings | None = None, **options: Any
) -> tuple[Path, DrawSettings]:
    """Check an output path and the drawing settings for ``fn`` before any work is done.

    The CLI calls this before running the optimizers, so a typo in ``--out`` or ``--size`` costs
    nothing. Creates nothing: folders are made when the file is written.

    Args:
        out: the output file.
        fn: the function that will be drawn.
        settings: settings to start from (default: :class:`DrawSettings`'s defaults).
        **options: fields of :class:`DrawSettings` (``panels``, ``view``, ``size``, ...).

    Returns:
        The output path and the checked :class:`DrawSettings`.

    Raises:
        OptvizError: as :func:`render`.
    """
    fn = get_function(fn)
    if settings is None:
        settings = DrawSettings(**options)
    elif options:
        settings = dataclasses.replace(settings, **_follow(settings, options))
    if settings.view == "surface" and fn.dim != 2:
        raise OutputError(f"--view surface needs a 2-D function; {fn.name} is {fn.dim}-D, use --view contour")
    from optviz.render.data_panel import check_data

    check_data(fn, settings.panels)
    if not isinstance(out, (str, os.PathLike)):
        raise OutputError(f"out={out!r} must be a file name such as 'ravine.png' or 'ravine.gif'")
    path = Path(out)
    if path.suffix.lower() in PAGE_SUFFIXES:
        from optviz.explorer.background import check_page

        check_page(fn, settings)
    if path.suffix.lower() == ".mp4" and importlib.util.find_spec("imageio_ffmpeg") is None:
        raise OutputError(f"{path.name}: MP4 needs imageio-ffmpeg; pip install 'optviz[mp4]', or write a .gif")
    return check_output(path, SUFFIXES, "output"), settings


def import_drawing(out: str | os.PathLike) -> None:
    """Import the modules that :func:`render` will draw ``out`` with (matplotlib and optviz's
    renderers: about 0.3 s), so a caller can import them at a time of its choosing."""
    suffix = Path(out).suffix.lower()
    if suffix in PAGE_SUFFIXES:
        import optviz.explorer.page
    elif suffix in ANIMATED_SUFFIXES:
        import optviz.render.animate
    else:
        import optviz.render.static
    import optviz.render.state_panels  # noqa: F401


def _follow(settings: DrawSettings, options: dict[str, Any]) -> dict[str, Any]:
    """``options`` with the text scale and dpi reset where ``settings`` had the defaults that the
    options change: a new preset brings its text scale, a new size or scale its dpi."""
    options = dict(options)
    if "preset" in options and "text_scale" not in options and settings.text_scale == settings.preset.text_scale:
        options["text_scale"] = None
    if "dpi" not in options and {"size", "preset", "text_scale"} & set(options):
        default = DrawSettings(size=settings.size, text_scale=settings.text_scale).dpi
        options["dpi"] = None if settings.dpi == default else settings.dpi
    return options


def preview(fn: str | TestFunction, out: str | os.PathLike, **settings: Any) -> Path:
    """Draw ``fn`` alone (contours or curve, its minima and formula) to a picture.

    ``settings`` are :func:`render`'s (``size``, ``theme``, ``dpi``, ``view``, ``title``); there
    are no side panels.
    """
    fn = get_function(fn)
    if Path(out).suffix.lower() not in STATIC_SUFFIXES:
        raise OutputError(f"a preview is a picture: use one of {', '.join(STATIC_SUFFIXES)} for {str(out)!r}")
    path, checked = check_target(out, fn, **{**settings, "panels": None})
    from optviz.render.static import save_static

    return save_static([], fn, path, checked)


def _check_runs(trajs: list[Trajectory], fn: TestFunction) -> None:
    if not trajs:
        raise OutputError("nothing to draw: give at least one trajectory")
    for traj in trajs:
        if not isinstance(traj, Trajectory):
            raise OutputError(f"cannot draw {type(traj).__name__}; give optviz.Trajectory objects (from optviz.run)")
        if traj.points.ndim != 2 or traj.points.shape[1] != fn.dim:
            raise OutputError(
                f"a run with {traj.points.shape[-1]}-D points cannot be drawn on {fn.spec} ({fn.dim}-D); "
                "pass the function the runs used"
            )
