"""Adam and AdamW: bias-corrected first and second moment estimates."""

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


class AdamState(NamedTuple):
    step: int  # updates taken so far; bias correction counts t from 1
    exp_avg: Array  # (N, D) first moment
    exp_avg_sq: Array  # (N, D) second moment
    max_exp_avg_sq: Array | None  # (N, D) running max of exp_avg_sq, with amsgrad


class AdamBuffers(NamedTuple):
    """Arrays :func:`adam`'s update writes into when the engine gives them (``out``).

    ``params`` and ``spare`` are the engine's to set at each step (see ``Stepper.buffers``):
    where the new params go, and the gradient when the update may overwrite it (it then takes
    the step there, not in ``scratch2``).
    """

    params: Array | None = None
    exp_avg: Array | None = None
    exp_avg_sq: Array | None = None
    max_exp_avg_sq: Array | None = None
    scratch: Array | None = None
    scratch2: Array | None = None
    spare: Array | None = None


_ALLOCATE = AdamBuffers()  # every field None: each result a new array


def root_plus_eps(
    second_moment: Array, bias_correction2: Hyper, eps: Hyper, eps_root: Hyper, out: Array | None = None
) -> Array:
    """``sqrt(v / bc2 + eps_root) + eps``, in torch's order (``sqrt(v) / sqrt(bc2) + eps``) when
    ``eps_root`` is 0 so that paths match torch's to the last bit; computed in ``out`` if given."""
    if out is None:
        torch_order = np.sqrt(second_moment) / power(bias_correction2, 0.5) + eps
    else:
        root = np.sqrt(second_moment, out)
        root = np.divide(root, power(bias_correction2, 0.5), root)
        torch_order = np.add(root, eps, root)
    if isinstance(eps_root, float) and eps_root == 0:
        return torch_order
    with_root = np.sqrt(second_moment / bias_correction2 + eps_root) + eps
    return np.where(np.asarray(eps_root) == 0, torch_order, with_root)


def adam(
    *,
    betas: Any = (0.9, 0.999),
    eps: Any = 1e-8,
    weight_decay: Any = 0.0,
    amsgrad: bool = False,
    maximize: bool = False,
    decoupled_weight_decay: bool = False,
    eps_root: Any = 0.0,
) -> Stepper:
    r"""Adam. Matches ``torch.optim.Adam`` (``_single_tensor_adam``).

    .. math::
        \begin{aligned}
        & g_t \leftarrow \pm\nabla f(\theta_{t-1}) + \lambda \theta_{t-1}
          \quad (\text{or } \theta_{t-1} \leftarrow \theta_{t-1}(1 - \gamma\lambda) \text{ if decoupled}) \\
        & m_t \leftarrow m_{t-1} + (1 - \beta_1)(g_t - m_{t-1}) \\
        & v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2) g_t^2,\quad
          \hat v_t \leftarrow \max(\hat v_{t-1}, v_t) \text{ (amsgrad) else } v_t \\
        & \theta_t \leftarrow \theta_{t-1} - \frac{\gamma}{1 - \beta_1^t}\,
          m_t \Big/ \Big(\sqrt{\hat v_t / (1 - \beta_2^t) + \epsilon_{root}} + \epsilon\Big)
        \end{aligned}

    Args:
        betas: coefficients of the running averages of the gradient and its square
            (default: (0.9, 0.999)).
        eps: added to the denominator (default: 1e-8).
        weight_decay: L2 penalty, or decoupled decay with ``decoupled_weight_decay`` (default: 0).
        amsgrad: use the running maximum of the second moment (default: False).
        maximize: ascend instead of descend (default: False).
        decoupled_weight_decay: AdamW's decay (default: False).
        eps_root: added inside the root, after bias correction (default: 0).

    .. note::
        torch adds ``eps`` after dividing :math:`\sqrt{v}` by :math:`\sqrt{1 - \beta_2^t}`, and
        amsgrad keeps the maximum of the raw ``v`` before bias correction; both are reproduced.
    """
    beta1, beta2 = betas_pair(betas)
    eps = in_range("eps", hyper("eps", eps), 0.0)
    weight_decay = in_range("weight_decay", hyper("weight_decay", weight_decay), 0.0)
    eps_root = in_range("eps_root", hyper("eps_root", eps_root), 0.0)
    amsgrad = flag("amsgrad", amsgrad)
    maximize = flag("maximize", maximize)
    decoupled_weight_decay = flag("decoupled_weight_decay", decoupled_weight_decay)
    uses_weight_decay = bool(np.any(np.asarray(weight_decay) != 0))

    def init(params: Array) -> AdamState:
        zeros = np.zeros_like(params)
        return AdamState(step=0, exp_avg=zeros, exp_avg_sq=zeros, max_exp_avg_sq=zeros if amsgrad else None)

    def update(
        grad: Array, state: AdamState, params: Array, lr: Hyper, out: AdamBuffers = _ALLOCATE
    ) -> tuple[Array, AdamState]:
        step = state.step + 1
        if maximize:
            grad = -grad
        if uses_weight_decay:
            grad, params = decay_weights(grad, params, lr, weight_decay, decoupled_weight_decay)
        exp_avg = lerp(state.exp_avg, grad, 1 - beta1, out.exp_avg, out.scratch)
        exp_avg_sq = ema_of_square(state.exp_avg_sq, grad, beta2, out.exp_avg_sq, out.scratch)
        bias_correction1 = 1 - power(beta1, step)
        bias_correction2 = 1 - power(beta2, step)
        step_size = lr / bias_correction1
        max_exp_avg_sq = state.max_exp_avg_sq
        if amsgrad:
            max_exp_avg_sq = np.maximum(max_exp_avg_sq, exp_avg_sq, out=out.max_exp_avg_sq)
        second = max_exp_avg_sq if amsgrad else exp_avg_sq
        denom = root_plus_eps(second, bias_correction2, eps, eps_root, out.scratch)
        if out.params is None:
            new_params = params - step_size * exp_avg / denom
        else:  # the same, in the engine's buffers (``out`` given by position: cheaper per call)
            move = np.multiply(step_size, exp_avg, out.scratch2 if out.spare is None else out.spare)
            move = np.divide(move, denom, move)
            new_params = np.subtract(params, move, out.params)
        return new_params, AdamState(step, exp_avg, exp_avg_sq, max_exp_avg_sq)

    def effective_lr(state: AdamState, lr: Hyper) -> Array:
        """``lr / (sqrt(v̂) + eps)`` with torch's bias correction: the step is this times m̂."""
        second = state.max_exp_avg_sq if amsgrad else state.exp_avg_sq
        bias_correction2 = 1 - power(beta2, state.step)
        return lr / root_plus_eps(second, bias_correction2, eps, eps_root) + np.zeros_like(second)

    def buffers(params: Array) -> AdamBuffers:
        return AdamBuffers(*(np.empty_like(params) for _ in AdamBuffers._fields[:-1]))  # spare: the engine's

    return Stepper(init, update, effective_lr, elementwise=True, buffers=buffers)


def adamw(
    *,
    betas: Any = (0.9, 0.999),
    eps: Any = 1e-8,
    weight_decay: Any = 1e-2,
    amsgrad: bool = False,
    maximize: bool = False,
    eps_root: Any = 0.0,
) -> Stepper:
    r"""AdamW: Adam with decoupled weight decay. Matches ``torch.optim.AdamW``.

    The parameters shrink by :math:`(1 - \gamma\lambda)` before the Adam step; the arguments are
    :func:`adam`'s, with ``weight_decay`` defaulting to 1e-2 as in torch.
    """
    return adam(
        betas=betas,
        eps=eps,
        weight_decay=weight_decay,
        amsgrad=amsgrad,
        maximize=maximize,
        decoupled_weight_decay=True,
        eps_root=eps_root,
    )


__all__ = ["AdamBuffers", "AdamState", "adam", "adamw", "root_plus_eps"]
