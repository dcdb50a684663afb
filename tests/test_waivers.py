"""The 正当理由 register: template, reading with Chinese errors, applying (applied / expired /
unmatched), and the ``xfaudit waivers template`` command."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from accountability_data import AS_OF, item, run
from xfaudit.cli import main
from xfaudit.errors import RegisterError
from xfaudit.schema import checks
from xfaudit.waivers import COLUMNS, SHEET, apply_waivers, read_register, write_template


@pytest.fixture(scope="module")
def result():
    return run([item(case_id="W1", reply_on=None),
                item(case_id="W2", notice_on="2026-09-30"),
                item(case_id="W3", handling_unit="白沙街道", reply_on=None)])


def waiver(case_id, check_id, **kw) -> dict:
    return {"case_id": case_id, "check_id": check_id, "reason": kw.pop("reason", "需司法鉴定"),
            "approved_by": "测试批准人", "approved_on": kw.pop("approved_on", "2026-10-01"),
            "evidence": "督字第1号", "expires_on": kw.pop("expires_on", None)}


def write_register(path, rows: list[list]) -> None:
    """A register as an inspector would type it (first row: headers)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append([c.header for c in COLUMNS])
    for row in rows:
        sheet.append(row)
    book.save(path)


def test_template_has_headers_example_and_check_list(tmp_path):
    path = write_template(tmp_path / "正当理由登记.xlsx")
    book = openpyxl.load_workbook(path)
    sheet = book[SHEET]
    assert [c.value for c in sheet[1]] == [c.header for c in COLUMNS]
    assert str(sheet["A2"].value).startswith("示例")
    listed = {c.value for c in book["说明"]["A"]}
    assert {cid.value for cid in checks()} <= listed
    names = {c.value for c in book["说明"]["B"]}
    assert "办理超期" in names
    assert len(read_register(path)) == 0          # the example row is never applied


def test_read_register_accepts_typed_dates_and_check_names(tmp_path):
    path = tmp_path / "w.xlsx"
    write_register(path, [["0012", "办理超期", "理由", "甲", "2026/10/01", None, "2026年12月31日"],
                          ["0013", "reply_missing", "理由", "甲", "2026-10-02", "卷宗3", None]])
    frame = read_register(path).frame
    assert list(frame["case_id"]) == ["0012", "0013"]
    assert list(frame["check_id"]) == ["HANDLING_OVERDUE", "REPLY_MISSING"]
    assert frame["expires_on"].iloc[0] == pd.Timestamp("2026-12-31")
    assert list(frame["source_row"]) == [2, 3]


def test_read_register_reports_every_problem_with_row_and_column(tmp_path):
    path = tmp_path / "w.xlsx"
    write_register(path, [["X1", "NO_SUCH_CHECK", "理由", "甲", "2026-10-01", None, None],
                          ["X2", "REPLY_MISSING", None, "甲", "十月一日", None, None],
                          ["X3", "REPLY_MISSING", "理由", "甲", "2026-10-01", None, "2026-09-01"]])
    with pytest.raises(RegisterError) as caught:
        read_register(path)
    text = str(caught.value)
    assert "w.xlsx" in text and "正当理由登记" in text
    assert "第2行「检查项编号」列" in text and "NO_SUCH_CHECK" in text
    assert "第3行「理由」列：不能为空" in text
    assert "第3行「批准日期」列：无法识别的日期“十月一日”" in text
    assert "第4行「有效期至」列：有效期早于批准日期" in text
    assert isinstance(caught.value, ValueError)


def test_read_register_missing_header_and_missing_file(tmp_path):
    path = tmp_path / "w.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["信访件编号", "理由"])
    book.save(path)
    with pytest.raises(RegisterError, match="找不到表头"):
        read_register(path)
    with pytest.raises(FileNotFoundError, match="文件不存在"):
        read_register(tmp_path / "none.xlsx")


def test_apply_marks_waived_keeps_the_finding_and_recomputes_summary(result):
    register = pd.DataFrame([waiver("W1", "REPLY_MISSING", expires_on=AS_OF)])
    new, report = apply_waivers(result, register)
    f = new.findings.set_index(["case_id", "check_id"])
    assert bool(f.loc[("W1", "REPLY_MISSING"), "waived"]) is True
    assert "需司法鉴定" in f.loc[("W1", "REPLY_MISSING"), "waiver_reason"]
    assert bool(f.loc[("W3", "REPLY_MISSING"), "waived"]) is False
    assert len(new.findings) == len(result.findings)              # never removed
    assert not result.findings["waived"].any()                    # input untouched
    reply = next(c for c in new.summary["checks"] if c["check_id"] == "REPLY_MISSING")
    assert (reply["findings"], reply["waived"]) == (2, 1)
    assert report.waived_findings == 1 and len(report.applied) == 1
    assert report.expired.empty and report.unmatched.empty


@pytest.mark.parametrize("expires_on, applied", [(AS_OF, True), ("2026-10-30", False),
                                                 (None, True)])
def test_expiry_is_judged_at_as_of(result, expires_on, applied):
    new, report = apply_waivers(result, pd.DataFrame([waiver("W2", "NOTICE_LATE",
                                                             expires_on=expires_on)]))
    assert bool(new.findings.set_index("case_id").loc["W2", "waived"]) is applied
    assert len(report.expired) == (0 if applied else 1)


def test_unmatched_and_expired_are_listed(result):
    register = pd.DataFrame([waiver("W1", "REPLY_MISSING"),
                             waiver("NOPE", "REPLY_MISSING"),
                             waiver("W2", "REPLY_MISSING"),
                             waiver("W3", "REPLY_MISSING", expires_on="2026-09-30")])
    new, report = apply_waivers(result, register)
    assert list(report.unmatched["case_id"]) == ["NOPE", "W2"]
    assert list(report.expired["case_id"]) == ["W3"]
    assert list(report.applied["case_id"]) == ["W1"]
    table = report.to_frame()
    assert set(table["状态"]) == {"已适用", "已过期（未适用）", "未匹配到问题"}
    text = "\n".join(report.describe())
    assert "未匹配：第3行 NOPE" in text and "已过期：第5行 W3" in text
    assert "已豁免" in report._repr_html_() or "适用" in report._repr_html_()


def test_apply_reads_a_register_file(result, tmp_path):
    path = tmp_path / "w.xlsx"
    write_register(path, [["W1", "REPLY_MISSING", "理由", "甲", "2026-10-01", None, None]])
    new, report = apply_waivers(result, path)
    assert int(new.findings["waived"].sum()) == 1 and report.path.endswith("w.xlsx")


def test_cli_waivers_template(tmp_path, capsys):
    out = tmp_path / "t.xlsx"
    assert main(["waivers", "template", "--out", str(out)]) == 0
    assert out.is_file() and "正当理由登记表模板" in capsys.readouterr().out
