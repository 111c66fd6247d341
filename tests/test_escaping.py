"""User text is printed as itself: square brackets are not rich markup, control characters are not
sent to the terminal. Every message kind, through ``optviz.cli.main`` in-process.

Each case puts ``USER`` (a closing tag, an opening tag and an ESC) into a name, spec, label or
path; the output must hold it as ``SHOWN`` (the ESC written as ``\\x1b``), with no MarkupError and
no raw ESC.
"""

from __future__ import annotations

import importlib.util
import re

import pytest

from optviz.cli import main

USER = "a[/x][red]\x1bz"
SHOWN = r"a[/x][red]\x1bz"
TINY = "render: {size: 160x90, dpi: 30, frames: 4}\n"
#: the styles rich itself writes, should a test run with FORCE_COLOR; the user's ESC is followed by 'z'
_RICH_STYLE = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(autouse=True)
def _wide(monkeypatch, tmp_path):
    """Long lines and tables stay on one line (a wrap could split the text a test looks for);
    files are written into a fresh folder."""
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(tmp_path)


def cli(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def check(code: int, output: str, expected_code: int, *needles: str) -> None:
    assert code == expected_code, output
    assert "MarkupError" not in output and "Traceback" not in output, output
    for needle in needles:
        assert needle in output, output
    assert "\x1b" not in _RICH_STYLE.sub("", output), output


def no_mp4(monkeypatch):
    """Pretend imageio-ffmpeg (the mp4 extra) is not installed."""
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *args: None if name == "imageio_ffmpeg" else real(name, *args)
    )


def sweep_config(tmp_path, out: str, **keys: str) -> str:
    lines = {"fn": "bowl", "opt": "gd", "lr": "0.1", "steps": "3", **keys, "out": out}
    (tmp_path / "s.yaml").write_text("".join(f"{k}: {v}\n" for k, v in lines.items()) + TINY)
    return "s.yaml"


# ------------------------------------------------------------------ errors: one line, exit 2

RUN = ["run", "--steps", "3"]


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        pytest.param([*RUN, "--opt", USER], "cannot read", id="opt-syntax"),
        pytest.param([*RUN, "--opt", f"adam({USER}=1)"], "cannot read", id="opt-hyper-syntax"),
        pytest.param([*RUN, "--fn", USER], "cannot read", id="fn-syntax"),
        pytest.param([*RUN, "--fn", f"ravine(angle={USER})"], "cannot read", id="fn-param-syntax"),
        pytest.param([*RUN, "--schedule", USER], "cannot read", id="schedule-syntax"),
        pytest.param([*RUN, "--schedule", f"cosine({USER}=1)"], "cannot read", id="schedule-param-syntax"),
        pytest.param([*RUN, "-p", USER], "NAME=VALUE", id="hyper-assignment"),
        pytest.param([*RUN, "-p", f"momentum={USER}"], "cannot read", id="hyper-value"),
        pytest.param([*RUN, "--start", USER], "start point", id="start"),
        pytest.param([*RUN, "--out", f"{USER}.xyz"], "unknown suffix", id="out-suffix"),
        pytest.param([*RUN, "--out", USER], "unknown suffix", id="out-no-suffix"),
        pytest.param([*RUN, "--export", f"{USER}.xlsx"], "unknown suffix", id="export-suffix"),
        pytest.param(["show", USER], "cannot read", id="show-bad-function"),
        pytest.param(["show", "ravine", "--out", f"{USER}.gif"], "preview is a picture", id="show-out-suffix"),
        pytest.param(["show", "ravine", "--theme", USER], "unknown theme", id="show-theme"),
        pytest.param(["sweep", f"{USER}.yaml"], "no such config file", id="sweep-missing-config"),
        pytest.param(["gallery", "--configs", USER], "no folder", id="gallery-missing-configs"),
    ],
)
def test_user_errors_print_the_text_as_given(capsys, argv, words):
    code, output = cli(capsys, *argv)
    check(code, output, 2, "error:", words, SHOWN)


def test_unknown_names_print_the_text_as_given(capsys, tmp_path):
    # a valid name token can hold no brackets, so the lesson name of the gallery stands in for
    # unknown optimizer/function/schedule names: the same UnknownNameError message
    (tmp_path / "configs").mkdir()
    sweep_config(tmp_path / "configs", "b.png")
    code, output = cli(capsys, "gallery", "--configs", "configs", "--out", "g", "--only", USER)
    check(code, output, 2, "unknown lesson", SHOWN)


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        pytest.param([*RUN, "--opt", "adamm"], "unknown optimizer 'adamm'", id="optimizer"),
        pytest.param([*RUN, "--fn", "ravin"], "unknown function 'ravin'", id="function"),
        pytest.param([*RUN, "--schedule", "cosin"], "unknown schedule 'cosin'", id="schedule"),
    ],
)
def test_unknown_names_still_print(capsys, argv, words):
    check(*cli(capsys, *argv), 2, words)


def test_a_sweep_config_error_prints_the_text_as_given(capsys, tmp_path):
    check(*cli(capsys, "sweep", sweep_config(tmp_path, "x.png", opt=f'"{USER}"'.replace("\x1b", "\\e"))), 2, SHOWN)


def test_the_mp4_hint_keeps_its_brackets(capsys, monkeypatch, tmp_path):
    no_mp4(monkeypatch)
    check(*cli(capsys, *RUN, "--out", "a.mp4"), 2, "pip install 'optviz[mp4]'")
    check(*cli(capsys, "sweep", sweep_config(tmp_path, "a.mp4")), 2, "pip install 'optviz[mp4]'")


@pytest.mark.parametrize(
    "argv",
    [pytest.param(["list", USER], id="list-bad-argument"), pytest.param([*RUN, f"--{USER}"], id="unknown-option")],
)
def test_usage_errors_print_the_text_as_given(capsys, argv):
    check(*cli(capsys, *argv), 2, SHOWN)


# ------------------------------------------------------------------ successes: exit 0


def test_run_out_and_export_report_the_paths_as_given(capsys, tmp_path):
    code, output = cli(capsys, *RUN, "--out", f"{USER}.png", "--export", f"{USER}.csv")
    check(code, output, 0, f"wrote {SHOWN}.png", f"wrote {SHOWN}.csv")
    assert (tmp_path / f"{USER}.png").exists() and (tmp_path / f"{USER}.csv").exists()  # in folder 'a['


def test_export_of_many_runs_reports_each_path_as_given(capsys):
    code, output = cli(capsys, *RUN, "--opt", "gd", "--opt", "adam", "--export", f"{USER}.csv")
    check(code, output, 0, f"wrote {SHOWN}-0-gd_lr=0.001.csv", f"wrote {SHOWN}-1-adam_lr=0.001.csv")


def test_a_folder_in_out_is_reported_as_given(capsys, tmp_path):
    code, output = cli(capsys, *RUN, "--out", f"{USER}/q[/y].png")
    check(code, output, 0, f"wrote {SHOWN}/q[/y].png")
    assert (tmp_path / USER / "q[/y].png").exists()


def test_a_diverged_label_with_brackets_and_a_control_character(capsys):
    # a spec keeps the user's spelling, brackets and whitespace such as \r included
    code, output = cli(capsys, "run", "--fn", "bowl", "--opt", "adam(betas=[0.8,\r0.99])", "--lr", "1e300")
    check(code, output, 0, r"warning: adam(betas=[0.8,\r0.99]), lr=1e+300 diverged at step")
    assert "\r" not in output


def test_a_diverged_warning_and_the_table_print_any_label(capsys, monkeypatch):
    from optviz.trajectory import Trajectory

    monkeypatch.setattr(Trajectory, "label", property(lambda self: USER))
    code, output = cli(capsys, "run", "--fn", "bowl", "--opt", "gd", "--lr", "1e300")
    check(code, output, 0, f"warning: {SHOWN} diverged at step")


def test_show_writes_and_reports_a_bracketed_preview(capsys, tmp_path):
    code, output = cli(capsys, "show", "ravine(angle=30)", "--out", f"{USER}.png", "--size", "160x90")
    check(code, output, 0, f"wrote {SHOWN}.png", "ravine(angle=30)", "[-5.5, 5.5]")
    assert (tmp_path / f"{USER}.png").exists()


@pytest.mark.parametrize("what", ["functions", "optimizers", "schedules"])
def test_list_tables(capsys, what):
    check(*cli(capsys, "list", what), 0)


def test_sweep_dry_run_and_report_print_outputs_as_given(capsys, tmp_path):
    out = '"mk/a[/b][red]\\e.png"'  # YAML's \e is ESC
    code, output = cli(capsys, "sweep", sweep_config(tmp_path, out), "--dry-run")
    check(code, output, 0, r"mk/a[/b][red]\x1b.png", "dry run")
    assert not (tmp_path / "mk").exists()
    code, output = cli(capsys, "sweep", "s.yaml")
    check(code, output, 0, r"mk/a[/b][red]\x1b.png", "1 of 1 file")
    assert (tmp_path / "mk" / "a[/b][red]\x1b.png").exists()


def test_sweep_failures_print_outputs_and_errors_as_given(capsys, monkeypatch, tmp_path):
    from optviz import render
    from optviz.errors import OutputError

    def fail(trajs, fn, out, *args, **kwargs):
        raise OutputError(f"cannot write {out}: {USER}")

    monkeypatch.setattr(render, "render", fail)
    code, output = cli(capsys, "sweep", sweep_config(tmp_path, f'"{USER}.png"'.replace("\x1b", "\\e")))
    check(code, output, 1, f"failed: {SHOWN}.png: cannot write {SHOWN}.png: {SHOWN}", "1 of 1 failed")


def test_gallery_reports_its_readme_and_files_as_given(capsys, tmp_path):
    (tmp_path / "configs").mkdir()
    sweep_config(tmp_path / "configs", "'{name}[/b].png'")
    code, output = cli(capsys, "gallery", "--configs", "configs", "--out", USER)
    check(code, output, 0, f"wrote {SHOWN}/README.md", f"{SHOWN}/s[/b].png")
    assert (tmp_path / USER / "s[/b].png").exists()
