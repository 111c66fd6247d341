"""What a frame costs: draw calls and vertices that do not grow with the steps already drawn,
frames played in order that equal full redraws, and the sampling that keeps long lines cheap."""

from __future__ import annotations

import itertools

import matplotlib as mpl
import numpy as np
import pytest
from conftest import full_redraw

import optviz
from optviz.functions import get as get_function
from optviz.render.player import Player
from optviz.render.sampling import sample_columns, sample_rows
from optviz.render.scene import Scene, build_scene
from optviz.settings import DrawSettings

SMALL = "400x225"


def _scene(trajs, fn: str, **settings) -> tuple[Scene, DrawSettings]:
    options = DrawSettings(size=settings.pop("size", SMALL), **settings)
    with mpl.rc_context(options.theme.rc(options.font_pt)):
        return build_scene(trajs, get_function(fn), options, animated=True), options


class DrawCounter:
    """Counts what reaches the renderers: calls per drawing method and vertices passed
    (a path's vertices for ``draw_path``, the marker positions for ``draw_markers``)."""

    METHODS = ("draw_path", "draw_markers", "draw_path_collection", "draw_image", "draw_text", "draw_mathtext")

    def __init__(self, *renderers):
        self.calls: dict[str, int] = {}
        self.vertices = 0
        for renderer in renderers:
            for name in self.METHODS:
                if hasattr(renderer, name):
                    setattr(renderer, name, self._wrap(name, getattr(renderer, name)))

    def _wrap(self, name, method):
        def counted(*args, **kwargs):
            self.calls[name] = self.calls.get(name, 0) + 1
            if name == "draw_path":
                self.vertices += len(args[1].vertices)
            elif name == "draw_markers":
                self.vertices += len(args[3].vertices)
            return method(*args, **kwargs)

        return counted

    def reset(self) -> None:
        self.calls, self.vertices = {}, 0


@pytest.fixture(scope="module")
def long_runs() -> list[optviz.Trajectory]:
    # 100,000 steps: one run circles its minimum, one zig-zags across the ravine for ever
    # (lr 0.5: the steep direction's factor |1 - 4 * 0.5| = 1), one crawls along it
    return [
        optviz.run("ravine", "adam", lr=0.4, steps=100_000),
        optviz.run("ravine", "gd", lr=0.5, steps=100_000),
        optviz.run("ravine", "gd", lr=0.0001, steps=100_000),
    ]


def test_frame_cost_at_step_100000_is_within_2x_of_step_100(long_runs):
    scene, options = _scene(long_runs, "ravine", panels="loss,grad_norm")
    with mpl.rc_context(options.theme.rc(options.font_pt)):
        player = Player(scene)
        counter = DrawCounter(scene.canvas.get_renderer(), player._scratch)
        cost = {}
        for k in (100, 100_000):
            player.frame(k - 100)  # the frame before: each frame adds 100 steps
            counter.reset()
            player.frame(k)
            cost[k] = (sum(counter.calls.values()), counter.vertices)
    (calls_100, vertices_100), (calls_end, vertices_end) = cost[100], cost[100_000]
    assert calls_end <= 2 * calls_100, cost
    assert vertices_end <= 2 * vertices_100, cost
    assert vertices_100 > 0  # the counter sees the drawing


@pytest.mark.parametrize(
    ("fn", "opts", "lr", "steps", "settings"),
    [
        pytest.param("ravine", ("gd", "adam"), 0.01, 30, {"panels": "loss,grad_norm,lr"}, id="contour-3-panels"),
        pytest.param("rosenbrock", ("gd", "adam"), 0.01, 30, {"theme": "dark"}, id="contour-log-dark"),
        pytest.param("xcos", ("gd", "adam"), 0.01, 30, {"size": "square"}, id="1d-square"),
        pytest.param("himmelblau", ("gd", "adam"), 0.01, 30, {"view": "surface"}, id="surface"),
        pytest.param("ravine", ("gd", "momentum", "adam"), 0.4, 100, {}, id="casings-crossings"),
        pytest.param("ravine", ("gd", "sgd(momentum=0.9)"), 0.4, 3000, {"tolerance": 2.5e-3}, id="long-sampled"),
    ],
)
def test_frames_played_in_order_equal_full_redraws(fn, opts, lr, steps, settings):
    """Each frame adds its new rows to the kept layers; at any frame the picture is a full
    redraw's, but for antialiased edges where a line overlaps itself (a full draw paints the
    union of the overlapping strokes, the layers the larger coverage of the two: up to 1e-3 of
    the pixels).

    Lines longer than the figure is wide are sampled (no more vertices than pixels), and a dense
    band of thousands of strokes (momentum's loss curve zig-zagging 3000 times across 300 pixel
    columns) drawn from fewer strokes has other antialiased edges: measured 150 of 90,000 pixels
    (1.7e-3) with the whole line drawn from sampled rows in one piece; hence 2.5e-3 there."""
    tolerance = settings.pop("tolerance", 1e-3)
    runs = [optviz.run(fn, opt, lr=lr, steps=steps) for opt in opts]
    scene, options = _scene(runs, fn, **settings)
    checks = {steps // 3, steps}
    with mpl.rc_context(options.theme.rc(options.font_pt)):
        player = Player(scene)
        for k in np.unique(np.linspace(0, steps, 25).round().astype(int).tolist() + sorted(checks)):
            blitted = player.frame(int(k)).astype(int)
            if k in checks:
                redrawn = full_redraw(scene, int(k), restore_background=False).astype(int)
                differs = np.abs(blitted - redrawn).max(axis=-1) > 16
                assert differs.mean() < tolerance, f"step {k}: {differs.sum()} pixels differ"
        back = player.frame(steps // 3).astype(int)  # back in time: the layers start again
        assert (
            np.abs(back - full_redraw(scene, steps // 3, restore_background=False).astype(int)).max(axis=-1) > 16
        ).mean() < tolerance


# ------------------------------------------------------------------------------------ sampling


def _pairs(cells: np.ndarray) -> set[tuple[tuple[int, int], tuple[int, int]]]:
    """Unordered pairs of different pixels joined by consecutive rows (none across a break)."""
    out = set()
    for a, b in itertools.pairwise(cells):
        if (a != b).any() and (np.abs(a) < 2**31).all() and (np.abs(b) < 2**31).all():
            out.add(tuple(sorted((tuple(a), tuple(b)))))
    return out


def _lines() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    t = np.arange(20_000)
    return {
        "2-cycle": np.column_stack([10 + 0.001 * t, np.where(t % 2, 40.3, 12.7)]),  # a zig-zag that never settles
        "3-cycle": np.array([[3.5, 5.2], [17.2, 22.9], [9.9, 40.1]])[t % 3] + 1e-5 * t[:, None],
        "settling": np.column_stack([100 * 0.99**t * np.cos(t), 50 * 0.99**t * np.sin(2 * t)]) + 200.3,
        "random walk": np.cumsum(rng.normal(0, 0.7, (20_000, 2)), axis=0),
    }


@pytest.mark.parametrize("name", list(_lines()))
def test_sampled_line_joins_the_same_pixels_at_every_frame(name):
    pixels = _lines()[name]
    pixels[5000] = np.nan  # a break
    force = np.array([0, 123, 4567])
    keep = sample_rows(pixels, force)
    assert keep[[0, -1, 4999, 5000, 5001, *force]].all()
    cells = np.where(np.isfinite(pixels), np.floor(np.nan_to_num(pixels, nan=2.0**40)), 2.0**40).astype(np.int64)
    for m in (2, 777, 5001, 5002, 12_345, len(pixels)):  # the rows shown at some frames
        drawn = np.flatnonzero(keep[:m])
        drawn = np.unique(np.append(drawn, m - 1))  # a frame always draws up to its last row
        full, sampled = _pairs(cells[:m]), _pairs(cells[drawn])
        assert full <= sampled, f"rows {m}: {len(full - sampled)} pixel pairs lost"
        for pair in sampled - full:  # a shortcut only between touching pixels the line visited
            assert (np.abs(np.subtract(*pair)) <= 1).all(), pair
        assert {tuple(c) for c in cells[drawn]} == {tuple(c) for c in cells[:m]}
    if name != "random walk":  # lines that come back over drawn ground shrink to their pixels
        assert keep.sum() < 0.05 * len(keep)


def test_column_sampling_keeps_each_columns_span_entry_and_exit():
    rng = np.random.default_rng(3)
    x = np.linspace(0, 300, 50_000)
    y = 80 + 30 * np.sin(x / 7) + rng.normal(0, 5, len(x))
    pixels = np.column_stack([x, y])
    keep = sample_columns(pixels)
    assert keep.sum() <= 4 * 301
    column = np.floor(x).astype(int)
    for c in rng.choice(300, 20, replace=False):
        rows = np.flatnonzero(column == c)
        kept = rows[keep[rows]]
        assert kept[0] == rows[0] and kept[-1] == rows[-1]
        assert y[kept].min() == y[rows].min() and y[kept].max() == y[rows].max()


def test_short_lines_are_drawn_whole():
    """Runs with no more rows than the figure has pixel columns keep every row (they draw as before)."""
    scene, options = _scene([optviz.run("ravine", "adam", lr=0.4, steps=300)], "ravine", size="800x450")
    with mpl.rc_context(options.theme.rc(options.font_pt)):
        player = Player(scene)
    assert all(trail.keep.all() for trail in player._trails)


# ---------------------------------------------------------------------------------- GIF writer


def test_gif_decodes_to_the_frames_drawn_in_the_palette(tmp_path, monkeypatch):
    """Every decoded frame, whole, is the frame the player drew with each pixel replaced by its
    nearest palette colour (squared RGB distance, first entry on ties), as a brute-force search
    here finds it; frames equal to the one before only lengthen its delay."""
    import imageio.v3 as iio

    import optviz.render.animate as animate
    from optviz.render import render

    drawn, palettes = [], []

    class Recording(animate.GifWriter):
        def __init__(self, fh, width, height, palette, *args, **kwargs):
            palettes.append(palette)
            super().__init__(fh, width, height, palette, *args, **kwargs)

        def add(self, rgba, duration_ms):
            drawn.append(rgba[..., :3].copy())
            super().add(rgba, duration_ms)

    monkeypatch.setattr(animate, "GifWriter", Recording)
    runs = [optviz.run("ravine", opt, lr=0.4, steps=40) for opt in ("gd", "momentum", "adam")]
    out = render(runs, "ravine", tmp_path / "a.gif", size=SMALL, frames=41, panels="loss")
    decoded = iio.imread(out, index=None)[..., :3]
    palette = palettes[0].astype(np.int64)
    expected = []
    for frame in drawn:
        colors, inverse = np.unique(frame.reshape(-1, 3), axis=0, return_inverse=True)
        distance = ((colors[:, None, :].astype(np.int64) - palette[None]) ** 2).sum(axis=-1)
        shown = palette[distance.argmin(axis=1)][inverse.ravel()].reshape(frame.shape)
        if not expected or (shown != expected[-1]).any():
            expected.append(shown)
    assert decoded.shape == (len(expected), *drawn[0].shape)
    assert (decoded == np.array(expected)).all()
    assert len(expected) > 30  # the frames do change
