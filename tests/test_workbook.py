"""findings.xlsx: sheets, Chinese headers, typed cells and counts, read back with openpyxl."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from xfaudit.audit import audit
from xfaudit.model import FINDING_HEADERS, Extract
from xfaudit.schema import checks
from xfaudit.synth import generate
from xfaudit.writers import workbook
from xfaudit.writers.workbook import SHEET_COLUMNS, sheet_name

FORMULA = '=HYPERLINK("http://evil.example","点我")'


@pytest.fixture(scope="module")
def result():
    """An audit of a small synthetic ledger without 反馈日期 (one check not evaluated), in
    which the summary of one item with a finding looks like a formula."""
    data = generate(300, "2026-10", 1)
    frame = data.frame.drop(columns=["feedback_on"])
    first = audit(Extract.from_frame(frame), as_of=data.as_of)
    case = first.findings["case_id"].iloc[0]
    frame.loc[frame["case_id"] == case, "summary"] = FORMULA
    return audit(Extract.from_frame(frame), as_of=data.as_of)


@pytest.fixture(scope="module")
def path(result, tmp_path_factory):
    return workbook.write(result, tmp_path_factory.mktemp("wb") / "findings.xlsx")


@pytest.fixture(scope="module")
def book(path):
    return openpyxl.load_workbook(path)


def rows(ws, first: int) -> list[list]:
    return [[c.value for c in r] for r in ws.iter_rows(min_row=first)]


def test_sheets_present_with_chinese_names(book, result):
    findings = result.findings
    checks = list(dict.fromkeys(findings["check_name"]))
    units = sorted(findings["handling_unit"].fillna("（未填写单位）").unique())
    assert book.sheetnames == ["汇总", "按单位汇总", "临期预警", "全部问题"] + checks + units


def test_only_four_sheets_without_splits(result, tmp_path):
    out = workbook.write(result, tmp_path / "f.xlsx", by_check=False, by_unit=False)
    assert openpyxl.load_workbook(out).sheetnames == ["汇总", "按单位汇总", "临期预警", "全部问题"]


def test_findings_headers_are_chinese(book):
    ws = book["全部问题"]
    assert [c.value for c in ws[1]] == [FINDING_HEADERS[c] for c in SHEET_COLUMNS]
    assert ws.freeze_panes == "A2"
    last = openpyxl.utils.get_column_letter(len(SHEET_COLUMNS))
    assert ws.auto_filter.ref == f"A1:{last}{ws.max_row}"


def test_formula_like_summary_stays_text(book, result):
    ws = book["全部问题"]
    col = SHEET_COLUMNS.index("summary") + 1
    cells = [ws.cell(r, col) for r in range(2, ws.max_row + 1)
             if ws.cell(r, col).value == FORMULA]
    assert cells and all(c.data_type == "s" for c in cells)
    assert len(cells) == int((result.findings["summary"] == FORMULA).sum())


def test_dates_are_dates_and_counts_numbers(book, result):
    ws = book["全部问题"]
    findings = result.findings
    for name in ("start_on", "last_day", "actual_on"):
        col = SHEET_COLUMNS.index(name) + 1
        values = [ws.cell(r, col) for r in range(2, len(findings) + 2)]
        expected = findings[name].tolist()
        assert [c.value for c in values] == [None if pd.isna(v) else v.to_pydatetime()
                                             for v in expected]
        assert all(c.number_format == "yyyy-mm-dd" for c in values if c.value is not None)
    col = SHEET_COLUMNS.index("source_row") + 1
    assert [ws.cell(r, col).value for r in range(2, len(findings) + 2)] == \
        findings["source_row"].tolist()


def test_all_findings_sheet_matches_findings(book, result):
    data = rows(book["全部问题"], 2)
    findings = result.findings
    assert len(data) == len(findings)
    col = SHEET_COLUMNS.index("case_id")
    assert [r[col] for r in data] == findings["case_id"].tolist()
    yes_no = [r[SHEET_COLUMNS.index("is_open")] for r in data]
    assert yes_no == ["是" if v else "否" for v in findings["is_open"]]


SUMMARY_HEADERS = ["问题类型", "问题性质", "严重程度", "适用", "已判断", "无法判断", "问题数",
                   "超期仍未办", "已豁免", "评估状态", "检查项编号"]


def summary_header_row(ws) -> int:
    return next(r for r in range(1, 20) if ws.cell(r, 1).value == "问题类型")


def test_summary_counts_equal_findings(book, result):
    ws = book["汇总"]
    assert ws["A1"].value.startswith("信访事项办理情况审计汇总") and ws["A1"].font.sz == 14
    top = summary_header_row(ws)
    assert ws.freeze_panes == f"A{top + 1}"
    assert [c.value for c in ws[top]] == SUMMARY_HEADERS
    checks = result.summary["checks"]
    table = rows(ws, top + 1)[:len(checks)]
    findings = result.findings
    for row in table:
        mine = findings[findings["check_id"] == row[-1]]
        overdue = mine["is_open"] & (mine["days_late"].fillna(0) > 0) & (
            mine["kind"] == "accountability")
        assert row[6:9] == [len(mine), int(overdue.sum()), int(mine["waived"].sum())]
    assert sum(r[6] for r in table) == len(findings)
    assert ws.auto_filter.ref == f"A{top}:K{top + len(checks)}"


def test_summary_shows_coverage_and_status(book, result):
    """适用 / 已判断 / 无法判断 per check as the summary counts them; a check not evaluated
    has no coverage figures and says why."""
    ws = book["汇总"]
    top = summary_header_row(ws)
    by_id = {r[-1]: r for r in rows(ws, top + 1)[:len(result.summary["checks"])]}
    for c in result.summary["checks"]:
        row = by_id[c["check_id"]]
        assert row[9] == c["status"]
        if c["evaluated"]:
            assert row[3:6] == [c["applicable"], c["judged"], c["unjudged"]]
            assert row[3] == row[4] + row[5]
        else:
            assert row[3:6] == [None, None, None] and row[9].startswith("未评估（缺少：")
    assert by_id["FEEDBACK_MISSING"][9] == "未评估（缺少：反馈日期）"


def test_every_sheet_prints_landscape_fitted_to_width_with_print_titles(book):
    for ws in book.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.page_setup.paperSize == 9, ws.title  # A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.page_setup.fitToHeight == 0, ws.title
        assert ws.print_title_rows, ws.title
        top = int(ws.print_title_rows.split(":")[0].strip("$"))
        assert ws.freeze_panes == f"A{top + 1}", ws.title  # the repeated row is the header


def test_rule_applied_is_the_statute_title(book):
    ws = book["全部问题"]
    col = SHEET_COLUMNS.index("profile") + 1
    assert ws.cell(1, col).value == "适用规则"
    values = {ws.cell(r, col).value for r in range(2, ws.max_row + 1)}
    assert values <= {"《信访工作条例》（2022年5月1日起施行）", "《信访条例》（2005年5月1日起施行）"}
    assert values


def test_not_evaluated_notes_below_the_table(book, result):
    ws = book["汇总"]
    below = summary_header_row(ws) + len(result.summary["checks"]) + 2
    assert ws.cell(below - 1, 1).value is None
    notes = [ws.cell(below + i, 1).value for i in range(len(result.summary["not_evaluated"]))]
    assert notes and all(n.startswith("未评估：") for n in notes)
    assert "反馈日期" in notes[0]


def test_per_check_and_per_unit_sheets_hold_their_findings(book, result):
    findings = result.findings
    for name, part in findings.groupby("check_name"):
        assert len(rows(book[sheet_name(name, set())], 2)) == len(part)
    unit_sheets = book.sheetnames[4 + findings["check_name"].nunique():]
    assert sum(len(rows(book[s], 2)) for s in unit_sheets) == len(findings)


def test_unit_matrix_totals(book, result):
    ws = book["按单位汇总"]
    header = [c.value for c in ws[1]]
    assert header[0] == "责任单位" and header[-2:] == ["超期仍未办", "合计"]
    order = [c.name for c in checks().values()]
    assert header[1:-2] == [n for n in order if n in set(result.findings["check_name"])]
    data = rows(ws, 2)
    *units, total = data
    assert total[0] == "合计"
    assert sum(r[-1] for r in units) == len(result.findings) == total[-1]
    assert total[1:] == [sum(r[i] for r in units) for i in range(1, len(header))]
    assert total[-2] == result.summary["open_overdue"]
    assert all(isinstance(v, int) for r in data for v in r[1:])


def test_indicator_sheet_in_percent_with_the_overall_row(result, tmp_path):
    from xfaudit import indicators

    ind = indicators.compute(result, "2026-10")
    book = openpyxl.load_workbook(workbook.write(result, tmp_path / "i.xlsx", indicators=ind,
                                                 by_check=False, by_unit=False))
    assert book.sheetnames == ["汇总", "按单位汇总", "指标", "临期预警", "全部问题"]
    ws = book["指标"]
    header = [c.value for c in ws[3]]
    assert header[:4] == ["责任单位", "排名", "及时受理率", "按期办结率"]
    names = [r[0] for r in rows(ws, 4)]
    end = names.index("全县合计")
    data = rows(ws, 4)[:end + 1]
    ranked = list(ind.ranking["责任单位"])
    # ranked units in ranking order, then the labels standing for no unit (never ranked)
    assert names[:len(ranked)] == ranked
    assert set(names[len(ranked):end]) <= indicators.pseudo_units()
    overall = ind.table[(ind.table["unit"] == "全县合计")
                        & (ind.table["indicator"] == "on_time_conclusion")].iloc[0]
    assert data[-1][3] == pytest.approx(overall["numerator"] / overall["denominator"])
    assert ws.cell(4 + len(data) - 1, 4).number_format == "0.0%"


def test_properties_and_calamine(book, path):
    assert book.properties.title == "信访事项办理情况审计问题清单"
    assert book.properties.created == dt.datetime(2026, 10, 31)
    assert CalamineWorkbook.from_path(str(path)).sheet_names == book.sheetnames


def test_no_findings_gives_header_only_sheets(tmp_path):
    data = generate(300, "2026-10", 1)
    clean = data.frame.iloc[:0]
    res = audit(Extract.from_frame(clean), as_of=data.as_of)
    book = openpyxl.load_workbook(workbook.write(res, tmp_path / "empty.xlsx"))
    assert book.sheetnames == ["汇总", "按单位汇总", "临期预警", "全部问题"]
    assert book["全部问题"].max_row == 1


@pytest.mark.parametrize("name, taken, expected", [
    ("办理超期", set(), "办理超期"),
    ("a/b:c*d?e[f]g\\h", set(), "a_b_c_d_e_f_g_h"),
    ("长" * 40, set(), "长" * 31),
    ("汇总", {"汇总"}, "汇总(2)"),
    ("长" * 40, {"长" * 31}, "长" * 28 + "(2)"),
    ("", set(), "未命名"),
])
def test_sheet_name(name, taken, expected):
    assert sheet_name(name, set(taken)) == expected


def test_same_result_same_bytes(result, path, tmp_path):
    assert workbook.write(result, tmp_path / "again.xlsx").read_bytes() == path.read_bytes()


def test_a_due_soon_list_longer_than_a_worksheet_continues_on_numbered_sheets(
        result, monkeypatch, tmp_path):
    from xfaudit.views import due_soon

    table = due_soon(result)
    n = len(table)
    assert n > 8
    # a worksheet of 5 data rows here: the title, a blank line and a part's note above
    monkeypatch.setattr(workbook, "SHEET_ROWS", 7)
    path = workbook.write(result, tmp_path / "f.xlsx", by_check=False, by_unit=False)
    book = openpyxl.load_workbook(path, read_only=True)
    parts = [name for name in book.sheetnames if name.startswith("临期预警")]
    assert parts[:2] == ["临期预警", "临期预警(2)"] and len(parts) == -(-n // 5)
    cases = []
    for k, name in enumerate(parts, start=1):
        lines = list(book[name].iter_rows(values_only=True))
        assert lines[0][0].startswith(f"临期预警：第{k}部分，共{len(parts)}部分")
        assert lines[1][0].startswith("临期预警：截至审计日")
        assert lines[3][0] == "剩余天数"
        cases += [line[2] for line in lines[4:]]
    assert cases == list(table["信访件编号"])       # every row once, in order
