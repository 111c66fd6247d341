"""optviz stability, basins and lr-scan on the command line: pictures, summaries, one-line errors
with exit 2 before any work, and files that appear only when complete."""

from __future__ import annotations

import pytest
from PIL import Image

from optviz.cli import main


def cli(capsys, monkeypatch, *argv: str) -> tuple[int, str]:
    monkeypatch.setenv("COLUMNS", "200")
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.mark.parametrize(
    "argv",
    [
        ["stability", "--fn", "ravine", "--mark", "sgd(momentum=0.5),lr=0.6", "--out", "s.png"],
        "stability --opt gd --fn ravine(angle=30) --mark gd,lr=0.4 --out s.png".split(),
        "stability --opt nesterov --resolution 40 --out s.png --preset talk".split(),
        "stability --fn himmelblau --empirical --lr 0..0.03 --steps 20 --resolution 8 --out s.png".split(),
        "basins --opt gd --opt momentum --lr 0.01 --grid 20 --steps 50 --path=0,0 --out s.png --theme dark".split(),
        "lr-scan --opt gd --opt adam --num 10 --steps 50 --out s.png".split(),
        "lr-scan --opt gd --to 1e-3 --num 10 --steps 50 --out s.png --preset talk".split(),
    ],
    ids=["stability", "gd", "nesterov-talk", "empirical", "basins", "lr-scan", "lr-scan-to"],
)
def test_views_draw_a_slide(capsys, monkeypatch, tmp_path, argv):
    monkeypatch.chdir(tmp_path)
    code, output = cli(capsys, monkeypatch, *argv)
    assert code == 0, output
    assert "wrote s.png" in output
    with Image.open(tmp_path / "s.png") as image:
        assert image.size == (1280, 720)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.png"]


def test_without_out_the_numbers_only(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    code, output = cli(capsys, monkeypatch, "stability", "--mark", "sgd(momentum=0.5),lr=0.6")
    assert code == 0
    assert "fastest momentum: lr 0.6679, momentum 0.4026, rate 0.6345" in output
    assert "sgd(momentum=0.5), lr=0.6: oscillating, rate 0.7071" in output
    code, output = cli(capsys, monkeypatch, "lr-scan", "--opt", "gd", "--num", "20", "--steps", "100")
    assert code == 0 and "gd: best lr" in output and "stable up to" in output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["stability", "--fn", "himmelblau"], "himmelblau is not a quadratic"),
        (["stability", "--fn", "saddle"], "saddle is a quadratic but not convex"),
        (["stability", "--fn", "bowl", "--angle", "30"], "--angle rotates the ravine"),
        (["stability", "--opt", "adam"], "unknown update rule (--opt) 'adam'"),
        (["stability", "--mark", "adam,lr=0.1"], "the map is for SGD"),
        (["stability", "--lr", "1..0.5"], "--lr 1..0.5: LO must be below HI"),
        (["stability", "--momentum", "0..1.5"], "momentum must stay below 1"),
        (["stability", "--resolution", "0"], "--resolution 0 must be a whole number"),
        (["basins", "--grid", "0"], "--grid 0 must be a whole number from 2 to 1000"),
        (["basins", "--fn", "xcos"], "basins need a 2-D function"),
        (["basins", "--tol", "-1"], "--tol -1.0 must be a distance > 0"),
        (["basins", "--grid", "1000", "--steps", "1000"], "would record"),
        (["basins", "--opt", "gd", "--opt", "adam", "--lr", "1", "--lr", "2", "--lr", "3", "--lr", "4"], "at most 6"),
        (["basins", "--opt", "adamm"], "unknown optimizer 'adamm'"),
        (["lr-scan", "--lr", "1..0.1"], "--lr 1..0.1: LO must be below HI, e.g. --lr 1e-4..1"),
        (["lr-scan", "--lr", "0..1"], "both ends must be > 0"),
        (["lr-scan", "--num", "1"], "--num 1 must be a whole number from 2 to 1000"),
        (["lr-scan", "--to", "0"], "--to 0.0 must be a number > 0"),
        (["lr-scan", "--opt", "adam(lr=0.1)"], "names its own lr"),
        (["lr-scan", "--start=1,2,3"], "3 coordinates"),
        (["lr-scan", "--steps", "0"], "steps=0 must be a whole number"),
        (["lr-scan", "--out", "scan.gif"], "unknown suffix '.gif'; use one of .png, .svg, .pdf"),
        (["lr-scan", "--size", "10x10"], "--size 10x10"),
    ],
)
def test_bad_input_is_one_line_and_exit_2_before_any_work(capsys, monkeypatch, tmp_path, argv, message):
    monkeypatch.chdir(tmp_path)
    code, output = cli(capsys, monkeypatch, *argv, *(["--out", "x.png"] if "--out" not in argv else []))
    assert code == 2, output
    assert output.startswith("error: ") and output.count("\n") == 1, output
    assert message in output, output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("view", ["stability", "basins", "lr-scan"])
def test_files_are_written_atomically(capsys, monkeypatch, tmp_path, view):
    """A render that fails half-way leaves the old file as it was and no partial file."""
    from matplotlib.figure import Figure

    monkeypatch.chdir(tmp_path)
    (tmp_path / "old.png").write_bytes(b"old")
    real = Figure.savefig

    def half_then_fail(self, fname, *args, **kwargs):
        real(self, fname, *args, **kwargs)  # the temporary file is complete ...
        raise KeyboardInterrupt  # ... and then Ctrl-C

    monkeypatch.setattr(Figure, "savefig", half_then_fail)
    small = {"stability": ["--resolution", "20"], "basins": ["--grid", "5", "--steps", "5"], "lr-scan": ["--num", "5"]}
    code, output = cli(capsys, monkeypatch, view, *small[view], "--out", "old.png")
    assert code == 130, output
    assert (tmp_path / "old.png").read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.png"]
    monkeypatch.setattr(Figure, "savefig", real)
    code, output = cli(capsys, monkeypatch, view, *small[view], "--out", "old.png")
    assert code == 0 and (tmp_path / "old.png").read_bytes()[:4] == b"\x89PNG"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.png"]
