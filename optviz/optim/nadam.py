"""NAdam: Adam with Nesterov momentum and a momentum schedule."""

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


class NAdamState(NamedTuple):
    step: int  # updates taken so far
    mu_product: Hyper  # product of the momentum schedule so far, float or (N, 1)
    exp_avg: Array  # (N, D) first moment
    exp_avg_sq: Array  # (N, D) second moment


def nadam(
    *,
    betas: Any = (0.9, 0.999),
    eps: Any = 1e-8,
    weight_decay: Any = 0.0,
    momentum_decay: Any = 4e-3,
    decoupled_weight_decay: bool = False,
    maximize: bool = False,
) -> Stepper:
    r"""NAdam. Matches ``torch.optim.NAdam`` (``_single_tensor_nadam``).

    .. math::
        \begin{aligned}
        & \mu_t \leftarrow \beta_1\big(1 - \tfrac12\, 0.96^{t\psi}\big),\quad
          \mu_{t+1} \leftarrow \beta_1\big(1 - \tfrac12\, 0.96^{(t+1)\psi}\big) \\
        & m_t \leftarrow m_{t-1} + (1 - \beta_1)(g_t - m_{t-1}),\quad
          v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        & d_t \leftarrow \sqrt{v_t / (1 - \beta_2^t)} + \epsilon \\
        & \theta_t \leftarrow \theta_{t-1}
          - \gamma \frac{1 - \mu_t}{1 - \prod_{i \le t}\mu_i} \frac{g_t}{d_t}
          - \gamma \frac{\mu_{t+1}}{1 - \prod_{i \le t+1}\mu_i} \frac{m_t}{d_t}
        \end{aligned}

    with :math:`\psi` ``momentum_decay``.

    Args:
        betas: coefficients of the running averages (default: (0.9, 0.999)).
        eps: added to the denominator (default: 1e-8).
        weight_decay: L2 penalty, or decoupled with ``decoupled_weight_decay`` (default: 0).
        momentum_decay: the momentum schedule's decay :math:`\psi` (default: 4e-3).
        decoupled_weight_decay: decay the parameters as AdamW does (default: False).
        maximize: ascend instead of descend (default: False).

    torch's default lr for NAdam is 2e-3.
    """
    beta1, beta2 = betas_pair(betas)
    eps = in_range("eps", hyper("eps", eps), 0.0)
    weight_decay = in_range("weight_decay", hyper("weight_decay", weight_decay), 0.0)
    momentum_decay = in_range("momentum_decay", hyper("momentum_decay", momentum_decay), 0.0)
    decoupled_weight_decay = flag("decoupled_weight_decay", decoupled_weight_decay)
    maximize = flag("maximize", maximize)
    uses_weight_decay = bool(np.any(np.asarray(weight_decay) != 0))

    def init(params: Array) -> NAdamState:
        zeros = np.zeros_like(params)
        return NAdamState(step=0, mu_product=1.0, exp_avg=zeros, exp_avg_sq=zeros)

    def update(grad: Array, state: NAdamState, params: Array, lr: Hyper) -> tuple[Array, NAdamState]:
        step = state.step + 1
        if maximize:
            grad = -grad
        bias_correction2 = 1 - power(beta2, step)
        if uses_weight_decay:
            grad, params = decay_weights(grad, params, lr, weight_decay, decoupled_weight_decay)
        mu = beta1 * (1.0 - 0.5 * (power(0.96, step * momentum_decay)))
        mu_next = beta1 * (1.0 - 0.5 * (power(0.96, (step + 1) * momentum_decay)))
        mu_product = state.mu_product * mu
        exp_avg = lerp(state.exp_avg, grad, 1 - beta1)
        exp_avg_sq = ema_of_square(state.exp_avg_sq, grad, beta2)
        denom = np.sqrt(exp_avg_sq / bias_correction2) + eps
        mu_product_next = mu_product * mu_next
        new_params = params + (-lr * (1.0 - mu) / (1.0 - mu_product)) * grad / denom
        new_params = new_params + (-lr * mu_next / (1.0 - mu_product_next)) * exp_avg / denom
        return new_params, NAdamState(step, mu_product, exp_avg, exp_avg_sq)

    return Stepper(init, update, elementwise=True)
