"""The unit register (单位名录): one official name per unit, whatever the ledger writes."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from xfaudit.cli import main
from xfaudit.errors import RegisterError
from xfaudit.model import Extract
from xfaudit.units import apply_units, read_units, write_template


def register(tmp_path, rows, name="单位名录.xlsx"):
    path = tmp_path / name
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "单位名录"
    sheet.append(["单位全称", "简称/别名", "上级单位", "单位类型", "是否行政机关", "是否本局"])
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


ROWS = [("青禾县信访局", "县信访局", None, "信访部门", "是", "是"),
        ("青禾县石桥镇人民政府", "石桥镇", None, "乡镇街道", "是", "否"),
        ("青禾县人民法院", "县法院、法院", None, "法院", "否", None),
        ("青禾县公安局", None, None, "县直部门", None, None)]


def test_template_reads_back_without_its_examples(tmp_path):
    path = write_template(tmp_path / "t.xlsx")
    assert read_units(path).units == ()
    assert openpyxl.load_workbook(path).sheetnames == ["单位名录", "说明"]


def test_names_are_made_official_by_name_alias_suffix_and_path(tmp_path):
    units = read_units(register(tmp_path, ROWS))
    frame = pd.DataFrame({"case_id": ["A", "B", "C", "D", "E"],
                          "handling_unit": ["石桥镇", "石桥镇人民政府", "青禾县石桥镇人民政府",
                                            "县法院", "白沙镇"],
                          "registering_body": ["青禾县信访局/办信科", None, None, None, None]})
    out = apply_units(Extract.from_frame(frame), units)
    assert out.frame["handling_unit"].tolist() == [
        "青禾县石桥镇人民政府", "青禾县石桥镇人民政府", "青禾县石桥镇人民政府", "青禾县人民法院",
        "白沙镇"]
    assert out.frame["registering_body"].iloc[0] == "青禾县信访局"
    how = dict(zip(out.report.unit_names["written"], out.report.unit_names["how"]))
    assert how == {"石桥镇": "别名", "石桥镇人民政府": "后缀", "县法院": "别名",
                   "青禾县信访局/办信科": "全称"}
    assert out.report.unknown_units == {"白沙镇": 1}
    assert units.is_bureau("青禾县信访局") and not units.is_bureau("青禾县石桥镇人民政府")
    # 是否行政机关: as the register says; unsaid → None (待核实)
    assert units.is_administrative("青禾县人民法院") is False
    assert units.is_administrative("青禾县公安局") is None


def test_a_name_two_units_share_is_an_error(tmp_path):
    path = register(tmp_path, [("青禾县石桥镇人民政府", "石桥"), ("青禾县石桥街道办事处", "石桥")])
    with pytest.raises(RegisterError) as err:
        read_units(path)
    assert "第3行「简称/别名」列" in str(err.value) and "已在第2行" in str(err.value)


def test_cli_template_and_check_with_units(tmp_path, capsys):
    assert main(["units", "--template", str(tmp_path / "名录.xlsx")]) == 0
    ledger = tmp_path / "ledger.csv"
    ledger.write_text("信访件编号,责任单位,收到日期,转交日期,办理方式\n"
                      "A1,石桥镇,2026-09-01,2026-09-20,转送\n"          # 09-01 + 15 = 09-16: late
                      "A2,青禾县石桥镇人民政府,2026-09-01,2026-09-18,转送\n", encoding="utf-8")
    units = register(tmp_path, ROWS)
    out = tmp_path / "out"
    assert main(["check", str(ledger), "--as-of", "2026-10-31", "--out", str(out),
                 "--units", str(units)]) == 0
    findings = pd.read_csv(out / "findings.csv", encoding="utf-8-sig", dtype=str)
    assert set(findings.loc[findings["check_id"] == "REG_LATE", "handling_unit"]) == {
        "青禾县石桥镇人民政府"}
    assert "石桥镇 → 青禾县石桥镇人民政府（别名）" in capsys.readouterr().out


def test_the_report_lists_the_names_the_register_lacks(tmp_path):
    # issue 9 point 4: names not in the register are listed in the ingest report AND the report.
    # Ledger: 石桥镇 (ROWS' alias of 青禾县石桥镇人民政府) ×2, 白沙镇 ×2, 河西乡 ×1 → one spelling
    # made official (石桥镇); unknown: 白沙镇 (2 rows), 河西乡 (1 row); the register has 4 units
    from xfaudit.audit import audit
    from xfaudit.load import load_extract
    from xfaudit.monthly import MonthlyParameters
    from xfaudit.monthly_report import MonthlyReport

    ledger = tmp_path / "台账.csv"
    ledger.write_text("信访件编号,收到日期,责任单位\n"
                      "A1,2026-10-01,石桥镇\nA2,2026-10-02,石桥镇\nA3,2026-10-03,白沙镇\n"
                      "A4,2026-10-04,白沙镇\nA5,2026-10-05,河西乡\n", encoding="utf-8")
    path = register(tmp_path, ROWS)
    extract = load_extract(ledger, units=path)
    result = audit(extract, as_of="2026-10-31", period="2026-10")
    params = MonthlyParameters.from_values(str(ledger), "2026-10", units=str(path),
                                           out_dir=str(tmp_path / "reports"))
    shown = MonthlyReport.from_result(result, params, tmp_path / "stage").unit_register()
    markup = shown._repr_html_()
    assert "单位名录中没有的单位（请补入单位名录）" in markup
    assert shown.frame.values.tolist() == [["白沙镇", 2], ["河西乡", 1]]
    assert "单位名录：单位名录.xlsx（4 个单位）；按名录统一名称 1 个" in markup


def test_without_a_register_the_report_says_names_are_counted_as_written(tmp_path):
    from xfaudit.audit import audit
    from xfaudit.monthly import MonthlyParameters
    from xfaudit.monthly_report import MonthlyReport

    frame = pd.DataFrame({"case_id": ["A1"], "received_on": ["2026-10-01"],
                          "handling_unit": ["石桥镇"]})
    result = audit(Extract.from_frame(frame, name="台账.xlsx"), as_of="2026-10-31",
                   period="2026-10")
    params = MonthlyParameters.from_values("台账.xlsx", "2026-10",
                                           out_dir=str(tmp_path / "reports"))
    shown = MonthlyReport.from_result(result, params, tmp_path / "stage").unit_register()
    assert "未提供单位名录" in shown._repr_html_()
