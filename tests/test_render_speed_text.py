"""What the animation's speed-ups must not change: text measured once per process measures what
the renderer measures, a value's width is what GlyphText draws, and layers are blended exactly."""

from __future__ import annotations

import math
import os

import matplotlib as mpl
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

from optviz.render import glyphs
from optviz.render.glyphs import GlyphText, glyph_widths, measure, remember_measures, text_width
from optviz.render.player import _div255


def _renderer(dpi: float = 100.0) -> RendererAgg:
    fig = Figure(figsize=(4, 2), dpi=dpi)
    return FigureCanvasAgg(fig).get_renderer()


@pytest.mark.parametrize(
    ("text", "size", "math_text", "dpi"),
    [
        ("loss 0.0123", 10.0, False, 100.0),
        ("adam, lr=0.4 · ", 10.0, False, 100.0),
        ("adam, lr=0.4 · ", 14.0, False, 100.0),
        ("adam, lr=0.4 · ", 10.0, False, 72.0),
        ("AVAWAY  ", 12.0, False, 100.0),  # kerned, trailing spaces
        ("$f(x_1, x_2) = 0.1x_1^2 + 2x_2^2$", 12.0, True, 100.0),
    ],
)
def test_remembered_measures_are_the_renderers_own(text, size, math_text, dpi):
    """Measured through the per-process cache, twice (the second from the cache), a text measures
    what a fresh renderer measures itself; a patched renderer gives matplotlib the same."""
    prop = FontProperties(size=size)
    own = _renderer(dpi).get_text_width_height_descent(text, prop, math_text)
    assert measure(_renderer(dpi), text, prop, math_text) == own
    assert measure(_renderer(dpi), text, prop, math_text) == own
    patched = _renderer(dpi)
    remember_measures(patched)
    assert patched.get_text_width_height_descent(text, prop, ismath=math_text) == own


def test_the_font_is_part_of_a_remembered_measure():
    """The same text in another size, weight or family is measured again, not taken from the cache."""
    renderer = _renderer()
    base = text_width(renderer, "loss 0.0123", FontProperties(size=10))
    for other in (
        FontProperties(size=13),
        FontProperties(size=10, weight="bold"),
        FontProperties(size=10, family="DejaVu Serif"),
    ):
        width = text_width(renderer, "loss 0.0123", other)
        assert width == _renderer().get_text_width_height_descent("loss 0.0123", other, False)[0]
        assert width != base


def test_a_rendering_setting_is_part_of_a_remembered_measure():
    prop = FontProperties(size=10)
    with mpl.rc_context({"text.antialiased": True}):
        smooth = glyphs._font_key(prop)
    with mpl.rc_context({"text.antialiased": False}):
        assert glyphs._font_key(prop) != smooth


@pytest.mark.parametrize("text", ["loss 0.0123", "final loss 1.43e-07", "diverged at step 87", "loss 1e+03"])
def test_a_values_width_is_the_sum_of_the_advances_glyphtext_pastes(text):
    """The legend leaves room for the widest value by :func:`glyph_widths`: the image GlyphText
    draws for it is that wide (plus its padding), and wider than any of its characters alone."""
    fig = Figure(figsize=(4, 2), dpi=100)
    FigureCanvasAgg(fig).draw()
    prop = FontProperties(size=10)
    value = GlyphText(fig, 10, 20, prop, "black")
    value.text = text
    image = value._image()
    (width,) = glyph_widths(fig.canvas.get_renderer(), [text], prop)
    assert image.shape[1] == math.ceil(width) + 2 * glyphs._PAD + 1
    drawn = np.flatnonzero(image[..., 3].any(axis=0))
    assert drawn[-1] - drawn[0] + 1 <= width + 2 * glyphs._PAD
    assert width > max(glyph_widths(fig.canvas.get_renderer(), list(text), prop))


def test_div255_by_shifts_is_exact_where_the_layers_use_it():
    """Every value a layer's blend can reach (255 * 255 + 127 at most) is divided exactly."""
    v = np.arange(255 * 255 + 128, dtype=np.uint16)
    assert np.array_equal(_div255(v), v // 255)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_forked_process_parses_formulas_with_a_parser_of_its_own():
    # the shared parser keeps FreeType fonts whose open files share a read offset across a fork:
    # sweep workers reading glyphs through the parent's at once got "invalid outline" errors
    from optviz.render import scene

    parents = scene._MATHTEXT
    pid = os.fork()
    if pid == 0:  # the child: exit status 0 only with a new parser
        os._exit(0 if scene._MATHTEXT is not parents else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert scene._MATHTEXT is parents  # the parent keeps its own
