"""How runs are drawn: :class:`DrawSettings` and the checks of its fields."""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from optviz.errors import HyperparameterError, OptvizError, OutputError, SpecError, UnknownNameError
from optviz.i18n import check_lang
from optviz.settings.record import Checked, is_real, plain, setting
from optviz.themes import THEMES, Theme

__all__ = [
    "PANELS",
    "PRESETS",
    "SIZES",
    "STATE_PANELS",
    "VIEWS",
    "DrawSettings",
    "Preset",
    "default_dpi",
    "needs_state",
    "parse_panels",
    "parse_size",
]

PANELS = ("loss", "grad_norm", "lr", "effective_lr", "velocity", "data")
#: arrows ``--show`` draws at the current point of each path
ARROWS = ("gradient", "update", "momentum")
#: panels drawn from the optimizer's recorded state (runs made with ``record_state``)
STATE_PANELS = ("effective_lr", "velocity")
VIEWS = ("contour", "surface")
#: slide presets in pixels; 16:9 is a 720p slide
SIZES = {"16:9": (1280, 720), "4:3": (960, 720), "square": (720, 720)}
MAX_PIXELS_SIDE = 4096
DPI_RANGE = (20, 600)
FRAMES_RANGE = (2, 2000)
#: GIF delays are whole centiseconds and browsers slow down anything under 2 cs, so 50 fps is the top
FPS_RANGE = (1, 50)
HOLD_RANGE = (0.0, 30.0)
TEXT_SCALE_RANGE = (0.25, 4.0)


@dataclass(frozen=True)
class Preset:
    """A look for a kind of screen.

    Attributes:
        name: as ``--preset`` names it.
        text_scale: the text scale unless ``--text-scale`` gives one.
        line_scale: paths and panel curves this much thicker than the text scale makes them.
        max_ticks: at most this many tick labels per axis (``None``: matplotlib's choice).
    """

    name: str
    text_scale: float
    line_scale: float
    max_ticks: int | None


#: ``talk``: a 1280x720 slide read from the back of a lecture hall (10 m): body text 27 px, tick
#: labels 23 px, paths 7 px wide, at most four ticks per axis
PRESETS = {
    "default": Preset("default", 1.0, 1.0, None),
    "talk": Preset("talk", 1.6, 1.4, 4),
}


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


def needs_state(panels: Any, show: Any = None) -> bool:
    """Whether these panels or arrows draw the optimizer's state, so that the runs must record it."""
    return bool(set(parse_panels(panels)) & set(STATE_PANELS)) or bool(parse_show(show))


def parse_show(show: Any) -> tuple[str, ...]:
    """``"gradient,update"`` or a list -> arrow names; ``None``, ``""`` or ``"none"`` -> none."""
    if show is None:
        return ()
    if not isinstance(show, (str, list, tuple)):
        raise OutputError(f"show={show!r} must be a comma list of {', '.join(ARROWS)}, or none")
    items = show.split(",") if isinstance(show, str) else list(show)
    names = [str(p).strip().lower() for p in items]
    names = [p for p in names if p and p != "none"]
    for name in names:
        if name not in ARROWS:
            raise UnknownNameError("arrow", name, ARROWS)
    return tuple(dict.fromkeys(names))


def parse_show_at(value: Any) -> tuple[int, ...] | int | None:
    """Static pictures: the steps that get arrows, ``"0,5,10"`` (a tuple), or ``"every 5"`` (the
    int 5); ``None``: about eight steps spread over the run."""
    if value is None or isinstance(value, bool):
        return None
    text = ",".join(str(v) for v in value) if isinstance(value, (list, tuple)) else str(value)
    text = text.strip().lower()
    try:
        if text.startswith("every"):
            every = int(text.removeprefix("every").strip(" :=")) if text != "every" else 1
            if every < 1:
                raise ValueError
            return every
        steps = tuple(int(v) for v in text.split(",") if v.strip())
        if not steps or min(steps) < 0:
            raise ValueError
        return steps
    except ValueError:
        raise OutputError(f"--show-at {value!r}: give steps >= 0 like 0,5,10, or 'every 5'") from None


def _check_theme(theme: Any) -> Theme:
    return theme if isinstance(theme, Theme) else THEMES[_choice("theme", THEMES)(theme)]


def _check_preset(preset: Any) -> Preset:
    return preset if isinstance(preset, Preset) else PRESETS[_choice("preset", PRESETS)(preset)]


def _check_text_scale(scale: Any, checked: Mapping[str, Any]) -> float:
    if scale is None:
        return checked["preset"].text_scale
    return _ranged("text-scale", *TEXT_SCALE_RANGE, "1.5", OutputError)(scale)


def _check_dpi(dpi: Any, checked: Mapping[str, Any]) -> float:
    # only a dpi the user chose is range-checked: the default scales with the size, and a
    # thumbnail (160x90) needs less than the smallest dpi anyone would type
    default = default_dpi(*checked["size"]) * checked["text_scale"]
    if dpi is None or dpi == default:  # so that a checked record checks again
        return default
    return _ranged("dpi", *DPI_RANGE, "100", OutputError)(dpi)


def _check_labels(labels: Any) -> tuple[str, ...] | None:
    if labels is None:
        return None
    items = [labels] if isinstance(labels, str) else labels
    if not isinstance(items, (list, tuple)) or not all(isinstance(label, str) for label in items):
        raise SpecError(
            f"legend labels are text, one per run in the order of the runs, "
            f"e.g. --label 'β = 0.5' --label 'β = 0.25'; got {labels!r}"
        )
    return tuple(items)


def _check_finals(finals: Any) -> bool:
    if not isinstance(finals, bool):
        raise SpecError(f"finals is true or false (--finals / --no-finals); got {finals!r}")
    return finals


def _window(axis: str) -> Callable[[Any], tuple[float, float] | None]:
    """A check of ``--xlim``/``--ylim``: ``"LO,HI"`` or a pair of numbers, LO < HI."""

    def check(value: Any) -> tuple[float, float] | None:
        if value is None:
            return None
        items: Any = value.split(",") if isinstance(value, str) else value
        pair = None
        if isinstance(items, (list, tuple)) and len(items) == 2:
            try:
                pair = tuple(float(v) if isinstance(v, str) or is_real(v) else math.nan for v in items)
            except ValueError:
                pair = None
        if pair is None or not all(math.isfinite(v) for v in pair) or not pair[0] < pair[1]:
            raise OutputError(
                f"--{axis} {value!r} must be two numbers LO,HI with LO < HI, e.g. --{axis}=-6,2 ({axis}: [-6, 2] in YAML)"
            )
        return pair

    return check


def _check_title(title: Any) -> str | None:
    if title is not None and not isinstance(title, str):
        raise SpecError(f"a title is text, e.g. --title 'GD on the ravine'; got {title!r}")
    return title


def _check_font(font: Any) -> str | None:
    if font is not None and (not isinstance(font, str) or not font.strip()):
        raise SpecError(f"a font is a family name, e.g. --font 'Noto Sans CJK SC'; got {font!r}")
    return font.strip() if font is not None else None


@dataclass(frozen=True, kw_only=True)
class DrawSettings(Checked):
    """How runs are drawn: view, panels, pixel size, theme, preset, text scale, animation timing,
    title, legend labels and values, window.

    Every field is checked on construction: ``size`` becomes ``(width, height)`` pixels, ``theme``
    a :class:`~optviz.themes.Theme`, ``preset`` a :class:`Preset`, ``text_scale`` a number (the
    preset's by default) and ``dpi`` the dots per inch drawn with: the text scale times the dpi
    that makes the short side 7.2 inches, unless given.
    """

    panels: Any = setting(
        ("loss",),
        "Side panels: comma list of loss, grad_norm, lr, effective_lr (each coordinate's step size, "
        "log axis), velocity (the momentum buffer beside the raw gradient), data (a data loss's "
        "points and each run's model line: thermometer, single_weight), or none.",
        plain(parse_panels),
        panel=_PICTURES,
    )
    show: Any = setting(
        None,
        "Arrows at the current point of each path: comma list of gradient (−∇f), update (the step "
        "taken) and momentum (−buffer), one scale per figure (in the legend); 2-D contour view.",
        plain(parse_show),
        panel=_PICTURES,
    )
    show_at: Any = setting(
        None,
        "Pictures: the steps that get --show arrows, e.g. 0,5,10 or 'every 5' (default: about 8 steps).",
        plain(parse_show_at),
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
    preset: Any = setting(
        "default",
        "default, or talk: large text, thick lines, few ticks, for a 1280x720 slide read from 10 m.",
        plain(_check_preset),
        panel=_PICTURES,
    )
    text_scale: Any = setting(
        None,
        "Grow text, markers and lines by this factor; the layout keeps its proportions "
        "(default 1, 1.6 with --preset talk).",
        _check_text_scale,
        cli_type=float,
        panel=_PICTURES,
    )
    dpi: Any = setting(
        None,
        "The text scale in dots per inch: 100 at 1280x720 is --text-scale 1 (prefer --text-scale).",
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
        "Title above the picture (default: the function's name and formula); {fn}, {opt}, {lr}, "
        "{steps} are filled in; --title '' for none.",
        plain(_check_title),
        panel=_PICTURES,
    )
    labels: Any = setting(
        None,
        "Legend text of a run; repeat for each run, in the order of the runs (opt x lr x start).",
        plain(_check_labels),
        flags=("--label",),
        many=True,
        panel=_PICTURES,
    )
    finals: Any = setting(
        True,
        "Show each run's loss in the legend (the final one; in animations the current one).",
        plain(_check_finals),
        cli_type=bool,
        panel=_PICTURES,
    )
    xlim: Any = setting(None, "The window's x range LO,HI, e.g. --xlim=-6,2.", plain(_window("xlim")), panel=_PICTURES)
    ylim: Any = setting(
        None,
        "The window's y range LO,HI (of f for a 1-D function), e.g. --ylim=-3,3.",
        plain(_window("ylim")),
        panel=_PICTURES,
    )
    font: Any = setting(
        None,
        "A font for the characters DejaVu Sans lacks (Chinese, Japanese, Korean ...), e.g. --font "
        "'Noto Sans CJK SC'; Latin text keeps DejaVu Sans (default: the first installed CJK font).",
        plain(_check_font),
        panel=_PICTURES,
    )
    lang: Any = setting(
        "en",
        "The language of the words optviz writes itself (axes, legend, keys, tables): en or zh.",
        plain(check_lang),
        panel=_PICTURES,
    )

    #: body font size in points; with the default dpi the short side is 7.2 in, so text keeps the same
    #: share of the picture at every size (about 1/36 of its height), readable on a projected slide
    font_pt = 12.0

    @property
    def needs_state(self) -> bool:
        """Whether the runs must record the optimizer's state (a state panel is drawn)."""
        return needs_state(self.panels, self.show)

    @property
    def line_scale(self) -> float:
        """How much thicker paths and panel curves are than the text scale makes them."""
        return self.preset.line_scale

    @property
    def max_ticks(self) -> int | None:
        """At most this many tick labels per axis, or ``None`` for matplotlib's choice."""
        return self.preset.max_ticks

    @property
    def width(self) -> int:
        return self.size[0]

    @property
    def height(self) -> int:
        return self.size[1]
