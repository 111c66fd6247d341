"""Rprop: each coordinate's step size grows while its gradient keeps its sign and shrinks when it flips."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from optviz.errors import HyperparameterError
from optviz.optim.base import Array, Hyper, Stepper, check, flag, hyper, in_range


class RpropState(NamedTuple):
    prev: Array | None  # (N, D) last gradient used (0 where its sign flipped); None before the first update
    step_size: Array | None  # (N, D) each coordinate's step size; None before the first update


def rprop(
    *,
    etas: Any = (0.5, 1.2),
    step_sizes: Any = (1e-6, 50),
    maximize: bool = False,
) -> Stepper:
    r"""Rprop (resilient backpropagation). Matches ``torch.optim.Rprop`` (``_single_tensor_rprop``).

    .. math::
        \begin{aligned}
        & g_t \leftarrow \pm\nabla f(\theta_{t-1}), \quad s_t \leftarrow \operatorname{sign}(g_t\, g^{prev}_{t-1}) \\
        & \eta_t \leftarrow \begin{cases} \min(\eta_{t-1}\eta_+, \Gamma_{max}) & s_t > 0 \\
            \max(\eta_{t-1}\eta_-, \Gamma_{min}) & s_t < 0 \\ \eta_{t-1} & s_t = 0 \end{cases},
          \quad \eta_0 = \gamma \\
        & g_t \leftarrow 0 \ \text{where}\ s_t < 0 \\
        & \theta_t \leftarrow \theta_{t-1} - \operatorname{sign}(g_t)\, \eta_t,
          \quad g^{prev}_t \leftarrow g_t
        \end{aligned}

    Only the gradient's sign moves the point: each coordinate steps by its own step size
    :math:`\eta`, multiplied by :math:`\eta_+` while the sign holds and by :math:`\eta_-` when it
    flips (that step is then skipped, and the next one counts as a fresh start).

    Args:
        etas: ``(etaminus, etaplus)``, the factors that shrink and grow the step sizes, with
            ``0 < etaminus < 1 < etaplus`` (default: (0.5, 1.2)).
        step_sizes: ``(min, max)`` allowed step sizes (default: (1e-6, 50)).
        maximize: ascend instead of descend (default: False).

    .. note::
        As in torch, the lr is only the initial step size (that of the first update): later
        learning rates, and so schedules, do not change Rprop's steps. torch's ``capturable``,
        ``foreach`` and ``differentiable`` choose kernels, not numbers, and are not options here.
    """
    etaminus, etaplus = _pair("etas", etas, "etas=(0.5, 1.2)")
    low, high = _pair("step_sizes", step_sizes, "step_sizes=(1e-6, 50)")
    for name, value in (("etaminus (etas[0])", etaminus), ("etaplus (etas[1])", etaplus)):
        in_range(name, value, 0.0)
    check(
        bool(np.all((np.asarray(etaminus) > 0) & (np.asarray(etaminus) < 1) & (np.asarray(etaplus) > 1))),
        f"invalid etas: ({_show(etaminus)}, {_show(etaplus)}); they must be 0 < etaminus < 1 < etaplus, "
        "e.g. etas=(0.5, 1.2)",
    )
    in_range("step_sizes[0]", low, 0.0)
    in_range("step_sizes[1]", high, 0.0)
    check(
        bool(np.all(np.asarray(low) <= np.asarray(high))),
        f"invalid step_sizes: ({_show(low)}, {_show(high)}); the minimum must not exceed the maximum, "
        "e.g. step_sizes=(1e-6, 50)",
    )
    maximize = flag("maximize", maximize)

    def init(params: Array) -> RpropState:
        return RpropState(prev=None, step_size=None)

    def update(grad: Array, state: RpropState, params: Array, lr: Hyper) -> tuple[Array, RpropState]:
        if maximize:
            grad = -grad
        if state.step_size is None:  # torch: zeros and full_like(grad, lr) at the first step
            prev, step_size = np.zeros_like(grad), np.broadcast_to(lr, grad.shape) + np.zeros_like(grad)
        else:
            prev, step_size = state.prev, state.step_size
        sign = np.sign(grad * prev)
        factor = np.where(sign > 0, etaplus, np.where(sign < 0, etaminus, np.where(sign == 0, 1.0, sign)))
        step_size = np.minimum(np.maximum(step_size * factor, low), high)  # clamp_, NaN kept
        grad = np.where(factor == etaminus, 0.0, grad)
        return params - np.sign(grad) * step_size, RpropState(prev=grad, step_size=step_size)

    def effective_lr(state: RpropState, lr: Hyper) -> Array:
        """The step size of each coordinate after the update (its step is ``sign(g)·step_size``)."""
        return state.step_size

    return Stepper(init, update, effective_lr)


def _pair(name: str, value: Any, example: str) -> tuple[Hyper, Hyper]:
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise HyperparameterError(f"{name}={value!r} must be a pair, e.g. {example}")
    return hyper(f"{name}[0]", value[0]), hyper(f"{name}[1]", value[1])


def _show(value: Hyper) -> str:
    return f"{value:g}" if isinstance(value, float) else np.array2string(np.asarray(value).ravel(), threshold=6)
