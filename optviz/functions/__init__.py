"""Test functions: ``get("ravine(angle=30)")`` returns a :class:`TestFunction`."""

from optviz.functions.registry import Minimum, TestFunction, defaults, get, names

__all__ = ["Minimum", "TestFunction", "defaults", "get", "names"]
