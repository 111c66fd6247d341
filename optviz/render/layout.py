"""Where each part of a figure goes, in pixels computed from the font size.

The title band, legend, main axes and side panels are placed here before anything is drawn,
instead of by ``tight_layout``/``constrained_layout``: it is faster, and blitting needs geometry
that never changes after the background is grabbed. Landscape figures put the legend and panels
in a right-hand column; portrait ones put the legend above the main plot, the panels below it.

Plain arithmetic on :class:`~optviz.settings.DrawSettings`: no matplotlib.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optviz.functions import TestFunction
from optviz.settings import DrawSettings

__all__ = ["Layout", "arrange", "em", "is_wide", "main_aspect"]

Rect = tuple[float, float, float, float]


@dataclass(frozen=True)
class Layout:
    """Figure fractions: ``(left, bottom, width, height)`` boxes, ``(x, y)`` anchors."""

    main: Rect
    panels: list[Rect]
    stacked: bool  # panels in one column sharing the step axis (else side by side, each labelled)
    legend_anchor: tuple[float, float]
    title_xy: tuple[float, float]
    counter_xy: tuple[float, float]


def em(opts: DrawSettings) -> float:
    """Pixels per body-font em."""
    return opts.font_pt * opts.dpi / 72.0


def is_wide(opts: DrawSettings) -> bool:
    """Whether the figure is landscape enough for a right-hand column (legend over the panels)."""
    return opts.width >= 1.2 * opts.height


def main_aspect(fn: TestFunction, limits: np.ndarray, opts: DrawSettings) -> float | None:
    """Height/width of the main axes box: equal scales for 2-D windows that are not too elongated
    (so gradients look perpendicular to contours), a square-ish box in 3-D, free otherwise."""
    if opts.view == "surface":
        return 0.85
    if fn.dim == 2:
        ratio = (limits[1, 1] - limits[1, 0]) / (limits[0, 1] - limits[0, 0])
        if 0.4 <= ratio <= 2.5:
            return float(ratio)
    return None


def arrange(opts: DrawSettings, legend_size: tuple[float, float], aspect: float | None) -> Layout:
    """Place the title band, legend, main axes and panels for a legend of ``legend_size`` pixels
    (width, height) and a main box of ``aspect`` (height/width, ``None`` for free)."""
    legend_w, legend_h = legend_size
    if is_wide(opts):
        return _wide_layout(opts, legend_w, legend_h, aspect)
    return _tall_layout(opts, legend_h, aspect)


class _Frame:
    """Pixel geometry shared by both layouts: margins in ems, and pixel -> figure fraction."""

    def __init__(self, opts: DrawSettings, aspect: float | None):
        self.width, self.height, self.em, self.aspect = opts.width, opts.height, em(opts), aspect
        self.top, self.bottom, self.left, self.right = 3.0 * self.em, 3.4 * self.em, 5.2 * self.em, 1.2 * self.em
        self.title_y = 1 - 0.5 * self.top / self.height

    def frac(self, x: float, y: float, w: float, h: float) -> Rect:
        return (x / self.width, y / self.height, max(w, 1.0) / self.width, max(h, 1.0) / self.height)

    def fit(self, w: float, h: float) -> tuple[float, float]:
        """The largest box of the wanted aspect inside ``w`` x ``h`` (all of it if the aspect is free)."""
        if self.aspect is None:
            return w, h
        return (h / self.aspect, h) if w * self.aspect > h else (w, w * self.aspect)

    def title_and_counter(self) -> tuple[tuple[float, float], tuple[float, float]]:
        return (self.left / self.width, self.title_y), (1 - self.right / self.width, self.title_y)


def _wide_layout(opts: DrawSettings, legend_w: float, legend_h: float, aspect: float | None) -> Layout:
    """Main plot on the left; legend on top of a right column of panels that share the step axis."""
    g, n = _Frame(opts, aspect), len(opts.panels)
    gap = 6.0 * g.em if n else 2.0 * g.em  # room for the panels' tick labels and y label
    column = max(legend_w, 14 * g.em if n else legend_w)
    avail_h = g.height - g.top - g.bottom
    main_w, main_h = g.fit(min(g.width - g.left - g.right - gap - column, 0.62 * g.width), avail_h)
    x1 = g.left + main_w + gap
    legend_top = g.height - g.top
    panels_top = legend_top - legend_h - (1.8 * g.em if legend_h > 1 else 0)
    step_gap = 1.0 * g.em
    panel_h = (panels_top - g.bottom - (n - 1) * step_gap) / n if n else 0
    panels = [
        g.frac(x1, g.bottom + (n - 1 - i) * (panel_h + step_gap), g.width - g.right - x1, panel_h) for i in range(n)
    ]
    main = g.frac(g.left, g.bottom + (avail_h - main_h) / 2, main_w, main_h)
    legend_x = (x1 - 4.0 * g.em * (n > 0)) / g.width  # aligned with the panels' y labels
    return Layout(main, panels, True, (legend_x, legend_top / g.height), *g.title_and_counter())


def _tall_layout(opts: DrawSettings, legend_h: float, aspect: float | None) -> Layout:
    """Legend under the title, the main plot, then the panels side by side at the bottom."""
    g, n = _Frame(opts, aspect), len(opts.panels)
    panel_h = 0.22 * g.height if n else 0
    main_bottom = g.bottom + panel_h + (3.8 * g.em if n else 0)
    main_top = g.height - g.top - legend_h - 0.8 * g.em
    avail_w = g.width - g.left - g.right
    main_w, main_h = g.fit(avail_w, main_top - main_bottom)
    gap = 6.0 * g.em
    panel_w = (avail_w - (n - 1) * gap) / n if n else 0
    panels = [g.frac(g.left + i * (panel_w + gap), g.bottom, panel_w, panel_h) for i in range(n)]
    main = g.frac(g.left + (avail_w - main_w) / 2, main_bottom + (main_top - main_bottom - main_h) / 2, main_w, main_h)
    legend_xy = ((g.left - 0.4 * g.em) / g.width, (g.height - g.top) / g.height)
    return Layout(main, panels, False, legend_xy, *g.title_and_counter())
