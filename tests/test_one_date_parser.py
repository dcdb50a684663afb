"""One date parser: the ledger, Extract.from_frame, both registers and holiday files agree.

The same table of cells goes through every reader. Each reader must give the same day, or call
the cell unreadable — never crash, never guess — and where a file is involved the error names
the file, the sheet (workbooks), the row and the column.

Expected days are worked out by hand: Excel serial 46346 is 2026-11-20 (serial 46023 is
2026-01-01 — 45658 = 2025-01-01 plus 365 — and 20 November is day 323 of 2026:
31+28+31+30+31+30+31+31+30+31 = 304 days to 31 October, plus 19).
"""

from __future__ import annotations

import csv
import datetime as dt

import openpyxl
import pandas as pd
import pytest
import xlsxwriter

from xfaudit.calendar import read_holiday_file
from xfaudit.dates import DateWindow
from xfaudit.errors import CalendarError, RegisterError
from xfaudit.followup import DOC_COLUMNS, DOC_SHEET, REC_COLUMNS, REC_SHEET, read_followup
from xfaudit.load import load_extract
from xfaudit.model import Extract
from xfaudit.waivers import COLUMNS as WAIVER_COLUMNS
from xfaudit.waivers import SHEET as WAIVER_SHEET
from xfaudit.waivers import WaiverRegister, read_register

DAY = pd.Timestamp("2026-11-20")
AS_OF = "2026-10-31"            # the ledger's window: 1990-01-01 … 2027-11-01

# (label, cell as a workbook holds it, the same cell as CSV text, readable?)
CELLS = [
    ("real date", dt.datetime(2026, 11, 20), "2026-11-20", True),
    ("real date-time", dt.datetime(2026, 11, 20, 8, 30), "2026-11-20 08:30:00", True),
    ("serial number", 46346, "46346", True),
    ("serial as text", "46346", "46346", True),
    ("ISO", "2026-11-20", "2026-11-20", True),
    ("slashes", "2026/11/20", "2026/11/20", True),
    ("dots", "2026.11.20", "2026.11.20", True),
    ("年月日", "2026年11月20日", "2026年11月20日", True),
    ("号", "2026年11月20号", "2026年11月20号", True),
    ("compact", "20261120", "20261120", True),
    ("date-time text", "2026-11-20 08:30", "2026-11-20 08:30", True),
    ("time zone", "2026-11-20T08:30:00Z", "2026-11-20T08:30:00Z", True),
    ("time zone +08", "2026-11-20T23:30:00+08:00", "2026-11-20T23:30:00+08:00", True),
    ("month name", "Nov", "Nov", False),
    ("month name and day", "Dec 1", "Dec 1", False),
    ("no year", "10月28日", "10月28日", False),
    ("year alone", "2026年", "2026年", False),
    ("year number alone", "2026", "2026", False),       # Excel serial 2026 = 1905-07-18
    ("month alone", "2026-11", "2026-11", False),
    ("ambiguous day/month", "1/2/2026", "1/2/2026", False),
    ("US order", "11/20/2026", "11/20/2026", False),
    ("typo year", "2206-11-20", "2206-11-20", False),
    ("Excel error", "#N/A", "#N/A", False),
]
IDS = [c[0] for c in CELLS]
READABLE = {c[0] for c in CELLS if c[3]}


def _write_sheet(book: xlsxwriter.Workbook, name: str, headers: list[str], rows: list[list]
                 ) -> None:
    """One sheet with typed cells: dates as dates, numbers as numbers, text as text."""
    sheet = book.add_worksheet(name)
    date_format = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for col, header in enumerate(headers):
        sheet.write_string(0, col, header)
    for r, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, dt.datetime):
                sheet.write_datetime(r, col, value, date_format)
            elif isinstance(value, int | float):
                sheet.write_number(r, col, value)
            else:
                sheet.write_string(r, col, str(value))


def _cells(labels):
    return [c for c in CELLS if c[0] in labels]


# ---------------------------------------------------------------------------------------------
# Reader by reader. Each returns {label: day or None} and {label: where/what it said}.
# ---------------------------------------------------------------------------------------------

def _ledger_xlsx(tmp_path, cells):
    path = tmp_path / "台账.xlsx"
    book = xlsxwriter.Workbook(path)
    _write_sheet(book, "台账", ["信访件编号", "责任单位", "收到日期"],
                 [[f"XF{i:03d}", "城关镇", cell] for i, (_, cell, _, _) in enumerate(cells)])
    book.close()
    return _ledger(path, cells)


def _ledger_csv(tmp_path, cells):
    path = tmp_path / "台账.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["信访件编号", "责任单位", "收到日期"])
        writer.writerows([f"XF{i:03d}", "城关镇", text] for i, (_, _, text, _) in enumerate(cells))
    return _ledger(path, cells)


def _ledger(path, cells):
    extract = load_extract(path, date_window=DateWindow.around(AS_OF))
    frame = extract.frame.set_index("source_row")
    days = {label: _day(frame.loc[i + 2, "received_on"]) for i, (label, *_) in enumerate(cells)}
    said = {}
    for row in extract.report.unreadable.itertuples(index=False):
        label = cells[row.source_row - 2][0]
        said[label] = (f"{path.name} {extract.report.sheet} "
                       f"第{row.source_row}行「{row.header}」：{row.raw}")
    return days, said


def _from_frame(_tmp_path, cells):
    frame = pd.DataFrame({"case_id": [f"XF{i:03d}" for i in range(len(cells))],
                          "received_on": pd.Series([c[1] for c in cells], dtype=object)})
    extract = Extract.from_frame(frame, window=DateWindow.around(AS_OF))
    days = {label: _day(day) for (label, *_), day in zip(cells, extract.frame["received_on"])}
    said = {cells[row.source_row - 2][0]: f"第{row.source_row}行「{row.header}」：{row.raw}"
            for row in extract.report.unreadable.itertuples(index=False)}
    return days, said


def _waiver_rows(cells):
    return [["XF001", "HANDLING_OVERDUE", "鉴定期间不计入", "张三", cell, None, None]
            for _, cell, _, _ in cells]


def _waivers(tmp_path, cells):
    headers = [c.header for c in WAIVER_COLUMNS]

    def read(name, chosen):
        path = tmp_path / name
        book = xlsxwriter.Workbook(path)
        _write_sheet(book, WAIVER_SHEET, headers, _waiver_rows(chosen))
        book.close()
        return read_register(path).frame["approved_on"]

    return _register_days(read, cells, "正当理由登记", "批准日期")


def _followup(tmp_path, cells):
    def read(name, chosen):
        path = tmp_path / name
        book = xlsxwriter.Workbook(path)
        headers = [c.header for c in REC_COLUMNS]
        column = headers.index("反馈日期")
        rows = []
        for i, (_, cell, _, _) in enumerate(chosen):
            row = [None] * len(headers)
            row[:3] = [f"2026-10-GJ-{i + 1:03d}", "2026-10", "督办及改进工作建议函"]
            row[column] = cell
            rows.append(row)
        _write_sheet(book, REC_SHEET, headers, rows)
        _write_sheet(book, DOC_SHEET, [c.header for c in DOC_COLUMNS], [])
        book.close()
        return read_followup(path).recommendations["feedback_on"]

    return _register_days(read, cells, "建议台账", "反馈日期")


def _register_days(read, cells, sheet, header):
    """Read all cells (the error lists the unreadable ones), then the readable ones alone."""
    said = {}
    try:
        read("all.xlsx", cells)
    except RegisterError as exc:
        text = str(exc)
        assert text.startswith(f"登记表 all.xlsx 工作表「{sheet}」")
        for row, column, reason in exc.problems:
            label = cells[row - 2][0]
            assert column == header
            said[label] = f"all.xlsx {sheet} 第{row}行「{column}」：{reason}"
            assert f"第{row}行「{header}」列：{reason}" in text
    readable = [c for c in cells if c[0] not in said]
    days = dict.fromkeys(said)
    if readable:
        days.update({label: _day(day)
                     for (label, *_), day in zip(readable, read("readable.xlsx", readable))})
    return days, said


def _holidays(tmp_path, cells):
    """Holiday files stop at the first bad line: one file per cell."""
    days, said = {}, {}
    for i, (label, _, text, _) in enumerate(cells):
        path = tmp_path / f"节假日{i}.csv"
        # the date second: a line whose first cell starts with # (as "#N/A" does) is a comment
        path.write_text(f"类型,日期,名称\n休息,{text},测试\n", encoding="utf-8")
        try:
            days[label] = pd.Timestamp(read_holiday_file(path).entries[0].date)
        except CalendarError as exc:
            days[label] = None
            said[label] = str(exc)
            assert str(exc).startswith(f"节假日文件 {path.name} 有误：第2行：日期「")
    return days, said


def _day(value):
    return None if pd.isna(value) else pd.Timestamp(value)


READERS = {"ledger (xlsx)": _ledger_xlsx, "ledger (csv)": _ledger_csv,
           "Extract.from_frame": _from_frame, "waiver register": _waivers,
           "follow-up register": _followup, "holiday file": _holidays}


@pytest.mark.parametrize("reader", READERS)
def test_every_reader_reads_the_table_alike(tmp_path, reader):
    days, said = READERS[reader](tmp_path, CELLS)
    expected = {label: (DAY if readable else None) for label, _, _, readable in CELLS}
    assert days == expected
    assert set(said) == set(expected) - READABLE
    for label, _, text, _ in CELLS:
        if label not in READABLE:
            assert text in said[label], (label, said[label])


@pytest.mark.parametrize("reader", ["ledger (xlsx)", "Extract.from_frame", "waiver register",
                                    "follow-up register"])
def test_errors_name_sheet_row_and_column(tmp_path, reader):
    _, said = READERS[reader](tmp_path, CELLS)
    row = IDS.index("no year") + 2                  # header on row 1, first cell on row 2
    header = "收到日期" if reader.startswith(("ledger", "Extract")) else (
        "批准日期" if reader == "waiver register" else "反馈日期")
    assert f"第{row}行「{header}」" in said["no year"]
    if reader != "Extract.from_frame":
        assert any(sheet in said["no year"] for sheet in ("台账", "正当理由登记", "建议台账"))


def test_a_register_date_error_reads_as_the_inspector_needs():
    # the follow-up register of newcomer-trial §2.8: 反馈日期 typed as 10月28日 on row 4
    cells = [CELLS[IDS.index("ISO")], CELLS[IDS.index("ISO")], CELLS[IDS.index("no year")]]
    with pytest.raises(RegisterError) as caught:
        WaiverRegister.from_frame(pd.DataFrame({
            "case_id": ["A", "B", "C"], "check_id": ["HANDLING_OVERDUE"] * 3,
            "reason": ["r"] * 3, "approved_by": ["p"] * 3,
            "approved_on": [c[1] for c in cells]}))
    assert caught.value.problems == [
        (4, "批准日期", "无法识别的日期“10月28日”（请写成 2026-10-28 这样含年月日的日期）")]


def test_a_register_edited_in_excel_keeps_working(tmp_path):
    """The newcomer's edit: 反馈日期 typed as text 2026.10.25 and as 10月28日 (one error)."""
    book = xlsxwriter.Workbook(tmp_path / "r.xlsx")
    headers = [c.header for c in REC_COLUMNS]
    rows = []
    for i, cell in enumerate(["2026.10.25", "10月28日"]):
        row = [None] * len(headers)
        row[:3] = [f"2026-09-GJ-00{i + 1}", "2026-09", "督办及改进工作建议函"]
        row[headers.index("反馈日期")] = cell
        rows.append(row)
    _write_sheet(book, REC_SHEET, headers, rows)
    _write_sheet(book, DOC_SHEET, [c.header for c in DOC_COLUMNS], [])
    book.close()
    with pytest.raises(RegisterError) as caught:
        read_followup(tmp_path / "r.xlsx")
    assert caught.value.problems == [
        (3, "反馈日期", "无法识别的日期“10月28日”（请写成 2026-10-28 这样含年月日的日期）")]
    sheet = openpyxl.load_workbook(tmp_path / "r.xlsx")
    sheet[REC_SHEET].cell(row=3, column=headers.index("反馈日期") + 1).value = "2026年10月28日"
    sheet.save(tmp_path / "r.xlsx")
    got = read_followup(tmp_path / "r.xlsx").recommendations["feedback_on"]
    assert list(got) == [pd.Timestamp("2026-10-25"), pd.Timestamp("2026-10-28")]
