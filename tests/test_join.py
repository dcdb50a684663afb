"""Secondary tables joined on 信访件编号: hand-made tables, hand-stated expectations."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from xfaudit.errors import ExtractError
from xfaudit.load import load_extract
from xfaudit.loadreport import report_lines


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def tables(tmp_path):
    items = write(tmp_path / "items.csv",
                  "信访件编号,收到日期,责任单位,办结日期,交办期限\n"
                  "A1,2026-09-01,测试镇,,\n"
                  "A2,2026-09-02,测试镇,2026-10-01,\n"
                  "A2,2026-09-02,测试镇,2026-10-01,\n"            # an id twice in the item table
                  "A3,2026-09-03,,,2026-11-30\n")
    steps = write(tmp_path / "steps.csv",
                  "信访件编号,办理方式,转交日期,办结日期,交办期限,责任单位\n"
                  "A1,转送,2026-09-05,2026-10-20,2026-11-01,第一单位\n"
                  "A1,交办,2026-09-03,2026-10-10,2026-11-15,\n"          # 责任单位 empty
                  "A1,交办,待定,,,第三单位\n"                              # no date: ordered first
                  "A2,交办,2026-09-04,2026-10-05,,另一单位\n"
                  "A3,转送,9月6日,,2026-12-31,测试街道\n"           # year-less: unreadable

                  "B9,转送,2026-09-07,,,外单位\n"
                  ",转送,2026-09-08,,,无编号\n")
    return items, steps


def test_rows_are_never_multiplied(tables):
    extract = load_extract(list(tables))
    assert extract.frame["case_id"].tolist() == ["A1", "A2", "A2", "A3"]
    assert extract.frame["source_row"].tolist() == [2, 3, 4, 5]


def test_several_rows_per_item_are_combined_by_the_stated_rule(tables):
    frame = load_extract(list(tables)).frame.set_index("source_row")
    # A1's rows in step order (by each row's latest date): the 待定 row (no date) first, then
    # row 2 (latest 2026-11-01), then row 3 (latest 2026-11-15)
    # routed_on: earliest of 2026-09-05 and 2026-09-03 (待定 unreadable) = 2026-09-03
    assert frame.loc[2, "routed_on"] == pd.Timestamp("2026-09-03")
    # concluded_on: the item table's A1 is empty → filled from the steps: earliest 2026-10-10
    assert frame.loc[2, "concluded_on"] == pd.Timestamp("2026-10-10")
    # assigned_deadline is a deadline: the latest, 2026-11-15
    assert frame.loc[2, "assigned_deadline"] == pd.Timestamp("2026-11-15")
    # routing: the latest step with a value: 交办 (row of 2026-11-15)
    assert frame.loc[2, "routing"] == "交办"
    # handling_unit: the item table has 测试镇 → kept (item wins unless empty)
    assert frame.loc[2, "handling_unit"] == "测试镇"
    # A2 twice in the item table: both rows get the join; the item's 办结日期 2026-10-01 wins
    assert frame.loc[3, "routing"] == frame.loc[4, "routing"] == "交办"
    assert frame.loc[3, "concluded_on"] == pd.Timestamp("2026-10-01")
    # A3: 责任单位 empty in the item table → 测试街道; its own deadline 2026-11-30 wins
    assert frame.loc[5, "handling_unit"] == "测试街道"
    assert frame.loc[5, "assigned_deadline"] == pd.Timestamp("2026-11-30")


def test_the_join_is_reported(tables):
    report = load_extract(list(tables)).report
    [table] = report.tables
    assert table.unmatched_ids == ["B9"]
    assert table.rows_without_id == 1
    assert table.rows_matched == 5                  # A1 ×3, A2, A3
    assert table.items_matched == 4                 # item rows A1, A2, A2, A3
    assert table.items_with_several_rows == 1       # A1
    assert table.fields_added == ["routing", "routed_on"]
    # item cells filled: 办结日期 of A1; 责任单位 of A3; 交办期限 of A1 (A2's step has none)
    assert table.fields_filled == {"handling_unit": 1, "assigned_deadline": 1,
                                   "concluded_on": 1}
    # both filled and different: A2's 办结日期 (10-01 vs 10-05) twice, A2's 责任单位 twice,
    # A1's 责任单位 (测试镇 vs 第一单位), A3's 交办期限 (11-30 vs 12-31)
    assert table.conflicts == {"handling_unit": 3, "assigned_deadline": 1, "concluded_on": 2}
    assert "日期取最早" in table.rule
    text = "\n".join(report_lines(report))
    assert "steps.csv" in text and "B9" in text and "一件多行" in text


def test_unreadable_cells_of_a_secondary_table_name_their_file_and_row(tables):
    extract = load_extract(list(tables))
    [row] = extract.report.unreadable.to_dict("records")
    # A3's only step has 转交日期 "9月6日" (steps.csv row 6): A3's routed_on stays empty, so the
    # cell is listed on A3's row of the item table (row 5), naming where it really is
    assert (row["file"], row["file_row"], row["raw"]) == ("steps.csv", 6, "9月6日")
    assert (row["source_row"], row["case_id"], row["field"]) == (5, "A3", "routed_on")
    # A1's 待定 (row 4) is not listed: A1's 转交日期 came from its other, readable steps
    assert extract.report.tables[0].unreadable_unmatched == 1


def test_secondary_table_without_case_id_is_an_error(tmp_path, tables):
    other = write(tmp_path / "other.csv", "收到日期,责任单位\n2026-09-01,测试镇\n")
    with pytest.raises(ExtractError, match="没有信访件编号列"):
        load_extract([tables[0], other])


def test_several_sheets_of_one_workbook(tmp_path):
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"信访件编号": ["A1", "A2"], "收到日期": ["2026-09-01", "2026-09-02"],
                      "责任单位": ["甲", "乙"]}).to_excel(writer, sheet_name="信访件", index=False)
        pd.DataFrame({"信访件编号": ["A2"], "答复日期": ["2026-10-09"]}).to_excel(
            writer, sheet_name="答复", index=False)
    extract = load_extract(path, sheet=["信访件", "答复"])
    assert extract.frame["reply_on"].tolist()[1] == pd.Timestamp("2026-10-09")
    assert extract.report.tables[0].sheet == "答复"


def test_check_reads_several_files_on_the_command_line(tmp_path, tables):
    import json
    import subprocess
    import sys

    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "xfaudit.cli", "check", *map(str, tables),
                           "--as-of", "2026-10-31", "--out", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "关联表：steps.csv" in proc.stdout
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["rows"]["audited"] == 4


def test_monthly_parameters_take_a_list_of_files(tables):
    from xfaudit.monthly import MonthlyParameters

    params = MonthlyParameters.from_values([str(p) for p in tables], "2026-10",
                                           mapping="ningbo")
    assert params.extract == [str(p) for p in tables]
    given = params.for_notebook(Path("/tmp/stage"))
    assert given["extract"] == [str(p.resolve()) for p in tables]
    assert given["mapping"] == "ningbo"                 # a built-in name stays a name


def test_monthly_run_takes_several_files_up_to_the_notebook(tables, tmp_path, monkeypatch):
    # `xfaudit monthly items.csv steps.csv` crashed before the notebook (Path(list): exit 3):
    # the run must reach the notebook with both files and name both in its first line
    from xfaudit import monthly
    from xfaudit.errors import RunError

    given = {}

    def executed(notebook, output, parameters, say):
        given.update(parameters)
        raise RuntimeError("stop here")
    monkeypatch.setattr(monthly, "execute_notebook", executed)
    lines = []
    with pytest.raises(RunError) as caught:
        monthly.run_monthly_audit([str(p) for p in tables], "2026-10",
                                  out_dir=tmp_path / "reports", progress=lines.append)
    assert caught.value.step == monthly.STEP_NOTEBOOK
    assert given["extract"] == [str(p.resolve()) for p in tables]
    assert lines[0] == (f"月度审计 2026-10（审计日 2026-10-31）：{tables[0]}、{tables[1]}")
