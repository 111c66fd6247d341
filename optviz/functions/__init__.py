"""Test functions: ``get("ravine(angle=30)")`` returns a :class:`TestFunction`.

Importing the package imports the modules that register functions (``curves``, ``depth``,
``classic``, ``data``); they import the registry, which imports nothing back. Their order is the order of
``optviz list functions``: 1-D, then 2-D, then data losses.
"""

# isort: off
from optviz.functions import curves, depth, classic, data  # noqa: F401  (importing them registers their functions)
from optviz.functions import expr  # noqa: F401  (adds expr(FORMULA, ...) to the specs get() builds)

# isort: on
from optviz.functions.registry import Minimum, TestFunction, defaults, get, names

__all__ = ["Minimum", "TestFunction", "defaults", "get", "names"]
