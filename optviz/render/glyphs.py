"""Text that changes in every frame of an animation, pasted from glyph bitmaps rendered once.

matplotlib 3.11 lays out and rasterises every glyph of a new string on each draw (~1.5 ms a short
label); an animation that shows each run's current loss would spend more on that text than on all
its paths. :class:`GlyphText` renders each character once into a coverage cell and pastes the
cells at the characters' advances (no kerning: for numbers and short words it looks the same).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

__all__ = ["GlyphText", "text_width"]

#: pixels of room on each side of a glyph cell: glyphs may overhang their advance
_PAD = 3


def text_width(renderer: Any, text: str, prop: FontProperties) -> float:
    """Pixels that ``text`` advances in ``prop`` (trailing spaces count)."""
    return float(renderer.get_text_width_height_descent(text, prop, False)[0])


class GlyphText(Artist):
    """A line of text at a fixed baseline (pixels from the bottom-left), animated; ``text`` is
    shown at the next draw."""

    def __init__(self, fig: Figure, x: float, y: float, prop: FontProperties, color: str):
        super().__init__()
        self.text = ""
        self.set_animated(True)
        self._fig, self._prop, self._x, self._y = fig, prop, x, y
        self._rgb = np.array([round(255 * c) for c in to_rgb(color)], dtype=np.uint8)
        size_px = prop.get_size_in_points() * fig.dpi / 72
        self._height = math.ceil(1.5 * size_px) + 2
        self._baseline = math.ceil(1.15 * size_px) + 1
        self._cells: dict[str, tuple[np.ndarray, float]] = {}
        fig.add_artist(self)

    def _cell(self, char: str) -> tuple[np.ndarray, float]:
        """The coverage cell of ``char`` and its advance in pixels (measured over ten copies)."""
        if char not in self._cells:
            renderer = self._fig.canvas.get_renderer()
            advance = text_width(renderer, char * 10, self._prop) / 10
            width = math.ceil(advance) + 2 * _PAD
            cell = RendererAgg(width, self._height, self._fig.dpi)
            cell.draw_text(cell.new_gc(), _PAD, self._baseline, char, self._prop, 0)
            self._cells[char] = (np.asarray(cell.buffer_rgba())[..., 3].copy(), advance)
        return self._cells[char]

    def _image(self) -> np.ndarray:
        cells = [self._cell(char) for char in self.text]
        width = math.ceil(sum(advance for _, advance in cells)) + 2 * _PAD + 1
        image = np.zeros((self._height, width, 4), dtype=np.uint8)
        image[..., :3] = self._rgb
        alpha = image[..., 3]
        x = 0.0
        for cell, advance in cells:
            left = round(x)
            span = alpha[:, left : left + cell.shape[1]]
            np.maximum(span, cell[:, : span.shape[1]], out=span)  # overlapping cells combine by max
            x += advance
        return image

    def draw(self, renderer: Any) -> None:
        if not self.get_visible() or not self.text:
            return
        image = self._image()
        gc = renderer.new_gc()
        x = round(self._x) - _PAD
        y = round(self._y - (self._height - self._baseline))
        renderer.draw_image(gc, x, y, np.ascontiguousarray(image[::-1]))  # bottom row first
        gc.restore()
        self.stale = False
