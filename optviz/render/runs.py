"""One run as drawn: its path in the main axes' coordinates, the artists that show it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from matplotlib.lines import Line2D

from optviz.render.style import ClippedPath
from optviz.trajectory import Trajectory

__all__ = ["RunArt"]


@dataclass
class RunArt:
    """The artists and data of one run: its path and head marker in the main axes
    (:func:`~optviz.render.marks.draw_path`, shown at a step by :func:`~optviz.render.marks.show_path`),
    its curves in the side panels (:func:`~optviz.render.panels.add_panels`)."""

    traj: Trajectory
    color: str
    clip: ClippedPath  # the path in main-axes coordinates, clipped to the window
    path: Line2D  # Line3D in the surface view
    head: Line2D | None = None  # animated head marker
    series: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    panel_lines: dict[str, Line2D] = field(default_factory=dict)
    panel_heads: dict[str, Line2D] = field(default_factory=dict)
    # where the path leaves the window and comes back (None if it never does), set by draw_crossings
    leaves: Line2D | None = None
    returns: Line2D | None = None
    head_angle: np.ndarray | None = None  # (K,) screen direction (degrees) of points beyond the window
    # a wider, lighter line under the parts a later-drawn run covers; casing_rows[m] of its rows
    # show the path's first m rows
    casing: Line2D | None = None
    casing_xy: np.ndarray | None = None
    casing_rows: np.ndarray | None = None
    marks: np.ndarray | None = None  # rows of clip.xy that get a step marker (cached)

    def growing(self) -> list[tuple[Line2D, np.ndarray]]:
        """The lines that show a growing prefix of fixed rows (the path, its casing, the panel
        curves), each with all its rows ((M, D) floats): at step ``k`` a line shows the first
        :meth:`grown` ``(k)`` rows, as :meth:`~optviz.render.scene.Scene.update` sets them."""
        out = [(self.path, self.clip.xy)]
        if self.casing is not None and self.casing_xy is not None:
            out.append((self.casing, self.casing_xy))
        for name, line in self.panel_lines.items():
            steps, values = self.series[name]
            out.append((line, np.column_stack([steps, values]).astype(float)))
        return out

    def grown(self, k: int) -> list[int]:
        """How many rows each of :meth:`growing`'s lines shows at step ``k`` (same order)."""
        m = self.clip.rows(k)
        out = [m]
        if self.casing is not None and self.casing_rows is not None:
            out.append(int(self.casing_rows[m]))
        for name in self.panel_lines:
            out.append(min(k + 1, len(self.series[name][0])))  # lr[k] is the rate update k uses
        return out
