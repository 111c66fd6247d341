"""The animation player: frames of a scene by blitting, each painting only what is new.

matplotlib's own ``Animation.save`` redraws the whole figure for every frame. Here the contours,
axes, labels and legend are drawn once and their pixels saved (the *background*). The lines that
grow (paths, their casings, panel curves: :meth:`~optviz.render.runs.RunArt.growing`) are kept
as coverage layers (:class:`_Trail`): each frame draws into them only the rows added since the
last frame, lays the layers over the background again only in the boxes it painted (the
*trail*), and draws the artists that move (heads, markers, arrows, counter, values) over the
trail. A frame's cost depends on the steps it adds, not on the steps already drawn. Going back
in time starts the layers again.

Each layer holds one colour's coverage, merged with ``max`` for a line's stroke (its pieces meet
and a zig-zag comes back over itself: a full draw paints the union once, ``max`` is the closest a
coverage can tell) and laid with the line's alpha, as Agg blends: frames played in order match
full redraws but for under 1e-3 of the pixels, on antialiased edges (tests/test_frame_cost.py).

Long lines are sampled for drawing (:mod:`optviz.render.sampling`); lines with no more rows than
the figure has pixel columns are drawn whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.colors import to_rgba
from matplotlib.lines import Line2D

from optviz.render.casing import display_xy
from optviz.render.marks import set_line_data, step_marks
from optviz.render.pens import draw_markers, draw_stroke, marker_style, markers_only, plain_2d, same_style
from optviz.render.sampling import sample_columns, sample_rows
from optviz.render.scene import Scene

__all__ = ["Player"]

TILE = 32  # pixels: the side of the squares in which the player notes which layers painted


@dataclass
class _Trail:
    """One layer: a growing line's stroke, or its step markers, as drawn so far.

    The layer is a coverage map (0-255) over the box the line is clipped to; the line's colour
    and alpha are applied when the layers are laid over the background. Each new piece is drawn
    opaque on a scratch canvas and merged with ``max``: where two pieces meet or a zig-zag comes
    back over itself, the line is painted once, as a full draw paints a whole line once.
    """

    line: Line2D
    markers: bool  # this layer holds the line's step markers, not its stroke
    xy: np.ndarray  # (M, D) every row
    pixels: np.ndarray  # (M, 2) display coordinates of the rows
    keep: np.ndarray  # (M,) bool: rows a drawing needs (all, unless the line is long)
    marks: np.ndarray | None  # sorted rows with a step marker, else None
    is3d: bool
    box: tuple[int, int, int, int]  # (row0, row1, col0, col1) of the buffer the line can paint
    color: np.ndarray = field(init=False)  # (3,) uint16
    alpha: int = field(init=False)  # 0-255
    coverage: np.ndarray = field(init=False)  # (row1 - row0, col1 - col0) uint8
    host: _Trail | None = None  # an opaque line's markers merge into its stroke's layer
    slot: int = -1  # the player's index of a laid layer (one without a host)
    painted: tuple[int, int, int, int] | None = None  # the box holding every painted pixel
    tail: int = 0  # the row before the last one drawn
    whole: bool = field(init=False)  # every row is drawn (a line no longer than the figure is wide)
    finite: bool = field(init=False)  # no row is a break (NaN)
    plain: bool = field(init=False)  # drawn straight to the renderer (a plain 2-D line), not by the line
    pen: tuple | None = field(init=False, default=None)  # how the piece is drawn, set up once
    pad: float | None = field(init=False, default=None)  # pixels a piece reaches beyond its rows

    def __post_init__(self) -> None:
        rgba = to_rgba(self.line.get_color(), self.line.get_alpha())
        self.color = np.array([round(255 * c) for c in rgba[:3]], dtype=np.uint16)
        self.whole = bool(self.keep.all())
        self.finite = bool(np.isfinite(self.pixels).all())
        self.plain = not self.is3d and plain_2d(self.line)
        self.alpha = 255 if self.markers else round(255 * rgba[3])  # markers are drawn with theirs
        r0, r1, c0, c1 = self.box
        self.coverage = np.zeros((r1 - r0, c1 - c0), dtype=np.uint8)

    def clear(self) -> None:
        self.coverage[...] = 0
        self.painted = None
        self.tail = 0

    def draw(self, scratch: RendererAgg, start: int, stop: int) -> tuple[int, int, int, int] | None:
        """Add rows ``start .. stop - 1`` (from ``start - 1``, where the drawn part ends, if
        ``start`` > 0) to the layer. The line keeps these rows afterwards.

        Returns the buffer box the piece painted, None if nothing.
        """
        line = self.line
        # the stroke starts a segment back: the corner where the pieces meet is drawn whole here,
        # and the round start lies on ground the last piece painted (max keeps it painted once)
        before = [self.tail, start - 1] if start and not self.markers else [start - 1] if start else []
        rows: slice | np.ndarray
        if self.whole and (not before or before[-1] - 1 <= before[0] <= before[-1]):  # a run of rows: a slice
            first = before[0] if before else 0
            rows, self.tail = slice(first, stop), max(first, stop - 2)
        else:
            kept = np.arange(start, stop) if self.whole else np.flatnonzero(self.keep[start:stop]) + start
            rows = np.unique(np.concatenate([before, kept, [stop - 1]]).astype(np.intp))
            self.tail = int(rows[-2]) if len(rows) > 1 else int(rows[-1])
        if self.markers:
            marks = self.marks[np.searchsorted(self.marks, start) : np.searchsorted(self.marks, stop)]
            if not len(marks):
                return None
        if not self.plain:
            self._draw_line2d(scratch, np.arange(stop)[rows] if isinstance(rows, slice) else rows, start)
        elif self.markers:
            self.pen = draw_markers(scratch, line, self.pixels[marks], self.pen)
        else:
            cap = "round" if start else line.get_solid_capstyle()
            self.pen = draw_stroke(scratch, line, self.pixels[rows], cap, self.pen)
        return self._merge(scratch, rows)

    def _draw_line2d(self, scratch: RendererAgg, rows: np.ndarray, start: int) -> None:
        """The piece drawn by the line itself (3-D lines are projected as they draw)."""
        line = self.line
        set_line_data(line, self.xy[rows], self.is3d)
        saved = (line.get_solid_capstyle(), line.get_alpha(), line.get_linestyle(), line.get_marker())
        if self.markers:
            marks = self.marks[np.searchsorted(self.marks, start) : np.searchsorted(self.marks, rows[-1] + 1)]
            line.set_markevery(np.searchsorted(rows, marks).tolist())  # marks are kept rows
            line.set_linestyle("None")
        else:
            line.set_marker("None")
            line.set_alpha(None)  # the stroke's alpha is applied when its layer is laid
            if start:
                line.set_solid_capstyle("round")  # where two pieces meet: the shape of a round join
        line.draw(scratch)
        line.set_solid_capstyle(saved[0])
        line.set_alpha(saved[1])
        line.set_linestyle(saved[2])
        line.set_marker(saved[3])

    def _merge(self, scratch: RendererAgg, rows: slice | np.ndarray) -> tuple[int, int, int, int] | None:
        points = self.pixels[rows]
        if not self.finite:
            points = points[np.isfinite(points).all(axis=1)]
            if not len(points):
                return None
        if self.pad is None:
            line = self.line
            size = (
                line.get_markersize() + 2 * line.get_markeredgewidth() if self.markers else 1.5 * line.get_linewidth()
            )
            self.pad = size * scratch.dpi / 72 / 2 + 3
        pad = self.pad
        (x0, y0), (x1, y1) = points.min(axis=0) - pad, points.max(axis=0) + pad
        height = scratch.height
        box = _intersect((int(height - y1), int(np.ceil(height - y0)), int(x0), int(np.ceil(x1))), self.box)
        if box is None:
            return None
        r0, r1, c0, c1 = box
        drawn = np.asarray(scratch.buffer_rgba())[r0:r1, c0:c1]
        layer = self.host or self
        b0, _, a0, _ = layer.box
        mine = layer.coverage[r0 - b0 : r1 - b0, c0 - a0 : c1 - a0]
        if self.markers:  # each marker is blended on its own, as in a full draw
            add = drawn[..., 3].astype(np.uint16)
            mine[...] = mine + add - _div255(mine * add + 127)
        else:
            np.maximum(mine, drawn[..., 3], out=mine)
        drawn[...] = 0
        layer.painted = box if layer.painted is None else _union(layer.painted, box)
        return box


class Player:
    """Draws frames of a scene (built with ``animated=True``) by blitting over a kept trail.

    Each growing line has a layer (:class:`_Trail`) for its stroke and one for its step markers (in
    the stroke's layer when the line is opaque), laid over the background in the order a full draw
    paints them, each with its colour and alpha as Agg blends them (within one level of drawing
    them there directly). Only the boxes a frame's new rows painted are laid again.
    """

    def __init__(self, scene: Scene):
        self.scene = scene
        scene.canvas.draw()  # everything except the artists marked animated
        self.background_rgba = np.asarray(scene.canvas.buffer_rgba()).copy()
        self._trails, self._order = _trails(scene)
        trailed = {id(t.line) for t in self._trails}
        self._overlay = [a for a in scene.animated if id(a) not in trailed]
        self._check_order(scene.animated, trailed)
        width, height = scene.canvas.get_width_height()
        self._scratch = RendererAgg(width, height, scene.fig.dpi)
        self._laid = [t for t in self._trails if t.host is None]
        for slot, trail in enumerate(self._laid):
            trail.slot = slot
        # which TILE x TILE squares of the figure each laid layer has painted: a box is laid
        # again from the layers that painted there only
        self._tiles = np.zeros((len(self._laid), -(-height // TILE), -(-width // TILE)), dtype=bool)
        self._trail = self.background_rgba.copy()  # the background with the growing lines
        self._rows: list[int] | None = None  # rows of each growing line drawn into its layers
        self._moving: dict[int, tuple] = {}  # per moving marker: frozen transform, style, pen

    def frame(self, k: int) -> np.ndarray:
        """The picture at step ``k``: an (H, W, 4) uint8 view of the canvas, valid until the next call.

        Frames are cheapest in increasing ``k`` (any order is drawn correctly). Afterwards the growing
        lines hold only the rows drawn last; ``scene.update(k)`` sets them whole again.
        """
        scene = self.scene
        scene.update(k, grow=False)
        rows = [n for run in scene.runs for n in run.grown(k)]
        if self._rows is None or any(now < then for now, then in zip(rows, self._rows, strict=True)):
            for trail in self._trails:
                trail.clear()
            self._tiles[...] = False
            self._trail[...] = self.background_rgba
            self._rows = [0] * len(rows)
        boxes = []
        for trail, i in zip(self._trails, self._order, strict=True):
            box = trail.draw(self._scratch, self._rows[i], rows[i]) if rows[i] > self._rows[i] else None
            if box is not None:
                r0, r1, c0, c1 = box
                self._tiles[(trail.host or trail).slot, r0 // TILE : -(-r1 // TILE), c0 // TILE : -(-c1 // TILE)] = True
                boxes.append(box)
        for box in _merged(boxes):
            self._lay(box)
        self._rows = rows
        canvas = np.asarray(scene.canvas.buffer_rgba())
        canvas[...] = self._trail
        renderer = scene.canvas.get_renderer()
        for artist in self._overlay:
            if markers_only(artist):  # heads, markers: straight to the renderer, as Line2D.draw would
                xy = np.column_stack(artist.get_data()).astype(float)
                if len(xy):
                    # the axes do not move while frames are drawn: their transform, frozen once;
                    # the marker's pen is set up again only when its style changed
                    frozen, style, pen = self._moving.get(id(artist)) or (artist.get_transform().frozen(), None, None)
                    now = marker_style(artist)
                    with np.errstate(all="ignore"):
                        pixels = frozen.transform(xy[:, :2])
                    pen = draw_markers(renderer, artist, pixels, pen if same_style(style, now) else None)
                    self._moving[id(artist)] = (frozen, now, pen)
            else:
                scene.fig.draw_artist(artist)
        return canvas

    def _lay(self, box: tuple[int, int, int, int]) -> None:
        """Lay the layers over the background in one box of the trail, as Agg blends (straight alpha)."""
        r0, r1, c0, c1 = box
        # in channel planes (3, h, w), so that numpy's loops run along rows, not over the three
        # channels of each pixel (5x slower); 16 bits hold every term: 255 * 255 + 127 < 2^16
        out = self.background_rgba[r0:r1, c0:c1, :3].transpose(2, 0, 1).astype(np.uint16, order="C")
        there = self._tiles[:, r0 // TILE : -(-r1 // TILE), c0 // TILE : -(-c1 // TILE)].any(axis=(1, 2))
        for slot in np.flatnonzero(there):
            trail = self._laid[slot]
            part = _intersect(box, trail.painted) if trail.painted is not None else None
            if part is None:
                continue
            p0, p1, q0, q1 = part
            b0, _, a0, _ = trail.box
            a = trail.coverage[p0 - b0 : p1 - b0, q0 - a0 : q1 - a0].astype(np.uint16)
            if trail.alpha < 255:
                a = _div255(a * trail.alpha + 127)
            under = out[:, p0 - r0 : p1 - r0, q0 - c0 : q1 - c0]
            mixed = trail.color[:, None, None] * a
            mixed += under * (255 - a)
            mixed += 127
            under[...] = _div255(mixed)
        self._trail[r0:r1, c0:c1, :3] = out.transpose(1, 2, 0)

    @staticmethod
    def _check_order(animated: list[Artist], trailed: set[int]) -> None:
        """The trail is drawn before every other moving artist: none of those may belong under a
        growing line of the same axes (a full draw would paint it first)."""
        top: dict[int, float] = {}
        for artist in animated:
            if id(artist) in trailed:
                top[id(artist.axes)] = max(top.get(id(artist.axes), -np.inf), artist.get_zorder())
        for artist in animated:
            if id(artist) not in trailed and artist.get_zorder() < top.get(id(artist.axes), -np.inf):
                raise ValueError(f"{artist} is drawn under a growing line and cannot go over the trail")


def _trails(scene: Scene) -> tuple[list[_Trail], list[int]]:
    """The layers of every run's growing lines in the order a full draw paints them (zorder, then
    as added; a line's markers over its stroke), and for each the line's place in the runs' own
    order (:meth:`RunArt.grown`)."""
    width, height = scene.canvas.get_width_height()
    out, index, lines = [], [], 0
    for run in scene.runs:
        for line, xy in run.growing():
            is3d = scene.is3d and line.axes is scene.main
            marks = step_marks(run) if line is run.path and line.get_marker() not in (None, "None", "") else None
            _check_plain(line)
            pixels = display_xy(line.axes, xy) if is3d else _pixels(line, xy)
            keep = np.ones(len(xy), dtype=bool)
            if len(xy) > width:  # more vertices than the figure has pixel columns
                monotone = not is3d and bool(np.all(np.diff(xy[:, 0]) >= 0))
                keep = (sample_columns if monotone else sample_rows)(pixels, marks)
            clip = line.get_clip_box() if line.get_clip_on() else None
            box = (0, height, 0, width)
            if clip is not None:  # one pixel more each side: Agg rounds the clip box
                box = (
                    _intersect(
                        (
                            int(height - clip.y1) - 1,
                            int(np.ceil(height - clip.y0)) + 1,
                            int(clip.x0) - 1,
                            int(np.ceil(clip.x1)) + 1,
                        ),
                        box,
                    )
                    or box
                )
            for markers in (False, True) if marks is not None else (False,):
                out.append(_Trail(line, markers, xy, pixels, keep, marks, is3d, box))
                index.append(lines)
                alpha = line.get_alpha()
                if markers and (alpha is None or alpha >= 1):
                    # opaque: markers over the stroke in one colour are one layer (coverage a + m - a m)
                    out[-1].host, out[-1].coverage = out[-2], out[-2].coverage
            lines += 1
    order = sorted(range(len(out)), key=lambda i: out[i].line.get_zorder())
    return [out[i] for i in order], [index[i] for i in order]


def _check_plain(line: Line2D) -> None:
    """A layer holds coverage and one colour: the line's markers must be in its colour."""
    if line.get_marker() in (None, "None", ""):
        return
    color = to_rgba(line.get_color())
    for face in (line.get_markerfacecolor(), line.get_markeredgecolor()):
        if to_rgba(face) != color:
            raise ValueError(f"{line}: step markers in another colour than the line cannot be kept in its layer")


def _div255(v: np.ndarray) -> np.ndarray:
    """``v // 255`` for uint16 ``v`` <= 65152 (exact there), by shifts instead of a division."""
    return (v + 1 + (v >> 8)) >> 8


def _intersect(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> tuple[int, int, int, int] | None:
    box = (max(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), min(a[3], b[3]))
    return box if box[1] > box[0] and box[3] > box[2] else None


def _union(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    return (min(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), max(a[3], b[3]))


def _merged(boxes: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """Boxes with every overlapping pair replaced by their union (laying a box twice is harmless,
    but costs twice)."""
    out: list[tuple[int, int, int, int]] = []
    for box in boxes:
        while True:
            hit = next((i for i, other in enumerate(out) if _intersect(box, other) is not None), None)
            if hit is None:
                break
            box = _union(box, out.pop(hit))
        out.append(box)
    return out


def _pixels(line: Line2D, xy: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return line.get_transform().transform(xy[:, :2])
