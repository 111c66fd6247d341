"""The Chinese gallery and deck (issue 18, part 3): ``optviz gallery --lang zh`` writes OUT/zh/ with
the configs' ``*_zh`` texts (English where a config has none) and commands that remake its
pictures byte for byte; ``optviz deck --lang zh`` has the Chinese lessons as slide titles and
reuses the current zh figures; ``--lang``/``--theme`` on ``optviz sweep``; terminal words in zh."""

from __future__ import annotations

import ast
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

import optviz
from optviz.cli import app
from optviz.gallery import MARKER, read_manifest, source_digest
from optviz.i18n import en, tr
from optviz.sweep import load

#: a lesson translated (with a Chinese picture title) and one that is not (English stays)
CONFIGS = {
    "01-square.yaml": """# Learning rate on x²: a large step explodes
lesson_zh: x² 上的学习率：步子太大会发散
description: Gradient descent on x² from 10.
description_zh: 从 10 出发在 x² 上做梯度下降。
title_zh: "梯度下降：学习率 {lr}"
fn: square
start: 10
steps: 4
opt: gd
lr: [0.05, 1.1]
render: {size: 320x180, panels: loss, title: "GD, lr {lr}"}
out: "{name}-lr{lr}.png"
""",
    "02-ravine.yaml": """# GD on the ravine zig-zags
description: One learning rate for two curvatures.
fn: ravine
steps: 3
opt: gd
lr: 0.4
render: {size: 320x180, frames: 3, fps: 4}
out: "{name}.gif"
""",
}
CJK = re.compile("[\u4e00-\u9fff]")


def invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture
def lessons(tmp_path, monkeypatch):
    """A checkout-like folder (configs/) as the current folder, its Chinese gallery rendered."""
    (tmp_path / "configs").mkdir()
    for name, text in CONFIGS.items():
        (tmp_path / "configs" / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = invoke("gallery", "--lang", "zh")
    assert result.exit_code == 0, result.output
    return tmp_path


def test_the_chinese_gallery_has_its_own_folder_and_a_chinese_readme(lessons):
    folder = lessons / "gallery" / "zh"
    assert sorted(p.name for p in (lessons / "gallery").iterdir()) == ["zh"]  # the English one is not touched
    assert sorted(p.name for p in folder.iterdir()) == [
        "01-square-lr0.05.png",
        "01-square-lr1.1.png",
        "02-ravine.gif",
        "README.md",
    ]
    readme = (folder / "README.md").read_text(encoding="utf-8")
    lines = readme.splitlines()
    assert lines[0] == MARKER and lines[1] == tr("gallery:heading", "zh")
    assert "`optviz gallery --lang zh`" in readme and "[`configs/`](../../configs)" in readme
    # the translated lesson in Chinese, the other in English (its fallback)
    assert "1. [x² 上的学习率：步子太大会发散](#square)" in lines
    assert "从 10 出发在 x² 上做梯度下降。" in lines and "Gradient descent on x² from 10." not in readme
    assert "2. [GD on the ravine zig-zags](#ravine)" in lines and "One learning rate for two curvatures." in lines
    for name in ("square", "ravine"):
        assert f"optviz sweep configs/0{1 + (name == 'ravine')}-{name}.yaml --out-dir gallery/zh --lang zh" in lines
    assert set(read_manifest(folder)) == {"01-square-lr0.05.png", "01-square-lr1.1.png", "02-ravine.gif"}


def test_each_command_of_the_chinese_readme_remakes_its_pictures_byte_for_byte(lessons):
    folder = lessons / "gallery" / "zh"
    before = {p.name: p.read_bytes() for p in folder.iterdir() if p.suffix != ".md"}
    readme = (folder / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"```bash\n(.*)\n```", readme)
    assert len(commands) == 2
    for path in before:
        (folder / path).unlink()
    for command in commands:
        words = shlex.split(command)
        assert words[0] == "optviz"
        result = invoke(*words[1:])
        assert result.exit_code == 0, result.output
    assert {name: (folder / name).read_bytes() for name in before} == before


def test_the_chinese_pictures_carry_the_chinese_title_and_differ_from_the_english(lessons):
    assert invoke("gallery").exit_code == 0
    for name in ("01-square-lr1.1.png", "02-ravine.gif"):
        assert (lessons / "gallery" / name).read_bytes() != (lessons / "gallery" / "zh" / name).read_bytes()
    zh = load(lessons / "configs" / "01-square.yaml", render={"lang": "zh"})
    english = load(lessons / "configs" / "01-square.yaml")
    assert [f.render["title"] for f in zh.figures] == ["梯度下降：学习率 0.05", "梯度下降：学习率 1.1"]
    assert [f.render["title"] for f in english.figures] == ["GD, lr 0.05", "GD, lr 1.1"]
    ravine = load(lessons / "configs" / "02-ravine.yaml", render={"lang": "zh"})
    assert "title" not in ravine.figures[0].render  # no title_zh, no English title: none


def test_labels_zh_are_the_legend_labels_of_the_chinese_pictures_only(tmp_path):
    text = (
        "fn: ravine\nopt: [gd, adam]\noverlay: opt\nout: a.png\n"
        "render: {labels: [plain, adaptive]}\nlabels_zh: [普通, 自适应]\n"
    )
    (tmp_path / "a.yaml").write_text(text, "utf-8")
    assert load(tmp_path / "a.yaml").figures[0].render["labels"] == ["plain", "adaptive"]
    assert load(tmp_path / "a.yaml", render={"lang": "zh"}).figures[0].render["labels"] == ["普通", "自适应"]
    (tmp_path / "b.yaml").write_text(text.replace("[普通, 自适应]", "普通"), "utf-8")
    result = invoke("sweep", tmp_path / "b.yaml", "--dry-run")
    assert result.exit_code == 2 and "b.yaml:6:" in result.output and "labels_zh" in result.output


@pytest.mark.parametrize("theme", [None, "dark"])
def test_digests_name_the_language_and_the_theme(lessons, theme):
    config = lessons / "configs" / "02-ravine.yaml"
    english, chinese = source_digest(config, theme), source_digest(config, theme, "zh")
    assert english != chinese
    assert source_digest(config, theme, None) == english
    assert read_manifest(lessons / "gallery" / "zh")["02-ravine.gif"]["source"] == source_digest(config, lang="zh")


def test_the_chinese_deck_has_the_chinese_lessons_and_reuses_the_chinese_gallery(lessons):
    pptx = pytest.importorskip("pptx")
    result = invoke("deck", "--lang", "zh", "--out", "zh.pptx")
    assert result.exit_code == 0, result.output
    assert "3 张取自" in " ".join(result.output.split()) and not (lessons / "zh-figures").exists()
    deck = pptx.Presentation("zh.pptx")
    first, *slides = deck.slides
    assert first.shapes.title.text == tr("deck:title", "zh")
    assert [s.shapes.title.text for s in slides] == [
        "x² 上的学习率：步子太大会发散 (lr 0.05)",
        "x² 上的学习率：步子太大会发散 (lr 1.1)",
        "GD on the ravine zig-zags",
    ]
    notes = [s.notes_slide.notes_text_frame.text for s in slides]
    assert notes[0].startswith("从 10 出发在 x² 上做梯度下降。") and notes[2].startswith("One learning rate")
    assert all("--out-dir gallery/zh --lang zh" in text for text in notes)
    picture = next(shape for shape in slides[1].shapes if shape.shape_type == 13)
    assert picture.image.blob == (lessons / "gallery" / "zh" / "01-square-lr1.1.png").read_bytes()
    # the Chinese title asks for a font with the characters (LibreOffice draws boxes without one)
    (run,) = slides[0].shapes.title.text_frame.paragraphs[0].runs
    ea = run._r.rPr.find("{http://schemas.openxmlformats.org/drawingml/2006/main}ea")
    assert ea is not None and ea.get("typeface") == "Noto Sans CJK SC"
    # an English deck does not take the Chinese figures
    result = invoke("deck", "--out", "en.pptx")
    assert result.exit_code == 0 and "0 reused from" in " ".join(result.output.split())


def test_a_dark_figure_of_the_deck_has_an_exact_command(lessons):
    assert invoke("deck", "--out", "dark.pptx", "--theme", "dark", "--lang", "zh").exit_code == 0
    pptx = pytest.importorskip("pptx")
    slide = list(pptx.Presentation("dark.pptx").slides)[3]
    command = slide.notes_slide.notes_text_frame.text.splitlines()[-1].split(": ", 1)[1]
    assert command == "optviz sweep configs/02-ravine.yaml --out-dir dark-figures --lang zh --theme dark"
    made = (lessons / "dark-figures" / "02-ravine.gif").read_bytes()
    assert invoke(*shlex.split(command)[1:]).exit_code == 0
    assert (lessons / "dark-figures" / "02-ravine.gif").read_bytes() == made


def test_sweep_lang_and_theme_are_the_render_keys_of_the_config(tmp_path):
    text = CONFIGS["01-square.yaml"]
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(text.replace("panels: loss,", "panels: loss, lang: zh, theme: dark,"), "utf-8")
    assert (
        invoke("sweep", tmp_path / "a.yaml", "--out-dir", tmp_path / "a", "--lang", "zh", "--theme", "dark").exit_code
        == 0
    )
    assert invoke("sweep", tmp_path / "b.yaml", "--out-dir", tmp_path / "b").exit_code == 0
    for name in ("a-lr0.05.png", "a-lr1.1.png"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name.replace("a-", "b-")).read_bytes()


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--lang", "fr"], "unknown language 'fr'"),
        (["--theme", "blue"], "unknown theme 'blue'"),
    ],
)
def test_sweep_refuses_a_bad_lang_or_theme_in_one_line(tmp_path, args, error):
    (tmp_path / "a.yaml").write_text(CONFIGS["02-ravine.yaml"], encoding="utf-8")
    result = invoke("sweep", tmp_path / "a.yaml", *args)
    assert result.exit_code == 2 and error in result.output and "Traceback" not in result.output


def test_a_broken_title_zh_is_blamed_on_its_line_when_drawn_in_chinese(tmp_path):
    (tmp_path / "a.yaml").write_text(CONFIGS["01-square.yaml"].replace('{lr}"\nfn', '{bogus}"\nfn'), "utf-8")
    assert invoke("sweep", tmp_path / "a.yaml", "--dry-run").exit_code == 0  # English: title_zh unused
    result = invoke("sweep", tmp_path / "a.yaml", "--dry-run", "--lang", "zh")
    assert result.exit_code == 2 and "a.yaml:5:" in result.output and "bogus" in result.output


# ------------------------------------------------------------------------------ terminal words

TERMINAL = [
    (["sweep", "{config}", "--dry-run"], ["col:output", "col:function", "col:runs", "col:steps"]),
    (["sweep", "{config}", "--out-dir", "{tmp}"], ["col:output", "col:run", "col:final loss", "col:diverged"]),
    (["list", "optimizers"], ["col:name", "col:default lr", "col:what it does"]),
    (["list", "schedules"], ["col:name", "col:what it does"]),
    (["list", "functions"], ["col:name", "col:formula"]),
    (["lr-scan", "--opt", "gd", "--steps", "5", "--lr", "0.01..1", "--num", "4"], []),
]


@pytest.mark.parametrize(
    ("args", "headers"), TERMINAL, ids=["dry-run", "sweep", "optimizers", "schedules", "functions", "lr-scan"]
)
def test_terminal_words_follow_lang(tmp_path, args, headers):
    (tmp_path / "a.yaml").write_text(CONFIGS["02-ravine.yaml"], encoding="utf-8")
    args = [a.format(config=tmp_path / "a.yaml", tmp=tmp_path) for a in args]
    english = CliRunner().invoke(app, args, terminal_width=200)
    chinese = CliRunner().invoke(app, [*args, "--lang", "zh"], terminal_width=200)
    assert english.exit_code == chinese.exit_code == 0, english.output + chinese.output
    assert not CJK.search(english.output) and CJK.search(chinese.output)
    for key in headers:
        assert tr(key, "en") in english.output and tr(key, "zh") in chinese.output
    numbers = re.compile(r"\d+\.\d+(?:e[-+]\d+)?")
    assert numbers.findall(english.output) == numbers.findall(chinese.output)  # the numbers stay


OWN = [Path(optviz.__file__).parent / name for name in ("gallery.py", "deck.py", "views/summary.py")] + [
    Path(optviz.__file__).parent / "cli" / name for name in ("batch.py", "deck.py", "catalog.py")
]


@pytest.mark.parametrize("path", OWN, ids=lambda p: p.name)
def test_every_word_these_modules_ask_for_is_in_the_catalogue(path):
    keys = [
        node.args[0].value
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", None) == "tr"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ]
    assert keys, f"{path.name} asks for no words"
    assert not [key for key in keys if key not in en.WORDS]
