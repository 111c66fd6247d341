"""The arrays an in-place update (``Stepper.buffers``) writes into: the gradient as a spare
one, where nothing but the batch loop holds it."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

Array = np.ndarray


def owned(grad: Array, params: Array) -> bool:
    """Whether nothing but the loop holds ``grad``: an array the function made for this call (its
    own data, not a view, not one it keeps: no other reference), so an update may write into it
    after its last read of the gradient (``Stepper.buffers``' ``spare``)."""
    return (
        type(grad) is np.ndarray
        and grad.flags.owndata
        and grad.flags.writeable
        and grad.dtype == np.float64
        and grad.shape == params.shape
        and sys.getrefcount(grad) <= _ALONE
    )


def _alone(array: Array) -> int:  # what owned counts of an array only its caller's name holds
    return (lambda held: sys.getrefcount(held))(array)  # CPython 3.11: 3 (name, argument, its own)


_ALONE = _alone(np.empty(0))


def with_spare(buffers: Any) -> Callable[[Array], Any] | None:
    """``grad -> buffers._replace(spare=grad)`` at a third of its cost; ``None``: no ``spare``."""
    if "spare" not in buffers._fields:
        return None
    at = buffers._fields.index("spare")
    kind, head, tail = type(buffers), tuple(buffers[:at]), tuple(buffers[at + 1 :])
    return lambda grad: tuple.__new__(kind, (*head, grad, *tail))
