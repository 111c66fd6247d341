"""What the chart views (stability map, basins, lr scan) share: an Agg figure sized by
:class:`~optviz.settings.DrawSettings`, its title band, a key column, and writing the file.

Geometry is in ems of the body font (``font_pt`` at the settings' dpi, which carries the text
scale), so a chart keeps its proportions from ``--text-scale 1`` to the talk preset.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator

from optviz.output import atomic_path
from optviz.render.fonts import check_figure
from optviz.render.reproducible import savefig_options
from optviz.settings import DrawSettings

__all__ = ["Chart", "halo", "power_label", "save"]

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


class Chart:
    """A figure of ``draw.size`` pixels with a title band on top; boxes are placed in ems."""

    def __init__(self, draw: DrawSettings) -> None:
        self.draw = draw
        self.fig = Figure(figsize=(draw.width / draw.dpi, draw.height / draw.dpi), dpi=draw.dpi)
        self.canvas = FigureCanvasAgg(self.fig)
        self.theme = draw.theme
        self.em = draw.font_pt * draw.dpi / 72.0  # pixels
        self.title_band = 2.6 * self.em

    def fx(self, ems: float) -> float:
        """``ems`` as a fraction of the width."""
        return ems * self.em / self.draw.width

    def fy(self, ems: float) -> float:
        """``ems`` as a fraction of the height."""
        return ems * self.em / self.draw.height

    @property
    def top(self) -> float:
        """The top of the drawing area below the title band (a figure fraction)."""
        return 1 - self.title_band / self.draw.height

    def axes(self, left: float, bottom: float, right: float, top: float) -> Axes:
        """Axes spanning figure fractions ``left..right`` × ``bottom..top``."""
        ax = self.fig.add_axes((left, bottom, right - left, top - bottom))
        ax.set_facecolor(self.theme.background)
        return ax

    def title(self, default: str, fields: Mapping[str, str]) -> Text | None:
        """The title (``--title`` with ``{fn}`` style fields filled in, else ``default``), shrunk to
        the width if needed; ``--title ''`` draws none."""
        given = self.draw.title
        text = default if given is None else re.sub(r"\{(\w+)\}", lambda m: fields.get(m.group(1), m.group(0)), given)
        if not text:
            return None
        y = 1 - 0.5 * self.title_band / self.draw.height
        title = self.fig.text(self.fx(1.0), y, text, ha="left", va="center", fontsize=1.25 * self.draw.font_pt)
        room = self.draw.width - 2 * self.em
        width = title.get_window_extent(self.canvas.get_renderer()).width
        if width > room:
            title.set_fontsize(1.25 * self.draw.font_pt * room / width * 0.98)
        return title

    def ticks(self, ax: Axes, x: bool = True, y: bool = True) -> None:
        """At most the preset's number of ticks (``--preset talk``) on linear axes."""
        most = self.draw.max_ticks
        if most:
            if x:
                ax.xaxis.set_major_locator(MaxNLocator(nbins=most, steps=[1, 2, 2.5, 5, 10]))
            if y:
                ax.yaxis.set_major_locator(MaxNLocator(nbins=most, steps=[1, 2, 2.5, 5, 10]))

    @property
    def line_scale(self) -> float:
        """How much thicker lines are under the preset (1 by default)."""
        return float(self.draw.line_scale)

    def text_width(self, text: str, size: float | None = None) -> float:
        """Width of ``text`` in pixels at ``size`` points (default: the body size)."""
        probe = self.fig.text(0, 0, text, fontsize=size or self.draw.font_pt)
        width = probe.get_window_extent(self.canvas.get_renderer()).width
        probe.remove()
        return width


def halo(color: str, width: float = 3.0) -> list[Any]:
    """A stroke of ``color`` around text, so it reads over any colour under it."""
    return [patheffects.withStroke(linewidth=width, foreground=color)]


def power_label(value: float, pos: int | None = None, *, plain: range = range(4)) -> str:
    """``10⁻³`` in plain Unicode for log axes (mathtext would cost ~5 ms a label); a value that is
    not a power of ten, or a power in ``plain`` (1, 10, 100, 1000 by default), as a plain number."""
    del pos
    if value <= 0 or not np.isfinite(value):
        return ""
    exponent = np.log10(value)
    if abs(exponent - round(exponent)) > 1e-9 or round(exponent) in plain:
        return f"{value:g}"
    return "10" + str(round(exponent)).translate(_SUPERSCRIPT)


def save(chart: Chart, path: Path) -> Path:
    """Write the chart to ``path`` (.png, .svg or .pdf) under a temporary name, renamed when complete."""
    fmt = path.suffix.lower()[1:]
    check_figure(chart.fig)
    with atomic_path(path) as tmp:
        chart.fig.savefig(tmp, format=fmt, dpi=chart.draw.dpi, facecolor=chart.theme.background, **savefig_options(fmt))
    return path
