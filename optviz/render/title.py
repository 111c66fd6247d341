"""The title band across the top of a figure: the title on the left, the step counter on the right."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from optviz.functions import TestFunction
from optviz.render.layout import Layout, em
from optviz.settings import DrawSettings
from optviz.trajectory import Trajectory

__all__ = ["StepCounter", "add_title", "title_text"]


def title_text(fn: TestFunction, opts: DrawSettings, trajs: Sequence[Trajectory] = ()) -> str:
    """The title: ``opts.title`` with ``{fn}``, ``{opt}``, ``{lr}``, ``{steps}`` filled in (several
    values joined by commas; other braces are left as written), or the function's name and formula."""
    if opts.title is None:
        return f"{fn.spec}:   $f({', '.join(fn.labels)}) = {fn.formula}$"
    fields = {"fn": [fn.spec]}
    for key in ("opt", "lr", "steps"):
        values = [t.settings.get(key) for t in trajs if t.settings.get(key) is not None]
        fields[key] = [f"{v:g}" if isinstance(v, float) else str(v) for v in values]
    fill = {k: ", ".join(dict.fromkeys(v)) for k, v in fields.items() if v}
    return re.sub(r"\{(\w+)\}", lambda m: fill.get(m.group(1), m.group(0)), opts.title)


def add_title(
    fig: Figure, fn: TestFunction, opts: DrawSettings, layout: Layout, right: float, trajs: Sequence[Trajectory] = ()
) -> Text | None:
    """The title (:func:`title_text`) in the band's left part, ending an em before ``right`` (pixels:
    the step counter's left edge): shrunk to fit, down to 3/4 of the body size; then the default
    title drops its name (then its formula) and a given one wraps onto two lines; past that it
    shrinks further.
    ``--title ''`` draws none."""
    text = title_text(fn, opts, trajs)
    if not text:
        return None
    x, y = layout.title_xy
    room = right - x * opts.width - em(opts)
    title = fig.text(x, y, text, ha="left", va="center", fontsize=1.25 * opts.font_pt)
    renderer = fig.canvas.get_renderer()
    least = 0.75 * opts.font_pt
    if _fit(title, renderer, room, least):
        return title
    if opts.title is None:  # the formula alone, else the name alone
        title.set_text(f"$f({', '.join(fn.labels)}) = {fn.formula}$")
        title.set_fontsize(1.25 * opts.font_pt)
        if _fit(title, renderer, room, least):
            return title
        title.set_text(fn.spec)
    elif " " in text:
        middle = len(text) // 2
        breaks = [i for i, c in enumerate(text) if c == " "]
        cut = min(breaks, key=lambda i: abs(i - middle))
        title.set_text(text[:cut] + "\n" + text[cut + 1 :])
        title.set_linespacing(1.0)
    title.set_fontsize((1.1 if "\n" in title.get_text() else 1.25) * opts.font_pt)
    _fit(title, renderer, room, 0.0)
    return title


def _fit(title: Text, renderer: RendererAgg, room: float, least: float) -> bool:
    """Shrink ``title`` to ``room`` pixels wide, not below ``least`` points; whether it fits."""
    width = title.get_window_extent(renderer).width
    if width <= room:
        return True
    size = title.get_fontsize() * room / width * 0.98
    if size < least:
        return False
    title.set_fontsize(max(size, 1.0))
    return True


class StepCounter(Artist):
    """``step k / K`` in the title band: the words are drawn once with the background, the number
    is pasted from digit bitmaps rendered once.

    matplotlib 3.11 lays out and rasterises every glyph of a new string on each draw (~1.5 ms
    for this label, more than all the paths of a frame together); digits are tabular in DejaVu
    Sans, so pasting cached digit cells at multiples of one advance looks the same.
    """

    def __init__(
        self, fig: Figure, xy: tuple[float, float], steps: int, font_pt: float, color: str, word: str = "step"
    ):
        super().__init__()
        self.step = 0
        self.set_animated(True)
        renderer = fig.canvas.get_renderer()
        prop = FontProperties(size=font_pt)
        self._digits = len(str(steps))
        self._advance = renderer.get_text_width_height_descent("0", prop, False)[0]
        x_right, y_base = xy[0] * fig.bbox.width, xy[1] * fig.bbox.height
        suffix = fig.text(xy[0], xy[1], f"/ {steps}", ha="right", va="baseline", fontproperties=prop, color=color)
        space = 0.6 * self._advance
        self._right = x_right - suffix.get_window_extent(renderer).width - space
        prefix_right = self._right - self._digits * self._advance - space
        prefix = fig.text(
            prefix_right / fig.bbox.width, xy[1], word, ha="right", va="baseline", fontproperties=prop, color=color
        )
        #: the counter's left edge in pixels: the title ends before it
        self.left = prefix_right - prefix.get_window_extent(renderer).width
        self._box = (self.left, x_right, suffix.get_window_extent(renderer))
        cells, self._baseline = _digit_cells(prop, fig.dpi, self._advance)
        # bottom row first, as draw_image takes it: the image is built upside down, with no copy
        self._cells = [np.ascontiguousarray(cell[::-1]) for cell in cells]
        cell_h, cell_w = cells[0].shape
        # one image, reused: its colour set once, its coverage rewritten at each draw
        self._image_buffer = np.empty((cell_h, math.ceil(self._digits * self._advance) + cell_w, 4), dtype=np.uint8)
        self._image_buffer[..., :3] = [round(255 * c) for c in to_rgb(color)]
        self._y = y_base
        fig.add_artist(self)

    def get_window_extent(self, renderer: Any = None) -> Bbox:
        """From the word "step" to the total, in pixels."""
        left, right, suffix = self._box
        return Bbox.from_extents(left, suffix.y0, right, suffix.y1)

    def _image(self) -> np.ndarray:
        """The counter as an RGBA image, bottom row first; valid until the next call."""
        text = str(self.step).rjust(self._digits)[-self._digits :]
        cell_w = self._cells[0].shape[1]
        image = self._image_buffer
        alpha = image[..., 3]
        alpha[...] = 0
        for i, char in enumerate(text):
            if char != " ":
                x = round(i * self._advance)
                # one colour for all: where neighbouring cells overlap, coverage combines by max
                np.maximum(alpha[:, x : x + cell_w], self._cells[int(char)], out=alpha[:, x : x + cell_w])
        return image

    def draw(self, renderer: Any) -> None:
        if not self.get_visible():
            return
        image = self._image()
        x = round(self._right - self._digits * self._advance) - _CELL_PAD
        y = round(self._y - (image.shape[0] - self._baseline))
        gc = renderer.new_gc()
        renderer.draw_image(gc, x, y, image)
        gc.restore()
        self.stale = False


#: pixels of room on each side of a digit cell: glyphs may overhang their advance
_CELL_PAD = 3


def _digit_cells(prop: FontProperties, dpi: float, advance: float) -> tuple[list[np.ndarray], int]:
    """Coverage (alpha) cells of the digits 0-9 and the baseline row in them."""
    size_px = prop.get_size_in_points() * dpi / 72
    height = math.ceil(1.5 * size_px) + 2
    baseline = math.ceil(1.15 * size_px) + 1
    width = math.ceil(advance) + 2 * _CELL_PAD
    cells = []
    for digit in "0123456789":
        renderer = RendererAgg(width, height, dpi)
        renderer.draw_text(renderer.new_gc(), _CELL_PAD, baseline, digit, prop, 0)
        cells.append(np.asarray(renderer.buffer_rgba())[..., 3].copy())
    return cells, baseline
