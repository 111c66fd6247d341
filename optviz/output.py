"""Output files appear only when complete: written to a short temporary name, then renamed.

Names are checked before any work (suffix, length, a writable folder), folders are created only
when a file is written (a failed run leaves no empty folder), a full disk or a file-size limit is
an :class:`~optviz.errors.OutputError` with the partial file removed, and files get the
permissions the umask allows, as any other program's would.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from optviz.errors import OutputError

__all__ = ["atomic_path", "check_output"]

#: the longest file name most file systems take, in bytes (ext4, APFS, NTFS: 255)
NAME_MAX = 255


def check_output(path: str | os.PathLike, suffixes: Iterable[str], what: str = "output") -> Path:
    """Check ``path`` before any work: a known suffix, a name the file system takes, and a folder
    that exists and is writable, or could be created. Creates nothing."""
    path = Path(path)
    suffixes = tuple(suffixes)
    if path.suffix.lower() not in suffixes:
        raise OutputError(
            f"{what} {str(path)!r} has an unknown suffix {path.suffix or '(none)'!r}; use one of {', '.join(suffixes)}"
        )
    size = len(os.fsencode(path.name))
    if size > NAME_MAX:
        raise OutputError(
            f"{what} file name is {size} bytes long; the limit is {NAME_MAX}: choose a shorter name "
            f"({path.name[:24]!r}...)"
        )
    if path.is_dir():
        raise OutputError(f"{str(path)!r} is a folder; give a file name such as {str(path / ('out' + suffixes[0]))!r}")
    existing = path.parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise OutputError(
            f"cannot create folder {str(path.parent)!r}: {str(existing)!r} is a file; choose another path"
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(f"folder {str(existing)!r} is not writable; choose another path for {path.name!r}")
    return path


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` (same suffix, a short name); rename it onto ``path``
    only if the block finishes, and remove it on any error or interruption.

    Raises:
        OutputError: the folder cannot be created, or the disk is full, a quota or a file-size
            limit is reached, or any other error of the operating system while writing.
    """
    created = _make_folders(path.parent)
    tmp = None
    try:
        with _signals_held():  # a signal between creating the file and naming it would leave it
            fd, name = tempfile.mkstemp(prefix=".optviz-", suffix=f".partial{path.suffix}", dir=path.parent)
            tmp = Path(name)
            os.close(fd)
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except OSError as exc:
        _clean(tmp, created)
        reason = exc.strerror or str(exc)
        hint = "free some space" if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG) else "check the folder"
        raise OutputError(f"cannot write {str(path)!r}: {reason}; {hint}, or choose another folder") from None
    except BaseException:
        _clean(tmp, created)
        raise


def _make_folders(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing parents; return the ones created, deepest first."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    try:
        for new in reversed(missing):
            new.mkdir()
    except FileExistsError:
        pass  # made by another process meanwhile (a parallel sweep)
    except OSError as exc:
        raise OutputError(f"cannot create folder {str(missing[0])!r}: {exc.strerror}; choose another path") from None
    return missing


def _clean(tmp: Path | None, created: list[Path]) -> None:
    """Remove the partial file and the folders made for it (if still empty)."""
    if tmp is not None:
        tmp.unlink(missing_ok=True)
    for folder in created:
        with contextlib.suppress(OSError):
            folder.rmdir()


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold back Ctrl-C, SIGTERM and SIGHUP for the block (Unix): their handlers run after it."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _umask() -> int:
    # the only portable way to read the umask is to set it; set it straight back
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
