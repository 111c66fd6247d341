"""Themes and run colours: the looks a picture can take (plain data, no matplotlib)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "D2L_ORANGE",
    "DARK_PALETTE",
    "LIGHT_PALETTE",
    "OKABE_ITO",
    "RUN_MARKERS",
    "THEMES",
    "Theme",
    "run_colors",
    "run_markers",
]

#: Okabe & Ito (2008), "Color universal design" (the palette before issue 11: its orange and
#: vermilion, runs 1 and 4, look alike on a projector)
OKABE_ITO = ("#E69F00", "#0072B2", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
#: Run colours on the light theme. Chosen (starting from Okabe-Ito) so that every pair stays apart
#: by CIEDE2000 for normal vision, simulated protan, deutan and tritan vision (Machado et al. 2009,
#: severity 1) and a washed-out projector: at least 20 among the first four, 13.5 among all eight
#: (Okabe-Ito: 10.8), and every colour stands off the contour fill (tests/test_pictures_colors.py).
LIGHT_PALETTE = ("#0B63E3", "#B8B300", "#000000", "#FF74A0", "#009A5F", "#7F224F", "#1BB7FF", "#CD4B0F")
#: Run colours on the dark theme, chosen the same way, light enough to read on its background
DARK_PALETTE = ("#E49D05", "#49ACFF", "#FFFEFA", "#8D7185", "#009765", "#C45200", "#FFEC1B", "#CBD8FF")
#: A marker shape per run, the second cue beside colour (also past the eighth run, where colours
#: repeat). None of them is a start (square) or minimum (star, dot, cross) marker.
RUN_MARKERS = ("o", "^", "D", "v", "P", "<", "h", ">")
#: the d2l textbook's path colour (matplotlib's C1), used when there is a single run
D2L_ORANGE = "#ff7f0e"


@dataclass(frozen=True)
class Theme:
    """Colours of one look.

    Attributes:
        background: figure and axes face colour (exact in GIFs: the palette always holds it).
        foreground: text, ticks and spines.
        muted: secondary text and grid lines.
        fill: colour stops of the filled contours, from the lowest to the highest value.
        line: contour line colour.
        line_alpha: contour line opacity.
        single: path colour when only one run is drawn.
        palette: path colours for overlays, in order.
        marker: face of the minimum and start markers; edges use ``foreground``.
    """

    name: str
    background: str
    foreground: str
    muted: str
    fill: tuple[str, ...]
    line: str
    line_alpha: float
    single: str
    palette: tuple[str, ...]
    marker: str

    def rc(self, font_pt: float) -> dict[str, Any]:
        """matplotlib rc settings for this theme with ``font_pt`` as the body font size."""
        return {
            "figure.facecolor": self.background,
            "axes.facecolor": self.background,
            "savefig.facecolor": self.background,
            "axes.edgecolor": self.muted,
            "axes.labelcolor": self.foreground,
            "text.color": self.foreground,
            "xtick.color": self.muted,
            "ytick.color": self.muted,
            "xtick.labelcolor": self.foreground,
            "ytick.labelcolor": self.foreground,
            "grid.color": self.muted,
            "grid.alpha": 0.25,
            "font.size": font_pt,
            "axes.labelsize": font_pt,
            "xtick.labelsize": 0.85 * font_pt,
            "ytick.labelsize": 0.85 * font_pt,
            "legend.fontsize": 0.85 * font_pt,
            "axes.linewidth": 0.8,
            "mathtext.fontset": "dejavusans",
            "svg.fonttype": "none",  # SVG text stays text (searchable, small)
            "pdf.fonttype": 42,
            "path.simplify": True,
        }


THEMES = {
    "light": Theme(
        name="light",
        background="#ffffff",
        foreground="#1a1a1a",
        muted="#6b6b6b",
        # pale blue-grey valley to white hills: every path colour keeps its contrast
        fill=("#9fb8cf", "#c9d8e6", "#e6edf4", "#ffffff"),
        line="#4a6f94",
        line_alpha=0.55,
        single=D2L_ORANGE,
        palette=LIGHT_PALETTE,
        marker="#ffffff",
    ),
    "dark": Theme(
        name="dark",
        background="#111418",
        foreground="#e8e8e8",
        muted="#9a9a9a",
        fill=("#3a5a78", "#26394c", "#1a2430", "#111418"),
        line="#8fb3d9",
        line_alpha=0.45,
        single=D2L_ORANGE,
        palette=DARK_PALETTE,
        marker="#111418",
    ),
}


def run_colors(theme: Theme, n: int) -> list[str]:
    """One colour per run: the textbook orange for a single run, the palette (cycled) otherwise."""
    if n == 1:
        return [theme.single]
    return [theme.palette[i % len(theme.palette)] for i in range(n)]


def run_markers(n: int) -> list[str]:
    """One marker shape per run: a dot for a single run (as the textbook draws it), then
    :data:`RUN_MARKERS` in turn, shifted by one each time the eight colours come round, so a
    colour that comes back (run 9 has run 1's colour) comes back with another shape."""
    if n == 1:
        return ["o"]
    return [RUN_MARKERS[(i + i // 8) % len(RUN_MARKERS)] for i in range(n)]
