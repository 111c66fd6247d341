"""A view's results as a few lines of text, for the command line and a sweep's summary table."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["rows"]

Row = tuple[str, float, "int | None"]


def rows(view: str, data: Any, settings: Any) -> list[Row]:
    """``(text, value, None)`` per line: the value is a number the text names (or NaN)."""
    if view == "stability":
        return _stability(data, settings)
    if view == "basins":
        return _basins(data)
    return _scan(data)


def _stability(data: Any, settings: Any) -> list[Row]:
    from optviz.views import stability as st

    out: list[Row] = []
    hs = data.curvatures
    if hs is None:
        return [(f"{data.rule}: {int(data.diverged.sum())} of {data.diverged.size} cells diverged", math.nan, None)]
    best = data.best if hasattr(data, "best") else st.optimum(data.rule, hs, float(data.betas[-1]) or 0.99)
    beta = f", momentum {best.beta:.4g}" if data.rule != "gd" else ""
    out.append((f"fastest {data.rule}: lr {best.lr:.4g}{beta}, rate", best.rho, None))
    out.append(
        (f"2/L, plain GD's largest stable lr (curvatures {', '.join(f'{h:.4g}' for h in hs)})", st.gd_limit(hs), None)
    )
    for mark in settings.marks:
        rho, regime = st.rate(data.rule if mark.rule != "gd" else "gd", np.array(mark.lr), np.array(mark.beta), hs)
        out.append((f"{mark.text}: {st.REGIMES[int(regime)]}, rate", float(rho), None))
    return out


def _basins(data: Any) -> list[Row]:
    out: list[Row] = []
    for panel in data.panels:
        total = panel.labels.size
        reached = int((panel.labels >= 0).sum())
        diverged = int((panel.labels == -2).sum())
        text = f"{panel.label}: {100 * reached / total:.3g}% reached a minimum, {100 * diverged / total:.2g}% diverged; median steps"
        steps = panel.steps[panel.labels >= 0]
        out.append((text, float(np.median(steps)) if steps.size else math.nan, None))
    return out


def _scan(data: Any) -> list[Row]:
    out: list[Row] = []
    measure = "loss − f*" if data.has_minimum else "loss"
    what = f"steps to {measure} ≤ {data.to:g}" if data.to is not None else f"final {measure}"
    for series in data.series:
        if series.best is None:
            out.append((f"{series.label}: no lr converged", math.nan, None))
            continue
        lr = data.lrs[series.best]
        stable = ""
        if series.stable is not None:
            lo, hi = series.stable
            stable = (
                f", stable up to {data.lrs[hi]:.3g}" if lo == 0 else f", stable {data.lrs[lo]:.3g}..{data.lrs[hi]:.3g}"
            )
        out.append((f"{series.label}: best lr {lr:.3g}{stable}; {what}", float(series.values[series.best]), None))
    return out
