"""Interactive pages: one self-contained HTML file to scrub the steps and drag the hyperparameters.

``optviz run --out runs.html`` (or ``render(..., "runs.html")``, or ``out: "{name}.html"`` in a
sweep) writes a page of the runs; ``optviz explore`` (:func:`explore`) runs a grid of settings in
one engine batch and writes a page with a slider per swept hyperparameter. The page needs no
network: the map is a PNG drawn by optviz's renderer, the script is :file:`explorer.js` (one
module, no build step), both inline with the data.

>>> import optviz
>>> page = optviz.explore("ravine", "momentum", lr="0.1..0.5", num=3, steps=20, size="640x360")
>>> len(page), [axis["name"] for axis in page.data["sweep"]]
(3, ['lr'])

The data (JSON in ``<script type="application/json" id="optviz-data">``; also the export format,
:meth:`Explorer.json`):

- ``format``: ``"optviz-explorer"``; ``version``: 1.
- ``title``, ``fn`` (spec), ``dim`` (1 or 2).
- ``theme``: ``name``, ``background``, ``foreground``, ``muted`` (CSS colours);
  ``style``: ``font``, ``line``, ``dot``, ``head`` and ``panel_width``, in CSS pixels.
- ``image``: ``src`` (a ``data:image/png;base64`` URL), ``width``, ``height``: the map, title and
  legend as optviz draws them, without the paths.
- ``main``: ``box`` ``[left, top, right, bottom]`` of the main axes in the image's pixels (from
  its top left), ``xlim``, ``ylim`` (``xlim[0]`` is at ``left``, ``ylim[0]`` at ``bottom``),
  ``xlog``, ``ylog``: a point ``(x, y)`` is at ``left + (t(x) - t(xlim[0])) / (t(xlim[1]) -
  t(xlim[0])) * (right - left)``, ``t`` the identity or log10. For a 1-D function the map's ``y``
  is the loss.
- ``legend``: per series, ``[left, top, right, bottom]`` of its legend entry in the image (all 0
  when the legend has no room for it); ``counter``: ``x`` (right edge), ``y`` (baseline) and
  ``size`` (font px) of the step number, or ``null``.
- ``panels``: the side panels in order, any of ``loss``, ``grad_norm``, ``lr``; ``panel_labels``.
- ``sweep``: the grid's axes, ``[{"name": "lr", "values": [...], "scale": "log"}, ...]``; ``[]``
  for a page of runs. Grid point ``g`` is row-major over the axes, the last axis fastest.
- ``series``: the legend entries, ``[{"label", "color", "marker", "opt"}]``.
- ``total``: the planned steps; ``steps``: the recorded steps (all of them, or every k-th and the
  last when there are more than 200).
- ``runs``: run ``r = series * G + g`` (``G`` the grid's size), sample ``j`` (its step is
  ``steps[j]``, the last sample's ``end[r]``):

  - ``count``: samples per run; ``end``: each run's last step; ``diverged``: the step where it
    overflowed, or ``null``; ``base_lr``; ``final_loss`` (``null`` if not finite).
  - ``points`` (``sum(count) × dim``), ``loss``, ``grad_norm``: little-endian float32 in base64,
    runs one after another; values past float32's range are clipped to its largest.
  - ``lr``: the lr update ``steps[j]`` uses (NaN at a run's end), in the same layout, or ``null``
    when every run keeps its ``base_lr``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["Explorer", "explore"]

if TYPE_CHECKING:  # pragma: no cover
    from optviz.explorer.sweep import Explorer, explore


def __getattr__(name: str) -> Any:
    if name in __all__:
        from optviz.explorer import sweep

        return getattr(sweep, name)
    raise AttributeError(f"module 'optviz.explorer' has no attribute {name!r}")
