"""Pictures that do not mislead and read on a slide (issue 11, items 2, 3, 6, 7, 10a, 11, 12, 13).

Each test measures the drawn figure: axes scales and limits, artist boxes in pixels, legend text
per frame, files on disk.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import yaml
from matplotlib.transforms import Bbox
from PIL import Image
from typer.testing import CliRunner

import optviz
from optviz import sweep
from optviz.cli import app
from optviz.errors import OutputError
from optviz.functions import get as get_function
from optviz.render import render
from optviz.render.legend import run_names
from optviz.render.panels import panel_scale
from optviz.render.player import Player
from optviz.render.reproducible import rc_context
from optviz.render.scene import build_scene
from optviz.settings import DrawSettings

ROOT = Path(__file__).parent.parent
runner = CliRunner()


def scene_of(trajs, fn: str, *, animated: bool = False, **settings):
    options = DrawSettings(**settings)
    with rc_context(options.theme.rc(options.font_pt)):
        scene = build_scene(trajs, get_function(fn), options, animated=animated)
        scene.canvas.draw()
    return scene


def pixels(artist, scene) -> Bbox:
    return artist.get_window_extent(scene.canvas.get_renderer())


def legend_texts(scene) -> list[str]:
    return [t.get_text() for t in scene.fig.legends[0].get_texts()]


def title_of(scene):
    texts = [t for t in scene.fig.texts if t.get_text() != "step" and not t.get_text().startswith("/ ")]
    return texts[0] if texts else None


# ------------------------------------------------------------------ item 2: a loss of exactly 0


def test_a_loss_of_zero_keeps_the_loss_panel_log():
    runs = [optviz.run("square", opt, lr=lr, steps=30) for opt in ("gd", "adam") for lr in (0.5, 0.1)]
    assert runs[0].final_loss == 0.0 and runs[0].loss[1] == 0.0  # gd at 0.5 lands on the minimum
    scene = scene_of(runs, "square", size="640x360")
    loss = scene.panels["loss"]
    assert loss.get_yscale() == "log"
    low = loss.get_ylim()[0]
    zero_drawn_at = scene.runs[0].series["loss"][1][-1]
    assert low < zero_drawn_at < min(v for t in runs for v in t.loss if v > 0)  # the floor, under every value
    # the other runs keep their decades: gd at 0.1 falls from 100 to 1.5e-4 over most of the panel
    y = loss.transData.transform(np.column_stack([[0, 30], [runs[1].loss[0], runs[1].loss[-1]]]))[:, 1]
    box = pixels(loss, scene)
    assert (y[0] - y[1]) > 0.5 * box.height
    assert "0" in [t.get_text() for t in loss.get_yticklabels()]
    assert any("loss 0" in text for text in legend_texts(scene))
    assert "final loss 0" in legend_texts(scene)[0]


# --------------------------------------------------------- item 3: a constant gradient norm is flat


def test_only_the_floor_of_a_tiny_loss_is_labelled_zero():
    """Decades below 1e-8 are powers of ten, not "0" (np.isclose's default atol once matched them)."""
    traj = optviz.run("chain(depth=5)", "gd", lr=0.01, steps=50)
    assert traj.final_loss == 0.0 and min(v for v in traj.loss if v > 0) < 1e-20
    scene = scene_of([traj], "chain(depth=5)", size="640x360")
    labels = [t.get_text() for t in scene.panels["loss"].get_yticklabels() if t.get_text()]
    assert labels.count("0") == 1 and len(labels) >= 3
    assert all(re.fullmatch(r"0|10[⁻¹²³⁴⁵⁶⁷⁸⁹⁰]+", text) for text in labels), labels


def test_grad_norm_is_log_and_a_constant_reads_flat():
    run = optviz.run("ravine", "gd", lr=0.5, steps=100)
    assert np.ptp(run.grad_norm) / run.grad_norm.mean() < 0.01  # 8.00 to 8.06
    scene = scene_of([run], "ravine", size="640x360", panels="loss,grad_norm")
    for name in ("loss", "grad_norm"):
        ax = scene.panels[name]
        low, high = ax.get_ylim()
        shown = [t for t in ax.get_yticks() if low <= t <= high]
        assert 2 <= len(shown) <= 6  # tick labels that do not crowd the panel
        assert ax.get_yscale() == "log"
        assert np.log10(high / low) >= 1.0  # at least a decade
    ax = scene.panels["grad_norm"]
    y = ax.transData.transform(np.column_stack([np.arange(101), run.grad_norm]))[:, 1]
    assert np.ptp(y) < 0.05 * pixels(ax, scene).height  # the 0.8% change spans under 5% of the panel


def test_panel_scale_rules():
    assert panel_scale("loss", [np.array([3.0, 1.0, 0.0])]).floor is not None
    assert not panel_scale("loss", [np.array([3.0, -1.0])]).log  # negative losses stay linear
    flat = panel_scale("loss", [np.array([-78.3320, -78.3323])])
    assert flat.ylim[1] - flat.ylim[0] > 10  # a nearly constant negative loss is flat too
    assert panel_scale("grad_norm", [np.array([8.06, 8.0])]).log


# ------------------------------------------------------ item 6: animations do not spoil the ending


def test_animations_show_the_current_loss_and_the_final_one_last():
    runs = [optviz.run("ravine", opt, lr=0.4, steps=40) for opt in ("gd", "momentum", "adam")]
    scene = scene_of(runs, "ravine", animated=True, size="640x360", frames=41)
    assert not any("final" in text for text in legend_texts(scene))  # nothing drawn into the background
    player = Player(scene)
    values = scene.values
    shown = {}
    for k in (0, 20, 39, 40):
        shown[k] = player.frame(k).copy()
        texts = [t.text for t in values.texts]
        if k < 40:
            assert texts == [f"loss {t.loss[k]:.3g}" for t in runs]
        else:
            assert texts == [f"final loss {t.final_loss:.3g}" for t in runs]
    # the values are drawn where the legend is, and change between frames
    legend = pixels(scene.fig.legends[0], scene)
    rows = slice(int(360 - legend.y1), int(360 - legend.y0))
    cols = slice(int(legend.x0), int(legend.x1))
    assert not np.array_equal(shown[0][rows, cols], shown[20][rows, cols])
    assert not np.array_equal(shown[39][rows, cols], shown[40][rows, cols])  # "final" appears last


def test_an_animation_legend_does_not_tell_where_a_path_ends():
    runs = [optviz.run("ravine", "gd", lr=lr, steps=20, start=(-5, -2)) for lr in (0.4, 0.6)]  # 0.6 leaves
    picture = legend_texts(scene_of(runs, "ravine", size="640x360"))
    assert "ends outside the window" in picture
    texts = legend_texts(scene_of(runs, "ravine", animated=True, size="640x360", frames=5))
    assert "beyond the window" in texts and not any("ends" in t or "final" in t for t in texts)


def test_a_diverging_run_says_so_only_once_it_diverges():
    runs = [optviz.run("ravine", "gd", lr=lr, steps=300) for lr in (0.4, 1000.0)]
    at = runs[1].diverged_at
    scene = scene_of(runs, "ravine", animated=True, size="640x360", frames=20)
    scene.update(at - 1)
    assert scene.values.texts[1].text.startswith("loss ")
    scene.update(at)
    assert scene.values.texts[1].text == f"diverged at step {at}"


# ------------------------------------------------------- item 7: the title beside the step counter


@pytest.mark.parametrize("size", ["square", "4:3", "640x480", "16:9"])
@pytest.mark.parametrize("fn", ["beale", "styblinski_tang", "rosenbrock"])
@pytest.mark.parametrize("scale", [1.0, 1.6])
def test_the_title_never_runs_into_the_step_counter(size, fn, scale):
    runs = [optviz.run(fn, opt, lr=1e-3, steps=200) for opt in ("gd", "adam")]
    scene = scene_of(runs, fn, animated=True, size=size, text_scale=scale, frames=3)
    title, counter = pixels(title_of(scene), scene), pixels(scene.counter, scene)
    assert title.x1 <= counter.x0, (title, counter)
    assert title.x0 >= 0 and title.y1 <= scene.options.height


def test_a_long_given_title_wraps_beside_the_counter():
    runs = [optviz.run("ravine", "gd", lr=0.4, steps=200)]
    long = "Gradient descent on the ill-conditioned ravine: zig-zag across, crawl along"
    scene = scene_of(runs, "ravine", animated=True, size="square", title=long, frames=3, text_scale=1.6)
    title = title_of(scene)
    assert "\n" in title.get_text()
    assert pixels(title, scene).x1 <= pixels(scene.counter, scene).x0
    assert pixels(title, scene).y1 <= 720


# --------------------------------------------- item 10a: long legends and many runs keep their place


def test_long_legend_labels_leave_the_map_its_share():
    schedules = [None, "exponential(gamma=0.95)", "warmup(steps=10)+cosine"]
    runs = [optviz.run("ravine", "rmsprop", lr=0.3, steps=100, schedule=s, start=(-5, -2)) for s in schedules]
    for size in ("960x540", "16:9"):
        scene = scene_of(runs, "ravine", size=size, panels="loss,lr")
        width, _ = scene.options.size
        assert scene.main.get_position().width >= 0.55
        legend, top_panel = pixels(scene.fig.legends[0], scene), pixels(scene.panels["loss"], scene)
        assert legend.x1 <= width and legend.y0 >= top_panel.y1
        assert any("warmup(steps=10)+cosine" in text for text in legend_texts(scene))


def test_two_hundred_runs_get_a_compact_key_above_the_loss_panel():
    batch = optviz.run_batch("ravine", "gd", lr=list(np.geomspace(0.01, 0.9, 200)), steps=30)
    scene = scene_of(batch, "ravine")
    legend, panel = pixels(scene.fig.legends[0], scene), pixels(scene.panels["loss"], scene)
    assert legend.y0 > panel.y1 and legend.x1 <= 1280
    assert any(re.match(r"… \d+ more runs", text) for text in legend_texts(scene))


# --------------------------------------------------------------- item 11: a text scale, not a dpi


@pytest.mark.parametrize("scale", [1.0, 1.5, 2.0])
def test_text_scale_grows_text_but_the_map_keeps_its_share(scale):
    runs = [optviz.run("ravine", opt, lr=0.4, steps=20) for opt in ("gd", "momentum", "adam")]
    scene = scene_of(runs, "ravine", size="16:9", text_scale=scale)
    assert scene.main.get_position().width >= 0.55
    for ax in (scene.main, *scene.panels.values()):
        box = ax.get_position()
        assert box.x0 >= 0 and box.x1 <= 1 and box.y0 >= 0 and box.y1 <= 1
    legend_font_px = scene.fig.legends[0].get_texts()[0].get_fontsize() * scene.fig.dpi / 72
    full = 0.85 * 12 * 100 / 72 * scale
    if scale <= 1.5:
        assert legend_font_px == pytest.approx(full, rel=0.01)
    else:  # at scale 2 five entries in a narrow column: a smaller font, never under 3/4
        assert 0.74 * full <= legend_font_px <= full


def test_dpi_is_the_same_text_scale():
    assert DrawSettings(dpi=150).dpi == DrawSettings(text_scale=1.5).dpi == 150
    runs = [optviz.run("ravine", "gd", lr=0.4, steps=20)]
    assert scene_of(runs, "ravine", dpi=200).main.get_position().width >= 0.55


def test_the_talk_preset():
    talk = DrawSettings(preset="talk")
    assert talk.text_scale == 1.6 and talk.max_ticks == 4 and talk.line_scale > 1
    assert DrawSettings(preset="talk", text_scale=2).text_scale == 2
    runs = [optviz.run("ravine", opt, lr=0.4, steps=20) for opt in ("gd", "adam")]
    plain, slide = scene_of(runs, "ravine"), scene_of(runs, "ravine", preset="talk")
    lw = lambda scene: scene.runs[0].path.get_linewidth() * scene.fig.dpi / 72  # noqa: E731 - pixels
    assert lw(slide) >= 1.6 * 1.3 * lw(plain)
    for ax in (slide.main, *slide.panels.values()):
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            assert len([t for t in axis.get_majorticklocs() if low <= t <= high]) <= 5


def test_render_settings_follow_a_new_text_scale():
    from optviz.render import check_target

    _, settings = check_target("a.png", "ravine")
    _, talk = check_target("a.png", "ravine", settings, preset="talk")
    assert talk.dpi == 160


# -------------------------------------------------------------------- item 12: the gallery's GIFs


def test_gallery_gifs_are_slides_within_their_budget():
    gallery = ROOT / "gallery"
    gifs = sorted(gallery.glob("*.gif"))
    assert gifs
    for gif in gifs:
        with Image.open(gif) as image:
            assert image.size == (1280, 720), gif.name
        assert gif.stat().st_size <= 400_000, f"{gif.name}: {gif.stat().st_size} bytes"
    assert sum(p.stat().st_size for p in gallery.iterdir()) <= 15_000_000


def test_gallery_configs_use_the_talk_preset():
    for config in sorted((ROOT / "configs").glob("*.yaml")):
        for figure in sweep.load(config).figures:
            assert figure.render.get("preset") == "talk" and figure.render.get("size") == "16:9", config.name


# ---------------------------------------------------------- item 13: a lecturer's options, everywhere


def _run_cli(*args: str):
    result = runner.invoke(app, ["run", *args])
    assert result.exit_code == 0, result.output
    return result


def test_labels_finals_and_window_from_the_api_the_cli_and_yaml(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runs = [optviz.run("ravine", "gd", lr=lr, steps=10) for lr in (0.1, 0.4)]
    common = {"size": "320x180", "labels": ["slow", "fast"], "finals": False, "xlim": (-6, 2), "ylim": (-3, 3)}
    render(runs, "ravine", "api.png", **common)
    _run_cli(
        *"--fn ravine --opt gd --lr 0.1 --lr 0.4 --steps 10 --out cli.png --size 320x180".split(),
        *("--label", "slow", "--label", "fast", "--no-finals", "--xlim=-6,2", "--ylim=-3,3"),
    )
    config = {
        "fn": "ravine",
        "opt": "gd",
        "steps": 10,
        "sweep": {"lr": [0.1, 0.4]},
        "overlay": "lr",
        "out": "yaml.png",
        "render": {"size": "320x180", "labels": ["slow", "fast"], "finals": False, "xlim": [-6, 2], "ylim": [-3, 3]},
    }
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    result = runner.invoke(app, ["sweep", "c.yaml"])
    assert result.exit_code == 0, result.output
    api = (tmp_path / "api.png").read_bytes()
    assert (tmp_path / "cli.png").read_bytes() == api and (tmp_path / "yaml.png").read_bytes() == api
    scene = scene_of(runs, "ravine", size="320x180", **{k: v for k, v in common.items() if k != "size"})
    assert legend_texts(scene)[:2] == ["slow", "fast"]  # no values with finals off
    assert scene.main.get_xlim() == (-6, 2) and scene.main.get_ylim() == (-3, 3)


def test_animations_without_finals(tmp_path):
    runs = [optviz.run("ravine", opt, lr=0.4, steps=10) for opt in ("gd", "adam")]
    out = render(runs, "ravine", tmp_path / "a.gif", size="320x180", frames=4, finals=False)
    assert Image.open(out).n_frames == 4
    scene = scene_of(runs, "ravine", animated=True, size="320x180", finals=False, labels=["a", "b"])
    scene.update(10)
    assert scene.values.texts == [] and legend_texts(scene)[:2] == ["a", "b"]


def test_one_label_per_run():
    runs = [optviz.run("ravine", "gd", lr=lr, steps=5) for lr in (0.1, 0.4)]
    with pytest.raises(OutputError, match="1 label for 2 runs"):
        render(runs, "ravine", "never.png", labels=["only one"])


def test_title_templates_and_no_title(tmp_path):
    runs = [optviz.run("ravine", "gd", lr=0.4, steps=5)]
    scene = scene_of(runs, "ravine", size="320x180", title="{opt} on {fn} at lr {lr}, {unknown}")
    assert title_of(scene).get_text() == "gd on ravine at lr 0.4, {unknown}"
    assert title_of(scene_of(runs, "ravine", size="320x180", title="")) is None
    out = tmp_path / "t.png"
    _run_cli(*f"--fn ravine --steps 5 --size 320x180 --out {out}".split(), "--title", "")
    assert out.exists()


def test_several_starts_are_several_runs(tmp_path):
    out = tmp_path / "s.png"
    result = _run_cli(*f"--fn ravine --opt gd --lr 0.3 --steps 5 --start=-5,-2 --start=4,1 --out {out}".split())
    assert "2 runs" in result.output
    runs = [optviz.run("ravine", "gd", lr=0.3, steps=5, start=s) for s in ((-5, -2), (4, 1))]
    assert run_names(runs) == ["gd, lr=0.3 from (-5, -2)", "gd, lr=0.3 from (4, 1)"]


def test_legend_names_what_the_runs_differ_in():
    runs = [
        optviz.run("thermometer", "gd", lr=1e-3, steps=5, noise=0.0, batch_size=None, schedule=None, clip_norm=None),
        optviz.run("thermometer", "gd", lr=1e-3, steps=5, noise=0.5, batch_size=4, schedule="cosine", clip_norm=1.0),
    ]
    first, second = run_names(runs)
    assert first == "gd, lr=0.001, constant lr, no noise, full batch, no clip norm"
    assert second == "gd, lr=0.001, cosine, noise 0.5, batch 4, clip norm 1"
    assert run_names(runs, ["a", "b"]) == ["a", "b"]


@pytest.mark.parametrize("steps", [3, 7, 40])
def test_step_ticks_are_whole_numbers(steps):
    runs = [optviz.run("ravine", "gd", lr=0.4, steps=steps)]
    scene = scene_of(runs, "ravine", size="640x360", panels="loss,lr")
    for ax in scene.panels.values():
        low, high = ax.get_xlim()
        ticks = [t for t in ax.get_xticks() if low <= t <= high]
        assert len(ticks) >= 2 and all(float(t).is_integer() for t in ticks), ticks


def test_a_loss_that_underflows_through_the_subnormals_keeps_a_log_panel():
    """gd on the ravine for 20,000 steps: the loss passes 5e-324 on its way to exactly 0."""
    loss = np.array([10.0, 1e-200, 1e-320, 5e-324, 0.0])
    scale = panel_scale("loss", [loss])
    assert scale.log and scale.floor is not None
    assert 0 < scale.ylim[0] < scale.floor < 1e-299 and np.isfinite(np.log10(scale.ylim)).all()
