"""Basins of attraction: one panel per optimizer (× lr), each start of the grid coloured by the
minimum its run reaches, paler the more steps it took; diverged and not converged in greys; one
shared key; paths from chosen starts on top."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.colors import to_rgb
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from optviz.i18n import tr
from optviz.render.chart import Chart, save
from optviz.render.fonts import draw_family, wrap
from optviz.render.reproducible import rc_context
from optviz.settings import DrawSettings
from optviz.trajectory import Trajectory
from optviz.views.basins import DIVERGED, NOT_CONVERGED, BasinMap

__all__ = ["basin_colors", "render_basins"]

#: how far toward the background the slowest start is faded
FADE = 0.72
#: greys of diverged and not converged starts, per theme
OUTCOME_GREYS = {"light": ("#3b3b3b", "#c4c4c4"), "dark": ("#e0e0e0", "#5a5a5a")}


def basin_colors(theme_palette: Sequence[str], n: int) -> list[str]:
    """A colour per reachable point: the theme's run colours without black and white."""
    usable = [c for c in theme_palette if c.upper() not in ("#000000", "#FFFFFF", "#FFFEFA")]
    return [usable[i % len(usable)] for i in range(n)]


def _image(
    data: BasinMap,
    labels: np.ndarray,
    steps: np.ndarray,
    colors: list[str],
    background: str,
    greys: tuple[str, str],
    slowest: int,
) -> np.ndarray:
    """The RGB picture of one panel: each reached start in its minimum's colour, faded by
    log(1 + steps) / log(1 + slowest); diverged and not converged in their greys."""
    bg = np.array(to_rgb(background))
    rgb = np.empty((*labels.shape, 3))
    fade = FADE * np.log1p(steps) / math.log1p(max(slowest, 1))
    for i, color in enumerate(colors):
        mask = labels == i
        base = np.array(to_rgb(color))
        rgb[mask] = base + (bg - base) * fade[mask][:, None]
    rgb[labels == DIVERGED] = to_rgb(greys[0])
    rgb[labels == NOT_CONVERGED] = to_rgb(greys[1])
    return rgb


def render_basins(data: BasinMap, paths: Sequence[Trajectory], draw: DrawSettings, path: Path) -> Path:
    """Draw the panels of ``data`` side by side with one key, ``paths`` overlaid (each panel shows
    the paths of its own optimizer and lr), to ``path``, written atomically."""
    with rc_context(draw.theme.rc(draw.font_pt), draw_family(draw)):
        chart = Chart(draw)
        theme = chart.theme
        fn = data.fn
        n = len(data.panels)
        chart.title(
            tr(
                "Basins of attraction on {fn}: which minimum each start reaches in {steps} steps",
                draw.lang,
                fn=fn.spec,
                steps=data.steps,
            ),
            {"fn": fn.spec, "opt": ", ".join(p.label for p in data.panels), "steps": str(data.steps)},
        )
        colors = basin_colors(theme.palette, len(data.targets))
        greys = OUTCOME_GREYS.get(theme.name, OUTCOME_GREYS["light"])
        reached = [p.steps[p.labels >= 0] for p in data.panels]
        slowest = max([int(r.max()) for r in reached if r.size] or [1])

        # one panel: the key on the right; several: the key in a row below them
        below = n > 1
        key_w = 0.0 if below else min(0.34, chart.fx(15.5))
        key_h = chart.fy(2.6) if below else 0.0
        left, right = chart.fx(4.6), 1 - key_w - chart.fx(0.8)
        bottom, top = chart.fy(3.4) + key_h, chart.top - chart.fy(1.9)
        gap = chart.fx(1.2)
        (x0, x1), (y0, y1) = fn.window
        # square cells on screen: each panel as large as its slot allows, the row centred
        slot = (right - left - gap * (n - 1)) / n
        height_px = (top - bottom) * draw.height
        width_px = min(slot * draw.width, height_px * (x1 - x0) / (y1 - y0))
        panel_h = width_px * (y1 - y0) / (x1 - x0) / draw.height
        panel_w = width_px / draw.width
        used = n * panel_w + (n - 1) * gap
        start_x = left + (right - left - used) / 2
        for k, panel in enumerate(data.panels):
            lx = start_x + k * (panel_w + gap)
            ax = chart.axes(lx, top - panel_h, lx + panel_w, top)
            ax.imshow(
                _image(data, panel.labels, panel.steps, colors, theme.background, greys, slowest),
                origin="lower",
                extent=(x0, x1, y0, y1),
                interpolation="nearest",
                aspect="auto",
            )
            for target, color in zip(data.targets, colors, strict=True):
                if target.kind != "valley":
                    ax.plot(
                        *target.point,
                        marker="*",
                        ms=1.3 * draw.font_pt,
                        mfc=color,
                        mec=theme.foreground,
                        mew=1.2,
                        ls="none",
                        zorder=5,
                    )
            for traj in paths:
                if traj.settings.get("label") == panel.label:
                    _path(chart, ax, traj)
            ax.set_xlim(x0, x1)
            ax.set_ylim(y0, y1)
            ax.set_title(
                "\n".join(wrap(panel.label, max(12, int(panel_w * draw.width / (0.6 * chart.em))))),
                fontsize=draw.font_pt,
                color=theme.foreground,
                pad=0.4 * chart.em,
            )
            ax.set_xlabel(f"${fn.labels[0]}$")
            if k == 0:
                ax.set_ylabel(f"${fn.labels[1]}$")
            else:  # the panels share the y axis
                ax.tick_params(labelleft=False)
            for axis, (lo, hi) in ((ax.xaxis, (x0, x1)), (ax.yaxis, (y0, y1))):
                # ticks inside the edges: a panel's last x label would run into the next one's first
                ticks = MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]).tick_values(lo, hi)
                axis.set_ticks([t for t in ticks if lo + 0.04 * (hi - lo) < t < hi - 0.04 * (hi - lo)])
        if below:
            under = top - panel_h - chart.fy(2.9)
            _key(chart, data, colors, greys, slowest, (0.5, under), "upper center", len(data.targets) + 2)
        else:
            _key(chart, data, colors, greys, slowest, (start_x + used + chart.fx(2.0), top), "upper left", 1)
        return save(chart, path)


def _path(chart: Chart, ax, traj: Trajectory) -> None:
    """The path in the foreground colour over a wider one in the background's, so it reads on
    any basin colour (a stroke effect would also ring each marker and hide the line)."""
    fg, bg = chart.theme.foreground, chart.theme.background
    lw = 1.6 * chart.line_scale
    x, y = traj.points[:, 0], traj.points[:, 1]
    ax.plot(x, y, color=bg, lw=3 * lw, zorder=6, solid_capstyle="round", solid_joinstyle="round")
    ax.plot(
        x,
        y,
        color=fg,
        lw=lw,
        zorder=6,
        marker="o",
        ms=0.25 * chart.draw.font_pt,
        markevery=max(1, len(traj.points) // 40),
    )
    ax.plot(*traj.points[0], marker="s", ms=0.6 * chart.draw.font_pt, mfc=bg, mec=fg, mew=1.5, zorder=7)


def _key(
    chart: Chart,
    data: BasinMap,
    colors: list[str],
    greys: tuple[str, str],
    slowest: int,
    anchor: tuple[float, float],
    loc: str,
    ncol: int,
) -> None:
    """One key for every panel: a patch per minimum (with where it is), diverged, not converged,
    how the shade reads, and the tolerance."""
    handles, labels = [], []
    lang = chart.draw.lang
    for target, color in zip(data.targets, colors, strict=True):
        handles.append(Patch(facecolor=color, edgecolor="none"))
        if target.kind == "valley":
            labels.append(tr("the curve of minima", lang))
        else:
            point = ", ".join(f"{v:.3g}" for v in target.point)
            labels.append(f"({point})" + ("" if target.kind == "global" else " " + tr(f"kind:{target.kind}", lang)))
    handles += [Patch(facecolor=greys[1], edgecolor="none"), Patch(facecolor=greys[0], edgecolor="none")]
    labels += [tr("not converged", lang), tr("diverged", lang)]
    wide = ncol > 1
    # the slowest starts fade toward the background: paler on a light one, darker on a dark one
    key = "basin note dark" if chart.theme.name == "dark" else "basin note light"
    note = tr(key, lang, slowest=slowest, tol=f"{data.tol:.3g}")
    legend = chart.fig.legend(
        handles,
        labels,
        loc=loc,
        bbox_to_anchor=anchor,
        frameon=False,
        ncol=ncol,
        columnspacing=1.2,
        title=note if wide else tr("reaches", lang),
        fontsize=0.85 * chart.draw.font_pt,
        title_fontsize=0.9 * chart.draw.font_pt,
        alignment="left",
        handlelength=1.4,
        borderaxespad=0,
        labelspacing=0.6,
    )
    legend.get_title().set_color(chart.theme.foreground)
    if not wide:  # the note under the key
        box = legend.get_window_extent(chart.canvas.get_renderer())
        chart.fig.text(
            anchor[0],
            box.y0 / chart.draw.height - chart.fy(1.0),
            "\n".join(wrap(note, 24)),
            va="top",
            ha="left",
            fontsize=0.85 * chart.draw.font_pt,
            color=chart.theme.foreground,
        )
    for text in legend.get_texts():
        text.set_color(chart.theme.foreground)
