"""findings.xlsx: the findings workbook an inspector filters and prints.

Sheets: 汇总 (what to know first; per check: coverage 适用 / 已判断 / 无法判断, status, counts;
row accounting; checks not evaluated), 按单位汇总 (units × checks in check order, 超期仍未办 and
合计 columns, a 合计 row), 指标 (units × indicators as percentages, ranking, a 全县合计 row; when
the indicators are given), 临期预警 (open items due in the next days), 全部问题, then one sheet
per check and one per unit with findings. Chinese headers and values (适用规则 is the statute's
title), frozen header row, autofilter, column widths, dates as real dates, counts as numbers.
Every sheet prints on A4 landscape, fitted to the page width, with the header row repeated on
every page and page numbers in the footer. Every text cell is written as text: a summary such
as ``=HYPERLINK(...)`` stays text. The sheets are written by :mod:`xfaudit.writers.fastxlsx`
(tens of thousands of findings in seconds).

A worksheet holds 1,048,576 rows. A findings sheet with more than :data:`SHEET_ROWS` findings
continues on further sheets (``全部问题``, ``全部问题(2)`` …), each saying which part it is; an
engine that does not hold every finding in memory writes the summary sheets only and says, on
汇总, where the findings are (``left_out``). 临期预警 is read from the clock table, or (``--engine
chunked`` / ``spark``, which keep no whole clock table) from the table the engine collected
slice by slice (``result.due_soon``); a result with neither has no such sheet, and 汇总 says so.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from xfaudit.dates import chinese_date
from xfaudit.model import FINDING_COLUMNS, FINDING_HEADERS
from xfaudit.schema import KIND_LABELS, checks
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
_WARNING = {"bold": True, "font_color": "#C00000"}
_BANNER = {"font_size": 12, "bold": True, "font_color": "#C00000", "align": "center",
           "valign": "vcenter"}

#: Findings per sheet: a worksheet's rows less the header, a part note and a marking banner.
SHEET_ROWS = fastxlsx.MAX_ROWS - 3

#: What 汇总 says when the result has neither a clock table nor a collected 临期预警 table.
NO_DUE_SOON = ("临期预警未生成：本次核查结果中没有期限表；"
               "需要临期预警时请对本期台账运行 xfaudit monthly 或 xfaudit check。")


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


def _display(findings: pd.DataFrame, profiles=None) -> pd.DataFrame:
    """Findings with Chinese values for codes and booleans, and the statute's title as the
    rule applied (a view, no rule recomputed)."""
    from xfaudit.views import profile_titles

    shown = findings[SHEET_COLUMNS].copy()
    shown["kind"] = shown["kind"].map(KIND_LABELS)
    for column in ("is_open", "waived"):
        shown[column] = np.where(shown[column].astype(bool), "是", "否")
    titles = profile_titles(profiles)
    shown["profile"] = shown["profile"].map(lambda name: titles.get(name, name))
    return shown


def page_setup(header_row: int, title: str | None = None):
    """A sheet's print setup: A4 landscape, fitted to the page width, the header row repeated
    on every page, the title in the page header and page numbers in the footer."""
    def setup(ws):
        ws.set_paper(9)
        ws.set_landscape()
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.5, right=0.5, top=0.75, bottom=0.75)
        ws.repeat_rows(header_row)
        if title:
            ws.set_header(f"&L&\"等线\"&9{title.replace('&', '&&')}")
        ws.set_footer("&C第 &P 页，共 &N 页")
    return setup


def with_page_setup(sheet: fastxlsx.Sheet, title: str | None = None) -> fastxlsx.Sheet:
    """The sheet with :func:`page_setup` (printed A4 landscape, titled ``title``)."""
    return replace(sheet, setup=page_setup(sheet.header_row, title or sheet.name))


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


def _summary_sheet(result, name: str, notes: list[str] | None = None,
                   scope: str | None = None) -> fastxlsx.Sheet:
    """Title, what the reader must know first, the per-check coverage and status table, then
    the checks not evaluated; ``notes``: what the workbook leaves out and where it is;
    ``scope``: whose items the workbook holds (a county's), named in the title."""
    from xfaudit.views import run_warnings

    s, rows = result.summary, result.summary["rows"]
    whose = f"{scope}，" if scope else ""
    above = [fastxlsx.Line(f"信访事项办理情况审计汇总（{whose}审计日 {chinese_date(result.as_of)}）",
                           _TITLE),
             *[fastxlsx.Line("注意：" + w, _WARNING) for w in run_warnings(result)],
             fastxlsx.Line(f"适用规则：{s['profile']['title']}", _NOTE),
             fastxlsx.Line(f"读取 {rows['read']} 行，审计 {rows['audited']} 行，剔除 "
                           f"{rows['rejected']} 行，空行 {rows['empty']} 行，无法识别的单元格 "
                           f"{rows['unreadable_cells']} 个；超期仍未办 = 截至审计日仍未办理且已过"
                           "期限届满日的履职问题", _NOTE),
             *[fastxlsx.Line(note, _BANNER | {"align": "left"}) for note in notes or []],
             fastxlsx.Line()]
    below = [fastxlsx.Line()] + [fastxlsx.Line("未评估：" + item["text"], _NOTE)
                                 for item in s["not_evaluated"]]
    spec = [("name", "问题类型", 20, "text"), ("kind_label", "问题性质", 12, "text"),
            ("severity", "严重程度", 9, "text"), ("applicable", "适用", 9, "int"),
            ("judged", "已判断", 9, "int"), ("unjudged", "无法判断", 9, "int"),
            ("findings", "问题数", 9, "int"), ("open_overdue", "超期仍未办", 10, "int"),
            ("waived", "已豁免", 9, "int"), ("status", "评估状态", 40, "wrap"),
            ("check_id", "检查项编号", 24, "text")]
    table = pd.DataFrame(s["checks"]).reindex(columns=[c[0] for c in spec])
    # a check not evaluated has no coverage: its cells stay empty, its status says why
    skipped = ~pd.DataFrame(s["checks"])["evaluated"].astype(bool) if s["checks"] else []
    table.loc[skipped, ["applicable", "judged", "unjudged"]] = np.nan
    return fastxlsx.Sheet(name, table, [_column(*c) for c in spec], above=above, below=below,
                          header_style={"valign": "vcenter"})


def unit_counts(findings: pd.DataFrame) -> pd.DataFrame:
    """Findings per 责任单位 (rows) × check name (columns), and 超期仍未办 per unit: counts
    that add up over slices of the findings (``--engine chunked`` / ``spark``)."""
    from xfaudit.views import no_unit_label, open_overdue_mask

    units = findings["handling_unit"].fillna(no_unit_label())
    counts = pd.crosstab(units, findings["check_name"])
    counts["超期仍未办"] = open_overdue_mask(findings).groupby(units).sum()
    return counts


def unit_matrix(findings: pd.DataFrame) -> pd.DataFrame:
    """Findings per 责任单位 × check (columns in the checks' report order, only checks with a
    finding), then 超期仍未办 and 合计; the unit with most findings first and a 合计 row last."""
    return unit_matrix_of(None if findings.empty else unit_counts(findings))


def unit_matrix_of(counts: pd.DataFrame | None) -> pd.DataFrame:
    """:func:`unit_matrix` from :func:`unit_counts` (of all findings, or added over slices)."""
    if counts is None or counts.empty:
        return pd.DataFrame({"handling_unit": [], "超期仍未办": [], "合计": []})
    counts = counts.fillna(0).astype("int64")
    order = [c.name for c in checks().values()]
    matrix = counts[[c for c in order if c in counts.columns]].copy()
    matrix["超期仍未办"] = counts["超期仍未办"]
    matrix["合计"] = matrix.drop(columns="超期仍未办").sum(axis=1)
    matrix = matrix.rename_axis("handling_unit").reset_index()
    matrix.columns.name = None
    matrix = matrix.sort_values(["合计", "handling_unit"], ascending=[False, True],
                                ignore_index=True)
    total = matrix.drop(columns="handling_unit").sum().to_frame().T.assign(handling_unit="合计")
    return pd.concat([matrix, total[matrix.columns]], ignore_index=True)


def _unit_matrix_sheet(matrix: pd.DataFrame, name: str) -> fastxlsx.Sheet:
    widths = {c: min(max(2 * len(str(c)) + 1, 8), 12) for c in matrix.columns}
    widths["handling_unit"] = 24
    return replace(table_sheet(name, matrix, {"handling_unit": "责任单位"}, widths,
                               {c: "int" for c in matrix.columns if c != "handling_unit"}),
                   header_height=45)


def indicator_matrix(ind) -> pd.DataFrame:
    """Units × indicators as fractions (the circular's ranking order, then units shown but
    never ranked, then the overall row 全县合计), with 排名, the finding counts and why a
    figure is missing."""
    from xfaudit.indicators import COUNT_KEYS, indicator_specs
    from xfaudit.views import pseudo_units

    specs = indicator_specs()
    table = ind.table
    rates = table.pivot(index="unit", columns="indicator", values="rate")
    rates = rates.reindex(columns=list(specs))
    statuses = table[table["rate"].isna()].assign(
        text=lambda t: t["name"] + "：" + t["status"]).groupby("unit")["text"].agg("；".join)
    ranking = ind.ranking.set_index("责任单位")
    order = (list(ranking.index) + sorted(pseudo_units() & set(rates.index))
             + [ind.overall_label])
    frame = pd.DataFrame({"unit": order})
    frame["rank"] = frame["unit"].map(ranking["排名"]) if len(ranking) else np.nan
    for key, spec in specs.items():
        frame[spec.name] = frame["unit"].map(rates[key]).astype(float)
    for header in COUNT_KEYS.values():
        frame[header] = frame["unit"].map(ranking[header]) if header in ranking else np.nan
    frame["note"] = [statuses.get(unit, "") for unit in frame["unit"]]  # a few dozen units
    return frame


def _indicator_sheet(ind, name: str) -> fastxlsx.Sheet:
    from xfaudit.indicators import COUNT_KEYS, indicator_specs, ranking_rule_text

    frame = indicator_matrix(ind)
    percent = {"num_format": "0.0%", "valign": "top"}
    columns = [fastxlsx.Column("unit", "责任单位", "text", 24),
               fastxlsx.Column("rank", "排名", "int", 7, {"num_format": "0"})]
    columns += [fastxlsx.Column(s.name, s.name, "number", 11, percent)
                for s in indicator_specs().values()]
    columns += [fastxlsx.Column(h, h, "int", 10, {"num_format": "0"}) for h in COUNT_KEYS.values()]
    columns.append(fastxlsx.Column("note", "说明", "wrap", 40))
    first, last = ind.window
    above = [fastxlsx.Line(f"单位考核指标（{ind.period}，统计区间 {chinese_date(first)}至{chinese_date(last)}）",
                           _TITLE), fastxlsx.Line()]
    below = [fastxlsx.Line(), fastxlsx.Line(ranking_rule_text(), _NOTE)]
    below += [fastxlsx.Line(s.formula, _NOTE) for s in indicator_specs().values()]
    return fastxlsx.Sheet(name, frame, columns, above=above, below=below,
                          header_style={"valign": "vcenter"})


def _due_soon_sheets(table: pd.DataFrame, as_of, taken: set[str]) -> list[fastxlsx.Sheet]:
    """临期预警: one sheet, or numbered ones past a worksheet's rows (a province's open
    deadlines of the next days can be more than a worksheet holds)."""
    from xfaudit.views import due_soon_days

    horizons = due_soon_days()
    counts = "，".join(f"{d}日内到期 {int((table['剩余天数'] <= d).sum())} 项" for d in horizons)
    above = [fastxlsx.Line(f"临期预警：截至审计日{chinese_date(as_of)}仍未办理、期限届满日在此后"
                           f"{horizons[-1]}日内的事项（{counts}）", _TITLE), fastxlsx.Line()]
    widths = {"剩余天数": 9, "期限届满日": 12, "信访件编号": 18, "责任单位": 24, "期限": 16,
              "检查项": 16, "内容分类": 14, "台账行号": 9}
    kinds = {"剩余天数": "int", "期限届满日": "date", "台账行号": "int"}

    def sheet(name: str, rows) -> fastxlsx.Sheet:
        return replace(table_sheet(name, table, {}, widths, kinds, rows=rows), above=above)

    # two lines above the header besides a part's note
    return _in_parts("临期预警", taken, len(table), sheet, capacity=SHEET_ROWS - 2)


def _findings_sheets(name: str, shown: pd.DataFrame, taken: set[str],
                     rows: np.ndarray | None = None) -> list[fastxlsx.Sheet]:
    """One findings sheet, or several when they exceed :data:`SHEET_ROWS` rows."""
    def sheet(sheet_name: str, part) -> fastxlsx.Sheet:
        return table_sheet(sheet_name, shown, FINDING_HEADERS, WIDTHS, rows=part)

    return _in_parts(name, taken, len(shown), sheet, rows=rows)


def _in_parts(name: str, taken: set[str], n: int, make, *, rows: np.ndarray | None = None,
              capacity: int | None = None) -> list[fastxlsx.Sheet]:
    """The sheet ``make(sheet name, rows)`` of a table of ``n`` rows (or of its ``rows``), or
    numbered sheets of at most ``capacity`` rows each (default :data:`SHEET_ROWS`), each
    saying above its own lines which part it is."""
    capacity = SHEET_ROWS if capacity is None else capacity
    positions = np.arange(n) if rows is None else np.asarray(rows)
    if len(positions) <= capacity:
        return [make(sheet_name(name, taken), rows)]
    starts = range(0, len(positions), capacity)
    sheets = []
    for k, start in enumerate(starts, start=1):
        part = positions[start:start + capacity]
        sheet = make(sheet_name(name, taken), part)
        note = (f"{one_line(name)}：第{k}部分，共{len(starts)}部分（第{start + 1:,}至"
                f"{start + len(part):,}条，共{len(positions):,}条；一个工作表最多容纳"
                f"{capacity:,}条）")
        sheets.append(replace(sheet, above=[fastxlsx.Line(note, _NOTE), *sheet.above]))
    return sheets


def _due_soon_table(result) -> pd.DataFrame | None:
    """The 临期预警 table: collected by an engine that saw the rows in slices
    (``result.due_soon``), else read from the clock table; None without either."""
    collected = getattr(result, "due_soon", None)
    if isinstance(collected, pd.DataFrame):
        return collected
    if getattr(result, "clocks", None) is not None:
        from xfaudit.views import due_soon

        return due_soon(result)
    return None


def _sheets(result, by_check: bool, by_unit: bool, indicators=None, left_out: str | None = None,
            counts: pd.DataFrame | None = None, scope: str | None = None
            ) -> list[fastxlsx.Sheet]:
    """Every sheet of the workbook, in tab order, with valid unique names and page setup."""
    from xfaudit.views import no_unit_label

    findings, taken = result.findings, set()
    due = _due_soon_table(result)
    notes = [note for note in (left_out, NO_DUE_SOON if due is None else None) if note]
    matrix = unit_matrix_of(counts) if counts is not None else unit_matrix(findings)
    sheets = [_summary_sheet(result, sheet_name("汇总", taken), notes, scope),
              _unit_matrix_sheet(matrix, sheet_name("按单位汇总", taken))]
    if indicators is not None:
        sheets.append(_indicator_sheet(indicators, sheet_name("指标", taken)))
    if due is not None:
        sheets += _due_soon_sheets(due, result.as_of, taken)
    if left_out:
        return [with_page_setup(sheet) for sheet in sheets]
    shown = _display(findings, result.profiles).reset_index(drop=True)  # index = position
    sheets += _findings_sheets("全部问题", shown, taken)
    if by_check:
        for name, part in shown.groupby("check_name", sort=False):
            sheets += _findings_sheets(name, shown, taken, part.index.to_numpy())
    if by_unit:
        for unit, part in shown.groupby(shown["handling_unit"].fillna(no_unit_label()), sort=True):
            sheets += _findings_sheets(unit, shown, taken, part.index.to_numpy())
    return [with_page_setup(sheet) for sheet in sheets]


def _marked(sheet: fastxlsx.Sheet, marking: str) -> fastxlsx.Sheet:
    """The sheet with ``marking`` as a red banner in its first row and in the printed page's
    header and footer (over the sheet's own page setup)."""
    from xfaudit.privacy import CLASSIFICATION

    marked = replace(sheet, above=[fastxlsx.Line(marking, _BANNER, merge=True, height=30),
                                   *sheet.above])
    base = page_setup(marked.header_row)

    def setup(ws):
        base(ws)
        ws.set_header(f"&L&\"等线,Bold\"&12{CLASSIFICATION}&R注意保密")
        ws.set_footer(f"&L{CLASSIFICATION}　不得外传&C第 &P 页，共 &N 页&R含个人信息")

    return replace(marked, setup=setup)


def write(result, path: str | Path, *, by_check: bool = True, by_unit: bool = True,
          marking: str | None = None, indicators=None, left_out: str | None = None,
          counts: pd.DataFrame | None = None, scope: str | None = None) -> Path:
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
    indicators : Indicators, optional
        The month's unit indicators (:func:`xfaudit.indicators.compute`): adds the 指标 sheet.
    left_out : str, optional
        Write the summary sheets only, with this Chinese note on 汇总 (where the findings
        are: an engine that never holds them all); ``counts`` (:func:`unit_counts`, added
        over slices) then gives 按单位汇总.
    scope : str, optional
        Whose items the workbook holds (a county of a provincial audit): named in 汇总's
        title.

    Returns
    -------
    pathlib.Path
    """
    sheets = _sheets(result, by_check, by_unit, indicators, left_out, counts, scope)
    properties = None
    if marking:
        from xfaudit.privacy import CLASSIFICATION

        sheets = [_marked(sheet, marking) for sheet in sheets]
        properties = {"category": CLASSIFICATION, "keywords": "机密,内部资料,个人信息",
                      "comments": marking}
    return fastxlsx.write(Path(path), sheets, title="信访事项办理情况审计问题清单",
                          author="xfaudit", created=pd.Timestamp(result.as_of),
                          properties=properties, base_style=_FONT)
