"""What keeps a rendered file the same, byte for byte, on every run and every machine.

Given the same library versions (:func:`library_versions`), optviz writes identical files because
nothing outside the call can reach them:

- **rc settings**: matplotlib's built-in defaults, not the user's ``matplotlibrc`` or style, then
  the theme; a user's ``font.family: serif`` would otherwise move every label.
- **fonts**: only the DejaVu Sans that ships inside matplotlib (plus, for text it has no glyphs
  for, the fallback fonts :mod:`optviz.render.fonts` names: pictures without such text are untouched). The default family ``sans-serif``
  expands to a list (DejaVu Sans, Bitstream Vera Sans, ..., Arial, Helvetica) whose fonts
  installed on the machine join the glyph fallback chain; naming the one family leaves the
  bundled files, which the font manager lists before any system font, as the only candidates.
- **metadata**: no date and no version string (matplotlib's defaults are the current time and
  ``Matplotlib v3.x.y``).
- **SVG ids**: hashed with a fixed salt instead of a random one per file.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import matplotlib as mpl

__all__ = ["FALLBACK_RC", "PINNED_RC", "library_versions", "rc_context", "savefig_options"]

#: rc settings on top of the theme's that make files reproducible (see the module docstring)
PINNED_RC: dict[str, Any] = {
    "font.family": ["DejaVu Sans"],
    "svg.hashsalt": "optviz",
}

#: with a fallback font (CJK text): SVG text as paths, since a viewer without that font would
#: draw boxes; PDF glyphs as Type 3 procedures, since Type 42 cannot carry the CFF outlines of
#: Noto Sans CJK / Source Han Sans (poppler: "Mismatch between font type and embedded font file")
FALLBACK_RC: dict[str, Any] = {"svg.fonttype": "path", "pdf.fonttype": 3}

#: savefig keywords per format. A metadata value of None drops the key; "optviz" replaces the
#: versioned creator strings. PNG compression is spelled out so a default change cannot move bytes.
_SAVEFIG_OPTIONS: dict[str, dict[str, Any]] = {
    "png": {"metadata": {"Software": "optviz"}, "pil_kwargs": {"compress_level": 6, "optimize": False}},
    "svg": {"metadata": {"Creator": "optviz", "Date": None}},
    "pdf": {"metadata": {"Creator": "optviz", "Producer": None, "CreationDate": None}},
}


@contextmanager
def rc_context(look: dict[str, Any], family: Sequence[str] | None = None) -> Iterator[None]:
    """matplotlib's own defaults, then ``look`` (a theme's rc settings), then :data:`PINNED_RC`, for
    the duration of a render. ``family``: the font list from :func:`optviz.render.fonts.family_for`
    (DejaVu Sans, then fonts for the characters it lacks), which reports missing glyphs itself, so
    matplotlib's per-glyph warnings are silenced."""
    pinned = {**PINNED_RC, "font.family": list(family)} if family else PINNED_RC
    if family and len(family) > 1:
        pinned = {**pinned, **FALLBACK_RC}
    mathtext = logging.getLogger("matplotlib.mathtext")
    with mpl.rc_context(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font")
        mathtext.addFilter(_no_glyph_logs)
        try:
            mpl.rcdefaults()
            mpl.rcParams.update({**look, **pinned})
            yield
        finally:
            mathtext.removeFilter(_no_glyph_logs)


def _no_glyph_logs(record: logging.LogRecord) -> bool:
    """mathtext's "Font ... does not have a glyph" lines: :mod:`optviz.render.fonts` reports those."""
    return "does not have a glyph" not in record.getMessage()


def savefig_options(fmt: str) -> dict[str, Any]:
    """Keywords for ``Figure.savefig(..., format=fmt)`` that keep the file free of dates and versions."""
    return {key: dict(value) for key, value in _SAVEFIG_OPTIONS[fmt].items()}


def library_versions() -> dict[str, str]:
    """The versions that decide a rendered file's bytes: the drawing (matplotlib and its FreeType,
    which rasterises text), the numbers (numpy) and the encoders (Pillow and its zlib)."""
    import numpy as np
    import PIL
    from matplotlib import ft2font
    from PIL import features

    return {
        "matplotlib": mpl.__version__,
        "freetype": ft2font.__freetype_version__,
        "numpy": np.__version__,
        "pillow": PIL.__version__,
        "zlib": str(features.version("zlib")),
    }
