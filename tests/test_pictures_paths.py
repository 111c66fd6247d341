"""Pictures that do not mislead: paths clipped to the window (drawn again when they come back),
their ends always marked, the minima they end in marked, resolvable contour levels, an honest
surface, and paths that coincide near a shared start kept visible.

Scenes are built on Agg at 400x225 (the tests of test_render.py do the same) unless a test needs
a larger picture to tell markers apart.
"""

from __future__ import annotations

import dataclasses

import imageio.v3 as iio
import matplotlib as mpl
import numpy as np
import pytest
from matplotlib.colors import to_rgb
from matplotlib.contour import ContourSet
from matplotlib.path import Path

import optviz
from optviz.functions import get as get_function
from optviz.render import render
from optviz.render.contour import function_levels
from optviz.render.marks import legend_marks
from optviz.render.minima import found_minima
from optviz.render.player import Player
from optviz.render.scene import Scene, build_scene
from optviz.render.style import ENTRY, EXIT, PASS, POINT, clip_path, contour_levels, grid_resolution
from optviz.render.surface import surface_grid, surface_height
from optviz.settings import DrawSettings

SMALL = "400x225"


def _scene(trajs, fn: str, *, animated: bool, **settings) -> Scene:
    options = DrawSettings(size=settings.pop("size", SMALL), **settings)
    with mpl.rc_context(options.theme.rc(options.font_pt)):
        return build_scene(trajs, get_function(fn), options, animated=animated)


def _rgb(color: str) -> np.ndarray:
    return np.array([round(255 * c) for c in to_rgb(color)])


def _pixel(ax, point, height: int) -> tuple[int, int]:
    x, y = ax.transData.transform(np.asarray(point, dtype=float)[None, :2])[0]
    return int(height - y), int(x)


def _near(image: np.ndarray, rc: tuple[int, int], color: np.ndarray, radius: int = 3, tol: int = 40) -> bool:
    r, c = rc
    patch = image[max(r - radius, 0) : r + radius + 1, max(c - radius, 0) : c + radius + 1, :3].astype(int)
    return bool((np.abs(patch - color).max(axis=-1) <= tol).any())


def _marker_angle(line) -> float:
    """The screen direction (degrees) a rotated arrowhead marker points to (+x before rotation)."""
    x, y = line._marker.get_user_transform().transform([[1.0, 0.0]])[0]  # Line2D has no public MarkerStyle
    return float(np.degrees(np.arctan2(y, x)))


def _line_points(line) -> np.ndarray:
    xy = np.asarray(line.get_xydata(), dtype=float)
    return xy[np.isfinite(xy).all(axis=1)]


# ---------------------------------------------------------------------------- clipping geometry


BOX = np.array([[0.0, 1.0], [0.0, 1.0]])


def test_clip_keeps_every_part_inside_and_breaks_the_line_outside():
    path = np.array([[0.5, 0.5], [0.5, 3.0], [0.6, -3.0], [0.7, 0.5], [0.8, 0.6]])
    clip = clip_path(path, BOX)
    kinds = clip.kind.tolist()
    assert kinds == [POINT, EXIT, 5, PASS, PASS, 5, ENTRY, POINT, POINT]
    np.testing.assert_allclose(clip.exits, [[0.5, 1.0]])  # straight up out of the top
    np.testing.assert_allclose(clip.entries[0, 1], 0.0)  # back in through the bottom
    assert clip.point_index.tolist() == [0, 3, 4]  # the points inside, after coming back too
    # a segment from point i to i + 1 is drawn from step i + 1 on: the rows shown grow with k
    assert [clip.rows(k) for k in range(5)] == [1, 3, 6, 8, 9]
    assert np.isnan(clip.xy[clip.kind == 5]).all()
    inside = clip.xy[np.isfinite(clip.xy).all(axis=1)]
    assert ((inside >= 0) & (inside <= 1)).all()


def test_clip_is_precise_for_huge_values_and_measures_crossings_from_the_inside_end():
    path = np.array([[0.2, 0.2], [0.2, 1e308], [1e300, -1e300], [0.2, 0.2], [-1e308, -1e308]])
    clip = clip_path(path, BOX)
    np.testing.assert_allclose(clip.exits, [[0.2, 1.0], [0.0, 0.0]], atol=1e-12)
    # from (1e300, -1e300) back to (0.2, 0.2): along x + y = 0.4, in through the bottom at x = 0.4
    np.testing.assert_allclose(clip.entries, [[0.4, 0.0]], atol=1e-12)
    assert np.isfinite(clip.ends).all() and ((clip.ends >= 0) & (clip.ends <= 1)).all()
    # points beyond the window: their place on the edge and the way to them
    np.testing.assert_allclose(clip.ends[1], [0.2, 1.0])
    np.testing.assert_allclose(clip.toward[1], [0.0, 1.0])
    np.testing.assert_allclose(clip.toward[4], [-(0.5**0.5), -(0.5**0.5)])


def test_clip_of_a_start_outside_draws_only_what_comes_in():
    clip = clip_path(np.array([[-1.0, 0.5], [0.5, 0.5]]), BOX)
    assert clip.kind.tolist() == [ENTRY, POINT]
    assert clip.rows(0) == 0 and clip.rows(1) == 2
    assert not clip.inside[0] and clip.inside[1]


# ------------------------------------------------------------------ item 1: a run that comes back


@pytest.fixture(scope="module")
def recovering() -> optviz.Trajectory:
    """The issue's run: lr 0.9 oscillates out of the window in x2, the decay brings it back to
    (-0.13, 0) with loss 0.0018."""
    traj = optviz.run("ravine", "gd", lr=0.9, steps=40, schedule="step(step_size=10, gamma=0.5)")
    assert not traj.diverged and traj.final_loss < 0.002
    return traj


def _outside(ax, points: np.ndarray) -> np.ndarray:
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    return (points[:, 0] < x0) | (points[:, 0] > x1) | (points[:, 1] < y0) | (points[:, 1] > y1)


def test_a_run_that_leaves_and_comes_back_is_drawn_to_its_end(tmp_path, recovering):
    scene = _scene([recovering], "ravine", animated=False, panels="none", size="800x450")
    run = scene.runs[0]
    outside = _outside(scene.main, recovering.points)
    first_out = int(np.argmax(outside))
    back = [k for k in range(first_out, len(outside)) if not outside[k]]
    assert first_out > 0 and back, "the run should leave the window and come back"
    drawn = _line_points(run.path)
    # every point inside the window, after coming back too, is a vertex of the drawn line
    for k in np.flatnonzero(~outside):
        assert np.isclose(drawn, recovering.points[k]).all(axis=1).any(), f"point {k} is not drawn"
    (x0, x1), (y0, y1) = scene.main.get_xlim(), scene.main.get_ylim()
    assert ((drawn[:, 0] >= x0) & (drawn[:, 0] <= x1) & (drawn[:, 1] >= y0) & (drawn[:, 1] <= y1)).all()
    # and in the pixels: the last point carries the run's colour, the end dot is there
    out = render([recovering], "ravine", tmp_path / "a.png", size="800x450", panels="none")
    image = iio.imread(out)
    color = _rgb(run.color)
    end = _pixel(scene.main, recovering.points[-1], 450)
    assert 0 <= end[0] < 450 and 0 <= end[1] < 800
    assert _near(image, end, color, tol=10)
    assert _near(image, _pixel(scene.main, recovering.points[back[0]], 450), color, tol=10)


def test_the_legend_can_name_the_edge_marks(recovering):
    fn = get_function("ravine")
    scene = _scene([recovering], "ravine", animated=False, panels="none")
    limits = np.array([scene.main.get_xlim(), scene.main.get_ylim()])
    labels = [label for _, label in legend_marks(fn, [recovering], limits, scene.options.theme)]
    assert labels == ["leaves the window", "comes back"]
    calm = optviz.run(fn, "gd", lr=0.4, steps=20)
    assert legend_marks(fn, [calm], limits, scene.options.theme) == []
    outside = optviz.run(fn, "gd", lr=0.55, steps=12)
    labels = [label for _, label in legend_marks(fn, [outside], limits, scene.options.theme)]
    assert "ends outside the window" in labels


def test_leaving_and_coming_back_are_marked_on_the_edge(recovering):
    scene = _scene([recovering], "ravine", animated=False, panels="none")
    run = scene.runs[0]
    assert run.leaves is not None and run.returns is not None
    (x0, x1), (y0, y1) = scene.main.get_xlim(), scene.main.get_ylim()
    for line in (run.leaves, run.returns):
        xy = _line_points(line)
        assert len(xy) >= 1 and line.get_marker() == "D"
        on_edge = (
            np.isclose(xy[:, 1], y0) | np.isclose(xy[:, 1], y1) | np.isclose(xy[:, 0], x0) | np.isclose(xy[:, 0], x1)
        )
        assert on_edge.all()
        assert not line.get_clip_on()  # the whole diamond shows, not the half inside the axes
    # leaving is filled with the run's colour, coming back is hollow
    assert run.leaves.get_markerfacecolor() == run.color
    assert run.returns.get_markerfacecolor() != run.color


def test_the_end_is_always_marked_even_beyond_the_window(tmp_path):
    """A run that ends outside: an arrowhead on the edge, pointing at where it ended."""
    traj = optviz.run("ravine", "gd", lr=0.55, steps=12)
    scene = _scene([traj], "ravine", animated=False, panels="none", size="800x450")
    assert _outside(scene.main, traj.points[-1:])[0] and not traj.diverged
    ends = [
        line
        for line in scene.main.lines
        if len(_line_points(line)) == 1
        and line.get_markersize() >= 10
        and line.get_markerfacecolor() == scene.runs[0].color
    ]
    assert len(ends) == 1
    end = _line_points(ends[0])[0]
    (x0, x1), (y0, y1) = scene.main.get_xlim(), scene.main.get_ylim()
    assert x0 <= end[0] <= x1 and y0 <= end[1] <= y1
    # on the edge nearest the real end, pointing at it (x2 alternates sign: up or down)
    assert np.isclose(end[1], y1 if traj.points[-1, 1] > 0 else y0)
    assert isinstance(ends[0].get_marker(), Path)  # an arrowhead, not the run's dot
    assert abs(_marker_angle(ends[0]) - (90.0 if traj.points[-1, 1] > 0 else -90.0)) < 1.0
    image = iio.imread(render([traj], "ravine", tmp_path / "a.png", size="800x450", panels="none"))
    assert _near(image, _pixel(scene.main, end, 450), _rgb(scene.runs[0].color), tol=10)


def test_the_end_dot_sits_on_the_last_point_inside():
    traj = optviz.run("ravine", "adam", lr=0.16, steps=15)
    scene = _scene([traj], "ravine", animated=False, panels="none")
    ends = [line for line in scene.main.lines if line.get_marker() == "o" and line.get_markersize() == 10]
    assert len(ends) == 1
    np.testing.assert_allclose(_line_points(ends[0])[0], traj.points[-1])


def test_animation_frames_show_the_path_coming_back_and_the_head_on_the_edge(recovering):
    scene = _scene([recovering], "ravine", animated=True, panels="loss")
    run = scene.runs[0]
    outside = _outside(scene.main, recovering.points)
    k_out = int(np.argmax(outside))  # a step whose point is beyond the window
    options = scene.options
    with mpl.rc_context(options.theme.rc(options.font_pt)):
        player = Player(scene)
        for k in (k_out, recovering.steps):
            blitted = player.frame(k).astype(int)
            # the head: on the edge, an arrowhead while the point is outside; a dot at the end
            head = _line_points(run.head)[0]
            if k == k_out:
                assert isinstance(run.head.get_marker(), Path)
                (y0, y1) = scene.main.get_ylim()
                assert np.isclose(head[1], y0) or np.isclose(head[1], y1)
                up = recovering.points[k, 1] > 0
                assert abs(_marker_angle(run.head) - (90.0 if up else -90.0)) < 1.0
            else:
                assert run.head.get_marker() == "o"
                np.testing.assert_allclose(head, recovering.points[-1])
            # the leave/come-back marks are part of every frame: blitting equals a full redraw
            scene.update(k)
            for artist in scene.animated:
                artist.set_animated(False)
            scene.canvas.draw()
            redrawn = np.asarray(scene.canvas.buffer_rgba()).astype(int)
            for artist in scene.animated:
                artist.set_animated(True)
            scene.canvas.draw()
            differs = np.abs(blitted - redrawn).max(axis=-1) > 16
            assert differs.mean() < 1e-3, f"step {k}: {differs.sum()} pixels differ"
    assert run.leaves in scene.animated and run.returns in scene.animated
    # at the last step the path drawn after coming back reaches the end
    scene.update(recovering.steps)
    assert np.isclose(_line_points(run.path), recovering.points[-1]).all(axis=1).any()
    assert len(_line_points(run.returns)) == len(run.clip.entries) >= 1


def test_surface_view_draws_the_path_after_it_comes_back(recovering):
    scene = _scene([recovering], "ravine", animated=False, panels="none", view="surface")
    run = scene.runs[0]
    x, y, z = (np.asarray(a, dtype=float) for a in run.path.get_data_3d())
    drawn = np.column_stack([x, y, z])
    drawn = drawn[np.isfinite(drawn).all(axis=1)]
    limits = np.array([scene.main.get_xlim(), scene.main.get_ylim()])
    assert ((drawn[:, :2] >= limits[:, 0]) & (drawn[:, :2] <= limits[:, 1])).all()  # 3-D axes do not clip
    last = recovering.points[-1]
    assert np.isclose(drawn[:, :2], last).all(axis=1).any()
    assert run.leaves is not None and run.returns is not None


# ------------------------------------------------------------- item 4: the minimum a path ends in


def test_a_minimum_missing_from_the_list_is_found_where_a_path_ends():
    fn = get_function("xcos(c=1)")
    traj = optviz.run(fn, "gd", lr=0.02, steps=60)
    unlisted = dataclasses.replace(fn, minima=tuple(m for m in fn.minima if abs(m.point[0] - 3.033) > 0.01))
    found = found_minima(unlisted, [traj])
    assert len(found) == 1 and found[0].kind == "local"
    assert abs(found[0].point[0] - 3.0333) < 1e-3
    assert abs(float(fn.grad(np.array(found[0].point))[0])) < 1e-9  # refined onto the minimum
    assert found_minima(fn, [traj]) == [] or all(abs(m.point[0] - 3.0333) > 1e-3 for m in fn.minima)


def test_found_minima_tell_global_from_local_and_skip_saddles():
    fn = get_function("himmelblau")
    runs = [optviz.run(fn, "gd", lr=0.01, steps=400, start=s) for s in ((0.0, 0.0), (-2.0, 2.5))]
    assert all(r.grad_norm[-1] < 1e-6 for r in runs)
    only_one = dataclasses.replace(fn, minima=fn.minima[:1])
    kinds = {tuple(np.round(m.point, 2)): m.kind for m in found_minima(only_one, runs)}
    assert set(kinds.values()) == {"global"}  # at himmelblau's level 0, though not listed
    lower = dataclasses.replace(fn, minima=(dataclasses.replace(fn.minima[0], value=-1.0),))
    assert {m.kind for m in found_minima(lower, runs)} == {"local"}  # above a lower known minimum
    # a run stopped on a saddle is not a minimum
    saddle = get_function("saddle")
    at_saddle = optviz.Trajectory(
        np.array([[0.5, 0.0], [0.0, 0.0]]), np.zeros(2), np.array([1.0, 0.0]), np.array([0.1]), None, {}
    )
    assert found_minima(dataclasses.replace(saddle, minima=()), [at_saddle]) == []


def test_the_minimum_a_path_ends_in_is_marked_around_the_end_dot():
    """xcos(c=1) from its default start ends in the local minimum x = 3.03 (listed or not): a ring
    around the end dot, which would hide a minimum's dot."""
    traj = optviz.run("xcos(c=1)", "gd", lr=0.02, steps=60)
    scene = _scene([traj], "xcos(c=1)", animated=False, panels="none", size="800x450")
    end = np.array([traj.points[-1, 0], traj.loss[-1]])
    rings = [line for line in scene.main.lines if line.get_label() == "local minimum reached"]
    assert len(rings) == 1
    np.testing.assert_allclose(_line_points(rings[0])[0], end, atol=2e-3)
    assert rings[0].get_markersize() > 10 and rings[0].get_zorder() > 9  # around and over the end dot
    # the unlisted case draws the minimum too
    fn = get_function("xcos(c=1)")
    unlisted = dataclasses.replace(fn, minima=tuple(m for m in fn.minima if abs(m.point[0] - 3.033) > 0.01))
    options = DrawSettings(size=SMALL, panels=None)
    with mpl.rc_context(options.theme.rc(options.font_pt)):
        scene = build_scene([traj], unlisted, options, animated=False)
    labels = [line.get_label() for line in scene.main.lines]
    assert "local minimum (found)" in labels and "local minimum reached" in labels


# --------------------------------------------------------------------- item 5: resolvable levels


@pytest.mark.parametrize("spec", ["thermometer", "thermometer(scale=0.1)", "rosenbrock", "beale"])
def test_log_levels_are_resolvable_by_the_grid(spec):
    fn = get_function(spec)
    levels = function_levels(fn)
    assert levels.log
    xs = np.linspace(*fn.window[0], 120)
    ys = np.linspace(*fn.window[1], 120)
    z = fn.f(np.stack(np.meshgrid(xs, ys), axis=-1))
    resolution = grid_resolution(z)
    values = levels.shift + 10.0**levels.levels  # the levels as values of f
    assert values[0] - levels.shift > resolution
    assert (np.diff(values) > resolution).all()
    # values are clamped well below the lowest level, so its contour is interpolated, not a
    # plateau's edge traced cell by cell
    assert levels.floor <= 10.0 ** levels.levels[0] / 100


@pytest.mark.parametrize("width", [1e-2, 3e-2, 1e-1, 1.0])
@pytest.mark.parametrize("log", [True, False, None])
def test_levels_never_go_below_the_float_resolution_of_the_values(width, log):
    """f = 1e8 + r²: the grid's floats resolve differences of about 1e3 eps * 1e8 ~ 2e-5, more
    than the values span in a small window; no two levels (nor the lowest log level and the
    minimum) may be closer than that."""
    g = np.linspace(-width, width, 120)
    xx, yy = np.meshgrid(g, g)
    z = 1e8 + xx**2 + yy**2
    resolution = grid_resolution(z)
    assert resolution > 1e-5
    levels = contour_levels(z, log=log, minimum=1e8)
    values = levels.shift + 10.0**levels.levels if levels.log else levels.levels
    assert len(values) >= 2
    assert (np.diff(values) > resolution).all()
    if levels.log:
        assert values[0] - levels.shift > resolution


def test_thermometer_contours_are_smooth_solid_curves_on_their_level():
    scene = _scene([], "thermometer(scale=0.1)", animated=False, panels="none", size="800x450")
    fn = get_function("thermometer(scale=0.1)")
    levels = function_levels(fn)
    lines = [c for c in scene.main.collections if isinstance(c, ContourSet) and not c.filled]
    assert len(lines) == 1
    contour = lines[0]
    assert all(ls == "solid" or ls[1] is None for ls in contour.get_linestyles())  # no dashes below 0
    # the innermost ellipse: its vertices lie on the level (interpolated), within a grid cell
    path = contour.get_paths()[0]
    vertices = path.vertices[np.isfinite(path.vertices).all(axis=1)]
    assert len(vertices) > 20
    level = levels.levels[0]
    error = np.abs(np.log10(fn.f(vertices) - levels.shift) - level)
    assert error.max() < 0.02


# --------------------------------------------------------------------- item 9: an honest surface


def test_the_log_surface_has_no_flat_floor_and_says_log():
    fn = get_function("rosenbrock")
    scene = _scene([optviz.run(fn, "adam", lr=0.01, steps=50)], "rosenbrock", animated=False, view="surface")
    assert r"\log_{10}" in scene.main.get_zlabel()
    levels = function_levels(fn)
    height = surface_height(levels)
    limits = np.array([scene.main.get_xlim(), scene.main.get_ylim()])
    _, _, zz = surface_grid(fn, limits, height)
    # nothing clipped: the heights are the function's (no floor, no ceiling), the axis spans them
    xx, yy, _ = surface_grid(fn, limits, height)
    exact = np.log10(fn.f(np.stack([xx, yy], axis=-1)) - levels.shift + height.delta)
    np.testing.assert_allclose(zz, exact)
    np.testing.assert_allclose(scene.main.get_zlim(), (zz.min(), zz.max()))
    assert (zz <= zz.min() + 1e-9).mean() < 1e-3  # a flat floor would hold a few percent of the grid
    # the valley floor falls toward the minimum at (1, 1) instead of being cut flat
    floor = [height(fn.f(np.array([x, x * x]))) for x in (-1.5, -0.5, 0.5, 1.0)]
    assert floor == sorted(floor, reverse=True)
    assert f"{height.delta:.2g}" in scene.main.get_zlabel()  # the label names the added constant


def test_a_linear_surface_is_labelled_f_and_drawn_as_f():
    fn = get_function("ravine")
    scene = _scene([optviz.run(fn, "gd", lr=0.4, steps=10)], "ravine", animated=False, view="surface")
    assert scene.main.get_zlabel() == "$f$"
    height = surface_height(function_levels(fn))
    assert not height.log
    limits = np.array([scene.main.get_xlim(), scene.main.get_ylim()])
    xx, yy, zz = surface_grid(fn, limits, height)
    np.testing.assert_allclose(zz, fn.f(np.stack([xx, yy], axis=-1)))


# --------------------------------------------------------- item 10: paths that share their start


def test_paths_covered_by_later_runs_keep_a_lighter_casing():
    runs = [optviz.run("himmelblau", opt, lr=0.01, steps=100) for opt in ("gd", "momentum", "adam", "rmsprop")]
    scene = _scene(runs, "himmelblau", animated=True, size="1280x720")
    adam, rmsprop = scene.runs[2], scene.runs[3]
    assert adam.casing is not None  # adam runs under rmsprop from the shared start
    assert rmsprop.casing is None  # drawn last, nothing covers it
    covering = rmsprop.path.get_markersize() + rmsprop.path.get_markeredgewidth()
    assert adam.casing.get_linewidth() > covering + 2  # its colour shows on both sides
    assert adam.casing.get_alpha() < 1 and adam.casing.get_zorder() < rmsprop.path.get_zorder()
    assert adam.casing in scene.animated
    scene.update(runs[2].steps)
    cased = _line_points(adam.casing)
    assert len(cased) > 10
    # only where the paths coincide: every cased vertex is one of adam's points
    assert all(np.isclose(adam.clip.xy, p).all(axis=1).any() for p in cased)


def test_a_single_run_has_no_casing_and_one_start_square():
    runs = [optviz.run("himmelblau", "adam", lr=0.01, steps=30)]
    scene = _scene(runs, "himmelblau", animated=False)
    assert scene.runs[0].casing is None
    squares = [line for line in scene.main.lines if line.get_marker() == "s"]
    assert len(squares) == 1


@pytest.mark.parametrize(
    ("xlim", "squares"),
    [((-6.0, 1.0), 1), ((-1.6, 1.6), 0)],  # the start (-5, -2) inside the window, then beyond it
)
def test_a_start_beyond_the_window_gets_no_square(xlim, squares):
    """A square on the edge would mark a point the run never visited (the zoomed schedules lesson)."""
    runs = [optviz.run("ravine", "gd", lr=0.4, steps=20, start=(-5, -2))]
    scene = _scene(runs, "ravine", animated=False, xlim=xlim, ylim=(-2.5, 2.5) if squares else (-0.9, 0.9))
    assert len([line for line in scene.main.lines if line.get_marker() == "s"]) == squares
    legend = [t.get_text() for t in scene.fig.legends[0].get_texts()]
    assert ("start" in legend) == bool(squares)
