"""Pens: a line's pieces and markers drawn straight to an Agg renderer, as :meth:`Line2D.draw`
draws them, with the drawing state (graphics context, marker path and transform, colours) set up
once and kept while the line's style stays the same.

The animation player (:mod:`optviz.render.player`) draws every frame's new path pieces, step
markers and heads this way: setting a pen up costs more than the drawing it does.
"""

from __future__ import annotations

from numbers import Real

import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.colors import to_rgba
from matplotlib.lines import Line2D
from matplotlib.path import Path as MplPath
from matplotlib.transforms import IdentityTransform

__all__ = ["draw_markers", "draw_stroke", "marker_style", "markers_only", "plain_2d", "same_style"]

_IDENTITY = IdentityTransform()


def plain_2d(line: Line2D) -> bool:
    """A solid 2-D line drawn the default way: its pieces can go to the renderer directly."""
    marker = line._marker if hasattr(line, "_marker") else None
    return (
        line.get_linestyle() in ("-", "None")
        and line.get_drawstyle() == "default"
        and line.get_sketch_params() is None
        and not line.get_path_effects()
        and (marker is None or not marker.get_alt_path())
    )


def markers_only(artist: Artist) -> bool:
    """A visible 2-D line of markers alone (a head, the start, a minimum), plainly drawn."""
    return (
        type(artist) is Line2D
        and artist.get_visible()
        and artist.get_linestyle() == "None"
        and artist.get_marker() not in (None, "None", "")
        and artist.get_markersize() > 0
        and artist.get_markevery() is None
        and plain_2d(artist)
    )


def marker_style(line: Line2D) -> tuple:
    """What :func:`draw_markers` sets its pen up from (a new MarkerStyle is a new marker)."""
    return (
        line._marker,
        line.get_clip_on(),
        line.get_clip_box(),
        line.get_clip_path(),
        line.get_markersize(),
        line.get_markeredgewidth(),
        line.get_markerfacecolor(),
        line.get_markeredgecolor(),
        line.get_alpha(),
        line.get_antialiased(),
    )


def same_style(style: tuple | None, now: tuple) -> bool:
    """Whether a pen set up for ``style`` draws a line whose style is ``now``."""
    if style is None or any(a is not b for a, b in zip(style[:4], now[:4], strict=True)):
        return False
    try:
        return bool(style[4:] == now[4:])
    except ValueError:  # colours given as arrays
        return False


def _clipped_gc(renderer: RendererAgg, line: Line2D):
    gc = renderer.new_gc()
    if line.get_clip_on():
        gc.set_clip_rectangle(line.get_clip_box())
        gc.set_clip_path(line.get_clip_path())
    gc.set_antialiased(line.get_antialiased())
    return gc


def draw_stroke(renderer: RendererAgg, line: Line2D, pixels: np.ndarray, cap: str, pen: tuple | None = None) -> tuple:
    """The stroke through ``pixels`` as :meth:`Line2D.draw` draws it, opaque, with ``cap`` ends.

    ``pen``: what an earlier call returned for this line (its style has not changed since).
    """
    if pen is None:
        gc = _clipped_gc(renderer, line)
        gc.set_linewidth(line.get_linewidth())
        gc.set_joinstyle(line.get_solid_joinstyle())
        gc.set_snap(line.get_snap())
        gc.set_foreground(to_rgba(line.get_color()), isRGBA=True)
        gc.set_dashes(0, None)
        pen = (gc,)
    pen[0].set_capstyle(cap)
    renderer.draw_path(pen[0], MplPath(pixels), _IDENTITY)
    return pen


def draw_markers(renderer: RendererAgg, line: Line2D, pixels: np.ndarray, pen: tuple | None = None) -> tuple:
    """The line's markers at ``pixels`` as :meth:`Line2D.draw` draws them (with the line's alpha).

    ``pen``: what an earlier call returned for this line (its style has not changed since).
    """
    if pen is None:
        marker = line._marker
        alpha = line.get_alpha()
        face = to_rgba(line.get_markerfacecolor(), alpha)
        edge = to_rgba(line.get_markeredgecolor(), alpha)
        if face[3] and str(line.get_markerfacecolor()).lower() != "none":
            edge = (*edge[:3], face[3])  # an "auto" edge takes the face's alpha (see Line2D.draw)
        gc = _clipped_gc(renderer, line)
        gc.set_linewidth(line.get_markeredgewidth())
        gc.set_foreground(edge, isRGBA=True)
        size = renderer.points_to_pixels(line.get_markersize())
        snap = marker.get_snap_threshold()
        gc.set_snap(size >= snap if isinstance(snap, Real) else snap)
        gc.set_joinstyle(marker.get_joinstyle())
        gc.set_capstyle(marker.get_capstyle())
        pen = (gc, marker.get_path(), marker.get_transform().scale(size), face)
    gc, path, transform, face = pen
    renderer.draw_markers(gc, path, transform, MplPath(pixels), _IDENTITY, face)
    return pen
