"""The words optviz writes itself, per language: every built-in word has an entry in each shipped
language, every key the code asks for exists, English fills a gap, and ``--lang zh`` changes the
words of a picture and the terminal but not its numbers."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest
from typer.testing import CliRunner

import optviz
from optviz import i18n
from optviz.errors import UnknownNameError
from optviz.functions import get
from optviz.i18n import en, zh
from optviz.render.fonts import draw_family
from optviz.render.reproducible import rc_context
from optviz.render.scene import build_scene
from optviz.settings import DrawSettings

ROOT = Path(optviz.__file__).parent
#: the modules that write words on pictures and in the terminal
SITES = [
    *sorted((ROOT / "render").glob("*.py")),
    ROOT / "cli" / "run.py",
]
SHIPPED = [lang for lang in i18n.LANGS if lang != "en"]


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("lang", SHIPPED)
def test_every_built_in_word_has_an_entry(lang):
    words = i18n._catalogue(lang)
    missing = sorted(set(en.WORDS) - set(words))
    assert not missing, f"{lang} lacks {missing}"
    assert not sorted(set(words) - set(en.WORDS)), "keys that are not built-in words"
    for key, text in words.items():
        assert text.strip(), key
        assert _fields(text) == _fields(en.WORDS[key]), f"{lang}[{key!r}] fills other fields than English"


def test_chinese_uses_the_standard_terms():
    assert zh.WORDS["learning rate"] == "学习率"
    assert zh.WORDS["momentum"] == "动量"
    assert zh.WORDS["saddle point"] == "鞍点"
    assert zh.WORDS["loss"] == "损失"
    assert zh.WORDS["global minimum"] == "全局最小值"
    assert zh.WORDS["local minimum"] == "局部最小值"
    assert zh.WORDS["start"] == "起点"
    assert zh.WORDS["step"] == "步"


def _calls(path: Path):
    """``(key or f-string prefix, is_prefix, line)`` of each ``tr(...)``/``word(...)`` call."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("tr", "word") and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                yield arg.value, False, node.lineno
            elif isinstance(arg, ast.JoinedStr):
                head = arg.values[0]
                prefix = head.value if isinstance(head, ast.Constant) else ""
                yield prefix, True, node.lineno
            elif isinstance(arg, ast.IfExp):
                for branch in (arg.body, arg.orelse):
                    if isinstance(branch, ast.Constant):
                        yield branch.value, False, node.lineno


@pytest.mark.parametrize("path", SITES, ids=lambda p: p.name)
def test_every_key_the_code_asks_for_exists(path):
    for key, is_prefix, line in _calls(path):
        if is_prefix:
            assert key and any(k.startswith(key) for k in en.WORDS), f"{path.name}:{line}: no key starts {key!r}"
        else:
            assert key in en.WORDS or path.name in ("arrows.py", "panels.py", "legend.py"), (
                f"{path.name}:{line}: {key!r} is not in optviz/i18n/en.py"
            )


def test_the_keys_built_from_names_exist():
    from optviz.render.stability import RULE_NAMES
    from optviz.views.stability import REGIMES

    for rule, name in RULE_NAMES.items():
        assert en.WORDS[f"rule:{rule}"] == name
    for regime in REGIMES:
        assert f"regime:{regime}" in en.WORDS
    for column in ("optimizer", "lr", "final point", "loss", "to min", "steps", "diverged"):
        assert f"col:{column}" in en.WORDS


@pytest.mark.parametrize("path", SITES, ids=lambda p: p.name)
def test_axis_labels_and_titles_are_not_english_literals(path):
    """A label, title or text placed with an English literal would stay English under --lang zh."""
    english = {text for text in en.WORDS.values() if re.search(r"[a-z]{3}", text)}
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) in (
            "set_xlabel",
            "set_ylabel",
            "set_title",
            "text",
            "annotate",
        ):
            for arg in node.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    assert arg.value not in english, f"{path.name}:{node.lineno}: {arg.value!r}"


def test_english_is_the_fallback(monkeypatch):
    partial = {k: v for k, v in zh.WORDS.items() if k != "start"}
    real = i18n._catalogue
    monkeypatch.setattr(i18n, "_catalogue", lambda lang: partial if lang == "zh" else real(lang))
    assert i18n.tr("start", "zh") == "start"
    assert i18n.tr("loss", "zh") == "损失"
    assert i18n.words("zh")["start"] == "start"


@pytest.mark.parametrize(
    ("given", "code"), [(None, "en"), ("en", "en"), ("zh", "zh"), ("ZH", "zh"), ("zh-CN", "zh"), ("zh_Hans", "zh")]
)
def test_language_codes(given, code):
    assert i18n.check_lang(given) == code


def test_an_unknown_language_is_a_one_line_error():
    with pytest.raises(UnknownNameError, match="language 'fr'"):
        DrawSettings(lang="fr")


def test_tr_fills_fields_and_word_leaves_formulas():
    assert i18n.tr("diverged at step {k}", "zh", k=87) == "第 87 步发散"
    assert i18n.word(r"$\|\nabla f\|$", "zh") == r"$\|\nabla f\|$"
    assert i18n.word("loss", "zh") == "损失"


def _scene_texts(lang: str, panels: str = "loss,grad_norm,lr") -> dict[str, list[str]]:
    trajs = [optviz.run("ravine", opt, lr=0.4, steps=12) for opt in ("gd", "momentum")]
    draw = DrawSettings(lang=lang, size="640x360", panels=panels)
    with rc_context(draw.theme.rc(draw.font_pt), draw_family(draw)):
        scene = build_scene(trajs, get("ravine"), draw, animated=False)
        scene.update(scene.steps)
        scene.canvas.draw()
        axes = [scene.main, *scene.panels.values()]
        legend = scene.fig.legends[0] if scene.fig.legends else scene.main.get_legend()
        return {
            "names": [t for ax in axes for t in (ax.get_xlabel(), ax.get_ylabel())],
            "ticks": [t.get_text() for ax in axes for t in (*ax.get_xticklabels(), *ax.get_yticklabels())],
            "legend": [t.get_text() for t in legend.get_texts()],
        }


def test_lang_zh_changes_the_axis_names_and_not_the_numbers():
    english, chinese = _scene_texts("en"), _scene_texts("zh")
    assert chinese["ticks"] == english["ticks"] and any(english["ticks"])
    assert "step" in english["names"] and "loss" in english["names"]
    assert "步" in chinese["names"] and "损失" in chinese["names"] and "学习率" in chinese["names"]
    assert "step" not in chinese["names"]
    assert "起点" in chinese["legend"] and "start" in english["legend"]
    number = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")
    assert [number.findall(t) for t in chinese["legend"]] == [number.findall(t) for t in english["legend"]]
    assert any("最终损失" in t for t in chinese["legend"])


def test_cli_run_lang_zh_translates_the_table_not_the_numbers():
    from optviz.cli import app

    args = ["run", "--fn", "ravine", "--opt", "gd", "--lr", "0.4", "--lr", "0.6", "--steps", "30"]
    english = CliRunner().invoke(app, args)
    chinese = CliRunner().invoke(app, [*args, "--lang", "zh"])
    assert english.exit_code == chinese.exit_code == 0
    assert "优化器" in chinese.stdout and "学习率" in chinese.stdout and "optimizer" not in chinese.stdout
    number = re.compile(r"-?\d+\.\d+(?:e[-+]?\d+)?")
    assert number.findall(chinese.stdout) == number.findall(english.stdout)


@pytest.mark.parametrize(
    "config",
    [
        "fn: ravine\nopt: gd\nlr: 0.4\nsteps: 5\nout: a.png\n",
        "view: stability\nfn: ravine\nopt: momentum\nout: s.png\n",
    ],
)
def test_a_config_gives_its_lesson_in_chinese(tmp_path, config):
    from optviz import sweep

    text = "# GD on the ravine\n" + config + "lesson_zh: 峡谷上的梯度下降\ndescription_zh: 学习率 0.4\n"
    plan = sweep.loads(text, base_dir=tmp_path)
    assert plan.texts("zh") == {"lesson": "峡谷上的梯度下降", "description": "学习率 0.4", "title": None}
    assert plan.texts("en") == {"lesson": "GD on the ravine", "description": None, "title": None}
    bare = sweep.loads("# GD on the ravine\n" + config, base_dir=tmp_path)
    assert bare.texts("zh") == bare.texts("en")  # English where no Chinese is given
    with pytest.raises(optviz.errors.ConfigError, match="lesson_zh"):
        sweep.loads(config + "lesson_zh: [1]\n", base_dir=tmp_path)


def test_the_data_panels_words_are_built_in_words():
    from optviz.render import data_panel

    assert data_panel.INPUT_SCALED_LABEL in en.WORDS and data_panel.KEY_PICTURE in en.WORDS
