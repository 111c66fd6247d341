"""The player keeps each moving marker's pen while its style stays the same: a head that turns
into an arrowhead on the window's edge (a new marker, size and edge width) must be drawn as a
full redraw draws it, frame after frame."""

from __future__ import annotations

import itertools

import matplotlib as mpl
import numpy as np
import pytest
from conftest import full_redraw

import optviz
from optviz.functions import get as get_function
from optviz.render.pens import marker_style, same_style
from optviz.render.player import Player
from optviz.render.scene import build_scene
from optviz.settings import DrawSettings


@pytest.mark.parametrize(("theme", "size"), [("light", "640x360"), ("dark", "800x450")])
def test_a_head_leaving_the_window_is_drawn_as_a_full_redraw_draws_it(theme, size):
    # gd at lr 0.05 on Himmelblau's function blows up: its head leaves the window after 5 steps
    runs = [optviz.run("himmelblau", "gd", lr=0.05, steps=30), optviz.run("himmelblau", "adam", lr=0.1, steps=30)]
    options = DrawSettings(size=size, theme=theme)
    with mpl.rc_context(options.theme.rc(options.font_pt)):
        scene = build_scene(runs, get_function("himmelblau"), options, animated=True)
        head = scene.runs[0].head
        inside = scene.runs[0].clip.inside
        assert inside[0] and not inside.all()  # the case this test is about
        player = Player(scene)
        styles = []
        for k in range(0, 31):
            blitted = player.frame(k).astype(int)
            styles.append(marker_style(head))
            j = min(k, len(inside) - 1)
            if k in (2, 30) or (k and inside[j] != inside[j - 1]) or k == j + 1:
                redrawn = full_redraw(scene, k, restore_background=False).astype(int)
                differs = np.abs(blitted - redrawn).max(axis=-1) > 16
                assert differs.mean() < 1e-3, f"step {k}: {differs.sum()} pixels differ"
                # and around the head, where a stale pen would draw the wrong marker
                x, y = head.get_transform().transform(np.column_stack(head.get_data()))[0]
                row, col = blitted.shape[0] - int(y), int(x)
                near = differs[max(row - 12, 0) : row + 12, max(col - 12, 0) : col + 12]
                assert near.sum() <= 2, f"step {k}: {near.sum()} pixels differ around the head"
    # the head's style did change between frames (else the pens were never set up again)
    assert not all(same_style(a, b) for a, b in itertools.pairwise(styles))


def test_a_pen_is_kept_only_for_the_same_style():
    line = mpl.lines.Line2D([0], [0], marker="o", ms=5, color="red")
    style = marker_style(line)
    assert same_style(style, marker_style(line))
    for change in (
        lambda: line.set_markersize(6),
        lambda: line.set_color("blue"),  # an 'auto' face takes the line's colour
        lambda: line.set_markeredgewidth(2),
        lambda: line.set_alpha(0.5),
        lambda: line.set_marker("o"),  # the same shape, a new MarkerStyle
        lambda: line.set_clip_on(False),
    ):
        change()
        now = marker_style(line)
        assert not same_style(style, now)
        style = now
    assert not same_style(None, style)
