"""The stability map: the convergence rate ρ over (learning rate, momentum) as a heat-map, its
regimes labelled, GD's 2/L limit, the fastest pair and chosen settings marked; for plain GD the
curve ρ(lr); measured (``--empirical``) the loss after K steps over the same grid."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm, Normalize
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from optviz.i18n import tr
from optviz.render.chart import Chart, halo, power_label, save
from optviz.render.fonts import draw_family, wrap
from optviz.render.reproducible import rc_context
from optviz.settings import DrawSettings
from optviz.views import stability as st
from optviz.views.empirical import EmpiricalMap
from optviz.views.settings import Mark, StabilitySettings

__all__ = ["RULE_NAMES", "render_stability"]

RULE_NAMES = {"gd": "Gradient descent", "momentum": "Heavy-ball momentum", "nesterov": "Nesterov momentum"}
#: the colour of cells that diverge, under a hatch; the colour map of the rate
DIVERGED_FILL = {"light": "#d9d9d9", "dark": "#3a3a3a"}
CMAP = "viridis"


def render_stability(
    data: st.StabilityMap | EmpiricalMap, settings: StabilitySettings, draw: DrawSettings, path: Path
) -> Path:
    """Draw the map (closed form or measured) of ``settings`` to ``path``, written atomically."""
    with rc_context(draw.theme.rc(draw.font_pt), draw_family(draw)):
        chart = Chart(draw)
        fn = settings.fn
        measured = isinstance(data, EmpiricalMap)
        lang = draw.lang
        loss = tr("loss", lang)
        if measured:
            what = tr("{measure} after {steps} steps", lang, measure=loss, steps=data.steps)
        else:
            what = tr("convergence rate ρ", lang)
        rule = tr(f"rule:{data.rule}", lang)
        chart.title(
            tr("{rule} on {fn} ({formula}): {what}", lang, rule=rule, fn=fn.spec, formula=fn.plain_formula, what=what),
            {"fn": fn.spec, "opt": data.rule, "steps": str(settings.steps)},
        )
        hs = data.curvatures
        key_width = _key_width(chart, settings.marks)
        left, bottom = chart.fx(5.2), chart.fy(3.8)
        right, top = 1 - key_width - chart.fx(1.0), chart.top - chart.fy(0.6)
        ax = chart.axes(left, bottom, right, top)
        entries: list[tuple[Any, str]] = []
        regions: list[tuple[np.ndarray, str]] = []  # labelled last, away from the marks
        key_top = top
        if data.rule == "gd" and not measured:
            _gd_curve(chart, ax, data, entries)
        elif measured:
            image = _measured(chart, ax, data, entries, regions)
            measure = tr("loss − f*", lang) if data.has_minimum else loss
            label = tr("{measure} after {steps} steps", lang, measure=measure, steps=data.steps)
            key_top = _colorbar(chart, image, label, right, bottom, top, log=True)
        else:
            image = _heat(chart, ax, data, entries, regions)
            key_top = _colorbar(chart, image, tr("ρ: error × ρ per step", lang), right, bottom, top)
        points: list[tuple[float, float]] = []
        if hs is not None:
            best = data.best if not measured else st.optimum(data.rule, hs, float(data.betas[-1]) or 0.99)
            limit = st.gd_limit(hs)
            _limit(chart, ax, limit, hs, entries)
            points += [(best.lr, best.beta)] + [(limit, b) for b in np.linspace(data.betas[0], data.betas[-1], 25)]
            _best(chart, ax, data.rule, best, entries)
        _marks(chart, ax, settings.marks, data.rule, hs, entries)
        points += [(mark.lr, mark.beta) for mark in settings.marks]
        if data.rule != "gd" or measured:
            extent = _extent(data.lrs, data.betas)
            ax.set_xlim(extent[0], extent[1])
            ax.set_ylim(extent[2], extent[3])
        for mask, name in regions:
            _region_label(chart, ax, data.lrs, data.betas, mask, name, points)
        ax.set_xlabel(tr("learning rate", lang))
        if not (data.rule == "gd" and not measured):
            ax.set_ylabel(tr("momentum β", lang))
        chart.ticks(ax)
        _key(chart, entries, right, key_top, measured)
        return save(chart, path)


# ----------------------------------------------------------------------------------- the pictures


def _extent(lrs: np.ndarray, betas: np.ndarray) -> tuple[float, float, float, float]:
    dl = (lrs[-1] - lrs[0]) / max(len(lrs) - 1, 1)
    db = (betas[-1] - betas[0]) / max(len(betas) - 1, 1) if len(betas) > 1 else 0.5
    return lrs[0] - dl / 2, lrs[-1] + dl / 2, max(0.0, betas[0] - db / 2), betas[-1] + db / 2


def _heat(chart: Chart, ax: Axes, data: st.StabilityMap, entries: list, regions: list) -> Any:
    extent = _extent(data.lrs, data.betas)
    rho = np.where(data.regime == st.DIVERGING, np.nan, data.rho)
    low = np.floor(max(0.0, data.best.rho - 0.05) * 10) / 10  # the colours span the rates on the map
    image = ax.imshow(
        rho,
        origin="lower",
        extent=extent,
        aspect="auto",
        cmap=_cmap(chart),
        norm=Normalize(low, 1),
        interpolation="nearest",
    )
    _hatch(chart, ax, data.lrs, data.betas, data.regime == st.DIVERGING)
    # the lines from a grid 4 times finer (the closed form is cheap), so that they are smooth
    lrs = np.linspace(extent[0], extent[1], 4 * len(data.lrs))
    betas = np.linspace(extent[2], extent[3], 4 * len(data.betas))
    fine_rho, fine_regime = st.rate(data.rule, lrs[None, :], betas[:, None], data.curvatures)
    fg = chart.theme.foreground
    lw = 1.6 * chart.line_scale
    ax.contour(lrs, betas, fine_rho, levels=[1.0], colors=fg, linewidths=lw)
    mono = (fine_regime == st.MONOTONE).astype(float)
    if 0 < mono.mean() < 1:
        ax.contour(lrs, betas, mono, levels=[0.5], colors=fg, linewidths=lw, linestyles="--")
        entries.append((Line2D([], [], color=fg, lw=lw, ls="--"), tr("monotone | oscillating", chart.draw.lang)))
    entries.append((Line2D([], [], color=fg, lw=lw), tr("ρ = 1: the edge of divergence", chart.draw.lang)))
    regions += [
        (data.regime == regime, tr(f"regime:{name}", chart.draw.lang)) for regime, name in enumerate(st.REGIMES)
    ]
    return image


def _measured(chart: Chart, ax: Axes, data: EmpiricalMap, entries: list, regions: list) -> Any:
    extent = _extent(data.lrs, data.betas)
    finite = data.values[np.isfinite(data.values)]
    floor = max(float(finite[finite > 0].min()) if (finite > 0).any() else 1e-300, 1e-300)
    top = max(data.start_gap, floor * 10)
    values = np.where(np.isfinite(data.values), np.maximum(data.values, floor), np.nan)
    if len(data.betas) == 1:  # GD: one row, drawn as a strip
        values = np.repeat(values, 2, axis=0)
    image = ax.imshow(
        values,
        origin="lower",
        extent=extent,
        aspect="auto",
        cmap=_cmap(chart),
        norm=LogNorm(floor, top),
        interpolation="nearest",
    )
    _hatch(chart, ax, data.lrs, data.betas, data.diverged)
    if data.curvatures is not None and len(data.betas) > 1:
        lrs = np.linspace(extent[0], extent[1], 800)
        betas = np.linspace(extent[2], extent[3], 800)
        rho, _ = st.rate(data.rule, lrs[None, :], betas[:, None], data.curvatures)
        fg, lw = chart.theme.foreground, 1.6 * chart.line_scale
        ax.contour(lrs, betas, rho, levels=[1.0], colors=fg, linewidths=lw)
        entries.append((Line2D([], [], color=fg, lw=lw), tr("theory: ρ = 1, the edge of divergence", chart.draw.lang)))
    regions.append((data.diverged, tr("diverged", chart.draw.lang)))
    if len(data.betas) == 1:
        ax.set_yticks([])
    return image


def _gd_curve(chart: Chart, ax: Axes, data: st.StabilityMap, entries: list) -> None:
    """GD has no momentum axis: the rate against the lr, one thin curve per curvature, the
    regimes as bands."""
    lrs, hs = data.lrs, data.curvatures
    fg, muted = chart.theme.foreground, chart.theme.muted
    lw = 2.0 * chart.line_scale
    ax.set_xlim(0, lrs[-1] + (lrs[1] - lrs[0]) / 2)
    ax.set_ylim(0, 1.5)
    edges = np.concatenate([[0.0], (lrs[1:] + lrs[:-1]) / 2, [ax.get_xlim()[1]]])
    regime = data.regime[0]
    renderer = chart.canvas.get_renderer()
    for value, color in [(st.MONOTONE, "#4daf4a"), (st.OSCILLATING, "#ffbf00"), (st.DIVERGING, "#999999")]:
        mask = regime == value
        if not mask.any():
            continue
        lo, hi = edges[np.argmax(mask)], edges[len(mask) - np.argmax(mask[::-1])]
        ax.axvspan(lo, hi, color=color, alpha=0.2, lw=0)
        label = ax.text(
            (lo + hi) / 2,
            0.97,
            tr(f"regime:{st.REGIMES[value]}", chart.draw.lang),
            transform=ax.get_xaxis_transform(),
            ha="center",
            va="top",
            color=fg,
            fontsize=chart.draw.font_pt,
            fontweight="bold",
        )
        box = label.get_window_extent(renderer)
        span = ax.transData.transform([(hi, 0)])[0][0] - ax.transData.transform([(lo, 0)])[0][0]
        if box.width > 0.95 * span:  # a narrow band: the name runs down it
            label.set_rotation(90)
            label.set_fontsize(0.85 * chart.draw.font_pt)
            label.set_path_effects(halo(chart.theme.background, 0.25 * chart.em))
    for h, style in zip(hs, [":", "-."] if len(hs) == 2 else ["-."], strict=False):
        ax.plot(lrs, np.abs(1 - lrs * h), color=muted, lw=0.7 * lw, ls=style)
        text = tr("|1 − lr·h|: curvature h", chart.draw.lang, h=f"{h:.3g}")
        entries.append((Line2D([], [], color=muted, lw=0.7 * lw, ls=style), text))
    ax.plot(lrs, data.rho[0], color=fg, lw=lw)
    entries.insert(0, (Line2D([], [], color=fg, lw=lw), tr("ρ: the slowest direction's", chart.draw.lang)))
    ax.set_ylabel(tr("ρ: error × ρ per step", chart.draw.lang))
    ax.axhline(1, color=fg, lw=0.8, alpha=0.6)


def _hatch(chart: Chart, ax: Axes, lrs: np.ndarray, betas: np.ndarray, mask: np.ndarray) -> None:
    if not mask.any():
        return
    if len(betas) == 1:
        mask, betas = np.repeat(mask, 2, axis=0), np.array([0.0, 1.0])
    ax.contourf(lrs, betas, mask.astype(float), levels=[0.5, 1.5], colors="none", hatches=["//"])
    for collection in ax.collections[-1:]:
        collection.set_edgecolor(chart.theme.muted)
        collection.set_linewidth(0)


def _region_label(
    chart: Chart,
    ax: Axes,
    lrs: np.ndarray,
    betas: np.ndarray,
    mask: np.ndarray,
    name: str,
    avoid: list[tuple[float, float]],
) -> None:
    """``name`` at the point of ``mask`` farthest from its edges, the axes' edges and the points
    ``avoid`` (marks, the optimum, the 2/L line), measured as seen on the axes."""
    if not mask.any() or len(betas) == 1:
        return
    rows = np.linspace(0, mask.shape[0] - 1, min(mask.shape[0], 40)).round().astype(int)
    cols = np.linspace(0, mask.shape[1] - 1, min(mask.shape[1], 40)).round().astype(int)
    small = np.pad(mask[np.ix_(rows, cols)], 1, constant_values=False)
    lo, hi = ax.get_xlim()
    b_lo, b_hi = ax.get_ylim()
    # axes fractions of each coarse cell (the padding is the axes' edge)
    fx = np.concatenate([[0.0], (lrs[cols] - lo) / (hi - lo), [1.0]])
    fy = np.concatenate([[0.0], (betas[rows] - b_lo) / (b_hi - b_lo), [1.0]])
    px, py = np.meshgrid(fx, fy)
    inside = small.ravel()
    if not inside.any():
        return
    ox = np.concatenate([px.ravel()[~inside], [(x - lo) / (hi - lo) for x, _ in avoid]])
    oy = np.concatenate([py.ravel()[~inside], [(y - b_lo) / (b_hi - b_lo) for _, y in avoid]])
    dx = px.ravel()[inside][:, None] - ox[None, :]
    dy = (py.ravel()[inside][:, None] - oy[None, :]) * 2.0  # text is wider than tall
    best = int(np.argmax((dx * dx + dy * dy).min(axis=1)))
    x = lo + (hi - lo) * px.ravel()[inside][best]
    y = b_lo + (b_hi - b_lo) * py.ravel()[inside][best]
    ax.text(
        x,
        y,
        name,
        ha="center",
        va="center",
        fontsize=1.15 * chart.draw.font_pt,
        fontweight="bold",
        color=chart.theme.foreground,
        path_effects=halo(chart.theme.background, 0.35 * chart.em),
    )


def _limit(chart: Chart, ax: Axes, limit: float, hs: tuple[float, ...], entries: list) -> None:
    fg = chart.theme.foreground
    lo, hi = ax.get_xlim()
    if lo < limit < hi:
        ax.axvline(limit, color=fg, lw=1.4 * chart.line_scale, ls=(0, (1, 2)))
        ax.text(
            limit,
            0.02,
            " 2/L",
            transform=ax.get_xaxis_transform(),
            ha="left",
            va="bottom",
            color=fg,
            fontsize=0.9 * chart.draw.font_pt,
            path_effects=halo(chart.theme.background, 0.25 * chart.em),
        )
        nb = "\u00a0"  # keeps "L = 4" on one line when the key wraps
        curvature = f"L{nb}={nb}{max(hs):.3g}" + (f", μ{nb}={nb}{min(hs):.3g}" if len(hs) > 1 else "")
        entries.append(
            (
                Line2D([], [], color=fg, lw=1.4, ls=(0, (1, 2))),
                tr(
                    "2/L = {limit}: plain GD's limit ({curvature})",
                    chart.draw.lang,
                    limit=f"{limit:.3g}",
                    curvature=curvature,
                ),
            )
        )


def _best(chart: Chart, ax: Axes, rule: str, best: st.Optimum, entries: list) -> None:
    y = best.beta if rule != "gd" else best.rho
    size = 1.4 * chart.draw.font_pt * chart.line_scale
    style = dict(marker="*", ms=size, mfc="#ffffff", mec="#000000", mew=1.2, ls="none", zorder=5)
    ax.plot([best.lr], [y], **style)
    text = (
        tr("fastest: lr {lr}", chart.draw.lang, lr=f"{best.lr:.3g}")
        + (f", β {best.beta:.2f}" if rule != "gd" else "")
        + f" →\u00a0ρ\u00a0{best.rho:.3f}"
    )
    entries.append((Line2D([], [], **style), text))


def _marks(
    chart: Chart, ax: Axes, marks: Sequence[Mark], rule: str, hs: tuple[float, ...] | None, entries: list
) -> None:
    size = 0.8 * chart.draw.font_pt * chart.line_scale
    for i, mark in enumerate(marks):
        color = chart.theme.palette[(i + 1) % len(chart.theme.palette)]
        style = dict(marker="o", ms=size, mfc=color, mec=chart.theme.background, mew=1.5, ls="none", zorder=6)
        label = mark.text
        if hs is not None:
            rho, _ = st.rate(rule, np.array(mark.lr), np.array(mark.beta), hs)
            label += f" →\u00a0ρ\u00a0{float(rho):.3f}" if rho < 1 else tr(" →\u00a0diverges", chart.draw.lang)
            y = float(rho) if rule == "gd" else mark.beta
        else:
            y = mark.beta
        ax.plot([mark.lr], [min(y, 1.5) if rule == "gd" else y], **style)
        entries.append((Line2D([], [], **style), label))


# ------------------------------------------------------------------------------------- key column


def _cmap(chart: Chart) -> Any:
    from matplotlib import colormaps

    return colormaps[CMAP].with_extremes(bad=DIVERGED_FILL.get(chart.theme.name, "#d9d9d9"))


def _key_width(chart: Chart, marks: Sequence[Mark]) -> float:
    """The key column's share of the width: enough for its longest line, at most 36%."""
    longest = max([32, *(len(m.text) + 12 for m in marks)])
    return min(0.36, chart.fx(longest * 0.5 + 2.5))


def _colorbar(
    chart: Chart, image: Any, label: str, right: float, bottom: float, top: float, log: bool = False
) -> float:
    """A colour bar at the top of the key column, its label above it; returns its bottom."""
    left = right + chart.fx(1.2)
    top -= chart.fy(1.4)  # room for the label above
    height = 0.34 * (top - bottom)
    cax = chart.axes(left, top - height, left + chart.fx(1.0), top)
    bar = chart.fig.colorbar(image, cax=cax)
    bar.outline.set_edgecolor(chart.theme.muted)
    if log:
        bar.ax.yaxis.set_major_formatter(FuncFormatter(power_label))
        bar.ax.yaxis.set_minor_formatter(FuncFormatter(lambda *_: ""))
    bar.ax.tick_params(labelsize=0.85 * chart.draw.font_pt)
    chart.fig.text(left, top + chart.fy(0.3), label, va="bottom", ha="left", fontsize=0.85 * chart.draw.font_pt)
    return top - height - chart.fy(1.0)


def _key(chart: Chart, entries: list, right: float, top: float, measured: bool) -> None:
    """The legend under the colour bar: what each line and marker is; its text shrinks (to 0.6 of
    the body size) until it fits above the bottom edge."""
    handles = [handle for handle, _ in entries]
    texts = [text for _, text in entries]
    if measured:
        handles.append(Patch(facecolor=DIVERGED_FILL.get(chart.theme.name), hatch="//", edgecolor=chart.theme.muted))
        texts.append(tr("diverged: overflowed or ended above the start", chart.draw.lang))
    if not handles:
        return
    size = 0.85 * chart.draw.font_pt
    while True:
        width_chars = max(16, int((1 - right) * chart.draw.width / (0.55 * size * chart.draw.dpi / 72)) - 5)
        legend = chart.fig.legend(
            handles,
            ["\n".join(wrap(text, width_chars)) for text in texts],
            loc="upper left",
            bbox_to_anchor=(right + chart.fx(0.6), top),
            frameon=False,
            fontsize=size,
            handlelength=1.6,
            borderaxespad=0,
            labelspacing=0.6,
        )
        bottom = legend.get_window_extent(chart.canvas.get_renderer()).y0
        if bottom >= 0.01 * chart.draw.height or size <= 0.6 * chart.draw.font_pt:
            break
        legend.remove()
        size *= 0.92
    for text in legend.get_texts():
        text.set_color(chart.theme.foreground)
