"""``--show`` arrows (issue 13, item 1): the update arrow is the path's own step, every arrow
drawn at one scale per figure, at the chosen steps of a picture and at the head of an animation."""

from __future__ import annotations

import numpy as np
import pytest

import optviz
from optviz.errors import OutputError
from optviz.functions import get as get_function
from optviz.render.arrows import arrow_steps, arrow_vectors
from optviz.render.scene import build_scene
from optviz.settings import DrawSettings


@pytest.fixture(scope="module")
def trajs():
    return list(optviz.run_batch("ravine", ["momentum", "adam"], lr=0.05, steps=20, record_state=True))


def test_update_arrow_is_the_paths_difference(trajs):
    for traj in trajs:
        np.testing.assert_array_equal(arrow_vectors(traj, "update"), traj.points[1:] - traj.points[:-1])
        np.testing.assert_array_equal(arrow_vectors(traj, "gradient"), -traj.state["grad"])
        np.testing.assert_array_equal(arrow_vectors(traj, "momentum"), -traj.state["momentum"])


def test_picture_draws_arrows_at_the_chosen_steps_with_one_scale(trajs):
    opts = DrawSettings(show="gradient,update,momentum", show_at="0,5,10")
    scene = build_scene(trajs, get_function("ravine"), opts, animated=False)
    arrows = scene.arrows
    update = arrows.quivers["update"]
    want = np.concatenate([t.points[[0, 5, 10]] for t in trajs])
    np.testing.assert_array_equal(update.get_offsets(), want)
    diffs = np.concatenate([(t.points[1:] - t.points[:-1])[[0, 5, 10]] for t in trajs])
    np.testing.assert_allclose(np.column_stack([update.U, update.V]), diffs * arrows.scale, rtol=1e-12)
    assert f"×{arrows.scale:g}" in scene.main.get_legend().get_title().get_text()


def test_animation_arrows_move_with_the_head(trajs):
    opts = DrawSettings(show="update", frames=5)
    scene = build_scene(trajs, get_function("ravine"), opts, animated=True)
    scene.update(7)
    quiver = scene.arrows.quivers["update"]
    np.testing.assert_array_equal(quiver.get_offsets(), np.array([t.points[7] for t in trajs]))
    want = np.array([t.points[8] - t.points[7] for t in trajs]) * scene.arrows.scale
    np.testing.assert_allclose(np.column_stack([quiver.U, quiver.V]), want, rtol=1e-12)
    assert quiver in scene.animated


def test_show_settings_and_errors(tmp_path):
    assert DrawSettings(show="update, gradient").show == ("update", "gradient")
    assert DrawSettings(show_at="every 5").show_at == 5
    assert arrow_steps(5, 12) == [0, 5, 10] and arrow_steps((0, 3, 40), 12) == [0, 3]
    with pytest.raises(optviz.OptvizError):
        DrawSettings(show="velocity")
    with pytest.raises(OutputError):
        DrawSettings(show_at="-1")
    traj = optviz.run("ravine", "momentum", lr=0.05, steps=5)
    with pytest.raises(OutputError, match="record_state"):
        optviz.render.render(traj, "ravine", tmp_path / "a.png", show="gradient")
    optviz.render.render(traj, "ravine", tmp_path / "b.png", show="update")  # the path alone suffices


def test_cli_show(tmp_path):
    from typer.testing import CliRunner

    from optviz.cli import app

    out = tmp_path / "a.gif"
    args = ["run", "--opt", "adam", "--lr", "0.1", "--steps", "10", "--show", "gradient,momentum", "--frames", "4"]
    result = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.exists()
