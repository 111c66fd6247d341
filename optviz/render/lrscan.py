"""The learning-rate scan: the loss after K steps (or the steps to a tolerance) against the lr on
log axes, one line per optimizer, divergence marked on the top edge, each optimizer's best lr
noted, and each one's stable range as a bar in a strip under the plot."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from optviz.i18n import tr
from optviz.render.chart import Chart, halo, power_label, save
from optviz.render.fonts import draw_family
from optviz.render.reproducible import rc_context
from optviz.settings import DrawSettings
from optviz.themes import run_colors, run_markers
from optviz.views.lrscan import LrScan

__all__ = ["render_lr_scan"]


def render_lr_scan(data: LrScan, draw: DrawSettings, path: Path) -> Path:
    """Draw ``data`` to ``path``, written atomically."""
    with rc_context(draw.theme.rc(draw.font_pt), draw_family(draw)):
        chart = Chart(draw)
        theme = chart.theme
        fn = data.fn
        n = len(data.series)
        lang = draw.lang
        measure = tr("loss − f*" if data.has_minimum else "loss", lang)
        if data.to is None:
            what = tr("{measure} after {steps} steps", lang, measure=measure, steps=data.steps)
        else:
            what = tr("steps until {measure} ≤ {to}", lang, measure=measure, to=f"{data.to:g}")
        ylabel = what
        chart.title(
            tr("One learning rate does not fit all optimizers: {what} on {fn}", lang, what=what, fn=fn.spec),
            {"fn": fn.spec, "opt": ", ".join(s.label for s in data.series), "steps": str(data.steps)},
        )
        colors, shapes = run_colors(theme, max(n, 2))[:n], run_markers(max(n, 2))[:n]
        key_w = min(0.3, chart.fx(13.5))
        left, right = chart.fx(5.6), 1 - key_w - chart.fx(0.6)
        strip_h = chart.fy(1.25 * n + 0.6)
        strip_bottom = chart.fy(3.4)
        bottom, top = strip_bottom + strip_h + chart.fy(0.5), chart.top - chart.fy(1.4)
        ax = chart.axes(left, bottom, right, top)
        strip = chart.axes(left, strip_bottom, right, strip_bottom + strip_h)
        lrs = data.lrs
        values = [s.values for s in data.series]
        finite = np.concatenate([v[np.isfinite(v)] for v in values] or [np.ones(1)])
        positive = finite[finite > 0]
        floor = float(positive.min()) / 30 if positive.size else 1e-16
        ceiling = max(float(finite.max()) if finite.size else 1.0, data.start_gap if data.to is None else 1.0) * 3
        lw = 2.0 * chart.line_scale
        handles, labels = [], []
        bests: list[tuple[float, float, str]] = []  # noted once the axes have their limits
        for i, (series, color, shape) in enumerate(zip(data.series, colors, shapes, strict=True)):
            shown = np.where(np.isfinite(series.values), np.maximum(series.values, floor), np.nan)
            ax.plot(lrs, shown, color=color, lw=lw, marker=shape, ms=0.35 * draw.font_pt * chart.line_scale, zorder=3)
            out = series.diverged
            if data.to is not None:  # runs that never got there: hollow marks on the step budget
                late = ~out & ~np.isfinite(series.values)
                ax.plot(
                    lrs[late],
                    np.full(late.sum(), data.steps),
                    ls="none",
                    marker=shape,
                    mfc="none",
                    mec=color,
                    ms=0.45 * draw.font_pt,
                    mew=1.2,
                    zorder=3,
                )
            ax.plot(
                lrs[out],
                np.full(out.sum(), 1.0),
                ls="none",
                marker="x",
                ms=0.6 * draw.font_pt,
                mew=2.0,
                color=color,
                transform=ax.get_xaxis_transform(),
                clip_on=False,
                zorder=4,
            )
            label = series.label
            if series.best is not None:
                b = series.best
                ax.plot(
                    [lrs[b]],
                    [shown[b]],
                    marker="o",
                    ms=0.95 * draw.font_pt * chart.line_scale,
                    mfc=color,
                    mec=theme.background,
                    mew=2.0,
                    ls="none",
                    zorder=5,
                )
                bests.append((lrs[b], shown[b], color))
                label += "\n" + tr("best lr {lr}", lang, lr=f"{lrs[b]:.2g}")
            handles.append(Line2D([], [], color=color, lw=lw, marker=shape, ms=0.45 * draw.font_pt))
            labels.append(label)
            _stable_bar(chart, strip, data, series, i, color, lw)
        ax.set_xscale("log")
        ax.set_yscale("log" if data.to is None else "linear")
        ax.set_xlim(lrs[0] / 1.15, lrs[-1] * 1.15)
        if data.to is None:
            ax.set_ylim(floor, ceiling)
            ax.yaxis.set_major_locator(LogLocator(numticks=draw.max_ticks or 6))
            ax.yaxis.set_major_formatter(FuncFormatter(power_label))
            ax.yaxis.set_minor_formatter(NullFormatter())
        else:
            ax.set_ylim(0, data.steps * 1.06)
            chart.ticks(ax, x=False)
        level = data.start_gap if data.to is None else data.steps
        ax.axhline(level, color=theme.muted, lw=1.2, ls="--", zorder=1)
        for x, y, color in bests:
            # below the mark, or above it when it sits in the lowest third
            low = ax.transAxes.inverted().transform(ax.transData.transform((x, y)))[1] < 0.33
            ax.annotate(
                f"{x:.2g}",
                (x, y),
                xytext=(0, (1.1 if low else -1.1) * chart.em),
                textcoords="offset pixels",
                ha="center",
                va="bottom" if low else "top",
                color=color,
                fontsize=0.9 * draw.font_pt,
                fontweight="bold",
                path_effects=halo(theme.background, 0.3 * chart.em),
                zorder=6,
            )
        ax.set_ylabel(ylabel)
        ax.tick_params(labelbottom=False)
        ax.grid(True, which="major", alpha=0.2)
        strip.set_xscale("log")
        strip.set_xlim(ax.get_xlim())
        strip.xaxis.set_major_formatter(FuncFormatter(power_label))
        strip.xaxis.set_minor_formatter(NullFormatter())
        strip.set_xlabel(tr("learning rate", lang))
        strip.set_ylim(n - 0.4, -0.6)
        strip.set_yticks([])
        strip.set_ylabel(tr("stable", lang), rotation=0, ha="right", va="center", fontsize=0.85 * draw.font_pt)
        handles += [
            Line2D([], [], ls="none", marker="x", ms=0.6 * draw.font_pt, mew=2.0, color=theme.foreground),
            Line2D([], [], ls="none", marker="o", ms=0.8 * draw.font_pt, mfc=theme.foreground, mec=theme.background),
            Line2D([], [], color=theme.foreground, lw=4 * chart.line_scale, solid_capstyle="butt"),
            Line2D([], [], color=theme.muted, lw=1.2, ls="--"),
        ]
        start = (
            tr("at the start", lang) if data.to is None else tr("not reached in {steps} steps", lang, steps=data.steps)
        )
        labels += [tr(key, lang) for key in ("diverged (top edge)", "best lr", "stable range: did not diverge")]
        labels.append(start)
        legend = chart.fig.legend(
            handles,
            labels,
            loc="upper left",
            bbox_to_anchor=(right + chart.fx(0.8), top),
            frameon=False,
            fontsize=0.85 * draw.font_pt,
            borderaxespad=0,
            labelspacing=0.8,
            handlelength=1.8,
        )
        for text in legend.get_texts():
            text.set_color(theme.foreground)
        return save(chart, path)


def _stable_bar(chart: Chart, strip, data: LrScan, series, row: int, color: str, lw: float) -> None:
    """The optimizer's stable range as a bar in its row of the strip, its ends written beside it."""
    if series.stable is None:
        strip.text(
            np.sqrt(data.lrs[0] * data.lrs[-1]),
            row,
            tr("no stable lr", chart.draw.lang),
            ha="center",
            va="center",
            color=color,
            fontsize=0.8 * chart.draw.font_pt,
        )
        return
    lo, hi = series.stable
    ratio = data.lrs[1] / data.lrs[0]
    a, b = data.lrs[lo] / np.sqrt(ratio), data.lrs[hi] * np.sqrt(ratio)
    strip.plot([a, b], [row, row], color=color, lw=2.2 * lw, solid_capstyle="butt")
    text = (
        tr("up to {lr}", chart.draw.lang, lr=f"{data.lrs[hi]:.2g}")
        if lo == 0
        else f"{data.lrs[lo]:.2g} … {data.lrs[hi]:.2g}"
    )
    strip.text(
        b * np.sqrt(ratio),
        row,
        text,
        ha="left",
        va="center",
        color=chart.theme.foreground,
        fontsize=0.75 * chart.draw.font_pt,
        path_effects=halo(chart.theme.background, 0.25 * chart.em),
    )
