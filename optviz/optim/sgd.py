"""Stochastic gradient descent, with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from optviz.optim.base import Array, Hyper, Stepper, check, flag, hyper, in_range


class SGDState(NamedTuple):
    momentum_buffer: Array | None  # (N, D); None until the first update (or without momentum)


def sgd(
    *,
    momentum: Any = 0.0,
    dampening: Any = 0.0,
    weight_decay: Any = 0.0,
    nesterov: bool = False,
    maximize: bool = False,
) -> Stepper:
    r"""SGD with momentum. Matches ``torch.optim.SGD`` (``_single_tensor_sgd``).

    .. math::
        \begin{aligned}
        & g_t \leftarrow \pm\nabla f(\theta_{t-1}) + \lambda \theta_{t-1} \\
        & b_t \leftarrow g_t \ \text{if}\ t = 1 \ \text{else}\ \mu b_{t-1} + (1 - \tau) g_t \\
        & g_t \leftarrow g_t + \mu b_t \ \text{(nesterov)} \quad\text{or}\quad g_t \leftarrow b_t \\
        & \theta_t \leftarrow \theta_{t-1} - \gamma g_t
        \end{aligned}

    with :math:`\gamma` the lr, :math:`\mu` ``momentum``, :math:`\tau` ``dampening`` and
    :math:`\lambda` ``weight_decay``.

    Args:
        momentum: momentum factor (default: 0).
        dampening: dampening for momentum (default: 0).
        weight_decay: L2 penalty added to the gradient (default: 0).
        nesterov: Nesterov momentum; needs momentum > 0 and dampening = 0 (default: False).
        maximize: ascend instead of descend (default: False).

    .. note::
        As in torch, the momentum buffer starts at the first gradient, not at zero, so dampening
        only applies from the second step on.
    """
    momentum = in_range("momentum", hyper("momentum", momentum), 0.0)
    dampening = hyper("dampening", dampening)
    weight_decay = in_range("weight_decay", hyper("weight_decay", weight_decay), 0.0)
    nesterov = flag("nesterov", nesterov)
    maximize = flag("maximize", maximize)
    if nesterov:
        check(
            np.all(np.asarray(momentum) > 0) and np.all(np.asarray(dampening) == 0),
            "Nesterov momentum requires a momentum > 0 and zero dampening, e.g. sgd(momentum=0.9, nesterov=true)",
        )
    uses_momentum = bool(np.any(np.asarray(momentum) != 0))
    all_momentum = bool(np.all(np.asarray(momentum) != 0))
    uses_weight_decay = bool(np.any(np.asarray(weight_decay) != 0))

    def init(params: Array) -> SGDState:
        del params
        return SGDState(momentum_buffer=None)

    def update(grad: Array, state: SGDState, params: Array, lr: Hyper) -> tuple[Array, SGDState]:
        if maximize:
            grad = -grad
        if uses_weight_decay:
            grad = grad + weight_decay * params
        buf = state.momentum_buffer
        if uses_momentum:
            buf = grad if buf is None else momentum * buf + (1 - dampening) * grad
            stepped = grad + momentum * buf if nesterov else buf
            # a run with momentum 0 inside a batch that has momentum takes torch's plain step
            grad = stepped if all_momentum else np.where(np.asarray(momentum) != 0, stepped, grad)
        return params - lr * grad, SGDState(momentum_buffer=buf)

    return Stepper(init, update, elementwise=True)
