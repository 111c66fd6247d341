"""Text in any script: CJK titles draw real glyphs (not .notdef boxes) through the fallback font,
a missing font is one warning line and the file is still written, SVG and PDF carry the glyphs,
and English pictures do not change."""

from __future__ import annotations

import shutil
import subprocess
import warnings

import numpy as np
import pytest
from matplotlib import font_manager
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.font_manager import FontProperties

import optviz
from optviz.render import fonts, render
from optviz.render.reproducible import rc_context

TITLE = "梯度下降：学习率 0.4"
CJK = "梯度下降学习率"


def _cjk_family() -> list[str]:
    family = fonts.family_for([TITLE])
    if len(family) < 2:
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk; .ci/run does)")
    return family


@pytest.fixture
def no_cjk_font(monkeypatch):
    """As on a machine without any CJK font: the font search finds nothing."""
    monkeypatch.setattr(fonts, "_candidates", lambda font: [])
    fonts._warned().clear()
    yield
    fonts._warned().clear()


def _runs():
    return [optviz.run("ravine", "gd", lr=0.4, steps=5)]


def _glyph_pixels(char: str, family: list[str]) -> np.ndarray:
    """The coverage of ``char`` drawn alone in ``family`` (as matplotlib's Agg renderer draws it)."""
    with rc_context({}, family):
        cell = RendererAgg(60, 60, 100)
        cell.draw_text(cell.new_gc(), 10, 40, char, FontProperties(size=24), 0)
        return np.asarray(cell.buffer_rgba())[..., 3].copy()


@pytest.mark.parametrize("char", list(CJK))
def test_each_cjk_character_has_a_real_glyph_in_the_chosen_font(char):
    family = _cjk_family()
    assert family[0] == fonts.BASE_FONT  # Latin keeps DejaVu Sans
    owner = next(name for name in family if ord(char) in fonts._charset(name))
    path = font_manager.findfont(FontProperties(family=owner), fallback_to_default=False)
    assert font_manager.get_font(path).get_char_index(ord(char)) != 0  # not .notdef
    # and what is drawn is not the box DejaVu Sans draws for a character it lacks
    tofu = _glyph_pixels(char, [fonts.BASE_FONT])
    drawn = _glyph_pixels(char, family)
    assert drawn.any()
    assert not np.array_equal(drawn, tofu)


def test_a_cjk_title_changes_the_picture_from_the_tofu_one(tmp_path, no_cjk_font, monkeypatch):
    with pytest.warns(fonts.FontWarning):
        boxes = render(_runs(), "ravine", tmp_path / "boxes.png", size="400x225", title=TITLE)
    monkeypatch.undo()
    _cjk_family()
    real = render(_runs(), "ravine", tmp_path / "real.png", size="400x225", title=TITLE)
    assert boxes.read_bytes() != real.read_bytes()


def test_latin_text_keeps_dejavu_alone():
    """Only text DejaVu Sans lacks brings in another font: English pictures keep their bytes."""
    assert fonts.family_for(["ravine: f(x1, x2) = 0.1x1² + 2x2²", "loss − f*", "ρ ≤ 1 · ∇f", None]) == ["DejaVu Sans"]
    assert fonts.missing_chars(["step 3 / 10", "$\\|\\nabla f\\|$"]) == ""


def test_latin_picture_is_byte_identical_with_an_unused_font_option(tmp_path):
    _cjk_family()
    plain = render(_runs(), "ravine", tmp_path / "a.png", size="400x225")
    named = render(_runs(), "ravine", tmp_path / "b.png", size="400x225", font="Noto Sans CJK SC")
    assert plain.read_bytes() == named.read_bytes()


def test_no_cjk_font_one_warning_and_the_file_is_written(tmp_path, no_cjk_font):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = render(_runs(), "ravine", tmp_path / "t.png", size="400x225", title=TITLE)
    assert out.exists() and out.stat().st_size > 0
    messages = [str(w.message) for w in caught]
    ours = [m for m in messages if issubclass(caught[messages.index(m)].category, fonts.FontWarning)]
    assert len(ours) == 1, messages
    assert "\n" not in ours[0]
    assert all(c in ours[0] for c in "下习学度梯率降")
    assert "apt-get install fonts-noto-cjk" in ours[0] and "--font" in ours[0]
    assert not [m for m in messages if "missing from font" in m]  # matplotlib's per-glyph lines silenced


def test_cli_no_cjk_font_prints_one_line(tmp_path, no_cjk_font, capsys):
    from optviz.cli import main

    out = tmp_path / "t.png"
    code = main(["run", "--steps", "3", "--size", "320x180", "--title", TITLE, "--out", str(out)])
    assert code in (0, None)
    assert out.exists()
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1 and err[0].startswith("warning:") and "fonts-noto-cjk" in err[0]


def test_an_unknown_font_is_a_one_line_error(tmp_path):
    with pytest.raises(optviz.errors.OutputError, match="not installed"):
        render(_runs(), "ravine", tmp_path / "t.png", size="400x225", font="No Such Font 123")


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="pdffonts (poppler-utils) is not installed")
def test_pdf_embeds_the_cjk_font(tmp_path):
    family = _cjk_family()
    out = render(_runs(), "ravine", tmp_path / "t.pdf", size="400x225", title=TITLE)
    listing = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True)
    assert "Syntax" not in listing.stderr, listing.stderr
    font = font_manager.get_font(font_manager.findfont(FontProperties(family=family[1]), fallback_to_default=False))
    cjk_rows = [row for row in listing.stdout.splitlines() if f"+{font.postscript_name}" in row]
    assert cjk_rows, listing.stdout
    assert all(row.split()[-5] == "yes" for row in cjk_rows)  # the emb column
    if shutil.which("pdftotext"):  # and the text maps back to the characters
        text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
        assert all(c in text for c in CJK), text


def test_svg_draws_the_text_as_paths_of_real_glyphs(tmp_path):
    family = _cjk_family()
    out = render(_runs(), "ravine", tmp_path / "t.svg", size="400x225", title=TITLE)
    svg = out.read_text()
    assert "<text" not in svg  # the text is paths: no font needed to show it
    font = font_manager.get_font(font_manager.findfont(FontProperties(family=family[1]), fallback_to_default=False))
    for char in CJK:  # each glyph's path is named after its font and glyph id: not .notdef (0)
        glyph = font.get_char_index(ord(char))
        assert glyph != 0
        assert f'id="{font.postscript_name}-{glyph:x}"' in svg, char


def test_wrap_counts_wide_characters_twice():
    import textwrap

    latin = "fastest: lr 0.668, beta 0.40 and a few more words"
    assert fonts.wrap(latin, 16) == textwrap.wrap(latin, 16)
    lines = fonts.wrap("越浅：步数越多 (最浅 499)；到达：最终距离在 0.01 以内", 20)
    assert len(lines) > 1
    assert all(sum(2 if fonts._wide(c) else 1 for c in line) <= 20 for line in lines)
    assert fonts.wrap("a (L\u00a0=\u00a04) 学", 6)[-2:] != ["(L", "= 4)"]
