"""Text in any script: a fallback font for the characters DejaVu Sans lacks (CJK above all).

Every picture draws Latin text in the DejaVu Sans bundled with matplotlib
(:mod:`optviz.render.reproducible`). When the texts a figure will show hold characters it lacks
(a title such as ``梯度下降：学习率 0.4``, a ``--lang zh`` picture), :func:`family_for` appends
fonts that have them to the family list, and matplotlib's font fallback draws each character
from the first font of the list that has it: Latin keeps its look, a figure with only Latin text
keeps its exact bytes. The fonts are tried in order: ``--font NAME`` (YAML ``font:``, API
``font=``), the common CJK fonts (:data:`CJK_FONTS`), then on Linux whatever fontconfig lists
for ``:lang=zh``. Fonts installed after matplotlib built its font cache are found through
fontconfig and registered.

If no font has a character, the file is still drawn (with boxes for those characters) and one
:class:`FontWarning` names the characters and the fix; matplotlib's per-glyph warnings are
silenced. A string with ``$...$`` math is drawn by mathtext, which has no font fallback: CJK
characters in such a string are reported the same way (put the formula in a string of its own).

SVG files hold text as paths and PDF files embed the fonts they use (Type 3 subsets: Type 42
cannot carry the CFF outlines of Noto Sans CJK), so both show the same on any machine.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import textwrap
import unicodedata
import warnings
from collections.abc import Iterable, Sequence

import matplotlib as mpl
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.text import Text

from optviz import i18n
from optviz.errors import OutputError
from optviz.settings import DrawSettings

__all__ = [
    "BASE_FONT",
    "CJK_FONTS",
    "INSTALL_HINT",
    "FontWarning",
    "check_figure",
    "draw_family",
    "family_for",
    "find_font",
    "language_fonts",
    "missing_chars",
    "wrap",
]

#: the font of all Latin text: the one that ships inside matplotlib
BASE_FONT = "DejaVu Sans"
#: the common system fonts with CJK glyphs, tried in this order after ``--font``
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans CJK TC",
    "Noto Sans CJK JP",
    "Noto Sans CJK KR",
    "Source Han Sans SC",
    "Source Han Sans",
    "Microsoft YaHei",
    "PingFang SC",
    "WenQuanYi Micro Hei",
    "Hiragino Sans",
)
INSTALL_HINT = "install a CJK font (Debian/Ubuntu: apt-get install fonts-noto-cjk) or name one with --font"
#: mathtext spans: drawn without font fallback
_MATH = re.compile(r"(?<!\\)\$.*?(?<!\\)\$")


class FontWarning(UserWarning):
    """No installed font has some characters of a figure's text: they are drawn as boxes."""


def _is_drawn(char: str) -> bool:
    return not char.isspace() and char.isprintable()


@functools.cache
def _charset(name: str) -> frozenset[int]:
    """The code points font family ``name`` (as matplotlib knows it) has glyphs for."""
    path = font_manager.findfont(font_manager.FontProperties(family=name), fallback_to_default=False)
    return frozenset(code for code, glyph in font_manager.get_font(path).get_charmap().items() if glyph)


def missing_chars(texts: Iterable[str | None], family: Sequence[str] = (BASE_FONT,)) -> str:
    """The characters of ``texts`` (sorted, once each) that no font of ``family`` has; in a
    ``$...$`` span only the first font counts (mathtext has no fallback)."""
    have = [_charset(name) for name in family]
    missing: set[str] = set()
    for text in texts:
        if not text:
            continue
        plain = _MATH.sub("", text)
        for span, fonts in ((plain, have), ("".join(_MATH.findall(text)), have[:1])):
            missing.update(c for c in span if _is_drawn(c) and not any(ord(c) in font for font in fonts))
    return "".join(sorted(missing))


def _known(name: str) -> str | None:
    """``name`` as matplotlib's font list spells it, if it lists it."""
    folded = name.casefold()
    return next((f.name for f in font_manager.fontManager.ttflist if f.name.casefold() == folded), None)


def _fc_list(*args: str) -> list[str]:
    """Lines of ``fc-list ARGS`` (fontconfig), none without it."""
    if shutil.which("fc-list") is None:
        return []
    try:
        done = subprocess.run(["fc-list", *args], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return []
    return sorted(line.strip() for line in done.stdout.splitlines() if line.strip())


@functools.cache
def find_font(name: str) -> str | None:
    """The family ``name`` as matplotlib knows it, registering the files fontconfig lists for it
    when matplotlib's font cache was built before the font was installed; ``None`` if not installed."""
    known = _known(name)
    if known is None:
        for line in _fc_list(name, "file"):
            font_manager.fontManager.addfont(line.rstrip(":"))
        known = _known(name)
    return known


@functools.cache
def _fontconfig_cjk() -> tuple[str, ...]:
    """The families fontconfig lists for ``:lang=zh`` (first name of each), sans before serif."""
    names = dict.fromkeys(line.split(",")[0] for line in _fc_list(":lang=zh", "family"))
    return tuple(sorted(names, key=lambda n: ("Serif" in n, "Mono" in n, n)))


def _candidates(font: str | None) -> list[str]:
    return list(dict.fromkeys([*([font] if font else []), *CJK_FONTS, *_fontconfig_cjk()]))


@functools.cache
def _warned() -> set[str]:
    return set()


def _warn_missing(chars: str) -> None:
    """One :class:`FontWarning` per set of missing characters in a process."""
    if chars in _warned():
        return
    _warned().add(chars)
    shown = chars if len(chars) <= 12 else chars[:12] + "…"
    codes = ", ".join(f"U+{ord(c):04X}" for c in chars[:3]) + (", …" if len(chars) > 3 else "")
    warnings.warn(
        f"no installed font has the characters {shown} ({codes}): they are drawn as boxes; {INSTALL_HINT}",
        FontWarning,
        stacklevel=3,
    )


def family_for(texts: Iterable[str | None], font: str | None = None) -> list[str]:
    """``font.family`` for a figure showing ``texts``: ``[BASE_FONT]`` when it has every character
    (the figure's bytes do not change), else BASE_FONT then fonts that have the others, tried in
    order (``font``, :data:`CJK_FONTS`, fontconfig's ``:lang=zh``). Warns once, in one line, about
    characters no font has."""
    if font and find_font(font) is None:
        names = [name for name in _candidates(None) if find_font(name)]
        raise OutputError(
            f"--font {font!r} is not installed; "
            + (f"fonts with CJK glyphs here: {', '.join(names[:4])}" if names else INSTALL_HINT.split(" or ")[0])
        )
    texts = list(texts)
    missing = missing_chars(texts)
    family = [BASE_FONT]
    if not missing:
        return family
    for name in _candidates(font):
        known = find_font(name)
        if known is None or known in family:
            continue
        if set(missing) - set(missing_chars([missing], [known])):
            family.append(known)
            missing = missing_chars([missing], family)
            if not missing:
                break
    if missing:
        _warn_missing(missing)
    return family


def language_fonts(lang: str) -> str:
    """The fonts beyond DejaVu Sans that draw ``lang``'s built-in words, each with the version its
    name table gives (``Noto Sans CJK SC Version 2.004;...``), or ``""`` when DejaVu Sans draws
    them all: with matplotlib's, they decide a translated picture's bytes."""
    names = []
    for name in family_for(i18n.words(lang).values())[1:]:
        path = font_manager.findfont(font_manager.FontProperties(family=name), fallback_to_default=False)
        font = font_manager.get_font(path)
        versions = [v for (_, _, _, name_id), v in sorted(font.get_sfnt().items()) if name_id == 5]
        version = versions[-1].decode("utf-16-be" if versions[-1][:1] == b"\0" else "latin-1") if versions else ""
        names.append(f"{font.family_name} {version}".strip())
    return "; ".join(names)


def draw_family(draw: DrawSettings, texts: Iterable[str | None] = ()) -> list[str]:
    """:func:`family_for` the texts of a figure drawn with ``draw``: its title and labels, the
    words of its language, and ``texts`` (run labels, ...)."""
    words = list(i18n.words(draw.lang).values()) if draw.lang != "en" else []
    return family_for([draw.title, *(draw.labels or ()), *words, *texts], draw.font)


def check_figure(fig: Figure) -> None:
    """Warn (once, one line) about characters of the figure's texts that no font of the current
    ``font.family`` has: texts :func:`family_for` was not told about, so no box is drawn silently."""
    texts = [t.get_text() for t in fig.findobj(Text) if t.get_visible()]
    missing = missing_chars(texts, list(mpl.rcParams["font.family"]))
    if missing:
        _warn_missing(missing)


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in "WF"


def _space(text: str) -> bool:
    return text.isspace() and "\u00a0" not in text


def _columns(text: str) -> int:
    return sum(2 if _wide(c) else 1 for c in text)


def wrap(text: str, columns: int, **options: object) -> list[str]:
    """:func:`textwrap.wrap` where a wide (CJK) character counts two columns and a line may break
    beside it; text without wide characters is wrapped by textwrap itself (the same lines)."""
    if not any(_wide(c) for c in text):
        return textwrap.wrap(text, columns, **options)  # type: ignore[arg-type]
    tokens: list[str] = []  # words, single wide characters and runs of spaces (not no-break ones)
    for char in text:
        joins = tokens and not _space(char) and not _wide(char)
        if joins and not _space(tokens[-1]) and not _wide(tokens[-1][-1]):
            tokens[-1] += char
        else:
            tokens.append(char)
    lines = [""]
    for token in tokens:
        if _space(token):
            lines[-1] += " " if lines[-1] else ""
        elif lines[-1].strip() and _columns(lines[-1] + token) > columns:
            lines.append(token)
        else:
            lines[-1] += token
    return [line.strip() for line in lines if line.strip()]
