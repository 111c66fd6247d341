"""L-BFGS: quasi-Newton directions from a short history of steps, one ``optimizer.step(closure)`` per update.

torch's ``LBFGS.step`` evaluates the function several times inside one step, with branches that
differ from run to run (the line search above all). Each run is therefore its own small loop on
Python floats, a port of torch's code line by line; the runs of a batch advance together only in
that their function evaluations are made as one ``(M, D)`` call. The dot products over the
D <= 2 coordinates are written out in a fixed order, so a run gives the same bits alone and in
any batch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from typing import Any, NamedTuple

import numpy as np

from optviz.errors import HyperparameterError, OptvizError
from optviz.optim.base import Array, Hyper, Stepper, hyper, in_range
from optviz.spec import choice

Vector = tuple[float, ...]
Evaluate = Callable[[Array], tuple[Array, Array]]
#: what a run's step generator yields (a point to evaluate) and is sent back (its loss and gradient)
Step = Generator[list[float], tuple[float, list[float]], Any]


class LBFGSRun(NamedTuple):
    """torch's ``optimizer.state`` of one run between steps (its names)."""

    func_evals: int = 0
    n_iter: int = 0
    d: Vector | None = None
    t: float | None = None
    old_dirs: tuple[Vector, ...] = ()
    old_stps: tuple[Vector, ...] = ()
    ro: tuple[float, ...] = ()
    H_diag: float = 1.0
    prev_flat_grad: Vector | None = None
    prev_loss: float | None = None


class LBFGSState(NamedTuple):
    runs: tuple[LBFGSRun, ...]
    evaluations: Array  # (N,) int: function evaluations of the last step (torch's current_evals)
    iterates: Array  # (N, max_iter, D): the points after each inner iteration of the last step, NaN-padded


class _Options(NamedTuple):
    lr: float
    max_iter: int
    max_eval: int
    tolerance_grad: float
    tolerance_change: float
    history_size: int
    strong_wolfe: bool


def lbfgs(
    *,
    max_iter: Any = 20,
    max_eval: Any = None,
    tolerance_grad: Any = 1e-7,
    tolerance_change: Any = 1e-9,
    history_size: Any = 100,
    line_search_fn: Any = None,
) -> Stepper:
    r"""L-BFGS. Matches ``torch.optim.LBFGS``: one update is one ``optimizer.step(closure)``.

    Each step evaluates :math:`f` and :math:`\nabla f` at the point, then runs up to
    ``max_iter`` inner iterations:

    .. math::
        \begin{aligned}
        & y \leftarrow g - g_{prev},\ s \leftarrow t\,d;\ \text{if}\ y^\top s > 10^{-10}:
          \text{keep } (s, y, \rho = 1/y^\top s),\ H_0 \leftarrow y^\top s / y^\top y \\
        & d \leftarrow -H g \quad\text{(two-loop recursion over the last } m \text{ pairs; the
          very first } d = -g) \\
        & t \leftarrow \gamma \ \ (\text{first iteration ever: } \min(1, 1/\lVert g \rVert_1)\gamma);
          \ \text{strong Wolfe: } t \text{ from the line search} \\
        & \theta \leftarrow \theta + t\,d
        \end{aligned}

    stopping early when :math:`g^\top d > -` ``tolerance_change``, after ``max_eval`` function
    evaluations, when :math:`\max|g| \le` ``tolerance_grad``, when :math:`\max|t d|` or the loss
    change falls below ``tolerance_change``. ``points[k+1]`` is the point after step k;
    ``traj.evaluations[k]`` counts its function evaluations, and with ``record_state``
    ``traj.state["inner"][k]`` holds its inner iterates (NaN-padded to ``max_iter``).

    Args:
        max_iter: inner iterations per step (default: 20).
        max_eval: function evaluations per step (default: ``None``, ``max_iter * 5 // 4``).
        tolerance_grad: stop when every gradient coordinate is this small (default: 1e-7).
        tolerance_change: stop when the step or the loss change is this small (default: 1e-9).
        history_size: how many ``(s, y)`` pairs are kept (default: 100).
        line_search_fn: ``None`` (fixed step ``lr``) or ``'strong_wolfe'`` (default: None).

    .. note::
        Runs are not vectorised: each run is a loop on Python floats, a line-by-line port of
        torch's ``LBFGS.step`` and ``_strong_wolfe``, because the line search sends runs down
        different branches. Only the function evaluations of a batch are made together. Gradient
        noise and minibatches are refused (torch's closure would draw new ones on every
        evaluation); clipping is applied to every gradient the closure returns. The update
        ``theta + t*d`` is not fused as torch's kernel may be, so paths agree with torch within
        about 1e-12 relative, and drift apart where L-BFGS itself is chaotic.
    """
    lbfgs_options = {
        "max_iter": _count("max_iter", max_iter, 1),
        "max_eval": None if max_eval is None else _count("max_eval", max_eval, 1),
        "tolerance_grad": in_range("tolerance_grad", hyper("tolerance_grad", tolerance_grad), 0.0),
        "tolerance_change": in_range("tolerance_change", hyper("tolerance_change", tolerance_change), 0.0),
        "history_size": _count("history_size", history_size, 1),
    }
    strong_wolfe = choice("lbfgs", "line_search_fn", line_search_fn, (None, "strong_wolfe")) is not None

    def per_run(lr: Hyper, n: int) -> list[_Options]:
        columns = {k: _column(v, n) for k, v in {"lr": lr, **lbfgs_options}.items()}
        result = []
        for i in range(n):
            row = {k: column[i] for k, column in columns.items()}
            max_iter_i = int(row["max_iter"])
            max_eval_i = max_iter_i * 5 // 4 if row["max_eval"] is None else int(row["max_eval"])
            result.append(
                _Options(
                    row["lr"],
                    max_iter_i,
                    max_eval_i,
                    row["tolerance_grad"],
                    row["tolerance_change"],
                    int(row["history_size"]),
                    strong_wolfe,
                )
            )
        return result

    def init(params: Array) -> LBFGSState:
        n, dim = params.shape
        return LBFGSState((LBFGSRun(),) * n, np.zeros(n, dtype=np.int64), np.full((n, 0, dim), np.nan))

    def update(grad: Array, state: LBFGSState, params: Array, lr: Hyper) -> tuple[Array, LBFGSState]:
        raise OptvizError("lbfgs evaluates the function inside its step: call its closure_update (the engine does)")

    def closure_update(evaluate: Evaluate, state: LBFGSState, params: Array, lr: Hyper) -> tuple[Array, LBFGSState]:
        n, dim = params.shape
        options = per_run(lr, n)
        starts = params.tolist()
        steps = [_step(state.runs[i], starts[i], options[i]) for i in range(n)]
        results: list[Any] = [None] * n
        requests = {i: next(step) for i, step in enumerate(steps)}  # every step first evaluates its point
        while requests:
            rows = list(requests)
            loss, grad = evaluate(np.array([requests[i] for i in rows], dtype=float).reshape(len(rows), dim))
            loss, grad = loss.tolist(), grad.tolist()
            requests = {}
            for j, i in enumerate(rows):
                try:
                    requests[i] = steps[i].send((loss[j], grad[j]))
                except StopIteration as done:
                    results[i] = done.value
        width = max(o.max_iter for o in options)
        iterates = np.full((n, width, dim), np.nan)
        for i, (_, _, _, inner) in enumerate(results):
            if inner:
                iterates[i, : len(inner)] = inner
        return np.array([r[0] for r in results], dtype=float).reshape(n, dim), LBFGSState(
            tuple(r[1] for r in results), np.array([r[2] for r in results], dtype=np.int64), iterates
        )

    return Stepper(init, update, None, closure_update)


def _count(name: str, value: Any, low: int) -> Hyper:
    """A whole number >= ``low`` (a float from a batch's stacked options is fine if whole)."""
    number = in_range(name, hyper(name, value), low)
    if not np.all(np.asarray(number) == np.floor(np.asarray(number))):
        raise HyperparameterError(f"invalid {name}: {value!r}; it must be a whole number, e.g. {name}={low * 20}")
    return number


def _column(value: Any, n: int) -> list[Any]:
    if isinstance(value, np.ndarray):
        return np.broadcast_to(value.reshape(-1), (n,)).tolist()
    return [value] * n


# ------------------------------------------------------------------------------ torch's arithmetic


def _dot(a: Vector | list[float], b: Vector | list[float]) -> float:
    total = a[0] * b[0]
    for i in range(1, len(a)):
        total = total + a[i] * b[i]
    return total


def _abs_max(a: Vector | list[float]) -> float:
    """``a.abs().max()``, NaN if any coordinate is NaN (as torch's max)."""
    values = [abs(x) for x in a]
    return math.nan if any(x != x for x in values) else max(values)


def _div(a: float, b: float) -> float:
    """IEEE division, as torch's tensors divide: ±inf or NaN for a zero divisor, never an exception."""
    if b != 0:
        return a / b
    if a != a or a == 0:
        return math.nan
    return math.copysign(math.inf, a) * math.copysign(1.0, b)


def _axpy(x: Vector | list[float], alpha: float, d: Vector | list[float]) -> list[float]:
    """``x.add(d, alpha=alpha)``: ``x + alpha·d`` rounded once, as torch's CPU kernel fuses it."""
    return [_fma(alpha, di, xi) for xi, di in zip(x, d, strict=True)]


def _fma(a: float, b: float, c: float) -> float:
    """``a·b + c`` with one rounding (C's ``fma``; Python 3.11 has no ``math.fma``): exact
    integer arithmetic on the floats' ratios, rounded once by int division (correctly rounded in
    CPython), so the same on every machine."""
    result = a * b + c
    if not (math.isfinite(result) and math.isfinite(a) and math.isfinite(b) and math.isfinite(c)):
        return result
    na, da = a.as_integer_ratio()
    nb, db = b.as_integer_ratio()
    nc, dc = c.as_integer_ratio()
    numerator = na * nb * dc + nc * da * db
    if numerator == 0:
        return result  # the sign of zero as the unfused sum has it
    try:
        return numerator / (da * db * dc)
    except OverflowError:
        return math.copysign(math.inf, numerator)


def _step(run: LBFGSRun, x: list[float], o: _Options) -> Step:
    """One ``LBFGS.step(closure)``: yields the points to evaluate, is sent ``(loss, grad)``;
    returns ``(new point, new run state, function evaluations, inner iterates)``."""
    loss, flat_grad = yield x
    current_evals = 1
    func_evals = run.func_evals + 1
    if _abs_max(flat_grad) <= o.tolerance_grad:
        return x, run._replace(func_evals=func_evals), current_evals, []
    d, t, H_diag = run.d, run.t, run.H_diag
    old_dirs, old_stps, ro = list(run.old_dirs), list(run.old_stps), list(run.ro)
    prev_flat_grad, prev_loss, state_n_iter = run.prev_flat_grad, run.prev_loss, run.n_iter
    inner: list[list[float]] = []
    opt_cond = False
    n_iter = 0
    while n_iter < o.max_iter:
        n_iter += 1
        state_n_iter += 1
        if state_n_iter == 1:
            d = [-g for g in flat_grad]
            old_dirs, old_stps, ro, H_diag = [], [], [], 1.0
        else:
            y = [a - b for a, b in zip(flat_grad, prev_flat_grad, strict=True)]
            s = [di * t for di in d]
            ys = _dot(y, s)
            if ys > 1e-10:
                if len(old_dirs) == o.history_size:
                    old_dirs.pop(0)
                    old_stps.pop(0)
                    ro.pop(0)
                old_dirs.append(y)
                old_stps.append(s)
                ro.append(1.0 / ys)
                H_diag = _div(ys, _dot(y, y))
            al = [0.0] * len(old_dirs)
            q = [-g for g in flat_grad]
            for i in range(len(old_dirs) - 1, -1, -1):
                al[i] = _dot(old_stps[i], q) * ro[i]
                q = _axpy(q, -al[i], old_dirs[i])
            d = r = [qi * H_diag for qi in q]
            for i in range(len(old_dirs)):
                be_i = _dot(old_dirs[i], r) * ro[i]
                d = r = _axpy(r, al[i] - be_i, old_stps[i])
        prev_flat_grad = flat_grad
        prev_loss = loss
        t = min(1.0, _div(1.0, sum(abs(g) for g in flat_grad))) * o.lr if state_n_iter == 1 else o.lr
        gtd = _dot(flat_grad, d)
        if gtd > -o.tolerance_change:
            break
        ls_func_evals = 0
        if o.strong_wolfe:
            loss, flat_grad, t, ls_func_evals = yield from _strong_wolfe(
                x, t, d, loss, flat_grad, gtd, max_ls=o.max_eval - current_evals
            )
            x = _axpy(x, t, d)
            opt_cond = _abs_max(flat_grad) <= o.tolerance_grad
        else:
            x = _axpy(x, t, d)
            if n_iter != o.max_iter:
                loss, flat_grad = yield x
                opt_cond = _abs_max(flat_grad) <= o.tolerance_grad
                ls_func_evals = 1
        inner.append(x)
        current_evals += ls_func_evals
        func_evals += ls_func_evals
        if n_iter == o.max_iter or current_evals >= o.max_eval or opt_cond:
            break
        if _abs_max([di * t for di in d]) <= o.tolerance_change:
            break
        if abs(loss - prev_loss) < o.tolerance_change:
            break
    new_run = LBFGSRun(
        func_evals,
        state_n_iter,
        tuple(d),
        t,
        tuple(map(tuple, old_dirs)),
        tuple(map(tuple, old_stps)),
        tuple(ro),
        H_diag,
        tuple(prev_flat_grad),
        prev_loss,
    )
    return x, new_run, current_evals, inner


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """torch's ``_cubic_interpolate``: the minimiser of the cubic through two points with their
    slopes, clamped to ``bounds`` (default: between the points)."""
    xmin_bound, xmax_bound = bounds if bounds is not None else ((x1, x2) if x1 <= x2 else (x2, x1))
    d1 = g1 + g2 - _div(3 * (f1 - f2), x1 - x2)
    d2_square = d1 * d1 - g1 * g2
    if d2_square >= 0:
        d2 = math.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * _div(g2 + d2 - d1, g2 - g1 + 2 * d2)
        else:
            min_pos = x1 - (x1 - x2) * _div(g1 + d2 - d1, g1 - g2 + 2 * d2)
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def _strong_wolfe(x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """torch's ``_strong_wolfe``, a generator: yields the points ``x + t·d`` to evaluate. As in
    torch, its ``tolerance_change`` is always 1e-9 (LBFGS does not pass its own)."""
    d_norm = _abs_max(d)
    f_new, g_new = yield _axpy(x, t, d)
    ls_func_evals = 1
    gtd_new = _dot(g_new, d)
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    bracket: list[Any] = []
    bracket_f: list[Any] = []
    bracket_g: list[Any] = []
    bracket_gtd: list[Any] = []
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f, bracket_g, bracket_gtd = (
                [t_prev, t],
                [f_prev, f_new],
                [g_prev, g_new],
                [gtd_prev, gtd_new],
            )
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f, bracket_g, bracket_gtd = (
                [t_prev, t],
                [f_prev, f_new],
                [g_prev, g_new],
                [gtd_prev, gtd_new],
            )
            break
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step))
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new, gtd_new
        f_new, g_new = yield _axpy(x, t, d)
        ls_func_evals += 1
        gtd_new = _dot(g_new, d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1])
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                t = max(bracket) - eps if abs(t - max(bracket)) < abs(t - min(bracket)) else min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = yield _axpy(x, t, d)
        ls_func_evals += 1
        gtd_new = _dot(g_new, d)
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            bracket[high_pos], bracket_f[high_pos], bracket_g[high_pos], bracket_gtd[high_pos] = (
                t,
                f_new,
                g_new,
                gtd_new,
            )
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                bracket[high_pos] = bracket[low_pos]
                bracket_f[high_pos] = bracket_f[low_pos]
                bracket_g[high_pos] = bracket_g[low_pos]
                bracket_gtd[high_pos] = bracket_gtd[low_pos]
            bracket[low_pos], bracket_f[low_pos], bracket_g[low_pos], bracket_gtd[low_pos] = t, f_new, g_new, gtd_new
    return bracket_f[low_pos], bracket_g[low_pos], bracket[low_pos], ls_func_evals
