"""findings.xlsx: the findings workbook an inspector filters and prints.

Sheets: 汇总 (per check: status, counts; row accounting; checks not evaluated), 按单位汇总
(units × checks), then one sheet per check and one per unit with findings. Chinese headers,
frozen header row, autofilter, column widths, dates as real dates. Every text cell is written
as text (``strings_to_formulas`` off): a summary such as ``=HYPERLINK(...)`` stays text.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

from xfaudit.model import FINDING_COLUMNS, FINDING_HEADERS
from xfaudit.schema import KIND_LABELS

#: Columns shown on the findings sheets, in order (all stable fields but the raw kind code).
SHEET_COLUMNS = [c for c in FINDING_COLUMNS if c != "profile"] + ["profile"]

#: Width (in characters) per column; text columns wrap at this width.
WIDTHS = {"case_id": 18, "check_id": 22, "check_name": 16, "kind": 12, "severity": 9,
          "handling_unit": 20, "category": 12, "summary": 40, "start_on": 12, "last_day": 12,
          "actual_on": 12, "days_late": 9, "is_open": 9, "citation": 30, "profile": 15,
          "source_row": 9, "detail": 36, "waived": 8, "waiver_reason": 24}

_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False,
                    "strings_to_numbers": False, "nan_inf_to_errors": True}


class _Formats:
    def __init__(self, book: xlsxwriter.Workbook):
        font = {"font_name": "等线", "font_size": 10}
        self.header = book.add_format({**font, "bold": True, "bg_color": "#DDEBF7",
                                       "border": 1, "text_wrap": True, "valign": "vcenter"})
        self.text = book.add_format({**font, "valign": "top"})
        self.wrap = book.add_format({**font, "text_wrap": True, "valign": "top"})
        self.date = book.add_format({**font, "num_format": "yyyy-mm-dd", "valign": "top"})
        self.int = book.add_format({**font, "num_format": "0", "valign": "top"})
        self.title = book.add_format({"font_name": "等线", "font_size": 14, "bold": True})
        self.note = book.add_format({**font, "italic": True, "font_color": "#555555"})


def sheet_name(name: str, taken: set[str]) -> str:
    """An Excel-valid, unique sheet name (≤31 characters, no []:*?/\\)."""
    base = _BAD_SHEET_CHARS.sub("_", str(name) or "未命名")[:31]
    candidate, n = base, 2
    while candidate in taken:
        suffix = f"({n})"
        candidate, n = base[:31 - len(suffix)] + suffix, n + 1
    taken.add(candidate)
    return candidate


def _display(findings: pd.DataFrame) -> pd.DataFrame:
    """Findings with Chinese values for codes and booleans (a view, no rule recomputed)."""
    shown = findings[SHEET_COLUMNS].copy()
    shown["kind"] = shown["kind"].map(KIND_LABELS)
    for column in ("is_open", "waived"):
        shown[column] = np.where(shown[column].astype(bool), "是", "否")
    return shown


def _write_column(sheet, col: int, values: pd.Series, formats: _Formats, name: str) -> None:
    if name in ("start_on", "last_day", "actual_on"):
        cells = [None if pd.isna(v) else v.to_pydatetime() for v in values]
        fmt = formats.date
    elif name in ("days_late", "source_row"):
        cells = [None if pd.isna(v) else int(v) for v in values]
        fmt = formats.int
    else:
        cells = [None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
                 for v in values]
        fmt = formats.wrap if name in ("summary", "detail", "citation") else formats.text
    for row, value in enumerate(cells, start=1):
        if value is None:
            continue
        if isinstance(value, str):
            sheet.write_string(row, col, value, fmt)
        elif fmt is formats.date:
            sheet.write_datetime(row, col, value, fmt)
        else:
            sheet.write_number(row, col, value, fmt)


def write_table(book, formats: _Formats, name: str, table: pd.DataFrame,
                headers: dict[str, str], widths: dict[str, int] | None = None):
    """One sheet: header row (frozen, autofilter), typed cells, column widths."""
    sheet = book.add_worksheet(name)
    for col, column in enumerate(table.columns):
        sheet.write_string(0, col, headers.get(column, str(column)), formats.header)
        sheet.set_column(col, col, (widths or {}).get(column, 14))
        _write_column(sheet, col, table[column], formats, column)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(table), 1), max(len(table.columns) - 1, 0))
    return sheet


def _summary_sheet(book, formats: _Formats, result, name: str) -> None:
    s = result.summary
    sheet = book.add_worksheet(name)
    sheet.write_string(0, 0, f"信访事项办理情况审计汇总（审计日 {s['as_of']}）", formats.title)
    sheet.write_string(1, 0, f"适用规则：{s['profile']['title']}", formats.note)
    rows = s["rows"]
    sheet.write_string(2, 0, (f"读取 {rows['read']} 行，审计 {rows['audited']} 行，剔除 "
                              f"{rows['rejected']} 行，空行 {rows['empty']} 行，无法识别的单元格 "
                              f"{rows['unreadable_cells']} 个"), formats.note)
    table = pd.DataFrame(s["checks"])[["check_id", "name", "kind_label", "severity", "status",
                                       "findings", "open", "waived"]]
    headers = ["检查项编号", "问题类型", "问题性质", "严重程度", "评估状态", "问题数", "仍未办",
               "已豁免"]
    widths = [24, 20, 14, 10, 36, 10, 10, 10]
    top = 4
    for col, (header, width) in enumerate(zip(headers, widths)):
        sheet.write_string(top, col, header, formats.header)
        sheet.set_column(col, col, width)
    for r, record in enumerate(table.itertuples(index=False), start=top + 1):
        for col, value in enumerate(record):
            if isinstance(value, (int, np.integer)):
                sheet.write_number(r, col, int(value), formats.int)
            else:
                sheet.write_string(r, col, str(value), formats.text)
    sheet.freeze_panes(top + 1, 0)
    sheet.autofilter(top, 0, top + len(table), len(headers) - 1)
    below = top + len(table) + 2
    for i, item in enumerate(s["not_evaluated"]):
        sheet.write_string(below + i, 0, "未评估：" + item["text"], formats.note)


def _unit_matrix(findings: pd.DataFrame) -> pd.DataFrame:
    if findings.empty:
        return pd.DataFrame({"handling_unit": [], "合计": []})
    matrix = pd.crosstab(findings["handling_unit"].fillna("（未填写单位）"),
                         findings["check_name"])
    matrix["合计"] = matrix.sum(axis=1)
    return matrix.sort_values("合计", ascending=False).reset_index()


def write(result, path: str | Path, *, by_check: bool = True, by_unit: bool = True) -> Path:
    """Write the findings workbook of an audit result.

    Parameters
    ----------
    result : AuditResult
    path : path of the .xlsx to write
    by_check, by_unit : bool
        Add one sheet per check / per handling unit.
    """
    path = Path(path)
    findings = result.findings
    shown = _display(findings)
    with xlsxwriter.Workbook(path, WORKBOOK_OPTIONS) as book:
        book.set_properties({"title": "信访事项办理情况审计问题清单", "author": "xfaudit",
                             "created": pd.Timestamp(result.as_of).to_pydatetime()})
        formats = _Formats(book)
        taken: set[str] = set()
        _summary_sheet(book, formats, result, sheet_name("汇总", taken))
        matrix = _unit_matrix(findings)
        write_table(book, formats, sheet_name("按单位汇总", taken), matrix,
                    {"handling_unit": "责任单位"}, {"handling_unit": 24})
        write_table(book, formats, sheet_name("全部问题", taken), shown, FINDING_HEADERS, WIDTHS)
        if by_check:
            for name, part in shown.groupby("check_name", sort=False):
                write_table(book, formats, sheet_name(name, taken), part, FINDING_HEADERS,
                            WIDTHS)
        if by_unit:
            for unit, part in shown.groupby(shown["handling_unit"].fillna("（未填写单位）"),
                                            sort=True):
                write_table(book, formats, sheet_name(unit, taken), part, FINDING_HEADERS,
                            WIDTHS)
    return path
