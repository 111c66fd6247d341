"""How runs are drawn: :class:`DrawSettings` and the checks of its fields."""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from optviz.errors import HyperparameterError, OptvizError, OutputError, SpecError, UnknownNameError
from optviz.settings.record import Checked, is_real, plain, setting
from optviz.themes import THEMES, Theme

__all__ = ["PANELS", "SIZES", "VIEWS", "DrawSettings", "default_dpi", "parse_panels", "parse_size"]

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


# ------------------------------------------------------------------------------------ draw checks

_PICTURES = "Pictures and animations (with --out)"


def default_dpi(width: int, height: int) -> float:
    """The dpi that makes the short side 7.2 inches: 100 for 1280x720, so fonts look alike at any size."""
    return min(width, height) / 7.2


def parse_size(size: str | tuple[int, int]) -> tuple[int, int]:
    """``"16:9"`` / ``"4:3"`` / ``"square"`` / ``"800x450"`` (or a ``(w, h)`` pair) -> pixels."""
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


def _ranged(
    name: str, lo: float, hi: float, example: str, error: type[OptvizError], whole: bool = False
) -> Callable[[Any], float]:
    """A check of a number in ``[lo, hi]`` (a whole one with ``whole``)."""

    def check(value: Any) -> float:
        ok = is_real(value) and math.isfinite(value) and lo <= value <= hi
        if ok and whole and value != int(value):
            ok = False
        if not ok:
            kind = "a whole number" if whole else "a number"
            raise error(f"--{name} {value!r} must be {kind} from {lo:g} to {hi:g}, e.g. --{name} {example}")
        return int(value) if whole else float(value)

    return check


def _choice(kind: str, valid: Iterable[str]) -> Callable[[Any], str]:
    valid = tuple(valid)

    def check(value: Any) -> str:
        value = str(value).lower()
        if value not in valid:
            raise UnknownNameError(kind, value, valid)
        return value

    return check


def parse_panels(panels: str | Iterable[str] | None) -> tuple[str, ...]:
    """``"loss,grad_norm"`` or a list -> a tuple of panel names; ``"none"``, ``""`` or ``None`` -> no panels."""
    if panels is None:
        return ()
    if not isinstance(panels, (str, list, tuple)):
        raise OutputError(f"panels={panels!r} must be a comma list of {', '.join(PANELS)}, or none")
    items = panels.split(",") if isinstance(panels, str) else list(panels)
    names = [str(p).strip().lower().replace("-", "_") for p in items]
    names = [p for p in names if p and p != "none"]
    for name in names:
        if name not in PANELS:
            raise UnknownNameError("panel", name, PANELS)
    if len(set(names)) != len(names):
        raise OutputError(f"--panels {','.join(names)} names a panel twice; give each of {', '.join(PANELS)} once")
    return tuple(names)


def _check_theme(theme: Any) -> Theme:
    return theme if isinstance(theme, Theme) else THEMES[_choice("theme", THEMES)(theme)]


def _check_dpi(dpi: Any, checked: Mapping[str, Any]) -> float:
    # only a dpi the user chose is range-checked: the default scales with the size, and a
    # thumbnail (160x90) needs less than the smallest dpi anyone would type
    if dpi is None or dpi == default_dpi(*checked["size"]):  # so that a checked record checks again
        return default_dpi(*checked["size"])
    return _ranged("dpi", *DPI_RANGE, "100", OutputError)(dpi)


def _check_title(title: Any) -> str | None:
    if title is not None and not isinstance(title, str):
        raise SpecError(f"a title is text, e.g. --title 'GD on the ravine'; got {title!r}")
    return title


@dataclass(frozen=True, kw_only=True)
class DrawSettings(Checked):
    """How runs are drawn: view, panels, pixel size, theme, text scale, animation timing, title.

    Every field is checked on construction: ``size`` becomes ``(width, height)`` pixels, ``theme``
    a :class:`~optviz.themes.Theme`, ``dpi`` a number (default: scaled to the size).
    """

    panels: Any = setting(
        ("loss",),
        "Side panels: comma list of loss, grad_norm, lr, or none.",
        plain(parse_panels),
        panel=_PICTURES,
    )
    view: Any = setting(
        "contour",
        "contour (2-D map, or 1-D curve) or surface (3-D).",
        plain(_choice("view", VIEWS)),
        panel=_PICTURES,
    )
    size: Any = setting("16:9", "16:9 (1280x720), 4:3, square or WIDTHxHEIGHT.", plain(parse_size), panel=_PICTURES)
    theme: Any = setting(
        "light",
        "light or dark.",
        plain(_check_theme),
        panel=_PICTURES,
    )
    dpi: Any = setting(
        None,
        "Text scale (default: 100 at 1280x720; higher = larger text).",
        _check_dpi,
        cli_type=float,
        panel=_PICTURES,
    )
    frames: Any = setting(
        100,
        "Animations: at most this many frames (steps are sampled).",
        plain(_ranged("frames", *FRAMES_RANGE, "100", HyperparameterError, whole=True)),
        cli_type=int,
        panel=_PICTURES,
    )
    fps: Any = setting(
        10.0,
        "Animations: frames per second.",
        plain(_ranged("fps", *FPS_RANGE, "10", HyperparameterError)),
        cli_type=float,
        panel=_PICTURES,
    )
    hold: Any = setting(
        1.5,
        "Animations: seconds the last frame stays.",
        plain(_ranged("hold", *HOLD_RANGE, "1.5", HyperparameterError)),
        cli_type=float,
        panel=_PICTURES,
    )
    title: Any = setting(
        None,
        "Title above the picture (default: the function's name and formula).",
        plain(_check_title),
        panel=_PICTURES,
    )

    #: body font size in points; with the default dpi the short side is 7.2 in, so text keeps the same
    #: share of the picture at every size (about 1/36 of its height), readable on a projected slide
    font_pt = 12.0

    @property
    def width(self) -> int:
        return self.size[0]

    @property
    def height(self) -> int:
        return self.size[1]
