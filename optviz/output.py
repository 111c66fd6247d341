"""Output files appear only when complete: written to a temporary name, then renamed."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from optviz.errors import OutputError

__all__ = ["atomic_path", "check_output"]


def check_output(path: str | os.PathLike, suffixes: Iterable[str], what: str = "output") -> Path:
    """Check that ``path`` has a known suffix and that its folder exists (creating it) and is writable."""
    path = Path(path)
    suffixes = tuple(suffixes)
    if path.suffix.lower() not in suffixes:
        raise OutputError(
            f"{what} {str(path)!r} has an unknown suffix {path.suffix or '(none)'!r}; use one of {', '.join(suffixes)}"
        )
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"cannot create folder {str(folder)!r} for {str(path)!r}: {exc.strerror}; choose another path"
        ) from None
    if not os.access(folder, os.W_OK):
        raise OutputError(f"folder {str(folder)!r} is not writable; choose another path for {path.name!r}")
    if path.is_dir():
        raise OutputError(f"{str(path)!r} is a folder; give a file name such as {str(path / ('out' + suffixes[0]))!r}")
    return path


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` (same suffix); rename it onto ``path`` only if the
    block finishes, and remove it on any error or interruption (KeyboardInterrupt included)."""
    fd, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".partial{path.suffix}", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
