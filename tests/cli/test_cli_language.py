"""The command line in English and Simplified Chinese, on a real SQLite database with the
bundled data: ``--lang zh`` before or after the sub-command and ``$CRITMIN_LANG`` give
Chinese messages, titles and column headers; English is the default; JSON and CSV are
the same in every language; an unknown language is refused naming the choices."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

from critmin import i18n
from critmin.cli.common import LangOption
from critmin.cli.language import LanguageGroup
from critmin.cli.main import app

runner = CliRunner()
SCENARIO = ["scenario", "ban", "--mineral", "gallium", "--country", "CHN", "--draws", "200",
            "--seed", "3"]  # fmt: skip
CHECK = ["controls", "check", "--item", "gallium", "--origin", "CHN", "--destination", "USA",
         "--date", "2026-03-01"]  # fmt: skip


def invoke(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, list(args), catch_exceptions=False, env=env)


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('language') / 'cli.db'}"
    result = invoke("--lang", "zh", "init", "--no-trade", "--db", url)
    assert result.exit_code == 0, result.output
    assert "已载入内置数据" in result.output and "用时" in result.output
    assert "loaded bundled data" not in result.output
    return url


def test_projects_list_in_chinese_before_or_after_the_command_and_from_the_environment(url):
    before = invoke("--lang", "zh", "projects", "list", "--mineral", "gallium", "--db", url)
    after = invoke("projects", "list", "--mineral", "gallium", "--db", url, "--lang", "zh")
    from_env = invoke("projects", "list", "--mineral", "gallium", "--db", url,
                      env={"CRITMIN_LANG": "zh"})  # fmt: skip
    for result in (before, after, from_env):
        assert result.exit_code == 0, result.output
        assert "个项目" in result.output
        for header in ("名称", "矿产", "环节", "状态", "国家", "产能"):
            assert header in result.output, header
        assert "Stage" not in result.output and " projects" not in result.output
    assert before.output == after.output == from_env.output


def test_english_is_the_default_and_a_chinese_run_does_not_leak_into_the_next(url):
    assert "个项目" in invoke("--lang", "zh", "projects", "list", "--db", url).output
    assert i18n.current() == "en"  # the run's language ends with the run
    english = invoke("projects", "list", "--mineral", "gallium", "--db", url)
    assert english.exit_code == 0, english.output
    assert " projects" in english.output and "Stage" in english.output
    assert "项目" not in english.output and "名称" not in english.output
    # an explicit --lang en after the command wins over $CRITMIN_LANG
    env_then_en = invoke("projects", "list", "--mineral", "gallium", "--db", url,
                         "--lang", "en", env={"CRITMIN_LANG": "zh"})  # fmt: skip
    assert env_then_en.output == english.output


def test_stats_share_title_and_headers(url):
    zh = invoke("stats", "share", "--mineral", "gallium", "--db", url, "--lang", "zh")
    en = invoke("stats", "share", "--mineral", "gallium", "--db", url)
    assert zh.exit_code == 0 and en.exit_code == 0, zh.output + en.output
    assert "产量" in zh.output and "点" in zh.output and "份额" in zh.output
    assert "数值（kg）" in zh.output
    assert "production" in en.output and "points" in en.output and "Share" in en.output
    assert "Value (kg)" in en.output
    # the same figures in both languages
    assert "99.01 %" in zh.output and "99.01 %" in en.output


def test_controls_check_verdict_line(url):
    zh = invoke(*CHECK, "--db", url, "--lang", "zh")
    en = invoke(*CHECK, "--db", url)
    assert zh.exit_code == 0 and en.exit_code == 0, zh.output + en.output
    assert "镓 CHN → USA，2026-03-01：需要许可证\n" in zh.output  # a label, not the code
    assert "CHN → USA on 2026-03-01: licence_required" in en.output


def test_scenario_ban_table():
    zh = invoke("--lang", "zh", *SCENARIO)
    en = invoke(*SCENARIO)
    assert zh.exit_code == 0 and en.exit_code == 0, zh.output + en.output
    assert "实施出口限制" in zh.output and "估算值" in zh.output
    assert "价格倍数" in zh.output and "供应缺口" in zh.output and "十亿美元" in zh.output
    assert "restriction by CHN, GDP loss in USA" in en.output and "Price ratio" in en.output


@pytest.mark.parametrize(
    "args",
    [
        ["projects", "list", "--mineral", "gallium", "--format", "json"],
        ["projects", "list", "--mineral", "gallium", "--format", "csv"],
        ["stats", "share", "--mineral", "gallium", "--format", "json"],
        ["stats", "share", "--mineral", "gallium", "--format", "csv"],
        [*CHECK, "--format", "json"],
        ["controls", "timeline", "--mineral", "gallium", "--as-of", "2026-01-01", "-f", "csv"],
        ["stockpile", "inventory", "--format", "csv"],
        ["org", "list", "--format", "json"],
    ],
    ids=lambda a: " ".join(a[:2] + [a[-1]]),
)
def test_machine_readable_output_is_the_same_in_every_language(url, args):
    en = invoke(*args, "--db", url)
    zh = invoke(*args, "--db", url, "--lang", "zh")
    assert en.exit_code == 0, en.output
    assert zh.exit_code == 0, zh.output
    assert en.stdout and zh.stdout == en.stdout
    if "json" in args:
        json.loads(zh.stdout)  # still JSON, keys and codes untouched


def test_scenario_json_is_the_same_in_every_language():
    en = invoke(*SCENARIO, "--format", "json")
    zh = invoke(*SCENARIO, "--format", "json", env={"CRITMIN_LANG": "zh"})
    assert en.exit_code == zh.exit_code == 0
    assert json.loads(zh.stdout) == json.loads(en.stdout)
    assert '"price_ratio"' in zh.stdout


def test_an_import_error_names_file_row_and_column_in_chinese(url, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("key,name,mineral,stage,country,status\n"
                   "bad-one,Bad one,unobtainium,refining,CAN,announced\n")  # fmt: skip
    zh = invoke("import", "projects", str(bad), "--db", url, "--lang", "zh")
    en = invoke("import", "projects", str(bad), "--db", url)
    assert zh.exit_code == en.exit_code == 1
    assert "发现 1 个问题；未导入任何内容" in zh.stderr
    assert f"{bad}，第 2 行，列 'mineral'：读到 'unobtainium'，应为" in zh.stderr
    assert "1 problem found; nothing was imported" in en.stderr
    assert f"{bad}, row 2, column 'mineral': got 'unobtainium', expected" in en.stderr
    assert "Traceback" not in zh.output + en.output


def test_an_error_message_is_framed_in_chinese(url):
    zh = invoke("projects", "show", "no-such-project", "--db", url, "--lang", "zh")
    assert zh.exit_code == 1 and zh.stderr.startswith("错误：")
    en = invoke("projects", "show", "no-such-project", "--db", url)
    assert en.exit_code == 1 and en.stderr.startswith("error: ")
    wrong = invoke("--lang", "zh", "monitor", "webhook", "--org", "x", "--db", url)
    assert wrong.exit_code == 2 and "请给出 --url 或 --clear" in wrong.stderr


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--lang", "xx", "projects", "list"], None),
        (["projects", "list", "--lang", "xx"], None),
        (["projects", "list"], {"CRITMIN_LANG": "xx"}),
    ],
)
def test_an_unknown_language_is_refused_naming_the_choices(url, args, env):
    result = invoke(*args, "--db", url, env=env)
    assert result.exit_code == 2
    assert "unknown language 'xx'" in result.output
    assert "en (English)" in result.output and "zh (简体中文)" in result.output


def test_a_command_with_its_own_lang_keeps_it():
    """A command that takes ``--lang`` itself (a report's edition) gets the value; others
    have it moved to the global option."""
    demo = typer.Typer(cls=LanguageGroup, add_completion=False)

    @demo.callback()
    def root(lang: str | None = typer.Option(None, "--lang")) -> None:
        typer.echo(f"global={lang}")

    @demo.command("report")
    def report(lang: LangOption = None) -> None:
        typer.echo(f"own={lang}")

    @demo.command("plain")
    def plain(name: str = typer.Option("x", "--name")) -> None:
        typer.echo(f"plain {name}")

    own = runner.invoke(demo, ["report", "--lang", "zh"])
    assert own.exit_code == 0, own.output
    assert "global=None" in own.output and "own=zh" in own.output
    moved = runner.invoke(demo, ["plain", "--name", "y", "--lang=zh"])
    assert moved.exit_code == 0, moved.output
    assert "global=zh" in moved.output and "plain y" in moved.output
    stop = runner.invoke(demo, ["plain", "--", "--lang", "zh"])
    assert "global=None" in stop.output  # after "--" nothing is moved


def test_a_real_process_in_chinese_and_babel_not_loaded_at_start_up(tmp_path):
    env = {**os.environ, "CRITMIN_DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}"}
    env.pop("CRITMIN_LANG", None)
    exe = [sys.executable, "-m", "critmin"]
    zh = subprocess.run([*exe, "db", "current", "--lang", "zh"], capture_output=True,
                        text=True, env=env, timeout=60)  # fmt: skip
    assert zh.returncode == 0, zh.stderr
    assert zh.stdout.strip() == "（未初始化）"
    en = subprocess.run([*exe, "db", "current"], capture_output=True, text=True, env=env,
                        timeout=60)  # fmt: skip
    assert en.stdout.strip() == "(not initialised)"
    probe = ("import sys\nfrom typer.testing import CliRunner\nfrom critmin.cli.main import app\n"
             "r = CliRunner().invoke(app, ['db', '--help'])\n"
             "print(r.exit_code, 'babel' in sys.modules)")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         env=env, timeout=60)  # fmt: skip
    assert out.stdout.split() == ["0", "False"], out.stdout + out.stderr
