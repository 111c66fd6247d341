"""ASGD: SGD with a decaying step size and a running (Polyak) average of the iterates."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from optviz.optim.base import Array, Hyper, Stepper, flag, hyper, in_range, power


class ASGDState(NamedTuple):
    step: int  # updates taken so far
    eta: Hyper | None  # the step size of the next update; None before the first (it is then the lr)
    mu: Hyper  # the averaging weight of the next update (1: the average is the point itself)
    ax: Array  # (N, D) the running average of the iterates (torch's state["ax"])


def asgd(
    *,
    lambd: Any = 1e-4,
    alpha: Any = 0.75,
    t0: Any = 1e6,
    weight_decay: Any = 0.0,
    maximize: bool = False,
) -> Stepper:
    r"""Averaged SGD. Matches ``torch.optim.ASGD`` (``_single_tensor_asgd``).

    .. math::
        \begin{aligned}
        & g_t \leftarrow \pm\nabla f(\theta_{t-1}) + \lambda_{wd} \theta_{t-1} \\
        & \theta_t \leftarrow \theta_{t-1}(1 - \lambda \eta_t) - \eta_t g_t \\
        & \bar\theta_t \leftarrow \bar\theta_{t-1} + \mu_t(\theta_t - \bar\theta_{t-1})
          \quad (\bar\theta_t \leftarrow \theta_t \text{ while } \mu_t = 1) \\
        & \eta_{t+1} \leftarrow \gamma / (1 + \lambda \gamma t)^{\alpha}, \quad
          \mu_{t+1} \leftarrow 1 / \max(1, t - t_0), \quad \eta_1 = \gamma,\ \mu_1 = 1
        \end{aligned}

    The path is the parameters :math:`\theta` themselves, as in torch; the average
    :math:`\bar\theta` (``ax``) is kept in the state, recorded with ``record_state`` as
    ``traj.state["ax"]``. It only starts to differ from :math:`\theta` after ``t0`` updates.

    Args:
        lambd: decay term: shrinks the point and slows the step size (default: 1e-4).
        alpha: power of the step size's decay (default: 0.75).
        t0: the update from which the average starts (default: 1e6).
        weight_decay: L2 penalty (default: 0).
        maximize: ascend instead of descend (default: False).

    .. note::
        As in torch, update k's step size comes from the lr of update k − 1 (the first update's
        is its own lr). torch's ``foreach``, ``capturable`` and ``differentiable`` choose kernels,
        not numbers, and are not options here.
    """
    lambd = in_range("lambd", hyper("lambd", lambd), 0.0)
    alpha = in_range("alpha", hyper("alpha", alpha), 0.0)
    t0 = in_range("t0", hyper("t0", t0), 0.0)
    weight_decay = in_range("weight_decay", hyper("weight_decay", weight_decay), 0.0)
    maximize = flag("maximize", maximize)
    uses_weight_decay = bool(np.any(np.asarray(weight_decay) != 0))

    def init(params: Array) -> ASGDState:
        return ASGDState(step=0, eta=None, mu=1.0, ax=np.zeros_like(params))

    def update(grad: Array, state: ASGDState, params: Array, lr: Hyper) -> tuple[Array, ASGDState]:
        step = state.step + 1
        eta = lr if state.eta is None else state.eta
        if maximize:
            grad = -grad
        if uses_weight_decay:
            grad = grad + weight_decay * params
        new_params = params * (1 - lambd * eta) + -eta * grad  # param.mul_(...); param.add_(grad, alpha=-eta)
        mu = state.mu
        if isinstance(mu, float):
            ax = new_params if mu == 1 else state.ax + (new_params - state.ax) * mu
        else:
            ax = np.where(mu != 1, state.ax + (new_params - state.ax) * mu, new_params)
        # torch: eta = lr / ((1 + lambd * lr * step) ** alpha); mu = 1 / max(1, step - t0), in Python floats
        next_eta = lr / power(1 + lambd * lr * step, alpha)
        since = step - t0
        next_mu = 1 / (max(1, since) if isinstance(since, float) else np.where(since > 1, since, 1.0))
        return new_params, ASGDState(step, next_eta, next_mu, ax)

    return Stepper(init, update, elementwise=True)
