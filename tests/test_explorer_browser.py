"""The explorer page in a real browser: Debian's chromium driven by Playwright for Python.

Playwright's own browser download cannot be used here (``playwright install`` is never run): the
tests launch the system's ``chromium``. Outside CI they skip when it (or Playwright) is missing;
under CI (``CI=true``) that is a failure, as for torch in :func:`conftest.require_torch`.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

import optviz

SHOTS = Path("/tmp/explorer")
STEPS = 40


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _missing(what: str) -> None:
    if _in_ci():
        pytest.fail(f"{what}, but CI must run the browser tests: apt-get install chromium; pip install playwright")
    pytest.skip(f"{what} (apt-get install chromium and pip install playwright to run the browser tests)")


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed")
    executable = shutil.which("chromium")
    if executable is None:
        _missing("no chromium on PATH")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser):
    """Open a page from file:// with every request checked: anything but file: and data: fails."""
    opened = []

    def open_(path: Path):
        page = browser.new_page(viewport={"width": 1400, "height": 900}, device_scale_factor=1)
        page.problems = []  # console errors, page errors, network requests
        page.on("console", lambda m: page.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: page.problems.append(f"page error: {e}"))

        def route(r):
            if r.request.url.split(":", 1)[0] in ("file", "data"):
                r.continue_()
            else:
                page.problems.append(f"request: {r.request.url}")
                r.abort()

        page.route("**/*", route)
        page.goto(path.resolve().as_uri())
        page.wait_for_function("window.optvizExplorer !== undefined")
        opened.append(page)
        return page

    yield open_
    for page in opened:
        page.close()


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pages")
    runs = [optviz.run("ravine", opt, lr=0.1, steps=STEPS) for opt in ("momentum", "adam")]
    run_page = optviz.render.render(runs, "ravine", folder / "runs.html", size="800x450", panels="loss,grad_norm,lr")
    sweep = optviz.explore(
        "ravine", "momentum", lr="0.01..1", momentum="0..0.9", num=[6, 4], steps=STEPS, size="800x450"
    )
    return {"runs": (run_page, runs), "sweep": (sweep.save(folder / "sweep.html"), sweep)}


def heads(page) -> list[dict]:
    return json.loads(page.eval_on_selector("#optviz-explorer", "el => el.dataset.heads"))


@pytest.mark.parametrize("name", ["runs", "sweep"])
def test_loads_offline_without_errors(open_page, pages, name):
    page = open_page(pages[name][0])
    assert page.problems == []
    assert page.locator("canvas.paths").is_visible()
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"test-{name}.png"), full_page=True)


@pytest.mark.parametrize("step", [0, 7, STEPS // 2, STEPS])
def test_step_slider_moves_the_heads(open_page, pages, step):
    path, runs = pages["runs"]
    page = open_page(path)
    page.locator("input.step").fill(str(step))
    shown = heads(page)
    for head, traj in zip(shown, runs, strict=True):
        assert head["step"] == step
        np.testing.assert_array_equal(np.float32(head["point"]), traj.points[step].astype(np.float32))
    assert page.eval_on_selector("#optviz-explorer", "el => el.dataset.step") == str(step)


def test_keyboard_steps_and_plays(open_page, pages):
    page = open_page(pages["runs"][0])
    page.locator("input.step").fill("10")
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("ArrowRight")
    assert heads(page)[0]["step"] == 11
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    assert heads(page)[0]["step"] == 9
    page.keyboard.press(" ")
    page.wait_for_function("Number(document.getElementById('optviz-explorer').dataset.step) !== 9")
    assert page.evaluate("optvizExplorer.state().playing")
    page.keyboard.press(" ")
    assert not page.evaluate("optvizExplorer.state().playing")


def _alpha_at(page, xy) -> int:
    """The map canvas's opacity at a pixel (the paths are the only thing drawn on it)."""
    return page.evaluate(
        "([x, y]) => document.querySelector('canvas.paths').getContext('2d')"
        ".getImageData(Math.round(x), Math.round(y), 1, 1).data[3]",
        xy,
    )


def test_legend_toggle_hides_a_run(open_page, pages):
    page = open_page(pages["runs"][0])
    head = heads(page)[1]
    assert not head["hidden"] and _alpha_at(page, head["pixel"]) > 0
    page.locator(".legend-hits button[data-series='1']").click()
    assert heads(page)[1]["hidden"] and _alpha_at(page, head["pixel"]) == 0
    page.locator(".legend-hits button[data-series='1']").click()
    assert not heads(page)[1]["hidden"] and _alpha_at(page, head["pixel"]) > 0


@pytest.mark.parametrize("lr_i, m_i", [(0, 0), (3, 2), (5, 3)])
def test_lr_slider_shows_that_lrs_path(open_page, pages, lr_i, m_i):
    path, sweep = pages["sweep"]
    page = open_page(path)
    page.locator("input.sweep-slider[data-axis='lr']").fill(str(lr_i))
    page.locator("input.sweep-slider[data-axis='momentum']").fill(str(m_i))
    lr = sweep.data["sweep"][0]["values"][lr_i]
    momentum = sweep.data["sweep"][1]["values"][m_i]
    traj = optviz.run("ravine", "momentum", lr=lr, steps=STEPS, momentum=momentum)
    shown = np.array(page.evaluate("optvizExplorer.path(0)"))
    np.testing.assert_array_equal(shown[:, 0], np.arange(len(traj.points)))
    expected = np.clip(traj.points, -3e38, 3e38).astype(np.float32)
    np.testing.assert_array_equal(np.float32(shown[:, 1:]), expected)
    assert page.locator(".sweep output").first.inner_text() != ""


def test_grid_click_picks_a_setting(open_page, pages):
    page = open_page(pages["sweep"][0])
    grid = page.locator("canvas.grid")
    box = grid.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.99, box["y"] + box["height"] * 0.01)  # top right: largest lr, momentum
    assert page.evaluate("optvizExplorer.state().index") == [5, 3]
    assert page.eval_on_selector("#optviz-explorer", "el => el.dataset.run") == str(5 * 4 + 3)


def test_hover_reads_a_point(open_page, pages):
    page = open_page(pages["runs"][0])
    page.locator("input.step").fill("5")
    head = heads(page)[0]
    box = page.locator("canvas.paths").bounding_box()
    page.mouse.move(box["x"] + head["pixel"][0], box["y"] + head["pixel"][1])
    tip = page.locator(".tip")
    assert tip.is_visible() and "step 5" in tip.inner_text() and "loss" in tip.inner_text()
