"""One run as drawn: its path in the main axes' coordinates, the artists that show it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from matplotlib.lines import Line2D

from optviz.trajectory import Trajectory

__all__ = ["RunArt"]


@dataclass
class RunArt:
    """The artists and data of one run: its path and head marker in the main axes
    (:func:`~optviz.render.marks.draw_path`), its curves in the side panels
    (:func:`~optviz.render.panels.add_panels`)."""

    traj: Trajectory
    color: str
    xy: np.ndarray  # (M, 2) or (M, 3): the path in main-axes coordinates, cut where it leaves far away
    path: Line2D  # Line3D in the surface view
    head: Line2D | None = None  # animated head marker
    series: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    panel_lines: dict[str, Line2D] = field(default_factory=dict)
    panel_heads: dict[str, Line2D] = field(default_factory=dict)
