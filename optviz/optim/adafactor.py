"""Adafactor: RMSprop-like steps, relative to the parameters' size and clipped in RMS."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from optviz.errors import HyperparameterError
from optviz.optim.base import Array, Hyper, Stepper, check, flag, hyper, in_range, lerp, power

#: torch.finfo(torch.float64).eps, eps1's value when it is None
FLOAT64_EPS = float(np.finfo(np.float64).eps)


class AdafactorState(NamedTuple):
    step: int  # updates taken so far
    variance: Array  # (N, D) running average of grad² (torch's state["variance"] for a vector)


def adafactor(
    *,
    beta2_decay: Any = -0.8,
    eps: Any = (None, 1e-3),
    d: Any = 1.0,
    weight_decay: Any = 0.0,
    maximize: bool = False,
) -> Stepper:
    r"""Adafactor. Matches ``torch.optim.Adafactor`` (``_single_tensor_adafactor``) for a vector
    parameter, the non-factored branch (our parameters are one vector of 1 or 2 coordinates).

    .. math::
        \begin{aligned}
        & G_t \leftarrow \pm\nabla f(\theta_{t-1}), \quad \hat\beta_{2_t} \leftarrow 1 - t^{\tau},
          \quad \rho_t \leftarrow \min(\gamma, 1/\sqrt t) \\
        & \alpha_t \leftarrow \max(\epsilon_2, \operatorname{RMS}(\theta_{t-1}))\, \rho_t, \quad
          \theta_{t-1} \leftarrow \theta_{t-1}(1 - \gamma\lambda) \\
        & \hat V_t \leftarrow \hat V_{t-1} + (1 - \hat\beta_{2_t})(G_t^2 - \hat V_{t-1}) \\
        & U_t \leftarrow G_t / \sqrt{\max(\hat V_t, \epsilon_1^2)}, \quad
          \theta_t \leftarrow \theta_{t-1} - \frac{\alpha_t}{\max(1, \operatorname{RMS}(U_t)/d)} U_t
        \end{aligned}

    with :math:`\operatorname{RMS}(x) = \lVert x \rVert_2 / \sqrt{D}`. The step is relative: its
    size is the lr (or :math:`1/\sqrt t`, whichever is smaller) times the parameters' RMS, never
    less than :math:`\epsilon_2` times it, so near the origin Adafactor slows to
    :math:`\epsilon_2\rho_t` per step.

    Args:
        beta2_decay: :math:`\tau`, the decay rate's exponent, <= 0 (default: -0.8).
        eps: ``(eps1, eps2)``: eps1 floors the second moment (``None``: float64's machine
            epsilon, 2.2e-16); eps2 floors the parameters' RMS in the step size (default: (None, 1e-3)).
        d: clipping threshold of the update's RMS, >= 1 (default: 1.0).
        weight_decay: decoupled weight decay, ``θ ← θ(1 − lr·λ)`` before the step (default: 0).
        maximize: ascend instead of descend (default: False).

    .. note::
        torch's ``foreach`` chooses a kernel, not the numbers, and is not an option here.
    """
    beta2_decay = hyper("beta2_decay", beta2_decay)
    check(
        bool(np.all(np.asarray(beta2_decay) <= 0)) and bool(np.all(np.isfinite(beta2_decay))),
        f"invalid beta2_decay: {beta2_decay!r}; it must be <= 0, e.g. beta2_decay=-0.8",
    )
    if not isinstance(eps, (tuple, list)) or len(eps) != 2:
        raise HyperparameterError(f"eps={eps!r} must be a pair (eps1, eps2), e.g. eps=(none, 1e-3)")
    eps1 = FLOAT64_EPS if eps[0] is None else in_range("eps1 (eps[0])", hyper("eps[0]", eps[0]), 0.0)
    eps2 = in_range("eps2 (eps[1])", hyper("eps[1]", eps[1]), 0.0)
    d = in_range("d", hyper("d", d), 1.0)
    weight_decay = in_range("weight_decay", hyper("weight_decay", weight_decay), 0.0)
    maximize = flag("maximize", maximize)
    uses_weight_decay = bool(np.any(np.asarray(weight_decay) != 0))

    def init(params: Array) -> AdafactorState:
        return AdafactorState(step=0, variance=np.zeros_like(params))

    def update(grad: Array, state: AdafactorState, params: Array, lr: Hyper) -> tuple[Array, AdafactorState]:
        step = state.step + 1
        if maximize:
            grad = -grad
        root_dim = params.shape[1] ** 0.5
        one_minus_beta2 = power(float(step), beta2_decay)
        rho = _smaller(lr, 1 / (float(step) ** 0.5))
        alpha = _larger(eps2, _norm(params) / root_dim) * rho
        if uses_weight_decay:
            params = params * (1 - lr * weight_decay)
        variance = lerp(state.variance, grad * grad, one_minus_beta2)
        scaled = 1.0 / np.sqrt(np.maximum(variance, eps1 * eps1)) * grad  # clamp_(min=eps1²).rsqrt_().mul_(grad)
        denom = _larger(1.0, _norm(scaled) / (root_dim * d))
        return params + (-alpha / denom) * scaled, AdafactorState(step, variance)

    return Stepper(init, update)


def _norm(x: Array) -> Array:
    """Each row's Euclidean norm as an ``(N, 1)`` column, summed coordinate by coordinate."""
    total = x[:, 0:1] * x[:, 0:1]
    for i in range(1, x.shape[1]):
        total = total + x[:, i : i + 1] * x[:, i : i + 1]
    return np.sqrt(total)


def _larger(a: Hyper, b: Hyper) -> Hyper:
    """Python's ``max(a, b)`` elementwise: ``b`` only where ``b > a`` (a NaN ``b`` gives ``a``)."""
    if isinstance(a, float) and isinstance(b, float):
        return max(a, b)
    return np.where(b > a, b, a)


def _smaller(a: Hyper, b: Hyper) -> Hyper:
    """Python's ``min(a, b)`` elementwise: ``b`` only where ``b < a``."""
    if isinstance(a, float) and isinstance(b, float):
        return min(a, b)
    return np.where(b < a, b, a)
