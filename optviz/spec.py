"""Spec strings: ``"name(key=value, ...)"`` parsed into ``(name, kwargs)``, never evaluated.

The same small grammar serves functions (``ravine(angle=30)``), optimizers
(``adam(lr=0.1, betas=(0.8, 0.99), amsgrad=true)``) and schedules (``warmup(steps=5)+cosine``)::

    chain  := spec ('+' spec)*
    spec   := NAME ['(' [NAME '=' value (',' NAME '=' value)* [',']] ')']
    value  := NUMBER | true | false | none | inf | nan | NAME | STRING | '(' value (',' value)* [','] ')'
    STRING := "'" chars "'" | '"' chars '"'      (no escapes; the other quote may appear inside)

A quoted string is a ``str`` whatever it holds (``'none'`` stays the word, not ``None``); an option
that takes one of a few words checks it with :func:`choice`, which suggests the closest on a typo.

One exception: ``expr(FORMULA, key=value, ...)`` keeps its first argument, up to the first comma
or ``)`` outside brackets, as raw text under the key ``expression`` (read by
:mod:`optviz.functions.expr`, whose whitelist parser refuses anything but a formula).

Errors are :class:`~optviz.errors.SpecError` with the column where parsing stopped.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Iterable
from typing import Any

from optviz.errors import HyperparameterError, SpecError, UnknownNameError

__all__ = ["choice", "format_spec", "parse", "parse_assignment", "parse_chain", "parse_point", "parse_value"]

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<number>[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?(?![A-Za-z_\d]))
  | (?P<name>[+-]?[A-Za-z_][A-Za-z_0-9.\-]*)
  | (?P<string>'[^']*'|"[^"]*")
  | (?P<punct>[(),=+\[\]])
    """,
    re.VERBOSE,
)
_WORDS = {"true": True, "false": False, "none": None, "null": None}
_SIGNED_WORDS = {"inf": math.inf, "+inf": math.inf, "-inf": -math.inf, "nan": math.nan}
_CLOSE = {"(": ")", "[": "]"}
#: a spec is typed by hand; anything longer is a mistake, and its echo would flood the terminal
MAX_CHARS = 500
#: ``betas=(0.9, 0.999)`` is nested once; deeper nesting is a mistake (and Python's stack is finite)
MAX_DEPTH = 8
#: digits in one number: more is a typo (and Python refuses to read integers of over 4300 digits)
MAX_NUMBER_CHARS = 40
#: the spec whose first argument is raw text (a formula), kept as written under the key ``expression``
RAW_FIRST = "expr"


def _shown(value: Any) -> str:
    """``value`` for an error message, as its repr: whole if short, else its start and its length."""
    shown = repr(value)
    return shown if len(shown) <= 60 else f"{shown[:40]}... ({len(shown)} characters)"


def _raw_end(text: str, pos: int) -> int:
    """Where the raw first argument that starts at ``pos`` ends: at the first ``,`` or ``)`` outside
    brackets (and outside quotes). It is text, read by the function that takes it, never evaluated."""
    depth, quote = 0, ""
    for i in range(pos, len(text)):
        char = text[i]
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}" and depth:
            depth -= 1
        elif char in ",)":
            return i
    raise SpecError(f"cannot read {_shown(text)}: the '(' at column {pos} is never closed; end the spec with ')'")


def _tokenize(text: str) -> list[tuple[str, Any, int]]:
    tokens: list[tuple[str, Any, int]] = []
    pos = 0
    while pos < len(text):
        if len(tokens) == 2 and tokens[0][:2] == ("name", RAW_FIRST) and tokens[1][0] == "(":
            end = _raw_end(text, pos)  # expr(x**2 + 10*y**2, ...): the formula is one raw token
            tokens.append(("raw", text[pos:end], pos))
            pos = end
            continue
        match = _TOKEN.match(text, pos)
        if match is None and text[pos] in "'\"":
            raise SpecError(
                f"cannot read {_shown(text)}: the quote {text[pos]} at column {pos + 1} is never closed; "
                f"close it, e.g. mode={text[pos]}triangular2{text[pos]}"
            )
        if match is None:
            raise SpecError(
                f"cannot read {_shown(text)}: unexpected {text[pos]!r} at column {pos + 1}; write name(key=value, ...)"
            )
        kind = match.lastgroup
        raw = match.group()
        if kind == "number":
            if len(raw) > MAX_NUMBER_CHARS:
                raise SpecError(
                    f"cannot read {_shown(text)}: the number at column {pos + 1} has over {MAX_NUMBER_CHARS} characters; "
                    "write it in e-notation, e.g. 1e-300"
                )
            value: Any = int(raw) if re.fullmatch(r"[+-]?\d+", raw) else float(raw)
            tokens.append(("value", value, pos))
        elif kind == "name":
            tokens.append(("name", raw, pos))
        elif kind == "string":
            tokens.append(("value", raw[1:-1], pos))  # a str value, never a keyword or a word
        elif kind == "punct":
            tokens.append((raw, raw, pos))
        pos = match.end()
    tokens.append(("end", None, len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str):
        if not isinstance(text, str):
            raise SpecError(f"a spec is text such as 'adam' or 'ravine(angle=30)'; got {type(text).__name__}")
        if len(text) > MAX_CHARS:
            raise SpecError(f"cannot read {_shown(text)}: a spec has at most {MAX_CHARS} characters")
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0

    @property
    def peek(self) -> tuple[str, Any, int]:
        return self.tokens[self.i]

    def fail(self, expected: str) -> SpecError:
        kind, raw, pos = self.peek
        found = "the end" if kind == "end" else repr(str(raw))
        return SpecError(
            f"cannot read {_shown(self.text)}: expected {expected} at column {pos + 1}, found {found}; "
            "write name(key=value, ...)"
        )

    def take(self, kind: str) -> Any:
        if self.peek[0] != kind:
            raise self.fail(repr(kind) if kind in "(),=+[]" else f"a {kind}")
        token = self.tokens[self.i]
        self.i += 1
        return token[1]

    def spec(self) -> tuple[str, dict[str, Any]]:
        if self.peek[0] != "name" or self.peek[1][0] in "+-":
            raise self.fail("a name")
        name = self.take("name")
        kwargs: dict[str, Any] = {}
        if self.peek[0] == "(":
            self.take("(")
            if self.peek[0] == "raw":  # expr(FORMULA, key=value, ...)
                kwargs["expression"] = self.take("raw").strip()
                if self.peek[0] == ",":
                    self.take(",")
            while self.peek[0] != ")":
                key_pos = self.peek[2]
                if self.peek[0] != "name":
                    raise self.fail("key=value (keyword arguments only)")
                key = self.take("name")
                if self.peek[0] != "=":
                    raise self.fail(f"'=' after {key!r}")
                self.take("=")
                if key in kwargs:
                    raise SpecError(
                        f"cannot read {_shown(self.text)}: {key!r} is given twice (column {key_pos + 1}); give each key once"
                    )
                kwargs[key] = self.value()
                if self.peek[0] == ",":
                    self.take(",")
                elif self.peek[0] != ")":
                    raise self.fail("',' or ')'")
            self.take(")")
        return name, kwargs

    def value(self, depth: int = 0) -> Any:
        kind, raw, pos = self.peek
        if kind == "value":
            self.i += 1
            return raw
        if kind == "name":
            self.i += 1
            lowered = raw.lower()
            if lowered in _WORDS:
                return _WORDS[lowered]
            if lowered in _SIGNED_WORDS:
                return _SIGNED_WORDS[lowered]
            if raw[0] in "+-":
                raise SpecError(f"cannot read {_shown(self.text)}: {raw!r} is not a number")
            return raw
        if kind in _CLOSE:
            if depth >= MAX_DEPTH:
                raise SpecError(
                    f"cannot read {_shown(self.text)}: values are nested over {MAX_DEPTH} levels deep at column {pos + 1}"
                )
            self.i += 1
            items = []
            while self.peek[0] != _CLOSE[kind]:
                items.append(self.value(depth + 1))
                if self.peek[0] == ",":
                    self.take(",")
                elif self.peek[0] != _CLOSE[kind]:
                    raise self.fail(f"',' or {_CLOSE[kind]!r}")
            self.take(_CLOSE[kind])
            return tuple(items)
        raise self.fail("a value")

    def end(self) -> None:
        if self.peek[0] != "end":
            raise self.fail("the end of the spec")


def parse(text: str) -> tuple[str, dict[str, Any]]:
    """Parse ``"name(key=value, ...)"`` into ``(name, kwargs)``.

    Examples:
        >>> parse("adam(lr=0.1, betas=(0.8, 0.99), amsgrad=true)")
        ('adam', {'lr': 0.1, 'betas': (0.8, 0.99), 'amsgrad': True})
        >>> parse("ravine")
        ('ravine', {})
    """
    if not isinstance(text, str) or not text.strip():
        raise SpecError(f"empty spec {text!r}: give a name such as 'adam' or 'ravine(angle=30)'")
    parser = _Parser(text)
    result = parser.spec()
    parser.end()
    return result


def parse_chain(text: str) -> list[tuple[str, dict[str, Any]]]:
    """Parse specs joined by ``+`` (``"warmup(steps=5)+cosine"``) into a list of ``(name, kwargs)``."""
    if not isinstance(text, str) or not text.strip():
        raise SpecError(f"empty spec {text!r}: give a name such as 'cosine' or 'warmup(steps=5)+cosine'")
    parser = _Parser(text)
    chain = [parser.spec()]
    while parser.peek[0] == "+" or (parser.peek[0] == "name" and parser.peek[1].startswith("+")):
        if parser.peek[0] == "+":
            parser.take("+")
        else:  # the tokenizer reads "+cosine" as one name
            kind, raw, pos = parser.peek
            parser.tokens[parser.i] = (kind, raw[1:], pos + 1)
        chain.append(parser.spec())
    parser.end()
    return chain


def parse_value(text: str) -> Any:
    """Parse one value as written after ``-p NAME=``: ``0.1``, ``true``, ``0.8,0.99`` or ``(0.8, 0.99)``."""
    parser = _Parser(f"({text})")
    items = parser.value()
    parser.end()
    if len(items) == 0:
        raise SpecError(f"empty value {text!r}: give a number, true/false or a list like 0.8,0.99")
    return items[0] if len(items) == 1 else items


def parse_assignment(text: str) -> tuple[str, Any]:
    """Parse ``NAME=VALUE`` (``-p betas=0.8,0.99``) into ``(name, value)``."""
    if not isinstance(text, str):
        raise SpecError(f"write NAME=VALUE, for example momentum=0.9; got {text!r}")
    name, sep, raw = text.partition("=")
    name = name.strip()
    if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z_0-9.]*", name):
        raise SpecError(f"cannot read {_shown(text)}: write NAME=VALUE, for example momentum=0.9")
    return name, parse_value(raw)


def parse_point(text: str | tuple | list, dim: int | None = None) -> tuple[float, ...]:
    """Parse a start point ``"-5,-2"`` (or ``"(-5, -2)"``, or a sequence) into floats.

    Raises :class:`SpecError` if it is not a list of finite numbers of length ``dim``.
    """
    if isinstance(text, str):
        stripped = text.strip()
        if stripped[:1] in "([":
            stripped = stripped[1:-1] if stripped[-1:] in ")]" else stripped[1:]
        try:
            items = parse_value(stripped) if stripped else ()
        except SpecError:
            raise SpecError(
                f"cannot read start point {_shown(text)}: write numbers separated by commas, e.g. --start=-5,-2"
            ) from None
        items = items if isinstance(items, tuple) else (items,)
    else:
        items = tuple(text) if hasattr(text, "__iter__") else (text,)
    bad = [v for v in items if isinstance(v, bool) or not isinstance(v, numbers.Real)]
    if bad:
        raise SpecError(
            f"cannot read start point {_shown(text)}: write numbers separated by commas, e.g. --start=-5,-2"
        )
    point = tuple(float(v) for v in items)
    if not point or not all(math.isfinite(v) for v in point):
        raise SpecError(f"start point {_shown(text)} must be finite numbers, e.g. --start=-5,-2")
    if dim is not None and len(point) != dim:
        example = "--start=3" if dim == 1 else "--start=" + ",".join(["1"] * dim)
        raise SpecError(
            f"start point {_shown(text)} has {len(point)} coordinates but the function is {dim}-D; e.g. {example}"
        )
    return point


def format_spec(name: str, kwargs: dict[str, Any]) -> str:
    """The inverse of :func:`parse`: ``format_spec('adam', {'lr': 0.1})`` -> ``'adam(lr=0.1)'``."""
    if not kwargs:
        return name

    def fmt(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (tuple, list)):
            return "(" + ", ".join(fmt(x) for x in v) + ")"
        if isinstance(v, float):
            return repr(v)  # round-trips exactly
        if isinstance(v, str) and not _plain_word(v):
            return f'"{v}"' if "'" in v else f"'{v}'"  # quoted only where a bare word would not read back
        return str(v)

    return f"{name}(" + ", ".join(f"{k}={fmt(v)}" for k, v in kwargs.items()) + ")"


def _plain_word(text: str) -> bool:
    """Whether ``text`` reads back as itself when written bare: a name, not a word like ``none``."""
    return (
        re.fullmatch(r"[A-Za-z_][A-Za-z_0-9.\-]*", text) is not None
        and text.lower() not in _WORDS
        and text.lower() not in _SIGNED_WORDS
    )


def choice(owner: str, key: str, value: Any, allowed: Iterable[str | None]) -> str | None:
    """An option that takes one of a few words: ``value`` checked against ``allowed``.

    A stepper or schedule factory declares the words with it, e.g.
    ``mode = choice("cyclic", "mode", mode, ("triangular", "triangular2", "exp_range"))``; ``None``
    in ``allowed`` admits ``none`` (torch's ``line_search_fn=None``). The value may be written bare
    (``mode=triangular2``) or quoted (``mode='triangular2'``, ``mode="triangular2"``).

    Raises:
        UnknownNameError: a word not in ``allowed``, with the closest as a did-you-mean:
            ``unknown cyclic mode 'triangle2': did you mean 'triangular2'? valid: ...``.
        HyperparameterError: a value that is not a word (a number, true/false).

    Examples:
        >>> choice("lbfgs", "line_search_fn", "strong_wolfe", (None, "strong_wolfe"))
        'strong_wolfe'
    """
    allowed = tuple(allowed)
    if value is None and None in allowed:
        return None
    words = [word for word in allowed if word is not None]
    if isinstance(value, str) and value in words:
        return value
    shown = [*words, "none"] if None in allowed else words
    if isinstance(value, str):
        raise UnknownNameError(f"{owner} {key}", value, shown)
    raise HyperparameterError(f"{owner}: {key}={value!r} must be one of {', '.join(shown)}, e.g. {key}='{words[0]}'")
