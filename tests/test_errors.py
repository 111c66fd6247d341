"""Every bad input gets a clear answer: the expected error class (API) or exit code 2 (CLI), a
one-line message with the words that name the problem and the fix, and no traceback."""

from __future__ import annotations

import pytest

import optviz
from optviz import errors
from optviz.cli import main

# (call, error class, words in the message): the library API
API_CASES = [
    (lambda: optviz.run("ravin"), errors.UnknownNameError, "did you mean 'ravine'"),
    (lambda: optviz.run("ravine", "adamm"), errors.UnknownNameError, "did you mean 'adam'"),
    (lambda: optviz.run("ravine", schedule="cosin"), errors.UnknownNameError, "did you mean 'cosine'"),
    (lambda: optviz.run("ravine", "adam", momentum=0.9), errors.UnknownNameError, "valid: amsgrad, betas"),
    (lambda: optviz.run("ravine(angel=3)"), errors.UnknownNameError, "valid: a, angle, b"),
    (lambda: optviz.run("ravine", "adam(lr=0.1"), errors.SpecError, "column 12"),
    (lambda: optviz.run("ravine", "adam(lr 0.1)"), errors.SpecError, "expected '=' after 'lr'"),
    (lambda: optviz.run("ravine", "adam(lr=abc)"), errors.HyperparameterError, "learning rate"),
    (lambda: optviz.run("ravine", "adam(eps=abc)"), errors.HyperparameterError, "eps='abc' must be a number"),
    (lambda: optviz.run("ravine", "adam(lr=0.1, lr=0.2)"), errors.SpecError, "given twice"),
    (lambda: optviz.run("ravine", "adam", lr=0), errors.HyperparameterError, "finite number > 0"),
    (lambda: optviz.run("ravine", "adam", lr=float("inf")), errors.HyperparameterError, "finite number > 0"),
    (lambda: optviz.run("ravine", "adam", betas=(0.9, 1.0)), errors.HyperparameterError, r"beta2 .* \[0, 1\)"),
    (lambda: optviz.run("ravine", "adam", eps=-1e-8), errors.HyperparameterError, "invalid eps"),
    (lambda: optviz.run("ravine", "sgd", momentum=-1), errors.HyperparameterError, "invalid momentum"),
    (lambda: optviz.run("ravine", "sgd", weight_decay=-1), errors.HyperparameterError, "invalid weight_decay"),
    (lambda: optviz.run("ravine", "sgd(nesterov=true)"), errors.HyperparameterError, "requires a momentum"),
    (lambda: optviz.run("ravine", "nesterov", dampening=0.5), errors.HyperparameterError, "zero dampening"),
    (lambda: optviz.run("ravine", steps=0), errors.HyperparameterError, "from 1 to"),
    (lambda: optviz.run("ravine", steps=optviz.MAX_STEPS + 1), errors.HyperparameterError, "from 1 to"),
    (lambda: optviz.run("ravine", steps=2.5), errors.HyperparameterError, "whole number"),
    (lambda: optviz.run("ravine", start=(1, 2, 3)), errors.SpecError, "3 coordinates but the function is 2-D"),
    (lambda: optviz.run("square", start=(1, 2)), errors.SpecError, "1-D"),
    (lambda: optviz.run("ravine", start="a,b"), errors.SpecError, "numbers separated by commas"),
    (lambda: optviz.run("ravine", start=(1e300, 0)), errors.SpecError, "implausibly far"),
    (lambda: optviz.run("ravine", start=(float("nan"), 0)), errors.SpecError, "finite"),
    (lambda: optviz.run("ravine", clip_norm=0), errors.HyperparameterError, "clip_norm"),
    (lambda: optviz.run("ravine", clip_value=-1), errors.HyperparameterError, "clip_value"),
    (lambda: optviz.run("ravine", noise=-1), errors.HyperparameterError, "standard deviation"),
    (lambda: optviz.run("ravine", batch_size=3), errors.HyperparameterError, "data loss such as thermometer"),
    (lambda: optviz.run("thermometer", batch_size=12), errors.HyperparameterError, "from 1 to 11"),
    (lambda: optviz.run("ravine", seed=-1), errors.HyperparameterError, "seed"),
    (lambda: optviz.run("ravine", schedule="step(gamma=0.5)"), errors.SpecError, "needs step_size"),
    (lambda: optviz.run("ravine", schedule="cosine+warmup(steps=2)"), errors.SpecError, "only warmup"),
    (lambda: optviz.run_batch("ravine", []), errors.SpecError, "nothing to run"),
    (lambda: optviz.run_batch("ravine", "adam", **{"sgd.momentum": 0.5}), errors.SpecError, "not being run"),
    (lambda: optviz.run("ravine").save("/tmp/optviz-x.xlsx"), errors.OutputError, "unknown suffix"),
    (lambda: optviz.load("/nonexistent/t.json"), errors.OptvizError, "cannot load"),
]


@pytest.mark.parametrize(("call", "error", "words"), API_CASES, ids=[f"api{i}" for i in range(len(API_CASES))])
def test_api_bad_input(call, error, words):
    with pytest.raises(error, match=words) as info:
        call()
    assert isinstance(info.value, ValueError)  # the family is a ValueError
    assert "\n" not in str(info.value)


# (argv, words): the CLI answers with one line on stderr and exit code 2
CLI_CASES = [
    (["run", "--fn", "ravin"], "unknown function 'ravin'"),
    (["run", "--opt", "adamm"], "did you mean"),
    (["run", "--opt", "adam(lr="], "expected a value at column 9"),
    (["run", "--schedule", "cosin"], "unknown schedule"),
    (["run", "-p", "momentum"], "NAME=VALUE"),
    (["run", "-p", "lr=1", "-p", "lr=2"], "given twice"),
    (["run", "--opt", "adam", "-p", "momentum=0.9"], "hyperparameter of adam"),
    (["run", "--opt", "adam", "-p", "sgd.momentum=0.9"], "not being run"),
    (["run", "--start=1,2,3"], "3 coordinates"),
    (["run", "--start=x"], "numbers separated by commas"),
    (["run", "--lr", "-1"], "learning rate"),
    (["run", "--lr", "nan"], "learning rate"),
    (["run", "--steps", "0"], "steps=0"),
    (["run", "--steps", "abc"], "Invalid value for '--steps'"),
    (["run", "--bogus"], "No such option: --bogus"),
    (["lisst"], "No such command 'lisst'"),
    (["list", "fns"], "is not one of"),
    (["run", "--export", "out/x.xlsx"], "unknown suffix '.xlsx'"),
    (["run", "--export", "/proc/optviz/x.csv"], "cannot create folder"),
    (["run", "--batch-size", "3"], "data loss"),
    (["run", "--clip-norm", "0"], "clip_norm"),
    (["run", "--opt", "adam(betas=(0.9, 1.5))"], "beta2"),
]


@pytest.mark.parametrize(("argv", "words"), CLI_CASES, ids=[" ".join(a) for a, _ in CLI_CASES])
def test_cli_bad_input(capsys, argv, words):
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 2
    assert words in err
    assert err.strip().startswith("error:") and err.strip().count("\n") == 0, err
    assert "Traceback" not in out + err


def test_debug_shows_the_traceback():
    with pytest.raises(errors.UnknownNameError):
        main(["--debug", "run", "--fn", "ravin"])


def test_diverging_run_is_a_result_not_an_error(capsys):
    at = optviz.run("ravine", "gd", lr=10, steps=1000).diverged_at
    code = main(["run", "--fn", "ravine", "--opt", "gd", "--lr", "10", "--steps", "1000"])
    out, err = capsys.readouterr()
    assert code == 0
    assert f"step {at}" in out  # the table's "diverged at" column
    assert "warning:" in err and f"diverged at step {at}" in err


def test_interrupt_exits_130_and_says_so(monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(optviz.api, "run_batch", interrupted)
    assert main(["run"]) == 130
    assert "interrupted" in capsys.readouterr().err


def _interrupt_after(monkeypatch, frames: int) -> list[int]:
    """Make the GIF writer raise KeyboardInterrupt once ``frames`` frames are written (Ctrl-C mid-GIF)."""
    from optviz.render.animate import GifWriter

    written = [0]
    add = GifWriter.add

    def add_then_interrupt(self, *args, **kwargs):
        if written[0] == frames:
            raise KeyboardInterrupt
        written[0] += 1
        return add(self, *args, **kwargs)

    monkeypatch.setattr(GifWriter, "add", add_then_interrupt)
    return written


def test_interrupt_mid_gif_keeps_the_old_file_and_leaves_no_partial_one(tmp_path, monkeypatch):
    from optviz.render import render

    target = tmp_path / "lesson.gif"
    target.write_bytes(b"the previous, complete GIF")
    written = _interrupt_after(monkeypatch, 5)
    runs = [optviz.run("ravine", "gd", lr=0.4, steps=30)]
    with pytest.raises(KeyboardInterrupt):
        render(runs, "ravine", target, size="160x90", frames=30)
    assert written[0] == 5  # it was interrupted in the middle, not before starting
    assert target.read_bytes() == b"the previous, complete GIF"
    assert [p.name for p in tmp_path.iterdir()] == ["lesson.gif"]


def test_cli_interrupt_mid_gif_exits_130_without_a_file(tmp_path, monkeypatch, capsys):
    _interrupt_after(monkeypatch, 3)
    target = tmp_path / "out" / "a.gif"
    code = main(["run", "--opt", "adam", "--lr", "0.1", "--steps", "20", "--out", str(target), "--size", "160x90"])
    assert code == 130
    assert "interrupted" in capsys.readouterr().err
    assert not target.parent.exists()  # no partial file, and not the folder made for it


def test_ctrl_c_during_a_sweep_keeps_finished_files_and_exits_130(tmp_path, monkeypatch, capsys):
    import optviz.render

    real = optviz.render.render

    def interrupt_second(trajectories, fn, out, **kwargs):
        if "lr0.2" in str(out):
            raise KeyboardInterrupt
        return real(trajectories, fn, out, **kwargs)

    monkeypatch.setattr(optviz.render, "render", interrupt_second)
    config = tmp_path / "c.yaml"
    config.write_text("steps: 3\nsweep: {lr: [0.1, 0.2, 0.3]}\nrender: {size: 160x90}\nout: 'r-lr{lr}.png'\n")
    code = main(["sweep", str(config), "--out-dir", str(tmp_path)])
    assert code == 130
    assert "interrupted" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.yaml", "r-lr0.1.png"]


def test_unknown_name_error_survives_pickling():
    """Sweep workers run in other processes; their errors must cross back intact."""
    import pickle

    error = errors.UnknownNameError("optimizer", "adamm", ["adam", "sgd"])
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is errors.UnknownNameError and str(copy) == str(error)
