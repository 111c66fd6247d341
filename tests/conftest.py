"""Shared test helpers: torch as the oracle, and the rule that under CI it may not go missing."""

from __future__ import annotations

import os

import numpy as np
import pytest


def require_torch():
    """``torch``, for tests that use it as the oracle.

    Outside CI a machine without torch skips those tests. Under CI (``CI=true``) a missing torch
    is an error: a skipped oracle would turn every parity test into a silent pass.
    """
    try:
        import torch
    except ImportError:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("torch is not installed, but CI must run the torch parity tests: pip install torch==2.13.0")
        pytest.skip("torch is not installed (pip install torch==2.13.0 to run the parity tests)")
    return torch


def torch_path(fn, torch_name, kwargs, lr, start, steps, *, clip_norm=None, clip_value=None, scheduler=None):
    """The path torch.optim takes, fed optviz's exact gradients (float64, single-tensor kernels).

    Returns the points ``(steps + 1, D)`` and the lr of each update ``(steps,)``.
    """
    torch = require_torch()
    torch.set_default_dtype(torch.float64)
    param = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    optimizer = getattr(torch.optim, torch_name)([param], lr=lr, foreach=False, **kwargs)
    sched = scheduler(optimizer) if scheduler else None
    points, lrs = [param.detach().numpy().copy()], []
    for _ in range(steps):
        with np.errstate(all="ignore"):  # a diverging path overflows in the gradient
            param.grad = torch.from_numpy(fn.grad(param.detach().numpy().copy()))
        if clip_value is not None:
            torch.nn.utils.clip_grad_value_([param], clip_value)
        if clip_norm is not None:
            torch.nn.utils.clip_grad_norm_([param], clip_norm)
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        if sched:
            sched.step()
        points.append(param.detach().numpy().copy())
    return np.array(points), np.array(lrs)


def full_redraw(scene, k: int, *, restore_background: bool = True) -> np.ndarray:
    """The picture at step ``k`` drawn the slow way (every artist, a full ``canvas.draw``); a copy.

    The moving artists are animated again afterwards; with ``restore_background`` the canvas holds
    the background again too, as the scene found it.
    """
    scene.update(k)
    for artist in scene.animated:
        artist.set_animated(False)
    try:
        scene.canvas.draw()
        return np.asarray(scene.canvas.buffer_rgba()).copy()
    finally:
        for artist in scene.animated:
            artist.set_animated(True)
        if restore_background:
            scene.canvas.draw()
