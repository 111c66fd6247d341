"""Trajectories: the path of one run, its losses and settings; saved as CSV, JSON or NPZ.

File formats (all three load back with :func:`load`):

- **CSV**: a first line ``# optviz trajectory {json}`` with the settings and divergence, then the
  header ``step,x1[,x2],loss,grad_norm,lr`` and one row per point. ``lr`` is the learning rate of
  the update that leaves that point (empty on the last row). ``step`` is the point's step (with
  ``record_every``, the recorded steps 0, K, 2K, ... and the last).
- **JSON**: ``{"format": "optviz-trajectory", "version": 1, "settings": {...}, "diverged": bool,
  "diverged_at": int|null, "points": [[x1, x2], ...], "loss": [...], "grad_norm": [...],
  "lr": [...]}``, and ``"step": [...]`` when recorded with ``record_every``.
- **NPZ**: arrays ``points`` (K+1, D), ``loss`` (K+1,), ``grad_norm`` (K+1,), ``lr`` (K,),
  ``diverged_at`` (-1 if none) and ``settings`` (a JSON string); ``step`` (R,) with ``record_every``.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from optviz.errors import LoadError, OptvizError, OutputError

__all__ = ["EXPORT_SUFFIXES", "Trajectory", "TrajectoryBatch", "load", "save"]

Array = np.ndarray
EXPORT_SUFFIXES = (".csv", ".json", ".npz")


@dataclass(frozen=True, eq=False)
class Trajectory:
    """One run: ``points[0]`` is the start, update k takes ``points[k]`` to ``points[k+1]``.

    Attributes:
        points: (K+1, D) float64 path, finite rows only.
        loss: (K+1,) ``f(points[k])``.
        grad_norm: (K+1,) norm of the exact gradient at ``points[k]``.
        lr: (K,) learning rate used by update k (schedule applied).
        diverged: whether the run left the finite numbers.
        diverged_at: first step whose point or loss is not finite, else ``None``.
        settings: what produced it: ``fn``, ``opt``, ``lr``, ``steps``, ``start``, hyperparameters, ...
    """

    points: Array
    loss: Array
    grad_norm: Array
    lr: Array
    diverged_at: int | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    #: recorded with ``record_state``: (K, D) arrays by name, row k for update k (see TrajectoryBatch)
    state: dict[str, Array] | None = None
    #: (K,) int: function evaluations of update k, for optimizers that count them (lbfgs), else None
    evaluations: Array | None = None
    #: recorded with ``record_every``: (R,) int, the step of each row (0, K, 2K, ..., the last);
    #: ``lr`` then holds the lr of the update leaving each row, ``evaluations`` the evaluations
    #: between rows. ``None``: row k is step k.
    step_numbers: Array | None = None

    def __post_init__(self) -> None:
        problem = _shape_problem(self.points, self.loss, self.grad_norm, self.lr, self.diverged_at, self.settings)
        if problem is None and self.step_numbers is not None:
            at = self.step_numbers
            if not isinstance(at, np.ndarray) or at.shape != (len(self.points),) or (np.diff(at) <= 0).any():
                problem = f"step_numbers must be {len(self.points)} increasing steps, one per point"
        if problem:
            raise OptvizError(f"not a trajectory: {problem}")

    @property
    def step(self) -> Array:
        """(R,) the step of each recorded point: ``0..K``, or the strided steps."""
        return np.arange(len(self.points)) if self.step_numbers is None else self.step_numbers

    @property
    def diverged(self) -> bool:
        return self.diverged_at is not None

    @property
    def steps(self) -> int:
        """Updates taken before stopping (``len(points) - 1``, or the last recorded step)."""
        return len(self.points) - 1 if self.step_numbers is None else int(self.step_numbers[-1])

    @property
    def final(self) -> Array:
        return self.points[-1]

    @property
    def final_loss(self) -> float:
        return float(self.loss[-1])

    @property
    def label(self) -> str:
        """Legend text: the optimizer spec and its lr (``adam, lr=0.16``)."""
        if "label" in self.settings:  # made by RunSettings.label from the parsed spec
            return str(self.settings["label"])
        return f"{self.settings.get('opt', '?')}, lr={self.settings.get('lr', float('nan')):g}"

    def __repr__(self) -> str:
        status = f"diverged at step {self.diverged_at}" if self.diverged else f"final loss {self.final_loss:.6g}"
        return (
            f"Trajectory({self.settings.get('fn', '?')}, {self.label}, {self.steps} steps, "
            f"final {np.array2string(self.final, precision=6)}, {status})"
        )

    def save(self, path: str | os.PathLike) -> Path:
        return save(self, path)

    def _repr_html_(self) -> str:
        """Jupyter: a picture of the run and a summary row (:mod:`optviz.notebook`)."""
        return _notebook().trajectory_html(self)


@dataclass(frozen=True, eq=False)
class TrajectoryBatch:
    """N runs advanced together; ``batch[i]`` is a :class:`Trajectory`.

    Attributes:
        points: (N, K+1, D); rows from a run's ``diverged_at`` on are NaN.
        loss, grad_norm: (N, K+1).
        diverged_at: (N,) int, -1 where the run stayed finite.
        series: the settings of each optimizer × lr combination (all but the start point).
        series_index: (N,) which series each run belongs to.
        base_lr: (N,) each run's learning rate before the schedule.
        multipliers: (K,) the schedule's multiplier of update k.
        state: with ``record_state``: (N, K, D) arrays by name, ``grad``, ``update`` and where the
            optimizer has them ``momentum`` and ``effective_lr`` (:class:`optviz.engine.StateRecord`).
        run_lr: (N, K) the lr of each update where it is not ``base_lr · multipliers`` (schedules
            with absolute lrs, ``plateau``'s lr driven by each run's loss), else ``None``.
    """

    points: Array
    loss: Array
    grad_norm: Array
    diverged_at: Array
    series: tuple[dict[str, Any], ...]
    series_index: Array
    base_lr: Array
    multipliers: Array
    state: dict[str, Array] | None = None
    run_lr: Array | None = None
    #: (N, K) int: function evaluations of update k (lbfgs counts its own; other runs of the batch
    #: 1, their one gradient), or ``None`` when no run is closure-driven
    evaluations: Array | None = None
    #: with ``record_every``: (R,) the recorded steps (rows follow them, ``diverged_at`` is a step,
    #: ``lr`` and ``evaluations`` have R-1 columns), else ``None``
    steps_at: Array | None = None

    def settings(self, i: int) -> dict[str, Any]:
        """The settings of run ``i`` (its series' settings and its start point)."""
        return {**self.series[self.series_index[i]], "start": self.points[i, 0].tolist()}

    @property
    def lr(self) -> Array:
        """(N, K) learning rate used by update k of each run (computed on demand)."""
        return self.base_lr[:, None] * self._multipliers if self.run_lr is None else self.run_lr

    @property
    def _multipliers(self) -> Array:
        """The schedule's multiplier of the update leaving each recorded row."""
        return self.multipliers if self.steps_at is None else self.multipliers[self.steps_at[:-1]]

    def _row(self, step: int) -> int:
        """The row of a step that is recorded (``diverged_at``)."""
        return step if self.steps_at is None else int(np.searchsorted(self.steps_at, step))

    def __len__(self) -> int:
        return len(self.points)

    def __getitem__(self, i: int) -> Trajectory:
        at = int(self.diverged_at[i])
        row = at if at < 0 else self._row(at)
        keep = slice(None) if at < 0 else slice(0, row)
        lr_keep = slice(None) if at < 0 else slice(0, max(row - 1, 0))
        return Trajectory(
            self.points[i, keep],
            self.loss[i, keep],
            self.grad_norm[i, keep],
            self.base_lr[i] * self._multipliers[lr_keep] if self.run_lr is None else self.run_lr[i, lr_keep],
            None if at < 0 else at,
            self.settings(i),
            None if self.state is None else {name: values[i, lr_keep] for name, values in self.state.items()},
            None if self.evaluations is None else self.evaluations[i, lr_keep],
            None if self.steps_at is None else self.steps_at[keep],
        )

    def __iter__(self) -> Iterator[Trajectory]:
        return (self[i] for i in range(len(self)))

    def _repr_html_(self) -> str:
        """Jupyter: a picture of the first runs and a summary table (:mod:`optviz.notebook`)."""
        return _notebook().batch_html(self)

    @property
    def diverged(self) -> Array:
        return self.diverged_at >= 0

    @property
    def final(self) -> Array:
        """(N, D) last finite point of each run."""
        rows = self.diverged_at if self.steps_at is None else np.searchsorted(self.steps_at, self.diverged_at)
        last = np.where(self.diverged_at < 0, self.points.shape[1] - 1, np.maximum(rows - 1, 0))
        return self.points[np.arange(len(self)), last]


def _notebook() -> Any:
    """:mod:`optviz.notebook`, found by name when a notebook asks for a picture: the renderer draws
    trajectories, so this module stays below it in the import graph (no import of it here)."""
    import importlib

    return importlib.import_module("optviz.notebook")


def _shape_problem(points: Any, loss: Any, grad_norm: Any, lr: Any, diverged_at: Any, settings: Any) -> str | None:
    """What is wrong with these as a trajectory's fields, or ``None``: points (K+1, D) with
    K+1 >= 1 and D in 1..2, loss and grad_norm (K+1,), lr (K,), diverged_at an int >= 1 or None,
    settings a mapping."""
    arrays = {"points": points, "loss": loss, "grad_norm": grad_norm, "lr": lr}
    for name, value in arrays.items():
        if not isinstance(value, np.ndarray) or value.dtype.kind != "f":
            return f"{name} must be a float array, got {type(value).__name__}"
    if points.ndim != 2 or not 1 <= points.shape[1] <= 2 or len(points) < 1:
        return f"points must be (K+1, D) with at least the start and D = 1 or 2, got shape {points.shape}"
    n = len(points)
    for name, value, length in (("loss", loss, n), ("grad_norm", grad_norm, n), ("lr", lr, n - 1)):
        if value.shape != (length,):
            return f"{name} must have shape ({length},) for {n} points, got {value.shape}"
    if diverged_at is not None and (
        isinstance(diverged_at, bool) or not isinstance(diverged_at, (int, np.integer)) or diverged_at < 1
    ):
        return f"diverged_at must be a step >= 1 or null, got {diverged_at!r}"
    if not isinstance(settings, dict):
        return f"settings must be a mapping, got {type(settings).__name__}"
    return None


# ------------------------------------------------------------------------------------------ export


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _meta(traj: Trajectory) -> dict[str, Any]:
    return {"settings": _jsonable(traj.settings), "diverged": traj.diverged, "diverged_at": traj.diverged_at}


def _csv_text(traj: Trajectory) -> str:
    out = io.StringIO()
    out.write("# optviz trajectory " + json.dumps(_meta(traj)) + "\n")
    writer = csv.writer(out, lineterminator="\n")
    dim = traj.points.shape[1]
    writer.writerow(["step", *(f"x{i + 1}" for i in range(dim)), "loss", "grad_norm", "lr"])
    steps = traj.step.tolist()
    for k in range(len(traj.points)):
        lr = repr(float(traj.lr[k])) if k < len(traj.lr) else ""
        writer.writerow(
            [
                steps[k],
                *(repr(float(v)) for v in traj.points[k]),
                repr(float(traj.loss[k])),
                repr(float(traj.grad_norm[k])),
                lr,
            ]
        )
    return out.getvalue()


def _json_text(traj: Trajectory) -> str:
    doc = {
        "format": "optviz-trajectory",
        "version": 1,
        **_meta(traj),
        "points": _jsonable(traj.points),
        "loss": _jsonable(traj.loss),
        "grad_norm": _jsonable(traj.grad_norm),
        "lr": _jsonable(traj.lr),
        **({} if traj.step_numbers is None else {"step": traj.step_numbers.tolist()}),
    }
    return json.dumps(doc, indent=1)


def save(traj: Trajectory, path: str | os.PathLike) -> Path:
    """Write ``traj`` to ``path`` (``.csv``, ``.json`` or ``.npz``), atomically."""
    from optviz.output import atomic_path, check_output

    path = check_output(path, EXPORT_SUFFIXES, "export")
    suffix = path.suffix.lower()
    with atomic_path(path) as tmp:
        if suffix == ".npz":
            with open(tmp, "wb") as fh:
                np.savez(
                    fh,
                    points=traj.points,
                    loss=traj.loss,
                    grad_norm=traj.grad_norm,
                    lr=traj.lr,
                    diverged_at=np.int64(-1 if traj.diverged_at is None else traj.diverged_at),
                    settings=np.array(json.dumps(_jsonable(traj.settings))),
                    **({} if traj.step_numbers is None else {"step": traj.step_numbers}),
                )
        else:
            text = _csv_text(traj) if suffix == ".csv" else _json_text(traj)
            tmp.write_text(text)
    return path


def load(path: str | os.PathLike) -> Trajectory:
    """Read a trajectory written by :func:`save`, checking its schema.

    Raises:
        LoadError: the file cannot be read, is corrupt, or is not an optviz trajectory.
        OutputError: the suffix is not one of ``.csv``, ``.json``, ``.npz``.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in EXPORT_SUFFIXES:
        raise OutputError(f"cannot load {str(path)!r}: unknown suffix; use one of {', '.join(EXPORT_SUFFIXES)}")
    if path.exists() and not path.is_file():  # a FIFO or a device would be read without end
        raise LoadError(
            f"cannot load trajectory {str(path)!r}: not a regular file; give a file written by optviz --export"
        )
    try:
        fields = _read_npz(path) if suffix == ".npz" else _read_text(path.read_text(encoding="utf-8"), suffix)
        return Trajectory(*fields)
    except LoadError as exc:
        raise LoadError(
            f"cannot load trajectory {str(path)!r}: {exc}; give a file written by optviz --export"
        ) from None
    except (
        OSError,
        UnicodeDecodeError,
        ValueError,
        TypeError,
        KeyError,
        IndexError,
        EOFError,
        zipfile.BadZipFile,
    ) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
        message = f"cannot load trajectory {str(path)!r}: {reason}; give a file written by optviz --export"
        raise LoadError(" ".join(message.split())) from None


def _read_npz(path: Path) -> tuple[Any, ...]:
    with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as data:  # closed even when corrupt
        missing = {"points", "loss", "grad_norm", "lr", "diverged_at", "settings"} - set(data.files)
        if missing:
            raise LoadError(f"no {', '.join(sorted(missing))} in the archive")
        at = int(data["diverged_at"])
        arrays = [np.asarray(data[key], dtype=float) for key in ("points", "loss", "grad_norm", "lr")]
        step = np.asarray(data["step"], dtype=np.int64) if "step" in data.files else None
        return (*arrays, None if at < 0 else at, _settings(json.loads(str(data["settings"]))), None, None, step)


def _read_text(text: str, suffix: str) -> tuple[Any, ...]:
    if suffix == ".json":
        doc = json.loads(text)
        if not isinstance(doc, dict) or doc.get("format") != "optviz-trajectory":
            raise LoadError('not an optviz trajectory (no "format": "optviz-trajectory")')
        arrays = [np.array(doc[key], dtype=float) for key in ("points", "loss", "grad_norm", "lr")]
        step = np.array(doc["step"], dtype=np.int64) if "step" in doc else None
        return (*arrays, doc["diverged_at"], _settings(doc["settings"]), None, None, step)
    first, _, body = text.partition("\n")
    if not first.startswith("# optviz trajectory "):
        raise LoadError("its first line is not '# optviz trajectory {...}'")
    meta = json.loads(first.removeprefix("# optviz trajectory "))
    rows = list(csv.reader(io.StringIO(body)))
    if not rows:
        raise LoadError("no header line")
    header, rows = rows[0], rows[1:]
    dim = len(header) - 4
    expected = ["step", *(f"x{i + 1}" for i in range(dim)), "loss", "grad_norm", "lr"]
    if header != expected or dim not in (1, 2):
        raise LoadError(f"the header is {','.join(header)!r}, not step,x1[,x2],loss,grad_norm,lr")
    if not rows or any(len(row) != len(header) for row in rows):
        raise LoadError(f"every row needs {len(header)} values")
    table = np.array([[float(v) if v else np.nan for v in row] for row in rows], dtype=float)
    if not isinstance(meta, dict):
        raise LoadError("its first line holds no settings")
    step = table[:, 0].astype(np.int64)
    strided = not np.array_equal(step, np.arange(len(step)))
    return (
        table[:, 1 : 1 + dim],
        table[:, 1 + dim],
        table[:, 2 + dim],
        table[:-1, 3 + dim],
        meta.get("diverged_at"),
        _settings(meta.get("settings")),
        None,
        None,
        step if strided else None,
    )


def _settings(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise LoadError(f"settings must be a mapping, got {type(value).__name__}")
    return value
