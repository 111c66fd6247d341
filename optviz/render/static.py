"""Pictures: PNG, SVG or PDF files of the scene at its last step."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from optviz.functions import TestFunction
from optviz.output import atomic_path
from optviz.render.fonts import check_figure, draw_family
from optviz.render.reproducible import rc_context, savefig_options
from optviz.render.scene import build_scene
from optviz.settings import DrawSettings
from optviz.trajectory import Trajectory

__all__ = ["save_static"]


def save_static(trajs: Sequence[Trajectory], fn: TestFunction, path: Path, options: DrawSettings) -> Path:
    """Render the runs to ``path`` (.png, .svg or .pdf), written atomically."""
    fmt = path.suffix.lower()[1:]
    with rc_context(options.theme.rc(options.font_pt), draw_family(options, [t.label for t in trajs])):
        scene = build_scene(trajs, fn, options, animated=False)
        check_figure(scene.fig)
        with atomic_path(path) as tmp:
            scene.fig.savefig(
                tmp, format=fmt, dpi=options.dpi, facecolor=options.theme.background, **savefig_options(fmt)
            )
    return path
