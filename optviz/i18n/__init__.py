"""The words optviz writes itself, per language: ``tr("step", "zh")`` -> ``"步"``.

Each language is one module here holding ``WORDS``, a plain mapping from a key to its text
(``str.format`` fields such as ``{k}`` stay as they are). :mod:`optviz.i18n.en` is the list of
every built-in word and the fallback for a key a language lacks; a test fails when a shipped
language lacks one. Function and optimizer names (``adam``, ``ravine``) are never translated.
Adding Japanese is one file, ``ja.py``, and its name in :data:`LANGS`.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Mapping
from typing import Any

from optviz.errors import UnknownNameError

__all__ = ["LANGS", "check_lang", "tr", "word", "words"]

#: the shipped languages: English (the fallback) and Simplified Chinese
LANGS = ("en", "zh")


@functools.cache
def _catalogue(lang: str) -> Mapping[str, str]:
    return importlib.import_module(f"optviz.i18n.{lang}").WORDS


def check_lang(value: Any) -> str:
    """A language code of :data:`LANGS` (``"zh-CN"``, ``"ZH"`` -> ``"zh"``; ``None`` -> ``"en"``)."""
    if value is None:
        return "en"
    code = str(value).strip().lower().replace("_", "-").split("-")[0]
    if code not in LANGS:
        raise UnknownNameError("language", str(value), LANGS)
    return code


def words(lang: str = "en") -> dict[str, str]:
    """Every built-in word in ``lang``, English where it has no entry."""
    return {**_catalogue("en"), **_catalogue(check_lang(lang))}


def tr(key: str, lang: str = "en", **fields: Any) -> str:
    """The word ``key`` in ``lang`` (English if it has no entry), with ``fields`` filled in."""
    text = _catalogue(check_lang(lang)).get(key)
    if text is None:
        text = _catalogue("en")[key]
    return text.format(**fields) if fields else text


def word(text: str, lang: str = "en") -> str:
    """``text`` in ``lang`` if it is a built-in word (a key of the English catalogue), else as is
    (a formula such as ``$\\|\\nabla f\\|$``)."""
    return tr(text, lang) if text in _catalogue("en") else text
