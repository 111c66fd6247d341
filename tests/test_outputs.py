"""Output files under hostile conditions: long names, a full disk, the umask, folders of failed runs."""

from __future__ import annotations

import os
import resource
import subprocess
import sys

import pytest

import optviz
from optviz.cli import main
from optviz.errors import OutputError
from optviz.output import NAME_MAX, atomic_path, check_output

RUN = ["run", "--fn", "ravine", "--opt", "gd", "--lr", "0.4", "--steps", "5", "--size", "320x180"]


def _partials(folder):
    return [p.name for p in folder.rglob("*") if ".partial" in p.name]


@pytest.mark.parametrize("length", [NAME_MAX - 4, NAME_MAX - 10])
def test_a_name_the_file_system_takes_is_written(tmp_path, length):
    """The temporary name is short, so any name within the limit works (it used to be longer)."""
    out = tmp_path / ("a" * length + ".png")
    assert main([*RUN, "--out", str(out)]) == 0
    assert out.exists() and not _partials(tmp_path)


@pytest.mark.parametrize(
    "args",
    [
        ["--out", "a" * 300 + ".png"],
        ["--export", "a" * 300 + ".csv"],
        ["--opt", "adam", "--export", "a" * 240 + ".csv"],  # several runs: STEM-I-LABEL.csv each
    ],
    ids=["out", "export", "export-several"],
)
def test_long_names_fail_before_any_work(tmp_path, monkeypatch, capsys, args):
    monkeypatch.chdir(tmp_path)
    calls = []
    monkeypatch.setattr(optviz.api, "run_batch", lambda *a, **k: calls.append(a))
    assert main([*RUN, *args]) == 2
    assert "255" in capsys.readouterr().err
    assert calls == [] and list(tmp_path.iterdir()) == []


def test_a_full_disk_is_an_output_error_without_a_partial_file(tmp_path):
    """A file-size limit (RLIMIT_FSIZE) stands in for a full disk: the write fails with EFBIG."""
    out = tmp_path / "big.png"
    code = (
        "import resource, sys; from optviz.cli import main;"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000));"
        f"sys.exit(main({[*RUN[:-1], '1280x720', '--out', str(out)]!r}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "cannot write" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists() and not _partials(tmp_path)


def test_an_existing_file_survives_a_failed_write(tmp_path):
    out = tmp_path / "keep.csv"
    out.write_text("old")
    with pytest.raises(OutputError), atomic_path(out) as tmp:
        tmp.write_text("new")
        raise OSError(28, "No space left on device")
    assert out.read_text() == "old" and not _partials(tmp_path)


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_files_follow_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        path = optviz.run("bowl", steps=2).save(tmp_path / "t.json")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_failed_run_leaves_no_new_folder(tmp_path, monkeypatch):
    target = tmp_path / "new" / "deeper" / "x.gif"
    check_output(target, (".gif",))  # checking creates nothing
    assert not (tmp_path / "new").exists()

    def fail(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("optviz.render.animate.build_scene", fail)
    with pytest.raises(KeyboardInterrupt):
        optviz.render.render(optviz.run("ravine", steps=2), "ravine", target, size="160x90")
    assert not (tmp_path / "new").exists()


def test_a_file_where_a_folder_should_be(tmp_path):
    (tmp_path / "f").write_text("")
    with pytest.raises(OutputError, match="is a file"):
        check_output(tmp_path / "f" / "x.png", (".png",))


def test_python_ignores_sigxfsz():
    """The full-disk test relies on it: the write returns EFBIG instead of killing the process."""
    import signal

    assert signal.getsignal(signal.SIGXFSZ) == signal.SIG_IGN
    assert resource.RLIMIT_FSIZE is not None
