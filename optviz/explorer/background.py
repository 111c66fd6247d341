"""The page's background: the map (contours or the 1-D curve), title and legend drawn once by the
renderer, as a PNG, with where its axes and legend entries sit in pixels.

The scene is built as for an animation (:func:`optviz.render.scene.build_scene` with
``animated=True``), so paths, heads and the step counter are left out of the drawing, as
:class:`~optviz.render.player.Player` leaves them out of its background; the start and minimum
markers are then drawn over it. Each run is given to the scene as its first point only, so the
legend, title and start markers are the runs' own while nothing of a path is drawn; the window is
set from the whole runs beforehand (``xlim``/``ylim``), as a picture of them would have it.
"""

from __future__ import annotations

import base64
import dataclasses
import io
from collections.abc import Sequence
from typing import Any

import numpy as np

from optviz.errors import OutputError
from optviz.functions import TestFunction
from optviz.settings import DrawSettings
from optviz.trajectory import Trajectory

__all__ = ["Background", "draw_background"]

#: the panels the page draws (from the data, in the browser)
PAGE_PANELS = ("loss", "grad_norm", "lr")


@dataclasses.dataclass(frozen=True)
class Background:
    """The drawn map and where things are on it, in pixels from the top left.

    Attributes:
        png: the picture's PNG bytes (width × height pixels).
        width, height: its size.
        box: ``[left, top, right, bottom]`` of the main axes: ``xlim[0]`` is at ``left``,
            ``ylim[0]`` at ``bottom`` (linear or log scales, as ``xlog``/``ylog`` say).
        xlim, ylim: the main axes' data limits.
        xlog, ylog: log axes.
        legend: ``[left, top, right, bottom]`` of each run's legend entry (its marker and text).
    """

    png: bytes
    width: int
    height: int
    box: list[float]
    xlim: list[float]
    ylim: list[float]
    xlog: bool
    ylog: bool
    legend: list[list[float]]
    counter: dict[str, float] | None = None

    def data(self) -> dict[str, Any]:
        """The ``image`` and ``main`` parts of the page's data (see :mod:`optviz.explorer`)."""
        return {
            "image": {
                "src": "data:image/png;base64," + base64.b64encode(self.png).decode("ascii"),
                "width": self.width,
                "height": self.height,
            },
            "main": {"box": self.box, "xlim": self.xlim, "ylim": self.ylim, "xlog": self.xlog, "ylog": self.ylog},
            "legend": self.legend,
        }


def check_page(fn: TestFunction, settings: DrawSettings) -> None:
    """Refuse what the page cannot show, before any work."""
    if settings.view != "contour":
        raise OutputError("an .html page shows the contour view (or the 1-D curve); drop --view surface")
    other = [p for p in settings.panels if p not in PAGE_PANELS]
    if other:
        raise OutputError(
            f"an .html page draws the panels {', '.join(PAGE_PANELS)}; drop {', '.join(other)} from --panels"
        )
    if settings.show:
        raise OutputError("an .html page draws no arrows; drop --show")


def draw_background(
    fn: TestFunction, firsts: Sequence[Trajectory], paths: Sequence[np.ndarray], names: list[str], opts: DrawSettings
) -> Background:
    """Draw the map for runs that start as ``firsts`` and take ``paths`` (all points of every run,
    which set the window), with one legend entry per name."""
    from PIL import Image

    from optviz.render.fonts import draw_family
    from optviz.render.reproducible import rc_context
    from optviz.render.scene import build_scene
    from optviz.render.style import plot_window

    limits = plot_window(fn.window, [np.asarray(p, dtype=float)[:, : fn.dim] for p in paths])
    window: dict[str, Any] = {"xlim": opts.xlim or tuple(limits[0])}
    if fn.dim == 2:
        window["ylim"] = opts.ylim or tuple(limits[1])
    look = dataclasses.replace(opts, panels=(), labels=tuple(names), finals=False, show=(), **window)
    with rc_context(look.theme.rc(look.font_pt), draw_family(look, names)):
        scene = build_scene(list(firsts), fn, look, animated=True)
        scene.canvas.draw()  # all but the animated artists
        for artist in scene.markers:
            scene.fig.draw_artist(artist)
        rgba = np.asarray(scene.canvas.buffer_rgba()).copy()
        height = rgba.shape[0]
        main = scene.main
        xlim, ylim = [float(v) for v in main.get_xlim()], [float(v) for v in main.get_ylim()]
        corners = main.transData.transform([[xlim[0], ylim[0]], [xlim[1], ylim[1]]])
        (x0, y0), (x1, y1) = corners.tolist()  # (xlim[0], ylim[0]) and (xlim[1], ylim[1]), y upwards
        box = [x0, height - y1, x1, height - y0]
        legend = _legend_boxes(scene, len(names), height)
        xlog, ylog = main.get_xscale() == "log", main.get_yscale() == "log"
        counter = None
        if scene.counter is not None:  # its words are drawn; the page writes the number where the GIF pastes it
            size = look.font_pt * look.dpi / 72
            counter = {
                "x": round(scene.counter._right, 1),
                "y": round(height - scene.counter._y, 1),
                "size": round(size, 2),
            }
    buffer = io.BytesIO()
    Image.fromarray(rgba).convert("RGB").save(buffer, format="png", optimize=True)
    return Background(buffer.getvalue(), int(rgba.shape[1]), int(height), box, xlim, ylim, xlog, ylog, legend, counter)


def _legend_boxes(scene: Any, n: int, height: int) -> list[list[float]]:
    """Each run's legend entry (marker and text) in pixels from the top left; an empty box for a
    run the legend does not list (a compact key of many runs)."""
    legend = scene.fig.legends[0] if scene.fig.legends else scene.main.get_legend()
    if legend is None:
        return [[0, 0, 0, 0]] * n
    renderer = scene.canvas.get_renderer()
    texts, handles = legend.get_texts(), legend.legend_handles
    boxes = []
    for i in range(n):
        if i >= len(texts):
            boxes.append([0.0, 0.0, 0.0, 0.0])
            continue
        text = texts[i].get_window_extent(renderer)
        left = text.x0
        if i < len(handles) and handles[i] is not None:
            left = min(left, handles[i].get_window_extent(renderer).x0)
        boxes.append([round(float(v), 1) for v in (left, height - text.y1, text.x1, height - text.y0)])
    return boxes
