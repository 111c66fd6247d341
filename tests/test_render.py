"""The renderer: files read back, blitted frames against full redraws, pixels where the data says.

Everything runs on Agg at small sizes (400x225 at the default dpi of 31), writing under tmp_path.
"""

from __future__ import annotations

import io
import itertools

import imageio.v3 as iio
import matplotlib as mpl
import numpy as np
import pytest
from conftest import full_redraw
from matplotlib.colors import to_rgb
from typer.testing import CliRunner

import optviz
from optviz.errors import HyperparameterError, OutputError, UnknownNameError
from optviz.functions import get as get_function
from optviz.render import render
from optviz.render.gif import GifWriter, build_palette
from optviz.render.player import Player
from optviz.render.scene import build_scene
from optviz.render.style import frame_steps, plot_window, truncate_far
from optviz.settings import DrawSettings, parse_size
from optviz.themes import D2L_ORANGE

SMALL = "400x225"


@pytest.fixture(scope="module")
def ravine_runs() -> list[optviz.Trajectory]:
    return [optviz.run("ravine", opt, lr=0.4, steps=20) for opt in ("gd", "momentum", "adam")]


def _rgb(color: str) -> np.ndarray:
    return np.array([round(255 * c) for c in to_rgb(color)])


def _scene(trajs, fn: str, *, animated: bool, **settings):
    options = DrawSettings(size=settings.pop("size", SMALL), **settings)
    with mpl.rc_context(options.theme.rc(options.font_pt)):
        return build_scene(trajs, get_function(fn), options, animated=animated), options


def _pixels(ax, points: np.ndarray, height: int) -> np.ndarray:
    """(N, 2) data points -> (N, 2) integer (row, col) in the image (rows count from the top)."""
    xy = ax.transData.transform(points)
    return np.column_stack([height - xy[:, 1], xy[:, 0]]).astype(int)


def _near(image: np.ndarray, rc: np.ndarray, color: np.ndarray, radius: int = 2, tol: int = 40) -> bool:
    """Whether some pixel within ``radius`` of ``rc`` has ``color`` (each channel within ``tol``)."""
    r, c = rc
    patch = image[max(r - radius, 0) : r + radius + 1, max(c - radius, 0) : c + radius + 1, :3].astype(int)
    return bool((np.abs(patch - color).max(axis=-1) <= tol).any())


# ------------------------------------------------------------------------------------------ GIF files

GIF_CASES = [
    # steps, frames, fps, hold -> frame count, frame ms, last frame ms
    pytest.param(20, 8, 10, 1.5, 8, 100, 1600, id="sampled"),
    pytest.param(5, 100, 20, 0.0, 6, 50, 50, id="every-step"),
    pytest.param(30, 31, 4, 0.5, 31, 250, 750, id="slow"),
    pytest.param(12, 5, 15, 1.0, 5, 70, 1070, id="rounded-to-centiseconds"),
]


@pytest.mark.parametrize(("steps", "frames", "fps", "hold", "count", "ms", "last_ms"), GIF_CASES)
def test_gif_frames_size_and_durations_read_back(tmp_path, steps, frames, fps, hold, count, ms, last_ms):
    runs = [optviz.run("ravine", opt, lr=0.4, steps=steps) for opt in ("gd", "adam")]
    out = render(runs, "ravine", tmp_path / "a.gif", size=SMALL, frames=frames, fps=fps, hold=hold)
    assert out == tmp_path / "a.gif"
    assert iio.improps(out, index=None).shape == (count, 225, 400, 3)
    with iio.imopen(out, "r", plugin="pillow") as gif:
        durations = [gif.metadata(index=i)["duration"] for i in range(count)]
        assert gif.metadata(index=0)["loop"] == 0  # loops forever
    assert durations == [ms] * (count - 1) + [last_ms]
    assert list(tmp_path.iterdir()) == [out]  # no temporary file left behind


def test_frame_steps_sample_evenly_and_always_end_on_the_last_step():
    assert frame_steps(5, 100).tolist() == [0, 1, 2, 3, 4, 5]
    steps = frame_steps(1000, 7)
    assert steps.tolist() == [0, 167, 333, 500, 667, 833, 1000]
    assert frame_steps(100, 100)[-1] == 100 and len(frame_steps(100, 100)) == 100


def test_gif_frames_match_the_blitted_canvas_and_white_stays_white(tmp_path, ravine_runs):
    out = render(ravine_runs, "ravine", tmp_path / "a.gif", size=SMALL, frames=30)
    gif = iio.imread(out, index=None)
    scene, _ = _scene(ravine_runs, "ravine", animated=True, frames=30)
    with mpl.rc_context(scene.options.theme.rc(scene.options.font_pt)):
        player = Player(scene)
        last = player.frame(20)[..., :3].astype(int)
    assert (gif[0][0, 0] == 255).all()  # the figure's white corner, exactly
    # quantised to 255 colours, the last frame stays close to what was drawn
    assert np.abs(gif[-1].astype(int) - last).mean() < 1.5
    assert (np.abs(gif[-1].astype(int) - last).max(axis=-1) > 48).mean() < 0.002


def test_gif_writer_streams_frames_instead_of_keeping_them():
    rng = np.random.default_rng(0)
    palette = build_palette([rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)], ["#ffffff", "#000000"])
    frame = np.full((40, 40, 4), 255, dtype=np.uint8)
    fh = io.BytesIO()
    writer = GifWriter(fh, 40, 40, palette)
    sizes = []
    for k in range(6):
        frame[k * 5 : k * 5 + 5, 5:10, :3] = 0  # a growing black bar
        writer.add(frame, 100)
        sizes.append(fh.tell())
    writer.add(frame, 100)  # unchanged: extends the previous frame instead of adding one
    writer.close()
    assert sizes == sorted(sizes) and sizes[-1] > sizes[1] > sizes[0]  # written as it goes (one frame waits)
    data = fh.getvalue()
    frames = iio.imread(data, index=None, extension=".gif")
    assert len(frames) == 6
    assert (frames[-1][:30, 5:10] == 0).all() and (frames[-1][:, 20:] == 255).all()
    with iio.imopen(data, "r", plugin="pillow", extension=".gif") as gif:
        assert gif.metadata(index=5)["duration"] == 200


@pytest.mark.parametrize(("width", "height"), [(1, 1), (300, 7), (7, 300), (33, 20)])
def test_gif_writer_frames_of_any_shape_read_back_exactly(width, height):
    palette = np.array([[255, 255, 255], [0, 0, 0], [200, 30, 10], [10, 90, 250]], dtype=np.uint8)
    rng = np.random.default_rng(width * height)
    frames = [palette[rng.integers(0, 4, (height, width))] for _ in range(4)]
    fh = io.BytesIO()
    writer = GifWriter(fh, width, height, palette)
    for frame in frames:
        writer.add(np.dstack([frame, np.full((height, width), 255, np.uint8)]), 100)
    writer.close()
    decoded = iio.imread(fh.getvalue(), index=None, extension=".gif")[..., :3]
    changed = [frames[0]] + [b for a, b in itertools.pairwise(frames) if (a != b).any()]
    assert decoded.shape == (len(changed), height, width, 3)
    assert (decoded == np.array(changed)).all()


def test_palette_keeps_exact_colours_first():
    sample = np.full((10, 10, 4), 250, dtype=np.uint8)
    palette = build_palette([sample], ["#ffffff", D2L_ORANGE])
    assert palette[0].tolist() == [255, 255, 255]
    assert palette[1].tolist() == _rgb(D2L_ORANGE).tolist()
    assert len(palette) <= 255


# ------------------------------------------------------------------------------------ blitting


@pytest.mark.parametrize(
    ("fn", "settings"),
    [
        pytest.param("ravine", {"panels": "loss,grad_norm,lr"}, id="contour-3-panels"),
        pytest.param("rosenbrock", {"theme": "dark"}, id="contour-log-dark"),
        pytest.param("xcos", {"size": "square"}, id="1d-square"),
        pytest.param("himmelblau", {"view": "surface"}, id="surface"),
    ],
)
def test_blitted_frame_equals_full_redraw(fn, settings):
    runs = [optviz.run(fn, opt, lr=0.01, steps=30) for opt in ("gd", "adam")]
    scene, options = _scene(runs, fn, animated=True, **{"size": SMALL, **settings})
    with mpl.rc_context(options.theme.rc(options.font_pt)):
        player = Player(scene)
        blitted = player.frame(17).astype(int)
        redrawn = full_redraw(scene, 17).astype(int)
        background = player.background_rgba.astype(int)
    differs = np.abs(blitted - redrawn).max(axis=-1) > 16
    assert differs.mean() < 1e-3, f"{differs.sum()} pixels differ"
    assert (np.abs(blitted - background).max(axis=-1) > 16).sum() > 50  # the frame does draw something


# ------------------------------------------------------------------------------- pixels in place


def test_path_pixels_appear_where_the_coordinates_say(tmp_path):
    traj = optviz.run("ravine", "gd", lr=0.4, steps=12)
    out = render(traj, "ravine", tmp_path / "a.png", size=SMALL, panels="none")
    image = iio.imread(out)
    scene, _ = _scene([traj], "ravine", animated=False, panels="none")
    assert image.shape[:2] == (225, 400)
    orange = _rgb(D2L_ORANGE)
    rows_cols = _pixels(scene.main, traj.points, 225)
    # every step's marker (the start lies under its square marker)
    assert all(_near(image, rc, orange) for rc in rows_cols[1:])
    # and not elsewhere: the same spots mirrored through the minimum hold no path
    mirrored = _pixels(scene.main, traj.points[1:5] * [-1, -1], 225)
    assert not any(_near(image, rc, orange) for rc in mirrored)


def test_gif_head_marker_ends_on_the_last_point(tmp_path):
    traj = optviz.run("ravine", "adam", lr=0.16, steps=15)
    out = render(traj, "ravine", tmp_path / "a.gif", size=SMALL, panels="none", frames=6)
    frames = iio.imread(out, index=None)
    scene, _ = _scene([traj], "ravine", animated=True, panels="none")
    orange = _rgb(D2L_ORANGE)
    end = _pixels(scene.main, traj.points[-1:], 225)[0]
    start_side = _pixels(scene.main, traj.points[3:4], 225)[0]
    assert _near(frames[-1], end, orange, tol=8)  # the GIF palette holds the path colour exactly
    assert not _near(frames[0], start_side, orange, tol=8)  # the path grows: not there in frame 0
    assert _near(frames[-1], start_side, orange, tol=8)


# ----------------------------------------------------------------------------------- other files


@pytest.mark.parametrize(("suffix", "magic"), [(".svg", b"<?xml"), (".pdf", b"%PDF"), (".png", b"\x89PNG")])
def test_vector_and_png_files(tmp_path, ravine_runs, suffix, magic):
    out = render(ravine_runs, "ravine", tmp_path / f"fig{suffix}", size=SMALL)
    assert out.read_bytes()[:5].startswith(magic)
    assert [p.name for p in tmp_path.iterdir()] == [f"fig{suffix}"]


def test_svg_keeps_text_as_text(tmp_path, ravine_runs):
    text = render(ravine_runs, "ravine", tmp_path / "fig.svg", size=SMALL).read_text()
    assert "final loss" in text and "momentum, lr=0.4" in text


@pytest.mark.parametrize(
    ("fn", "settings"),
    [
        pytest.param("square", {}, id="1d"),
        pytest.param("xcos", {"size": "4:3", "panels": "loss,grad_norm"}, id="1d-4:3"),
        pytest.param("rosenbrock", {"view": "surface", "theme": "dark"}, id="surface-dark"),
        pytest.param("saddle", {"size": "square", "panels": "none"}, id="saddle-square"),
        pytest.param("thermometer", {"size": "300x400"}, id="elongated-window-tall"),
    ],
)
def test_static_views_sizes_and_themes(tmp_path, fn, settings):
    runs = [optviz.run(fn, opt, lr=0.01, steps=25) for opt in ("gd", "rmsprop")]
    size = settings.pop("size", SMALL)
    out = render(runs, fn, tmp_path / "a.png", size=size, **settings)
    width, height = parse_size(size)
    image = iio.imread(out)
    assert image.shape[:2] == (height, width)
    assert image[..., :3].std() > 10  # something was drawn


def test_dpi_scales_text_not_pixels(tmp_path, ravine_runs):
    small = iio.imread(render(ravine_runs, "ravine", tmp_path / "a.png", size=SMALL, dpi=30))
    large = iio.imread(render(ravine_runs, "ravine", tmp_path / "b.png", size=SMALL, dpi=60))
    assert small.shape == large.shape
    ink = lambda im: (im[..., :3].min(axis=-1) < 100).sum()  # noqa: E731 - dark pixels: text and lines
    assert ink(large) > 1.3 * ink(small)


# --------------------------------------------------------------------------------------- diverged


def test_diverged_run_renders_its_finite_part(tmp_path):
    runs = [optviz.run("ravine", "gd", lr=lr, steps=300) for lr in (0.4, 1000.0)]
    assert runs[1].diverged and len(runs[1].points) > 2
    for suffix in (".png", ".gif"):
        render(runs, "ravine", tmp_path / f"a{suffix}", size=SMALL, frames=10)
    scene, _ = _scene(runs, "ravine", animated=False)
    (x0, x1), (y0, y1) = scene.main.get_xlim(), scene.main.get_ylim()
    assert x1 - x0 < 20 and y1 - y0 < 20  # the axes did not follow the path to 1e300
    labels = [t.get_text() for t in scene.fig.legends[0].texts]
    assert f"diverged at step {runs[1].diverged_at}" in labels[1]
    image = iio.imread(tmp_path / "a.png")
    second = _pixels(scene.main, runs[1].points[:1], 225)[0]
    assert image.shape[:2] == (225, 400) and second.min() >= 0


def test_1d_run_falling_to_minus_infinity_keeps_sane_panels(tmp_path):
    runs = [optviz.run("cubic", "gd", lr=lr, steps=40, start=1.0) for lr in (0.01, 1.0)]
    assert runs[1].diverged and runs[1].loss.min() < -1e100
    scene, _ = _scene(runs, "cubic", animated=False, panels="loss,grad_norm")
    for ax in (scene.main, *scene.panels.values()):
        assert np.isfinite(ax.get_ylim()).all() and np.isfinite(ax.get_xlim()).all()
    low, high = scene.panels["loss"].get_ylim()
    assert high - low < 100  # the calm run (loss 1 -> 0.6) stays readable
    assert render(runs, "cubic", tmp_path / "a.gif", size=SMALL, frames=5).exists()


def test_step_axis_ends_where_the_runs_end():
    runs = [optviz.run("thermometer", "gd", lr=lr, steps=5000) for lr in (1e-2, 2e-2)]
    assert all(t.diverged for t in runs)
    scene, _ = _scene(runs, "thermometer", animated=True)
    last = max(t.diverged_at for t in runs)
    assert scene.steps == last
    assert scene.panels["loss"].get_xlim()[1] < 1.02 * last


def test_run_that_diverges_at_once_still_renders(tmp_path):
    """Only the start is finite (a run cannot diverge at step 0: its start is checked)."""
    traj = optviz.Trajectory(np.full((1, 2), -5.0), np.ones(1), np.ones(1), np.zeros(0), 1, {"opt": "gd", "lr": 1e9})
    good = optviz.run("ravine", "gd", lr=0.4, steps=5)
    assert render([good, traj], "ravine", tmp_path / "a.gif", size=SMALL).exists()


def test_plot_window_and_truncation_survive_huge_values():
    path = np.array([[-5.0, -2.0], [-4.0, 6.0], [1e150, -1e150], [1e300, 1e300]])
    limits = plot_window(((-5.5, 1.5), (-2.5, 2.5)), [path])
    assert np.all(np.abs(limits) < 10)
    box = np.array([[-100.0, 100.0], [-100.0, 100.0]])
    cut = truncate_far(path, box)
    assert len(cut) == 3 and np.all(np.abs(cut) <= 100)
    # the exit point lies on the segment it cuts: same direction from the last kept point
    direction = (path[2] - path[1]) / np.linalg.norm(path[2] - path[1])
    np.testing.assert_allclose((cut[2] - cut[1]) / np.linalg.norm(cut[2] - cut[1]), direction)


# -------------------------------------------------------------------------------------------- MP4


def test_mp4_when_the_extra_is_installed(tmp_path, ravine_runs):
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    out = render(ravine_runs, "ravine", tmp_path / "a.mp4", size="401x225", frames=10, fps=10, hold=0.5)
    reader = imageio_ffmpeg.read_frames(str(out))
    meta = next(reader)
    frames = sum(1 for _ in reader)
    assert tuple(meta["size"]) == (402, 226)  # H.264 needs even sides
    assert frames == 10 + 5


def test_mp4_without_the_extra_says_how_to_install_it(tmp_path, monkeypatch, ravine_runs):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "imageio_ffmpeg" else real(name, *a)
    )
    with pytest.raises(OutputError, match=r"pip install 'optviz\[mp4\]'"):
        render(ravine_runs, "ravine", tmp_path / "a.mp4")
    assert not list(tmp_path.iterdir())


# ----------------------------------------------------------------------------------------- errors

ERRORS = [
    ({"out": "a.jpg"}, OutputError, r"unknown suffix '\.jpg'; use one of \.png"),
    ({"out": "a"}, OutputError, "unknown suffix"),
    ({"size": "17:9"}, OutputError, "16:9, 4:3, square or WIDTHxHEIGHT"),
    ({"size": "10x10"}, OutputError, "64 to 4096 pixels"),
    ({"frames": 1}, HyperparameterError, r"--frames 1 must be a whole number from 2 to 2000"),
    ({"frames": 2.5}, HyperparameterError, "whole number"),
    ({"fps": 0}, HyperparameterError, r"--fps 0 must be a number from 1 to 50"),
    ({"fps": 100}, HyperparameterError, "--fps"),
    ({"hold": -1}, HyperparameterError, "--hold"),
    ({"dpi": 5}, OutputError, r"--dpi 5 must be a number from 20 to 600"),
    ({"theme": "drak"}, UnknownNameError, "did you mean 'dark'"),
    ({"view": "3d"}, UnknownNameError, "unknown view '3d'"),
    ({"panels": "loss,gradnorm"}, UnknownNameError, "did you mean 'grad_norm'"),
    ({"panels": "loss,loss"}, OutputError, "names a panel twice"),
    ({"fn": "square", "view": "surface"}, OutputError, "needs a 2-D function"),
    ({"fn": "square"}, OutputError, r"2-D points cannot be drawn on square"),
    ({"trajectories": []}, OutputError, "nothing to draw"),
]


@pytest.mark.parametrize(("settings", "error", "match"), ERRORS)
def test_bad_settings_fail_before_drawing(tmp_path, ravine_runs, settings, error, match):
    settings = dict(settings)
    trajectories = settings.pop("trajectories", ravine_runs)
    fn = settings.pop("fn", "ravine")
    if fn == "square" and "view" in settings:
        trajectories = [optviz.run("square", "gd", lr=0.1, steps=3)]
    out = tmp_path / settings.pop("out", "a.gif")
    with pytest.raises(error, match=match):
        render(trajectories, fn, out, **settings)
    assert not out.exists()


def test_a_failure_while_writing_leaves_no_file(tmp_path, monkeypatch, ravine_runs):
    def boom(self, rgba, duration_ms):
        raise KeyboardInterrupt

    monkeypatch.setattr(GifWriter, "add", boom)
    with pytest.raises(KeyboardInterrupt):
        render(ravine_runs, "ravine", tmp_path / "a.gif", size=SMALL)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("text", "pixels"),
    [
        ("16:9", (1280, 720)),
        ("4:3", (960, 720)),
        ("square", (720, 720)),
        ("800x450", (800, 450)),
        ("640X480", (640, 480)),
    ],
)
def test_sizes(text, pixels):
    assert parse_size(text) == pixels


# -------------------------------------------------------------------------------------------- CLI


@pytest.mark.parametrize("name", ["x.png", "x.gif"])
def test_cli_run_out(tmp_path, name):
    from optviz.cli import app

    out = tmp_path / name
    result = CliRunner().invoke(
        app,
        [
            "run",
            "--fn",
            "ravine",
            "--opt",
            "gd",
            "--opt",
            "adam",
            "--lr",
            "0.4",
            "--steps",
            "15",
            "--out",
            str(out),
            "--size",
            SMALL,
            "--frames",
            "8",
            "--panels",
            "loss,lr",
        ],
    )
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.output.replace("\n", "")
    assert iio.improps(out, index=None if name.endswith(".gif") else 0).shape[-3:-1] == (225, 400)


def test_cli_checks_picture_options_before_running(tmp_path, monkeypatch):
    from optviz import api
    from optviz.cli import app

    def never(*args, **kwargs):
        raise AssertionError("ran the optimizers despite a bad --size")

    monkeypatch.setattr(api, "run_batch", never)
    result = CliRunner().invoke(app, ["run", "--out", str(tmp_path / "x.gif"), "--size", "big"])
    assert result.exit_code == 2
    assert "--size 'big' is not a size" in result.output
