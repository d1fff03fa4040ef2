"""``--help`` in the run's language: every help text of the command tree has a Chinese
translation; ``--lang zh`` anywhere on the command line (before or after the
sub-command, before or after ``--help``) or ``$CRITMIN_LANG=zh`` prints the help in
Chinese; English is unchanged, and a Chinese run leaves nothing Chinese behind for the
next run in the same process."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

from critmin import i18n
from critmin.cli.help_text import help_texts
from critmin.cli.language import requested_language
from critmin.cli.main import app

runner = CliRunner()
HAN = re.compile(r"[\u4e00-\u9fff]")
CODES_ONLY = {
    "CSV: country,quantity.",
    "CSV: exporter,quantity.",
    "CSV: item,origin,destination,date[,via,end_use,technology].",
}
"""Help texts that are a file layout only: translated (punctuation) but with no Han."""


def tree():
    return typer.main.get_command(app)


def flat(text: str) -> str:
    """``text`` with its line breaks and runs of spaces as single spaces (help is wrapped)."""
    return " ".join(text.split())


def invoke(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, list(args), catch_exceptions=False, env=env)


def test_every_help_text_has_a_chinese_translation():
    texts = {text for _obj, _field, text in help_texts(tree())}
    assert len(texts) > 250  # the whole tree: every group, command and option
    with i18n.use_language("zh"):
        translated = {text: i18n._(text) for text in texts}
    untranslated = sorted(t for t, zh in translated.items() if zh == t)
    assert not untranslated, f"{len(untranslated)} help texts lack a translation: {untranslated}"
    no_han = sorted(t for t, zh in translated.items() if not HAN.search(zh) and t not in CODES_ONLY)
    assert not no_han, f"translated without Chinese: {no_han}"
    # option names, placeholders and codes are kept as they are
    for text, zh in translated.items():
        for code in re.findall(r"--[a-z][a-z-]+|\$[A-Z_]+|\{\w+\}|%\(\w+\)s|`[^`]+`", text):
            assert code in zh, f"{code!r} lost in the translation of {text!r}: {zh!r}"


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["--help", "--lang", "zh"], {}, "zh"),
        (["projects", "list", "--help", "--lang=zh-Hans"], {}, "zh"),
        (["--lang", "zh", "--lang", "en"], {}, "en"),  # the last one wins, as in Click
        (["scrap", "match", "--help"], {"CRITMIN_LANG": "zh_CN"}, "zh"),
        (["projects", "list", "--lang", "en"], {"CRITMIN_LANG": "zh"}, "en"),
        (["run", "--", "--lang", "zh"], {}, "en"),  # after "--" it is an argument
        (["--lang", "xx"], {}, "en"),  # refused by the option, with its own message
        (["--help"], {}, "en"),
    ],
)
def test_the_language_is_read_before_click_parses(args, env, expected):
    assert requested_language(args, env) == expected


def test_root_help_in_chinese():
    result = invoke("--help", "--lang", "zh")
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("用法：critmin [OPTIONS] COMMAND [ARGS]...")
    assert "critmin：关键矿产供应链情报与决策。" in out
    assert "显示版本并退出。" in out and "显示此帮助信息并退出。" in out
    assert "选项:" in out and "命令:" in out and "[环境变量：CRITMIN_LANG]" in out
    # each sub-command's line is a Chinese summary (Click would cut Chinese to "...")
    assert re.search(r"^  projects\s+项目追踪：列出和查看项目。$", out, re.M)
    assert re.search(r"^  scrap\s+废料与回收交易", out, re.M)
    assert "Show this message" not in out and "Usage:" not in out and "Options:" not in out
    assert "critical-minerals supply-chain" not in out and " ...\n" not in out


@pytest.mark.parametrize(
    "args",
    [
        ["projects", "list", "--help", "--lang", "zh"],
        ["--lang", "zh", "projects", "list", "--help"],
        ["projects", "--lang", "zh", "list", "--help"],
        ["projects", "list", "--lang=zh", "--help"],
    ],
    ids=["after", "before", "between", "equals"],
)
def test_a_command_help_in_chinese_wherever_lang_is_given(args):
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("用法：critmin projects list [OPTIONS]")
    assert "列出项目（按矿产、再按名称排序），可加筛选条件。" in out
    for text in ("项目环节。", "项目状态。", "输出格式。", "[默认：table]",
                 "显示此帮助信息并退出。", "矿产代码或名称，例如 gallium。"):  # fmt: skip
        assert text in out, text
    # option names, choices and codes stay as they are
    assert "--with-curation-notes" in out and "<table|json|csv>" in out
    assert "``*_label``" in out and "sqlite:///path" in out
    assert "Project stage." not in out and "Output format." not in out


def test_a_command_help_in_chinese_from_the_environment():
    result = invoke("scrap", "match", "--help", env={"CRITMIN_LANG": "zh"})
    assert result.exit_code == 0, result.output
    out = flat(result.output)
    assert out.startswith("用法：critmin scrap match [OPTIONS]")
    assert "报盘与求购的撮合排名，各附数量、是否符合出口管制、得分和理由。" in out
    assert "运输成本，美元/吨公里（假设值）。" in out and "[必填]" in out
    assert "Transport cost" not in out and "required" not in out


def test_chinese_help_is_wrapped_to_the_terminal_width():
    """A Chinese character takes two columns: lines are wrapped by the columns they
    take, not by their number of characters."""
    from unicodedata import east_asian_width

    out = invoke("outlook", "--help", "--lang", "zh").output
    assert "若没有任何项目能增加产能" in out
    widths = [sum(2 if east_asian_width(c) in "WF" else 1 for c in line)
              for line in out.splitlines() if HAN.search(line)]  # fmt: skip
    assert widths and max(widths) <= 80, max(widths)
    assert max(widths) >= 70  # lines are filled, breaking between Chinese characters
    assert not re.search(r"^\s*[，。、；：）]", out, re.M)  # never before a closing mark
    assert "例如 gallium" in out  # the text's own spaces are kept


def test_a_chinese_help_leaves_nothing_behind():
    english = invoke("projects", "list", "--help").output
    root_english = invoke("--help").output
    zh = invoke("projects", "list", "--help", "--lang", "zh").output
    assert "项目环节。" in zh
    assert i18n.current() == "en"
    assert invoke("projects", "list", "--help").output == english
    assert invoke("--help").output == root_english
    assert "Show this message and exit." in english and "Usage:" in english


def test_the_same_command_tree_is_english_again_after_a_chinese_run(capsys):
    root = tree()
    before = [(id(obj), field, text) for obj, field, text in help_texts(root)]
    projects_list = root.commands["projects"].commands["list"]
    for args in (["projects", "list", "--help", "--lang", "zh"], ["--help", "--lang", "zh"]):
        assert root.main(args=args, prog_name="critmin", standalone_mode=False) == 0
    assert "项目环节" in capsys.readouterr().out
    assert [(id(obj), field, text) for obj, field, text in help_texts(root)] == before
    assert projects_list.short_help is None and "get_help_option" not in vars(projects_list)
    root.main(args=["projects", "list", "--help"], prog_name="critmin", standalone_mode=False)
    out = capsys.readouterr().out
    assert "Usage: critmin projects list" in out and "Show this message and exit." in out
    assert "Project stage." in out and not HAN.search(out.replace("简体中文", ""))


def test_english_help_is_unchanged_byte_for_byte(capsys):
    """English help is what Typer's own group makes of the English texts on the command
    objects (the root group without the language machinery), byte for byte."""
    root = tree()
    args = ["projects", "list", "--help"]
    typer.core.TyperGroup.main(root, args=args, prog_name="critmin", standalone_mode=False)
    plain = capsys.readouterr().out
    root.main(args=args, prog_name="critmin", standalone_mode=False)
    assert capsys.readouterr().out == plain
    command = root.commands["projects"].commands["list"]
    assert flat(command.help) in flat(plain)
    for param in command.params:
        if param.help:
            assert flat(param.help) in flat(plain), param.help
    assert plain.startswith("Usage: critmin projects list [OPTIONS]")


def test_a_real_process_prints_chinese_help_and_english_help_loads_nothing_more(tmp_path):
    env = {**os.environ, "CRITMIN_DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}"}
    env.pop("CRITMIN_LANG", None)
    exe = [sys.executable, "-m", "critmin"]
    zh = subprocess.run([*exe, "stockpile", "plan", "--help", "--lang", "zh"],
                        capture_output=True, text=True, env=env, timeout=60)  # fmt: skip
    assert zh.returncode == 0, zh.stderr
    assert "目标库存，吨。" in zh.stdout and "用法：critmin stockpile plan" in zh.stdout
    probe = ("import sys\nfrom typer.testing import CliRunner\nfrom critmin.cli.main import app\n"
             "r = CliRunner().invoke(app, ['stockpile', 'plan', '--help'])\n"
             "print(r.exit_code, 'Target inventory, t.' in r.output,\n"
             "      'babel' in sys.modules, 'critmin.cli.help_text' in sys.modules)")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         env=env, timeout=60)  # fmt: skip
    assert out.stdout.split() == ["0", "True", "False", "False"], out.stdout + out.stderr
