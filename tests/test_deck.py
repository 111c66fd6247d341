"""optviz deck: the .pptx opens, one slide per figure with the rendered bytes, notes with the
command, 16:9, dark backgrounds, reuse of current gallery files only, and its errors."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from optviz.cli import app
from optviz.gallery import read_manifest
from optviz.sweep import load, runner
from optviz.themes import THEMES

pptx = pytest.importorskip("pptx")

#: two small lessons: a picture config making two files (lr not overlaid) and a GIF
CONFIGS = {
    "01-square.yaml": """# Learning rate on x²: a small step crawls, a large one explodes
description: Gradient descent on x² from 10; each step multiplies x by 1 − 2·lr.
fn: square
start: 10
steps: 5
opt: gd
lr: [0.05, 1.1]
render: {size: 320x180, panels: loss}
out: "{name}-lr{lr}.png"
""",
    "02-ravine.yaml": """# GD on the ravine zig-zags across the steep axis
description: One learning rate for two curvatures.
fn: ravine
start: [-5, -2]
steps: 4
opt: gd
lr: 0.4
render: {size: 320x180, frames: 3, fps: 4}
out: "{name}.gif"
""",
}


@pytest.fixture
def lessons(tmp_path, monkeypatch):
    """A checkout-like folder (configs/ only) as the current folder; returns it."""
    (tmp_path / "configs").mkdir()
    for name, text in CONFIGS.items():
        (tmp_path / "configs" / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def renders(monkeypatch):
    """The figures rendered in this process, by output file name."""
    seen: list[str] = []
    real = runner.render_figure

    def counting(figure):
        seen.append(figure.out.name)
        return real(figure)

    monkeypatch.setattr(runner, "render_figure", counting)
    return seen


def invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


def figure_slides(path: Path):
    return list(pptx.Presentation(str(path)).slides)[1:]


def expected_figures(top: Path):
    """(lesson, description, file name, config name) per figure, in chapter order."""
    rows = []
    for config in sorted((top / "configs").glob("*.yaml")):
        plan = load(config)
        rows += [(plan.lesson, plan.description, figure.out.name, config.name) for figure in plan.figures]
    return rows


def test_deck_has_a_title_slide_then_each_figure_with_its_bytes_lesson_and_notes(lessons, renders):
    result = invoke("deck", "configs", "--out", "lecture.pptx")
    assert result.exit_code == 0, result.output
    deck = pptx.Presentation("lecture.pptx")
    expected = expected_figures(lessons)
    assert len(expected) == 3 and len(deck.slides) == len(expected) + 1
    assert deck.slide_width * 9 == deck.slide_height * 16
    assert sorted(renders) == sorted(name for *_, name, _ in expected)
    for slide, (lesson, description, name, config) in zip(
        figure_slides(lessons / "lecture.pptx"), expected, strict=True
    ):
        # a config of several files names the value that singles each out
        suffix = f" (lr {name.removesuffix('.png').split('-lr')[1]})" if "-lr" in name else ""
        assert slide.shapes.title.text == lesson + suffix
        (picture,) = [shape for shape in slide.shapes if shape.shape_type == pptx.enum.shapes.MSO_SHAPE_TYPE.PICTURE]
        # the file's bytes, unchanged (a GIF keeps its frames)
        assert picture.image.blob == (lessons / "lecture-figures" / name).read_bytes()
        assert picture.image.content_type == ("image/gif" if name.endswith(".gif") else "image/png")
        notes = slide.notes_slide.notes_text_frame.text
        assert description in notes
        assert f"optviz sweep configs/{config} --out-dir lecture-figures" in notes
        # inside the slide, below the title, its aspect ratio kept (320x180)
        assert picture.left >= 0 and picture.left + picture.width <= deck.slide_width
        assert picture.top >= slide.shapes.title.top + slide.shapes.title.height
        assert picture.top + picture.height <= deck.slide_height
        assert picture.width * 180 == pytest.approx(picture.height * 320, rel=1e-3)


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_theme_sets_every_slide_background_and_the_figures(lessons, theme):
    assert invoke("deck", "--out", "talk.pptx", "--theme", theme).exit_code == 0  # default: configs/
    look = THEMES[theme]
    slides = list(pptx.Presentation("talk.pptx").slides)
    assert len(slides) == 4
    for slide in slides:
        assert str(slide.background.fill.fore_color.rgb) == look.background.lstrip("#").upper()
        assert (
            str(slide.shapes.title.text_frame.paragraphs[0].runs[0].font.color.rgb)
            == look.foreground.lstrip("#").upper()
        )
    from PIL import Image

    with Image.open(lessons / "talk-figures" / "01-square-lr0.05.png") as picture:
        corner = picture.convert("RGB").getpixel((0, 0))
    assert "#" + "".join(f"{c:02x}" for c in corner) == look.background


def _edit_config(top: Path) -> None:
    path = top / "configs" / "02-ravine.yaml"
    path.write_text(path.read_text().replace("steps: 4", "steps: 3"), encoding="utf-8")


def _edit_picture(top: Path) -> None:
    with open(top / "gallery" / "02-ravine.gif", "ab") as fh:
        fh.write(b"\0")


def _gallery_only_the_other(top: Path) -> None:
    # the ravine's config changes, but only the square is rendered again: the ravine's old GIF
    # stays in gallery/ and must not count as made from the new config
    _edit_config(top)
    assert invoke("gallery", "--only", "square").exit_code == 0


# (what happens after `optviz gallery`, whether the ravine's GIF is rendered again for the deck)
CHANGES = [
    (lambda top: None, False),
    (_edit_config, True),
    (_edit_picture, True),
    (_gallery_only_the_other, True),
]


@pytest.mark.parametrize(("change", "renders_ravine"), CHANGES)
def test_gallery_files_are_reused_only_while_current(lessons, renders, change, renders_ravine):
    assert invoke("gallery").exit_code == 0
    assert set(read_manifest(lessons / "gallery")) == {"01-square-lr0.05.png", "01-square-lr1.1.png", "02-ravine.gif"}
    change(lessons)
    renders.clear()
    result = invoke("deck", "--out", "lecture.pptx")
    assert result.exit_code == 0, result.output
    assert renders == (["02-ravine.gif"] if renders_ravine else [])
    where = lessons / ("lecture-figures" if renders_ravine else "gallery")
    ravine = figure_slides(lessons / "lecture.pptx")[2]
    picture = next(shape for shape in ravine.shapes if hasattr(shape, "image"))
    assert picture.image.blob == (where / "02-ravine.gif").read_bytes()
    command = "optviz sweep configs/02-ravine.yaml --out-dir " + ("lecture-figures" if renders_ravine else "gallery")
    assert command in ravine.notes_slide.notes_text_frame.text
    # the next deck finds everything current (in the gallery or its own folder): nothing renders
    renders.clear()
    assert invoke("deck", "--out", "lecture.pptx").exit_code == 0
    assert renders == []


def test_dark_deck_does_not_reuse_the_light_gallery(lessons, renders):
    assert invoke("gallery").exit_code == 0
    renders.clear()
    assert invoke("deck", "--out", "dark.pptx", "--theme", "dark").exit_code == 0
    assert len(renders) == 3


def test_without_python_pptx_one_line_names_the_install_command(lessons, renders, monkeypatch):
    monkeypatch.setitem(sys.modules, "pptx", None)  # import pptx raises ImportError
    result = invoke("deck", "--out", "lecture.pptx")
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0
    assert "pip install 'optviz[deck]'" in result.output and "Traceback" not in result.output
    assert renders == [] and not (lessons / "lecture.pptx").exists()


def _foreign_pptx(top: Path) -> None:
    (top / "lecture.pptx").write_text("my notes", encoding="utf-8")


def _foreign_folder(top: Path) -> None:
    (top / "lecture-figures").mkdir()
    (top / "lecture-figures" / "mine.png").write_bytes(b"x")


# (setup, arguments, words of the one-line error)
ERRORS = [
    (None, ["--out", "notes.txt"], "unknown suffix '.txt'"),
    (_foreign_pptx, ["--out", "lecture.pptx"], "is not a PowerPoint file"),
    (_foreign_folder, ["--out", "lecture.pptx"], "holds files optviz deck did not write"),
    (None, ["--out", "lecture.pptx", "--theme", "blue"], "theme"),
    (None, ["nowhere/", "--out", "lecture.pptx"], "no such config or folder"),
    (None, ["--out", "lecture.pptx", "--jobs", "0"], "--jobs 0"),
]


@pytest.mark.parametrize(("setup", "args", "words"), ERRORS)
def test_bad_input_is_one_line_and_exit_2_before_rendering(lessons, renders, setup, args, words):
    if setup is not None:
        setup(lessons)
    before = sorted(p.name for p in lessons.iterdir())
    result = invoke("deck", *args)
    assert result.exit_code == 2, result.output
    assert words in result.output and "Traceback" not in result.output
    assert renders == [] and sorted(p.name for p in lessons.iterdir()) == before
    if setup is _foreign_pptx:
        assert (lessons / "lecture.pptx").read_text() == "my notes"


def test_notes_write_a_figure_folder_outside_the_current_one_as_an_absolute_path(lessons, monkeypatch):
    monkeypatch.chdir(lessons / "configs")
    out = lessons / "talks" / "x.pptx"
    assert invoke("deck", "02-ravine.yaml", "--out", out).exit_code == 0
    (slide,) = figure_slides(out)
    folder = (lessons / "talks" / "x-figures").resolve().as_posix()
    assert f"optviz sweep 02-ravine.yaml --out-dir {folder}" in slide.notes_slide.notes_text_frame.text
