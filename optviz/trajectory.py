"""Trajectories: the path of one run, its losses and settings; saved as CSV, JSON or NPZ.

File formats (all three load back with :func:`load`):

- **CSV**: a first line ``# optviz trajectory {json}`` with the settings and divergence, then the
  header ``step,x1[,x2],loss,grad_norm,lr`` and one row per point. ``lr`` is the learning rate of
  the update that leaves that point (empty on the last row).
- **JSON**: ``{"format": "optviz-trajectory", "version": 1, "settings": {...}, "diverged": bool,
  "diverged_at": int|null, "points": [[x1, x2], ...], "loss": [...], "grad_norm": [...],
  "lr": [...]}``.
- **NPZ**: arrays ``points`` (K+1, D), ``loss`` (K+1,), ``grad_norm`` (K+1,), ``lr`` (K,),
  ``diverged_at`` (-1 if none) and ``settings`` (a JSON string).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from optviz.errors import OptvizError, OutputError

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

    @property
    def diverged(self) -> bool:
        return self.diverged_at is not None

    @property
    def steps(self) -> int:
        """Updates taken before stopping (``len(points) - 1``)."""
        return len(self.points) - 1

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
    """

    points: Array
    loss: Array
    grad_norm: Array
    diverged_at: Array
    series: tuple[dict[str, Any], ...]
    series_index: Array
    base_lr: Array
    multipliers: Array

    def settings(self, i: int) -> dict[str, Any]:
        """The settings of run ``i`` (its series' settings and its start point)."""
        return {**self.series[self.series_index[i]], "start": self.points[i, 0].tolist()}

    @property
    def lr(self) -> Array:
        """(N, K) learning rate used by update k of each run (computed on demand)."""
        return self.base_lr[:, None] * self.multipliers

    def __len__(self) -> int:
        return len(self.points)

    def __getitem__(self, i: int) -> Trajectory:
        at = int(self.diverged_at[i])
        keep = slice(None) if at < 0 else slice(0, at)
        lr_keep = slice(None) if at < 0 else slice(0, max(at - 1, 0))
        return Trajectory(
            self.points[i, keep],
            self.loss[i, keep],
            self.grad_norm[i, keep],
            self.base_lr[i] * self.multipliers[lr_keep],
            None if at < 0 else at,
            self.settings(i),
        )

    def __iter__(self) -> Iterator[Trajectory]:
        return (self[i] for i in range(len(self)))

    @property
    def diverged(self) -> Array:
        return self.diverged_at >= 0

    @property
    def final(self) -> Array:
        """(N, D) last finite point of each run."""
        last = np.where(self.diverged_at < 0, self.points.shape[1] - 1, np.maximum(self.diverged_at - 1, 0))
        return self.points[np.arange(len(self)), last]


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
    for k in range(len(traj.points)):
        lr = repr(float(traj.lr[k])) if k < len(traj.lr) else ""
        writer.writerow(
            [
                k,
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
    }
    return json.dumps(doc, indent=1)


def save(traj: Trajectory, path: str | os.PathLike) -> Path:
    """Write ``traj`` to ``path`` (``.csv``, ``.json`` or ``.npz``), atomically."""
    from optviz.output import atomic_path, check_output

    path = check_output(path, EXPORT_SUFFIXES, "export")
    with atomic_path(path) as tmp:
        if path.suffix == ".npz":
            with open(tmp, "wb") as fh:
                np.savez(
                    fh,
                    points=traj.points,
                    loss=traj.loss,
                    grad_norm=traj.grad_norm,
                    lr=traj.lr,
                    diverged_at=np.int64(-1 if traj.diverged_at is None else traj.diverged_at),
                    settings=np.array(json.dumps(_jsonable(traj.settings))),
                )
        else:
            text = _csv_text(traj) if path.suffix == ".csv" else _json_text(traj)
            tmp.write_text(text)
    return path


def load(path: str | os.PathLike) -> Trajectory:
    """Read a trajectory written by :func:`save`."""
    path = Path(path)
    try:
        if path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as data:
                at = int(data["diverged_at"])
                return Trajectory(
                    data["points"],
                    data["loss"],
                    data["grad_norm"],
                    data["lr"],
                    None if at < 0 else at,
                    json.loads(str(data["settings"])),
                )
        text = path.read_text()
        if path.suffix == ".json":
            doc = json.loads(text)

            def arr(key: str) -> Array:
                return np.array(doc[key], dtype=float)

            return Trajectory(
                arr("points"), arr("loss"), arr("grad_norm"), arr("lr"), doc["diverged_at"], doc["settings"]
            )
        if path.suffix == ".csv":
            first, _, body = text.partition("\n")
            meta = json.loads(first.removeprefix("# optviz trajectory "))
            rows = list(csv.reader(io.StringIO(body)))
            header, rows = rows[0], rows[1:]
            dim = len(header) - 4
            table = np.array([[float(v) if v else np.nan for v in row] for row in rows], dtype=float)
            return Trajectory(
                table[:, 1 : 1 + dim],
                table[:, 1 + dim],
                table[:, 2 + dim],
                table[:-1, 3 + dim],
                meta["diverged_at"],
                meta["settings"],
            )
    except (OSError, KeyError, ValueError, IndexError) as exc:
        raise OptvizError(
            f"cannot load trajectory {str(path)!r}: {exc}; give a file written by optviz --export"
        ) from None
    raise OutputError(f"cannot load {str(path)!r}: unknown suffix; use one of {', '.join(EXPORT_SUFFIXES)}")
