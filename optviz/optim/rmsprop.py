"""RMSprop: steps scaled by a running average of squared gradients (optionally centered, with momentum)."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from optviz.optim.base import Array, Hyper, Stepper, ema_of_square, flag, hyper, in_range, lerp


class RMSpropState(NamedTuple):
    square_avg: Array  # (N, D) running average of grad²
    momentum_buffer: Array | None  # (N, D), with momentum > 0
    grad_avg: Array | None  # (N, D), when centered


def rmsprop(
    *,
    alpha: Any = 0.99,
    eps: Any = 1e-8,
    weight_decay: Any = 0.0,
    momentum: Any = 0.0,
    centered: bool = False,
    maximize: bool = False,
    eps_root: Any = 0.0,
) -> Stepper:
    r"""RMSprop. Matches ``torch.optim.RMSprop`` (``_single_tensor_rmsprop``).

    .. math::
        \begin{aligned}
        & g_t \leftarrow \pm\nabla f(\theta_{t-1}) + \lambda \theta_{t-1} \\
        & v_t \leftarrow \alpha v_{t-1} + (1 - \alpha) g_t^2 \\
        & \bar g_t \leftarrow \bar g_{t-1} + (1 - \alpha)(g_t - \bar g_{t-1}) \ \text{(centered)} \\
        & d_t \leftarrow \sqrt{v_t - \bar g_t^2 + \epsilon_{root}} + \epsilon
          \quad (\bar g_t \equiv 0 \text{ unless centered}) \\
        & b_t \leftarrow \mu b_{t-1} + g_t / d_t,\ \theta_t \leftarrow \theta_{t-1} - \gamma b_t
          \ \text{(momentum)} \quad\text{or}\quad \theta_t \leftarrow \theta_{t-1} - \gamma g_t / d_t
        \end{aligned}

    Args:
        alpha: smoothing constant, in [0, 1] (default: 0.99).
        eps: added to the root (default: 1e-8).
        weight_decay: L2 penalty (default: 0).
        momentum: momentum factor (default: 0).
        centered: normalize by the estimated variance of the gradient (default: False).
        maximize: ascend instead of descend (default: False).
        eps_root: added inside the root (default: 0); the textbook's RMSProp uses
            ``rmsprop(eps=0, eps_root=1e-6)``.

    .. note::
        Like torch, the root is taken before ``eps`` is added (TensorFlow swaps the two).
    """
    # torch only asks alpha >= 0; above 1 the "average" grows without bound, so it is refused
    alpha = in_range("alpha", hyper("alpha", alpha), 0.0, 1.0)
    eps = in_range("eps", hyper("eps", eps), 0.0)
    weight_decay = in_range("weight_decay", hyper("weight_decay", weight_decay), 0.0)
    momentum = in_range("momentum", hyper("momentum", momentum), 0.0)
    eps_root = in_range("eps_root", hyper("eps_root", eps_root), 0.0)
    centered = flag("centered", centered)
    maximize = flag("maximize", maximize)
    uses_weight_decay = bool(np.any(np.asarray(weight_decay) != 0))
    uses_momentum = bool(np.any(np.asarray(momentum) > 0))
    all_momentum = bool(np.all(np.asarray(momentum) > 0))
    uses_eps_root = bool(np.any(np.asarray(eps_root) != 0))

    def init(params: Array) -> RMSpropState:
        zeros = np.zeros_like(params)
        return RMSpropState(
            square_avg=zeros,
            momentum_buffer=zeros if uses_momentum else None,
            grad_avg=zeros if centered else None,
        )

    def update(grad: Array, state: RMSpropState, params: Array, lr: Hyper) -> tuple[Array, RMSpropState]:
        if maximize:
            grad = -grad
        if uses_weight_decay:
            grad = grad + weight_decay * params
        square_avg = ema_of_square(state.square_avg, grad, alpha)
        grad_avg = state.grad_avg
        if centered:
            grad_avg = lerp(grad_avg, grad, 1 - alpha)
            variance = square_avg + -1 * grad_avg * grad_avg  # torch: addcmul(value=-1)
        else:
            variance = square_avg
        avg = (np.sqrt(variance + eps_root) if uses_eps_root else np.sqrt(variance)) + eps
        buf = state.momentum_buffer
        if uses_momentum:
            buf = momentum * buf + grad / avg
            new_params = params - lr * buf
            if not all_momentum:  # runs with momentum 0 take torch's plain step
                new_params = np.where(np.asarray(momentum) > 0, new_params, params - lr * grad / avg)
        else:
            new_params = params - lr * grad / avg
        return new_params, RMSpropState(square_avg=square_avg, momentum_buffer=buf, grad_avg=grad_avg)

    def effective_lr(state: RMSpropState, lr: Hyper) -> Array:
        """``lr / (sqrt(square_avg) + eps)``, centered ``lr / (sqrt(square_avg − grad_avg²) + eps)``."""
        variance = state.square_avg
        if centered:
            variance = variance + -1 * state.grad_avg * state.grad_avg
        return lr / ((np.sqrt(variance + eps_root) if uses_eps_root else np.sqrt(variance)) + eps)

    return Stepper(init, update, effective_lr, elementwise=True)
