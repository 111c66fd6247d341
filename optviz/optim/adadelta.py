"""Adadelta: steps whose units match the parameters, from two running averages."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from optviz.optim.base import Array, Hyper, Stepper, ema_of_square, flag, hyper, in_range


class AdadeltaState(NamedTuple):
    square_avg: Array  # (N, D) running average of grad²
    acc_delta: Array  # (N, D) running average of delta²


def adadelta(
    *,
    rho: Any = 0.9,
    eps: Any = 1e-6,
    weight_decay: Any = 0.0,
    maximize: bool = False,
) -> Stepper:
    r"""Adadelta. Matches ``torch.optim.Adadelta`` (``_single_tensor_adadelta``).

    .. math::
        \begin{aligned}
        & g_t \leftarrow \pm\nabla f(\theta_{t-1}) + \lambda \theta_{t-1} \\
        & v_t \leftarrow \rho v_{t-1} + (1 - \rho) g_t^2 \\
        & \Delta x_t \leftarrow \sqrt{u_{t-1} + \epsilon}\, g_t / \sqrt{v_t + \epsilon} \\
        & u_t \leftarrow \rho u_{t-1} + (1 - \rho) \Delta x_t^2 \\
        & \theta_t \leftarrow \theta_{t-1} - \gamma \Delta x_t
        \end{aligned}

    Args:
        rho: coefficient of the running averages (default: 0.9).
        eps: added inside both roots (default: 1e-6).
        weight_decay: L2 penalty (default: 0).
        maximize: ascend instead of descend (default: False).

    torch's default lr for Adadelta is 1.0.
    """
    rho = in_range("rho", hyper("rho", rho), 0.0, 1.0)
    eps = in_range("eps", hyper("eps", eps), 0.0)
    weight_decay = in_range("weight_decay", hyper("weight_decay", weight_decay), 0.0)
    maximize = flag("maximize", maximize)
    uses_weight_decay = bool(np.any(np.asarray(weight_decay) != 0))

    def init(params: Array) -> AdadeltaState:
        zeros = np.zeros_like(params)
        return AdadeltaState(square_avg=zeros, acc_delta=zeros)

    def update(grad: Array, state: AdadeltaState, params: Array, lr: Hyper) -> tuple[Array, AdadeltaState]:
        if maximize:
            grad = -grad
        if uses_weight_decay:
            grad = grad + weight_decay * params
        square_avg = ema_of_square(state.square_avg, grad, rho)
        std = np.sqrt(square_avg + eps)
        delta = np.sqrt(state.acc_delta + eps) / std * grad
        acc_delta = rho * state.acc_delta + (1 - rho) * delta * delta
        return params - lr * delta, AdadeltaState(square_avg=square_avg, acc_delta=acc_delta)

    return Stepper(init, update, elementwise=True)
