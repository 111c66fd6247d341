"""AdaGrad: per-coordinate steps scaled by the root of the summed squared gradients."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from optviz.optim.base import Array, Hyper, Stepper, flag, hyper, in_range


class AdagradState(NamedTuple):
    step: int  # updates taken so far
    sum: Array  # (N, D) running sum of squared gradients


def adagrad(
    *,
    lr_decay: Any = 0.0,
    weight_decay: Any = 0.0,
    initial_accumulator_value: Any = 0.0,
    eps: Any = 1e-10,
    maximize: bool = False,
    eps_root: Any = 0.0,
) -> Stepper:
    r"""AdaGrad. Matches ``torch.optim.Adagrad`` (``_single_tensor_adagrad``).

    .. math::
        \begin{aligned}
        & g_t \leftarrow \pm\nabla f(\theta_{t-1}) + \lambda \theta_{t-1} \\
        & \tilde\gamma \leftarrow \gamma / (1 + (t - 1)\eta) \\
        & s_t \leftarrow s_{t-1} + g_t^2 \\
        & \theta_t \leftarrow \theta_{t-1} - \tilde\gamma\, g_t / (\sqrt{s_t + \epsilon_{root}} + \epsilon)
        \end{aligned}

    with :math:`\eta` ``lr_decay``, :math:`\lambda` ``weight_decay``, :math:`s_0`
    ``initial_accumulator_value``, :math:`\epsilon` ``eps`` and :math:`\epsilon_{root}` ``eps_root``.

    Args:
        lr_decay: learning-rate decay (default: 0).
        weight_decay: L2 penalty (default: 0).
        initial_accumulator_value: initial value of the sum (default: 0).
        eps: added to the root, for numerical stability (default: 1e-10).
        maximize: ascend instead of descend (default: False).
        eps_root: added inside the root (default: 0). The textbook's AdaGrad is
            ``adagrad(eps=0, eps_root=1e-6)``.
    """
    lr_decay = in_range("lr_decay", hyper("lr_decay", lr_decay), 0.0)
    weight_decay = in_range("weight_decay", hyper("weight_decay", weight_decay), 0.0)
    initial_accumulator_value = in_range(
        "initial_accumulator_value", hyper("initial_accumulator_value", initial_accumulator_value), 0.0
    )
    eps = in_range("eps", hyper("eps", eps), 0.0)
    eps_root = in_range("eps_root", hyper("eps_root", eps_root), 0.0)
    maximize = flag("maximize", maximize)
    uses_weight_decay = bool(np.any(np.asarray(weight_decay) != 0))
    uses_eps_root = bool(np.any(np.asarray(eps_root) != 0))

    def init(params: Array) -> AdagradState:
        return AdagradState(step=0, sum=np.zeros_like(params) + initial_accumulator_value)

    def update(grad: Array, state: AdagradState, params: Array, lr: Hyper) -> tuple[Array, AdagradState]:
        step = state.step + 1
        if maximize:
            grad = -grad
        if uses_weight_decay:
            grad = grad + weight_decay * params
        clr = lr / (1 + (step - 1) * lr_decay)
        state_sum = state.sum + grad * grad
        std = (np.sqrt(state_sum + eps_root) if uses_eps_root else np.sqrt(state_sum)) + eps
        return params - clr * grad / std, AdagradState(step=step, sum=state_sum)

    def effective_lr(state: AdagradState, lr: Hyper) -> Array:
        """``lr / (1 + (t − 1)·lr_decay) / (sqrt(sum) + eps)``: the step is this times the gradient."""
        clr = lr / (1 + (state.step - 1) * lr_decay)
        root = np.sqrt(state.sum + eps_root) if uses_eps_root else np.sqrt(state.sum)
        return clr / (root + eps)

    return Stepper(init, update, effective_lr, elementwise=True)
