"""Sampling long lines for drawing: no more vertices than the pixels they pass through.

A run of 100,000 steps settles into a few pixels, or zig-zags over the same ground for ever; its
polyline draws the same picture from far fewer vertices. :func:`sample_rows` keeps, of a
polyline in display pixels, the rows that join every pair of pixels it joins (at every prefix,
so every frame of an animation is right); :func:`sample_columns` keeps, of a line whose x never
decreases (a panel curve), the first, last, lowest and highest row of each pixel column.
"""

from __future__ import annotations

import numpy as np

__all__ = ["sample_columns", "sample_rows"]


def sample_rows(pixels: np.ndarray, force: np.ndarray | None = None) -> np.ndarray:
    """Which rows of a polyline to draw so that it looks the same and costs what its pixels do.

    Guarantee, for every prefix of the line (every frame): the drawn rows are rows of the line,
    unmoved; every pair of pixels (floor of the coordinates) that the line joins is joined by
    the drawn line too, and the drawn line joins no other pair except two touching pixels both
    already visited. Rows are skipped by two rules:

    1. **One pixel.** A run of consecutive rows in one pixel keeps its first and last row: the rows
       between lie in that pixel, and so do the segments joining them.
    2. **Ground already drawn.** A visit to a pixel is skipped when the line has already joined,
       earlier on, the pixels it comes from and goes to with this one, and the segment that
       replaces the visit joins two pixels joined earlier on or touching (a zig-zag over its own
       track, a run dithering around its minimum). Non-adjacent visits are skipped in each pass,
       so every replacing segment is checked; passes repeat until none is skipped. The first
       time a zig-zag joins two pixels, its turning points stay.

    Always kept: the first and last row, rows with a non-finite coordinate (breaks) and their
    neighbours, and the ``force`` rows (step markers). For lines whose x never decreases (panel
    curves), :func:`sample_columns` keeps fewer.

    Args:
        pixels: (M, 2) display coordinates.
        force: rows that must be kept.

    Returns:
        (M,) bool.
    """
    n = len(pixels)
    finite = np.isfinite(pixels).all(axis=1)
    pinned = _pinned(finite, force)
    cells = np.floor(np.clip(np.where(finite[:, None], pixels, 0.0), -(2.0**28), 2.0**28)).astype(np.int64)
    cells[~finite] = 2**29 + 4 * np.flatnonzero(~finite)[:, None] % 2**28  # a break: a pixel of its own, far away
    raw = (cells[:, 0] + 2**30) * 2**31 + (cells[:, 1] + 2**30)
    # rule 1 first: the first and last row of each run in one pixel (and pinned rows)
    edge = np.concatenate([[True], raw[1:] != raw[:-1]])
    rows = np.flatnonzero(edge | np.concatenate([edge[1:], [True]]) | pinned)
    _, where, key_of_row = np.unique(raw[rows], return_index=True, return_inverse=True)
    key = np.zeros(n, dtype=np.int64)
    key[rows] = key_of_row.ravel()
    cell_of = cells[rows[where]]  # the pixel of each key
    width = len(where)
    cycle = n
    for parity in (0, 1) * 32:
        # the visits: runs of rows in one pixel, each kept as its first and last row
        first = np.concatenate([[True], key[rows[1:]] != key[rows[:-1]]])
        starts = np.flatnonzero(first)
        visit = key[rows[starts]]
        if len(visit) < 3:
            break
        held = np.add.reduceat(pinned[rows].astype(np.int64), starts) > 0
        pair = np.minimum(visit[:-1], visit[1:]) * width + np.maximum(visit[:-1], visit[1:])
        pairs, first_at = np.unique(pair, return_index=True)  # segment j joins visits j and j + 1
        seen = np.ones(len(pair), dtype=bool)
        seen[first_at] = False
        a, c = visit[:-2], visit[2:]
        across = np.minimum(a, c) * width + np.maximum(a, c)
        at = np.minimum(np.searchsorted(pairs, across), len(pairs) - 1)
        joined = (pairs[at] == across) & (first_at[at] < np.arange(len(across)))  # before segment j - 1
        touching = (np.abs(cell_of[a] - cell_of[c]) <= 1).all(axis=1)
        drop = np.zeros(len(visit), dtype=bool)
        drop[1:-1] = seen[:-1] & seen[1:] & (joined | touching) & ~held[1:-1]
        drop[np.arange(len(visit)) % 2 != parity] = False  # never two neighbours in one pass
        if parity:  # a pass over both parities: stop when it skipped under 1% of the visits
            if len(visit) - drop.sum() > 0.99 * cycle:
                break
        else:
            cycle = len(visit)
        lengths = np.diff(np.concatenate([starts, [len(rows)]]))
        rows = rows[~np.repeat(drop, lengths)]
    first = np.concatenate([[True], key[rows[1:]] != key[rows[:-1]]])
    last = np.concatenate([first[1:], [True]])
    keep = np.zeros(n, dtype=bool)
    keep[rows[first | last]] = True
    return keep | pinned


def sample_columns(pixels: np.ndarray, force: np.ndarray | None = None) -> np.ndarray:
    """Rows to draw of a line whose x never decreases: per pixel column the first and last row
    and the rows of the lowest and highest point (M4 sampling). In every column the drawn line
    enters and leaves where the full one does and spans the same rows of pixels, with at most
    four vertices per column. Breaks, their neighbours and ``force`` rows are kept.
    """
    finite = np.isfinite(pixels).all(axis=1)
    keep = _pinned(finite, force)
    rows = np.flatnonzero(finite)
    if not len(rows):
        return keep
    column = np.floor(pixels[rows, 0]).astype(np.int64)
    starts = np.flatnonzero(np.concatenate([[True], column[1:] != column[:-1]]))
    keep[rows[starts]] = True
    keep[rows[np.concatenate([starts[1:] - 1, [len(rows) - 1]])]] = True
    y = pixels[rows, 1]
    order = np.lexsort((y, column))  # by column, then height: the first and last of each column
    sorted_column = column[order]
    bounds = np.flatnonzero(np.concatenate([[True], sorted_column[1:] != sorted_column[:-1]]))
    keep[rows[order[bounds]]] = True
    keep[rows[order[np.concatenate([bounds[1:] - 1, [len(order) - 1]])]]] = True
    return keep


def _pinned(finite: np.ndarray, force: np.ndarray | None) -> np.ndarray:
    """The ends, breaks and their neighbours, and the forced rows."""
    pinned = ~finite
    pinned[[0, -1]] = True
    pinned[1:] |= ~finite[:-1]
    pinned[:-1] |= ~finite[1:]
    if force is not None:
        pinned[np.asarray(force, dtype=np.intp)] = True
    return pinned
