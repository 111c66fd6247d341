"""Option values converted without pydantic where the conversion is plain.

typer 0.29 converts every option's value (even an absent one) through a pydantic ``TypeAdapter``
built for it: importing pydantic and building some 40 adapters cost an ``optviz run`` about 80 ms
before anything is computed. optviz's options are plain ``str``, ``bool``, ``int``, ``float``,
``Path`` and lists of them, whose conversions are simple: :func:`install` gives each such parameter a
converter that does them directly, and hands every value it does not recognise (``1_000``,
``nan``, `` 12``, ``abc``) to typer's own pydantic converter, built only then, so that results
and error messages stay typer's (tests/test_cli_start.py checks them against typer's own).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typer._coercion import RuntimeParam, build_runtime_param
from typer._param_types import coerce_cli_path
from typer._typing import get_args, get_origin
from typer.core import _TyperParameter

__all__ = ["install", "plain_converter"]

#: what both ``int()`` and pydantic read as the same whole number (pydantic also takes ``1_000``,
#: `` 12`` and ``12.0``: those go to pydantic)
_INT = re.compile(r"[+-]?[0-9]{1,18}\Z")
#: what both ``float()`` and pydantic read as the same float, both rounding correctly
_FLOAT = re.compile(r"[+-]?(?:[0-9]{1,40}(?:\.[0-9]{0,40})?|\.[0-9]{1,40})(?:[eE][+-]?[0-9]{1,4})?\Z")


class _Other(Exception):
    """A value the plain conversion does not take: pydantic converts it (or reports it)."""


def _str(value: Any) -> str:
    if type(value) is not str:
        raise _Other
    return value


def _bool(value: Any) -> bool:
    if type(value) is not bool:
        raise _Other
    return value


def _int(value: Any) -> int:
    if type(value) is int:
        return value
    if type(value) is str and _INT.match(value):
        return int(value)
    raise _Other


def _float(value: Any) -> float:
    if type(value) is float:
        return value
    if type(value) is int and abs(value) <= 2**53:
        return float(value)
    if type(value) is str and _FLOAT.match(value):
        return float(value)
    raise _Other


def _path(value: Any) -> Path:
    if isinstance(value, Path):
        return value
    if type(value) is not str:
        raise _Other
    return Path(value)


_LEAVES: dict[Any, Callable[[Any], Any]] = {str: _str, bool: _bool, int: _int, float: _float, Path: _path}


def plain_converter(annotation: Any) -> Callable[[Any], Any] | None:
    """The plain conversion of a value (or, for ``list[X]``, a list or tuple of values) of
    ``annotation``, raising :class:`_Other` where it does not apply; ``None`` for other types."""
    if get_origin(annotation) is list:
        args = get_args(annotation)
        leaf = _LEAVES.get(args[0]) if len(args) == 1 else None
        if leaf is None:
            return None

        def many(value: Any) -> list[Any]:
            if not isinstance(value, (list, tuple)):
                raise _Other
            return [leaf(item) for item in value]

        return many
    return _LEAVES.get(annotation)


@dataclass(frozen=True)
class _PlainParam(RuntimeParam):
    """typer's runtime conversion of one parameter, done plainly where it can be."""

    convert: Callable[[Any], Any]
    descriptor: Any
    paths: bool  # Path or list[Path]: then typer's checks of a path (exists, readable ...)

    def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
        try:
            converted = self.convert(value)
        except _Other:
            return build_runtime_param(self.descriptor)._coerce_value(value, param=param, ctx=ctx)
        if not self.paths:
            return converted
        info = self.parameter_info
        if isinstance(converted, list):
            return [coerce_cli_path(path, info, path_type=Path, param=param, ctx=ctx) for path in converted]
        return coerce_cli_path(converted, info, path_type=Path, param=param, ctx=ctx)


def install(params: list[Any]) -> None:
    """Give each of ``params`` (a command's click parameters) that has a plain type and no
    typer extras (a parser, bounds, choices, files) the plain conversion."""
    for param in params:
        if not isinstance(param, _TyperParameter) or param._runtime_param is not None:
            continue
        descriptor = param.type_descriptor
        info = descriptor.parameter_info
        if info.parser is not None or descriptor.file_annotation is not None or descriptor.is_choice:
            continue
        if info.min is not None or info.max is not None or info.path_type is not None:
            continue
        annotation = descriptor.annotation
        convert = plain_converter(annotation)
        if convert is not None:
            paths = Path in (annotation, *get_args(annotation))
            param._runtime_param = _PlainParam(
                parameter_info=info, annotation=annotation, convert=convert, descriptor=descriptor, paths=paths
            )
