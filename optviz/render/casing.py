"""Paths that coincide: where a later-drawn run covers a run's path (several runs from one start
taking the same first steps), the covered run is drawn again under the paths, wider and lighter,
so each shows as a border of its colour around the one on top.

Coincidence is found in pixels: each path is sampled along its drawn segments, and the samples of a
run are looked up in a grid of the cells that later runs pass through.
"""

from __future__ import annotations

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes

from optviz.render.runs import RunArt
from optviz.settings import DrawSettings

__all__ = ["display_xy", "draw_casings"]

#: at most this many runs are checked (a sweep of 200 is a cloud, not lines)
MAX_CASED_RUNS = 8
CASING_ALPHA = 0.45
CASING_STEP = 3.2  # points of casing each side shows per run covering it
#: rows: a longer path is sampled once per distinct segment (ends in the same half cells)
LONG_PATH = 4096


def display_xy(ax: Axes, xy: np.ndarray) -> np.ndarray:
    """(M, 2 or 3) coordinates -> (M, 2) pixels (3-D points through the axes' projection)."""
    xy = np.asarray(xy, dtype=float)
    if xy.shape[1] == 3:
        from mpl_toolkits.mplot3d import proj3d

        with np.errstate(all="ignore"):
            x, y, _ = proj3d.proj_transform(xy[:, 0], xy[:, 1], xy[:, 2], ax.get_proj())  # type: ignore[attr-defined]
        xy = np.column_stack([x, y])
    with np.errstate(all="ignore"):
        return ax.transData.transform(xy)


def draw_casings(ax: Axes, runs: list[RunArt], opts: DrawSettings, animated: bool) -> list[Artist]:
    """Where a run's path is covered by a later-drawn one (same start, same first steps), draw it
    again under the paths, wider and lighter: each covered run shows as a border of its colour."""
    if not 2 <= len(runs) <= MAX_CASED_RUNS:
        return []
    lw = max(float(run.path.get_linewidth()) for run in runs)
    cell = max(2.0, 1.2 * lw * opts.dpi / 72.0)  # pixels: paths closer than about a line width coincide
    samples = [_samples(display_xy(ax, run.clip.xy), cell / 2) for run in runs]
    cells = [_cells(points, cell) for points, _, _ in samples]
    out: list[Artist] = []
    for i, run in enumerate(runs):
        points, segment, same = samples[i]
        if not len(points):
            continue
        rows = len(run.clip.xy)
        total = np.bincount(segment, minlength=rows)[same]
        cased = np.zeros(rows, dtype=bool)
        covering, top = 0, 0.0
        for j in range(i + 1, len(runs)):
            hits = np.bincount(segment, weights=_near_cells(points, cell, cells[j]), minlength=rows)[same]
            # a segment is covered when nearly all its samples are; a stretch shorter than a few
            # line widths is two paths crossing, not running together
            by_j = _long_stretches((total > 0) & (hits >= 0.9 * total), total, 8)  # 8 samples: 4 cells
            if by_j.any():
                cased |= by_j
                covering += 1
                # the covering path is as wide as its line or its step markers (a tube when dense)
                line = runs[j].path
                top = max(top, line.get_linewidth(), line.get_markersize() + line.get_markeredgewidth())
        if not covering:
            continue
        run.casing_xy, run.casing_rows = _casing_rows(run.clip.xy, cased)
        width = top + CASING_STEP * min(covering, 3)
        run.casing = ax.plot(
            *run.casing_xy[:0].T,
            color=run.color,
            lw=width,
            alpha=CASING_ALPHA,
            solid_capstyle="round",
            zorder=5.5 - 0.01 * width,  # under every path; wider casings under narrower ones
            animated=animated,
        )[0]
        out.append(run.casing)
    return out


def _long_stretches(flags: np.ndarray, samples: np.ndarray, least: int) -> np.ndarray:
    """``flags`` kept only in runs of consecutive flagged rows holding at least ``least`` samples."""
    keep = flags.copy()
    edges = np.flatnonzero(np.diff(np.concatenate([[0], flags.astype(np.int8), [0]])))
    for start, stop in zip(edges[::2], edges[1::2], strict=True):
        if samples[start:stop].sum() < least:
            keep[start:stop] = False
    return keep


def _samples(pixels: np.ndarray, spacing: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points every ``spacing`` pixels along each drawn segment (rows r -> r + 1, both finite),
    the segment (its first row) each belongs to, and for each row the row whose samples stand
    for its segment: itself, or on a path of more than :data:`LONG_PATH` rows the first segment
    with both ends in the same ``spacing`` squares (a zig-zag repeated 100,000 times is sampled
    once, not 100,000 times)."""
    same = np.arange(len(pixels))
    if len(pixels) < 2:
        return np.zeros((0, 2)), np.zeros(0, dtype=int), same
    a, b = pixels[:-1], pixels[1:]
    ok = np.isfinite(a).all(axis=1) & np.isfinite(b).all(axis=1)
    rows = np.flatnonzero(ok)
    if len(pixels) > LONG_PATH and len(rows):
        ends = np.floor(np.column_stack([a[rows], b[rows]]) / spacing).astype(np.int64)
        _, first, inverse = np.unique(ends, axis=0, return_index=True, return_inverse=True)
        same[rows] = rows[first][inverse.ravel()]
        rows = rows[np.sort(first)]
    a, b = a[rows], b[rows]
    counts = np.minimum(np.ceil(np.hypot(*(b - a).T) / spacing).astype(int), 4000) + 1
    segment = np.repeat(rows, counts)
    start = np.repeat(np.cumsum(counts) - counts, counts)
    t = (np.arange(counts.sum()) - start) / np.maximum(np.repeat(counts - 1, counts), 1)
    where = np.repeat(a, counts, axis=0) + t[:, None] * np.repeat(b - a, counts, axis=0)
    return where, segment, same


def _cells(points: np.ndarray, cell: float) -> np.ndarray:
    """Sorted unique keys of the grid cells the points fall in."""
    ij = np.floor(points / cell).astype(np.int64)
    return np.unique(ij[:, 0] * 1_000_003 + ij[:, 1])


def _near_cells(points: np.ndarray, cell: float, keys: np.ndarray) -> np.ndarray:
    """Whether each point's cell or one of its 8 neighbours holds one of ``keys`` (sorted, unique:
    :func:`_cells`), all nine looked up in one binary search."""
    if not len(keys):
        return np.zeros(len(points), dtype=bool)
    ij = np.floor(points / cell).astype(np.int64)
    probes = (ij[:, 0] * 1_000_003 + ij[:, 1])[:, None] + _NEIGHBOURS
    found = keys[np.minimum(np.searchsorted(keys, probes), len(keys) - 1)] == probes
    return found.any(axis=1)


#: the key offsets of a cell's 3 x 3 neighbourhood (keys are row * 1_000_003 + column)
_NEIGHBOURS = np.array([di * 1_000_003 + dj for di in (-1, 0, 1) for dj in (-1, 0, 1)], dtype=np.int64)


def _casing_rows(xy: np.ndarray, cased: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The path's rows with a NaN row after each segment that is not cased; and, per path prefix
    length m, how many casing rows show it."""
    breaks = ~cased[: len(xy)]
    breaks[-1] = False
    position = np.arange(len(xy)) + np.concatenate([[0], np.cumsum(breaks)[:-1]])
    out = np.full((len(xy) + int(breaks.sum()), xy.shape[1]), np.nan)
    out[position] = xy
    shown = np.concatenate([[0], position + 1])  # prefix of m path rows -> rows of the casing
    return out, shown
