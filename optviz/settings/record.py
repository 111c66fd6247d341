"""The machinery of a settings record: fields that carry their :class:`Setting`, checked in order
on construction."""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from optviz.errors import OptvizError

__all__ = ["Check", "Checked", "Setting", "is_real", "plain", "setting", "settings_of"]

Check = Callable[[Any, Mapping[str, Any]], Any]


@dataclass(frozen=True)
class Setting:
    """How one field is given and checked.

    Attributes:
        help: one line for ``--help`` and the docs.
        check: ``check(raw, checked_so_far) -> value``; raises an :class:`OptvizError`.
        flags: command-line flags (default ``--field-name``); empty with ``cli=False``.
        cli_type: the type the command line parses the text into.
        many: the command line takes it repeatedly (several runs), a sweep as a list (an axis).
        panel: the ``--help`` panel it is listed in.
        cli: whether ``optviz run`` offers it.
    """

    help: str
    check: Check
    flags: tuple[str, ...] = ()
    cli_type: Any = str
    many: bool = False
    panel: str | None = None
    cli: bool = True


def setting(default: Any, help: str, check: Check, **meta: Any) -> Any:
    """A record field with its :class:`Setting`."""
    return field(default=default, metadata={"setting": Setting(help, check, **meta)})


def settings_of(record: type) -> dict[str, tuple[Any, Setting]]:
    """``{name: (default, Setting)}`` of a record's fields, in declaration (= checking) order."""
    return {f.name: (f.default, f.metadata["setting"]) for f in dataclasses.fields(record) if "setting" in f.metadata}


class Checked:
    """Runs every field's check in order in ``__post_init__`` and stores the checked value.

    An error is raised as is, with ``exc.setting`` naming the field, so that a sweep can point at
    the YAML line of that key.
    """

    def __post_init__(self) -> None:
        checked: dict[str, Any] = {}
        for name, (_, meta) in settings_of(type(self)).items():
            try:
                checked[name] = meta.check(getattr(self, name), checked)
            except OptvizError as exc:
                exc.setting = name
                raise
            object.__setattr__(self, name, checked[name])


def plain(check: Callable[[Any], Any]) -> Check:
    return lambda value, _: check(value)


def is_real(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, numbers.Real)
