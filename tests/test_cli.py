"""The command line: help texts, Chinese errors without tracebacks, `check` outputs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from xfaudit.cli import main

FILES = Path(__file__).parent / "files"
SAMPLE = FILES / "sample_2026-10.xlsx"


def run_cli(*args, cwd=None) -> subprocess.CompletedProcess:
    """Run the real console entry point in a subprocess (as a user would)."""
    return subprocess.run([sys.executable, "-m", "xfaudit.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd)


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for command in ("check", "load", "synth", "monthly", "init", "units", "waivers"):
        assert command in out
    assert "信访" in out


def test_only_the_program_itself_tunes_the_garbage_collector(monkeypatch, capsys):
    import xfaudit.cli as cli

    registered, thresholds = [], []
    monkeypatch.setattr(cli.atexit, "register", registered.append)
    monkeypatch.setattr(cli.gc, "set_threshold", lambda *t: thresholds.append(t))
    assert main([]) == cli.EXIT_USER_ERROR           # a caller in this process (a test)
    assert registered == [] and thresholds == []
    monkeypatch.setattr(sys, "argv", ["xfaudit"])
    assert main() == cli.EXIT_USER_ERROR             # the console script: argv from sys.argv
    assert registered == [cli._skip_final_collections]
    # collections rarely: a young generation of 50,000 objects, not Python's 700
    assert thresholds == [(50_000, 20, 100)]


def test_the_program_collects_rarely():
    code = ("import gc, sys; from xfaudit import cli; sys.argv = ['xfaudit']; "
            "code = cli.main(); print(gc.get_threshold())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip().splitlines()[-1] == "(50000, 20, 100)"


@pytest.mark.parametrize("command", ["check", "load", "synth", "monthly", "init"])
def test_each_subcommand_has_chinese_help(capsys, command):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = capsys.readouterr().out
    assert any("\u4e00" <= ch <= "\u9fff" for ch in out)


def test_missing_file_is_a_chinese_error_without_traceback(tmp_path):
    proc = run_cli("check", tmp_path / "nope.xlsx", "--out", tmp_path / "out")
    assert proc.returncode == 2
    assert "nope.xlsx" in proc.stderr and "错误" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_bad_date_option_is_a_usage_error(tmp_path):
    proc = run_cli("check", SAMPLE, "--as-of", "31/10/2026", "--out", tmp_path)
    assert proc.returncode == 2
    assert "2026-10-31" in proc.stderr and "Traceback" not in proc.stderr


def test_not_a_spreadsheet_is_a_chinese_error(tmp_path):
    bogus = tmp_path / "ledger.xlsx"
    bogus.write_text("this is not a workbook", encoding="utf-8")
    proc = run_cli("load", bogus)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "ledger.xlsx" in proc.stderr


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    out = tmp_path_factory.mktemp("check")
    assert main(["check", str(SAMPLE), "--as-of", "2026-10-31", "--out", str(out)]) == 0
    return out


def test_check_writes_findings_csv_xlsx_and_summary(checked):
    csv = pd.read_csv(checked / "findings.csv", dtype=str, encoding="utf-8-sig")
    assert {"case_id", "check_id"} <= set(csv.columns)
    assert (checked / "findings.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert (checked / "findings.xlsx").stat().st_size > 0
    summary = json.loads((checked / "summary.json").read_text(encoding="utf-8"))
    assert summary["as_of"] == "2026-10-31"
    assert summary["rows"]["read"] == summary["rows"]["audited"] + summary["rows"]["rejected"]
    assert sum(c["findings"] for c in summary["checks"]) == len(csv)
    assert not list(checked.glob(".*tmp*")), "staging folder left behind"


def test_check_writes_what_gx_said(checked):
    text = (checked / "validation.json").read_text(encoding="utf-8")
    data = json.loads(text)
    assert "NaN" not in text and "unexpected_index" not in text
    assert (data["as_of"], data["profile"]) == ("2026-10-31", "auto")
    assert [s["suite"] for s in data["suites"]] == ["xfaudit.ledger", "xfaudit.auto"]
    found = pd.read_csv(checked / "findings.csv", dtype=str, encoding="utf-8-sig")
    for expectation in data["suites"][1]["expectations"]:
        assert expectation["rows_evaluated"] >= expectation["unexpected_count"]
        assert expectation["success"] == (expectation["unexpected_count"] == 0)
    # a check stated by one expectation fails exactly the rows of its findings
    [reg] = [e for e in data["suites"][1]["expectations"] if e["check_id"] == "REG_LATE"]
    assert reg["unexpected_count"] == (found["check_id"] == "REG_LATE").sum()


def test_check_reproduces_the_planted_truth_of_the_sample(checked):
    found = pd.read_csv(checked / "findings.csv", dtype=str, encoding="utf-8-sig")
    truth = pd.read_csv(FILES / "sample_2026-10.truth.csv", dtype=str, encoding="utf-8-sig")
    got = set(zip(found["case_id"], found["check_id"]))
    expected = set(zip(truth["case_id"], truth["check_id"]))
    assert got - expected == set(), "false positives"
    assert expected - got == set(), "missed"


def test_check_takes_the_bureau_configuration(tmp_path, capsys):
    # 1,500 items take a few seconds; two runs: without the bureau, then with it
    extract = FILES / "sample_2026-10.xlsx"
    assert main(["check", str(extract), "--as-of", "2026-10-31", "--out",
                 str(tmp_path / "a")]) == 0
    plain = capsys.readouterr().out
    assert "未给出本局配置（--config bureau.toml）" in plain and "xfaudit init" in plain
    assert main(["check", str(extract), "--as-of", "2026-10-31", "--out", str(tmp_path / "b"),
                 "--config", str(FILES / "sample_bureau.toml")]) == 0
    assert "未给出本局配置" not in capsys.readouterr().out
    csv = pd.read_csv(tmp_path / "b" / "findings.csv", dtype=str, encoding="utf-8-sig")
    reg = csv[csv["check_id"] == "REG_LATE"]
    # the sample's 登记部门 is blank: the bureau itself owes registration
    assert set(reg["responsible_unit"]) == {"云溪县信访局"}
    assert set(reg["responsible_role"]) == {"信访部门"}


def test_a_misspelt_key_in_the_bureau_file_stops_check_before_any_work(tmp_path):
    bad = tmp_path / "bureau.toml"
    bad.write_text('[bureau]\nisuer = "青禾县信访局"\n', encoding="utf-8")
    proc = run_cli("check", SAMPLE, "--out", tmp_path / "out", "--config", bad)
    assert proc.returncode == 2 and "「bureau.isuer」" in proc.stderr
    assert "issuer" in proc.stderr and not (tmp_path / "out").exists()


def test_init_writes_a_commented_template_and_never_over_a_file(tmp_path, capsys):
    path = tmp_path / "bureau.toml"
    assert main(["init", "--out", str(path)]) == 0
    assert "已生成本局配置文件" in capsys.readouterr().out
    text = path.read_text("utf-8")
    assert "[bureau]" in text and "issuer_code" in text and "发文机关" in text
    path.write_text("# 已填写\n", encoding="utf-8")
    assert main(["init", "--out", str(path)]) == 2
    assert "文件已存在" in capsys.readouterr().err
    assert path.read_text("utf-8") == "# 已填写\n"
    assert main(["init", "--out", str(path), "--force"]) == 0 and "[bureau]" in path.read_text(
        "utf-8")


def test_check_prints_a_chinese_summary(checked, capsys):
    # the fixture ran main(); its printed lines went to capsys of that test, so run `load`
    assert main(["load", str(SAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "读取" in out and "保留" in out


def test_synth_cli_writes_extract_and_truth(tmp_path):
    out = tmp_path / "s.xlsx"
    assert main(["synth", "--cases", "200", "--period", "2026-10", "--seed", "3",
                 "--out", str(out)]) == 0
    assert out.exists() and (tmp_path / "s.truth.csv").exists()


@pytest.mark.parametrize("args, start, words", [
    (["--cases", "50", "--period", "2026-10"], "错误：无法生成模拟台账", "事项数至少为200件"),
    # the one period parser reads --period before the generator runs
    (["--cases", "300", "--period", "2026-1"], "错误：参数 --period", "期间「2026-1」格式不对"),
    (["--cases", "300", "--period", "2022-06"], "错误：无法生成模拟台账", "最早可用的期间为2022-10"),
])
def test_synth_input_errors_are_chinese_user_errors(tmp_path, args, start, words):
    proc = run_cli("synth", *args, "--seed", "1", "--out", tmp_path / "s.xlsx")
    assert proc.returncode == 2, proc.stderr
    assert start in proc.stderr and words in proc.stderr
    assert "Traceback" not in proc.stderr and "内部错误" not in proc.stderr
    assert not (tmp_path / "s.xlsx").exists()


def test_importing_the_cli_leaves_other_argparse_parsers_english():
    import argparse

    import xfaudit.cli  # noqa: F401 - the import itself is what is tested

    text = argparse.ArgumentParser(prog="other-tool").format_help()
    assert text.startswith("usage: other-tool")
    assert "show this help message and exit" in text
    assert "用法" not in text and "显示" not in text


def test_the_cli_help_is_chinese_including_version(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert out.startswith("用法：xfaudit")
    assert "选项" in out and "显示本帮助并退出" in out and "显示版本号并退出" in out
    assert "usage" not in out and "show " not in out


@pytest.mark.parametrize("argv, expected", [
    (["check"], "错误：缺少必需的参数：extract, --out"),
    (["frob"], "错误：参数 命令：无效的选择：'frob'（可选："),
    (["synth", "--cases", "x", "--period", "2026-10", "--out", "a.xlsx"],
     "错误：参数 --cases：无效的值：'x'"),
    (["load", "a.xlsx", "--bogus"], "错误：无法识别的参数：--bogus"),
])
def test_usage_errors_are_chinese_with_exit_2(capsys, argv, expected):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert expected in capsys.readouterr().err


def test_a_missing_extract_leaves_no_output_folder(tmp_path):
    out = tmp_path / "out"
    proc = run_cli("check", tmp_path / "nonexist.xlsx", "--as-of", "2026-10-31", "--out", out)
    assert proc.returncode == 2 and "文件不存在" in proc.stderr
    assert not out.exists()


def test_check_says_first_that_most_checks_cannot_run(tmp_path, capsys):
    """An export with only 信访件编号, 收到日期, 限办时间 and 是否办结 (no unit column): the
    first lines say so, before the counts; only SYSTEM_DEADLINE_OVERDUE runs (1 of 10)."""
    from xfaudit.schema import header_of

    ledger = tmp_path / "省系统导出.csv"
    columns = ["case_id", "received_on", "system_deadline", "is_concluded"]
    ledger.write_text(",".join(header_of(c) for c in columns)
                      + "\nS1,2026-08-21,2026-10-20,否\nS2,2026-08-01,2026-09-30,是\n",
                      encoding="utf-8")
    assert main(["check", str(ledger), "--as-of", "2026-10-31", "--out",
                 str(tmp_path / "out")]) == 0
    lines = capsys.readouterr().out.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("审计日"))
    warnings = [line for line in lines[:first] if line.startswith("请先注意：")]
    assert warnings[0].startswith("请先注意：台账没有责任单位列")
    assert warnings[1].startswith("请先注意：履职检查项 10 项中有 9 项未评估")
    # S1 is open past 限办时间 10-20: 11 days at 10-31
    assert "履职问题 1 个（超期仍未办 1 个），台账质量问题" in "\n".join(lines)
