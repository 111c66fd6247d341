"""optviz's error family.

Every error a user can cause is an :class:`OptvizError` (a ``ValueError``) whose message names the
problem and the fix in one line. The CLI prints it without a traceback and exits with code 2.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "ConfigError",
    "HyperparameterError",
    "LoadError",
    "OptvizError",
    "OutputError",
    "SpecError",
    "UnknownNameError",
]


class OptvizError(ValueError):
    """Base class of every error caused by user input.

    Attributes:
        setting: the field of :class:`~optviz.settings.RunSettings` or
            :class:`~optviz.settings.DrawSettings` whose check failed, if one did; a sweep turns
            it into the line of that key.
    """

    setting: str | None = None


class SpecError(OptvizError):
    """A spec string, point or value that cannot be parsed."""


class HyperparameterError(OptvizError):
    """A value that parses but is outside the valid range (lr <= 0, betas outside [0, 1), ...)."""


class ConfigError(OptvizError):
    """A sweep config that does not load or validate."""


class LoadError(OptvizError):
    """A file that is not a trajectory optviz wrote (unreadable, corrupt, or of another schema)."""


class OutputError(OptvizError):
    """An output path that cannot be written (unknown suffix, unwritable folder, missing extra)."""


class UnknownNameError(OptvizError):
    """A name that is not in a registry; the message suggests close matches and lists the valid ones."""

    def __init__(self, kind: str, name: str, valid: Iterable[str]):
        valid = sorted(valid)
        close = difflib.get_close_matches(name, valid, n=3, cutoff=0.5)
        hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
        listing = f"valid: {', '.join(valid)}" if valid else "it takes none"
        super().__init__(f"unknown {kind} {name!r}: {hint}{listing}")
        self.kind = kind
        self.name = name
        self.valid = valid

    def __reduce__(self):
        # rebuilt from its arguments, so it survives a process pool (the default pickles the message)
        return (type(self), (self.kind, self.name, self.valid))
