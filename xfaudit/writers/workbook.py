"""findings.xlsx: the findings workbook an inspector filters and prints.

Sheets: 汇总 (per check: status, counts; row accounting; checks not evaluated), 按单位汇总
(units × checks), 全部问题, then one sheet per check and one per unit with findings. Chinese
headers, frozen header row, autofilter, column widths, dates as real dates, counts as numbers.

A worksheet holds 1,048,576 rows. A findings sheet with more than :data:`SHEET_ROWS` findings
continues on further sheets (``全部问题``, ``全部问题(2)`` …), each saying which part it is; an
engine that does not hold every finding in memory writes the summary sheets only and says, on
汇总, where the findings are (``left_out``).
Every text cell is written as text: a summary such as ``=HYPERLINK(...)`` stays text. The sheets
are written by :mod:`xfaudit.writers.fastxlsx` (tens of thousands of findings in seconds).
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from xfaudit.model import FINDING_COLUMNS, FINDING_HEADERS
from xfaudit.schema import KIND_LABELS
from xfaudit.writers import fastxlsx
from xfaudit.writers.safe import one_line

#: Columns shown on the findings sheets, in order (all stable fields but the raw kind code).
SHEET_COLUMNS = [c for c in FINDING_COLUMNS if c != "profile"] + ["profile"]

#: Width (in characters) per column; text columns wrap at this width.
WIDTHS = {"case_id": 18, "check_id": 22, "check_name": 16, "kind": 12, "severity": 9,
          "handling_unit": 20, "category": 12, "summary": 40, "start_on": 12, "last_day": 12,
          "actual_on": 12, "days_late": 9, "is_open": 9, "citation": 30, "profile": 15,
          "source_row": 9, "detail": 36, "waived": 8, "waiver_reason": 24}

#: Cell kind (see :data:`xfaudit.writers.fastxlsx.KINDS`) per findings column; others ``text``.
KINDS = {"start_on": "date", "last_day": "date", "actual_on": "date", "days_late": "int",
         "source_row": "int", "summary": "wrap", "detail": "wrap", "citation": "wrap"}

#: xlsxwriter options that keep text as text, for workbooks written cell by cell
#: (:mod:`xfaudit.registers`).
WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False,
                    "strings_to_numbers": False, "nan_inf_to_errors": True}

_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_FONT = {"font_name": "等线", "font_size": 10}
_TITLE = {"font_size": 14, "bold": True}
_NOTE = {"italic": True, "font_color": "#555555"}
_BANNER = {"font_size": 12, "bold": True, "font_color": "#C00000", "align": "center",
           "valign": "vcenter"}
_NO_UNIT = "（未填写单位）"

#: Findings per sheet: a worksheet's rows less the header, a part note and a marking banner.
SHEET_ROWS = fastxlsx.MAX_ROWS - 3


def sheet_name(name: str, taken: set[str]) -> str:
    """An Excel-valid, unique sheet name (≤31 characters, no []:*?/\\ and no control
    characters, which would make the workbook's XML invalid)."""
    base = _BAD_SHEET_CHARS.sub("_", one_line(name).strip()).strip("'")[:31] or "未命名"
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


def _column(name, header: str, width: float, kind: str) -> fastxlsx.Column:
    style = {"valign": "top", **({"num_format": "0"} if kind == "int" else {})}
    return fastxlsx.Column(name, header, kind, width, style)


def table_sheet(name: str, table: pd.DataFrame, headers: dict[str, str],
                widths: dict[str, float] | None = None, kinds: dict[str, str] | None = None,
                rows: np.ndarray | None = None) -> fastxlsx.Sheet:
    """One table sheet: header row (frozen, autofilter), typed cells, column widths.

    Parameters
    ----------
    name : str
        Sheet name (make it valid and unique with :func:`sheet_name`).
    table : pandas.DataFrame
        Rows to write, every column in order.
    headers, widths, kinds : dict
        Per column: Chinese header (default: the column name), width (default 14), cell
        kind (default :data:`KINDS`, else ``text``).
    rows : array of int, optional
        Only these rows of ``table`` (positions); sheets cut from one table render it once.

    Returns
    -------
    xfaudit.writers.fastxlsx.Sheet
        To pass to :func:`xfaudit.writers.fastxlsx.write`.
    """
    kinds = {**KINDS, **(kinds or {})}
    columns = [_column(c, headers.get(c, str(c)), (widths or {}).get(c, 14),
                       kinds.get(c, "text")) for c in table.columns]
    return fastxlsx.Sheet(name, table, columns, header_style={"valign": "vcenter"}, rows=rows)


def _summary_sheet(result, name: str, left_out: str | None = None) -> fastxlsx.Sheet:
    """Title and notes, the per-check status table, then the checks not evaluated."""
    s, rows = result.summary, result.summary["rows"]
    above = [fastxlsx.Line(f"信访事项办理情况审计汇总（审计日 {s['as_of']}）", _TITLE),
             fastxlsx.Line(f"适用规则：{s['profile']['title']}", _NOTE),
             fastxlsx.Line(f"读取 {rows['read']} 行，审计 {rows['audited']} 行，剔除 "
                           f"{rows['rejected']} 行，空行 {rows['empty']} 行，无法识别的单元格 "
                           f"{rows['unreadable_cells']} 个", _NOTE),
             *([fastxlsx.Line(left_out, _BANNER | {"align": "left"})] if left_out else []),
             fastxlsx.Line()]
    below = [fastxlsx.Line()] + [fastxlsx.Line("未评估：" + item["text"], _NOTE)
                                 for item in s["not_evaluated"]]
    spec = [("check_id", "检查项编号", 24, "text"), ("name", "问题类型", 20, "text"),
            ("kind_label", "问题性质", 14, "text"), ("severity", "严重程度", 10, "text"),
            ("status", "评估状态", 36, "text"), ("findings", "问题数", 10, "int"),
            ("open", "仍未办", 10, "int"), ("waived", "已豁免", 10, "int")]
    table = pd.DataFrame(s["checks"], columns=[c[0] for c in spec])
    return fastxlsx.Sheet(name, table, [_column(*c) for c in spec], above=above, below=below,
                          header_style={"valign": "vcenter"})


def unit_counts(findings: pd.DataFrame) -> pd.DataFrame:
    """Findings per unit (rows) and check name (columns); :func:`unit_matrix` of the counts
    of several slices added together is the whole table's."""
    return pd.crosstab(findings["handling_unit"].fillna(_NO_UNIT), findings["check_name"])


def unit_matrix(counts: pd.DataFrame | None) -> pd.DataFrame:
    """The 按单位汇总 table: :func:`unit_counts`, a 合计 column, most findings first."""
    if counts is None or counts.empty:
        return pd.DataFrame({"handling_unit": [], "合计": []})
    matrix = counts.astype("int64")
    matrix["合计"] = matrix.sum(axis=1)
    return matrix.sort_values("合计", ascending=False).reset_index()


def _findings_sheets(name: str, shown: pd.DataFrame, taken: set[str],
                     rows: np.ndarray | None = None) -> list[fastxlsx.Sheet]:
    """One findings sheet, or several when they exceed :data:`SHEET_ROWS` rows."""
    positions = np.arange(len(shown)) if rows is None else np.asarray(rows)
    if len(positions) <= SHEET_ROWS:
        return [table_sheet(sheet_name(name, taken), shown, FINDING_HEADERS, WIDTHS, rows=rows)]
    starts = range(0, len(positions), SHEET_ROWS)
    sheets = []
    for k, start in enumerate(starts, start=1):
        part = positions[start:start + SHEET_ROWS]
        sheet = table_sheet(sheet_name(name, taken), shown, FINDING_HEADERS, WIDTHS, rows=part)
        note = (f"{one_line(name)}：第{k}部分，共{len(starts)}部分（第{start + 1:,}至"
                f"{start + len(part):,}条，共{len(positions):,}条；一个工作表最多容纳"
                f"{SHEET_ROWS:,}条）")
        sheets.append(replace(sheet, above=[fastxlsx.Line(note, _NOTE)]))
    return sheets


def _sheets(result, by_check: bool, by_unit: bool, left_out: str | None = None,
            counts: pd.DataFrame | None = None) -> list[fastxlsx.Sheet]:
    """Every sheet of the workbook, in tab order, with valid unique names."""
    findings, taken = result.findings, set()
    matrix = unit_matrix(counts if counts is not None else
                         None if findings.empty else unit_counts(findings))
    sheets = [_summary_sheet(result, sheet_name("汇总", taken), left_out),
              table_sheet(sheet_name("按单位汇总", taken), matrix, {"handling_unit": "责任单位"},
                          {"handling_unit": 24},
                          {c: "int" for c in matrix.columns if c != "handling_unit"})]
    if left_out:
        return sheets
    shown = _display(findings).reset_index(drop=True)    # index = position, for row cuts
    sheets += _findings_sheets("全部问题", shown, taken)
    if by_check:
        for name, part in shown.groupby("check_name", sort=False):
            sheets += _findings_sheets(name, shown, taken, part.index.to_numpy())
    if by_unit:
        for unit, part in shown.groupby(shown["handling_unit"].fillna(_NO_UNIT), sort=True):
            sheets += _findings_sheets(unit, shown, taken, part.index.to_numpy())
    return sheets


def _marked(sheet: fastxlsx.Sheet, marking: str) -> fastxlsx.Sheet:
    """The sheet with ``marking`` as a red banner in its first row and in the printed page's
    header and footer."""
    from xfaudit.privacy import CLASSIFICATION

    def setup(ws):
        ws.set_header(f"&L&\"等线,Bold\"&12{CLASSIFICATION}&R注意保密")
        ws.set_footer(f"&L{CLASSIFICATION}　不得外传&C第 &P 页，共 &N 页&R含个人信息")

    return replace(sheet, above=[fastxlsx.Line(marking, _BANNER, merge=True, height=30),
                                 *sheet.above], setup=setup)


def write(result, path: str | Path, *, by_check: bool = True, by_unit: bool = True,
          marking: str | None = None, left_out: str | None = None,
          counts: pd.DataFrame | None = None) -> Path:
    """Write the findings workbook of an audit result.

    Parameters
    ----------
    result : AuditResult
    path : path of the .xlsx to write
    by_check, by_unit : bool
        Add one sheet per check / per handling unit.
    marking : str, optional
        Confidentiality notice of a workbook that carries personal data (an unmasked run,
        :data:`xfaudit.privacy.UNMASKED_NOTICE`): the first row of every sheet, the printed
        header and footer and the document properties say it.
    left_out : str, optional
        Write the summary sheets only, with this Chinese note on 汇总 (where the findings
        are: an engine that never holds them all); ``counts`` (:func:`unit_counts`, added
        over slices) then gives 按单位汇总.

    Returns
    -------
    pathlib.Path
    """
    sheets = _sheets(result, by_check, by_unit, left_out, counts)
    properties = None
    if marking:
        from xfaudit.privacy import CLASSIFICATION

        sheets = [_marked(sheet, marking) for sheet in sheets]
        properties = {"category": CLASSIFICATION, "keywords": "机密,内部资料,个人信息",
                      "comments": marking}
    return fastxlsx.write(Path(path), sheets, title="信访事项办理情况审计问题清单",
                          author="xfaudit", created=pd.Timestamp(result.as_of),
                          properties=properties, base_style=_FONT)
