"""Rendered files are reproducible: the gallery regenerates byte for byte, and no picture carries a
date, a version string, a random id or a font found on this machine."""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pytest
from matplotlib.font_manager import FontProperties, findfont
from PIL import Image, ImageSequence
from typer.testing import CliRunner

import optviz
from optviz.cli import app
from optviz.gallery import MADE_WITH, MADE_WITH_FONTS
from optviz.i18n import LANGS
from optviz.render import render
from optviz.render.fonts import language_fonts
from optviz.render.reproducible import library_versions, rc_context

ROOT = Path(__file__).parent.parent
#: the versions pip pins through the test extra; zlib comes from the system, which pip cannot pin, so
#: a different one does not skip the check, it only shows up in the failure message
REQUIRED = ("matplotlib", "freetype", "numpy", "pillow")


def require_gallery_versions(langs: tuple[str, ...] = ()) -> None:
    """Skip (fail under CI) unless this environment has the versions the gallery was made with, and
    the fonts that drew its translated folders (``langs``)."""
    here = library_versions()
    differ = [
        f"{name} {here[name]} here, {MADE_WITH[name]} in gallery/" for name in REQUIRED if here[name] != MADE_WITH[name]
    ]
    differ += [
        f"gallery/{lang}/ was drawn with {MADE_WITH_FONTS[lang]!r}, here {language_fonts(lang) or 'no such font'!r} "
        "(.ci/run installs Debian's fonts-noto-cjk)"
        for lang in langs
        if language_fonts(lang) != MADE_WITH_FONTS[lang]
    ]
    if not differ:
        return
    reason = (
        f"cannot compare the gallery byte for byte with other versions than it was made with: {'; '.join(differ)} "
        "(pip install -e '.[test]' installs the gallery's)"
    )
    if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        pytest.fail(reason)
    pytest.skip(reason)


def test_the_gallery_regenerates_byte_for_byte(tmp_path):
    require_gallery_versions(tuple(lang for lang in LANGS if lang != "en" and (ROOT / "gallery" / lang).is_dir()))
    # the gallery's README is written relative to the folder holding the gallery, so rendering a
    # copy of the checkout's layout (configs/ beside gallery/) must reproduce every byte of it too;
    # each language of the gallery that is committed (gallery/zh/) is rendered and compared too
    shutil.copytree(ROOT / "configs", tmp_path / "configs")
    rendered = tmp_path / "gallery"
    langs = ["en", *(lang for lang in LANGS if lang != "en" and (ROOT / "gallery" / lang).is_dir())]
    for lang in langs:
        result = CliRunner().invoke(
            app,
            ["gallery", "--configs", str(tmp_path / "configs"), "--out", str(rendered), "--jobs", "2", "--lang", lang],
        )
        assert result.exit_code == 0, result.output
    problems = compare_folders(ROOT / "gallery", rendered)
    assert not problems, (
        "optviz gallery --out TMP does not reproduce gallery/ (regenerate it with "
        f"`{' && '.join('optviz gallery --jobs 2' + ('' if lang == 'en' else f' --lang {lang}') for lang in langs)}` "
        "if the change is intended):\n  "
        + "\n  ".join(problems)
        + f"\nlibraries here: {library_versions()}; gallery made with: {MADE_WITH}"
    )


def compare_folders(committed: Path, rendered: Path, prefix: str = "") -> list[str]:
    """One line per file that is missing, extra or different, saying how it differs; a folder in
    both (a language's gallery, ``zh/``) is compared file by file."""
    names = {p.name for p in committed.iterdir()}
    new_names = {p.name for p in rendered.iterdir()}
    problems = [f"{prefix}{name}: committed but not rendered" for name in sorted(names - new_names)]
    problems += [f"{prefix}{name}: rendered but not committed" for name in sorted(new_names - names)]
    for name in sorted(names & new_names):
        old, new = committed / name, rendered / name
        if old.is_dir() or new.is_dir():
            if old.is_dir() and new.is_dir():
                problems += compare_folders(old, new, f"{prefix}{name}/")
            else:
                problems.append(f"{prefix}{name}: a folder in one, a file in the other")
        elif old.read_bytes() != new.read_bytes():
            problems.append(f"{prefix}{name}: {describe_difference(old, new)}")
    return problems


def describe_difference(old: Path, new: Path) -> str:
    """How two versions of a file differ: pixels for pictures, the first changed lines for text."""
    if old.suffix in (".png", ".gif"):
        return pixel_difference(frames(old), frames(new))
    if old.suffix == ".md":
        diff = difflib.unified_diff(
            old.read_text("utf-8").splitlines(), new.read_text("utf-8").splitlines(), lineterm="", n=0
        )
        return "text differs:\n    " + "\n    ".join(list(diff)[2:8])
    return f"bytes differ ({old.stat().st_size} committed, {new.stat().st_size} rendered)"


def frames(path: Path) -> np.ndarray:
    """(frames, H, W, 4) RGBA pixels of a PNG or of every frame of a GIF, as a viewer shows them."""
    with Image.open(path) as image:
        return np.stack([np.asarray(frame.convert("RGBA")) for frame in ImageSequence.Iterator(image)])


def pixel_difference(old: np.ndarray, new: np.ndarray) -> str:
    """E.g. ``1234 of 921600 pixels differ (2 frames), 21 frames committed, 20 rendered``."""
    if old.shape[1:] != new.shape[1:]:
        return f"size {old.shape[2]}x{old.shape[1]} committed, {new.shape[2]}x{new.shape[1]} rendered"
    shared = min(len(old), len(new))
    differing = (old[:shared] != new[:shared]).any(axis=-1)
    count = int(differing.sum())
    words = f"{count} of {differing.size} pixels differ"
    if len(old) > 1 or len(new) > 1:
        words += f" (in {int(differing.any(axis=(1, 2)).sum())} of {shared} frames compared)"
    if len(old) != len(new):
        words += f"; {len(old)} frames committed, {len(new)} rendered"
    elif count == 0:
        words += ": same pixels, other bytes (metadata or compression)"
    return words


def test_the_folder_comparison_goes_into_a_languages_folder(tmp_path):
    committed, rendered = tmp_path / "committed", tmp_path / "rendered"
    for top in (committed, rendered):
        (top / "zh").mkdir(parents=True)
        (top / "README.md").write_text("same")
    (committed / "zh" / "README.md").write_text("中文\n")
    (rendered / "zh" / "README.md").write_text("中文!\n")
    (committed / "zh" / "a.svg").write_text("x")
    (rendered / "b.svg").write_text("x")
    assert compare_folders(committed, rendered) == [
        "b.svg: rendered but not committed",
        "zh/a.svg: committed but not rendered",
        "zh/README.md: text differs:\n    @@ -1 +1 @@\n    -中文\n    +中文!",
    ]
    assert compare_folders(committed, committed) == []


def test_the_difference_report_counts_pixels_and_frames():
    old = np.zeros((3, 4, 5, 4), dtype=np.uint8)
    new = old[:2].copy()
    new[1, 0, :2] = 7
    assert pixel_difference(old, new) == (
        "2 of 40 pixels differ (in 1 of 2 frames compared); 3 frames committed, 2 rendered"
    )
    assert (
        pixel_difference(old[:1], old[:1])
        == "0 of 20 pixels differ: same pixels, other bytes (metadata or compression)"
    )
    assert pixel_difference(old, old[:, :2]) == "size 5x4 committed, 5x2 rendered"


def test_the_recorded_versions_name_every_library_that_decides_the_bytes():
    assert MADE_WITH.keys() == library_versions().keys()
    readme = (ROOT / "README.md").read_text()
    for name, version in MADE_WITH.items():
        assert version in readme, f"README.md's gallery section should say {name} {version}"


# ------------------------------------------------------------------------- pictures of any render


@pytest.fixture(scope="module")
def runs():
    return [optviz.run("ravine", opt, lr=0.4, steps=8) for opt in ("gd", "adam")]


def draw(runs, path: Path) -> bytes:
    render(runs, "ravine", path, size="320x180", frames=5, panels="loss,lr")
    return path.read_bytes()


@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf", ".gif"])
def test_the_same_render_twice_gives_the_same_bytes(runs, tmp_path, suffix):
    assert draw(runs, tmp_path / f"a{suffix}") == draw(runs, tmp_path / f"b{suffix}")


def test_no_date_or_version_in_the_metadata(runs, tmp_path):
    draw(runs, tmp_path / "p.png")
    with Image.open(tmp_path / "p.png") as png:
        assert png.text == {"Software": "optviz"}
    svg = draw(runs, tmp_path / "p.svg").decode()
    pdf = draw(runs, tmp_path / "p.pdf")
    assert "<dc:date>" not in svg and b"/CreationDate" not in pdf and b"/Producer" not in pdf
    for text in (svg.encode(), pdf):
        assert mpl.__version__.encode() not in text


def test_a_users_matplotlib_settings_do_not_reach_the_picture(runs, tmp_path, monkeypatch):
    before = draw(runs, tmp_path / "plain.png")
    for key, value in {"font.family": "serif", "lines.linewidth": 5, "axes.grid": True, "svg.hashsalt": None}.items():
        monkeypatch.setitem(mpl.rcParams, key, value)
    assert draw(runs, tmp_path / "styled.png") == before


@pytest.mark.parametrize("style", [{}, {"weight": "bold"}, {"style": "italic"}, {"style": "italic", "weight": "bold"}])
def test_text_uses_only_the_fonts_inside_matplotlib(style):
    bundled = Path(mpl.get_data_path()) / "fonts"
    with rc_context({}):
        assert mpl.rcParams["font.family"] == ["DejaVu Sans"]  # one family: no system fonts as fallbacks
        font = Path(findfont(FontProperties(**style), fallback_to_default=False))
    assert bundled in font.parents and font.name.startswith("DejaVuSans")
