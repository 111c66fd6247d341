"""The explorer page without a browser: its data against the engine, self-containment, size,
escaping, determinism, and one-line errors (the browser tests are tests/test_explorer_browser.py)."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys

import numpy as np
import pytest

import optviz
from optviz.explorer.data import MAX_SAMPLES, sample_steps
from optviz.explorer.page import script_json

SMALL = {"size": "480x270", "steps": 30}


def page_json(text: str) -> dict:
    match = re.search(r'<script type="application/json" id="optviz-data">(.*?)</script>', text, re.S)
    assert match is not None
    return json.loads(match.group(1))


def floats(b64: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(b64), dtype="<f4")


def run_points(data: dict, run: int) -> np.ndarray:
    start = sum(data["runs"]["count"][:run])
    flat = floats(data["runs"]["points"]).reshape(-1, data["dim"])
    return flat[start : start + data["runs"]["count"][run]]


@pytest.fixture(scope="module")
def sweep_page():
    return optviz.explore("ravine", "momentum", lr="0.01..1", momentum="0..0.9", num=[4, 3], **SMALL)


def test_schema_and_grid_order(sweep_page):
    data = sweep_page.data
    assert (data["format"], data["version"], data["dim"]) == ("optviz-explorer", 1, 2)
    assert [(a["name"], len(a["values"]), a["scale"]) for a in data["sweep"]] == [
        ("lr", 4, "log"),
        ("momentum", 3, "linear"),
    ]
    assert np.allclose(np.diff(np.log(data["sweep"][0]["values"])), np.log(10) * 2 / 3)
    assert len(sweep_page) == 12 == len(data["runs"]["count"])
    assert data["steps"] == list(range(SMALL["steps"] + 1))
    left, top, right, bottom = data["main"]["box"]
    assert 0 <= left < right <= data["image"]["width"] and 0 <= top < bottom <= data["image"]["height"]
    assert data["image"]["src"].startswith("data:image/png;base64,")


@pytest.mark.parametrize("lr_i, m_i", [(0, 0), (2, 1), (3, 2)])
def test_runs_are_optviz_run_in_float32(sweep_page, lr_i, m_i):
    """Grid point (lr_i, m_i) is row-major, the last axis fastest, and holds run()'s path."""
    data = sweep_page.data
    lr, momentum = data["sweep"][0]["values"][lr_i], data["sweep"][1]["values"][m_i]
    traj = optviz.run("ravine", "momentum", lr=lr, steps=SMALL["steps"], momentum=momentum)
    got = run_points(data, lr_i * 3 + m_i)
    expected = np.clip(traj.points, -3e38, 3e38).astype(np.float32)
    np.testing.assert_array_equal(got, expected[: len(got)])
    assert data["runs"]["end"][lr_i * 3 + m_i] == len(traj.points) - 1


@pytest.mark.parametrize("steps, most", [(5, 6), (200, 201), (1000, MAX_SAMPLES + 1), (4999, MAX_SAMPLES + 1)])
def test_strided_recording(steps, most):
    kept = sample_steps(steps)
    assert kept[0] == 0 and kept[-1] == steps and len(kept) <= most and np.all(np.diff(kept) > 0)


def test_budget_1000_runs_of_200_steps(tmp_path):
    page = optviz.explore("ravine", "momentum", lr="0.01..1", momentum="0..0.95", num=[40, 25], steps=200)
    size = page.save(tmp_path / "big.html").stat().st_size
    assert len(page) == 1000 and size <= 5_000_000, size


def test_self_contained_and_deterministic(tmp_path, sweep_page):
    first, second = sweep_page.save(tmp_path / "a.html"), tmp_path / "b.html"
    optviz.explore("ravine", "momentum", lr="0.01..1", momentum="0..0.9", num=[4, 3], **SMALL).save(second)
    text = first.read_text()
    assert first.read_bytes() == second.read_bytes()
    assert not re.search(r"https?://|//cdn|<link|\bsrc=\"(?!data:)", text)
    assert text.count("<script") == 2 and "import " not in text.split('<script type="module">')[1][:200]


@pytest.mark.parametrize(
    "label", ["</script><script>alert(1)</script>", "<!-- a", "a & b \u2028 c", "</SCRIPT >", "]]> \" '"]
)
def test_user_text_cannot_break_out(tmp_path, label):
    runs = [optviz.run("ravine", "gd", lr=0.1, steps=5)]
    path = optviz.render.render(runs, "ravine", tmp_path / "x.html", labels=[label], title=label, size="480x270")
    text = path.read_text()
    assert text.lower().count("</script") == 2 and "<!--" not in text
    assert page_json(text)["series"][0]["label"] == label
    assert "\u2028" not in script_json({"x": label})


def test_run_page_of_a_1d_function(tmp_path):
    runs = [optviz.run("square", "gd", lr=lr, steps=10, start=3) for lr in (0.1, 0.4)]
    data = page_json(optviz.render.render(runs, "square", tmp_path / "s.html", size="480x270").read_text())
    assert data["dim"] == 1 and data["sweep"] == [] and len(data["series"]) == 2
    np.testing.assert_array_equal(run_points(data, 1)[:, 0], runs[1].points[:, 0].astype(np.float32))
    loss = floats(data["runs"]["loss"])[data["runs"]["count"][0] :]
    np.testing.assert_array_equal(loss, runs[1].loss.astype(np.float32))


def cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "optviz", *args], capture_output=True, text=True, cwd=cwd)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--lr", "1..0.1"], "LO must be below HI"),
        (["--lr", "0..1"], "both ends must be > 0"),
        (["--lr", "0.1"], "nothing to sweep"),
        (["--lr", "abc"], "neither a number nor a range"),
        (["--lr", "0.1..1", "--num", "1"], "--num 1 must be a whole number"),
        (["--num", "3", "--lr", "0.1..1", "--num", "4"], "--num counts the range written just before it"),
        (["--lr", "0.1..1", "--num", "3", "--momentum", "0..0.9", "--dampening", "0..0.5", "--num", "3"], "--num"),
        (["--opt", "adam", "--momentum", "0..0.5"], "unknown hyperparameter of adam 'momentum'"),
        (["--lr", "0.1..1", "--beta1", "0..0.9"], "this optimizer has no betas"),
        (["--lr", "0.1..1", "--num", "100", "--momentum", "0..0.9", "--num", "100"], "a page holds at most 5000"),
        (["--lr", "0.1..1", "--panels", "velocity"], "drop velocity from --panels"),
        (["--lr", "0.1..1", "--fn", "nosuch"], "nosuch"),
    ],
)
def test_explore_errors_are_one_line(tmp_path, args, message):
    result = cli("explore", *args, "--out", str(tmp_path / "x.html"))
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not (tmp_path / "x.html").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["explore", "--lr", "0.1..1", "--out", "x.png"], "unknown suffix '.png'; use one of .html"),
        (["run", "--view", "surface", "--out", "x.html"], "drop --view surface"),
        (["run", "--show", "gradient", "--out", "x.html"], "drop --show"),
    ],
)
def test_bad_page_targets(tmp_path, args, message):
    result = cli(*args, cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_cli_pairs_each_num_with_its_range(tmp_path):
    out = tmp_path / "m.html"
    result = cli(
        "explore",
        "--lr",
        "0.01..1",
        "--num",
        "3",
        "--momentum",
        "0..0.9",
        "--num",
        "2",
        "--steps",
        "10",
        "--size",
        "480x270",
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    assert "(6 runs," in result.stdout and " MB)" in result.stdout
    sweep = page_json(out.read_text())["sweep"]
    assert [(a["name"], len(a["values"])) for a in sweep] == [("lr", 3), ("momentum", 2)]


def test_notebook_shows_the_page_in_an_iframe(sweep_page):
    shown = sweep_page._repr_html_()
    assert shown.startswith('<iframe srcdoc="&lt;!DOCTYPE html&gt;') and "<script" not in shown


def test_sweep_writes_pages(tmp_path):
    config = tmp_path / "s.yaml"
    config.write_text(
        'fn: ravine\nopt: [gd, momentum]\nlr: [0.1]\nsteps: 10\nrender: {size: "480x270"}\nout: "{opt}.html"\n'
    )
    result = cli("sweep", str(config), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for name in ("gd", "momentum"):
        data = page_json(next(tmp_path.rglob(f"{name}.html")).read_text())
        assert [s["opt"] for s in data["series"]] == [name] and data["steps"][-1] == 10
