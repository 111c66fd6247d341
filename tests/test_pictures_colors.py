"""Run colours that stay apart on a projector and for the common colour-vision deficiencies
(issue 11, item 8), and marker shapes as a second cue.

Distances are CIEDE2000 (Sharma, Wu & Dalal 2005, checked against their published pairs) between
colours as seen with normal vision, with protan, deutan and tritan vision simulated by the matrices
of Machado, Oliveira & Fernandes (2009, severity 1, on linear sRGB), and on a washed-out projector
(a quarter of the light ambient white).
"""

from __future__ import annotations

import numpy as np
import pytest

from optviz.themes import OKABE_ITO, RUN_MARKERS, THEMES, run_colors, run_markers

MACHADO = {
    "protan": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
    "deutan": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
    "tritan": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
}
VISIONS = ("normal", "protan", "deutan", "tritan", "projector")
#: every pair of the palette is at least this far apart, in every vision
ALL_PAIRS = 13.5
#: the first four colours (most figures overlay two to four runs) at least this far
FIRST_FOUR = 20.0
#: each colour at least this far from every contour fill colour of its theme
FROM_FILL = 10.0


def _linear(hexes: list[str]) -> np.ndarray:
    srgb = np.array([[int(h.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)] for h in hexes])
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def lab(hexes: list[str], vision: str = "normal") -> np.ndarray:
    """CIELAB (D65) of sRGB colours as seen in ``vision``."""
    rgb = _linear(hexes)
    if vision in MACHADO:
        rgb = np.clip(rgb @ np.array(MACHADO[vision]).T, 0, 1)
    elif vision == "projector":
        rgb = 0.75 * rgb + 0.25
    xyz = (
        rgb
        @ np.array(
            [[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750], [0.0193339, 0.1191920, 0.9503041]]
        ).T
    )
    xyz = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], axis=-1)


def ciede2000(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """CIEDE2000 colour difference of Lab colours (broadcasting)."""
    (l1, a1, b1), (l2, a2, b2) = np.moveaxis(a, -1, 0), np.moveaxis(b, -1, 0)
    c_bar = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(c_bar**7 / (c_bar**7 + 25.0**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p, h2p = np.degrees(np.arctan2(b1, a1p)) % 360, np.degrees(np.arctan2(b2, a2p)) % 360
    chroma0 = c1p * c2p == 0
    dh = h2p - h1p
    dh = np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh))
    dh = np.where(chroma0, 0, dh)
    d_l, d_c, d_h = l2 - l1, c2p - c1p, 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh / 2))
    l_bar, c_bar_p, h_sum = (l1 + l2) / 2, (c1p + c2p) / 2, h1p + h2p
    h_bar = np.where(
        chroma0,
        h_sum,
        np.where(np.abs(h1p - h2p) <= 180, h_sum / 2, np.where(h_sum < 360, (h_sum + 360) / 2, (h_sum - 360) / 2)),
    )
    t = (
        1
        - 0.17 * np.cos(np.radians(h_bar - 30))
        + 0.24 * np.cos(np.radians(2 * h_bar))
        + 0.32 * np.cos(np.radians(3 * h_bar + 6))
        - 0.20 * np.cos(np.radians(4 * h_bar - 63))
    )
    s_l = 1 + 0.015 * (l_bar - 50) ** 2 / np.sqrt(20 + (l_bar - 50) ** 2)
    s_c, s_h = 1 + 0.045 * c_bar_p, 1 + 0.015 * c_bar_p * t
    r_t = (
        -np.sin(np.radians(60 * np.exp(-(((h_bar - 275) / 25) ** 2))))
        * 2
        * np.sqrt(c_bar_p**7 / (c_bar_p**7 + 25.0**7))
    )
    return np.sqrt((d_l / s_l) ** 2 + (d_c / s_c) ** 2 + (d_h / s_h) ** 2 + r_t * (d_c / s_c) * (d_h / s_h))


def closest_pair(hexes: list[str]) -> tuple[float, str, str, str]:
    """The smallest distance between two of ``hexes`` in any vision, the vision and the pair."""
    worst = (np.inf, "", "", "")
    for vision in VISIONS:
        points = lab(hexes, vision)
        d = ciede2000(points[:, None], points[None, :])
        d[np.diag_indices(len(hexes))] = np.inf
        i, j = np.unravel_index(np.argmin(d), d.shape)
        if d[i, j] < worst[0]:
            worst = (float(d[i, j]), vision, hexes[i], hexes[j])
    return worst


@pytest.mark.parametrize(
    ("lab1", "lab2", "expected"),
    [  # Sharma, Wu & Dalal (2005), table 1
        ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
        ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
        ((50.0, 2.5, 0.0), (50.0, 0.0, -2.5), 4.3065),
        ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
        ((2.0776, 0.0795, -1.1350), (0.9033, -0.0636, -0.5514), 0.9082),
    ],
)
def test_ciede2000_matches_the_published_pairs(lab1, lab2, expected):
    assert ciede2000(np.array(lab1), np.array(lab2)) == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize("theme", list(THEMES))
def test_run_colours_stay_apart_in_every_vision(theme):
    palette = list(THEMES[theme].palette)
    distance, vision, a, b = closest_pair(palette)
    assert distance >= ALL_PAIRS, f"{theme}: {a} and {b} are {distance:.1f} apart in {vision} vision"
    distance, vision, a, b = closest_pair(palette[:4])
    assert distance >= FIRST_FOUR, f"{theme}: runs {a} and {b} are {distance:.1f} apart in {vision} vision"


def test_the_old_palette_fails_the_threshold():
    """The test can fail: Okabe-Ito's orange and vermilion (runs 1 and 4) are too close."""
    assert closest_pair(list(OKABE_ITO[:4]))[0] < FIRST_FOUR
    assert closest_pair(["#E69F00", "#D55E00"])[0] < FIRST_FOUR


@pytest.mark.parametrize("theme", list(THEMES))
def test_run_colours_stand_off_the_contours(theme):
    look = THEMES[theme]
    for vision in VISIONS:
        d = ciede2000(lab(list(look.palette), vision)[:, None], lab(list(look.fill), vision)[None, :])
        assert d.min() >= FROM_FILL, (theme, vision, d.min())


def test_every_run_has_its_own_colour_and_marker():
    """Past eight runs colours repeat, but never with the same marker shape."""
    for n in (2, 4, 8, 9, 30, 64):
        pairs = list(zip(run_colors(THEMES["light"], n), run_markers(n), strict=True))
        assert len(set(pairs)) == n
    assert set(run_markers(8)) == set(RUN_MARKERS) and not {"s", "*", "X"} & set(RUN_MARKERS)  # start and minima


def test_paths_and_legend_carry_the_markers():
    import matplotlib as mpl

    import optviz
    from optviz.functions import get as get_function
    from optviz.render.scene import build_scene
    from optviz.settings import DrawSettings

    runs = [optviz.run("ravine", opt, lr=0.3, steps=10) for opt in ("gd", "momentum", "adam")]
    options = DrawSettings(size="640x360")
    with mpl.rc_context(options.theme.rc(options.font_pt)):
        scene = build_scene(runs, get_function("ravine"), options, animated=False)
    assert [run.path.get_marker() for run in scene.runs] == run_markers(3)
    handles = scene.fig.legends[0].legend_handles[:3]
    assert [h.get_marker() for h in handles] == run_markers(3)
    assert [h.get_color() for h in handles] == run_colors(THEMES["light"], 3)
