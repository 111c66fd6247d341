"""A view's results as a few lines of text, for the command line and a sweep's summary table."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from optviz.i18n import tr, word

__all__ = ["rows"]

Row = tuple[str, float, "int | None"]


def rows(view: str, data: Any, settings: Any, lang: str = "en") -> list[Row]:
    """``(text, value, None)`` per line, its words in ``lang``: the value is a number the text
    names (or NaN)."""
    if view == "stability":
        return _stability(data, settings, lang)
    if view == "basins":
        return _basins(data, lang)
    return _scan(data, lang)


def _stability(data: Any, settings: Any, lang: str) -> list[Row]:
    from optviz.views import stability as st

    out: list[Row] = []
    hs = data.curvatures
    if hs is None:
        diverged = tr(
            "{rule}: {n} of {total} cells diverged",
            lang,
            rule=data.rule,
            n=int(data.diverged.sum()),
            total=data.diverged.size,
        )
        return [(diverged, math.nan, None)]
    best = data.best if hasattr(data, "best") else st.optimum(data.rule, hs, float(data.betas[-1]) or 0.99)
    if data.rule != "gd":
        fastest = tr(
            "fastest {rule}: lr {lr}, momentum {beta}, rate",
            lang,
            rule=data.rule,
            lr=f"{best.lr:.4g}",
            beta=f"{best.beta:.4g}",
        )
    else:
        fastest = tr("fastest {rule}: lr {lr}, rate", lang, rule=data.rule, lr=f"{best.lr:.4g}")
    out.append((fastest, best.rho, None))
    curvatures = ", ".join(f"{h:.4g}" for h in hs)
    out.append((tr("2/L, plain GD's largest stable lr (curvatures {hs})", lang, hs=curvatures), st.gd_limit(hs), None))
    for mark in settings.marks:
        rho, regime = st.rate(data.rule if mark.rule != "gd" else "gd", np.array(mark.lr), np.array(mark.beta), hs)
        name = tr(f"regime:{st.REGIMES[int(regime)]}", lang)
        out.append((tr("{mark}: {regime}, rate", lang, mark=mark.text, regime=name), float(rho), None))
    return out


def _basins(data: Any, lang: str) -> list[Row]:
    out: list[Row] = []
    for panel in data.panels:
        total = panel.labels.size
        reached = int((panel.labels >= 0).sum())
        diverged = int((panel.labels == -2).sum())
        text = tr(
            "{label}: {reached}% reached a minimum, {diverged}% diverged; median steps",
            lang,
            label=panel.label,
            reached=f"{100 * reached / total:.3g}",
            diverged=f"{100 * diverged / total:.2g}",
        )
        steps = panel.steps[panel.labels >= 0]
        out.append((text, float(np.median(steps)) if steps.size else math.nan, None))
    return out


def _scan(data: Any, lang: str) -> list[Row]:
    out: list[Row] = []
    measure = word("loss − f*" if data.has_minimum else "loss", lang)
    if data.to is not None:
        what = tr("steps to {measure} ≤ {to}", lang, measure=measure, to=f"{data.to:g}")
    else:
        what = tr("final {measure}", lang, measure=measure)
    for series in data.series:
        if series.best is None:
            out.append((tr("{label}: no lr converged", lang, label=series.label), math.nan, None))
            continue
        fields = {"label": series.label, "lr": f"{data.lrs[series.best]:.3g}", "what": what}
        if series.stable is None:
            text = tr("{label}: best lr {lr}; {what}", lang, **fields)
        elif series.stable[0] == 0:
            text = tr(
                "{label}: best lr {lr}, stable up to {hi}; {what}",
                lang,
                hi=f"{data.lrs[series.stable[1]]:.3g}",
                **fields,
            )
        else:
            lo, hi = (f"{data.lrs[i]:.3g}" for i in series.stable)
            text = tr("{label}: best lr {lr}, stable {lo}..{hi}; {what}", lang, lo=lo, hi=hi, **fields)
        out.append((text, float(series.values[series.best]), None))
    return out
