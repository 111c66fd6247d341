"""Notebooks and scripts: plot() returns a Figure, animate() an Animation, runs show themselves."""

from __future__ import annotations

import base64
import io
import re
import subprocess
import sys
from pathlib import Path

import nbclient
import nbformat
import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

import optviz
from optviz.errors import OutputError
from optviz.render import render

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "quickstart.ipynb"


@pytest.fixture(scope="module")
def batch():
    return optviz.run_batch("ravine", ["gd", "adam"], lr=0.3, steps=30)


def test_plot_returns_a_figure_without_touching_pyplot(batch):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    fig = optviz.plot(batch, size="640x360", theme="dark")
    assert isinstance(fig, Figure) and plt.get_fignums() == before
    assert fig.get_size_inches() * fig.dpi == pytest.approx([640, 360])
    fig.axes[0].set_title("edited")  # a figure like any other
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    assert Image.open(buffer).size == (640, 360)


def test_plot_does_not_import_pyplot():
    code = (
        "import sys, optviz\n"
        "fig = optviz.plot(optviz.run('ravine', 'adam', lr=0.3, steps=10), size='320x180')\n"
        "fig._repr_png_()\n"
        "optviz.animate(optviz.run('ravine', 'gd', lr=0.3, steps=5), size='320x180', frames=3)._repr_html_()\n"
        "print('matplotlib.pyplot' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_figure_is_what_render_writes(batch, tmp_path):
    """plot() draws with the renderer: its PNG is byte for byte the file ``render`` writes."""
    fig = optviz.plot(batch, size="640x360", panels="loss,grad_norm")
    written = render(batch, "ravine", tmp_path / "same.png", size="640x360", panels="loss,grad_norm")
    assert fig._repr_png_() == written.read_bytes()


def test_plot_errors_are_one_line(batch):
    for runs, options, words in [
        ("ravine", {}, "cannot draw str"),
        (batch, {"size": "huge"}, "--size"),
        (batch, {"labels": ["one"]}, "1 labels for 2 runs"),
        (optviz.run("square", "gd", lr=0.1, steps=3), {"view": "surface"}, "2-D function"),
    ]:
        with pytest.raises(optviz.OptvizError) as info:
            optviz.plot(runs, **options)
        assert words in str(info.value) and "\n" not in str(info.value)


def test_animation_saves_and_shows_itself(batch, tmp_path):
    anim = optviz.animate(batch, size="320x180", frames=6)
    page = anim._repr_html_()
    data = base64.b64decode(re.search(r'src="data:image/gif;base64,([^"]+)"', page).group(1))
    assert data[:6] == b"GIF89a"
    gif = Image.open(io.BytesIO(data))
    assert gif.size == (320, 180) and gif.n_frames == 6
    assert anim.save(tmp_path / "paths.gif").read_bytes() == data
    last = Image.open(io.BytesIO(anim._repr_png_()))
    assert last.size == (320, 180)
    gif.seek(gif.n_frames - 1)  # the last frame of the GIF is the PNG's picture (up to the palette)
    difference = np.abs(np.asarray(gif.convert("RGB"), float) - np.asarray(last.convert("RGB"), float))
    assert difference.mean() < 2.0
    with pytest.raises(OutputError):
        anim.save(tmp_path / "paths.png")


def test_runs_show_a_picture_and_a_summary():
    traj = optviz.run("ravine", "adam", lr=0.3, steps=20)
    page = traj._repr_html_()
    assert "<table>" in page and "adam, lr=0.3" in page and page.count('src="data:image/png;base64,') == 1
    many = optviz.run_batch(
        "himmelblau", "gd", lr=0.01, steps=20, start=np.random.default_rng(0).uniform(-4, 4, (30, 2))
    )
    page = many._repr_html_()
    assert "the first 12 of 30 runs" in page and "... and 18 more" in page and page.count("<tr>") == 1 + 12 + 1


def test_a_run_of_an_unknown_function_still_shows_its_summary(tmp_path):
    traj = optviz.run("ravine", "gd", lr=0.3, steps=5)
    odd = optviz.Trajectory(traj.points, traj.loss, traj.grad_norm, traj.lr, None, {**traj.settings, "fn": "nowhere"})
    page = odd._repr_html_()
    assert "<table>" in page and "no picture" in page


def test_the_committed_notebook_has_no_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(not cell.outputs and cell.execution_count is None for cell in code)


def test_the_quickstart_notebook_runs(tmp_path):
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell("import sys\nprint(sys.executable)"))
    client = nbclient.NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError on any failing cell
    outputs = [cell.outputs for cell in notebook.cells if cell.cell_type == "code"]
    assert Path(outputs[-1][0]["text"].strip()).resolve() == Path(sys.executable).resolve()  # this venv's kernel
    kinds = [set().union(*(o.get("data", {}).keys() for o in cell)) for cell in outputs[:-1]]
    assert "text/html" in kinds[0]  # the Trajectory
    assert sum("image/png" in k for k in kinds) >= 3  # the figures and the animation's last frame
    assert any(o.get("output_type") == "error" for cell in outputs for o in cell) is False
