"""Tests of xfaudit.load: messy real-looking extracts in, canonical frame and report out.

Fixtures are in tests/files/ and are written by tests/files/make_fixtures.py (all synthetic).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import sys
from pathlib import Path

import pandas as pd
import pytest

from xfaudit import load
from xfaudit.headers import HEADER_SCAN_ROWS, find_header
from xfaudit.io import csvread, sniff
from xfaudit.errors import (ExtractError, ExtractNotFoundError, HeaderNotFoundError,
                            MappingError, XfauditError)
from xfaudit.load import (REASON_NOT_A_RECORD, REASON_REPEATED_HEADER, header_lookup,
                          load_extract, read_mapping)
from xfaudit.model import (REJECTED_COLUMNS, SOURCE_ROW, UNREADABLE_COLUMNS,
                           UNREADABLE_PLACE_COLUMNS)
from xfaudit.schema import fields

FILES = Path(__file__).parent / "files"
MESSY = FILES / "ledger_messy.xlsx"
SHEETS = FILES / "ledger_sheets.xlsx"


@pytest.fixture(scope="module")
def messy():
    return load_extract(MESSY)


def by_row(extract, column: str) -> dict:
    frame = extract.frame
    return dict(zip(frame[SOURCE_ROW], frame[column], strict=True))


def day(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


# --------------------------------------------------------------------------------------------
# The messy workbook: title row, blank row, odd headers, mixed cells, footers
# --------------------------------------------------------------------------------------------

def test_header_found_below_merged_title_and_blank_row(messy):
    assert messy.report.sheet == "台账"
    assert messy.report.header_row == 3
    assert messy.report.file_format == "xlsx"


def test_headers_with_line_breaks_spaces_and_aliases_are_mapped(messy):
    mapping = messy.report.mapping
    assert mapping["信访件编号"] == "case_id"          # "信访件\n编号"
    assert mapping["收到\u3000日期"] == "received_on"  # full-width space inside
    assert mapping["承办单位"] == "handling_unit"      # alias
    assert mapping["转送交办日期"] == "routed_on"
    assert mapping["信访方式"] == "channel"


def test_unknown_and_headerless_columns_are_reported(messy):
    assert messy.report.unknown_columns == ["序号", "（备注）", "（第U列，无表头）"]


def test_frame_columns_are_source_row_then_fields_in_contract_order(messy):
    columns = list(messy.frame.columns)
    assert columns[0] == SOURCE_ROW
    order = list(fields())
    assert columns[1:] == sorted(columns[1:], key=order.index)
    assert isinstance(messy.frame.index, pd.RangeIndex)
    assert set(messy.report.absent_fields) == set(fields()) - set(columns[1:])


def test_row_accounting(messy):
    r = messy.report
    assert r.rows_read == r.rows_kept + len(r.rejected)
    assert (r.rows_read, r.rows_kept, r.rows_rejected, r.empty_rows) == (13, 9, 4, 2)
    assert messy.frame[SOURCE_ROW].tolist() == [4, 5, 6, 8, 10, 11, 13, 14, 15]


def test_repeated_header_and_footer_rows_are_rejected_with_reasons(messy):
    rejected = messy.report.rejected
    assert list(rejected.columns) == REJECTED_COLUMNS
    assert dict(zip(rejected["source_row"], rejected["reason"], strict=True)) == {
        9: REASON_REPEATED_HEADER, 16: REASON_NOT_A_RECORD, 17: REASON_NOT_A_RECORD,
        18: REASON_NOT_A_RECORD}


def test_row_missing_case_id_is_kept(messy):
    assert pd.isna(by_row(messy, "case_id")[14])
    assert pd.isna(by_row(messy, "handling_unit")[15])


def test_case_ids_keep_leading_zeros_and_numeric_ids_lose_the_decimal(messy):
    ids = by_row(messy, "case_id")
    assert ids[4] == "000123"
    assert ids[5] == "456"
    assert messy.frame["petitioner_phone"].tolist()[1] == "13800000001"


def test_mixed_date_column(messy):
    received = by_row(messy, "received_on")
    assert messy.frame["received_on"].dtype == "datetime64[ns]"
    assert received[4] == day("2026-10-08")    # real Excel date
    assert received[5] == day("2026-10-09")    # serial number 46304
    assert received[6] == day("2026-10-10")    # 2026/10/10
    assert received[8] == day("2026-10-11")    # 2026.10.11
    assert received[10] == day("2026-10-12")   # 2026年10月12日
    assert received[11] == day("2026-10-13")   # 2026-10-13 14:30
    assert received[14] == day("2026-10-14")   # real date-time 09:15
    assert received[15] == day("2026-10-15")   # "46310"
    assert pd.isna(received[13])               # 待定


def test_unreadable_cells_are_listed_with_row_id_field_header_and_raw(messy):
    bad = messy.report.unreadable
    assert list(bad.columns) == UNREADABLE_COLUMNS + UNREADABLE_PLACE_COLUMNS
    rows = [tuple(r)[:6] for r in bad.itertuples(index=False)]
    assert set(bad["file"]) == {"ledger_messy.xlsx"} and set(bad["sheet"]) == {"台账"}
    assert bad["file_row"].tolist() == bad["source_row"].tolist()
    assert rows == [
        (8, "001001", "people_count", "人数", "十五", "无法识别"),
        (8, "001001", "is_repeat", "初重件", "不详", "无法识别"),
        (8, "001001", "extension_days", "延期天数", "十天", "无法识别"),
        (8, "001001", "escalated", "是否越级", "不清楚", "无法识别"),
        (10, "001002", "concluded_on", "办结日期", "2026-02-30", "无法识别"),
        (13, "001004", "received_on", "收到\u3000日期", "待定", "无法识别"),
    ]


def test_summary_starting_with_equals_stays_text(messy):
    assert messy.frame["summary"].iloc[0] == "=SUM(A1) 小区漏水请核查"


def test_coded_values_are_normalised(messy):
    assert messy.frame["channel"].tolist() == [
        "网上信访", "来电", "来访", "其他渠道", "来访", "网上信访", "来信", "来信", "网上信访"]
    assert by_row(messy, "routing")[6] == "直接办理"
    satisfaction = by_row(messy, "satisfaction")
    assert (satisfaction[4], satisfaction[5], satisfaction[6], satisfaction[8]) == (
        "满意", "满意", "不满意", "未评价")
    assert satisfaction[11] is None


def test_int_and_boolean_columns(messy):
    frame = messy.frame
    assert frame["people_count"].dtype == "Int64"
    assert frame["extension_days"].dtype == "Int64"
    assert frame["is_repeat"].dtype == "boolean"
    assert frame["escalated"].dtype == "boolean"
    people = by_row(messy, "people_count")
    assert (people[4], people[5], people[6]) == (1, 3, 2)   # 1, "3人", 2.0
    assert pd.isna(people[8])                                # 十五
    extension = by_row(messy, "extension_days")
    assert (extension[4], extension[5], extension[6]) == (0, 15, 15)  # 0, "15天", "15.0"
    repeat = by_row(messy, "is_repeat")
    assert (repeat[4], repeat[5], repeat[6]) == (False, True, True)
    assert pd.isna(repeat[8])
    escalated = by_row(messy, "escalated")
    assert (escalated[4], escalated[5], escalated[6], escalated[10]) == (False, True, True, False)


def test_text_columns_are_object_with_none(messy):
    assert messy.frame["case_id"].dtype == object
    assert messy.frame["routing"].eq("交办").dtype == bool


def test_report_hash_and_dict(messy):
    assert messy.report.sha256 == hashlib.sha256(MESSY.read_bytes()).hexdigest()
    summary = messy.report.to_dict()
    assert summary["rows_rejected"] == 4
    assert summary["unreadable_cells"] == 6


# --------------------------------------------------------------------------------------------
# Sheets, headers, mappings
# --------------------------------------------------------------------------------------------

def test_ledger_sheet_is_chosen_among_explanation_and_statistics_sheets():
    extract = load_extract(SHEETS)
    assert extract.report.sheet == "台账"
    assert extract.frame["case_id"].tolist() == ["T-0001", "T-0002", "T-0003"]


@pytest.mark.parametrize("sheet", ["台账", 2])
def test_sheet_by_name_or_index(sheet):
    assert load_extract(SHEETS, sheet=sheet).report.sheet == "台账"


def test_sheet_without_header_raises_header_not_found():
    with pytest.raises(HeaderNotFoundError) as info:
        load_extract(SHEETS, sheet="说明")
    assert info.value.sheet == "说明"
    assert "找不到台账表头" in str(info.value)


@pytest.mark.parametrize("sheet, words", [("不存在", "找不到工作表「不存在」"), (7, "没有第8个工作表")])
def test_missing_sheet_raises(sheet, words):
    with pytest.raises(ExtractError, match=words):
        load_extract(SHEETS, sheet=sheet)


def test_second_column_for_the_same_field_is_ignored_and_reported():
    extract = load_extract(SHEETS)
    assert extract.report.mapping["收到日期"] == "received_on"
    assert "受信日期" not in extract.report.mapping
    [note] = extract.report.unknown_columns
    assert note.startswith("受信日期") and "收到日期" in note
    assert extract.frame["received_on"].iloc[0] == day("2026-10-08")


def test_one_header_can_feed_two_fields():
    extract = load_extract(SHEETS, mapping={"作出受理意见日期": ["accepted_on", "notice_on"]})
    assert extract.report.mapping["作出受理意见日期"] == "accepted_on,notice_on"
    frame = extract.frame
    assert frame["accepted_on"].equals(frame["notice_on"])
    assert list(frame.columns).index("notice_on") < list(frame.columns).index("accepted_on")


def test_vertically_merged_two_level_header():
    extract = load_extract(FILES / "two_level_header.xlsx")
    assert extract.report.header_row == 2
    assert extract.report.mapping == {
        "信访件编号": "case_id", "收到日期": "received_on", "受理日期": "accepted_on",
        "办结日期": "concluded_on", "责任单位": "handling_unit"}
    assert extract.frame[SOURCE_ROW].tolist() == [3, 4, 5]


def test_vertically_merged_data_cell_applies_to_every_row_it_covers():
    extract = load_extract(FILES / "two_level_header.xlsx")
    assert extract.frame["handling_unit"].tolist() == ["测试镇人民政府", "测试街道办事处",
                                                       "测试街道办事处"]


@pytest.mark.parametrize("mapping", [FILES / "mapping.toml", FILES / "mapping.yaml",
                                     str(FILES / "mapping.toml")])
def test_user_mapping_file(mapping):
    extract = load_extract(FILES / "custom_headers.csv", mapping=mapping)
    assert extract.report.mapping == {
        "来件编号": "case_id", "来件日期": "received_on", "承办科室": "handling_unit",
        "作出受理意见日期": "accepted_on,notice_on", "信访形式": "channel"}
    assert extract.frame["received_on"].tolist() == [day("2026-10-08"), day("2026-10-09")]
    assert extract.frame["notice_on"].iloc[0] == day("2026-10-12")


def test_mapping_dict_with_aliases_table_and_chinese_target():
    lookup = read_mapping({"aliases": {"来件日期": "收到日期", " 承办 科室 ": "handling_unit"}})
    assert lookup == {"来件日期": ("received_on",), "承办科室": ("handling_unit",)}


def test_user_alias_overrides_builtin_alias():
    assert header_lookup()["编号"] == ("case_id",)
    assert header_lookup({"编号": "petitioner_id_no"})["编号"] == ("petitioner_id_no",)


def test_headers_need_a_mapping_when_local():
    with pytest.raises(HeaderNotFoundError) as info:
        load_extract(FILES / "custom_headers.csv")
    assert "来件日期" in info.value.found
    assert info.value.required == ["信访件编号", "收到日期", "责任单位"]


@pytest.mark.parametrize("mapping, words", [
    (FILES / "mapping_bad.toml", "未知字段「received_date」"),
    ({"来件日期": "no_such_field"}, "no_such_field"),
    ({"来件日期": 3}, "字段名或字段名列表"),
    ({"来件日期": []}, "字段名或字段名列表"),
    (FILES / "nope.toml", "文件不存在"),
    (FILES / "ledger_gbk.csv", "不支持的格式"),
])
def test_bad_mapping_raises_mapping_error(mapping, words):
    with pytest.raises(MappingError, match=words):
        load_extract(MESSY, mapping=mapping)


def test_yaml_mapping_without_pyyaml_asks_for_toml(monkeypatch):
    monkeypatch.setitem(sys.modules, "yaml", None)  # makes ``import yaml`` fail
    with pytest.raises(MappingError, match="请改用 TOML"):
        read_mapping(FILES / "mapping.yaml")


def test_mapping_file_without_aliases_table(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text('"来件日期" = "received_on"\n', encoding="utf-8")
    with pytest.raises(MappingError, match=r"\[aliases\]"):
        read_mapping(path)


def test_broken_toml_is_a_mapping_error(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text("[aliases\n", encoding="utf-8")
    with pytest.raises(MappingError, match="格式有误：第1行"):
        read_mapping(path)


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------

def test_gbk_csv_with_title_line():
    extract = load_extract(FILES / "ledger_gbk.csv")
    r = extract.report
    assert (r.file_format, r.encoding, r.sheet, r.header_row) == ("csv", "gb18030", None, 2)
    assert extract.frame["case_id"].tolist() == ["000123", "000124", "000125"]
    assert extract.frame["received_on"].tolist() == [
        day("2026-10-08"), day("2026-10-09"), day("2026-10-10")]
    assert extract.frame["channel"].tolist() == ["来信", "网上信访", "来访"]
    assert r.empty_rows == 0  # the blank line ending the file is not a row


def test_utf8_bom_csv_rows_are_line_numbers():
    extract = load_extract(FILES / "ledger_utf8_bom.csv")
    assert extract.report.encoding == "utf-8-sig"
    assert extract.frame.columns[1] == "case_id"  # the BOM is not part of the first header
    # the second record's summary spans two lines, so the third record starts on line 5
    assert extract.frame[SOURCE_ROW].tolist() == [2, 3, 5]
    assert extract.frame["summary"].iloc[1] == "反映噪音扰民，\n夜间施工"


def test_plain_utf8_csv(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("信访件编号,收到日期,责任单位\n001,2026-10-08,测试镇\n\n002,,测试镇\n",
                    encoding="utf-8")
    extract = load_extract(path)
    assert extract.report.encoding == "utf-8"
    assert extract.report.empty_rows == 1
    assert extract.frame[SOURCE_ROW].tolist() == [2, 4]


def test_tab_separated_text_with_csv_extension(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("信访件编号\t收到日期\t责任单位\n001\t2026/10/8\t测试镇\n", encoding="utf-8")
    assert load_extract(path).frame["received_on"].iloc[0] == day("2026-10-08")


@pytest.mark.parametrize("text", ["2026-10-08", "2026/10/8", "2026.10.8", "2026年10月8日",
                                  "2026-10-08 14:30", "2026/10/8 14:30:00", "20261008", "46303"])
def test_date_forms_in_a_csv(tmp_path, text):
    path = tmp_path / "a.csv"
    path.write_text(f"信访件编号,收到日期,责任单位\n001,{text},测试镇\n", encoding="utf-8")
    extract = load_extract(path)
    assert extract.frame["received_on"].iloc[0] == day("2026-10-08")
    assert extract.report.unreadable.empty


def test_header_only_gives_an_empty_frame(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("信访件编号,收到日期,责任单位\n", encoding="utf-8")
    extract = load_extract(path)
    assert len(extract.frame) == 0
    assert extract.frame["received_on"].dtype == "datetime64[ns]"
    assert extract.report.rows_read == 0


# --------------------------------------------------------------------------------------------
# Errors: a clear Chinese message naming the file, never a raw parser exception
# --------------------------------------------------------------------------------------------

def test_missing_file():
    with pytest.raises(ExtractNotFoundError, match="文件不存在") as info:
        load_extract(FILES / "没有这个文件.xlsx")
    assert isinstance(info.value, FileNotFoundError)
    assert "没有这个文件.xlsx" in str(info.value)


@pytest.mark.parametrize("name", ["not_a_workbook.xlsx", "pdf_renamed.xlsx"])
def test_not_a_spreadsheet(name):
    with pytest.raises(ExtractError, match="不是有效的 Excel/CSV 文件") as info:
        load_extract(FILES / name)
    assert name in str(info.value)


@pytest.mark.parametrize("name, content", [("a.txt", b"hello"), ("a.pdf", b"%PDF-1.4"),
                                           ("a", b"x")])
def test_unsupported_extension(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ExtractError, match="不支持的文件类型"):
        load_extract(path)


def test_encrypted_workbook():
    with pytest.raises(ExtractError, match="密码保护，请先在 Excel 中取消密码后另存"):
        load_extract(FILES / "encrypted.xlsx")


def test_workbook_with_only_an_empty_sheet():
    with pytest.raises(ExtractError, match="工作表为空") as info:
        load_extract(FILES / "empty_sheet.xlsx")
    assert info.value.sheet == "Sheet1"


@pytest.mark.parametrize("content", [b"", b"\r\n\r\n", b"\xef\xbb\xbf", b",,,\r\n,,\r\n"])
def test_empty_csv(tmp_path, content):
    path = tmp_path / "a.csv"
    path.write_bytes(content)
    with pytest.raises(ExtractError, match="为空"):
        load_extract(path)


def test_workbook_named_csv_is_read_by_content(tmp_path, messy):
    path = tmp_path / "a.csv"
    path.write_bytes(MESSY.read_bytes())
    assert_same_extract(messy, load_extract(path))


def test_nul_bytes_in_a_csv_are_not_text(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes("信访件编号,收到日期\n001,2026-10-08\x00\n".encode())
    with pytest.raises(ExtractError, match="不是有效的 Excel/CSV 文件"):
        load_extract(path)


def test_no_recognisable_header_lists_what_was_found():
    with pytest.raises(HeaderNotFoundError) as info:
        load_extract(FILES / "no_header.xlsx")
    assert info.value.found == ["姓名", "年龄", "住址"]
    assert "信访件编号" in str(info.value)


def test_corrupt_zip_is_wrapped(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(MESSY.read_bytes()[:2000])
    with pytest.raises(ExtractError) as info:
        load_extract(path)
    assert "broken.xlsx" in str(info.value)


@pytest.mark.parametrize("name", ["ledger.xls", "ledger.xlsm", "LEDGER.XLSX"])
def test_workbook_is_read_by_content_whatever_the_excel_extension(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(SHEETS.read_bytes())
    extract = load_extract(str(path))
    assert extract.report.file_format == "xlsx"
    assert len(extract.frame) == 3


def test_xls_renamed_xlsx_is_read_by_content(tmp_path, messy):
    path = tmp_path / "ledger.xlsx"
    path.write_bytes((FILES / "ledger_messy.xls").read_bytes())
    extract = load_extract(path)
    assert extract.report.file_format == "xls"
    assert_same_extract(messy, extract)


# --------------------------------------------------------------------------------------------
# Small generated workbooks for single behaviours
# --------------------------------------------------------------------------------------------

def write_xlsx(path: Path, rows: list[list] | None = None, **sheets: list[list]) -> Path:
    """A workbook with one sheet 台账 (``rows``) or the named ``sheets``."""
    sheets = sheets or {"台账": rows}
    with pd.ExcelWriter(path, engine="xlsxwriter") as writer:
        for name, table in sheets.items():
            width = max(map(len, table))
            table = [row + [None] * (width - len(row)) for row in table]
            pd.DataFrame(table).to_excel(writer, sheet_name=name, header=False, index=False)
    return path


def test_sheet_with_a_usable_header_beats_one_naming_more_fields(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx",
                      统计=[["信访形式", "内容分类", "人数"], ["来信", "教育", 3]],
                      台账=[["信访件编号", "收到日期"], ["001", "2026-10-08"]])
    assert load_extract(path).report.sheet == "台账"


def test_header_row_with_a_key_field_beats_a_wider_row_without(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", [
        ["信访形式", "内容分类", "人数"],
        ["信访件编号", "收到日期"],
        ["001", "2026-10-08"]])
    extract = load_extract(path)
    assert extract.report.header_row == 2
    assert extract.frame["case_id"].tolist() == ["001"]


def test_header_with_required_markers_and_full_width_forms(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", [
        ["*信访件编号", "收到日期：", "责任单位★", "人数"],
        ["001", "2026-10-08", "测试镇", "１５"]])
    extract = load_extract(path)
    assert set(extract.fields_present) == {"case_id", "received_on", "handling_unit",
                                           "people_count"}
    assert extract.frame["people_count"].iloc[0] == 15


def test_header_with_one_field_only_is_not_a_ledger(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", [["信访件编号", "备注"], ["001", "x"]])
    with pytest.raises(HeaderNotFoundError):
        load_extract(path)


def test_two_fields_without_a_key_field_is_not_a_ledger(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", [["信访形式", "内容分类"], ["来信", "教育"]])
    with pytest.raises(HeaderNotFoundError):
        load_extract(path)


def test_footer_rule_keeps_rows_with_a_key_field_or_many_cells(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", [
        ["信访件编号", "收到日期", "责任单位", "内容分类", "主要诉求"],
        [None, None, "测试镇", None, None],           # key field: kept
        [None, None, None, "教育", "学位"],             # two cells, no key: rejected
        [None, None, None, "教育", "学位", "备注"],     # three cells: kept
    ])
    extract = load_extract(path)
    assert extract.frame[SOURCE_ROW].tolist() == [2, 4]
    assert extract.report.rejected["source_row"].tolist() == [3]


def test_footer_in_the_id_column_is_rejected(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", [
        ["信访件编号", "收到日期", "责任单位", "人数"],
        ["001", "2026-10-08", "测试镇", 1],
        ["合计", None, None, 1],
        ["合计本月新收", "2026-10-31", "测试镇", 1],     # three cells: kept, as written
    ])
    extract = load_extract(path)
    assert extract.report.rejected.to_dict("records") == [
        {"source_row": 3, "reason": REASON_NOT_A_RECORD}]
    assert extract.frame[SOURCE_ROW].tolist() == [2, 4]


def test_real_date_and_datetime_cells(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", [
        ["信访件编号", "收到日期", "责任单位"],
        ["001", dt.datetime(2026, 10, 8, 23, 59), "测试镇"],
        ["002", dt.date(2026, 10, 9), "测试镇"],
    ])
    extract = load_extract(path)
    assert extract.frame["received_on"].tolist() == [day("2026-10-08"), day("2026-10-09")]
    assert extract.report.unreadable.empty


# --------------------------------------------------------------------------------------------
# Legacy .xls and the fallback readers
# --------------------------------------------------------------------------------------------

def assert_same_extract(a, b) -> None:
    pd.testing.assert_frame_equal(a.frame, b.frame)
    pd.testing.assert_frame_equal(a.report.unreadable.drop(columns="file"),
                                  b.report.unreadable.drop(columns="file"))
    pd.testing.assert_frame_equal(a.report.rejected, b.report.rejected)
    assert a.report.mapping == b.report.mapping
    assert a.report.unknown_columns == b.report.unknown_columns


def test_xls_reads_like_xlsx(messy):
    extract = load_extract(FILES / "ledger_messy.xls")
    assert extract.report.file_format == "xls"
    assert_same_extract(messy, extract)


class _FailingCalamine:
    """Stands in for python_calamine: opening a workbook fails with calamine's own error."""

    from python_calamine import CalamineError

    class CalamineWorkbook:
        @classmethod
        def from_filelike(cls, handle):
            raise _FailingCalamine.CalamineError("calamine cannot read this file")


from python_calamine import XmlError as _XmlError  # noqa: E402


class _CalamineFailingOnRead:
    """Opens the real workbook but fails when reading a sheet."""

    def __init__(self, real):
        self.SheetTypeEnum, self.SheetVisibleEnum = real.SheetTypeEnum, real.SheetVisibleEnum
        self.CalamineError = real.CalamineError
        outer = self

        class CalamineWorkbook:
            @classmethod
            def from_filelike(cls, handle):
                book = real.CalamineWorkbook.from_filelike(handle)
                return outer._Wrapped(book)

        self.CalamineWorkbook = CalamineWorkbook

    class _Wrapped:
        def __init__(self, book):
            self.sheets_metadata = book.sheets_metadata

        def get_sheet_by_name(self, name):
            raise _XmlError("broken sheet")


@pytest.mark.parametrize("name", ["ledger_messy.xlsx", "ledger_messy.xls"])
def test_falls_back_to_openpyxl_or_xlrd_when_calamine_cannot_open(monkeypatch, messy, name):
    monkeypatch.setitem(sys.modules, "python_calamine", _FailingCalamine)
    assert_same_extract(messy, load_extract(FILES / name))


def test_falls_back_when_calamine_cannot_read_a_sheet(monkeypatch, messy):
    import python_calamine

    monkeypatch.setitem(sys.modules, "python_calamine", _CalamineFailingOnRead(python_calamine))
    assert_same_extract(messy, load_extract(MESSY))


# --------------------------------------------------------------------------------------------
# CSV read column-wise (pyarrow, else pandas' C parser): the same extract as the reference
# reader (Python's csv module, row by row), which still decides anything unusual
# --------------------------------------------------------------------------------------------

CSV_HEADERS = ["信访件编号", "收到日期", "责任单位", "主要诉求", "人数", "办结日期", "是否越级",
               "信访形式"]
CSV_CELLS = ["001", "0002", "XF1", "2026-10-08", "2026/10/8", "20261008", "46303", "待定",
             "测试镇", "反映,问题", "多行\n内容", "多行\r\n内容", "回车\r内容", '含"引号', " 空格 ",
             "", "", "  ", "合计", "制表人：张三", "是", "否", "3", "3天", "=SUM(A1)",
             "信访件编号", "收到日期", "\u3000全角", "a\tb", "x;y"]


def messy_csv(seed: int) -> bytes:
    """A random CSV ledger: title lines, multi-line quoted cells, CR/LF/CRLF line ends, blank
    and comma-only rows, repeated headers, footers, short and long rows, trailing blank
    lines, UTF-8 (BOM or not) or GB18030, comma/tab/semicolon."""
    rng = random.Random(seed)
    delim = rng.choice([",", ",", "\t", ";"])
    eol = rng.choice(["\n", "\r\n", "\r"])
    width = rng.randint(3, len(CSV_HEADERS))
    header = rng.sample(CSV_HEADERS, width)

    def quoted(text: str) -> str:
        if any(ch in text for ch in (delim, '"', "\n", "\r")) or rng.random() < 0.1:
            return '"' + text.replace('"', '""') + '"'
        return text

    lines = [rng.choice(["某县信访事项台账", "", "说明" + delim * width])
             for _ in range(rng.choice([0, 1, 2]))] + [delim.join(header)]
    for _ in range(rng.choice([0, 3, 40, 120])):
        kind = rng.random()
        if kind < 0.05:
            lines.append("")
        elif kind < 0.08:
            lines.append(delim * (width - 1))
        elif kind < 0.10:
            lines.append(delim.join(header))
        elif kind < 0.12:
            lines.append(delim.join(["合计", str(rng.randint(1, 99))]))
        else:
            cells = width + rng.choice([0] * 30 + [-1, 1])
            lines.append(delim.join(quoted(rng.choice(CSV_CELLS)) for _ in range(cells)))
    lines += [""] * rng.choice([0, 1, 3])
    text = eol.join(lines) + rng.choice([eol, ""])
    return text.encode(rng.choice(["utf-8", "utf-8-sig", "gb18030"]))


def load_csv_as(monkeypatch, path: Path, way: str):
    """Load with one reading strategy; an XfauditError is returned as (type, message)."""
    with monkeypatch.context() as m:
        if way == "reference":
            m.setattr(csvread, "read_body", lambda *args: None)
        elif way == "pandas":                       # as without pyarrow
            m.setattr(csvread, "_columns_arrow", lambda *args: None)
        elif way == "small-prefix":                 # the top of the file read in many steps
            m.setattr(csvread, "CSV_PREFIX", 24)
        try:
            return load_extract(path)
        except XfauditError as exc:
            return type(exc).__name__, str(exc)


def column_wise(path: Path):
    """The column-wise parse of a CSV file's body (None: left to the reference reader)."""
    data = path.read_bytes()
    encoding = sniff.text_encoding(path, data)
    head = csvread.read_head(path, data, encoding, HEADER_SCAN_ROWS)
    header = find_header(head.grid, header_lookup())
    return csvread.read_body(data, head, header.index, len(header.texts))


def assert_same_load(a, b) -> None:
    if isinstance(a, tuple) or isinstance(b, tuple):
        assert a == b
        return
    pd.testing.assert_frame_equal(a.frame, b.frame, check_exact=True)
    for name, value in vars(a.report).items():
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(value, getattr(b.report, name), check_exact=True)
        else:
            assert value == getattr(b.report, name), name


@pytest.mark.parametrize("seed", range(40))
def test_csv_column_wise_equals_reference_reader(tmp_path, monkeypatch, seed):
    path = tmp_path / "a.csv"
    path.write_bytes(messy_csv(seed))
    reference = load_csv_as(monkeypatch, path, "reference")
    for way in ("default", "pandas", "small-prefix"):
        assert_same_load(reference, load_csv_as(monkeypatch, path, way))


def test_csv_column_wise_source_rows_count_lines_inside_cells(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes("标题\r\n信访件编号,收到日期,责任单位,主要诉求\r\n"
                     '001,2026-10-08,测试镇,"第一行\r\n第二行"\r\n'
                     "\r\n"
                     '002,2026-10-09,测试镇,"甲\n乙\r丙"\r\n'
                     "003,2026-10-10,测试镇,无\r\n\r\n".encode("utf-8"))
    assert column_wise(path) is not None
    extract = load_extract(path)
    assert extract.frame[SOURCE_ROW].tolist() == [3, 6, 9]
    assert extract.frame["summary"].tolist() == ["第一行\r\n第二行", "甲\n乙\r丙", "无"]
    assert (extract.report.header_row, extract.report.empty_rows) == (2, 1)


def test_csv_column_wise_keeps_leading_zeros_and_text(tmp_path):
    rows = "".join(f"{i:06d},2026-10-08,测试镇,=A{i}\n" for i in range(100))
    path = tmp_path / "a.csv"
    path.write_bytes(("信访件编号,收到日期,责任单位,主要诉求\n" + rows).encode("gb18030"))
    assert column_wise(path) is not None
    extract = load_extract(path)
    assert extract.report.encoding == "gb18030"
    assert extract.frame["case_id"].iloc[7] == "000007"
    assert extract.frame["summary"].iloc[7] == "=A7"


@pytest.mark.parametrize("tail, reason", [
    ("999,2026-10-08,测试镇,多,出,两格\n", "a row longer than the top rows"),
    ("999," + "x" * 200_000 + ",测试镇,长\n", "a cell over the csv module's field limit"),
    ('999,2026-10-08,测试镇,"没有结束的引号\n', "an unterminated quote"),
])
def test_csv_unusual_body_is_left_to_the_reference_reader(tmp_path, monkeypatch, tail, reason):
    monkeypatch.setattr(csvread, "CSV_PREFIX", 256)      # the tail lies below the top rows
    rows = "".join(f"{i:03d},2026-10-08,测试镇,无\n" for i in range(HEADER_SCAN_ROWS + 200))
    path = tmp_path / "a.csv"
    path.write_bytes(("信访件编号,收到日期,责任单位,主要诉求\n" + rows + tail + rows).encode())
    assert column_wise(path) is None, reason
    assert_same_load(load_csv_as(monkeypatch, path, "reference"),
                     load_csv_as(monkeypatch, path, "default"))
