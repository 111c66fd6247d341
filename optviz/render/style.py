"""Looks and checked settings of the renderer: themes, palettes, sizes, plot windows, contour levels.

Everything here is plain NumPy and Python, so settings are validated before matplotlib is imported.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from optviz.errors import HyperparameterError, OutputError, UnknownNameError

__all__ = [
    "ANIMATED_SUFFIXES",
    "PANELS",
    "SIZES",
    "STATIC_SUFFIXES",
    "THEMES",
    "VIEWS",
    "Levels",
    "Options",
    "Theme",
    "check_options",
    "contour_levels",
    "plot_window",
    "run_colors",
]

STATIC_SUFFIXES = (".png", ".svg", ".pdf")
ANIMATED_SUFFIXES = (".gif", ".mp4")
PANELS = ("loss", "grad_norm", "lr")
VIEWS = ("contour", "surface")
#: slide presets in pixels; 16:9 is a 720p slide
SIZES = {"16:9": (1280, 720), "4:3": (960, 720), "square": (720, 720)}

MAX_PIXELS_SIDE = 4096
DPI_RANGE = (20, 600)
FRAMES_RANGE = (2, 2000)
#: GIF delays are whole centiseconds and browsers slow down anything under 2 cs, so 50 fps is the top
FPS_RANGE = (1, 50)
HOLD_RANGE = (0.0, 30.0)

#: Okabe & Ito (2008), "Color universal design": distinct for the common colour-vision deficiencies
OKABE_ITO = ("#E69F00", "#0072B2", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
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
        palette=OKABE_ITO,
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
        # Okabe-Ito with the dark blue swapped for sky blue and black for white, both visible on dark
        palette=("#E69F00", "#56B4E9", "#009E73", "#D55E00", "#CC79A7", "#F0E442", "#ffffff", "#0072B2"),
        marker="#111418",
    ),
}


def run_colors(theme: Theme, n: int) -> list[str]:
    """One colour per run: the textbook orange for a single run, the palette (cycled) otherwise."""
    if n == 1:
        return [theme.single]
    return [theme.palette[i % len(theme.palette)] for i in range(n)]


# ------------------------------------------------------------------------------------------ options


@dataclass(frozen=True)
class Options:
    """Checked render settings (see :func:`check_options`)."""

    panels: tuple[str, ...] = ("loss",)
    view: str = "contour"
    width: int = 1280
    height: int = 720
    dpi: float = 100.0
    theme: Theme = THEMES["light"]
    frames: int = 100
    fps: float = 10.0
    hold: float = 1.5
    title: str | None = None

    #: body font size in points; with the default dpi the short side is 7.2 in, so text keeps the same
    #: share of the picture at every size (about 1/36 of its height), readable on a projected slide
    font_pt: float = 12.0


def default_dpi(width: int, height: int) -> float:
    """The dpi that makes the short side 7.2 inches: 100 for 1280x720, so fonts look alike at any size."""
    return min(width, height) / 7.2


def parse_size(size: str | tuple[int, int]) -> tuple[int, int]:
    """``"16:9"`` / ``"4:3"`` / ``"square"`` / ``"800x450"`` (or a ``(w, h)`` pair) -> pixels.

    Raises:
        OutputError: for anything else, naming the accepted forms.
    """
    if isinstance(size, (tuple, list)) and len(size) == 2:
        width, height = size
    else:
        text = str(size).strip().lower()
        if text in SIZES:
            return SIZES[text]
        match = re.fullmatch(r"(\d+)\s*[x×]\s*(\d+)", text)
        if match is None:
            raise OutputError(f"--size {size!r} is not a size; use 16:9, 4:3, square or WIDTHxHEIGHT such as 800x450")
        width, height = int(match.group(1)), int(match.group(2))
    for value in (width, height):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 64 <= value <= MAX_PIXELS_SIDE:
            raise OutputError(
                f"--size {width}x{height}: each side must be 64 to {MAX_PIXELS_SIDE} pixels, e.g. 800x450"
            )
    return int(width), int(height)


def _number(
    name: str, value: Any, lo: float, hi: float, example: str, error: type[Exception], whole: bool = False
) -> float:
    ok = not isinstance(value, bool) and isinstance(value, numbers.Real) and math.isfinite(value) and lo <= value <= hi
    if ok and whole and value != int(value):
        ok = False
    if not ok:
        kind = "a whole number" if whole else "a number"
        raise error(f"--{name} {value!r} must be {kind} from {lo:g} to {hi:g}, e.g. --{name} {example}")
    return value


def _choice(kind: str, value: str, valid: Sequence[str]) -> str:
    if value not in valid:
        raise UnknownNameError(kind, str(value), valid)
    return value


def parse_panels(panels: str | Iterable[str] | None) -> tuple[str, ...]:
    """``"loss,grad_norm"`` or a list -> a tuple of panel names; ``"none"``, ``""`` or ``None`` -> no panels."""
    if panels is None:
        return ()
    items = panels.split(",") if isinstance(panels, str) else list(panels)
    names = [str(p).strip().lower().replace("-", "_") for p in items]
    names = [p for p in names if p and p != "none"]
    for name in names:
        _choice("panel", name, PANELS)
    if len(set(names)) != len(names):
        raise OutputError(f"--panels {','.join(names)} names a panel twice; give each of {', '.join(PANELS)} once")
    return tuple(names)


def check_options(
    *,
    panels: str | Iterable[str] | None = ("loss",),
    view: str = "contour",
    size: str | tuple[int, int] = "16:9",
    theme: str = "light",
    dpi: float | None = None,
    frames: int = 100,
    fps: float = 10,
    hold: float = 1.5,
    title: str | None = None,
) -> Options:
    """Validate every render setting up front, so nothing is drawn (or written) with a bad one.

    Raises:
        OutputError: bad size or dpi, a panel named twice.
        HyperparameterError: frames, fps or hold out of range.
        UnknownNameError: unknown panel, view or theme (with suggestions).
    """
    width, height = parse_size(size)
    # only a dpi the user chose is range-checked: the default scales with the size, and a
    # thumbnail (160x90) needs less than the smallest dpi anyone would type
    dpi = default_dpi(width, height) if dpi is None else float(_number("dpi", dpi, *DPI_RANGE, "100", OutputError))
    return Options(
        panels=parse_panels(panels),
        view=_choice("view", str(view).lower(), VIEWS),
        width=width,
        height=height,
        dpi=dpi,
        theme=THEMES[_choice("theme", str(theme).lower(), tuple(THEMES))],
        frames=int(_number("frames", frames, *FRAMES_RANGE, "100", HyperparameterError, whole=True)),
        fps=float(_number("fps", fps, *FPS_RANGE, "10", HyperparameterError)),
        hold=float(_number("hold", hold, *HOLD_RANGE, "1.5", HyperparameterError)),
        title=title,
    )


# ------------------------------------------------------------------------------------ plot geometry


def plot_window(
    window: Sequence[tuple[float, float]], paths: Iterable[np.ndarray], *, grow: float = 0.5, pad: float = 0.04
) -> np.ndarray:
    """The axes limits: the function's window, grown to hold the paths, padded a little.

    Growth is capped at ``grow`` window sizes on each side, so a diverging path (points at 1e150)
    leaves the picture instead of shrinking everything else to a dot.

    Args:
        window: ``((lo, hi),)`` per coordinate, the function's own plot window.
        paths: (K, D) arrays of points (finite rows only).
        grow: how many window sizes a path may extend the window by on each side.
        pad: fraction of the final size added on each side.

    Returns:
        (D, 2) array of ``[lo, hi]`` per coordinate.
    """
    base = np.asarray(window, dtype=float)
    lo, hi = base[:, 0].copy(), base[:, 1].copy()
    size = hi - lo
    cap_lo, cap_hi = lo - grow * size, hi + grow * size
    for path in paths:
        path = np.asarray(path, dtype=float).reshape(-1, len(base))
        inside = np.all(np.isfinite(path) & (path >= cap_lo) & (path <= cap_hi), axis=1)
        if inside.any():
            lo = np.minimum(lo, path[inside].min(axis=0))
            hi = np.maximum(hi, path[inside].max(axis=0))
    margin = pad * (hi - lo)
    return np.stack([lo - margin, hi + margin], axis=1)


@dataclass(frozen=True)
class Levels:
    """How to colour a function: draw ``transform(f)`` with these ``levels``.

    Attributes:
        levels: increasing contour levels in transformed units.
        log: values are ``log10(f - shift)`` (clamped at ``floor``) rather than ``f``.
        shift: subtracted before the log, at or below the lowest value, so negative minima work.
        floor: smallest ``f - shift`` shown on a log scale.
    """

    levels: np.ndarray
    log: bool
    shift: float = 0.0
    floor: float = 1.0

    def transform(self, z: np.ndarray) -> np.ndarray:
        """Values in the units of ``levels``; non-finite values become the top level (hills)."""
        z = np.asarray(z, dtype=float)
        top = self.levels[-1] if not self.log else 10.0 ** self.levels[-1] + self.shift
        z = np.where(np.isfinite(z), z, top)
        if not self.log:
            return z
        return np.log10(np.maximum(z - self.shift, self.floor))

    def label(self) -> str:
        return r"$\log_{10}(f - f_{\min})$" if self.log else "$f$"

    def extended(self, top: float, max_levels: int = 40) -> np.ndarray:
        """The levels continued with the same spacing rule up to ``top`` (transformed units), so a
        window grown for a diverging path keeps contour lines beyond the function's own window."""
        levels = self.levels
        if not np.isfinite(top) or top <= levels[-1]:
            return levels
        n = len(levels) - 1
        if self.log:
            step = (levels[-1] - levels[0]) / n
            extra = levels[-1] + step * np.arange(1, max_levels + 1)
        else:
            # quadratic spacing: levels[i] = low + span * (i / n)**2 continued for i > n
            low, span = levels[0], levels[-1] - levels[0]
            extra = low + span * (np.arange(n + 1, n + 1 + max_levels) / n) ** 2
        keep = extra[: int(np.searchsorted(extra, top)) + 1]
        return np.concatenate([levels, keep])


def contour_levels(z: np.ndarray, *, log: bool | None = None, minimum: float | None = None, n: int = 16) -> Levels:
    """Contour levels for the values ``z`` of a function over its plot window.

    Log-spaced when ``log`` is true, or (``log=None``) when the values span decades above their
    minimum, as rosenbrock's do; otherwise quadratically spaced, so a quadratic bowl gets evenly
    spaced ellipses and the valley floor gets as much detail as the hills.

    Args:
        z: function values on a grid over the window (non-finite values are ignored).
        log: force log (True) or linear (False) levels; ``None`` decides from the values.
        minimum: the known global minimum value, if any (the shift for log levels).
        n: number of levels.
    """
    finite = z[np.isfinite(z)]
    if finite.size == 0:
        return Levels(np.linspace(0.0, 1.0, n), False)
    low = float(finite.min()) if minimum is None else min(float(finite.min()), float(minimum))
    high = float(finite.max())
    span = high - low
    if span <= 0:
        return Levels(low + np.linspace(-1.0, 1.0, n), False)
    tenth = float(np.percentile(finite, 10)) - low
    if log is None:
        log = tenth <= 0 or span / tenth > 200
    if log:
        # the floor is a small quantile of the values: it sets how deep into the valley levels go
        floor = max(float(np.percentile(finite - low, 0.5)), span * 1e-9)
        lo_level = math.log10(floor)
        hi_level = math.log10(span)
        if hi_level - lo_level < 1:
            lo_level = hi_level - 1
        return Levels(np.linspace(lo_level, hi_level, n), True, shift=low, floor=10.0**lo_level)
    return Levels(low + span * np.linspace(0.0, 1.0, n) ** 2, False)


def truncate_far(xy: np.ndarray, box: np.ndarray) -> np.ndarray:
    """Cut a path at its first point outside ``box``, ending it where that segment leaves the box.

    A diverging run's last points can be 1e150 away; drawing them would overflow the renderer's
    pixel coordinates. Ending the path on the box edge keeps every segment's direction, so the part
    inside the (much smaller) axes looks exactly as it would with the real points.

    Args:
        xy: (K, D) path (finite rows).
        box: (D, 2) ``[lo, hi]`` per coordinate; may hold infinities.

    Returns:
        (M, D) with M <= K + 1.
    """
    xy = np.asarray(xy, dtype=float)
    lo, hi = box[:, 0], box[:, 1]
    inside = np.all((xy >= lo) & (xy <= hi), axis=1)
    if inside.all():
        return xy
    first_out = int(np.argmin(inside))
    if first_out == 0:
        return xy[:1]
    a, b = xy[first_out - 1], xy[first_out]
    with np.errstate(all="ignore"):
        step = b - a
        exits = np.where(b > hi, (hi - a) / step, np.where(b < lo, (lo - a) / step, 1.0))
    t = float(np.nanmin(exits)) if np.isfinite(exits).any() else 0.0
    return np.vstack([xy[:first_out], a + min(max(t, 0.0), 1.0) * step])


def far_box(limits: np.ndarray, factor: float = 20.0) -> np.ndarray:
    """``limits`` grown by ``factor`` times their size on each side: beyond it nothing is drawn."""
    size = limits[:, 1] - limits[:, 0]
    return np.stack([limits[:, 0] - factor * size, limits[:, 1] + factor * size], axis=1)


def frame_steps(steps: int, frames: int) -> np.ndarray:
    """The steps shown by at most ``frames`` frames: evenly spaced from 0, the last step always included."""
    if steps + 1 <= frames:
        return np.arange(steps + 1)
    return np.unique(np.round(np.linspace(0, steps, frames)).astype(int))
