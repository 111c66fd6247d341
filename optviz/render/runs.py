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
