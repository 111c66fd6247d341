"""A lecture deck in one command: lesson configs to a 16:9 PowerPoint file (``optviz deck``).

A title slide, then one slide per figure in the configs' order: the one-line lesson as its title,
the picture or GIF scaled to fit (a GIF's bytes are embedded unchanged, so PowerPoint, Keynote and
LibreOffice play it), and the description and the command that makes the figure in the notes.

Figures are taken from ``gallery/`` when they are current there, else from the deck's own figure
folder beside the output (``lecture.pptx`` -> ``lecture-figures/``), else rendered into it. A file
is *current* when the README of its folder records, for it, the digest of what decides its bytes
(:func:`optviz.gallery.source_digest`: the config's name and bytes, optviz's version, the library
versions, the theme and the language) and the file's own sha256, and both still match. The figure
folder is kept so that the next deck only renders the lessons whose config changed.

In another language (``--lang zh``) the slide titles are the configs' ``lesson_zh``, the notes their
``description_zh`` (English where a config gives none), the deck's own words are translated
(:mod:`optviz.i18n`), the figures are drawn with ``--lang zh`` and reused from ``gallery/zh/``.

python-pptx (``pip install 'optviz[deck]'``) is imported only to write the deck.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optviz.errors import ConfigError, OutputError, UnknownNameError
from optviz.gallery import (
    Lesson,
    current,
    language_folder,
    lesson_text,
    manifest_lines,
    read_manifest,
    source_digest,
    sweep_command,
)
from optviz.i18n import check_lang, tr
from optviz.output import atomic_path, check_output
from optviz.sweep import load
from optviz.themes import THEMES

__all__ = ["EAST_ASIAN_FONT", "Deck", "Slide", "config_paths", "plan_deck", "record", "require_pptx", "write_deck"]

#: the first line of the README of a deck's figure folder: a folder without it is not replaced
MARKER = "<!-- made by optviz deck, which rewrites the figures of this folder -->"
#: the font a slide's Chinese, Japanese or Korean characters ask for (PowerPoint's East Asian font,
#: ``a:ea``): without one, LibreOffice may draw them in a Latin font, as boxes
EAST_ASIAN_FONT = "Noto Sans CJK SC"
#: 16:9 slides, in EMU (13.333 x 7.5 inches, PowerPoint's widescreen)
SLIDE_WIDTH, SLIDE_HEIGHT = 12_192_000, 6_858_000
_INCH = 914_400
#: the title band and the margins around the picture
_TITLE_TOP, _TITLE_HEIGHT, _MARGIN = int(0.15 * _INCH), int(1.1 * _INCH), int(0.3 * _INCH)
_INSTALL = "pip install 'optviz[deck]'"


@dataclass(frozen=True)
class Slide:
    """One figure's slide: where its picture is, and the lesson it shows.

    Attributes:
        figure: the figure as the deck renders it (into its figure folder, in its theme).
        image: the file on the slide: in ``gallery/`` or the figure folder.
        source: its :func:`~optviz.gallery.source_digest`.
        reused: "gallery" or "folder" when the file is current there, None when it must be rendered.
        command: the command that makes the file.
    """

    lesson: Lesson
    figure: Any
    image: Path
    source: str
    reused: str | None
    command: str


@dataclass(frozen=True)
class Deck:
    """A checked deck: its slides, the output file and the figure folder. Nothing written yet."""

    out: Path
    folder: Path
    theme: str | None
    configs: tuple[Path, ...]
    slides: tuple[Slide, ...]
    lang: str = "en"

    @property
    def to_render(self) -> list[Any]:
        return [slide.figure for slide in self.slides if slide.reused is None]


def require_pptx() -> Any:
    """The ``pptx`` module, or a one-line error naming the install command."""
    try:
        import pptx
    except ImportError:
        raise OutputError(f"optviz deck needs python-pptx, which is not installed: {_INSTALL}") from None
    return pptx


def config_paths(configs: list[Path]) -> list[Path]:
    """Config files in order: a folder gives its ``*.yaml`` in file-name order (as the gallery)."""
    paths: list[Path] = []
    for given in configs:
        given = Path(given)
        if given.is_dir():
            found = sorted(given.glob("*.yaml"))
            if not found:
                raise ConfigError(f"no .yaml configs in {str(given)!r}; give lesson configs or their folder")
        elif given.exists():
            found = [given]
        else:
            raise ConfigError(f"{str(given)!r}: no such config or folder; give lesson configs or their folder")
        paths += [path for path in found if path not in paths]
    return paths


def plan_deck(
    configs: list[Path],
    out: Path,
    *,
    theme: str | None = None,
    gallery: Path = Path("gallery"),
    top: Path | None = None,
    lang: str = "en",
) -> Deck:
    """Check everything before anything runs: the output, the figure folder, every config; find
    the current files in ``gallery`` (its ``LANG/`` folder in another language than English) and
    the figure folder.

    Args:
        theme: light or dark for every figure and slide; None keeps each config's own (and lets
            the gallery's files be reused).
        top: the folder the notes' commands run from (default: the current folder).
        lang: the slides' language, and the figures' (``--lang``) unless English (the configs' own).
    """
    out = check_output(out, (".pptx",), "deck")
    _check_existing(out)
    if theme is not None and theme not in THEMES:
        raise UnknownNameError("theme", theme, list(THEMES))
    lang = check_lang(lang)
    drawn = None if lang == "en" else lang  # English keeps each config's own render: lang
    overrides = {key: value for key, value in (("theme", theme), ("lang", drawn)) if value is not None}
    gallery = language_folder(gallery, lang)
    folder = out.with_name(f"{out.stem}-figures")
    _check_folder(folder)
    top = Path.cwd() if top is None else top
    paths = config_paths(configs)
    in_gallery, in_folder = read_manifest(gallery), read_manifest(folder)
    slides, owner = [], {}
    for path in paths:
        plan = load(path, folder, render=overrides)
        lesson, source = Lesson(path, plan), source_digest(path, theme, drawn)
        for figure in plan.figures:
            if figure.out in owner:
                raise ConfigError(f"{path} and {owner[figure.out]} both write {figure.out.name!r}; rename one config")
            owner[figure.out] = path
            shown = gallery / os.path.relpath(figure.out, folder)
            where = gallery if current(shown, gallery, source, in_gallery) else folder
            command = sweep_command(path, where, top, absolute_outside=True, lang=drawn, theme=theme)
            if where == gallery:
                slide = Slide(lesson, figure, shown, source, "gallery", command)
            else:
                reused = "folder" if current(figure.out, folder, source, in_folder) else None
                slide = Slide(lesson, figure, figure.out, source, reused, command)
            slides.append(slide)
    if not slides:
        raise ConfigError("the configs make no figures; give lesson configs or their folder")
    return Deck(out, folder, theme, tuple(paths), tuple(slides), lang)


def record(deck: Deck, made: list[Path]) -> None:
    """Write the figure folder's README: what made each of its files (``made``: rendered now)."""
    if not deck.folder.is_dir():
        return
    sources = {slide.figure.out: slide.source for slide in deck.slides}
    keep = [slide.figure.out for slide in deck.slides]
    lines = [
        MARKER,
        tr("deck:folder heading", deck.lang, deck=deck.out.name),
        "",
        tr("deck:folder text", deck.lang),
        "",
    ]
    lines += manifest_lines(deck.folder, {out: sources[out] for out in made if out in sources}, keep)
    with atomic_path(deck.folder / "README.md") as tmp:
        tmp.write_text("\n".join(lines), encoding="utf-8")


def write_deck(deck: Deck, title: str | None = None) -> Path:
    """Write the ``.pptx`` (atomically): a title slide, then each figure's slide."""
    missing = [slide.image for slide in deck.slides if not slide.image.is_file()]
    if missing:
        raise OutputError(f"{str(missing[0])!r} is not rendered; the deck was not written")
    pptx = require_pptx()
    from pptx.dml.color import RGBColor
    from pptx.enum.text import MSO_ANCHOR
    from pptx.util import Pt

    look = THEMES[deck.theme or "light"]
    colors = {name: RGBColor.from_string(getattr(look, name).lstrip("#")) for name in ("background", "foreground")}
    prs = pptx.Presentation()
    prs.slide_width, prs.slide_height = SLIDE_WIDTH, SLIDE_HEIGHT

    def new_slide(layout: int) -> Any:
        slide = prs.slides.add_slide(prs.slide_layouts[layout])
        slide.background.fill.solid()
        slide.background.fill.fore_color.rgb = colors["background"]
        return slide

    def put_text(shape: Any, text: str, size: float, box: tuple[int, int, int, int]) -> None:
        shape.left, shape.top, shape.width, shape.height = box
        shape.text_frame.text = text
        shape.text_frame.word_wrap = True
        shape.text_frame.vertical_anchor = MSO_ANCHOR.MIDDLE
        for paragraph in shape.text_frame.paragraphs:
            for run in paragraph.runs:
                run.font.size, run.font.color.rgb = Pt(size), colors["foreground"]
                if any(_east_asian(char) for char in run.text):
                    _set_east_asian_font(run)

    from optviz import __version__

    first = new_slide(0)
    wide = SLIDE_WIDTH - 2 * _MARGIN
    words = title or tr("deck:title", deck.lang)
    put_text(first.shapes.title, words, 40, (_MARGIN, int(2.0 * _INCH), wide, int(1.6 * _INCH)))
    names = ", ".join(dict.fromkeys(_shown(path.parent) for path in deck.configs))
    subtitle = tr("deck:subtitle", deck.lang, count=len(deck.slides), configs=names, version=__version__)
    put_text(first.placeholders[1], subtitle, 20, (_MARGIN, int(3.8 * _INCH), wide, int(1.0 * _INCH)))
    for item in deck.slides:
        slide = new_slide(5)  # title only
        words, description = lesson_text(item.lesson.plan, deck.lang)
        key = getattr(item.figure, "key", ())
        if len(item.lesson.plan.figures) > 1 and key:  # a config of several files: which one this is
            words += " (" + ", ".join(f"{axis} {value}" for axis, value in key) + ")"
        put_text(slide.shapes.title, words, 24, (_MARGIN, _TITLE_TOP, wide, _TITLE_HEIGHT))
        slide.shapes.add_picture(str(item.image), *_fit(item.image))
        notes = [description] if description else []
        frame = slide.notes_slide.notes_text_frame
        frame.text = "\n\n".join([*notes, f"{tr('deck:made by', deck.lang)}: {item.command}"])
        for run in (run for paragraph in frame.paragraphs for run in paragraph.runs):
            if any(_east_asian(char) for char in run.text):
                _set_east_asian_font(run)
    with atomic_path(deck.out) as tmp:
        prs.save(str(tmp))
    return deck.out


def _east_asian(char: str) -> bool:
    """A Chinese, Japanese or Korean character, or their punctuation (the wide ranges from U+2E80)."""
    return "\u2e80" <= char <= "\u9fff" or "\uac00" <= char <= "\ud7af" or "\uf900" <= char <= "\uffef"


def _set_east_asian_font(run: Any) -> None:
    """Name :data:`EAST_ASIAN_FONT` as the run's East Asian font (``<a:ea typeface=...>``)."""
    props = run._r.get_or_add_rPr()
    for old in props.findall("{http://schemas.openxmlformats.org/drawingml/2006/main}ea"):
        props.remove(old)
    ea = props.makeelement("{http://schemas.openxmlformats.org/drawingml/2006/main}ea", {"typeface": EAST_ASIAN_FONT})
    # CT_TextCharacterProperties' order: ln, fills, effects, highlight, uLnTx..., latin, ea, cs, ...
    latin = props.find("{http://schemas.openxmlformats.org/drawingml/2006/main}latin")
    if latin is not None:
        latin.addnext(ea)
    else:
        later = [
            child
            for child in props
            if child.tag.rsplit("}", 1)[-1] in ("cs", "sym", "hlinkClick", "hlinkMouseOver", "rtl", "extLst")
        ]
        if later:
            later[0].addprevious(ea)
        else:
            props.append(ea)


def _fit(image: Path) -> tuple[int, int, int, int]:
    """left, top, width, height of the picture: as large as fits under the title, its aspect kept, centred."""
    from PIL import Image

    with Image.open(image) as img:
        width, height = img.size
    top = _TITLE_TOP + _TITLE_HEIGHT + int(0.1 * _INCH)
    box_w, box_h = SLIDE_WIDTH - 2 * _MARGIN, SLIDE_HEIGHT - top - int(0.2 * _INCH)
    scale = min(box_w / width, box_h / height)
    w, h = int(width * scale), int(height * scale)
    return _MARGIN + (box_w - w) // 2, top + (box_h - h) // 2, w, h


def _shown(folder: Path) -> str:
    try:
        return Path(os.path.relpath(folder)).as_posix()
    except ValueError:  # another drive (Windows)
        return str(folder)


def _check_existing(out: Path) -> None:
    """An existing output is replaced only if it is a PowerPoint file (a zip archive)."""
    if not out.exists() and not out.is_symlink():
        return
    fix = "move it away, or give --out another name"
    if out.is_symlink() or not out.is_file():
        raise OutputError(f"{str(out)!r} is not a regular file; {fix}")
    with open(out, "rb") as fh:
        if fh.read(4) != b"PK\x03\x04":
            raise OutputError(f"{str(out)!r} is not a PowerPoint file, so it is not replaced; {fix}")


def _check_folder(folder: Path) -> None:
    """The figure folder is the deck's: missing, empty, or with the README optviz deck writes."""
    if not folder.exists() and not folder.is_symlink():
        return
    fix = "move it away, or give --out another name"
    if not folder.is_dir():
        raise OutputError(f"{str(folder)!r} (the deck's figure folder) is not a folder; {fix}")
    if not any(folder.iterdir()):
        return
    try:
        with open(folder / "README.md", encoding="utf-8", errors="replace") as fh:
            first = fh.readline().strip()
    except OSError:
        first = ""
    if first != MARKER:
        raise OutputError(f"{str(folder)!r} holds files optviz deck did not write, so it is not used; {fix}")
