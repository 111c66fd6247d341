"""Animations: GIF or MP4 files in which the runs' paths grow step by step.

Frames come from a :class:`~optviz.render.player.Player` (blitting); GIF frames stream through a
:class:`~optviz.render.gif.GifWriter`, MP4 frames to ffmpeg.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from optviz.functions import TestFunction
from optviz.output import atomic_path
from optviz.render.fonts import check_figure, draw_family
from optviz.render.gif import GifWriter, build_palette
from optviz.render.player import Player
from optviz.render.reproducible import rc_context
from optviz.render.scene import build_scene
from optviz.render.style import frame_steps
from optviz.settings import DrawSettings
from optviz.themes import run_colors
from optviz.trajectory import Trajectory

__all__ = ["save_animation"]


def save_animation(trajs: Sequence[Trajectory], fn: TestFunction, path: Path, options: DrawSettings) -> Path:
    """Render the runs as a GIF or MP4 at ``path`` (written atomically), one frame per sampled step."""
    mp4 = path.suffix.lower() == ".mp4"
    if mp4 and (options.width % 2 or options.height % 2):
        # H.264 in yuv420p needs even sides; one more pixel is invisible, a crash is not
        options = dataclasses.replace(
            options, size=(options.width + options.width % 2, options.height + options.height % 2)
        )
    with rc_context(options.theme.rc(options.font_pt), draw_family(options, [t.label for t in trajs])):
        player = Player(build_scene(trajs, fn, options, animated=True))
        check_figure(player.scene.fig)
        steps = frame_steps(player.scene.steps, options.frames)
        with atomic_path(path) as tmp:
            if mp4:
                _write_mp4(player, steps, tmp, options)
            else:
                _write_gif(player, steps, tmp, options)
    return path


def _write_gif(player: Player, steps: np.ndarray, tmp: Path, options: DrawSettings) -> None:
    scene = player.scene
    theme = options.theme
    final = player.frame(int(steps[-1])).copy()
    # exact: the theme, the paths and the contour bands (large flat areas an octree may blend away)
    exact = [
        theme.background,
        theme.foreground,
        theme.muted,
        theme.marker,
        *run_colors(theme, len(scene.runs)),
        *scene.flat_colors,
    ]
    palette = build_palette([player.background_rgba, final], exact)
    centis = max(2, round(100 / options.fps))  # GIF delays are whole centiseconds
    hold = round(100 * options.hold)
    with open(tmp, "wb") as fh:
        writer = GifWriter(fh, options.width, options.height, palette)
        for i, k in enumerate(steps):
            last = i == len(steps) - 1
            writer.add(player.frame(int(k)), 10 * (centis + (hold if last else 0)))
        writer.close()


def _write_mp4(player: Player, steps: np.ndarray, tmp: Path, options: DrawSettings) -> None:
    import imageio_ffmpeg

    writer = imageio_ffmpeg.write_frames(
        str(tmp),
        (options.width, options.height),
        pix_fmt_in="rgba",
        fps=float(options.fps),
        macro_block_size=1,
        quality=8,
        output_params=["-movflags", "+faststart"],
        ffmpeg_log_level="error",
    )
    writer.send(None)  # start ffmpeg
    try:
        for k in steps:
            writer.send(player.frame(int(k)))
        last = player.frame(int(steps[-1]))
        for _ in range(math.ceil(options.hold * options.fps)):
            writer.send(last)
    finally:
        writer.close()
