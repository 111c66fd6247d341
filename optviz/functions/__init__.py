"""Test functions: ``get("ravine(angle=30)")`` returns a :class:`TestFunction`.

Importing the package imports the modules that register functions (``classic``, ``data``); they
import the registry, which imports nothing back.
"""

from optviz.functions import classic, data  # noqa: F401  (importing them registers their functions)
from optviz.functions.registry import Minimum, TestFunction, defaults, get, names

__all__ = ["Minimum", "TestFunction", "defaults", "get", "names"]
