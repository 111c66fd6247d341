"""The legend: an entry per run, naming what sets it apart from the others, then one per marker shape.

A run's entry is its ``--label``, or its optimizer and lr plus every setting the runs of the figure
differ in (schedule, noise, batch size, clipping, seed, steps, start). Pictures add the final loss;
animations show the loss at the frame's step beside the entry (:class:`RunValues`) and the final
value only on the last frame, which the GIF holds. Long entries are wrapped to the legend's room;
more entries than fit get a smaller font, down to 3/4, and then a compact key ("… 190 more runs",
colours and marker shapes repeat), so that the legend never takes the main plot's share nor runs
into the panels.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.legend import Legend
from matplotlib.lines import Line2D

from optviz.functions import TestFunction
from optviz.i18n import tr, word
from optviz.render.glyphs import GlyphText, glyph_widths, text_width
from optviz.render.layout import LegendRoom
from optviz.render.marks import legend_marks
from optviz.render.panels import panel_scale, series
from optviz.settings import DrawSettings
from optviz.trajectory import Trajectory

__all__ = ["RunValues", "add_legend", "add_values", "run_names", "value_text"]

#: settings named in a legend entry when the runs of one figure differ in them, and how they read
_DISTINGUISHING = {
    "schedule": lambda v, lang: str(v) if v else tr("constant lr", lang),
    "noise": lambda v, lang: tr("noise {v}", lang, v=f"{v:g}") if v else tr("no noise", lang),
    "batch_size": lambda v, lang: tr("batch {v}", lang, v=v) if v is not None else tr("full batch", lang),
    "clip_norm": lambda v, lang: tr("clip norm {v}", lang, v=f"{v:g}") if v is not None else tr("no clip norm", lang),
    "clip_value": lambda v, lang: (
        tr("clip value {v}", lang, v=f"{v:g}") if v is not None else tr("no clip value", lang)
    ),
    "seed": lambda v, lang: tr("seed {v}", lang, v=v),
    "steps": lambda v, lang: tr("{v} steps", lang, v=v),
}
_SEP = " · "
#: the legend's font shrinks to this share of its size before entries are cut
_MIN_FONT = 0.75


def run_names(trajs: Sequence[Trajectory], labels: Sequence[str] | None = None, lang: str = "en") -> list[str]:
    """Each run's legend name: its label if given, else ``"adam, lr=0.16"`` and every setting the
    runs differ in (``"…, step(step_size=10), noise 1, batch 4, clip norm 1 from (-5, -2)"``)."""
    if labels is not None:
        return list(labels)
    differing = [k for k in _DISTINGUISHING if len({repr(t.settings.get(k)) for t in trajs}) > 1]
    starts = {tuple(t.settings.get("start") or ()) for t in trajs}
    names = []
    for i, traj in enumerate(trajs):
        s = traj.settings
        name = traj.label if "opt" in s and "lr" in s else tr("run {i}", lang, i=i + 1)
        for key in differing:
            name += ", " + _DISTINGUISHING[key](s.get(key), lang)
        if len(starts) > 1 and s.get("start") is not None:
            name += " " + tr("from ({point})", lang, point=", ".join(f"{v:g}" for v in s["start"]))
        names.append(name)
    return names


def value_text(traj: Trajectory, k: int | None = None, lang: str = "en") -> str:
    """The loss to show beside a run: at step ``k`` while an animation plays (``loss 0.0123``),
    or the final one (``k=None``: ``final loss 1.2e-05``, ``diverged at step 87``)."""
    if traj.diverged and (k is None or k >= traj.diverged_at):
        return tr("diverged at step {k}", lang, k=traj.diverged_at)
    if not len(traj.loss):
        return ""
    if k is None:
        return tr("final loss {v}", lang, v=f"{traj.final_loss:.3g}")
    return tr("loss {v}", lang, v=f"{traj.loss[min(k, len(traj.loss) - 1)]:.3g}")


@dataclass
class RunValues:
    """Animations: each run's loss beside its legend entry, set for a frame's step by :meth:`update`."""

    trajs: Sequence[Trajectory]
    last: int  # the step of the held last frame, which shows the final values
    texts: list[GlyphText] = field(default_factory=list)
    lang: str = "en"

    def update(self, k: int) -> None:
        for traj, text in zip(self.trajs, self.texts, strict=True):
            text.text = value_text(traj, None if k >= self.last else k, self.lang)


def add_legend(
    fig: Figure,
    fn: TestFunction,
    trajs: Sequence[Trajectory],
    style: tuple[list[str], list[str]],
    limits: np.ndarray,
    opts: DrawSettings,
    room: LegendRoom,
    frames: np.ndarray | None = None,
) -> tuple[Legend, list[str]]:
    """The figure's legend, fitted to ``room``, anchored nowhere yet (the layout needs its size).

    Args:
        fig: the figure.
        fn: the function (its minima inside ``limits`` get entries).
        trajs: the runs, one entry each.
        style: the runs' colours and marker shapes.
        limits: the main axes' window.
        opts: checked settings (theme, labels, finals, scale).
        room: the pixels it may take.
        frames: animations: the steps of the frames, whose values the entries leave room for
            (drawn by :func:`add_values`); ``None`` for a picture, whose entries end with the final loss.

    Returns:
        The legend and, per run entry shown, the text its value is drawn after (animations).
    """
    scale = opts.line_scale
    colors, markers = style
    names = run_names(trajs, opts.labels, opts.lang)
    base = 0.85 * opts.font_pt
    values = _value_widths(fig, trajs, opts, frames, FontProperties(size=base))
    extras = _extra_entries(fn, trajs, limits, opts, frames is not None)
    size, shown = base, len(trajs)
    while True:
        prop = FontProperties(size=size)
        widths = [w * size / base for w in values]
        texts, tails = _texts(fig, names[:shown], trajs, widths, opts, room, prop, frames is not None)
        handles = [
            Line2D([], [], color=c, lw=1.8 * scale, marker=m, ms=5 * scale)
            for c, m in zip(colors, markers, strict=True)
        ][:shown]
        if shown < len(trajs):
            more = len(trajs) - shown
            texts.append(tr("{n} more runs" if more > 1 else "{n} more run", opts.lang, n=more))
            handles.append(Line2D([], [], ls="none"))
        for handle, text in extras:
            handles.append(handle)
            texts.append(text)
        legend = fig.legend(
            handles,
            texts,
            loc="upper left",
            ncol=room.ncol if len(texts) > 1 else 1,
            frameon=False,
            borderaxespad=0.0,
            borderpad=0.0,
            handlelength=1.8,
            columnspacing=1.4,
            labelspacing=0.45,
            prop=prop,
        )
        box = legend.get_window_extent(fig.canvas.get_renderer())
        if box.height <= room.height or shown <= 1:
            return legend, tails
        legend.remove()
        if size > _MIN_FONT * base:  # first a smaller font
            size = max(_MIN_FONT * base, size * max(0.85, (max(room.height, 0.0) / box.height) ** 0.5))
            continue
        # then a compact key: as many runs as fit, and a line for the rest
        per_entry = box.height / max(1, -(-len(texts) // room.ncol))
        fits = int(room.height / per_entry) * room.ncol - len(extras) - 1
        shown = max(1, min(shown - 1, fits))


def _texts(fig, names, trajs, values, opts, room, prop, animated) -> tuple[list[str], list[str]]:
    """The entries' texts, wrapped to the room; for animations, padded with figure spaces where
    the value will be drawn, and the text each value follows."""
    renderer = fig.canvas.get_renderer()
    # the label's room: the legend's less its handle (1.8 em), the gap after it (0.8 em), a column gap
    width = room.width / room.ncol - (2.6 + 1.4 * (room.ncol > 1)) * prop.get_size_in_points() * opts.dpi / 72
    texts, tails = [], []
    figure_space = text_width(renderer, "\u2007" * 10, prop) / 10
    for name, traj, value_w in zip(names, trajs, values, strict=False):
        value = "" if not opts.finals else (value_text(traj, lang=opts.lang) if not animated else None)
        lines = _wrap(renderer, name, prop, width)
        sep_w = text_width(renderer, _SEP, prop)
        if value is not None and value:  # a picture: the final value after the name, or below it
            joined = lines[-1] + _SEP + value
            if text_width(renderer, joined, prop) <= width:
                lines[-1] = joined
            else:
                lines.append(value)
            texts.append("\n".join(lines))
            tails.append("")
        elif value is None:  # an animation: room for the widest value, filled in frame by frame
            pad = "\u2007" * int(np.ceil(value_w / figure_space))
            if text_width(renderer, lines[-1], prop) + sep_w + value_w <= width:
                tails.append(lines[-1] + _SEP)
                lines[-1] += _SEP + pad
            else:
                tails.append("")
                lines.append(pad)
            texts.append("\n".join(lines))
        else:
            texts.append("\n".join(lines))
            tails.append("")
    return texts, tails


def _wrap(renderer, text: str, prop: FontProperties, width: float) -> list[str]:
    """``text`` in lines no wider than ``width`` pixels, broken after commas and spaces."""
    if text_width(renderer, text, prop) <= width or width <= 0:
        return [text]
    chars = max(8, int(len(text) * width / text_width(renderer, text, prop)))
    while True:
        lines = textwrap.wrap(text, chars, break_on_hyphens=False) or [text]
        if chars <= 8 or all(text_width(renderer, line, prop) <= width for line in lines):
            return lines
        chars -= 2


def _value_widths(fig, trajs, opts, frames, prop: FontProperties) -> list[float]:
    """Animations: the pixel width of the widest value each run shows in any frame, as
    :class:`GlyphText` draws it (each character measured once, not each of the frames' values)."""
    if frames is None or not opts.finals:
        return [0.0] * len(trajs)
    last = int(frames[-1])
    out = []
    for t in trajs:
        texts = {value_text(t, None if k >= last else int(k), opts.lang) for k in frames}
        out.append(max(glyph_widths(fig.canvas.get_renderer(), texts, prop)))
    return out


def add_values(
    fig: Figure, legend: Legend, tails: list[str], trajs: Sequence[Trajectory], opts, last: int
) -> RunValues:
    """Animations: a :class:`GlyphText` per shown run, after its entry's text (or on its last line)."""
    renderer = fig.canvas.get_renderer()
    values = RunValues(trajs[: len(tails)] if opts.finals else [], last, lang=opts.lang)
    if not opts.finals:
        return values
    prop = legend.get_texts()[0].get_fontproperties()
    # drawing the legend places its texts (the canvas is drawn again before any frame); hidden,
    # they are placed without being rasterised (6 of the 9 ms a legend of three runs takes)
    texts = legend.get_texts()
    for text in texts:
        text.set_visible(False)
    legend.draw(renderer)
    for text in texts:
        text.set_visible(True)
    for text, tail in zip(legend.get_texts(), tails, strict=False):
        # a legend text is aligned on its baseline: its anchor is the last line's baseline
        x, baseline = text.get_transform().transform(text.get_position())
        x += text_width(renderer, tail, prop) if tail else 0.0
        values.texts.append(GlyphText(fig, x, baseline, prop, opts.theme.foreground))
    return values


def _extra_entries(
    fn: TestFunction, trajs: Sequence[Trajectory], limits: np.ndarray, opts: DrawSettings, animated: bool
) -> list[tuple[Line2D, str]]:
    """Entries for the start and minima markers, the marks of paths that leave the window, and the
    note on a loss of exactly 0."""
    theme = opts.theme
    out = []
    if any(len(t.points) and _within(t.points[0], limits) for t in trajs):  # as marks.draw_starts
        out.append(
            (
                Line2D([], [], ls="none", marker="s", ms=8, mfc=theme.marker, mec=theme.foreground, mew=1.4),
                tr("start", opts.lang),
            )
        )
    kinds = {m.kind for m in fn.minima if _within(m.point, limits)}
    for kind, marker, ms, text in (
        ("global", "*", 13, "global minimum"),
        ("local", "o", 7, "local minimum"),
        ("saddle", "X", 9, "saddle point"),
    ):
        if kind in kinds:
            handle = Line2D([], [], ls="none", marker=marker, ms=ms, mfc=theme.marker, mec=theme.foreground, mew=1.2)
            found = all(m.found for m in fn.minima if m.kind == kind)  # searched numerically (expr)
            out.append((handle, tr(f"{text} (found)" if found and kind != "saddle" else text, opts.lang)))
    # where paths leave and come back, minima found; an animation's arrow is wherever the head is
    # beyond the window, not only at the end (and the legend must not tell the ending)
    beyond = "beyond the window" if animated else "ends outside the window"
    marks = legend_marks(fn, trajs, limits, theme)
    out += [(h, word(beyond if t == "ends outside the window" else t, opts.lang)) for h, t in marks]
    if "loss" in opts.panels and panel_scale("loss", [series(t, "loss")[1] for t in trajs]).floor is not None:
        out.append((Line2D([], [], color=theme.muted, lw=1.0, ls=(0, (1, 2))), tr("loss 0 at the floor", opts.lang)))
    return out


def _within(point: Sequence[float], limits: np.ndarray) -> bool:
    return all(lo <= v <= hi for v, (lo, hi) in zip(point, limits, strict=False))
