"""The ``data`` panel (issue 12, item 7): a data loss's points and each run's model line at the
current step; limits from the data, a diverged run at its last finite line, a refusal elsewhere."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from typer.testing import CliRunner

import optviz
from optviz.cli import app
from optviz.errors import OutputError
from optviz.functions import get as get_function
from optviz.functions import names
from optviz.render.data_panel import FAR, SAMPLES, data_limits, functions_with_data, model_line
from optviz.render.layout import DATA_GAP, arrange, em
from optviz.render.reproducible import rc_context
from optviz.render.scene import build_scene
from optviz.settings import DrawSettings

DATA_FUNCTIONS = ["thermometer", "thermometer(scale=0.1)", "single_weight", "single_weight(x=3, y=-2)"]
#: (function, optimizer, lr, steps, start): a fit that converges, a crawl, the one-weight lesson
RUNS = [
    ("thermometer(scale=0.1)", "gd", 1e-2, 300, (1.0, 0.0)),
    ("thermometer", "gd", 1e-4, 300, (1.0, 0.0)),
    ("single_weight", "gd", 1e-5, 10, (1.0,)),
]


def _on_the_model(fn, params, xy, *, may_be_gone=False):
    """The finite rows of a drawn line lie on the model at ``params`` (a line far off the panel
    may have none)."""
    rows = xy[np.isfinite(xy).all(axis=1)]
    assert len(rows) >= (0 if may_be_gone else 2)
    xlim, ylim = data_limits(fn)
    expected = fn.data.predict(np.asarray(params), rows[:, 0])
    # within a billionth of the panel along y, or along x for a nearly vertical line
    ends = fn.data.predict(np.asarray(params), np.array(xlim))
    tol = 1e-9 * ((ylim[1] - ylim[0]) + abs(ends[1] - ends[0]))
    np.testing.assert_allclose(rows[:, 1], expected, rtol=0, atol=tol)


@pytest.mark.parametrize("spec", DATA_FUNCTIONS)
def test_the_model_on_the_data_is_the_loss(spec):
    """The loss is the mean squared error of the data fit's predictions: DataFit is the loss's own model."""
    fn = get_function(spec)
    rng = np.random.default_rng(0)
    params = rng.normal(size=(5, fn.dim)) * 3
    residual = fn.data.predict(params, fn.data.inputs) - fn.data.targets
    np.testing.assert_allclose((residual**2).mean(axis=-1), fn.f(params), rtol=1e-12)


def test_functions_with_data_are_the_data_losses():
    have = functions_with_data()
    assert {"thermometer", "single_weight"} <= set(have)
    assert all(get_function(name).data is None for name in names() if name not in have)


@pytest.mark.parametrize(("spec", "opt", "lr", "steps", "start"), RUNS)
def test_animation_line_at_frame_k_is_the_model_at_point_k(spec, opt, lr, steps, start):
    fn = get_function(spec)
    traj = optviz.run(spec, opt, lr=lr, steps=steps, start=start)
    opts = DrawSettings(panels="loss,data", frames=5)
    with rc_context(opts.theme.rc(opts.font_pt)):
        scene = build_scene([traj], fn, opts, animated=True)
        line = scene.data.lines[0]
        assert line in scene.animated and scene.data.points in scene.animated
        for k in (0, 1, steps // 2, steps):
            scene.update(k)
            _on_the_model(fn, traj.points[k], np.column_stack(line.get_data()))
        # past a run's end the line stays at its last point
        scene.update(steps + 50)
        _on_the_model(fn, traj.points[-1], np.column_stack(line.get_data()))


@pytest.mark.parametrize(("spec", "opt", "lr", "steps", "start"), RUNS)
def test_picture_shows_the_final_line_and_the_data(spec, opt, lr, steps, start):
    fn = get_function(spec)
    trajs = [optviz.run(spec, opt, lr=f * lr, steps=steps, start=start) for f in (0.5, 1.0)]
    opts = DrawSettings(panels="data")
    with rc_context(opts.theme.rc(opts.font_pt)):
        scene = build_scene(trajs, fn, opts, animated=False)
    for traj, line in zip(trajs, scene.data.lines, strict=True):
        _on_the_model(fn, traj.points[-1], np.column_stack(line.get_data()))
    x, y = scene.data.points.get_data()
    np.testing.assert_array_equal(x, fn.data.inputs)
    np.testing.assert_array_equal(y, fn.data.targets)
    ax = scene.panels["data"]
    assert ax.get_ylim() == pytest.approx(data_limits(fn)[1])
    assert "raw" in ax.get_xlabel() if fn.data.scale != 1 else ax.get_xlabel() == fn.data.names[0]


@pytest.mark.parametrize(("spec", "lr", "start"), [("thermometer", 1e-2, (1.0, 0.0)), ("single_weight", 2e-4, (1.0,))])
def test_diverged_run_keeps_its_last_finite_line_and_the_limits_of_the_data(spec, lr, start):
    fn = get_function(spec)
    calm = optviz.run(spec, "gd", lr=lr / 100, steps=200, start=start)
    wild = optviz.run(spec, "gd", lr=lr, steps=5000, start=start)
    assert wild.diverged
    opts = DrawSettings(panels="data", frames=5)
    with rc_context(opts.theme.rc(opts.font_pt)):
        scene = build_scene([calm, wild], fn, opts, animated=True)
    art = scene.data
    last = art.step_of(1, 10**6)
    predictions = fn.data.predict(wild.points[last], art.xs)
    assert np.isfinite(predictions).all()
    assert last == len(wild.points) - 1 or not np.isfinite(fn.data.predict(wild.points[last + 1], art.xs)).all()
    scene.update(10**6)
    xy = np.column_stack(art.lines[1].get_data())
    _on_the_model(fn, wild.points[last], xy, may_be_gone=True)
    # the line is cut near the panel: no 1e150 for the renderer
    ylim = data_limits(fn)[1]
    assert np.all(np.abs(xy[:, 1][np.isfinite(xy[:, 1])]) <= abs(ylim[0]) + abs(ylim[1]) + FAR * (ylim[1] - ylim[0]))
    assert scene.panels["data"].get_ylim() == pytest.approx(ylim)
    # the limits come from the data: the targets sit inside, with a margin
    lo, hi = ylim
    assert lo < fn.data.targets.min() and fn.data.targets.max() < hi


@pytest.mark.parametrize("slope", [1e3, 1e12, -1e150])
def test_a_steep_line_is_cut_near_the_panel_and_stays_on_the_model(slope):
    """An exploding run's line: drawn where it crosses the panel, cut at a band near it."""
    fn = get_function("thermometer")
    xlim, ylim = data_limits(fn)
    params = np.array([slope, -slope * 50.0])  # through (50, 0), inside the panel
    xy = model_line(fn.data, params, np.linspace(*xlim, SAMPLES), ylim)
    _on_the_model(fn, params, xy)
    span = ylim[1] - ylim[0]
    finite = xy[np.isfinite(xy).all(axis=1)]
    assert finite[:, 1].min() >= ylim[0] - FAR * span and finite[:, 1].max() <= ylim[1] + FAR * span
    # it still crosses the whole panel's height
    assert finite[:, 1].min() < ylim[0] and finite[:, 1].max() > ylim[1]


@pytest.mark.parametrize("spec", ["ravine", "square", "rosenbrock"])
def test_data_panel_on_a_function_without_data_is_refused(tmp_path, spec):
    traj = optviz.run(spec, "gd", lr=1e-3, steps=3)
    with pytest.raises(OutputError, match="thermometer") as info:
        optviz.render.render(traj, spec, tmp_path / "x.png", panels="loss,data")
    assert "\n" not in str(info.value) and "single_weight" in str(info.value) and spec in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_cli_refuses_the_data_panel_with_exit_2(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        app, ["run", "--fn", "ravine", "--opt", "gd", "--lr", "0.1", "--panels", "data", "--out", "r.png"]
    )
    assert result.exit_code == 2, result.output
    assert "thermometer" in result.output and "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_gif_with_the_data_panel_renders_and_its_line_moves(tmp_path):
    iio = pytest.importorskip("imageio.v3")
    spec = "thermometer(scale=0.1)"
    traj = optviz.run(spec, "gd", lr=1e-2, steps=400, start=(1.0, 0.0))
    out = optviz.render.render(traj, spec, tmp_path / "fit.gif", panels="loss,data", size="640x360", frames=4)
    frames = iio.imread(out, index=None)
    assert frames.shape[:3] == (4, 360, 640)
    opts = DrawSettings(panels="loss,data", size="640x360", frames=4)
    with rc_context(opts.theme.rc(opts.font_pt)):
        left, bottom, width, height = (
            build_scene([traj], get_function(spec), opts, animated=True).panels["data"].get_position().bounds
        )
    rows = slice(int((1 - bottom - height) * 360), int((1 - bottom) * 360))
    cols = slice(int(left * 640), int((left + width) * 640))
    first, last = frames[0][rows, cols], frames[-1][rows, cols]
    assert np.abs(first.astype(int) - last.astype(int)).sum() > 0  # the model line moved


@pytest.mark.parametrize(
    "panels",
    [("loss",), ("loss", "grad_norm"), ("loss", "data"), ("data", "loss", "grad_norm"), ("loss", "lr", "data")],
)
def test_layout_keeps_the_step_gaps_and_makes_room_beside_the_data_panel(panels):
    opts = DrawSettings(panels=",".join(panels), size="16:9")
    rects = arrange(opts, (200.0, 100.0), None).panels
    gaps = [(a[1] - (b[1] + b[3])) * opts.height for a, b in itertools.pairwise(rects)]
    for i, gap in enumerate(gaps):
        beside_data = "data" in panels[i : i + 2]
        assert gap == pytest.approx(em(opts) * (1.0 + (DATA_GAP if beside_data else 0.0)))
    heights = {round(r[3], 12) for r in rects}
    assert len(heights) == 1 and rects[-1][1] * opts.height == pytest.approx(3.0 * em(opts))
