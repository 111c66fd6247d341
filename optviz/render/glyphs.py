"""Text that changes in every frame of an animation, pasted from glyph bitmaps rendered once.

matplotlib 3.11 lays out and rasterises every glyph of a new string on each draw (~1.5 ms a short
label); an animation that shows each run's current loss would spend more on that text than on all
its paths. :class:`GlyphText` renders each character once into a coverage cell and pastes the
cells at the characters' advances (no kerning: for numbers and short words it looks the same).
The width of such a text is the sum of its characters' advances (:func:`glyph_widths`), each
measured once per process, as each cell is rendered once per process (font, size, resolution and
rendering settings are part of the key). Other text is measured once per process too
(:func:`remember_measures`): matplotlib keeps its measurements per renderer, and every figure
has a new one.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib import font_manager
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

__all__ = ["GlyphText", "glyph_widths", "measure", "remember_measures", "text_width"]

#: pixels of room on each side of a glyph cell: glyphs may overhang their advance
_PAD = 3
#: (char, font, dpi) -> advance in pixels; (char, font, dpi, cell height, baseline) -> coverage cell
_ADVANCES: dict[tuple, float] = {}
_MEASURES: dict[tuple, tuple[float, float, float]] = {}  # (text, font, math, dpi) -> width, height, descent
_CELLS: dict[tuple, np.ndarray] = {}
#: more entries than this (many fonts and sizes in one process) start the caches again
_MAX_CACHED = 20_000
_GENERIC = ("serif", "sans-serif", "cursive", "fantasy", "monospace")


def text_width(renderer: Any, text: str, prop: FontProperties) -> float:
    """Pixels that ``text`` advances in ``prop`` (trailing spaces count)."""
    return float(measure(renderer, text, prop, False)[0])


def measure(renderer: Any, s: str, prop: FontProperties, ismath: bool | str = False) -> tuple[float, float, float]:
    """``renderer.get_text_width_height_descent``, measured once per process (a layout costs
    ~0.25 ms, and matplotlib's own cache is per renderer: a new figure measures every text again)."""
    key = (s, _font_key(prop), ismath, renderer.dpi)
    got = _MEASURES.get(key)
    if got is None:
        if len(_MEASURES) > _MAX_CACHED:
            _MEASURES.clear()
        got = _MEASURES[key] = type(renderer).get_text_width_height_descent(renderer, s, prop, ismath)
    return got


def remember_measures(renderer: Any) -> None:
    """Make ``renderer`` measure text through :func:`measure` (for all of matplotlib's calls)."""
    renderer.get_text_width_height_descent = functools.partial(measure, renderer)


def glyph_widths(renderer: Any, texts: Iterable[str], prop: FontProperties) -> list[float]:
    """Pixels that each text advances as :class:`GlyphText` draws it: the sum of its characters'
    advances (no kerning), each measured once."""
    font = _font_key(prop)
    return [float(sum(_advance(renderer, char, prop, font) for char in text)) for text in texts]


def _font_key(prop: FontProperties) -> tuple:
    """What a glyph's look depends on besides its character and the resolution: the font (its
    families, resolved to files by the process-wide font manager), size, and rendering settings."""
    families = tuple(prop.get_family())
    return (
        families,
        tuple(tuple(mpl.rcParams[f"font.{f}"]) for f in families if f in _GENERIC),
        prop.get_style(),
        prop.get_variant(),
        prop.get_weight(),
        prop.get_stretch(),
        prop.get_size_in_points(),
        prop.get_file(),
        prop.get_math_fontfamily(),
        len(font_manager.fontManager.ttflist),  # a font registered meanwhile may be the one a family names
        mpl.rcParams["text.hinting"],
        mpl.rcParams["text.hinting_factor"],
        mpl.rcParams["text.antialiased"],
    )


def _advance(renderer: Any, char: str, prop: FontProperties, font: tuple) -> float:
    """The advance of ``char`` in pixels, measured over ten copies (sub-pixel precision)."""
    key = (char, font, renderer.dpi)
    advance = _ADVANCES.get(key)
    if advance is None:
        if len(_ADVANCES) > _MAX_CACHED:
            _ADVANCES.clear()
        advance = _ADVANCES[key] = text_width(renderer, char * 10, prop) / 10
    return advance


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
        self._images: dict[int, np.ndarray] = {}  # by width: the colour set once, the alpha each draw
        self._font = _font_key(prop)
        fig.add_artist(self)

    def _cell(self, char: str) -> tuple[np.ndarray, float]:
        """The coverage cell of ``char`` (bottom row first, as images are drawn) and its advance
        in pixels."""
        got = self._cells.get(char)
        if got is None:
            renderer = self._fig.canvas.get_renderer()
            advance = _advance(renderer, char, self._prop, self._font)
            key = (char, self._font, self._fig.dpi, self._height, self._baseline)
            cell = _CELLS.get(key)
            if cell is None:
                if len(_CELLS) > _MAX_CACHED:
                    _CELLS.clear()
                agg = RendererAgg(math.ceil(advance) + 2 * _PAD, self._height, self._fig.dpi)
                agg.draw_text(agg.new_gc(), _PAD, self._baseline, char, self._prop, 0)
                cell = _CELLS[key] = np.asarray(agg.buffer_rgba())[::-1, :, 3].copy()
            got = self._cells[char] = (cell, advance)
        return got

    def _image(self) -> np.ndarray:
        """The text as an RGBA image, bottom row first; valid until the next call."""
        cells = [self._cell(char) for char in self.text]
        width = math.ceil(sum(advance for _, advance in cells)) + 2 * _PAD + 1
        image = self._images.get(width)
        if image is None:
            image = self._images[width] = np.zeros((self._height, width, 4), dtype=np.uint8)
            image[..., :3] = self._rgb
        alpha = image[..., 3]
        alpha[...] = 0
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
        renderer.draw_image(gc, x, y, image)
        gc.restore()
        self.stale = False
