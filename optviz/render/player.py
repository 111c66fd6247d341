"""The animation player: frames of a scene by blitting, its moving artists over a background drawn once.

matplotlib's own ``Animation.save`` redraws the whole figure for every frame. Here the contours,
axes, labels and legend are drawn once and their pixels saved with ``copy_from_bbox``; each frame
restores them and draws only the artists of :attr:`Scene.animated` (paths, head markers, panel
curves, step counter) with ``draw_artist``.
"""

from __future__ import annotations

import numpy as np

from optviz.render.scene import Scene

__all__ = ["Player"]


class Player:
    """Draws frames of a scene (built with ``animated=True``) by blitting."""

    def __init__(self, scene: Scene):
        self.scene = scene
        scene.canvas.draw()  # everything except the artists marked animated
        self.background_rgba = np.asarray(scene.canvas.buffer_rgba()).copy()
        self._background = scene.canvas.copy_from_bbox(scene.fig.bbox)

    def frame(self, k: int) -> np.ndarray:
        """The picture at step ``k``: an (H, W, 4) uint8 view of the canvas, valid until the next call."""
        scene = self.scene
        scene.canvas.restore_region(self._background)
        scene.update(k)
        for artist in scene.animated:
            scene.fig.draw_artist(artist)
        return np.asarray(scene.canvas.buffer_rgba())
