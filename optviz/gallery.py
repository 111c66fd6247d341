"""The gallery: every lesson config rendered into one folder, with a README that shows each
picture, its one-line lesson and the exact command that made it.

Lessons are the ``*.yaml`` files of a folder (``configs/``), in file-name order; a numeric prefix
(``07-ravine-gd.yaml``) sets the order and may be left out when naming one (``--only ravine-gd``).

In another language (``optviz gallery --lang zh``) the gallery is a folder of its own inside the
English one (``gallery/zh/``): the pictures drawn with ``render: {lang: zh}`` and the configs'
``title_zh``, the README in Chinese with the configs' ``lesson_zh``/``description_zh`` (English
where a config gives none), and each command with ``--lang zh``, so that it makes the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from optviz.errors import ConfigError, OutputError, UnknownNameError
from optviz.output import atomic_path
from optviz.sweep import Plan, load

__all__ = [
    "MADE_WITH",
    "MADE_WITH_FONTS",
    "MARKER",
    "Lesson",
    "check_readme",
    "current",
    "file_digest",
    "language_folder",
    "lesson_text",
    "manifest_lines",
    "plan_gallery",
    "read_manifest",
    "select",
    "source_digest",
    "sweep_command",
    "total_size",
    "write_readme",
]

#: the first line of the README optviz writes: a README without it is not optviz's to replace
MARKER = "<!-- made by optviz gallery, which rewrites this file -->"
#: words of the README optviz wrote before it had the marker, and how much of a README is read to find them
_LEGACY_WORDS = "`optviz gallery` remakes them all."
_README_HEAD = 4096

#: The library versions the committed ``gallery/`` was rendered with
#: (:func:`optviz.render.reproducible.library_versions`). Other versions may move pixels (FreeType's
#: text, matplotlib's drawing, numpy's arithmetic) or only the encoded bytes (Pillow, zlib), so
#: tests/test_reproducible.py compares the gallery byte for byte only with these; pyproject's test
#: extra pins the ones pip installs. zlib is the system's (Pillow links it) and is not pinned.
MADE_WITH = {"matplotlib": "3.11.2", "freetype": "2.14.3", "numpy": "2.4.6", "pillow": "13.0.0", "zlib": "1.2.13"}
#: The fonts beyond DejaVu Sans that drew each translated gallery (``gallery/zh/``), as
#: :func:`optviz.render.fonts.language_fonts` names them: Debian's fonts-noto-cjk 1:20220127.
MADE_WITH_FONTS = {"zh": "Noto Sans CJK SC Version 2.004;hotconv 1.0.118;makeotfexe 2.5.65603"}


#: a README line (hidden when shown) that says what made one file: its source digest and its hash
_MANIFEST_LINE = re.compile(
    r"^<!-- optviz made (?P<name>\S+) from (?P<source>[0-9a-f]{64}) sha256 (?P<sha256>[0-9a-f]{64}) -->$"
)


@dataclass(frozen=True)
class Lesson:
    """One config of the gallery and its checked plan.

    Attributes:
        source: :func:`source_digest` of the config as it was planned (so as it is rendered).
        stamps: each output file's (inode, mtime, size) when it was planned, None if missing: a
            file whose stamp changed since was written by this render, from ``source``.
    """

    config: Path
    plan: Plan
    source: str = ""
    stamps: dict[Path, tuple[int, int, int] | None] = field(default_factory=dict, compare=False, hash=False)

    @property
    def name(self) -> str:
        """The file name without its order prefix: ``07-ravine-gd.yaml`` -> ``ravine-gd``."""
        return re.sub(r"^\d+[-_]", "", self.config.stem)


def language_folder(out_dir: Path, lang: str = "en") -> Path:
    """The folder of the gallery ``out_dir`` in ``lang``: itself for English, else ``out_dir/LANG``."""
    return Path(out_dir) if lang == "en" else Path(out_dir) / lang


def _render(lang: str) -> dict[str, str] | None:
    """The ``render:`` keys a language puts over the configs' (``--lang``); none for English."""
    return None if lang == "en" else {"lang": lang}


def plan_gallery(configs: Path, out_dir: Path, lang: str = "en") -> list[Lesson]:
    """Load and check every config of ``configs`` (nothing runs if one is broken), writing into
    the gallery ``out_dir`` in ``lang`` (:func:`language_folder`); two lessons may not write the
    same file."""
    out_dir = language_folder(out_dir, lang)
    configs = Path(configs)
    if not configs.is_dir():
        raise ConfigError(f"no folder {str(configs)!r}; run from the optviz checkout or give --configs FOLDER")
    paths = sorted(configs.glob("*.yaml"))
    if not paths:
        raise ConfigError(f"no .yaml configs in {str(configs)!r}; give the lessons' folder with --configs")
    check_readme(Path(out_dir) / "README.md")  # before anything is rendered
    lessons = []
    for path in paths:
        plan = load(path, out_dir, render=_render(lang))
        stamps = {figure.out: _stamp(figure.out) for figure in plan.figures}
        lessons.append(Lesson(path, plan, source_digest(path, lang=_lang_key(lang)), stamps))
    owner: dict[Path, Path] = {}
    for lesson in lessons:
        for figure in lesson.plan.figures:
            if figure.out in owner:
                raise ConfigError(
                    f"{lesson.config} and {owner[figure.out]} both write {figure.out.name!r}; "
                    "put {name} in their out: templates"
                )
            owner[figure.out] = lesson.config
    return lessons


def select(lessons: list[Lesson], only: list[str] | None) -> list[Lesson]:
    """The lessons named in ``only`` (file stem, with or without its order prefix), or all."""
    if not only:
        return lessons
    by_name = {lesson.name: lesson for lesson in lessons} | {lesson.config.stem: lesson for lesson in lessons}
    chosen = []
    for name in only:
        if name not in by_name:
            raise UnknownNameError("lesson", name, [lesson.name for lesson in lessons])
        if by_name[name] not in chosen:
            chosen.append(by_name[name])
    return chosen


def total_size(lessons: list[Lesson]) -> int:
    """Bytes of the lessons' files that exist."""
    outs = [figure.out for lesson in lessons for figure in lesson.plan.figures]
    return sum(out.stat().st_size for out in outs if out.exists())


def write_readme(lessons: list[Lesson], out_dir: Path, lang: str = "en") -> Path:
    """Write the README.md of the gallery ``out_dir`` in ``lang`` (:func:`language_folder`): a
    contents list, then per lesson its one-line lesson, its description, its pictures and the
    command that makes them, all in ``lang`` (the lessons' words in English where a config gives none).

    Every path in it is relative: links to the README's own folder, commands to the folder that
    holds the gallery (the checkout's top folder for ``gallery/``). So the README depends only on
    where the configs sit beside the gallery, not on the folder ``optviz gallery`` ran in nor on
    absolute paths: the same layout rendered anywhere gives the same bytes.

    Its first line is :data:`MARKER`; a README without it is not replaced (:func:`check_readme`).
    """
    from optviz.i18n import tr

    top = Path(os.path.abspath(out_dir)).parent
    gallery, out_dir = Path(out_dir), language_folder(out_dir, lang)
    configs = lessons[0].config.parent
    again = "optviz gallery" + ("" if lang == "en" else f" --lang {lang}")
    intro = tr(
        "gallery:intro",
        lang,
        configs=_link(configs, top),
        link=_link(configs, out_dir),
        gallery=_link(gallery, top),
        command=again,
    )
    lines = [MARKER, tr("gallery:heading", lang), "", intro, ""]
    texts = [lesson_text(lesson.plan, lang) for lesson in lessons]
    lines += [
        f"{i}. [{text[0]}](#{_anchor(lesson.name)})"
        for i, (lesson, text) in enumerate(zip(lessons, texts, strict=True), 1)
    ]
    lines.append("")
    for lesson, (title, description) in zip(lessons, texts, strict=True):
        lines += [f"## {lesson.name}", "", f"**{title}**", ""]
        if description:
            lines += [description, ""]
        for figure in lesson.plan.figures:
            if figure.out.exists():
                lines += [f"![{lesson.name}: {figure.out.name}]({_link(figure.out, out_dir)})", ""]
            else:
                command = f"{again} --only {lesson.name}"
                lines += [f"*{tr('gallery:not rendered', lang, name=figure.out.name, command=command)}*", ""]
        lines += ["```bash", sweep_command(lesson.config, out_dir, top, lang=_lang_key(lang)), "```", ""]
    made = {
        figure.out: lesson.source
        for lesson in lessons
        for figure in lesson.plan.figures
        if figure.out.exists() and _stamp(figure.out) != lesson.stamps.get(figure.out, ())
    }
    lines += manifest_lines(out_dir, made, [figure.out for lesson in lessons for figure in lesson.plan.figures])
    path = out_dir / "README.md"
    check_readme(path)
    out_dir.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(lines), encoding="utf-8")
    return path


def lesson_text(plan: Plan, lang: str = "en") -> tuple[str, str | None]:
    """A lesson's words in ``lang``, (one-line lesson, description): the one place the README, the
    deck and its slides read them from (``lesson_zh``, ``description_zh``; English where missing)."""
    texts = plan.texts(lang)
    return texts["lesson"] or "", texts["description"]


def _lang_key(lang: str | None) -> str | None:
    """A language that replaces the configs' own, as commands and digests name it (None: English)."""
    return None if lang in (None, "en") else lang


def sweep_command(
    config: Path,
    out_dir: Path,
    top: Path,
    *,
    absolute_outside: bool = False,
    lang: str | None = None,
    theme: str | None = None,
) -> str:
    """The command that makes a lesson's files in ``out_dir``, run from the folder ``top``; with
    ``absolute_outside``, a path outside ``top`` is written absolute instead of as ``../../x``;
    ``lang`` and ``theme`` (None: the config's own) become ``--lang`` and ``--theme``."""

    def place(target: Path) -> str:
        relative = _link(target, top)
        if absolute_outside and relative.startswith("../"):
            return Path(os.path.abspath(target)).as_posix()
        return relative

    options = "".join(f" --{name} {value}" for name, value in (("lang", lang), ("theme", theme)) if value)
    return f"optviz sweep {place(config)} --out-dir {place(out_dir)}{options}"


def source_digest(config: Path, theme: str | None = None, lang: str | None = None) -> str:
    """sha256 of what decides a lesson's files: the config's name and bytes, optviz's version, the
    library versions (:func:`~optviz.render.reproducible.library_versions`), and a theme and a
    language that replace the config's (None: the config's own)."""
    from optviz import __version__
    from optviz.render.reproducible import library_versions

    try:
        data = Path(config).read_bytes()
    except OSError as exc:
        raise ConfigError(f"{config}: cannot read it: {exc.strerror or exc}") from None
    what = {"config": Path(config).name, "optviz": __version__, "libraries": library_versions(), "theme": theme or ""}
    if lang is not None:  # (not in English digests, which were made before languages)
        from optviz.render.fonts import language_fonts

        what["lang"] = lang
        what["fonts"] = language_fonts(lang)  # a CJK font decides the bytes as much as FreeType does
    digest = hashlib.sha256(json.dumps(what, sort_keys=True).encode())
    digest.update(data)
    return digest.hexdigest()


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(out_dir: Path) -> dict[str, dict[str, str]]:
    """The manifest at the end of ``out_dir/README.md`` (:func:`manifest_lines`): file name ->
    {"source": digest, "sha256": the file's}; empty if there is none."""
    try:
        with open(Path(out_dir) / "README.md", encoding="utf-8", errors="replace") as fh:
            text = fh.read(4_000_000)
    except OSError:
        return {}
    found = (_MANIFEST_LINE.match(line) for line in text.splitlines())
    return {m["name"]: {"source": m["source"], "sha256": m["sha256"]} for m in found if m}


def current(out: Path, out_dir: Path, source: str, manifest: dict[str, dict[str, str]]) -> bool:
    """Whether the file ``out`` was made from ``source`` (a :func:`source_digest`) and is unchanged
    since: the manifest says so and the file's own hash still matches the one recorded."""
    entry = manifest.get(_link(out, out_dir))
    if entry is None or entry["source"] != source or not Path(out).is_file():
        return False
    return entry["sha256"] == file_digest(out)


def manifest_lines(out_dir: Path, made: dict[Path, str], keep: list[Path]) -> list[str]:
    """The README's last lines, hidden when shown, one per file of ``keep`` (``out_dir``'s):
    ``<!-- optviz made NAME from SOURCE sha256 HASH -->``. A file of ``made`` (just written from
    the source digest given) gets a new line; another keeps the line ``out_dir/README.md`` has for
    it if the file's hash still matches; files of unknown making get none."""
    old = read_manifest(out_dir)
    lines = []
    for out in keep:
        name = _link(out, out_dir)
        if out in made:
            source = made[out]
        elif name in old and Path(out).is_file() and old[name]["sha256"] == file_digest(out):
            source = old[name]["source"]
        else:
            continue
        if " " not in name:  # a name with a space cannot be read back (never from a config's {name})
            lines.append(f"<!-- optviz made {name} from {source} sha256 {file_digest(out)} -->")
    return [*lines, ""] if lines else []


def _stamp(path: Path) -> tuple[int, int, int] | None:
    """What changes when a file is written again: its inode (a rename gives a new one), mtime and size."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def check_readme(path: Path) -> None:
    """Refuse to replace a ``README.md`` that optviz did not write (``gallery --out .`` would
    otherwise replace a project's README): one whose first line is not :data:`MARKER`.

    A README of optviz from before the marker (its heading and its sentence on remaking the
    gallery) counts as optviz's.

    Raises:
        OutputError: one line naming the file and the fix.
    """
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        return
    fix = "move it away, or give --out a folder of its own"
    if path.is_symlink() or not path.is_file():
        raise OutputError(f"{str(path)!r} is not a file optviz wrote (a link or a special file); {fix}")
    try:
        with open(path, "rb") as fh:
            head = fh.read(_README_HEAD).decode("utf-8", errors="replace")
    except OSError as exc:
        raise OutputError(f"cannot read {str(path)!r} to check it was made by optviz: {exc.strerror}; {fix}") from None
    first = head.split("\n", 1)[0].strip()
    legacy = first == "# optviz gallery" and _LEGACY_WORDS in head
    if first != MARKER and not legacy:
        raise OutputError(
            f"{str(path)!r} was not written by optviz gallery (its first line is not {MARKER}), "
            f"so it is not replaced; {fix}"
        )


def _link(target: Path, start: Path) -> str:
    """``target`` relative to the folder ``start``, with forward slashes (as Markdown and shells on
    every system read them)."""
    return Path(os.path.relpath(target, start)).as_posix()


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, spaces to dashes, punctuation dropped."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
