"""Where each part of a figure goes, in pixels computed from the font size.

The title band, legend, main axes and side panels are placed here before anything is drawn,
instead of by ``tight_layout``/``constrained_layout``: it is faster, and blitting needs geometry
that never changes after the background is grabbed. Landscape figures put the legend and panels
in a right-hand column; portrait ones put the legend above the main plot, the panels below it.

The layout keeps its proportions at any text scale: margins grow with the text (they hold tick
labels), but the main plot keeps its share of the width (at least :data:`MAIN_SHARE`, as far as
its aspect allows) and the legend gets the room that is left, its labels wrapped or its entries
cut to a compact key (:mod:`optviz.render.legend`) rather than pushing the plot aside.

Plain arithmetic on :class:`~optviz.settings.DrawSettings`: no matplotlib.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optviz.functions import TestFunction
from optviz.settings import DrawSettings

__all__ = [
    "MAIN_SHARE",
    "Layout",
    "LegendRoom",
    "arrange",
    "em",
    "is_wide",
    "legend_room",
    "main_aspect",
    "shows_x_labels",
    "window",
]

Rect = tuple[float, float, float, float]
#: the main plot's share of a landscape figure's width, whatever the text scale: at least the
#: first, at most the second (as far as the height and its aspect allow)
MAIN_SHARE = (0.56, 0.64)
#: ems added to the gap under a stacked panel that labels its x axis above another (tick labels, x label)
DATA_GAP = 3.2


@dataclass(frozen=True)
class Layout:
    """Figure fractions: ``(left, bottom, width, height)`` boxes, ``(x, y)`` anchors."""

    main: Rect
    panels: list[Rect]
    stacked: bool  # panels in one column sharing the step axis (else side by side, each labelled)
    legend_anchor: tuple[float, float]
    title_xy: tuple[float, float]
    counter_xy: tuple[float, float]


@dataclass(frozen=True)
class LegendRoom:
    """The room the legend may take, in pixels, and its number of columns."""

    width: float
    height: float
    ncol: int


def em(opts: DrawSettings) -> float:
    """Pixels per body-font em (``opts.dpi`` holds the text scale)."""
    return opts.font_pt * opts.dpi / 72.0


def shows_x_labels(panels: tuple[str, ...], i: int) -> bool:
    """Whether stacked panel ``i`` labels its x axis: the last one, and those beside the ``data``
    panel, whose x axis is the data's input, not the step axis the others share."""
    return i == len(panels) - 1 or "data" in panels[i : i + 2]


def is_wide(opts: DrawSettings) -> bool:
    """Whether the figure is landscape enough for a right-hand column (legend over the panels)."""
    return opts.width >= 1.2 * opts.height


def window(limits: np.ndarray, opts: DrawSettings, dim: int) -> np.ndarray:
    """The main axes' window: ``limits`` with ``--xlim`` (and, for 2-D functions, ``--ylim``) put in."""
    limits = np.array(limits, dtype=float)
    if opts.xlim is not None:
        limits[0] = opts.xlim
    if opts.ylim is not None and dim == 2:
        limits[1] = opts.ylim
    return limits


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


def legend_room(opts: DrawSettings, aspect: float | None) -> LegendRoom:
    """The legend's room before it is made: its column (landscape) or band (portrait), and the
    height it may take and leave the panels theirs."""
    g = _Frame(opts, aspect)
    if is_wide(opts):
        column = _WideColumn(g, len(opts.panels))
        width = opts.width - g.right - column.legend_x
        return LegendRoom(width, column.legend_max_h, 1)
    split = _TallSplit(g, len(opts.panels))
    if split.side:
        return LegendRoom(opts.width - g.right - split.legend_x, split.top - split.main_bottom, 1)
    # above the main plot: it keeps at least 55% of the height between the title and the panels
    return LegendRoom(split.avail_w, min(0.26 * opts.height, 0.45 * (split.top - split.main_bottom)), 2)


def arrange(opts: DrawSettings, legend_size: tuple[float, float], aspect: float | None) -> Layout:
    """Place the title band, legend, main axes and panels for a legend of ``legend_size`` pixels
    (width, height) and a main box of ``aspect`` (height/width, ``None`` for free)."""
    _, legend_h = legend_size
    if is_wide(opts):
        return _wide_layout(opts, legend_h, aspect)
    return _tall_layout(opts, legend_h, aspect)


class _Frame:
    """Pixel geometry shared by both layouts: margins in ems, and pixel -> figure fraction."""

    def __init__(self, opts: DrawSettings, aspect: float | None):
        self.width, self.height, self.em, self.aspect = opts.width, opts.height, em(opts), aspect
        # the title band; room under the main plot for tick labels and the x label; left of it for
        # tick labels and the y label
        self.top, self.bottom, self.left, self.right = 2.7 * self.em, 3.0 * self.em, 4.6 * self.em, 0.8 * self.em
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


class _WideColumn:
    """A landscape figure's split: the main plot's room on the left, the right column."""

    def __init__(self, g: _Frame, n_panels: int):
        self.n = n_panels
        # room for the panels' tick labels and y label between the plot and the panels
        self.gap = 5.6 * g.em if n_panels else 1.6 * g.em
        self.avail_h = g.height - g.top - g.bottom
        avail_w = g.width - g.left - g.right
        wanted = avail_w - self.gap - (15 * g.em if n_panels else 12 * g.em)
        lo, hi = MAIN_SHARE
        self.main_room = min(max(wanted, lo * g.width), hi * g.width)
        self.main_w, self.main_h = g.fit(self.main_room, self.avail_h)
        # the column starts after the main plot: a plot narrowed by its aspect leaves the panels more
        self.x1 = g.left + self.main_w + self.gap
        self.legend_x = self.x1 - (4.4 * g.em if n_panels else 0.0)  # aligned with the panels' y labels
        self.step_gap = 1.0 * g.em
        # the panels keep at least this much height between them; the legend gets the rest
        min_panels = max(0.45 * self.avail_h, n_panels * 5.0 * g.em) if n_panels else 0.0
        self.legend_max_h = self.avail_h - min_panels - (1.8 * g.em if n_panels else 0.0)


def _wide_layout(opts: DrawSettings, legend_h: float, aspect: float | None) -> Layout:
    """Main plot on the left; legend on top of a right column of panels that share the step axis."""
    g = _Frame(opts, aspect)
    c = _WideColumn(g, len(opts.panels))
    n = c.n
    legend_top = g.height - g.top
    panels_top = legend_top - legend_h - (1.8 * g.em if legend_h > 1 else 0)
    # a gap under a panel that labels its x axis (beside the data panel) also holds those labels
    labelled = [float(shows_x_labels(opts.panels, i)) for i in range(n - 1)]
    below = [DATA_GAP * g.em * sum(labelled[i:]) for i in range(n)]
    panel_h = (panels_top - g.bottom - (n - 1) * c.step_gap - (below[0] if n else 0.0)) / n if n else 0
    panels = [
        g.frac(c.x1, g.bottom + (n - 1 - i) * (panel_h + c.step_gap) + below[i], g.width - g.right - c.x1, panel_h)
        for i in range(n)
    ]
    main = g.frac(g.left, g.bottom + (c.avail_h - c.main_h) / 2, c.main_w, c.main_h)
    return Layout(main, panels, True, (c.legend_x / g.width, legend_top / g.height), *g.title_and_counter())


class _TallSplit:
    """A portrait figure's split: panels side by side at the bottom, the main plot above them, and
    the legend beside the main plot when its aspect leaves room there (else above it)."""

    def __init__(self, g: _Frame, n_panels: int):
        self.panel_h = 0.22 * g.height if n_panels else 0
        self.main_bottom = g.bottom + self.panel_h + (3.8 * g.em if n_panels else 0)
        self.avail_w = g.width - g.left - g.right
        self.top = g.height - g.top
        self.main_w, self.main_h = g.fit(self.avail_w, self.top - self.main_bottom)
        self.legend_x = g.left + self.main_w + 1.5 * g.em
        self.side = g.width - g.right - self.legend_x >= 11 * g.em


def _tall_layout(opts: DrawSettings, legend_h: float, aspect: float | None) -> Layout:
    """The panels side by side at the bottom, the main plot above them; the legend beside the main
    plot if there is room, else under the title."""
    g, n = _Frame(opts, aspect), len(opts.panels)
    split = _TallSplit(g, n)
    gap = 6.0 * g.em
    panel_w = (split.avail_w - (n - 1) * gap) / n if n else 0
    panels = [g.frac(g.left + i * (panel_w + gap), g.bottom, panel_w, split.panel_h) for i in range(n)]
    if split.side:
        height = split.top - split.main_bottom
        main = g.frac(g.left, split.main_bottom + (height - split.main_h) / 2, split.main_w, split.main_h)
        legend_xy = (split.legend_x / g.width, split.top / g.height)
        return Layout(main, panels, False, legend_xy, *g.title_and_counter())
    main_top = split.top - legend_h - 0.8 * g.em
    main_w, main_h = g.fit(split.avail_w, main_top - split.main_bottom)
    x = g.left + (split.avail_w - main_w) / 2
    main = g.frac(x, split.main_bottom + (main_top - split.main_bottom - main_h) / 2, main_w, main_h)
    legend_xy = ((g.left - 0.4 * g.em) / g.width, split.top / g.height)
    return Layout(main, panels, False, legend_xy, *g.title_and_counter())
