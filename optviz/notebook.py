"""Drawing for notebooks and scripts: :func:`plot` returns a Figure, :func:`animate` an Animation.

Both draw with the renderer the CLI uses (:func:`optviz.render.scene.build_scene`, the same
:class:`~optviz.settings.DrawSettings`), through matplotlib's object-oriented API only: nothing
touches ``matplotlib.pyplot`` or its list of open figures, so a figure is the caller's to keep,
edit or drop. In Jupyter, a figure, an animation, a :class:`~optviz.Trajectory` and a
:class:`~optviz.TrajectoryBatch` show themselves when they end a cell.

>>> import optviz
>>> traj = optviz.run("ravine", "adam", lr=0.3, steps=30)
>>> fig = optviz.plot(traj, size="640x360")
>>> fig.axes[0].get_xlabel()
'$x_1$'
"""

from __future__ import annotations

import base64
import dataclasses
import html
import io
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from optviz.errors import OutputError
from optviz.functions import TestFunction
from optviz.functions import get as get_function
from optviz.settings import DrawSettings
from optviz.trajectory import Trajectory, TrajectoryBatch

__all__ = ["Animation", "Picture", "animate", "batch_html", "explore", "plot", "trajectory_html"]

#: a batch's picture in a notebook shows at most this many runs (its table says how many more)
REPR_RUNS = 12
#: the size of the pictures a Trajectory or TrajectoryBatch shows in a notebook
REPR_SIZE = "800x450"


class Picture(Figure):
    """The Figure :func:`plot` returns: a plain matplotlib Figure that also shows itself as a PNG
    in Jupyter (``_repr_png_``), drawn with the same pinned settings as ``optviz run --out``."""

    def _repr_png_(self) -> bytes:
        return _png(self)


def _png(fig: Figure) -> bytes:
    from optviz.render.reproducible import rc_context, savefig_options

    look = getattr(fig, "_optviz_look", {})
    buffer = io.BytesIO()
    with rc_context(look):
        fig.savefig(buffer, format="png", dpi=fig.dpi, facecolor=fig.get_facecolor(), **savefig_options("png"))
    return buffer.getvalue()


def _runs(runs: Any) -> list[Trajectory]:
    if isinstance(runs, Trajectory):
        return [runs]
    if isinstance(runs, (TrajectoryBatch, Iterable)) and not isinstance(runs, (str, bytes)):
        trajs = list(runs)
        if trajs and all(isinstance(t, Trajectory) for t in trajs):
            return trajs
    raise OutputError(
        f"cannot draw {type(runs).__name__}; give a Trajectory, a TrajectoryBatch or a list of "
        "Trajectory objects (from optviz.run or optviz.run_batch)"
    )


def _function(trajs: list[Trajectory], fn: str | TestFunction | None) -> TestFunction:
    if fn is None:
        specs = {t.settings.get("fn") for t in trajs}
        if len(specs) != 1 or None in specs:
            raise OutputError("these runs do not name one function in their settings; pass fn=, e.g. fn='ravine'")
        fn = specs.pop()
    return get_function(fn)


def _settings(fn: TestFunction, trajs: list[Trajectory], options: dict[str, Any]) -> DrawSettings:
    """The checked settings, as :func:`optviz.render.render` checks them (without a file)."""
    from optviz.render import check_target
    from optviz.render.state_panels import check_state

    base = options.pop("settings", None)
    # check_target wants a file name: one in the temporary folder, which is writable; none is made
    _, settings = check_target(Path(tempfile.gettempdir()) / "optviz.png", fn, base, **options)
    from optviz.render import _check_runs

    _check_runs(trajs, fn)
    check_state(trajs, settings.panels)
    if settings.labels is not None and len(settings.labels) != len(trajs):
        raise OutputError(f"{len(settings.labels)} labels for {len(trajs)} runs: give one label per run")
    return settings


def plot(runs: Any, fn: str | TestFunction | None = None, **options: Any) -> Figure:
    """Draw runs as ``optviz run --out x.png`` would, and return the matplotlib Figure.

    Args:
        runs: a :class:`~optviz.Trajectory`, a :class:`~optviz.TrajectoryBatch` or a list of them.
        fn: the function (default: the one the runs name in their settings).
        **options: any :class:`~optviz.settings.DrawSettings` field, as for
            :func:`optviz.render.render`: ``size``, ``theme``, ``preset``, ``panels``, ``view``,
            ``title``, ``labels``, ``xlim``, ``ylim``, ``show``, ...; or ``settings=`` a DrawSettings.

    Returns:
        A :class:`matplotlib.figure.Figure` (on an Agg canvas, unknown to pyplot): a notebook shows
        it inline; ``fig.savefig(...)``, ``fig.axes[0].annotate(...)`` work as on any figure.

    Raises:
        OptvizError: as :func:`optviz.render.render` (bad settings, runs of another dimension).
    """
    from optviz.render.reproducible import rc_context
    from optviz.render.scene import build_scene

    trajs = _runs(runs)
    function = _function(trajs, fn)
    settings = _settings(function, trajs, dict(options))
    look = settings.theme.rc(settings.font_pt)
    with rc_context(look):
        scene = build_scene(trajs, function, settings, animated=False)
    fig = scene.fig
    fig.__class__ = Picture  # the same object, which now also knows how to show itself
    fig._optviz_look = look
    fig.set_facecolor(settings.theme.background)
    return fig


@dataclasses.dataclass(eq=False)
class Animation:
    """Runs growing step by step, as ``optviz run --out x.gif``; made by :func:`animate`.

    ``save("paths.gif")`` or ``save("paths.mp4")`` writes a file; in Jupyter it shows itself as an
    animated GIF (``_repr_html_``, the GIF embedded in base64), or as its last frame where HTML is
    not shown (``_repr_png_``).
    """

    runs: list[Trajectory]
    fn: TestFunction
    settings: DrawSettings
    _gif: bytes | None = dataclasses.field(default=None, repr=False)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the animation to ``path`` (``.gif``, or ``.mp4`` with the ``optviz[mp4]`` extra)."""
        from optviz.render import ANIMATED_SUFFIXES, render

        if Path(path).suffix.lower() not in ANIMATED_SUFFIXES:
            raise OutputError(f"an animation is saved as {' or '.join(ANIMATED_SUFFIXES)}, not {str(path)!r}")
        return render(self.runs, self.fn, path, self.settings)

    def gif(self) -> bytes:
        """The GIF file's bytes (made once)."""
        if self._gif is None:
            with tempfile.TemporaryDirectory(prefix="optviz-") as folder:
                self._gif = self.save(Path(folder) / "animation.gif").read_bytes()
        return self._gif

    def _repr_html_(self) -> str:
        data = base64.b64encode(self.gif()).decode("ascii")
        alt = html.escape(f"{self.fn.spec}: {len(self.runs)} run(s)")
        return f'<img src="data:image/gif;base64,{data}" alt="{alt}" width="{self.settings.width}"/>'

    def _repr_png_(self) -> bytes:
        """The last frame, as a PNG."""
        from PIL import Image

        from optviz.render.player import Player
        from optviz.render.reproducible import rc_context
        from optviz.render.scene import build_scene

        with rc_context(self.settings.theme.rc(self.settings.font_pt)):
            player = Player(build_scene(self.runs, self.fn, self.settings, animated=True))
            frame = player.frame(player.scene.steps).copy()
        buffer = io.BytesIO()
        Image.fromarray(frame).convert("RGB").save(buffer, format="png")
        return buffer.getvalue()


def animate(runs: Any, fn: str | TestFunction | None = None, **options: Any) -> Animation:
    """The runs as an :class:`Animation` (nothing is drawn until it is shown or saved).

    Arguments are :func:`plot`'s; ``frames``, ``fps`` and ``hold`` set the animation's pace.
    """
    trajs = _runs(runs)
    function = _function(trajs, fn)
    return Animation(trajs, function, _settings(function, trajs, dict(options)))


def explore(fn: str | TestFunction = "ravine", opt: Any = "momentum", **options: Any) -> Any:
    """Run a grid of hyperparameters in one batch; the page shows itself in a notebook (an iframe
    whose ``srcdoc`` is the page) and ``.save("page.html")`` writes it.

    Arguments are :func:`optviz.explorer.explore`'s: ranges such as ``lr="0.01..1"``,
    ``momentum="0..0.95"``, ``num=(40, 20)``, and drawing settings.
    """
    from optviz.explorer import explore as make

    return make(fn, opt, **options)


# ----------------------------------------------------------------------- Trajectory._repr_html_


def _picture_html(trajs: list[Trajectory], note: str = "") -> str:
    try:
        fig = plot(trajs, size=REPR_SIZE)
    except Exception as exc:  # a summary without a picture beats no summary (e.g. an unknown fn)
        return f"<p><i>no picture: {html.escape(str(exc))}</i></p>"
    data = base64.b64encode(_png(fig)).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="optimizer paths"/>' + note


def _row(traj: Trajectory) -> list[str]:
    final = ", ".join(f"{v:.6g}" for v in traj.final)
    status = f"at step {traj.diverged_at}" if traj.diverged else "—"
    return [traj.label, str(traj.steps), f"({final})", f"{traj.final_loss:.6g}", status]


def _table(rows: list[list[str]], more: int = 0) -> str:
    head = "".join(f"<th>{h}</th>" for h in ("run", "steps", "final point", "final loss", "diverged"))
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    tail = f'<tr><td colspan="5">... and {more} more</td></tr>' if more else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}{tail}</tbody></table>"


def trajectory_html(traj: Trajectory) -> str:
    """A picture of one run and a one-row summary (Jupyter's rich display of a Trajectory)."""
    title = html.escape(str(traj.settings.get("fn", "?")))
    return f"<div><b>Trajectory</b> on <code>{title}</code>{_table([_row(traj)])}{_picture_html([traj])}</div>"


def batch_html(batch: TrajectoryBatch) -> str:
    """A picture of a batch's first runs and a summary of up to :data:`REPR_RUNS` rows."""
    shown = [batch[i] for i in range(min(len(batch), REPR_RUNS))]
    more = len(batch) - len(shown)
    title = html.escape(str(shown[0].settings.get("fn", "?"))) if shown else "?"
    note = f"<p>the picture shows the first {len(shown)} of {len(batch)} runs</p>" if more else ""
    table = _table([_row(t) for t in shown], more)
    picture = _picture_html(shown, note) if shown else ""
    return f"<div><b>TrajectoryBatch</b> of {len(batch)} runs on <code>{title}</code>{table}{picture}</div>"
