"""The HTML page: the data as JSON, the module :file:`explorer.js` and a little CSS, all inline.

The page loads nothing: no CDN, no font file, no request of any kind, so it opens from a disk, an
e-mail or a notebook's ``srcdoc`` alike. User text (titles, labels, specs) reaches it only as JSON
inside ``<script type="application/json">``, with ``<``, ``>`` and ``&`` written as ``\\u003c``
escapes (so no ``</script>`` or ``<!--`` can end the element early), or HTML-escaped in ``<title>``.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from optviz.explorer.background import PAGE_PANELS, check_page, draw_background
from optviz.explorer.data import FORMAT, VERSION, run_data
from optviz.functions import TestFunction
from optviz.output import atomic_path
from optviz.settings import DrawSettings
from optviz.themes import run_colors, run_markers
from optviz.trajectory import Trajectory

__all__ = ["page_data", "page_html", "save_page", "script_json", "write_page"]

_PANEL_LABELS = {"loss": "loss", "grad_norm": "|∇f|", "lr": "lr"}

_CSS = """
:root { color-scheme: %(scheme)s; }
body { margin: 0; background: %(background)s; color: %(foreground)s;
  font: %(font)spx "DejaVu Sans", Verdana, sans-serif; }
#optviz-explorer { padding: 8px; display: inline-block; }
.stage { display: flex; align-items: flex-start; gap: 4px; }
.map { position: relative; width: %(width)spx; height: %(height)spx; }
.map img, .map canvas { position: absolute; left: 0; top: 0; }
.legend-hits button { position: absolute; background: transparent; border: 1px solid transparent;
  border-radius: 3px; cursor: pointer; padding: 0; }
.legend-hits button:hover, .legend-hits button:focus-visible { border-color: %(muted)s; }
.legend-hits button.off { background: %(background)sc0; text-decoration: line-through; }
.legend-list button { margin: 2px 4px 0 0; background: transparent; color: inherit; border: 2px solid;
  border-radius: 3px; cursor: pointer; font: inherit; }
.legend-list button.off { opacity: 0.4; text-decoration: line-through; }
.controls, .sweep label, .choose { display: flex; align-items: center; gap: 10px; margin-top: 6px; }
.controls .step { flex: 1; max-width: %(width)spx; }
.sweep-slider { width: 320px; }
.sweep span { min-width: 90px; text-align: right; }
.sweep output { min-width: 80px; font-variant-numeric: tabular-nums; }
.step-text { min-width: 90px; font-variant-numeric: tabular-nums; }
button.play { min-width: 84px; }
.grid { cursor: crosshair; border: 1px solid %(muted)s; }
.final, .help { color: %(muted)s; }
[hidden] { display: none !important; }
.tip { position: absolute; white-space: pre; pointer-events: none; background: %(background)s;
  border: 1px solid %(muted)s; border-radius: 4px; padding: 4px 7px; font-variant-numeric: tabular-nums; }
"""

_BODY = """<main id="optviz-explorer">
<div class="stage">
<div class="map"><img alt="%(alt)s" src="%(src)s" width="%(width)s" height="%(height)s">
<canvas class="paths"></canvas><div class="legend-hits"></div></div>
<canvas class="panels"></canvas>
</div>
<div class="legend-list"></div>
<div class="controls"><button class="play" type="button">▶ play</button>
<input class="step" type="range" min="0" max="0" step="1" value="0" aria-label="step">
<span class="step-text"></span>
<label>speed <select class="speed"><option value="0.25">¼×</option><option value="0.5">½×</option>
<option value="1" selected>1×</option><option value="2">2×</option><option value="4">4×</option></select></label>
<label><input class="loop" type="checkbox" checked> loop</label></div>
<div class="choose"><div class="sweep"></div><canvas class="grid"></canvas><span class="final"></span></div>
<p class="help">← → a step · space play/pause · click a legend entry to hide its run · hover a point to read it%(more)s</p>
<div class="tip" hidden></div>
</main>"""


def script_json(data: Any) -> str:
    """``data`` as JSON that is safe inside a ``<script>`` element: no ``<``, ``>`` or ``&`` (they
    become ``\\u003c`` escapes, which JSON reads back as the same characters), ASCII only (so no
    U+2028 either), keys in a fixed order for byte-for-byte pages.

    Examples:
        >>> script_json({"title": "</script><script>alert(1)</script>"})
        '{"title": "\\\\u003c/script\\\\u003e\\\\u003cscript\\\\u003ealert(1)\\\\u003c/script\\\\u003e"}'
    """
    text = json.dumps(data, ensure_ascii=True, allow_nan=False, separators=(", ", ": "))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _script() -> str:
    return resources.files("optviz.explorer").joinpath("explorer.js").read_text(encoding="utf-8")


def page_html(data: dict[str, Any]) -> str:
    """The whole page for ``data`` (:func:`page_data`)."""
    theme = data["theme"]
    sizes = {"width": data["image"]["width"], "height": data["image"]["height"]}
    css = _CSS % {
        **theme,
        **sizes,
        "scheme": "dark" if theme["name"] == "dark" else "light",
        "font": data["style"]["font"],
    }
    more = " · move a slider or click the grid to pick a setting" if data["sweep"] else ""
    body = _BODY % {
        **sizes,
        "alt": html.escape(data["title"], quote=True),
        "src": data["image"]["src"],
        "more": more,
    }
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(data['title'])}</title>\n<style>{css}</style>\n</head>\n<body>\n{body}\n"
        f'<script type="application/json" id="optviz-data">{script_json(data)}</script>\n'
        f'<script type="module">\n{_script()}</script>\n</body>\n</html>\n'
    )


def page_data(
    fn: TestFunction,
    runs: Sequence[Trajectory],
    names: Sequence[str],
    settings: DrawSettings,
    sweep: Sequence[dict[str, Any]] = (),
    title: str | None = None,
) -> dict[str, Any]:
    """The page's data (schema: :mod:`optviz.explorer`) for ``runs``: ``len(names)`` series (legend
    entries), each with one run per point of the sweep's grid, series by series."""
    check_page(fn, settings)
    per_series = len(runs) // len(names)
    firsts = [_first_point(runs[s * per_series]) for s in range(len(names))]
    # a sweep's window holds the runs that got somewhere, not the ones that blew up
    framing = [t for t in runs if not sweep or (not t.diverged and t.loss[-1] <= t.loss[0])] or runs[:1]
    background = draw_background(fn, firsts, [t.points for t in framing], list(names), settings)
    total = max(int(t.settings.get("steps", t.steps)) for t in runs)
    steps, run_arrays = run_data(runs, total)
    colors, markers = run_colors(settings.theme, len(names)), run_markers(len(names))
    theme = settings.theme
    font_px = settings.font_pt * settings.dpi / 72
    return {
        "format": FORMAT,
        "version": VERSION,
        "title": title if title is not None else f"{fn.spec}: {', '.join(names)}",
        "fn": fn.spec,
        "dim": fn.dim,
        "theme": {
            "name": theme.name,
            "background": theme.background,
            "foreground": theme.foreground,
            "muted": theme.muted,
        },
        "style": {
            "font": round(0.85 * font_px, 2),
            "line": round(1.8 * settings.dpi / 100 * settings.line_scale, 2),
            "dot": round(2.2 * settings.dpi / 100, 2),
            "head": round(5.0 * settings.dpi / 100 * settings.line_scale, 2),
            "panel_width": round(0.36 * settings.width) if settings.panels else 0,
        },
        **background.data(),
        "counter": background.counter,
        "panels": [p for p in settings.panels if p in PAGE_PANELS],
        "panel_labels": {p: _PANEL_LABELS[p] for p in settings.panels if p in PAGE_PANELS},
        "sweep": [dict(axis) for axis in sweep],
        "series": [
            {"label": name, "color": color, "marker": marker, "opt": str(runs[s * per_series].settings.get("opt", ""))}
            for s, (name, color, marker) in enumerate(zip(names, colors, markers, strict=True))
        ],
        "total": total,
        "steps": steps,
        "runs": run_arrays,
    }


def _first_point(traj: Trajectory) -> Trajectory:
    """The run cut to its start: the scene draws its legend entry and start marker, no path."""
    return Trajectory(traj.points[:1], traj.loss[:1], traj.grad_norm[:1], traj.lr[:0], None, traj.settings)


def write_page(data: dict[str, Any], path: str | os.PathLike) -> Path:
    """Write the page for ``data`` to ``path``, atomically."""
    path = Path(path)
    text = page_html(data)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def save_page(trajs: Sequence[Trajectory], fn: TestFunction, path: Path, settings: DrawSettings) -> Path:
    """``render(..., "runs.html")``: one page of the runs, each its own legend entry with a toggle."""
    from optviz.render.legend import run_names

    names = run_names(trajs, settings.labels, settings.lang)
    title = settings.title if settings.title else None
    return write_page(page_data(fn, list(trajs), names, settings, title=title), path)
