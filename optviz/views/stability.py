"""How fast GD, heavy-ball and Nesterov momentum converge on a quadratic, from the closed form.

On a quadratic f(x) = ½ (x − x*)ᵀ H (x − x*) + c, torch's SGD (dampening 0, no weight decay) is
a linear iteration, and along each eigenvector of H (curvature h) the error e_k obeys a
two-term recurrence, with ``x = lr·h``:

- gradient descent: e_{k+1} = (1 − x) e_k;
- heavy ball (``momentum=β``): e_{k+1} = (1 + β − x) e_k − β e_{k−1};
- Nesterov (``momentum=β, nesterov=true``): e_{k+1} = (1 + β)(1 − x) e_k − β(1 − x) e_{k−1}.

The roots z of its characteristic polynomial z² − T z + D decide everything: the error shrinks
by ρ = max |z| per step (the spectral radius of the 2×2 companion matrix, in closed form below);
it is *monotone* when the root of largest modulus is real and positive, *oscillating* when that
root is negative (a zig-zag) or complex (a spiral), and it *diverges* when ρ ≥ 1. The
convergence rate of the whole run is the worst over the eigenvalues of H, and its regime is the
one of that worst direction (the one that is left after the others have died out).

Only a few functions are quadratics with a positive definite H: :data:`QUADRATICS`. The saddle
is a quadratic too, but with a negative curvature, along which every lr and β diverge (ρ > 1
everywhere), so it is refused rather than drawn in one colour.

No number goes through BLAS: the 2×2 Hessian is read off exact gradient differences and its
eigenvalues, like the roots, come from their closed forms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from optviz.errors import HyperparameterError, SpecError
from optviz.functions import TestFunction

__all__ = [
    "DIVERGING",
    "MONOTONE",
    "OSCILLATING",
    "QUADRATICS",
    "REGIMES",
    "RULES",
    "Optimum",
    "StabilityMap",
    "curvatures",
    "gd_limit",
    "optimum",
    "rate",
    "search_optimum",
    "stability_map",
    "stable_lr",
]

#: the update rules the closed form covers, by the name ``--opt`` gives
RULES = ("gd", "momentum", "nesterov")
#: the functions that are quadratics with a positive definite Hessian (any parameters)
QUADRATICS = ("bowl", "ravine", "booth", "square", "single_weight", "thermometer")
#: quadratics with a negative curvature: refused with their own message
NOT_CONVEX = ("saddle",)
MONOTONE, OSCILLATING, DIVERGING = 0, 1, 2
REGIMES = ("monotone", "oscillating", "diverging")


def curvatures(fn: TestFunction) -> tuple[float, ...]:
    """The eigenvalues of ``fn``'s Hessian, smallest first (one per coordinate).

    Read off the exact gradient: column i of H is grad(e_i) − grad(0), exact for a quadratic;
    the 2×2 eigenvalues are (a + d)/2 ± √(((a − d)/2)² + b²).

    Raises:
        SpecError: ``fn`` is not one of :data:`QUADRATICS` (naming them), or has a curvature ≤ 0.
    """
    if fn.name not in QUADRATICS + NOT_CONVEX:
        raise SpecError(
            f"{fn.spec} is not a quadratic, so its stability map has no closed form; the map needs one of "
            f"{', '.join(QUADRATICS)} (any parameters, e.g. 'ravine(a=0.5, b=2, angle=30)'), "
            "or add --empirical to run the grid on any function"
        )
    zero = np.zeros(fn.dim)
    base = fn.grad(zero)
    columns = [fn.grad(np.eye(fn.dim)[i]) - base for i in range(fn.dim)]
    if fn.dim == 1:
        values = (float(columns[0][0]),)
    else:
        a, d = float(columns[0][0]), float(columns[1][1])
        b = 0.5 * (float(columns[0][1]) + float(columns[1][0]))
        mid, half = 0.5 * (a + d), math.hypot(0.5 * (a - d), b)
        values = (mid - half, mid + half)
    if values[0] <= 0:
        raise SpecError(
            f"{fn.spec} is a quadratic but not convex (curvature {values[0]:g} along one direction): there "
            "every lr and momentum move away from the stationary point, so the map would be all 'diverging'; "
            f"the map needs one of {', '.join(QUADRATICS)}, or add --empirical to run the grid"
        )
    return values


def _poly(rule: str, x: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """T and D of z² − T z + D for ``x = lr·h``."""
    if rule == "gd":
        return 1 - x, np.zeros_like(x)
    if rule == "momentum":
        return 1 + beta - x, beta + np.zeros_like(x)
    if rule == "nesterov":
        return (1 + beta) * (1 - x), beta * (1 - x)
    raise SpecError(f"unknown update rule {rule!r}; use one of {', '.join(RULES)}")


def _radius(t: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The spectral radius of the companion matrix [[T, −D], [1, 0]] and whether the root of largest
    modulus is real and positive (monotone)."""
    disc = t * t - 4 * d
    real = disc >= 0
    root = np.sqrt(np.where(real, disc, 0.0))
    rho = np.where(real, 0.5 * (np.abs(t) + root), np.sqrt(np.where(real, 0.0, d)))
    return rho, real & (t > 0)


def rate(rule: str, lr: np.ndarray, beta: np.ndarray, hs: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Convergence rate ρ (error × ρ per step) and regime (:data:`MONOTONE`, :data:`OSCILLATING`,
    :data:`DIVERGING`) of ``rule`` at every (lr, β), arrays broadcast together, over the
    curvatures ``hs``.

    Examples:
        >>> rho, regime = rate("momentum", np.array(0.6), np.array(0.5), (0.2, 4.0))
        >>> round(float(rho), 4), REGIMES[int(regime)]
        (0.7071, 'oscillating')
    """
    lr, beta = np.broadcast_arrays(np.asarray(lr, dtype=float), np.asarray(beta, dtype=float))
    worst = np.full(lr.shape, -1.0)
    monotone = np.zeros(lr.shape, dtype=bool)
    with np.errstate(all="ignore"):
        for h in hs:
            rho, mono = _radius(*_poly(rule, lr * h, beta))
            larger = rho > worst
            worst = np.where(larger, rho, worst)
            monotone = np.where(larger, mono, monotone)
    regime = np.where(worst >= 1, DIVERGING, np.where(monotone, MONOTONE, OSCILLATING))
    return worst, regime


def gd_limit(hs: tuple[float, ...]) -> float:
    """2/L: plain gradient descent diverges at a larger lr (L the largest curvature)."""
    return 2 / max(hs)


def stable_lr(rule: str, beta: float, hs: tuple[float, ...]) -> float:
    """The largest stable lr of ``rule`` at momentum β: 2/L for GD, 2(1 + β)/L for the heavy ball,
    (2 + 2β)/((1 + 2β) L) for Nesterov (from the Jury conditions of the polynomial)."""
    big = max(hs)
    if rule == "gd":
        return 2 / big
    if rule == "momentum":
        return 2 * (1 + beta) / big
    return (2 + 2 * beta) / ((1 + 2 * beta) * big)


@dataclass(frozen=True)
class Optimum:
    """The (lr, β) with the smallest convergence rate, and that rate."""

    lr: float
    beta: float
    rho: float


def optimum(rule: str, hs: tuple[float, ...], max_beta: float = 0.999) -> Optimum:
    """The fastest (lr, β) of ``rule`` with β ≤ ``max_beta`` (β = 0 for GD).

    GD's is 2/(L + μ) with ρ = (κ − 1)/(κ + 1); the heavy ball's is Polyak's
    4/(√L + √μ)², β = ((√κ − 1)/(√κ + 1))², ρ = (√κ − 1)/(√κ + 1) (κ = L/μ); Nesterov's is in
    :func:`_closed_form`. When that β is past ``max_beta``, the rate is minimized on a grid,
    zooming in (it has a kink at its minimum, so no derivative is used); tests check that the
    search finds the closed forms.
    """
    exact = _closed_form(rule, hs)
    return exact if exact.beta <= max_beta else search_optimum(rule, hs, max_beta)


def search_optimum(rule: str, hs: tuple[float, ...], max_beta: float) -> Optimum:
    """The fastest (lr, β ≤ ``max_beta``) found on a 41 × 41 grid, zooming in by 4 around the best
    point until the grid is finer than 1e-13 of the lr range."""
    top = stable_lr(rule, max_beta, hs)
    beta_top = 0.0 if rule == "gd" else max_beta
    lr_box, beta_box = (0.0, top), (0.0, beta_top)
    best = (math.inf, 0.0, 0.0)
    for _ in range(100):
        lrs = np.linspace(*lr_box, 41)[:, None]
        betas = np.linspace(*beta_box, 41)[None, :]
        rho, _ = rate(rule, lrs, betas, hs)
        rho = np.where(lrs > 0, rho, np.inf)
        i, j = np.unravel_index(np.argmin(rho), rho.shape)
        if rho[i, j] < best[0]:
            best = (float(rho[i, j]), float(lrs[i, 0]), float(betas[0, j]))
        step_lr, step_beta = (lr_box[1] - lr_box[0]) / 40, (beta_box[1] - beta_box[0]) / 40
        if step_lr < 1e-13 * top:
            break
        lr_box = (max(0.0, best[1] - 5 * step_lr), min(top, best[1] + 5 * step_lr))
        beta_box = (max(0.0, best[2] - 5 * step_beta), min(beta_top, best[2] + 5 * step_beta))
    return Optimum(best[1], best[2], best[0])


def _closed_form(rule: str, hs: tuple[float, ...]) -> Optimum:
    """The unconstrained optimum: GD's and Polyak's heavy ball's classic ones, and Nesterov's
    (Lessard, Recht and Packard 2016): 4/(3L + μ), β = (√(3κ + 1) − 2)/(√(3κ + 1) + 2),
    ρ = 1 − 2/√(3κ + 1)."""
    mu, big = min(hs), max(hs)
    kappa = big / mu
    if rule == "gd":
        return Optimum(2 / (big + mu), 0.0, (kappa - 1) / (kappa + 1))
    if rule == "momentum":
        root = math.sqrt(kappa)
        return Optimum(
            4 / (math.sqrt(big) + math.sqrt(mu)) ** 2, ((root - 1) / (root + 1)) ** 2, (root - 1) / (root + 1)
        )
    root = math.sqrt(3 * kappa + 1)
    return Optimum(4 / (3 * big + mu), (root - 2) / (root + 2), 1 - 2 / root)


@dataclass(frozen=True)
class StabilityMap:
    """The rate over a grid of (lr, β): rows are β, columns lr (cell centres).

    Attributes:
        rule: ``gd``, ``momentum`` or ``nesterov``.
        curvatures: the Hessian's eigenvalues μ ≤ ... ≤ L.
        lrs, betas: the grid's axes (cell centres); ``betas`` is ``(0.0,)`` for GD.
        rho, regime: ``(len(betas), len(lrs))``.
        best: the fastest (lr, β).
    """

    rule: str
    curvatures: tuple[float, ...]
    lrs: np.ndarray
    betas: np.ndarray
    rho: np.ndarray
    regime: np.ndarray
    best: Optimum

    @property
    def gd_limit(self) -> float:
        return gd_limit(self.curvatures)


def default_lr_range(rule: str, hs: tuple[float, ...], beta_range: tuple[float, float]) -> tuple[float, float]:
    """From 0 to a little past the largest stable lr on the map (a third past it for GD, whose
    picture is a curve)."""
    top = max(stable_lr(rule, b, hs) for b in beta_range)
    return 0.0, (1.3 if rule == "gd" else 1.08) * top


def stability_map(
    fn: TestFunction,
    rule: str,
    lr_range: tuple[float, float] | None = None,
    beta_range: tuple[float, float] = (0.0, 0.99),
    resolution: int = 200,
) -> StabilityMap:
    """The closed-form rate of ``rule`` on ``fn`` (one of :data:`QUADRATICS`) over a grid of
    ``resolution`` learning rates (columns) × ``resolution`` momenta (rows; one row, β = 0, for GD).

    Raises:
        SpecError: ``fn`` is not a convex quadratic, or ``rule`` is unknown.
    """
    if rule not in RULES:
        raise SpecError(f"unknown update rule {rule!r}; use one of {', '.join(RULES)}")
    hs = curvatures(fn)
    if rule == "gd":
        beta_range = (0.0, 0.0)
    lo, hi = lr_range if lr_range is not None else default_lr_range(rule, hs, beta_range)
    if not 0 <= lo < hi:
        raise HyperparameterError(f"lr range {lo:g}..{hi:g}: give 0 <= LO < HI, e.g. --lr 0..1.2")
    lrs = lo + (hi - lo) * (np.arange(resolution) + 0.5) / resolution
    if rule == "gd":
        betas = np.zeros(1)
    else:
        b_lo, b_hi = beta_range
        betas = b_lo + (b_hi - b_lo) * (np.arange(resolution) + 0.5) / resolution
    rho, regime = rate(rule, lrs[None, :], betas[:, None], hs)
    return StabilityMap(rule, hs, lrs, betas, rho, regime, optimum(rule, hs, beta_range[1]))
