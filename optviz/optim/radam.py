"""RAdam: Adam whose adaptive step is switched on once its variance is tractable."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from optviz.optim.base import (
    Array,
    Hyper,
    Stepper,
    betas_pair,
    decay_weights,
    ema_of_square,
    flag,
    hyper,
    in_range,
    lerp,
    power,
)


class RAdamState(NamedTuple):
    step: int  # updates taken so far
    exp_avg: Array  # (N, D) first moment
    exp_avg_sq: Array  # (N, D) second moment


def radam(
    *,
    betas: Any = (0.9, 0.999),
    eps: Any = 1e-8,
    weight_decay: Any = 0.0,
    decoupled_weight_decay: bool = False,
    maximize: bool = False,
) -> Stepper:
    r"""RAdam. Matches ``torch.optim.RAdam`` (``_single_tensor_radam``).

    .. math::
        \begin{aligned}
        & m_t \leftarrow m_{t-1} + (1 - \beta_1)(g_t - m_{t-1}),\quad
          v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        & \rho_\infty \leftarrow 2/(1 - \beta_2) - 1,\quad
          \rho_t \leftarrow \rho_\infty - 2t\beta_2^t / (1 - \beta_2^t) \\
        & \text{if } \rho_t > 5:\ r_t \leftarrow \sqrt{\frac{(\rho_t - 4)(\rho_t - 2)\rho_\infty}
          {(\rho_\infty - 4)(\rho_\infty - 2)\rho_t}},
          \theta_t \leftarrow \theta_{t-1} - \gamma \frac{m_t}{1 - \beta_1^t}
          \frac{\sqrt{1 - \beta_2^t}}{\sqrt{v_t} + \epsilon} r_t \\
        & \text{else}:\ \theta_t \leftarrow \theta_{t-1} - \gamma \frac{m_t}{1 - \beta_1^t}
        \end{aligned}

    Args:
        betas: coefficients of the running averages (default: (0.9, 0.999)).
        eps: added to the denominator (default: 1e-8).
        weight_decay: L2 penalty, or decoupled with ``decoupled_weight_decay`` (default: 0).
        decoupled_weight_decay: decay the parameters as AdamW does (default: False).
        maximize: ascend instead of descend (default: False).

    .. note::
        RAdam takes plain (bias-corrected) momentum steps until :math:`\rho_t > 5`; with the
        default betas that is the first 5 steps.
    """
    beta1, beta2 = betas_pair(betas)
    eps = in_range("eps", hyper("eps", eps), 0.0)
    weight_decay = in_range("weight_decay", hyper("weight_decay", weight_decay), 0.0)
    decoupled_weight_decay = flag("decoupled_weight_decay", decoupled_weight_decay)
    maximize = flag("maximize", maximize)
    uses_weight_decay = bool(np.any(np.asarray(weight_decay) != 0))
    rho_inf = 2 / (1 - beta2) - 1

    def init(params: Array) -> RAdamState:
        zeros = np.zeros_like(params)
        return RAdamState(step=0, exp_avg=zeros, exp_avg_sq=zeros)

    def update(grad: Array, state: RAdamState, params: Array, lr: Hyper) -> tuple[Array, RAdamState]:
        step = state.step + 1
        if maximize:
            grad = -grad
        if uses_weight_decay:
            grad, params = decay_weights(grad, params, lr, weight_decay, decoupled_weight_decay)
        exp_avg = lerp(state.exp_avg, grad, 1 - beta1)
        exp_avg_sq = ema_of_square(state.exp_avg_sq, grad, beta2)
        bias_correction1 = 1 - power(beta1, step)
        bias_correction2 = 1 - power(beta2, step)
        bias_corrected_exp_avg = exp_avg / bias_correction1
        rho_t = rho_inf - 2 * step * power(beta2, step) / bias_correction2
        momentum_step = bias_corrected_exp_avg * lr
        rectified = np.any(np.asarray(rho_t) > 5.0)
        if rectified:
            # NaN where rho_t < 4 in a batch; those runs take the momentum step below
            rect = power((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t), 0.5)
            adaptive_lr = power(bias_correction2, 0.5) / (np.sqrt(exp_avg_sq) + eps)
            adaptive_step = momentum_step * adaptive_lr * rect
            if not isinstance(rho_t, float):
                adaptive_step = np.where(rho_t > 5.0, adaptive_step, momentum_step)
            momentum_step = adaptive_step
        return params + -1.0 * momentum_step, RAdamState(step, exp_avg, exp_avg_sq)

    return Stepper(init, update, elementwise=True)
