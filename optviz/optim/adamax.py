"""Adamax: Adam with the infinity norm in place of the second moment."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from optviz.optim.base import Array, Hyper, Stepper, betas_pair, flag, hyper, in_range, lerp, power


class AdamaxState(NamedTuple):
    step: int  # updates taken so far
    exp_avg: Array  # (N, D) first moment
    exp_inf: Array  # (N, D) exponentially weighted infinity norm


def adamax(
    *,
    betas: Any = (0.9, 0.999),
    eps: Any = 1e-8,
    weight_decay: Any = 0.0,
    maximize: bool = False,
) -> Stepper:
    r"""Adamax. Matches ``torch.optim.Adamax`` (``_single_tensor_adamax``).

    .. math::
        \begin{aligned}
        & g_t \leftarrow \pm\nabla f(\theta_{t-1}) + \lambda \theta_{t-1} \\
        & m_t \leftarrow m_{t-1} + (1 - \beta_1)(g_t - m_{t-1}) \\
        & u_t \leftarrow \max(\beta_2 u_{t-1}, |g_t| + \epsilon) \\
        & \theta_t \leftarrow \theta_{t-1} - \frac{\gamma}{1 - \beta_1^t}\, m_t / u_t
        \end{aligned}

    Args:
        betas: coefficients of the running average and of the infinity norm (default: (0.9, 0.999)).
        eps: added inside the max, as torch does (default: 1e-8).
        weight_decay: L2 penalty (default: 0).
        maximize: ascend instead of descend (default: False).

    torch's default lr for Adamax is 2e-3.
    """
    beta1, beta2 = betas_pair(betas)
    eps = in_range("eps", hyper("eps", eps), 0.0)
    weight_decay = in_range("weight_decay", hyper("weight_decay", weight_decay), 0.0)
    maximize = flag("maximize", maximize)
    uses_weight_decay = bool(np.any(np.asarray(weight_decay) != 0))

    def init(params: Array) -> AdamaxState:
        zeros = np.zeros_like(params)
        return AdamaxState(step=0, exp_avg=zeros, exp_inf=zeros)

    def update(grad: Array, state: AdamaxState, params: Array, lr: Hyper) -> tuple[Array, AdamaxState]:
        step = state.step + 1
        if maximize:
            grad = -grad
        if uses_weight_decay:
            grad = grad + weight_decay * params
        exp_avg = lerp(state.exp_avg, grad, 1 - beta1)
        exp_inf = np.maximum(beta2 * state.exp_inf, np.abs(grad) + eps)
        clr = lr / (1 - power(beta1, step))
        return params - clr * exp_avg / exp_inf, AdamaxState(step, exp_avg, exp_inf)

    return Stepper(init, update, elementwise=True)
